--[[
  Seats free on each segment of a train, in one read: what a worker's gate
  re-reads when a segment of its allowance runs dry or its sold-out marks
  lapse (one call for every segment, not one per segment).

  KEYS[1] sale hash of a train (segment bitmaps derived from it; see includes/trains)

  Returns {free_0, free_1, ...}, or {} for no such train.
]]
--- @include "includes/trains"
local fields = redis.call('HMGET', KEYS[1], 'seats', 'segments')
if not fields[1] then
  return {}
end
local seats = tonumber(fields[1])
local free = {}
for s = 0, tonumber(fields[2]) - 1 do
  free[#free + 1] = seats - (redis.call('BITCOUNT', segmentKey(KEYS[1], s)) - paddingBits(seats))
end
return free
