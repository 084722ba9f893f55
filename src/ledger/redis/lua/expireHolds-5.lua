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

  Returns {released, nextDue}: the holds released, and the earliest time a
  hold of this sale can next fall due (the earliest remaining hold, or now +
  holdSeconds for one not made yet), or -1 when none can (no hold is left and
  the sale is closed or holds nothing). The caller writes nextDue into the
  holds-due index, which this script cannot touch: it spans every sale's slot.
]]
--- @include "includes/release"
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local released = 0
for _, orderId in ipairs(due) do
  local o = readOrder(KEYS[3], orderId)
  if o and o.state == 'reserved' then
    release(KEYS[1], KEYS[2], KEYS[4], o, ARGV[3])
    transition(KEYS[3], KEYS[5], o, 'expired', now)
    released = released + 1
  else
    redis.call('ZREM', KEYS[4], orderId)
  end
end
local sale = redis.call('HMGET', KEYS[1], 'id', 'holdSeconds', 'closesAt')
if released > 0 then
  redis.call('PUBLISH', ARGV[3], sale[1])
end
local nextDue = -1
local first = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
if first[2] then
  nextDue = tonumber(first[2])
end
local holdSeconds = tonumber(sale[2] or '0')
local closesAt = tonumber(sale[3] or '')
-- A hold made after this script expires no sooner than now + holdSeconds.
if holdSeconds > 0 and not (closesAt and now >= closesAt) then
  local earliestNew = now + holdSeconds * 1000
  if nextDue < 0 or earliestNew < nextDue then
    nextDue = earliestNew
  end
end
return {released, nextDue}
