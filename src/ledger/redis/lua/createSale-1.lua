--[[
  Creates a sale unless one with the same id exists.

  KEYS[1] sale hash
  ARGV    field, value, field, value, ... (id, name, total, perUserLimit, holdSeconds, opensAt, closesAt, createdAt, anonymous 1/0)

  Returns:
    1  created (sold and paid start at 0)
    0  a sale with this id already exists; nothing changed
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'sold', 0, 'paid', 0, unpack(ARGV))
return 1
