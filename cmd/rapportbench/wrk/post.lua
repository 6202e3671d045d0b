-- POST /v1/customers: a new customer with a unique email per request, for a random organization.
local tokens = {}
for line in io.lines("tokens.txt") do tokens[#tokens + 1] = line end
local nthreads = 0
function setup(thread) nthreads = nthreads + 1; thread:set("tid", nthreads) end
local salt, n = 0, 0
function init(args) salt = math.floor(os.time() % 100000); math.randomseed(os.time() * 1000 + (tid or 0)) end
request = function()
  n = n + 1
  local body = string.format('{"first_name":"Bench","last_name":"User%d","email":"wrk.%d.%d.%d@bench.example.com",' ..
    '"phone":"+1 415 555 0100","company":"Bench Co","tags":["trial"],"custom_fields":{"source":"api","score":50},"lifecycle_stage":"prospect"}',
    n, (tid or 0) * 100000 + salt, n, math.random(1, 1000000000))
  return wrk.format("POST", "/v1/customers", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] }, body)
end
