--[[
  Audits a sale in one atomic step: its counters next to its orders counted
  by state, and its buyers against the per-user limit. O(orders): for audits
  and benchmarks, never the purchase path.

  KEYS[1] sale hash   KEYS[2] orders hash   KEYS[3] buyers hash

  Returns {} when the sale does not exist, else
    {total, sold, paid, reserved, paidOrders, expired, cancelled, buyers, buyersOverLimit}
]]
local fields = redis.call('HMGET', KEYS[1], 'total', 'sold', 'paid', 'perUserLimit')
if not fields[1] then
  return {}
end
local counts = { reserved = 0, paid = 0, expired = 0, cancelled = 0 }
local orders = redis.call('HVALS', KEYS[2])
for _, json in ipairs(orders) do
  local state = string.match(json, '"state":"(%a+)"')
  counts[state] = (counts[state] or 0) + 1
end
local limit = tonumber(fields[4])
local over = 0
local held = redis.call('HVALS', KEYS[3])
for _, count in ipairs(held) do
  if tonumber(count) > limit then
    over = over + 1
  end
end
return {tonumber(fields[1]), tonumber(fields[2]), tonumber(fields[3] or '0'), counts.reserved, counts.paid, counts.expired, counts.cancelled, #held, over}
