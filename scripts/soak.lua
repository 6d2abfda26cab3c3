-- wrk script of scripts/soak: a fixed mix of issuing requests (valid,
-- invalid, batches, notifications) and authorizer checks (valid and invalid
-- tokens) through lighttpd, each with the status it must get.
--
-- Run with ONE connection per thread (-t N -c N): then request() and
-- response() strictly alternate in a thread, so the script knows which kind
-- each response answers.  A request() while one is still pending means a
-- request lost to a socket error; it is counted as "lost".
--
-- Environment (set by scripts/soak):
--   SOAK_REQUESTS  requests in all threads together (each thread does its share)
--   SOAK_THREADS   the -t value (to split SOAK_REQUESTS)
--   SOAK_DONE_DIR  a folder where each thread drops a marker file when done
--   SOAK_BEARER, SOAK_NARROW_BEARER   API tokens of clients backend and narrow
--   SOAK_T_LIVE, SOAK_T_DVR, SOAK_T_EXPIRED, SOAK_T_OTHER   minted tokens
--   SOAK_DVR_FROM  start of T_DVR's window (Unix seconds)
-- done() prints one "SOAK kind=..." line per kind, then "SOAK verdict=PASS"
-- or "SOAK verdict=FAIL".

local env = os.getenv

local function issue_body(params, id)
  return '{"jsonrpc":"2.0","method":"Auth.CreateAccessToken","params":' ..
    params .. ',"id":' .. id .. '}'
end

