"""The Lua scripts of the Redis backend: each method that touches more than one key is one script.

A script runs atomically, so "seq order = publish order" and "a failed compare-and-set writes
nothing" hold across every node. All keys of one room share the hash tag `{room}`, so the scripts
also run on Redis Cluster, on the master of the room's slot. There they publish with SPUBLISH
(`sharded`): the room's channel has the same hash tag, and Redis (7.0+) allows a script to
SPUBLISH to a channel of its own slot, so the event still leaves in the same atomic step that
gave it its seq. The channel is an argument, not a key: it is not stored data.

Rules every room script follows (docs/reliability.md):

1. The seq counter never goes backwards. The caller passes the highest seq it has seen for the room
   (`hw`); a counter below it, or a missing counter next to a live epoch, or a counter below the
   newest stream entry, means Redis lost writes (restart, failover): the epoch rotates and the old
   window is dropped, so no `(seq, epoch)` pair is ever reused.
2. Stream entry ids are `<ms>-<seq>`, with `ms` from the caller's clock or Redis TIME and never
   below the previous entry's `ms`. So `MINID <now - window>` trims by age and `ts_ms` never runs
   backwards within an epoch.
3. A payload lives in the room's `payloads` hash, not in the stream: redaction is an `HDEL` that
   really frees the bytes (a stream's `XDEL` only flags an entry; its bytes stay in memory and in
   RDB/replication snapshots). The stream keeps the seq and time only, so a redacted event still
   has its place.
4. Content keys (`stream`, `payloads`) expire `window + 1 s` after the last write, so an idle
   room's content disappears even if nobody reads it again; the epoch lives longer.
"""

from __future__ import annotations

__all__ = [
    "CLAIM",
    "COMMIT",
    "DROP_PRESENCE",
    "POSITION",
    "PRESENCE",
    "PUBLISH",
    "REDACT",
    "REPLAY",
    "RESET",
    "TOUCH_PRESENCE",
    "sharded",
]

_PUBLISH_CALL = "redis.call('PUBLISH', channel,"


def sharded(source: str) -> str:
    """The same script with its publishing done by SPUBLISH (Redis Cluster sharded pub/sub)."""
    if source.count(_PUBLISH_CALL) > 1:
        raise ValueError("a script publishes in one place only")
    return source.replace(_PUBLISH_CALL, "redis.call('SPUBLISH', channel,")


