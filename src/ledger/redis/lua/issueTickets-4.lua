--[[
  Records up to `limit` due tickets as issued, each once, with a ticket_issued
  feed event. SPOP and the issued hash's HSETNX happen in this one step, so
  two issuers running at once (two boxes) never issue one ticket twice, and a
  ticket popped here is recorded here: none is lost between the two.

  KEYS[1] orders hash        orderId -> order JSON
  KEYS[2] tickets-due set    orderIds whose ticket is due
  KEYS[3] tickets-issued hash orderId -> when the issuer recorded it (epoch ms)
  KEYS[4] feed stream

  ARGV[1] now     epoch milliseconds
  ARGV[2] limit   most tickets recorded by this call

  Returns the number of tickets recorded issued.
]]
--- @include "includes/orders"
local now = tonumber(ARGV[1])
local ids = redis.call('SPOP', KEYS[2], tonumber(ARGV[2]))
local issued = 0
for _, orderId in ipairs(ids) do
  local o = readOrder(KEYS[1], orderId)
  -- An order no longer paid (a future refund) gets no ticket; one already recorded is not recorded twice.
  if o and o.state == 'paid' and redis.call('HSETNX', KEYS[3], orderId, string.format('%d', now)) == 1 then
    appendTicketFeed(KEYS[4], 'ticket_issued', o, now, nil)
    issued = issued + 1
  end
end
return issued