-- Every kind: name, weight in the mix, expected status, and optionally a
-- string the body must contain (plain find) or begin with.
local function kinds_table()
  local bearer = "Bearer " .. env("SOAK_BEARER")
  local narrow = "Bearer " .. env("SOAK_NARROW_BEARER")
  local t_live, t_dvr = env("SOAK_T_LIVE"), env("SOAK_T_DVR")
  local t_expired, t_other = env("SOAK_T_EXPIRED"), env("SOAK_T_OTHER")
  local from = tonumber(env("SOAK_DVR_FROM"))
  -- Same header and payload, last signature character changed.
  local last = t_live:sub(-1)
  local forged = t_live:sub(1, -2) .. (last == "A" and "B" or "A")
  local json = "application/json"
  local api, media = "/api/", "/media/"
  return {
    -- ---- issuing: JSON-RPC 2.0 over POST (SPEC 2) ----
    { name = "issue_ok", weight = 6, status = 200, method = "POST",
      path = api, auth = bearer, ctype = json, find = '"result":"ey',
      body = issue_body('{"stream":"cam-1","ttl":600,"live":true,"dvr":true}',
        '"s1"') },
    { name = "issue_alias_positional", weight = 2, status = 200,
      method = "POST", path = api, auth = bearer, ctype = json,
      find = '"result":"ey',
      body = '{"jsonrpc":"2.0","method":"Auth.CreateApiToken",' ..
        '"params":["cam-7",60,true],"id":2}' },
    { name = "issue_narrow_ok", weight = 1, status = 200, method = "POST",
      path = api, auth = narrow, ctype = json, find = '"result":"ey',
      body = issue_body('{"stream":"cam-2","live":true}', 3) },
    { name = "issue_batch", weight = 2, status = 200, method = "POST",
      path = api, auth = bearer, ctype = json, prefix = "[",
      body = '[' .. issue_body('{"stream":"cam-1","live":true}', 10) .. ',' ..
        issue_body('{"stream":"cam-1","ttl":"60"}', 11) .. ',' ..
        '{"jsonrpc":"2.0","method":"Auth.CreateAccessToken",' ..
        '"params":{"stream":"cam-1"}},' ..
        '{"jsonrpc":"2.0","method":"No.Such","id":12}]' },
    { name = "issue_notification_only", weight = 1, status = 204,
      method = "POST", path = api, auth = bearer, ctype = json,
      body = '{"jsonrpc":"2.0","method":"Auth.CreateAccessToken",' ..
        '"params":{"stream":"cam-1"}}' },
    { name = "issue_bad_param_type", weight = 1, status = 400,
      method = "POST", path = api, auth = bearer, ctype = json,
      find = '"code":-32602',
      body = issue_body('{"stream":"cam-1","ttl":"3600"}', 20) },
    { name = "issue_unknown_param", weight = 1, status = 400, method = "POST",
      path = api, auth = bearer, ctype = json, find = '"code":-32602',
      body = issue_body('{"stream":"cam-1","tll":60}', 21) },
    { name = "issue_stream_not_found", weight = 1, status = 400,
      method = "POST", path = api, auth = bearer, ctype = json,
      find = '"code":-32001',
      body = issue_body('{"stream":"no-such-stream"}', 22) },
    { name = "issue_parse_error", weight = 1, status = 400, method = "POST",
      path = api, auth = bearer, ctype = json, find = '"code":-32700',
      body = '{"jsonrpc":"2.0","method":' },
    { name = "issue_empty_batch", weight = 1, status = 400, method = "POST",
      path = api, auth = bearer, ctype = json, find = '"code":-32600',
      body = '[]' },
    { name = "issue_bad_bearer", weight = 1, status = 401, method = "POST",
      path = api, auth = "Bearer not-a-configured-token", ctype = json,
      find = '"code":-32000',
      body = issue_body('{"stream":"cam-1"}', 30) },
    { name = "issue_no_bearer", weight = 1, status = 401, method = "POST",
      path = api, ctype = json, find = '"code":-32000',
      body = issue_body('{"stream":"cam-1"}', 31) },
    { name = "issue_forbidden", weight = 1, status = 403, method = "POST",
      path = api, auth = narrow, ctype = json, find = '"code":-32003',
      body = issue_body('{"stream":"other-1"}', 32) },
    { name = "issue_get", weight = 1, status = 405, method = "GET",
      path = api, auth = bearer },
    { name = "issue_wrong_content_type", weight = 1, status = 415,
      method = "POST", path = api, auth = bearer, ctype = "text/plain",
      body = issue_body('{"stream":"cam-1"}', 33) },
    -- ---- checking: lighttpd's authorizer in front of static files (SPEC 7) ----
    { name = "auth_live_query_ok", weight = 6, status = 200, method = "GET",
      path = media .. "cam-1/index.m3u8?token=" .. t_live,
      prefix = "#EXTM3U" },
    { name = "auth_live_bearer_ok", weight = 2, status = 200, method = "GET",
      path = media .. "cam-1/index.m3u8", auth = "Bearer " .. t_live,
      prefix = "#EXTM3U" },
    { name = "auth_dvr_window_ok", weight = 2, status = 200, method = "GET",
      path = media .. "cam-1/index-" .. (from + 60) .. "-600.m3u8?token=" ..
        t_dvr, prefix = "#EXTM3U" },
    { name = "auth_public_no_token", weight = 1, status = 200,
      method = "GET", path = media .. "lobby/index.m3u8",
      prefix = "#EXTM3U" },
    { name = "auth_no_token", weight = 1, status = 401, method = "GET",
      path = media .. "cam-1/index.m3u8" },
    { name = "auth_forged_signature", weight = 1, status = 401,
      method = "GET", path = media .. "cam-1/index.m3u8?token=" .. forged },
    { name = "auth_expired", weight = 1, status = 401, method = "GET",
      path = media .. "cam-1/index.m3u8?token=" .. t_expired },
    { name = "auth_garbage_token", weight = 1, status = 401, method = "GET",
      path = media .. "cam-1/index.m3u8?token=abc.def.ghi" },
    { name = "auth_other_stream", weight = 1, status = 403, method = "GET",
      path = media .. "cam-1/index.m3u8?token=" .. t_other },
    { name = "auth_no_live_permission", weight = 1, status = 403,
      method = "GET", path = media .. "cam-1/index.m3u8?token=" .. t_dvr },
    { name = "auth_dvr_outside_window", weight = 1, status = 403,
      method = "GET", path = media .. "cam-1/index-" .. (from + 7200) ..
        "-600.m3u8?token=" .. t_dvr },
    { name = "auth_unknown_stream", weight = 1, status = 403, method = "GET",
      path = media .. "nocam/index.m3u8?token=" .. t_live },
  }
end

local kinds, schedule, reqs
local quota = 0
local pending = nil     -- index in kinds of the request awaiting its response
local pos = 1
local finished = false
local verified = false
-- Globals, so that done() can read them with thread:get().
sent, received = 0, 0
-- Flat (wrk copies only flat tables between threads): "KIND count",
-- "KIND bad" and "KIND STATUS" -> number.
stats = {}
lost, unexpected = 0, 0

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
  table.insert(threads, thread)
end

function init(args)
  kinds = kinds_table()
  schedule, reqs = {}, {}
  for i, k in ipairs(kinds) do
    local headers = {}
    if k.auth then headers["Authorization"] = k.auth end
    if k.ctype then headers["Content-Type"] = k.ctype end
    reqs[i] = wrk.format(k.method, k.path, headers, k.body)
    for _ = 1, k.weight do table.insert(schedule, i) end
  end
  local total = tonumber(env("SOAK_REQUESTS") or "1000000")
  local nthreads = tonumber(env("SOAK_THREADS") or "1")
  quota = math.ceil(total / nthreads)
  -- Threads start at different places in the mix.
  pos = ((thread_no or 1) * 7) % #schedule + 1
end

