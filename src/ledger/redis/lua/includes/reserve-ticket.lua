--[[
  One ticket reserved, atomically: the whole check-and-take of one order,
  shared by reserveTickets-8.lua, which runs it once per order of a batch.
  Reads KEYS[1] (sale hash) and KEYS[8] (spent passes) directly, and the
  other keys through includes/reservations. Its outcomes are listed in
  reserveTickets-8.lua.
]]
--- @include "includes/reservations"

-- now: epoch ms (a number); passPlace and passExpiresAt: "" when no pass was sent.
local function reserveTicket(userId, requestKey, orderId, now, passPlace, passExpiresAt)
  local sale = KEYS[1]

  local fields = redis.call('HMGET', sale, 'total', 'sold', 'perUserLimit', 'opensAt', 'closesAt', 'holdSeconds', 'id', 'admission', 'seats')
  if not fields[1] or fields[9] then
    return {'not_found'}
  end

  local refusal = replayOf(userId, requestKey) or outsideWindow(fields[4], fields[5], now)
  if refusal then
    return refusal
  end

  -- A queue sale sells only to pass holders; the pass is spent in this same
  -- step as the reservation, so one pass buys once across workers and boxes.
  if fields[8] then
    if passPlace == '' then
      return {'pass_required'}
    end
    if now >= tonumber(passExpiresAt) then
      return {'pass_expired'}
    end
    if redis.call('ZSCORE', KEYS[8], passPlace) then
      return {'pass_used'}
    end
  end

  local total = tonumber(fields[1])
  local sold = tonumber(fields[2])
  -- The seed checked total >= sold and so sold total + 1; strictly less is right.
  -- >=, not ==: an operator may lower total down to sold, never below, but be safe.
  if sold >= total then
    return {'sold_out', total, nextReleaseAt()}
  end

  refusal = overLimit(userId, fields[3])
  if refusal then
    return refusal
  end

  local order = { orderId = orderId, saleId = fields[7], userId = userId, createdAt = now, updatedAt = now }
  local json
  json, sold = recordNewOrder(order, tonumber(fields[6]), requestKey, now)
  if fields[8] then
    redis.call('ZADD', KEYS[8], passPlace, passPlace)
  end
  -- The last ticket: the worker that sold it turns the next buyers away itself,
  -- and tells them when a hold may bring one back.
  return {'reserved', json, sold, total, sold >= total and nextReleaseAt() or 0}
end
