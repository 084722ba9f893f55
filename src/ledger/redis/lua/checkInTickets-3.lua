--[[
  Admits a batch of one sale's paid tickets at the gates, each once and each
  exactly as if it were alone (includes/check-in): a worker sends the
  check-ins that arrived while its previous call for this sale was in flight
  as one call (src/ledger/redis/script-batcher.ts), as it does reservations.
  The first check-in of a ticket records when and where; every later one,
  in this batch or after it, is told that. Two gates scanning at the same
  moment are two check-ins that Redis runs one after the other.

  KEYS[1] orders hash     orderId -> order JSON
  KEYS[2] check-ins hash  orderId -> "<at> <gate>"
  KEYS[3] feed stream

  ARGV, four per check-in, for each in turn:
    orderId
    userId   the buyer the ticket names
    gate     1-64 of A-Z a-z 0-9 _ - (no spaces: the record splits on one)
    now      epoch milliseconds

  Returns one reply per check-in, in order, each {outcome, ...fields}; the
  `checkIn` table of src/ledger/outcomes.ts:
    {'admitted', orderJson, at, gate}      admitted now
    {'already_used', orderJson, at, gate}  admitted before, then and there
    {'revoked', orderJson}                 the order is no longer paid
    {'unknown'}                            no such order for that buyer
]]
--- @include "includes/check-in"
local replies = {}
for i = 1, #ARGV, 4 do
  replies[#replies + 1] = checkInTicket(KEYS[1], KEYS[2], KEYS[3], ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]))
end
return replies
