--[[
  Deletes a sale that has no order, with every key it has. A sale with any
  order (in any state) is kept: orders are records a buyer may come back to.
  The sale index (<prefix>:sales) lives on another shard in a Redis Cluster,
  so the caller removes the id from it after this script.

  KEYS[1] sale hash   KEYS[2] buyers hash   KEYS[3] orders hash
  KEYS[4] requests hash   KEYS[5] holds zset   KEYS[6] feed stream
  KEYS[7] queue members hash   KEYS[8] admit log   KEYS[9] spent passes zset
  KEYS[10] cancels hash
  (a queue sale's line goes with it; spent proof-of-work challenges expire by themselves;
  a train's segment bitmaps, derived from KEYS[1] as in includes/trains, go too)

  ARGV[1] channel     where to announce that the sale changed

  Returns {outcome, ...fields}, the `deleteSale` table of src/ledger/outcomes.ts:
    {'deleted'}
    {'has_orders', orders}   the sale has this many orders; nothing changed
    {'not_found'}            no such sale
]]
--- @include "includes/trains"
local id = redis.call('HGET', KEYS[1], 'id')
if not id then
  return {'not_found'}
end
local orders = redis.call('HLEN', KEYS[3])
if orders > 0 then
  return {'has_orders', orders}
end
local extra = trainKeys(KEYS[1])
if #extra > 0 then
  redis.call('DEL', unpack(extra))
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10])
redis.call('PUBLISH', ARGV[1], id)
return {'deleted'}
