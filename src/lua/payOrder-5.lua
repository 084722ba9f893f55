--[[
  Pays a held order: reserved -> paid. Paying and expiring are decided here,
  atomically, so a payment racing its hold's expiry has exactly one winner.

  KEYS[1] sale hash   KEYS[2] buyers hash   KEYS[3] orders hash
  KEYS[4] holds zset  KEYS[5] feed stream

  ARGV[1] orderId
  ARGV[2] actor       the buyer's userId, or "" for an admin
  ARGV[3] now         epoch milliseconds
  ARGV[4] channel     where to announce tickets returned to stock

  Returns:
    {0, orderJson}  paid now
    {1, orderJson}  already paid (paying twice is idempotent)
    {2, orderJson}  expired: the hold ran out (released now if the sweeper had not yet)
    {3, orderJson}  cancelled
    {4}             the actor is not the order's buyer
    {5}             no such order
]]
local o, refusal = orderForActor(KEYS[3], ARGV[1], ARGV[2])
if not o then
  return refusal
end
local now = tonumber(ARGV[3])
if o.state == 'paid' then
  return {1, orderJson(o)}
end
if o.state == 'cancelled' then
  return {3, orderJson(o)}
end
if isOverdue(o, now) then
  return {2, expireNow(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], o, now, ARGV[4])}
end
if o.state == 'expired' then
  return {2, orderJson(o)}
end
redis.call('ZREM', KEYS[4], o.orderId)
redis.call('HINCRBY', KEYS[1], 'paid', 1)
return {0, transition(KEYS[3], KEYS[5], o, 'paid', now)}
