-- Requests for bench/peers.sh: Cairn, etcd and Eureka driven with the same documents, chosen by PEERS_MODE:
--   cairn-register   PUT /v1/services/<prefix>-<thread>-<n>, body: the document of name <prefix>-<n % 1000>
--   etcd-put         POST <gateway>/kv/put, key services/<name>/<prefix>-<thread>-<n>, value: the same document
--   eureka-register  POST /eureka/apps/<NAME>, body: the same instance in Eureka's JSON (InstanceInfo: instanceId,
--                    app, address, port; version, tags, region, zone and the metadata as string metadata)
--   cairn-discover   GET /v1/services?name=svc-<N>, N random in 0..999
--   etcd-range       POST <gateway>/kv/range on the prefix services/svc-<N>/ (PEERS_SERIALIZABLE=1: a local read)
--   eureka-discover  GET /eureka/apps/SVC-<N> (Accept: application/json)
--   ping             GET /ping (bench/PingServer.java: the bare Vert.x HTTP ceiling)
-- Every request is a distinct instance (registrations, unless PEERS_ID_SPACE) or a random name (discovery). The
-- 1,000 documents (about 300 bytes each) and the 1,000 discovery requests are built once per thread in init(), so
-- that every peer costs wrk the same per request: only the id (and its base64 for etcd) is made per request.
-- bench/zookeeper-load (ZooKeeper's load generator) copies document(j) character for character.
local mode = os.getenv("PEERS_MODE") or "cairn-register"
local prefix = os.getenv("PEERS_PREFIX") or "peer"
local gateway = os.getenv("PEERS_ETCD_GATEWAY") or "/v3"
local serializable = os.getenv("PEERS_SERIALIZABLE") == "1"
-- With PEERS_ID_SPACE=N the ids (keys) of a thread repeat every N requests: re-registrations (puts of existing keys),
-- each still a write through the log, that keep the registry bounded during a long warm-up.
local idSpace = tonumber(os.getenv("PEERS_ID_SPACE") or "0")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s)
  local out = {}
  local n = #s
  for i = 1, n, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(v / 262144) % 64
    local c2 = math.floor(v / 4096) % 64
    local c3 = math.floor(v / 64) % 64
    local c4 = v % 64
    out[#out + 1] = b64chars:sub(c1 + 1, c1 + 1) .. b64chars:sub(c2 + 1, c2 + 1) ..
      (b and b64chars:sub(c3 + 1, c3 + 1) or "=") .. (c and b64chars:sub(c4 + 1, c4 + 1) or "=")
  end
  return table.concat(out)
end

-- The fields of instance j (0..999) of the registration runs: name, address, port, version, tags, metadata, region,
-- zone (bench/register.lua's fields, metadata padded to about 300 bytes).
local function fields(j)
  return {
    name = prefix .. '-' .. j, address = '10.0.' .. (j % 250) .. '.1', port = 1000 + j, version = '1.2.' .. (j % 7),
    tags = {'bench', 't' .. (j % 5), 'http'}, build = '2026.11.27-' .. string.format("%06d", j),
    commit = '4f0c2a9e8b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a', region = 'eu', zone = 'eu-' .. (j % 3)
  }
end

-- The document of instance j for Cairn and etcd.
local function document(j)
  local f = fields(j)
  return '{"name":"' .. f.name .. '","address":"' .. f.address .. '","port":' .. f.port ..
    ',"version":"' .. f.version .. '","tags":["' .. table.concat(f.tags, '","') .. '"],"metadata":{"team":"perf",' ..
    '"owner":"registry-benchmarks","build":"' .. f.build .. '",' ..
    '"commit":"' .. f.commit .. '","tier":"backend"},"region":"' .. f.region .. '","zone":"' .. f.zone .. '"}'
end

-- Eureka's registration document of instance j without its start ('{"instance":{"instanceId":"<id>",' is added per
-- request): the same fields in Eureka's InstanceInfo JSON, metadata being a map of strings there.
local function eurekaRest(j)
  local f = fields(j)
  return '"hostName":"' .. f.address .. '","app":"' .. string.upper(f.name) .. '","ipAddr":"' .. f.address ..
    '","status":"UP","port":{"$":' .. f.port .. ',"@enabled":"true"},"securePort":{"$":443,"@enabled":"false"},' ..
    '"vipAddress":"' .. f.name .. '","dataCenterInfo":{"@class":"com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",' ..
    '"name":"MyOwn"},"metadata":{"version":"' .. f.version .. '","tags":"' .. table.concat(f.tags, ',') ..
    '","region":"' .. f.region .. '","zone":"' .. f.zone .. '","team":"perf","owner":"registry-benchmarks",' ..
    '"build":"' .. f.build .. '","commit":"' .. f.commit .. '","tier":"backend"}}}'
end

local docs = {}
local docs64 = {}
local apps = {}
local lookups = {}
local counter = 0

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  for j = 0, 999 do
    if mode == "cairn-register" then
      docs[j] = document(j)
    elseif mode == "etcd-put" then
      docs64[j] = base64(document(j))
    elseif mode == "eureka-register" then
      docs[j] = eurekaRest(j)
      apps[j] = "/eureka/apps/" .. string.upper(prefix .. "-" .. j)
    elseif mode == "cairn-discover" then
      lookups[j] = wrk.format("GET", "/v1/services?name=svc-" .. j)
    elseif mode == "etcd-range" then
      local body = '{"key":"' .. base64("services/svc-" .. j .. "/") .. '","range_end":"' ..
        base64("services/svc-" .. j .. "0") .. '"' .. (serializable and ',"serializable":true' or '') .. '}'
      lookups[j] = wrk.format("POST", gateway .. "/kv/range", {["Content-Type"] = "application/json"}, body)
    elseif mode == "eureka-discover" then
      lookups[j] = wrk.format("GET", "/eureka/apps/SVC-" .. j, {["Accept"] = "application/json"})
    end
  end
end

local ping = wrk.format("GET", "/ping")

function request()
  if mode == "ping" then
    return ping
  end
  if mode == "cairn-discover" or mode == "etcd-range" or mode == "eureka-discover" then
    return lookups[math.random(0, 999)]
  end
  counter = counter + 1
  local j = counter % 1000
  local id = prefix .. "-" .. tid .. "-" .. (idSpace > 0 and counter % idSpace or counter)
  if mode == "cairn-register" then
    return wrk.format("PUT", "/v1/services/" .. id, {["Content-Type"] = "application/json"}, docs[j])
  elseif mode == "eureka-register" then
    return wrk.format("POST", apps[j], {["Content-Type"] = "application/json"},
      '{"instance":{"instanceId":"' .. id .. '",' .. docs[j])
  end
  local key = base64("services/" .. prefix .. "-" .. j .. "/" .. id)
  return wrk.format("POST", gateway .. "/kv/put", {["Content-Type"] = "application/json"},
    '{"key":"' .. key .. '","value":"' .. docs64[j] .. '"}')
end
