-- POST a 1-point redemption to a sampled customer's ledger (ids.txt: "id,token"); customers need
-- points first (earn by hand, or purchase.lua with an active program).
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
  return wrk.format("POST", "/v1/customers/" .. ids[i] .. "/loyalty/transactions",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[i] }, '{"type":"redeem","points":1}')
end
