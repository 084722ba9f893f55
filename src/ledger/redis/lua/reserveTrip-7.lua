--[[
  Reserves one seat of a train for a trip, atomically: a sale's checks, then
  a seat free on every segment of the trip, taken on each of them.

  KEYS[1] sale hash      {id,...,seats,segments,seatChoice}: a train (see includes/trains)
  KEYS[2] buyers hash    userId -> tickets held
  KEYS[3] orders hash    orderId -> order JSON, with "trip":{from,to,seat}
  KEYS[4] requests hash  requestKey -> orderId
  KEYS[5] holds zset     orderId scored by expiresAt
  KEYS[6] feed stream    one entry per order state change
  KEYS[7] tickets-due set  orderIds paid whose ticket the issuer has not yet recorded
  (the full mask and scratch keys are derived from KEYS[1]; see includes/trains)

  ARGV[1] userId   ARGV[2] requestKey   ARGV[3] orderId   ARGV[4] now
  ARGV[5] from     ARGV[6] to           station indexes; the trip covers segments from..to-1
  ARGV[7..]  the segment bitmaps' keys, for segments max(from-1, 0) .. to (the neighbours
             are best-fit's; segment `to` is named even past the last one, and then unused),
             named as includes/trains names them (tripSegmentKeys in keys.ts). They share
             the sale's hash tag, so a Redis Cluster routes the call by KEYS[1] alone.

  Returns {outcome, ...fields}, the `reserveTrip` table of src/ledger/outcomes.ts:
    {'reserved', orderJson, available, full}   available: seats still free for this trip; full: when
                                         none is, the trip's segments this seat filled (bits as below)
    {'replayed', orderJson}
    {'bad_route'}                        not 0 <= from < to <= segments
    {'sold_out', from, to, nextReleaseAt, full}   full: the trip's segments with no seat free, as bits
                                         (bit i: segment from + i); 0 is a refusal by fragmentation,
                                         or by a quota closed to the trip
    {'limit_reached', perUserLimit}
    {'not_found'}                        no such train (or a sale that is not a train)
    {'not_open', opensAt}   {'closed', closesAt}   {'key_reused'}
]]
--- @include "includes/reservations"
--- @include "includes/trains"
local sale = KEYS[1]
local userId = ARGV[1]
local requestKey = ARGV[2]
local now = tonumber(ARGV[4])
local from = tonumber(ARGV[5])
local to = tonumber(ARGV[6])

local fields = redis.call('HMGET', sale, 'seats', 'segments', 'seatChoice', 'perUserLimit', 'opensAt', 'closesAt', 'holdSeconds', 'id', 'quotas', 'segmentsFull')
if not fields[1] then
  return {'not_found'}
end
local seats = tonumber(fields[1])
local segments = tonumber(fields[2])
if not from or not to or from < 0 or to > segments or from >= to then
  return {'bad_route'}
end
local lo = from > 0 and from - 1 or 0
if #ARGV ~= 6 + to - lo + 1 then
  return redis.error_reply('reserveTrip: expected the keys of segments ' .. lo .. '..' .. to .. ' after ARGV[6]')
end
local offset = 7 - lo

local refusal = replayOf(userId, requestKey) or outsideWindow(fields[5], fields[6], now)
if refusal then
  return refusal
end

local function soldOut(full)
  return {'sold_out', from, to, nextReleaseAt(), full}
end
-- Once some segment is full, a trip over one is refused from the full mask
-- alone (most answers of a flood's end); before that (the selling phase) the
-- mask is not read at all.
if tonumber(fields[10] or '0') > 0 then
  local full = fullSegments(sale, from, to)
  if full > 0 then
    return soldOut(full)
  end
end
local taken = takenForTrip(sale, ARGV, offset, from, to)
closeQuotas(sale, taken, fields[9], from, to, now)
local seat = chooseSeat(sale, taken, ARGV, offset, from, to, segments, seats, fields[3])
if seat < 0 then
  -- No segment of the trip is full: a refusal by fragmentation or by a closed quota.
  return soldOut(0)
end
refusal = overLimit(userId, fields[4])
if refusal then
  return refusal
end
local available = freeSeats(sale, taken, seats) - 1
markSeat(ARGV, offset, from, to, seat, 1)

local order = { orderId = ARGV[3], saleId = fields[8], userId = userId, createdAt = now, updatedAt = now, trip = { from = from, to = to, seat = seat } }
local json = recordNewOrder(order, tonumber(fields[7]), requestKey, now)
-- Only a trip left with no seat can have filled a segment; the count is skipped otherwise.
return {'reserved', json, available, available == 0 and markFilled(sale, ARGV, offset, from, to, seats) or 0}
