--[[
  A held order going back on sale, for the scripts that release one (cancel,
  expiry, and pay or cancel finding the hold overdue). Apart from orders.lua
  because a train order's release frees its seat (includes/trains), and
  every function a script includes is defined again on each of its calls
  (about 0.15 us each, measured): the reservation scripts, the hot path,
  include only what they call.
]]
--- @include "includes/orders"
--- @include "includes/trains"

-- A held ticket goes back on sale: stock, the buyer's count, the hold index
-- (and a train order's seat, announced on the stock channel's ":seats" twin).
local function release(saleKey, buyersKey, holdsKey, o, channel)
  redis.call('HINCRBY', saleKey, 'sold', -1)
  if redis.call('HINCRBY', buyersKey, o.userId, -1) <= 0 then
    redis.call('HDEL', buyersKey, o.userId)
  end
  redis.call('ZREM', holdsKey, o.orderId)
  freeTrip(saleKey, o, channel)
end

-- Releases an overdue hold as expired and tells the workers; returns the order JSON.
local function expireNow(saleKey, buyersKey, ordersKey, holdsKey, feedKey, o, now, channel)
  release(saleKey, buyersKey, holdsKey, o, channel)
  local json = transition(ordersKey, feedKey, o, 'expired', now)
  redis.call('PUBLISH', channel, o.saleId)
  return json
end
