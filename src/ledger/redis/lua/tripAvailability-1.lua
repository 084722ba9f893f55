--[[
  Seats free on every segment of a trip, exactly (the seats whose bits are
  clear on all of them), not the minimum over segments, which overstates.

  KEYS[1] sale hash of a train (segment bitmaps derived from it; see includes/trains)
  ARGV[1] from   ARGV[2] to   station indexes
  ARGV[3] now    epoch ms: quotas closed to the trip then are left out

  Returns the count, or -1 for no such train or a bad route.
]]
--- @include "includes/trains"
local fields = redis.call('HMGET', KEYS[1], 'seats', 'segments', 'quotas')
if not fields[1] then
  return -1
end
local from = tonumber(ARGV[1])
local to = tonumber(ARGV[2])
if not from or not to or from < 0 or to > tonumber(fields[2]) or from >= to then
  return -1
end
local keys, offset = segmentKeysFor(KEYS[1], from, to - 1)
local taken = takenForTrip(KEYS[1], keys, offset, from, to)
closeQuotas(KEYS[1], taken, fields[3], from, to, tonumber(ARGV[3]))
return freeSeats(KEYS[1], taken, tonumber(fields[1]))
