--[[
  Changes a sale's settings, atomically with every purchase: a total never
  drops below what is sold, and an opensAt that has passed stays.

  KEYS[1] sale hash   KEYS[2] feed stream

  ARGV[1] now         epoch milliseconds
  ARGV[2] channel     where to announce that the sale changed
  ARGV[3] changes     the changes as JSON, for the feed
  ARGV[4..] field, value, field, value, ... of name, total, perUserLimit,
            holdSeconds, opensAt, closesAt ("" for a time with no bound),
            maxCancelsPerBuyer;
            already validated one by one

  Returns {outcome, ...fields}, the `updateSale` table of src/ledger/outcomes.ts:
    {'updated', saleJson}              changed, in the feed, announced
    {'not_found'}                      no such sale
    {'total_below_sold', sold}         total < sold
    {'already_open', opensAt}          opensAt sent but the sale has opened (opensAt is createdAt for "always")
    {'limit_in_use', perUserLimit}     perUserLimit lowered while tickets are sold
    {'bad_window', opensAt, closesAt}  closesAt <= opensAt once the changes are applied
]]
--- @include "includes/sales"
local sale = KEYS[1]
local now = tonumber(ARGV[1])
local f = redis.call('HMGET', sale, 'id', 'total', 'sold', 'perUserLimit', 'opensAt', 'closesAt', 'createdAt')
if not f[1] then
  return {'not_found'}
end
local sold = tonumber(f[3])
local opensAt = tonumber(f[5])
local closesAt = tonumber(f[6])
local changes = {}
for i = 4, #ARGV, 2 do
  changes[ARGV[i]] = ARGV[i + 1]
end

if changes.total and tonumber(changes.total) < sold then
  return {'total_below_sold', sold}
end
if changes.opensAt then
  if opensAt == nil or now >= opensAt then
    return {'already_open', opensAt or tonumber(f[7])}
  end
  opensAt = tonumber(changes.opensAt)
end
if changes.perUserLimit and tonumber(changes.perUserLimit) < tonumber(f[4]) and sold > 0 then
  return {'limit_in_use', tonumber(f[4])}
end
if changes.closesAt then
  closesAt = tonumber(changes.closesAt)
end
if opensAt and closesAt and closesAt <= opensAt then
  return {'bad_window', opensAt, closesAt}
end

if #ARGV >= 4 then
  redis.call('HSET', sale, unpack(ARGV, 4))
end
appendSaleFeed(KEYS[2], 'updated', ARGV[3], now)
redis.call('PUBLISH', ARGV[2], f[1])
return {'updated', saleJson(sale)}
