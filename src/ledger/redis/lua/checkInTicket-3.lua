--[[
  Admits a paid order's ticket at a gate, once: the first check-in records
  when and where, every later one is told that. Two gates scanning at the
  same moment are two calls of this script, which Redis runs one at a time.
  The ticket's signature was verified before this call; the ledger decides
  only whether the order still stands and whether the ticket was used.

  KEYS[1] orders hash     orderId -> order JSON
  KEYS[2] check-ins hash  orderId -> "<at> <gate>"
  KEYS[3] feed stream

  ARGV[1] orderId
  ARGV[2] userId   the buyer the ticket names
  ARGV[3] gate     1-64 of A-Z a-z 0-9 _ - (no spaces: the record splits on one)
  ARGV[4] now      epoch milliseconds

  Returns {outcome, ...fields}, the `checkIn` table of src/ledger/outcomes.ts:
    {'admitted', orderJson, at, gate}      admitted now
    {'already_used', orderJson, at, gate}  admitted before, then and there
    {'revoked', orderJson}                 the order is no longer paid
    {'unknown'}                            no such order for that buyer
]]
--- @include "includes/orders"
local o = readOrder(KEYS[1], ARGV[1])
if not o or o.userId ~= ARGV[2] then
  return {'unknown'}
end
local used = redis.call('HGET', KEYS[2], ARGV[1])
if used then
  local space = string.find(used, ' ', 1, true)
  return {'already_used', orderJson(o), string.sub(used, 1, space - 1), string.sub(used, space + 1)}
end
if o.state ~= 'paid' then
  return {'revoked', orderJson(o)}
end
local now = tonumber(ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], string.format('%d', now) .. ' ' .. ARGV[3])
appendTicketFeed(KEYS[3], 'checked_in', o, now, ARGV[3])
return {'admitted', orderJson(o), now, ARGV[3]}
