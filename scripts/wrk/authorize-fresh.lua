-- wrk: every request is `wx.authorize` of a retired scope (scope.address) for a user never seen
-- before, so every request is one durable decision (first use records Granted, D4) answered 200
-- after its commit. Usage: wrk -s authorize-fresh.lua http://HOST:PORT
local counter = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  prefix = "/v1/apps/wxbench/users/t" .. tid .. "r" .. math.random(1, 1000000000) .. "n"
end
local body = '{"scope":"scope.address"}'
local headers = { ["Content-Type"] = "application/json" }
function request()
  counter = counter + 1
  return wrk.format("POST", prefix .. counter .. "/authorize", headers, body)
end
