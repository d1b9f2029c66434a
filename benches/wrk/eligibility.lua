-- GET /api/v1/asn/{nip}/eligibility for NIPs drawn at random from $NIPS (one per line).
local nips = {}
local headers = {}

function init(args)
  for line in io.lines(os.getenv("NIPS")) do
    nips[#nips + 1] = line
  end
  headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  local nip = nips[math.random(#nips)]
  local path = "/api/v1/asn/" .. nip .. "/eligibility?purpose=" .. (os.getenv("PURPOSE") or "promotion")
  return wrk.format("GET", path, headers)
end
