'use strict';
// node-peer: what a platform team would write instead of streamtoken, the
// Node.js peer of scripts/bench. A node:http server answering the same
// JSON-RPC 2.0 call, Auth.CreateAccessToken, with the jsonwebtoken package;
// the HMAC secret is a KeyObject made once at start-up.
//
// Environment:
//   NODE_PEER_PORT          port on 127.0.0.1
//   NODE_PEER_SECRET_FILE   the key file (less one trailing newline)
//   NODE_PEER_KID           the key name (JWT kid), default "main"
//   NODE_PEER_TOKEN_SHA256  hex SHA-256 of the client's bearer token
//   NODE_PEER_CLIENT        the client name (azp), default "backend"
//   NODE_PEER_STREAMS       private streams, "uid:max_ttl,uid:max_ttl"
//   NODE_PEER_DEFAULT_TTL   default 3600
const http = require('node:http');
const crypto = require('node:crypto');
const fs = require('node:fs');
const jwt = require('jsonwebtoken');

const env = process.env;
let secret = fs.readFileSync(env.NODE_PEER_SECRET_FILE);
if (secret.subarray(-2).toString() === '\r\n') secret = secret.subarray(0, -2);
else if (secret.subarray(-1).toString() === '\n') secret = secret.subarray(0, -1);
const key = crypto.createSecretKey(secret);
const kid = env.NODE_PEER_KID || 'main';
const clientName = env.NODE_PEER_CLIENT || 'backend';
const clientHash = Buffer.from(env.NODE_PEER_TOKEN_SHA256, 'hex');
const defaultTtl = Number(env.NODE_PEER_DEFAULT_TTL || 3600);
const streams = new Map();
for (const item of (env.NODE_PEER_STREAMS || '').split(',')) {
  if (!item) continue;
  const [uid, maxTtl] = item.split(':');
  streams.set(uid, { maxTtl: Number(maxTtl || 0) });
}
const MAX_BODY = 65536;
const PARAMS = ['stream', 'ttl', 'live', 'dvr', 'copy', 'from', 'to'];

function send(res, status, obj, extra) {
  const body = JSON.stringify(obj);
  res.writeHead(status, Object.assign({
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
  }, extra || {}));
  res.end(body);
}

function rpcError(res, status, code, message, id, data) {
  const error = { code, message };
  if (data) error.data = data;
  send(res, status, { jsonrpc: '2.0', error, id: id === undefined ? null : id });
}

const isUint = (v) => Number.isInteger(v) && v >= 0 && v <= 4294967295;

function createAccessToken(params) {
  const p = {};
  if (Array.isArray(params)) {
    if (params.length > PARAMS.length) return { bad: ['params', 'too many'] };
    params.forEach((v, i) => { p[PARAMS[i]] = v; });
  } else if (params && typeof params === 'object') {
    for (const k of Object.keys(params)) {
      if (!PARAMS.includes(k)) return { bad: [k, 'unknown parameter'] };
      p[k] = params[k];
    }
  } else {
    return { bad: ['params', 'missing'] };
  }
  if (typeof p.stream !== 'string') return { bad: ['stream', 'must be a string'] };
  const ttl = p.ttl === undefined ? defaultTtl : p.ttl;
  if (!isUint(ttl)) return { bad: ['ttl', 'must be an unsigned integer'] };
  for (const b of ['live', 'dvr', 'copy'])
    if (p[b] !== undefined && typeof p[b] !== 'boolean')
      return { bad: [b, 'must be a boolean'] };
  for (const n of ['from', 'to'])
    if (p[n] !== undefined && !isUint(p[n]))
      return { bad: [n, 'must be an unsigned integer'] };
  const from = p.from || 0, to = p.to || 0;
  if (from && to && to < from) return { bad: ['to', 'must be >= from'] };
  const stream = streams.get(p.stream);
  if (!stream) return { code: -32001, message: 'Stream not found' };
  if (stream.maxTtl && (ttl === 0 || ttl > stream.maxTtl))
    return { bad: ['ttl', 'above max_ttl'] };
  const claims = {
    sub: p.stream,
    jti: crypto.randomBytes(16).toString('base64url'),
    azp: clientName,
    live: p.live === true, dvr: p.dvr === true, copy: p.copy === true,
  };
  if (from) claims.from = from;
  if (to) claims.to = to;
  const opts = { algorithm: 'HS256', keyid: kid };
  if (ttl) opts.expiresIn = ttl;
  return { token: jwt.sign(claims, key, opts) };
}

function handle(req, res, body) {
  let msg;
  try {
    msg = JSON.parse(body);
  } catch (e) {
    return rpcError(res, 400, -32700, 'Parse error', null);
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg) ||
      msg.jsonrpc !== '2.0' || typeof msg.method !== 'string')
    return rpcError(res, 400, -32600, 'Invalid Request', msg && msg.id);
  if (msg.method !== 'Auth.CreateAccessToken' && msg.method !== 'Auth.CreateApiToken')
    return rpcError(res, 400, -32601, 'Method not found', msg.id);
  const r = createAccessToken(msg.params);
  if (r.bad)
    return rpcError(res, 400, -32602, 'Invalid params', msg.id,
      { param: r.bad[0], reason: r.bad[1] });
  if (r.code) return rpcError(res, 400, r.code, r.message, msg.id);
  send(res, 200, { jsonrpc: '2.0', result: r.token, id: msg.id });
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST')
    return rpcError(res, 405, -32600, 'Invalid Request', null, undefined);
  const ct = req.headers['content-type'] || '';
  if (!/^\s*application\/json\s*(;|$)/i.test(ct))
    return rpcError(res, 415, -32600, 'Invalid Request', null);
  const auth = req.headers.authorization || '';
  const m = /^Bearer\s+(\S+)$/.exec(auth);
  if (!m) {
    return rpcError(res, 401, -32000, 'Unauthorized', null);
  }
  const digest = crypto.createHash('sha256').update(m[1]).digest();
  if (!crypto.timingSafeEqual(digest, clientHash))
    return rpcError(res, 401, -32000, 'Unauthorized', null);
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) {
      rpcError(res, 413, -32600, 'Invalid Request', null);
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (size <= MAX_BODY) handle(req, res, Buffer.concat(chunks).toString('utf8'));
  });
});
server.keepAliveTimeout = 60000;
server.listen(Number(env.NODE_PEER_PORT), '127.0.0.1', () => {
  process.stderr.write(`node-peer: listening on 127.0.0.1:${env.NODE_PEER_PORT}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
