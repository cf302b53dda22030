"""The Lua scripts of the shared frontier: each one step, atomic in Redis.

Keys are built from the prefix passed as KEYS[1] (see frontier.py for the layout): every
script keeps its keys under one prefix on one server (Redis Cluster is not supported).
"""

from __future__ import annotations

REAP_BATCH = 100

PUSH = """
local p = KEYS[1]
local id = redis.call('INCR', p..':seq')
local score = -tonumber(ARGV[2]) * 1e9 + id
redis.call('HSET', p..':requests', id, ARGV[1])
redis.call('HSET', p..':hostof', id, ARGV[3])
redis.call('HSET', p..':score', id, score)
redis.call('ZADD', p..':queue', score, id)
redis.call('HINCRBY', p..':host:queued', ARGV[3], 1)
return id
"""

# ARGV: lease ms, worker, max attempts. Returns {reclaimed, given_up[, id, data]}.
POP = (
    """
local p = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local reclaimed, given_up = 0, 0
local expired = redis.call('ZRANGEBYSCORE', p..':leased', '-inf', now, 'LIMIT', 0, REAP_BATCH)
for _, id in ipairs(expired) do
  redis.call('ZREM', p..':leased', id)
  redis.call('HDEL', p..':owner', id)
  local host = redis.call('HGET', p..':hostof', id) or ''
  redis.call('HINCRBY', p..':host:leased', host, -1)
  if redis.call('HINCRBY', p..':attempts', id, 1) >= tonumber(ARGV[3]) then
    redis.call('ZADD', p..':failed', now, id)
    redis.call('HINCRBY', p..':host:failed', host, 1)
    given_up = given_up + 1
  else
    redis.call('ZADD', p..':queue', redis.call('HGET', p..':score', id) or 0, id)
    redis.call('HINCRBY', p..':host:queued', host, 1)
    reclaimed = reclaimed + 1
  end
end
local popped = redis.call('ZPOPMIN', p..':queue')
if #popped == 0 then return {reclaimed, given_up} end
local id = popped[1]
redis.call('ZADD', p..':leased', now + tonumber(ARGV[1]), id)
redis.call('HSET', p..':owner', id, ARGV[2])
local host = redis.call('HGET', p..':hostof', id) or ''
redis.call('HINCRBY', p..':host:queued', host, -1)
redis.call('HINCRBY', p..':host:leased', host, 1)
return {reclaimed, given_up, id, redis.call('HGET', p..':requests', id)}
"""
).replace("REAP_BATCH", str(REAP_BATCH))

# Done: the page is committed in its shard. 1: acknowledged; 2: it had expired and been put
# back in the queue but not fetched again yet (taken out: no second fetch); 0: unknown id.
ACK = """
local p = KEYS[1]
local id = ARGV[1]
local host = redis.call('HGET', p..':hostof', id)
if not host then return 0 end
local result = 1
if redis.call('ZREM', p..':leased', id) == 1 then
  redis.call('HINCRBY', p..':host:leased', host, -1)
elseif redis.call('ZREM', p..':queue', id) == 1 then
  redis.call('HINCRBY', p..':host:queued', host, -1)
  result = 2
else
  return 0
end
redis.call('HDEL', p..':requests', id)
redis.call('HDEL', p..':owner', id)
redis.call('HDEL', p..':hostof', id)
redis.call('HDEL', p..':score', id)
redis.call('HDEL', p..':attempts', id)
redis.call('HINCRBY', p..':host:done', host, 1)
redis.call('INCR', p..':done')
return result
"""

# A closing worker hands back what it had popped and not finished (no attempt counted).
RELEASE = """
local p = KEYS[1]
local n = 0
for _, id in ipairs(ARGV) do
  if redis.call('ZREM', p..':leased', id) == 1 then
    redis.call('HDEL', p..':owner', id)
    local host = redis.call('HGET', p..':hostof', id) or ''
    redis.call('HINCRBY', p..':host:leased', host, -1)
    redis.call('HINCRBY', p..':host:queued', host, 1)
    redis.call('ZADD', p..':queue', redis.call('HGET', p..':score', id) or 0, id)
    n = n + 1
  end
end
return n
"""

# ARGV[1]: lease ms, then ids: push the deadline of leases this worker still holds.
EXTEND = """
local p = KEYS[1]
local t = redis.call('TIME')
local deadline = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', p..':leased', 'XX', deadline, ARGV[i])
end
return #ARGV - 1
"""

# ARGV: fingerprint, days, ttl seconds. 1 when seen in the last `days` daily sets.
SEEN = """
local p = KEYS[1]
local day = math.floor(tonumber(redis.call('TIME')[1]) / 86400)
for i = 0, tonumber(ARGV[2]) - 1 do
  if redis.call('SISMEMBER', p..':seen:'..(day - i), ARGV[1]) == 1 then return 1 end
end
redis.call('SADD', p..':seen:'..day, ARGV[1])
redis.call('EXPIRE', p..':seen:'..day, ARGV[3])
return 0
"""

# Work units (units.py): ARGV[1] the label counted per "host", then the units' data. Queues
# them all at once, in order, unless the set was seeded before (its :seq exists): -1 then.
SEED = """
local p = KEYS[1]
if redis.call('EXISTS', p..':seq') == 1 then return -1 end
for i = 2, #ARGV do
  local id = redis.call('INCR', p..':seq')
  redis.call('HSET', p..':requests', id, ARGV[i])
  redis.call('HSET', p..':hostof', id, ARGV[1])
  redis.call('HSET', p..':score', id, id)
  redis.call('ZADD', p..':queue', id, id)
  redis.call('HINCRBY', p..':host:queued', ARGV[1], 1)
end
return #ARGV - 1
"""
