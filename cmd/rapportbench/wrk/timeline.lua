-- GET /v1/customers/{id}/timeline for sampled customers (ids.txt: "id,token").
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
  return wrk.format("GET", "/v1/customers/" .. ids[i] .. "/timeline", { ["Authorization"] = "Bearer " .. tokens[i] })
end
