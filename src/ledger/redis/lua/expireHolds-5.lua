--[[
  Releases the sale's holds whose time ran out: reserved -> expired, and each
  ticket goes back on sale. Found through the holds index, never by scanning
  orders. Many sweepers may run it at once: a released hold leaves the index
  in the same step, so it is released exactly once.

  KEYS[1] sale hash   KEYS[2] buyers hash   KEYS[3] orders hash
  KEYS[4] holds zset  KEYS[5] feed stream

  ARGV[1] now         epoch milliseconds
  ARGV[2] limit       most holds to release in this call
  ARGV[3] channel     where to announce tickets returned to stock

  Returns the number of holds released.
]]
--- @include "includes/orders"
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local released = 0
for _, orderId in ipairs(due) do
  local o = readOrder(KEYS[3], orderId)
  if o and o.state == 'reserved' then
    release(KEYS[1], KEYS[2], KEYS[4], o)
    transition(KEYS[3], KEYS[5], o, 'expired', now)
    released = released + 1
  else
    redis.call('ZREM', KEYS[4], orderId)
  end
end
if released > 0 then
  redis.call('PUBLISH', ARGV[3], redis.call('HGET', KEYS[1], 'id'))
end
return released