# KEYS: seq, epoch, stream, payloads, state.
# ARGV: now_ms ('' = Redis TIME), window_ms, max_events, content_ttl_ms, epoch_ttl_ms,
#       fresh_epoch, hw; each script's own arguments start at ARGV[8].
_ROOM_PRELUDE = """
local K_SEQ, K_EPOCH, K_STREAM, K_PAYLOADS, K_STATE = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local WINDOW_MS, MAX_EVENTS = tonumber(ARGV[2]), tonumber(ARGV[3])
local CONTENT_TTL, EPOCH_TTL, FRESH, HW = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])

local function now_ms()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function id_ms(id) return tonumber(string.match(id, '^(%d+)')) end
local function id_seq(id) return tonumber(string.match(id, '%-(%d+)$')) end

local function newest()
  local row = redis.call('XREVRANGE', K_STREAM, '+', '-', 'COUNT', 1)[1]
  if row then return row[1] end
  return nil
end

-- Rule 1: the room's seq and epoch, with lost or regressed history turned into a new epoch.
local function head()
  local raw = redis.call('GET', K_SEQ)
  local seq = tonumber(raw) or 0
  local epoch = redis.call('GET', K_EPOCH)
  local tail = newest()
  local lost = (epoch and not raw) or seq < HW or (tail and id_seq(tail) > seq)
  if lost and tail then seq = math.max(seq, id_seq(tail)) end
  if seq < HW then seq = HW end
  if lost or not epoch then
    redis.call('SET', K_SEQ, seq)  -- an epoch never exists without its counter
    local fresh = FRESH
    if fresh == epoch then fresh = fresh .. '0' end
    epoch = fresh
    redis.call('SET', K_EPOCH, epoch, 'PX', EPOCH_TTL)
    redis.call('DEL', K_STREAM, K_PAYLOADS)
  end
  return seq, epoch
end

local function hdel_range(from, upto)
  local batch = {}
  for s = from, upto do
    batch[#batch + 1] = s
    if #batch == 500 then redis.call('HDEL', K_PAYLOADS, unpack(batch)); batch = {} end
  end
  if #batch > 0 then redis.call('HDEL', K_PAYLOADS, unpack(batch)) end
end

-- Drop events older than the window or beyond its count, with their payloads.
local function trim(now)
  local first = redis.call('XRANGE', K_STREAM, '-', '+', 'COUNT', 1)[1]
  if not first then redis.call('DEL', K_PAYLOADS); return nil end
  redis.call('XTRIM', K_STREAM, 'MINID', string.format('%d', math.max(0, now - WINDOW_MS)))
  redis.call('XTRIM', K_STREAM, 'MAXLEN', MAX_EVENTS)
  local kept = redis.call('XRANGE', K_STREAM, '-', '+', 'COUNT', 1)[1]
  if not kept then redis.call('DEL', K_STREAM, K_PAYLOADS); return nil end
  hdel_range(id_seq(first[1]), id_seq(kept[1]) - 1)
  return id_seq(kept[1])
end

-- Append payloads ARGV[from..] as the next events and publish each envelope on `channel`.
local function append(epoch, channel, from)
  local now = now_ms()
  local ms = now
  local tail = newest()
  if tail then ms = math.max(ms, id_ms(tail)) end
  local first, seq = nil, nil
  for i = from, #ARGV do
    seq = redis.call('INCR', K_SEQ)
    first = first or seq
    redis.call('XADD', K_STREAM, string.format('%d-%d', ms, seq), 's', '')
    redis.call('HSET', K_PAYLOADS, seq, ARGV[i])
    redis.call('PUBLISH', channel, cmsgpack.pack({seq, epoch, ms, ARGV[i]}))
  end
  trim(now)
  redis.call('PEXPIRE', K_STREAM, CONTENT_TTL)
  redis.call('PEXPIRE', K_PAYLOADS, CONTENT_TTL)
  redis.call('PEXPIRE', K_EPOCH, EPOCH_TTL)
  return {epoch, ms, first, seq}
end
"""

PUBLISH = (
    _ROOM_PRELUDE
    + """
-- ARGV[8]: channel; ARGV[9..]: payloads.
local seq, epoch = head()
return append(epoch, ARGV[8], 9)
"""
)

COMMIT = (
    _ROOM_PRELUDE
    + """
-- ARGV[8]: channel, ARGV[9]: expected version, ARGV[10]: state; ARGV[11..]: payloads.
local version = tonumber(redis.call('HGET', K_STATE, 'v')) or 0
if version ~= tonumber(ARGV[9]) then return false end
redis.call('HSET', K_STATE, 'v', version + 1, 'd', ARGV[10])
if #ARGV < 11 then return {} end
local seq, epoch = head()
return append(epoch, ARGV[8], 11)
"""
)

POSITION = (
    _ROOM_PRELUDE
    + """
local seq, epoch = head()
return {seq, epoch}
"""
)

RESET = (
    _ROOM_PRELUDE
    + """
local seq, old = head()
local epoch = FRESH
if epoch == old then epoch = epoch .. '0' end
redis.call('SET', K_EPOCH, epoch, 'PX', EPOCH_TTL)
redis.call('DEL', K_STREAM, K_PAYLOADS)
return {seq, epoch}
"""
)

REPLAY = (
    _ROOM_PRELUDE
    + """
-- ARGV[8]: the reader's epoch, ARGV[9]: its seq, ARGV[10]: limit.
-- Returns {status, epoch, seq, [seq, ts_ms, payload]...}; status is ok, epoch, window or
-- backlog (more than `limit` events, all of which the window can hold).
local seq, epoch = head()
local after, limit = tonumber(ARGV[9]), tonumber(ARGV[10])
if epoch ~= ARGV[8] or after > seq then return {'epoch', epoch, seq} end
if after == seq then return {'ok', epoch, seq} end
local want = seq - after
if want > limit then
  if want > MAX_EVENTS then return {'window', epoch, seq} end
  return {'backlog', epoch, seq}
end
trim(now_ms())
local rows = redis.call('XREVRANGE', K_STREAM, '+', '-', 'COUNT', want)
if #rows < want then return {'window', epoch, seq} end
local out, seqs = {'ok', epoch, seq}, {}
for i = #rows, 1, -1 do
  local id = rows[i][1]
  local s = id_seq(id)
  if s ~= after + #seqs + 1 then return {'window', epoch, seq} end
  seqs[#seqs + 1] = s
  out[#out + 1] = s
  out[#out + 1] = id_ms(id)
  out[#out + 1] = ''
end
for start = 1, #seqs, 500 do
  local chunk = {}
  for j = start, math.min(start + 499, #seqs) do chunk[#chunk + 1] = seqs[j] end
  local blobs = redis.call('HMGET', K_PAYLOADS, unpack(chunk))
  for j = 1, #chunk do
    if blobs[j] then out[3 + 3 * (start + j - 2) + 3] = blobs[j] end
  end
end
return out
"""
)

