--[[
  One ticket's check-in, atomically, shared by checkInTickets-3.lua, which
  runs it once per check-in of a batch. The ticket's signature was verified
  before the call; this decides only whether the order still stands and
  whether the ticket was used. Its outcomes are listed in checkInTickets-3.lua.
]]
--- @include "includes/orders"

-- now: epoch ms (a number); gate: 1-64 of A-Z a-z 0-9 _ - (no spaces: the record splits on one).
local function checkInTicket(ordersKey, checkinsKey, feedKey, orderId, userId, gate, now)
  local o = readOrder(ordersKey, orderId)
  if not o or o.userId ~= userId then
    return {'unknown'}
  end
  local used = redis.call('HGET', checkinsKey, orderId)
  if used then
    local space = string.find(used, ' ', 1, true)
    return {'already_used', orderJson(o), string.sub(used, 1, space - 1), string.sub(used, space + 1)}
  end
  if o.state ~= 'paid' then
    return {'revoked', orderJson(o)}
  end
  redis.call('HSET', checkinsKey, orderId, string.format('%d', now) .. ' ' .. gate)
  appendTicketFeed(feedKey, 'checked_in', o, now, gate)
  return {'admitted', orderJson(o), now, gate}
end