function request()
  if thread_no == 1 and not verified then
    -- wrk calls request() once in the first thread's state before the run
    -- (to count pipelined requests); that one is never sent.
    verified = true
    return reqs[schedule[1]]
  end
  if finished then
    -- wrk may ask once more between stop() and the loop's end: not counted.
    return reqs[schedule[1]]
  end
  if pending ~= nil then
    lost = lost + 1     -- sent, but the connection failed before an answer
  end
  pending = schedule[pos]
  pos = pos % #schedule + 1
  sent = sent + 1
  return reqs[pending]
end

local function body_ok(k, body)
  if k.find and not (body and body:find(k.find, 1, true)) then
    return false
  end
  if k.prefix and not (body and body:sub(1, #k.prefix) == k.prefix) then
    return false
  end
  if k.status == 204 and body and #body > 0 then
    return false
  end
  return true
end

function response(status, headers, body)
  if finished then
    return
  end
  if pending == nil then
    unexpected = unexpected + 1
    return
  end
  local k = kinds[pending]
  pending = nil
  received = received + 1
  local ck, sk = k.name .. " count", k.name .. " " .. status
  stats[ck] = (stats[ck] or 0) + 1
  stats[sk] = (stats[sk] or 0) + 1
  if status ~= k.status or not body_ok(k, body) then
    local bk = k.name .. " bad"
    stats[bk] = (stats[bk] or 0) + 1
    if stats[bk] <= 3 then
      io.stderr:write(string.format("SOAK mismatch kind=%s status=%d " ..
        "expected=%d body=%q\n", k.name, status, k.status,
        (body or ""):sub(1, 200)))
    end
  end
  if received >= quota and not finished then
    finished = true
    local dir = env("SOAK_DONE_DIR")
    if dir then
      local f = io.open(dir .. "/thread-" .. tostring(thread_no), "w")
      if f then f:write(tostring(received), "\n") f:close() end
    end
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local all, order, expected = {}, {}, {}
  local lost_all, unexpected_all, sent_all, recv_all = 0, 0, 0, 0
  local status_all = {}
  for _, t in ipairs(threads) do
    local st = t:get("stats") or {}
    for key, n in pairs(st) do
      local name, what = key:match("^(%S+) (%S+)$")
      local a = all[name]
      if not a then
        a = { count = 0, bad = 0, statuses = {} }
        all[name] = a
      end
      if what == "count" then
        a.count = a.count + n
      elseif what == "bad" then
        a.bad = a.bad + n
      else
        a.statuses[what] = (a.statuses[what] or 0) + n
        status_all[what] = (status_all[what] or 0) + n
      end
    end
    lost_all = lost_all + (t:get("lost") or 0)
    unexpected_all = unexpected_all + (t:get("unexpected") or 0)
    sent_all = sent_all + (t:get("sent") or 0)
    recv_all = recv_all + (t:get("received") or 0)
  end
  -- Kind order and expected statuses, from a local copy of the table (the
  -- done() environment has no thread state; the env vars are the same).
  for _, k in ipairs(kinds_table()) do
    table.insert(order, k.name)
    expected[k.name] = k.status
  end
  local mismatches = 0
  for _, name in ipairs(order) do
    local a = all[name] or { count = 0, bad = 0, statuses = {} }
    local codes = {}
    for code, n in pairs(a.statuses) do
      table.insert(codes, code .. ":" .. n)
    end
    table.sort(codes)
    io.write(string.format("SOAK kind=%-26s expected=%d count=%d " ..
      "mismatches=%d statuses=%s\n", name, expected[name], a.count, a.bad,
      table.concat(codes, ",")))
    mismatches = mismatches + a.bad
  end
  local codes = {}
  for code, n in pairs(status_all) do table.insert(codes, code .. ":" .. n) end
  table.sort(codes)
  local e = summary.errors
  local sockerr = e.connect + e.read + e.write + e.timeout
  io.write(string.format("SOAK statuses %s\n", table.concat(codes, " ")))
  io.write(string.format("SOAK sent=%d received=%d mismatches=%d lost=%d " ..
    "unexpected=%d socket_errors=%d (connect=%d read=%d write=%d " ..
    "timeout=%d) seconds=%.1f rps=%.0f p50_us=%d p99_us=%d\n",
    sent_all, recv_all, mismatches, lost_all, unexpected_all, sockerr,
    e.connect, e.read, e.write, e.timeout, summary.duration / 1e6,
    recv_all / (summary.duration / 1e6), latency:percentile(50),
    latency:percentile(99)))
  local total = tonumber(env("SOAK_REQUESTS") or "1000000")
  local pass = mismatches == 0 and lost_all == 0 and unexpected_all == 0 and
    sockerr == 0 and recv_all >= total
  io.write("SOAK verdict=" .. (pass and "PASS" or "FAIL") .. "\n")
end
