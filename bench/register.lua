-- Each request registers a distinct instance: PUT /v1/services/<prefix>-<thread>-<n>.
local counter = 0
local prefix = os.getenv("CAIRN_BENCH_PREFIX") or "bench"
local threads = 0
-- With CAIRN_BENCH_ID_SPACE=N the ids repeat every N requests (re-registrations), so a long run keeps a bounded
-- registry while every request is still a command in the log.
local idSpace = tonumber(os.getenv("CAIRN_BENCH_ID_SPACE") or "0")

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"

function request()
  counter = counter + 1
  local n = counter
  if idSpace > 0 then
    n = counter % idSpace
  end
  local id = prefix .. "-" .. tid .. "-" .. n
  local body = '{"name":"' .. prefix .. '-' .. (counter % 1000) .. '","address":"10.0.' .. (counter % 250) ..
    '.1","port":' .. (1000 + counter % 60000) .. ',"version":"1.2.' .. (counter % 7) ..
    '","tags":["bench","t' .. (counter % 5) .. '"],"metadata":{"team":"perf"},"region":"eu","zone":"eu-' .. (counter % 3) .. '"}'
  return wrk.format(nil, "/v1/services/" .. id, nil, body)
end
