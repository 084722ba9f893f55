--[[
  Shared by the sale scripts (`--- @include "includes/sales"`): a sale hash
  as the JSON of src/ledger/types.ts's Sale, so a script can answer with the
  sale as it left it, in the same atomic step.
]]
--- @include "includes/feed"
local function saleInt(value)
  return string.format('%d', tonumber(value) or 0)
end

local function saleTime(value)
  local ms = tonumber(value)
  return ms and string.format('%d', ms) or 'null'
end

-- A sale made before maxCancelsPerBuyer existed shows 3, DEFAULT_MAX_CANCELS_PER_BUYER (src/ledger/sale-rules.ts).
local function saleJson(saleKey)
  local f = redis.call('HMGET', saleKey, 'id', 'name', 'total', 'sold', 'paid', 'perUserLimit', 'holdSeconds', 'opensAt', 'closesAt', 'createdAt', 'anonymous', 'maxCancelsPerBuyer')
  return '{"id":' .. cjson.encode(f[1]) .. ',"name":' .. cjson.encode(f[2] or f[1]) ..
    ',"total":' .. saleInt(f[3]) .. ',"sold":' .. saleInt(f[4]) .. ',"paid":' .. saleInt(f[5]) ..
    ',"perUserLimit":' .. saleInt(f[6]) .. ',"holdSeconds":' .. saleInt(f[7]) ..
    ',"opensAt":' .. saleTime(f[8]) .. ',"closesAt":' .. saleTime(f[9]) .. ',"createdAt":' .. saleInt(f[10]) ..
    ',"anonymous":' .. (f[11] == '1' and 'true' or 'false') ..
    ',"maxCancelsPerBuyer":' .. (f[12] and saleInt(f[12]) or '3') .. '}'
end

-- A change to the sale itself, in the sale's feed between its orders' changes.
local function appendSaleFeed(feedKey, change, changesJson, now)
  feedAdd(feedKey, 'change', change, 'changes', changesJson, 'at', string.format('%d', now))
end
