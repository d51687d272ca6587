-- wrk: `wx.authorize` of a scope the user already granted: a decision that writes nothing.
wrk.method = "POST"
wrk.body = '{"scope":"scope.address"}'
wrk.headers["Content-Type"] = "application/json"
-- The latency percentiles after the run (percentiles.lua, beside this file).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "percentiles.lua")
