--[[
  Shared by the train scripts and by includes/release (which frees a
  train order's seat): where a train's seat bitmaps live and how a trip's
  seat is taken and given back.

  A train is a sale whose hash has `seats` and `segments`. Segment s has one
  bitmap, <sale hash key>:seg:<s>, one bit per seat (1 = taken). The bits past
  the last seat up to the byte boundary are set at creation and never
  cleared, so BITOP NOT and BITPOS never offer a seat that does not exist.
  <sale hash key>:full has bit s set while segment s has no seat free: a
  refusal names its trip's full segments from it in one BITFIELD read, and
  the workers stop selling trips over them. Only a reservation that takes a
  trip's last seat can fill a segment, and any release empties one, so it is
  kept exactly, and so is the sale hash's `segmentsFull`, its count of set
  bits: a reservation reads it with the train's other fields and skips the
  full mask while no segment is full (the whole selling phase).
  The keys are derived from the sale hash's name (a cancel or an expiry
  learns the trip's segments only from the order); only the reservation is
  handed its segment keys ready-made (see segmentKeysFor). They share the
  sale's hash tag, so a Redis Cluster keeps them on its shard.
]]
local function segmentKey(saleKey, s)
  return saleKey .. ':seg:' .. s
end

--[[
  A trip's segment keys are handed around as (keys, offset): keys[s + offset]
  is segment s's bitmap. The reservation, the hot path, takes them from its
  ARGV, built by the caller (tripSegmentKeys in keys.ts), because building
  them here (a number formatted and two strings joined per segment, twice)
  cost more than the bit operations themselves; the other scripts build them
  with segmentKeysFor.
]]
local function segmentKeysFor(saleKey, lo, hi)
  local keys = {}
  for s = lo, hi do
    keys[#keys + 1] = segmentKey(saleKey, s)
  end
  return keys, 1 - lo
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
local function markSeat(keys, offset, from, to, seat, bit)
  -- As strings once: redis.call would format the numbers again for every segment.
  seat, bit = tostring(seat), tostring(bit)
  for i = from + offset, to - 1 + offset do
    redis.call('SETBIT', keys[i], seat, bit)
  end
end

-- A train order going back on sale frees exactly its seat's segments; none of
-- them is full any more. The workers hear the range on <stock channel>:seats
-- ("<trainId> <from> <to>", see seatsReleasedChannel in keys.ts) and forget
-- only the sold-out marks it overlaps.
local function freeTrip(saleKey, o, channel)
  if o.trip then
    local keys, offset = segmentKeysFor(saleKey, o.trip.from, o.trip.to - 1)
    markSeat(keys, offset, o.trip.from, o.trip.to, o.trip.seat, 0)
    local full = fullKey(saleKey)
    local emptied = 0
    for s = o.trip.from, o.trip.to - 1 do
      emptied = emptied + redis.call('SETBIT', full, s, 0)
    end
    if emptied > 0 then
      redis.call('HINCRBY', saleKey, 'segmentsFull', -emptied)
    end
    if channel then
      redis.call('PUBLISH', channel .. ':seats', o.saleId .. ' ' .. o.trip.from .. ' ' .. o.trip.to)
    end
  end
end

-- The trip's taken seats (OR of its segments) into the scratch key `taken`; returns that key.
local function takenForTrip(saleKey, keys, offset, from, to)
  local taken = scratchKey(saleKey, 'taken')
  redis.call('BITOP', 'OR', taken, unpack(keys, from + offset, to - 1 + offset))
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
  are both taken (the train's ends count as taken), else the lowest free: a
  trip that fills a gap exactly keeps long runs of free segments for long
  trips. An earlier version also tried "either neighbour taken" before the
  lowest; it cost three more calls on most reservations (early in a sale
  no seat has both neighbours taken) and sold no more seat-km in the bench.
  keys/offset must hold segments from-1 and to where they exist.
]]
local function chooseSeat(saleKey, taken, keys, offset, from, to, segments, seats, strategy)
  local lowest = redis.call('BITPOS', taken, 0)
  if lowest < 0 or lowest >= seats then
    return -1
  end
  if strategy == 'best-fit' and (from > 0 or to < segments) then
    local free = scratchKey(saleKey, 'free')
    local fit = scratchKey(saleKey, 'fit')
    redis.call('BITOP', 'NOT', free, taken)
    local before = from > 0 and keys[from - 1 + offset] or nil
    local after = to < segments and keys[to + offset] or nil
    if before and after then
      redis.call('BITOP', 'AND', fit, free, before, after)
    else
      redis.call('BITOP', 'AND', fit, free, before or after)
    end
    local seat = redis.call('BITPOS', fit, 1)
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
  if word == 0 then
    return 0
  end
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
local function markFilled(saleKey, keys, offset, from, to, seats)
  local mask = 0
  local filled = 0
  for s = from, to - 1 do
    if redis.call('BITCOUNT', keys[s + offset]) - paddingBits(seats) >= seats then
      filled = filled + 1 - redis.call('SETBIT', fullKey(saleKey), s, 1)
      mask = mask + 2 ^ (s - from)
    end
  end
  if filled > 0 then
    redis.call('HINCRBY', saleKey, 'segmentsFull', filled)
  end
  return mask
end
