--[[
  Shared by the train scripts and by includes/orders (whose release frees a
  train order's seat): where a train's seat bitmaps live and how a trip's
  seat is taken and given back.

  A train is a sale whose hash has `seats` and `segments`. Segment s has one
  bitmap, <sale hash key>:seg:<s>, one bit per seat (1 = taken). The bits past
  the last seat up to the byte boundary are set at creation and never
  cleared, so BITOP NOT and BITPOS never offer a seat that does not exist.
  <sale hash key>:full has bit s set while segment s has no seat free: a
  refused trip (most answers in a flood) is then one BITFIELD read, not an
  OR over its segments. Only a reservation that takes a trip's last seat can
  fill a segment, and any release empties one, so it is kept exactly.
  The keys are derived here from the sale hash's name, not passed in: a
  cancel or an expiry learns the trip's segments only from the order. They
  share the sale's hash tag, so a Redis Cluster keeps them on its shard.
]]
local function segmentKey(saleKey, s)
  return saleKey .. ':seg:' .. s
end

-- Scratch keys for BITOP results. Every script writes one before it reads it, so
-- they are left in place (deleting them would cost two calls per reservation);
-- deleteSale removes them with the train.
local function scratchKey(saleKey, name)
  return saleKey .. ':scratch:' .. name
end

local function fullKey(saleKey)
  return saleKey .. ':full'
end

-- Quota i's seats as a bitmap, set at creation (see closeQuotas).
local function quotaKey(saleKey, i)
  return saleKey .. ':quota:' .. i
end

-- Every key a train has beside the sale's own (segments, the full mask, quotas,
-- scratch), read from the sale hash: for deleteSale and retireSale, which must
-- call this before they remove the hash. None for a sale of one pool.
local function trainKeys(saleKey)
  local keys = {}
  local segments = tonumber(redis.call('HGET', saleKey, 'segments') or '0')
  if segments == 0 then
    return keys
  end
  for s = 0, segments - 1 do
    keys[#keys + 1] = segmentKey(saleKey, s)
  end
  local quotas = redis.call('HGET', saleKey, 'quotas')
  if quotas then
    for i = 1, #cjson.decode(quotas) do
      keys[#keys + 1] = quotaKey(saleKey, i)
    end
  end
  keys[#keys + 1] = fullKey(saleKey)
  for _, name in ipairs({'taken', 'free', 'fit'}) do
    keys[#keys + 1] = scratchKey(saleKey, name)
  end
  return keys
end

local function paddingBits(seats)
  return (8 - seats % 8) % 8
end

-- Sets bit `seat` to `bit` on segments from..to-1 of the trip.
local function markSeat(saleKey, from, to, seat, bit)
  for s = from, to - 1 do
    redis.call('SETBIT', segmentKey(saleKey, s), seat, bit)
  end
end

-- A train order going back on sale frees exactly its seat's segments; none of
-- them is full any more. The workers hear the range on <stock channel>:seats
-- ("<trainId> <from> <to>", see seatsReleasedChannel in keys.ts) and forget
-- only the sold-out marks it overlaps.
local function freeTrip(saleKey, o, channel)
  if o.trip then
    markSeat(saleKey, o.trip.from, o.trip.to, o.trip.seat, 0)
    local full = fullKey(saleKey)
    for s = o.trip.from, o.trip.to - 1 do
      redis.call('SETBIT', full, s, 0)
    end
    if channel then
      redis.call('PUBLISH', channel .. ':seats', o.saleId .. ' ' .. o.trip.from .. ' ' .. o.trip.to)
    end
  end
end

-- The trip's taken seats (OR of its segments) into the scratch key `taken`; returns that key.
local function takenForTrip(saleKey, from, to)
  local taken = scratchKey(saleKey, 'taken')
  local segments = {}
  for s = from, to - 1 do
    segments[#segments + 1] = segmentKey(saleKey, s)
  end
  redis.call('BITOP', 'OR', taken, unpack(segments))
  return taken
end

--[[
  Quotas: the hash field `quotas` holds {{minSegments, releaseAt}, ...} as JSON,
  quota i's seats in quotaKey(i). A quota is closed to a trip shorter than its
  minSegments until its releaseAt: its seats are ORed into the trip's taken
  seats, so the seat choice and the free count leave them out.
]]
local function closeQuotas(saleKey, taken, quotasJson, from, to, now)
  if not quotasJson then
    return
  end
  for i, q in ipairs(cjson.decode(quotasJson)) do
    if to - from < q[1] and now < q[2] then
      redis.call('BITOP', 'OR', taken, taken, quotaKey(saleKey, i))
    end
  end
end

-- Free seats for the trip: seats minus the set bits that are real seats.
local function freeSeats(saleKey, taken, seats)
  return seats - (redis.call('BITCOUNT', taken) - paddingBits(seats))
end

--[[
  A free seat for the trip, or -1. first-fit: the lowest free seat.
  best-fit: a free seat whose neighbouring segments (before `from`, at `to`)
  are both taken, else one with either taken, else the lowest free: a trip
  that fills a gap exactly keeps long runs of free segments for long trips.
  The train's ends count as taken.
]]
local function chooseSeat(saleKey, taken, from, to, segments, seats, strategy)
  local lowest = redis.call('BITPOS', taken, 0)
  if lowest < 0 or lowest >= seats then
    return -1
  end
  if strategy == 'best-fit' and (from > 0 or to < segments) then
    local free = scratchKey(saleKey, 'free')
    local fit = scratchKey(saleKey, 'fit')
    redis.call('BITOP', 'NOT', free, taken)
    local before = from > 0 and segmentKey(saleKey, from - 1) or nil
    local after = to < segments and segmentKey(saleKey, to) or nil
    -- Both neighbours taken (one, where the other is the train's end).
    if before and after then
      redis.call('BITOP', 'AND', fit, free, before, after)
    else
      redis.call('BITOP', 'AND', fit, free, before or after)
    end
    local seat = redis.call('BITPOS', fit, 1)
    if before and after and (seat < 0 or seat >= seats) then
      redis.call('BITOP', 'OR', fit, before, after)
      redis.call('BITOP', 'AND', fit, fit, free)
      seat = redis.call('BITPOS', fit, 1)
    end
    if seat >= 0 and seat < seats then
      return seat
    end
  end
  return lowest
end

-- The trip's segments with every seat taken, as bits (bit i: segment from + i),
-- read from the full bitmap in one call (BITFIELD reads bit `from` as the
-- most significant), so a worker refused a trip learns which segments to stop selling.
local function fullSegments(saleKey, from, to)
  local n = to - from
  local word = redis.call('BITFIELD', fullKey(saleKey), 'GET', 'u' .. n, from)[1]
  local mask = 0
  for i = n - 1, 0, -1 do
    if word % 2 == 1 then
      mask = mask + 2 ^ i
    end
    word = math.floor(word / 2)
  end
  return mask
end

-- After taking a trip's last seat: marks the segments of the trip it filled, and returns them as bits.
local function markFilled(saleKey, from, to, seats)
  local mask = 0
  for s = from, to - 1 do
    if redis.call('BITCOUNT', segmentKey(saleKey, s)) - paddingBits(seats) >= seats then
      redis.call('SETBIT', fullKey(saleKey), s, 1)
      mask = mask + 2 ^ (s - from)
    end
  end
  return mask
end