REDACT = (
    _ROOM_PRELUDE
    + """
-- ARGV[8]: the seq to redact. Returns 1 if it is in the window (its payload is gone now).
local target = tonumber(ARGV[8])
local first = trim(now_ms())
local seq = tonumber(redis.call('GET', K_SEQ)) or 0
if not first or target < first or target > seq then return 0 end
redis.call('HDEL', K_PAYLOADS, target)
return 1
"""
)

# KEYS: expiry zset, info hash. ARGV: now_ms ('' = TIME), then per script.
_PRESENCE_PRELUDE = """
local K_EXPIRY, K_INFO = KEYS[1], KEYS[2]
local function now_ms()
  if ARGV[1] ~= '' then return tonumber(ARGV[1]) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Lazily forget entries whose time is up (a dead node's people vanish this way).
local function expire(now)
  local dead = redis.call('ZRANGEBYSCORE', K_EXPIRY, '-inf', now)
  for start = 1, #dead, 500 do
    local chunk = {}
    for j = start, math.min(start + 499, #dead) do chunk[#chunk + 1] = dead[j] end
    redis.call('ZREM', K_EXPIRY, unpack(chunk))
    redis.call('HDEL', K_INFO, unpack(chunk))
  end
end
"""

TOUCH_PRESENCE = (
    _PRESENCE_PRELUDE
    + """
-- ARGV[2]: key, ARGV[3]: info, ARGV[4]: ttl_ms.
local now = now_ms()
expire(now)
redis.call('ZADD', K_EXPIRY, now + tonumber(ARGV[4]), ARGV[2])
redis.call('HSET', K_INFO, ARGV[2], ARGV[3])
local last = tonumber(redis.call('ZREVRANGE', K_EXPIRY, 0, 0, 'WITHSCORES')[2])
local keep = string.format('%d', last - now + 1000)
redis.call('PEXPIRE', K_EXPIRY, keep)
redis.call('PEXPIRE', K_INFO, keep)
return 1
"""
)

DROP_PRESENCE = (
    _PRESENCE_PRELUDE
    + """
-- ARGV[2]: key.
redis.call('ZREM', K_EXPIRY, ARGV[2])
redis.call('HDEL', K_INFO, ARGV[2])
return 1
"""
)

PRESENCE = (
    _PRESENCE_PRELUDE
    + """
-- Returns {key, info, key, info, ...} of the live entries.
local now = now_ms()
expire(now)
local keys = redis.call('ZRANGEBYSCORE', K_EXPIRY, '(' .. string.format('%d', now), '+inf')
local out = {}
for start = 1, #keys, 500 do
  local chunk = {}
  for j = start, math.min(start + 499, #keys) do chunk[#chunk + 1] = keys[j] end
  local infos = redis.call('HMGET', K_INFO, unpack(chunk))
  for j = 1, #chunk do
    if infos[j] then out[#out + 1] = chunk[j]; out[#out + 1] = infos[j] end
  end
end
return out
"""
)

# KEYS: the claim key. ARGV: now_ms ('' = TIME), ttl_ms. Same as SET NX PX, but the expiry is
# also stored as the value and compared with `now`, so an injected clock governs it in tests.
CLAIM = """
local now
if ARGV[1] ~= '' then now = tonumber(ARGV[1]) else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local held = tonumber(redis.call('GET', KEYS[1]))
if held and held > now then return 0 end
redis.call('SET', KEYS[1], string.format('%d', now + tonumber(ARGV[2])), 'PX', ARGV[2])
return 1
"""
