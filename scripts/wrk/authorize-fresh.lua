-- wrk: every request is `wx.authorize` of a retired scope (scope.address) for a user never seen
-- before, so every request is one durable decision (first use records Granted, D4) answered 200
-- after its commit. Pass a token no earlier run used, or users repeat (and need no write):
--   wrk -s authorize-fresh.lua http://HOST:PORT -- RUN_TOKEN
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  local run = args[1] or error("pass a run token: wrk ... -- TOKEN")
  prefix = "/v1/apps/wxbench/users/" .. run .. "t" .. tid .. "n"
  counter = 0
end
local body = '{"scope":"scope.address"}'
local headers = { ["Content-Type"] = "application/json" }
function request()
  counter = counter + 1
  return wrk.format("POST", prefix .. counter .. "/authorize", headers, body)
end
-- The latency percentiles after the run (percentiles.lua, beside this file).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "percentiles.lua")
