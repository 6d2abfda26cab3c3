-- wrk script of scripts/bench. BENCH_MODE=issue: POST the JSON-RPC call with
-- the bearer BENCH_BEARER; get-tokens: a GET of the URL with ?token= from
-- the file BENCH_TOKENS (one a line), the next token each request, so none
-- is seen twice within the cache's reach; otherwise a plain GET of the URL
-- given to wrk.
-- done() prints one machine-readable line:
--   BENCH rps=... p50_us=... p99_us=... requests=... non2xx=... errors=...
local mode = os.getenv("BENCH_MODE") or "get"
local bearer = os.getenv("BENCH_BEARER") or ""
local stream = os.getenv("BENCH_STREAM") or "camera-1-primary"

if mode == "issue" then
  wrk.method = "POST"
  -- A typical ~150-byte call of Auth.CreateAccessToken.
  wrk.body = '{"jsonrpc":"2.0","method":"Auth.CreateAccessToken","params":'
    .. '{"stream":"' .. stream .. '","ttl":3600,"live":true,"dvr":true,'
    .. '"copy":false},"id":1}'
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. bearer
end

if mode == "get-tokens" then
  local tokens = {}
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    tokens[#tokens + 1] = line
  end
  local i = 0
  request = function()
    i = i % #tokens + 1
    return wrk.format("GET", wrk.path .. "?token=" .. tokens[i])
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local sockerr = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "BENCH rps=%.1f p50_us=%d p99_us=%d requests=%d non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    summary.requests, e.status, sockerr))
end
