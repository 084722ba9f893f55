--[[
  Audits a train's seats in one atomic step: for every segment, the seats
  whose bit is set against the live (reserved or paid) orders covering it,
  and every live order's seat checked taken on each of its segments and
  held by no other live order, and the full bitmap (and its count in the sale
  hash) checked against the counts. O(orders x segments): for audits and
  benchmarks, never the purchase path.

  KEYS[1] sale hash of a train   KEYS[2] orders hash

  Returns {} when there is no such train, else
    {seats, mismatched, taken_0, covering_0, taken_1, covering_1, ...}
]]
--- @include "includes/trains"
local fields = redis.call('HMGET', KEYS[1], 'seats', 'segments', 'segmentsFull')
if not fields[1] then
  return {}
end
local seats = tonumber(fields[1])
local segments = tonumber(fields[2])
local covering = {}
local holder = {}
for s = 0, segments - 1 do
  covering[s] = 0
  holder[s] = {}
end
local mismatched = 0
local bad = {}
for _, json in ipairs(redis.call('HVALS', KEYS[2])) do
  local o = cjson.decode(json)
  if o.trip and (o.state == 'reserved' or o.state == 'paid') then
    for s = o.trip.from, o.trip.to - 1 do
      covering[s] = covering[s] + 1
      if holder[s][o.trip.seat] or redis.call('GETBIT', segmentKey(KEYS[1], s), o.trip.seat) == 0 then
        bad[s] = true
      end
      holder[s][o.trip.seat] = true
    end
  end
end
local reply = {seats, 0}
local fullCount = 0
for s = 0, segments - 1 do
  local taken = redis.call('BITCOUNT', segmentKey(KEYS[1], s)) - paddingBits(seats)
  -- The full bitmap must say exactly which segments have no seat free.
  local markedFull = redis.call('GETBIT', fullKey(KEYS[1]), s) == 1
  if taken ~= covering[s] or bad[s] or markedFull ~= (taken >= seats) then
    mismatched = mismatched + 1
  end
  if markedFull then
    fullCount = fullCount + 1
  end
  reply[#reply + 1] = taken
  reply[#reply + 1] = covering[s]
end
-- The sale hash counts the full segments (reserveTrip reads it to skip the mask); a wrong count is one more mismatch.
if fullCount ~= tonumber(fields[3] or '0') then
  mismatched = mismatched + 1
end
reply[2] = mismatched
return reply
