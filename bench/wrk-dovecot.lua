-- wrk-dovecot.lua - load for a Dovecot auth-policy server (mailward serve's
-- Dovecot side, or bench/nginx-fixed.conf for the reference).
--
--   wrk -t1 -c64 -d20s --latency -s bench/wrk-dovecot.lua http://127.0.0.1:8427/
--
-- Requests look like Dovecot 2.3.19's (tests/fixtures/policy/dovecot-requests.jsonl):
-- POST <url>?command=allow before the password check, again after a
-- successful one, then POST <url>?command=report with "success" and
-- "policy_reject"; JSON body with the attributes of
-- docs/examples/dovecot-95-mailward.conf, Content-Type: application/json,
-- the API header, HTTP/1.1 keep-alive (wrk reuses its connections as
-- Dovecot's http client does).
--
-- Environment:
--   MW_API_HEADER   "Name: value" (default "X-API-Key: mailward-test-api-token-0001")
--   MW_USERS        distinct logins (default 5000)
--   MW_REMOTES      distinct remote addresses (default 20000)
--   MW_SUCCESS_PCT  percent of attempts that succeed (default 30)
--   MW_SEQUENCES    pre-built login attempts per thread (default 20000)
-- Logins are u<n>@example.test, remotes 10.x.y.z and 2001:db8::x:y; the
-- pwhash is a made-up 8-hex-digit value (one per user and password).

local api_name, api_value = "X-API-Key", "mailward-test-api-token-0001"
local users, remotes, success_pct, nseq = 5000, 20000, 30, 20000
local reqs, nreq, idx = {}, 0, 0
local counter = 0

local function env_num(name, default)
   local v = tonumber(os.getenv(name) or "")
   if v == nil then return default end
   return v
end

function setup(thread)
   counter = counter + 1
   thread:set("thread_id", counter)
end

local function remote_of(n)
   if n % 8 == 0 then
      return string.format("2001:db8::%x:%x", math.floor(n / 65536) % 65536, n % 65536)
   end
   return string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
end

local function body(login, pwhash, remote, proto, port, tls, session, extra)
   local b = string.format(
      '{"device_id":"","local":"127.0.0.1","local_port":"%d","login":"%s","mech":"PLAIN",' ..
      '"protocol":"%s","pwhash":"%s","remote":"%s","secured":"%s","session_id":"%s"%s,"tls":%s}',
      port, login, proto, pwhash, remote, tls and "TLS" or "", session, extra, tls and "true" or "false")
   return b
end

function init(args)
   local h = os.getenv("MW_API_HEADER")
   if h and h:find(":") then
      api_name = h:match("^([^:]+):")
      api_value = h:match("^[^:]+:%s*(.*)$")
   end
   users = env_num("MW_USERS", users)
   remotes = env_num("MW_REMOTES", remotes)
   success_pct = env_num("MW_SUCCESS_PCT", success_pct)
   nseq = env_num("MW_SEQUENCES", nseq)
   math.randomseed(1000 + (thread_id or 1))
   local path = wrk.path
   if path == nil or path == "" then path = "/" end
   local sep = path:find("?", 1, true) and "&" or "?"
   -- The headers Dovecot 2.3.19 sends (Host and Content-Length come from wrk).
   local headers = { ["Date"] = "Mon, 23 Nov 2026 12:07:27 GMT",
                     ["User-Agent"] = "dovecot/auth-policy-client",
                     ["Connection"] = "Keep-Alive",
                     ["Content-Type"] = "application/json", [api_name] = api_value }
   local protos = { { "imap", 143, false }, { "imap", 993, true }, { "pop3", 995, true },
                    { "smtp", 587, true }, { "submission", 587, true } }
   for i = 1, nseq do
      local u = math.random(users)
      local login = string.format("u%d@example.test", u)
      local ok = math.random(100) <= success_pct
      local pw = ok and u or math.random(1000000)
      local pwhash = string.format("%08x", (u * 2654435761 + pw * 40503) % 4294967296)
      local remote = remote_of(math.random(remotes))
      local p = protos[math.random(#protos)]
      local session = string.format("mw%014x", (thread_id or 1) * 1000000000 + i)
      local allow = body(login, pwhash, remote, p[1], p[2], p[3], session, "")
      nreq = nreq + 1
      reqs[nreq] = wrk.format("POST", path .. sep .. "command=allow", headers, allow)
      if ok then                     -- check_after_auth: a second allow
         nreq = nreq + 1
         reqs[nreq] = reqs[nreq - 1]
      end
      local report = body(login, pwhash, remote, p[1], p[2], p[3], session,
         string.format(',"success":%s,"policy_reject":false', ok and "true" or "false"))
      nreq = nreq + 1
      reqs[nreq] = wrk.format("POST", path .. sep .. "command=report", headers, report)
   end
   idx = math.random(nreq) - 1
end

function request()
   idx = idx % nreq + 1
   return reqs[idx]
end

function done(summary, latency, requests)
   local secs = summary.duration / 1e6
   io.write(string.format(
      "json: {\"requests\":%d,\"rps\":%.0f,\"p50_us\":%d,\"p90_us\":%d,\"p99_us\":%d,\"p999_us\":%d,\"max_us\":%d," ..
      "\"errors\":%d}\n",
      summary.requests, summary.requests / secs, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9), latency.max,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
      summary.errors.timeout))
end
