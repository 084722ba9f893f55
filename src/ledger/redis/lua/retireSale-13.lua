--[[
  Removes a finished sale from the ledger once its orders are archived
  (SALE_RETENTION_DAYS; src/retention/). Only if the sale closed at or before
  closedBefore, and only if nothing happened to it since the archive was read:
  every change to an order (paid, cancelled, expired, ticket issued, checked
  in) appends to the feed, so an unchanged last feed id means the archive
  holds the sale as it is. UNLINK frees the keys off Redis's main thread.
  The sale index and the holds-due index live on other shards in a Redis
  Cluster, so the caller removes the id from them after this script.

  KEYS[1] sale hash   KEYS[2] buyers hash   KEYS[3] orders hash
  KEYS[4] requests hash   KEYS[5] holds zset   KEYS[6] feed stream
  KEYS[7] queue members hash   KEYS[8] admit log   KEYS[9] spent passes zset
  KEYS[10] cancels hash   KEYS[11] tickets due   KEYS[12] tickets issued
  KEYS[13] check-ins

  ARGV[1] feedMark      the feed's last entry id when the archive was read ("" for an empty feed)
  ARGV[2] closedBefore  epoch ms: the sale must have closed at or before this
  ARGV[3] channel       where to announce that the sale changed

  Returns {outcome, ...fields}, the `retireSale` table of src/ledger/outcomes.ts:
    {'retired', orders}   removed, with this many orders
    {'changed'}           the feed moved on since the archive was read; nothing changed
    {'not_due'}           the sale is open, or closed after closedBefore; nothing changed
    {'not_found'}         no such sale
]]
--- @include "includes/trains"
local f = redis.call('HMGET', KEYS[1], 'id', 'closesAt')
if not f[1] then
  return {'not_found'}
end
local closesAt = tonumber(f[2])
if not closesAt or closesAt > tonumber(ARGV[2]) then
  return {'not_due'}
end
local last = redis.call('XREVRANGE', KEYS[6], '+', '-', 'COUNT', 1)
local mark = last[1] and last[1][1] or ''
if mark ~= ARGV[1] then
  return {'changed'}
end
local orders = redis.call('HLEN', KEYS[3])
-- A train's seat bitmaps go with it (read from the sale hash, so first).
local extra = trainKeys(KEYS[1])
if #extra > 0 then
  redis.call('UNLINK', unpack(extra))
end
redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13])
redis.call('PUBLISH', ARGV[3], f[1])
return {'retired', orders}
