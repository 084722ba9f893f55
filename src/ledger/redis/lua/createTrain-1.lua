--[[
  Creates a train unless a sale or train with the same id exists: the sale
  hash with its layout, and one bitmap per segment, all seats free, the bits
  past the last seat set for good (see includes/trains).

  KEYS[1] sale hash
  ARGV[1] seats   ARGV[2] segments
  ARGV[3] quota seat ranges as JSON, {{firstSeat, seats}, ...} ("[]" for none): quota i's bitmap
  ARGV[4..] field, value, ... (the sale's fields, stations as JSON, seats, segments, seatChoice, quotas)

  Returns 1 created, 0 the id is taken (nothing changed).
]]
--- @include "includes/trains"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local seats = tonumber(ARGV[1])
local segments = tonumber(ARGV[2])
local fields = {}
for i = 4, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('HSET', KEYS[1], 'sold', 0, 'paid', 0, unpack(fields))
local bytes = math.floor((seats + 7) / 8)
for s = 0, segments - 1 do
  local key = segmentKey(KEYS[1], s)
  redis.call('DEL', key)
  redis.call('SETBIT', key, bytes * 8 - 1, 0)
  for bit = seats, bytes * 8 - 1 do
    redis.call('SETBIT', key, bit, 1)
  end
end
for i, range in ipairs(cjson.decode(ARGV[3])) do
  local key = quotaKey(KEYS[1], i)
  redis.call('DEL', key)
  for seat = range[1], range[1] + range[2] - 1 do
    redis.call('SETBIT', key, seat, 1)
  end
end
return 1
