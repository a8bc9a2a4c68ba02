-- wrk script: ForgotPassword in Cognito's JSON protocol, users round-robin across all connections.
--   BENCH_CLIENT_ID  the app client id        BENCH_USERS  user00001 .. userNNNNN
--   BENCH_LABEL      the row's endpoint label  BENCH_CONCURRENCY  printed in the row
--   BENCH_THREADS    wrk's -t, so that threads take interleaved users
-- Prints one Markdown row: endpoint | concurrency | ok requests/s | p50 ms | p99 ms | ok | errors.
-- The Authorization header is a placeholder SigV4 header: moto routes by its credential scope.

local client_id = os.getenv("BENCH_CLIENT_ID")
local users = tonumber(os.getenv("BENCH_USERS") or "2000")
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "AWSCognitoIdentityProviderService.ForgotPassword"
wrk.headers["X-Amz-Date"] = "20250101T000000Z"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20250101/us-east-1/cognito-idp/aws4_request, "
  .. "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=00"

local next_user = nil
local step = 1

function init(args)
  -- Threads take interleaved users: thread k of n asks for k+1, k+1+n, ...
  next_user = (thread_index or 0)
  step = tonumber(os.getenv("BENCH_THREADS") or "1")
end

function request()
  local body = string.format('{"ClientId":"%s","Username":"user%05d"}', client_id, next_user % users + 1)
  next_user = next_user + step
  return wrk.format(nil, "/", nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.status + e.connect + e.read + e.write + e.timeout
  local ok = summary.requests - e.status
  local seconds = summary.duration / 1e6
  io.write(string.format("| %s | %s | %.0f | %.2f | %.2f | %d | %d |\n",
    os.getenv("BENCH_LABEL") or "endpoint", os.getenv("BENCH_CONCURRENCY") or "?",
    ok / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000, ok, errors))
end
