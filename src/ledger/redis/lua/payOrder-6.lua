--[[
  Pays a held order: reserved -> paid. Paying and expiring are decided here,
  atomically, so a payment racing its hold's expiry has exactly one winner.

  KEYS[1] sale hash   KEYS[2] buyers hash   KEYS[3] orders hash
  KEYS[4] holds zset  KEYS[5] feed stream
  KEYS[6] tickets-due set  (a paid order's ticket becomes due here, atomically with the payment)

  ARGV[1] orderId
  ARGV[2] actor       the buyer's userId, or "" for an admin
  ARGV[3] now         epoch milliseconds
  ARGV[4] channel     where to announce tickets returned to stock

  Returns {outcome, ...fields}, the `pay` table of src/ledger/outcomes.ts:
    {'paid', orderJson}          paid now
    {'already_paid', orderJson}  paying twice is idempotent
    {'expired', orderJson}       the hold ran out (released now if the sweeper had not yet)
    {'cancelled', orderJson}
    {'forbidden'}                the actor is not the order's buyer
    {'not_found'}                no such order
]]
--- @include "includes/release"
local o, refusal = orderForActor(KEYS[3], ARGV[1], ARGV[2])
if not o then
  return refusal
end
local now = tonumber(ARGV[3])
if o.state == 'paid' then
  return {'already_paid', orderJson(o)}
end
if o.state == 'cancelled' then
  return {'cancelled', orderJson(o)}
end
if isOverdue(o, now) then
  return {'expired', expireNow(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], o, now, ARGV[4])}
end
if o.state == 'expired' then
  return {'expired', orderJson(o)}
end
redis.call('ZREM', KEYS[4], o.orderId)
redis.call('HINCRBY', KEYS[1], 'paid', 1)
redis.call('SADD', KEYS[6], o.orderId)
return {'paid', transition(KEYS[3], KEYS[5], o, 'paid', now)}
