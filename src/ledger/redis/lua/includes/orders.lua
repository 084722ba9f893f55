--[[
  Shared by the order scripts, which name it with `--- @include
  "includes/orders"` (BullMQ's convention; src/ledger/redis/scripts.ts puts it
  in front of them). Orders are JSON in the sale's orders hash; every state
  change is appended to the sale's feed stream in the same script, so the
  feed can never disagree with the orders.
]]
--- @include "includes/feed"
local function orderJson(o)
  return '{"orderId":"' .. o.orderId .. '","saleId":"' .. o.saleId .. '","userId":"' .. o.userId ..
    '","state":"' .. o.state .. '","createdAt":' .. string.format('%d', o.createdAt) ..
    ',"expiresAt":' .. (o.expiresAt and string.format('%d', o.expiresAt) or 'null') ..
    ',"updatedAt":' .. string.format('%d', o.updatedAt) ..
    (o.trip and (',"trip":{"from":' .. o.trip.from .. ',"to":' .. o.trip.to .. ',"seat":' .. o.trip.seat .. '}') or '') .. '}'
end

local function readOrder(ordersKey, orderId)
  local json = redis.call('HGET', ordersKey, orderId)
  if not json then
    return nil
  end
  local o = cjson.decode(json)
  if o.expiresAt == cjson.null then
    o.expiresAt = nil
  end
  return o
end

local function appendFeed(feedKey, o)
  feedAdd(feedKey, 'orderId', o.orderId, 'userId', o.userId, 'state', o.state, 'at', string.format('%d', o.updatedAt))
end

-- A ticket event in the feed (ticket_issued, checked_in), named in its `ticket` field.
local function appendTicketFeed(feedKey, kind, o, at, gate)
  if gate then
    feedAdd(feedKey, 'ticket', kind, 'orderId', o.orderId, 'userId', o.userId, 'at', string.format('%d', at), 'gate', gate)
  else
    feedAdd(feedKey, 'ticket', kind, 'orderId', o.orderId, 'userId', o.userId, 'at', string.format('%d', at))
  end
end

local function transition(ordersKey, feedKey, o, state, now)
  o.state = state
  o.updatedAt = now
  local json = orderJson(o)
  redis.call('HSET', ordersKey, o.orderId, json)
  appendFeed(feedKey, o)
  return json
end

local function isOverdue(o, now)
  return o.state == 'reserved' and o.expiresAt ~= nil and now >= o.expiresAt
end

-- The order an actor may act on, or the reply to give instead: {'not_found'}
-- when there is no such order, {'forbidden'} when it is another buyer's ("" is an admin).
local function orderForActor(ordersKey, orderId, actor)
  local o = readOrder(ordersKey, orderId)
  if not o then
    return nil, {'not_found'}
  end
  if actor ~= '' and actor ~= o.userId then
    return nil, {'forbidden'}
  end
  return o
end
