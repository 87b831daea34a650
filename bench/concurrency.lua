-- wrk script for bench/concurrency.sh: a mix of reads and writes against one
-- SQLite database, counting answers by status class.
--   wrk ... -s bench/concurrency.lua URL -- TOKEN ID1,ID2,... HOT1,HOT2,... THINK_MS
-- Each connection is one client that waits a random 0..2*THINK_MS ms (mean
-- THINK_MS) between its requests, as a person or a script does; 0 sends
-- back to back (a saturation test: latency is then the queue length).
-- Reads: 50 % one incident (JSON), 15 % a page of the list, 10 % an incident
-- page (HTML). Writes: 17 % a step into one of a few "hot" incidents (many
-- clients writing to the same incidents at once), 5 % a same-version PUT (a
-- conflict: 409 expected once one of them won), 3 % a new incident.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local token, ids, hot, think_ms
local counts = { c2xx = 0, c3xx = 0, c409 = 0, c4xx = 0, c5xx = 0, other = 0 }

local function split(s)
  local out = {}
  for item in string.gmatch(s or "", "[^,]+") do
    table.insert(out, item)
  end
  return out
end

function init(args)
  token = args[1]
  ids = split(args[2])
  hot = split(args[3])
  think_ms = tonumber(args[4] or "0") or 0
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

local json_headers

local function headers()
  if not json_headers then
    json_headers = {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
    }
  end
  return json_headers
end

function request()
  local r = math.random()
  local id = ids[math.random(#ids)]
  if r < 0.50 then
    return wrk.format("GET", "/api/v1/incidents/" .. id, headers())
  elseif r < 0.65 then
    return wrk.format("GET", "/api/v1/incidents?per_page=20&page=" .. math.random(10), headers())
  elseif r < 0.75 then
    return wrk.format("GET", "/incidents/" .. id, headers())
  elseif r < 0.92 then
    local target = hot[math.random(#hot)]
    local body = '{"tactic":"AML.TA0002","technique":"AML.T0000","description":"bench step","position":'
      .. math.random(5) .. '}'
    return wrk.format("POST", "/api/v1/incidents/" .. target .. "/steps", headers(), body)
  elseif r < 0.97 then
    local target = hot[math.random(#hot)]
    local body = '{"title":"Renamed under load","severity":"high","version":1}'
    return wrk.format("PUT", "/api/v1/incidents/" .. target, headers(), body)
  else
    local body = '{"title":"Created under load","steps":[{"tactic":"AML.TA0005","technique":"AML.T0051"}]}'
    return wrk.format("POST", "/api/v1/incidents", headers(), body)
  end
end

function delay()
  if think_ms <= 0 then
    return 0
  end
  return math.random(0, 2 * think_ms)
end

function response(status, hdrs, body)
  if status >= 200 and status < 300 then
    counts.c2xx = counts.c2xx + 1
  elseif status >= 300 and status < 400 then
    counts.c3xx = counts.c3xx + 1
  elseif status == 409 then
    counts.c409 = counts.c409 + 1
  elseif status >= 400 and status < 500 then
    counts.c4xx = counts.c4xx + 1
  elseif status >= 500 then
    counts.c5xx = counts.c5xx + 1
  else
    counts.other = counts.other + 1
  end
  c2xx, c3xx, c409, c4xx, c5xx, cother = counts.c2xx, counts.c3xx, counts.c409, counts.c4xx, counts.c5xx, counts.other
end

function done(summary, latency, requests)
  local total = { c2xx = 0, c3xx = 0, c409 = 0, c4xx = 0, c5xx = 0, other = 0 }
  for _, t in ipairs(threads) do
    total.c2xx = total.c2xx + (t:get("c2xx") or 0)
    total.c3xx = total.c3xx + (t:get("c3xx") or 0)
    total.c409 = total.c409 + (t:get("c409") or 0)
    total.c4xx = total.c4xx + (t:get("c4xx") or 0)
    total.c5xx = total.c5xx + (t:get("c5xx") or 0)
    total.other = total.other + (t:get("cother") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.1f rps=%.0f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f "
      .. "s2xx=%d s3xx=%d s409=%d s4xx_other=%d s5xx=%d other=%d "
      .. "socket_errors=%d timeouts=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000,
    total.c2xx, total.c3xx, total.c409, total.c4xx, total.c5xx, total.other,
    e.connect + e.read + e.write, e.timeout))
end
