-- GET /v1/customers?limit=50 for a random organization; LIST_QUERY adds filters (e.g. "&lifecycle_stage=customer").
local tokens = {}
for line in io.lines("tokens.txt") do tokens[#tokens + 1] = line end
local extra = os.getenv("LIST_QUERY") or ""
local nthreads = 0
function setup(thread) nthreads = nthreads + 1; thread:set("tid", nthreads) end
function init(args) math.randomseed(os.time() * 1000 + (tid or 0)) end
request = function()
  return wrk.format("GET", "/v1/customers?limit=50" .. extra, { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
end
