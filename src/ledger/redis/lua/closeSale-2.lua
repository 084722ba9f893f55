--[[
  Closes a sale now: closesAt becomes now, so every purchase from here on is
  refused by reserveTicket, atomically. Closing a closed sale changes nothing.

  KEYS[1] sale hash   KEYS[2] feed stream

  ARGV[1] now         epoch milliseconds
  ARGV[2] channel     where to announce that the sale changed

  Returns {outcome, ...fields}, the `closeSale` table of src/ledger/outcomes.ts:
    {'closed', saleJson}           closed now, in the feed, announced
    {'already_closed', saleJson}   its closesAt had already passed
    {'not_found'}                  no such sale
]]
--- @include "includes/sales"
local now = tonumber(ARGV[1])
local f = redis.call('HMGET', KEYS[1], 'id', 'closesAt')
if not f[1] then
  return {'not_found'}
end
local closesAt = tonumber(f[2])
if closesAt and closesAt <= now then
  return {'already_closed', saleJson(KEYS[1])}
end
redis.call('HSET', KEYS[1], 'closesAt', ARGV[1])
appendSaleFeed(KEYS[2], 'closed', '{"closesAt":' .. string.format('%d', now) .. '}', now)
redis.call('PUBLISH', ARGV[2], f[1])
return {'closed', saleJson(KEYS[1])}
