--[[
  A sale's tickets in one atomic read.

  KEYS[1] sale hash   KEYS[2] tickets-due set   KEYS[3] tickets-issued hash   KEYS[4] check-ins hash

  Returns {due, issued, checkedIn}, or {} when there is no such sale.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {}
end
return {redis.call('SCARD', KEYS[2]), redis.call('HLEN', KEYS[3]), redis.call('HLEN', KEYS[4])}
