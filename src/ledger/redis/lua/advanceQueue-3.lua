--[[
  The queue tick: moves a queue sale's serving counter forward by
  admitPerSecond, never letting the unused passes out exceed remaining stock
  x overAdmit, and answers the line's figures. Safe to run from many
  processes at once: the counter moves by elapsed time since the last move.

  KEYS[1] sale hash      admission JSON, opensAt, total, sold, paid; qPre, qPost, qDrawn, qServing, qLastAt, qExpiredBelow
  KEYS[2] admit log      list of "serving:at", one per move, trimmed to passSeconds
  KEYS[3] passes zset    spent pass ids (admitted places), scored by place

  ARGV[1] now            epoch milliseconds

  Returns {} for no sale or an open-mode sale, else
    {serving, pre, post, drawn 0|1, expiredBelow, total, sold, paid}
]]
local sale = KEYS[1]
local now = tonumber(ARGV[1])
local f = redis.call('HMGET', sale, 'admission', 'opensAt', 'total', 'sold', 'paid', 'qPre', 'qPost', 'qDrawn', 'qServing', 'qLastAt', 'qExpiredBelow')
if not f[1] then
  return {}
end
local admission = cjson.decode(f[1])
local opensAt = tonumber(f[2])
local total, sold, paid = tonumber(f[3]), tonumber(f[4]), tonumber(f[5])
local pre, post = tonumber(f[6] or '0'), tonumber(f[7] or '0')
local drawn = f[8] == '1'
local serving = tonumber(f[9] or '0')
local lastAt = tonumber(f[10] or '0')
local expiredBelow = tonumber(f[11] or '0')

if not drawn and (not opensAt or now >= opensAt) then
  drawn = true
  redis.call('HSET', sale, 'qDrawn', '1')
end

if drawn then
  -- Places admitted more than passSeconds ago have spent or lost their passes.
  local cutoff = now - admission.passSeconds * 1000
  while true do
    local head = redis.call('LINDEX', KEYS[2], 0)
    if not head then break end
    local s, at = string.match(head, '^(%d+):(%d+)$')
    if tonumber(at) > cutoff then break end
    expiredBelow = math.max(expiredBelow, tonumber(s))
    redis.call('LPOP', KEYS[2])
  end
  local used = redis.call('ZCOUNT', KEYS[3], expiredBelow, '+inf')
  local live = (serving - expiredBelow) - used
  local cap = math.floor((total - sold) * admission.overAdmit + 1e-9)
  local start = math.max(lastAt, opensAt or 0)
  local credit = math.floor((now - start) * admission.admitPerSecond / 1000)
  local add = math.min(credit, cap - live, pre + post - serving)
  if add > 0 then
    serving = serving + add
    redis.call('RPUSH', KEYS[2], string.format('%d:%d', serving, now))
  end
  if credit < 1 then
    -- Less than one place earned yet: keep counting from the same start.
    lastAt = start
  elseif add < credit then
    -- Held back by stock or an empty line: no credit is banked for a burst later.
    lastAt = now
  else
    lastAt = start + math.floor(add * 1000 / admission.admitPerSecond)
  end
  redis.call('HSET', sale, 'qServing', serving, 'qLastAt', string.format('%d', lastAt), 'qExpiredBelow', expiredBelow)
end
return {serving, pre, post, drawn and 1 or 0, expiredBelow, total, sold, paid}
