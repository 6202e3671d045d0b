-- POST /v1/purchases for a sampled customer (ids.txt: "id,token"); with an active loyalty
-- program each purchase also earns points in the same transaction.
local ids, tokens = {}, {}
for line in io.lines("ids.txt") do
  local id, tok = line:match("([^,]+),([^,]+)")
  ids[#ids + 1] = id; tokens[#tokens + 1] = tok
end
local nthreads = 0
function setup(thread) nthreads = nthreads + 1; thread:set("tid", nthreads) end
function init(args) math.randomseed(os.time() * 1000 + (tid or 0)) end
request = function()
  local i = math.random(#ids)
  local body = string.format('{"customer_id":"%s","amount":"%d.%02d","channel":"online"}', ids[i], math.random(5, 200), math.random(0, 99))
  return wrk.format("POST", "/v1/purchases", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[i] }, body)
end
