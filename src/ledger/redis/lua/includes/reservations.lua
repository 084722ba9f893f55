--[[
  The steps a sale's reservation (reserveTicket) and a train's (reserveTrip)
  share, and only they include: both take the same first seven keys, which
  these functions read from KEYS directly: KEYS[1] sale hash, KEYS[2] buyers,
  KEYS[3] orders, KEYS[4] requests, KEYS[5] holds, KEYS[6] feed, KEYS[7]
  tickets due.
]]
--- @include "includes/orders"

-- A retry of a request that already succeeded gets the same order back,
-- whatever happened to the sale since: that reply, or nil for a new request.
local function replayOf(userId, requestKey)
  local earlier = redis.call('HGET', KEYS[4], requestKey)
  if not earlier then
    return nil
  end
  local order = readOrder(KEYS[3], earlier)
  if order.userId ~= userId then
    return {'key_reused'}
  end
  return {'replayed', orderJson(order)}
end

-- The refusal of a request outside the sale's window, or nil inside it.
-- Closed wins over not-open, as in src/ledger/sale-rules.ts.
local function outsideWindow(opensAtField, closesAtField, now)
  local closesAt = tonumber(closesAtField)
  if closesAt and now >= closesAt then
    return {'closed', closesAt}
  end
  local opensAt = tonumber(opensAtField)
  if opensAt and now < opensAt then
    return {'not_open', opensAt}
  end
  return nil
end

-- The refusal of a buyer who already holds perUserLimit tickets, or nil.
local function overLimit(userId, perUserLimitField)
  local perUserLimit = tonumber(perUserLimitField)
  if tonumber(redis.call('HGET', KEYS[2], userId) or '0') >= perUserLimit then
    return {'limit_reached', perUserLimit}
  end
  return nil
end

-- The earliest pending hold's expiresAt (when a refused buyer may find stock), 0 when none.
local function nextReleaseAt()
  local first = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
  return tonumber(first[2] or '0')
end

-- Records a new order: held until expiresAt, or with no hold paid at once
-- with its ticket due in the same step that sold it; then the sale's sold
-- count, the buyer's, the order, its request and its feed entry. Returns
-- the order's JSON and the sale's new sold count.
local function recordNewOrder(order, holdSeconds, requestKey, now)
  if holdSeconds > 0 then
    order.state = 'reserved'
    order.expiresAt = now + holdSeconds * 1000
    redis.call('ZADD', KEYS[5], order.expiresAt, order.orderId)
  else
    order.state = 'paid'
    redis.call('HINCRBY', KEYS[1], 'paid', 1)
    redis.call('SADD', KEYS[7], order.orderId)
  end
  local json = orderJson(order)
  local sold = redis.call('HINCRBY', KEYS[1], 'sold', 1)
  redis.call('HINCRBY', KEYS[2], order.userId, 1)
  redis.call('HSET', KEYS[3], order.orderId, json)
  redis.call('HSET', KEYS[4], requestKey, order.orderId)
  appendFeed(KEYS[6], order)
  return json, sold
end
