-- GET $WRK_PATH as the first organization (the first line of tokens.txt), e.g.
-- WRK_PATH='/v1/feedback/stats?from=2025-11-26T00:00:00Z&to=2026-11-26T00:00:00Z&group_by=month'
local token = io.lines("tokens.txt")()
local path = os.getenv("WRK_PATH") or "/v1/me"
request = function()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
