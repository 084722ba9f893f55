--[[
  Cancels a held order: reserved -> cancelled, and its ticket goes back on sale.

  KEYS[1] sale hash   KEYS[2] buyers hash   KEYS[3] orders hash
  KEYS[4] holds zset  KEYS[5] feed stream
  KEYS[6] cancels hash   userId -> orders the buyer cancelled themself

  ARGV[1] orderId
  ARGV[2] actor       the buyer's userId, or "" for an admin
  ARGV[3] now         epoch milliseconds
  ARGV[4] channel     where to announce tickets returned to stock
  ARGV[5] the maxCancelsPerBuyer of a sale created before the field existed

  Returns {outcome, ...fields}, the `cancel` table of src/ledger/outcomes.ts:
    {'cancelled', orderJson}          cancelled now
    {'already_cancelled', orderJson}  cancelling twice is idempotent
    {'paid', orderJson}               a paid order is not cancelled here
    {'expired', orderJson}            the hold ran out (released now if the sweeper had not yet)
    {'too_many_cancellations', orderJson, max}
                                      the buyer already cancelled the sale's maxCancelsPerBuyer
                                      orders; the order stays held (an admin's cancel is not capped)
    {'forbidden'}                     the actor is not the order's buyer
    {'not_found'}                     no such order
]]
--- @include "includes/release"
local o, refusal = orderForActor(KEYS[3], ARGV[1], ARGV[2])
if not o then
  return refusal
end
local now = tonumber(ARGV[3])
if o.state == 'cancelled' then
  return {'already_cancelled', orderJson(o)}
end
if o.state == 'paid' then
  return {'paid', orderJson(o)}
end
if o.state == 'expired' then
  return {'expired', orderJson(o)}
end
if isOverdue(o, now) then
  return {'expired', expireNow(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], o, now, ARGV[4])}
end
-- A buyer's own cancellations are capped per sale: buy-cancel loops grew the ledger without bound.
if ARGV[2] ~= '' then
  local max = tonumber(redis.call('HGET', KEYS[1], 'maxCancelsPerBuyer') or ARGV[5])
  if tonumber(redis.call('HGET', KEYS[6], o.userId) or '0') >= max then
    return {'too_many_cancellations', orderJson(o), max}
  end
  redis.call('HINCRBY', KEYS[6], o.userId, 1)
end
release(KEYS[1], KEYS[2], KEYS[4], o, ARGV[4])
local json = transition(KEYS[3], KEYS[5], o, 'cancelled', now)
redis.call('PUBLISH', ARGV[4], o.saleId)
return {'cancelled', json}
