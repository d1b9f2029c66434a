-- POST /api/v1/eligibility/batch with 1000 NIPs per request, windows over $NIPS in turn.
local bodies = {}
local headers = {}
local n = 0

function init(args)
  local nips = {}
  for line in io.lines(os.getenv("NIPS")) do
    nips[#nips + 1] = '"' .. line .. '"'
  end
  local size = tonumber(os.getenv("BATCH") or "1000")
  for start = 1, #nips - size + 1, size do
    local window = table.concat(nips, ",", start, start + size - 1)
    bodies[#bodies + 1] = '{"purpose":"jpt_selection","nips":[' .. window .. ']}'
  end
  headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
  headers["Content-Type"] = "application/json"
end

function request()
  n = n % #bodies + 1
  return wrk.format("POST", "/api/v1/eligibility/batch", headers, bodies[n])
end
