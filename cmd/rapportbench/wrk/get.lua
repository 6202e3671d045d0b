-- GET /v1/customers/{id}: ids.txt has "id,token" lines (rapportbench -wrk DIR); run wrk in DIR.
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
  return wrk.format("GET", "/v1/customers/" .. ids[i], { ["Authorization"] = "Bearer " .. tokens[i] })
end
