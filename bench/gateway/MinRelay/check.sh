#!/usr/bin/env bash
# Shows that the reference relay (bench/gateway/MinRelay) answers as the sample gateway's relay does:
# both run (Release builds, tracing off, the benches' key and settings) in front of the same
# upstreams, each case goes to both, and their status and body are compared (headers: the status
# line, Content-Type, Content-Length / Transfer-Encoding, x-litellm-*, WWW-Authenticate).
# Upstreams: bench/gateway/Mock (the benches' four bodies), and a small Python echo upstream that
# answers a request with a chat completion whose text is its first message's and which carries the
# body it received (so the answer shows what went upstream: the route's metadata slot cut, a
# provider's own `metadata` kept), or with its error answer when the
# body asks for one ("status": 429/400), to show an upstream's error relayed as it came; and a
# Python stream upstream that answers an event stream with a Content-Length, its text as long as the
# body asks ("chars"), cut before its [DONE] when the body asks ("cut").
# A case whose answers differ prints both and the script fails; `KNOWN` cases differ on purpose
# (see the end of this header). Usage: bench/gateway/MinRelay/check.sh (builds what it runs).
#
# Output on 2026-11-25 (the machine shared with two other sessions):
#   same  chat                       200
#   same  chat-stream                200
#   same  messages                   200
#   same  messages-stream            200
#   same  chat bad key               401
#   same  chat no key                401
#   same  messages bad key           401
#   same  chat banned word           400
#   same  messages banned word (system part) 400
#   same  chat duplicate model       400
#   same  chat no model              400
#   same  chat no messages           400
#   same  messages no max_tokens     400
#   same  chat not an object         400
#   same  messages empty body        400
#   same  chat slot cut (echo)       200
#   same  messages slot cut, provider metadata kept (echo) 200
#   same  chat answer too long (echo) 400
#   same  chat upstream 400 relayed (echo) 400
#   same  messages upstream 429 relayed (echo) 429
#   same  chat stream too long (sse) 400
#   known chat stream with a length (sse) 200 (framing: the sample keeps the upstream's Content-Length, the reference sends the stream chunked)
#   known chat stream cut before [DONE] (sse) 200 (the sample sends the bytes within the upstream's Content-Length and no error event; the reference ends the stream with upstream_response_truncated, chunked)
#   known chat malformed JSON        400 (sample: path, line and column in the message; reference: "The request body is not valid JSON.")
#   known messages malformed JSON    400 (the same)
#   21 same, 4 known differences, 0 unexpected
# Known differences: the error path's wording (the sample describes a body that is not JSON by its
# JSON path, line and column; the reference says only that it is not JSON), and an upstream event
# stream sent with a Content-Length, which the sample keeps (so a stream cut before its last event
# reaches the client without the error event the relay promises: docs/relay.md) and the reference
# drops (it may end the stream otherwise than the upstream did).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gateway="$(cd "$here/.." && pwd)"
root="$(cd "$gateway/../.." && pwd)"
key=sk-bench-overhead
work="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

for project in "$gateway/Mock" "$here" "$root/samples/Gateway"; do
  dotnet build "$project" -c Release -nologo -v:quiet -clp:ErrorsOnly >/dev/null
done

wait_for() { for _ in $(seq 1 150); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "nothing at $1" >&2; exit 1; }

dotnet "$gateway/Mock/bin/Release/net10.0/Mock.dll" --urls http://127.0.0.1:4381 >"$work/mock.log" 2>&1 &
pids+=($!)
cat >"$work/echo.py" <<'PY'
import http.server, json, sys
class Echo(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        request = json.loads(body)
        status = request.get("status", 200)
        # A chat completion whose text is the first message's, carrying the body as it arrived.
        body = json.dumps({"id": "echo", "object": "chat.completion", "model": request.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": request["messages"][0]["content"]}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1}, "received": body.decode()}).encode()
        if status != 200:
            body = json.dumps({"error": {"message": "upstream says no", "type": "rate_limit_error", "code": None}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if status == 429:
            self.send_header("Retry-After", "7")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
PY
python3 "$work/echo.py" 4382 &
pids+=($!)
cat >"$work/sse.py" <<'PY'
import http.server, json, sys
class Stream(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        chunk = lambda delta, finish: "data: " + json.dumps({"id": "c", "model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}) + "\n\n"
        body = chunk({"content": "a" * request.get("chars", 5)}, None) + chunk({}, "stop") + ("" if request.get("cut") else "data: [DONE]\n\n")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Stream).serve_forever()
PY
python3 "$work/sse.py" 4387 &
pids+=($!)
wait_for http://127.0.0.1:4381/stats

start_sample() { # port upstream
  (cd "$root/samples/Gateway/bin/Release/net10.0" && Gateway__ApiKeys=$key Upstream__BaseUrl="$2/v1" Upstream__FallbackToEmbedded=false \
    Upstream__Relay=true Tracing__Enabled=false Tracing__Console=false Logging__LogLevel__Default=None \
    exec dotnet TracedLlm.Samples.Gateway.dll --urls "http://127.0.0.1:$1") >"$work/sample-$1.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$1/health"
}
start_reference() { # port upstream
  # REFERENCE_ARGS, e.g. --Record=true: the reference recording its spans (Tracing.cs) answers the same.
  dotnet "$here/bin/Release/net10.0/MinRelay.dll" --urls "http://127.0.0.1:$1" --Upstream="$2" ${REFERENCE_ARGS:-} >"$work/min-$1.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$1/"
}
start_sample 4383 http://127.0.0.1:4381
start_sample 4384 http://127.0.0.1:4382
start_reference 4385 http://127.0.0.1:4381
start_reference 4386 http://127.0.0.1:4382
start_sample 4388 http://127.0.0.1:4387
start_reference 4389 http://127.0.0.1:4387

same=0 known=0 unexpected=0
# One case to both: its answer as status, the headers that matter, and the body.
answer() { # port path body headers...
  local port=$1 path=$2 body=$3
  shift 3
  curl -s -D - -o "$work/body" "http://127.0.0.1:$port$path" -H 'Content-Type: application/json' "$@" --data-binary "$body" |
    tr -d '\r' | grep -i -E '^(HTTP/|content-type|content-length|transfer-encoding|x-litellm|www-authenticate|retry-after)' | sort
  cat "$work/body"
}
case_() { # name known-note upstream(mock|echo) route body [key]
  local name=$1 note=$2 upstream=$3 route=$4 body=$5 k=${6-$key} path auth sample reference
  case "$route" in
    chat) path=/v1/chat/completions; auth=(-H "Authorization: Bearer $k") ;;
    messages) path=/v1/messages; auth=(-H "x-api-key: $k" -H "anthropic-version: 2023-06-01") ;;
  esac
  [ -z "$k" ] && auth=()
  local ports=(4383 4385); [ "$upstream" = echo ] && ports=(4384 4386); [ "$upstream" = sse ] && ports=(4388 4389)
  sample="$(answer "${ports[0]}" "$path" "$body" "${auth[@]}")"
  reference="$(answer "${ports[1]}" "$path" "$body" "${auth[@]}")"
  local status; status="$(grep '^HTTP/' <<<"$sample" | cut -d' ' -f2)"
  if [ "$sample" = "$reference" ]; then
    printf 'same  %-26s %s\n' "$name" "$status"; same=$((same + 1))
  elif [ -n "$note" ] && [ "$(grep '^HTTP/' <<<"$sample")" = "$(grep '^HTTP/' <<<"$reference")" ]; then
    printf 'known %-26s %s (%s)\n' "$name" "$status" "$note"; known=$((known + 1))
  else
    printf 'DIFF  %s\n--- sample\n%s\n--- reference\n%s\n' "$name" "$sample" "$reference"; unexpected=$((unexpected + 1))
  fi
}
bodies="$gateway/bodies"
case_ chat "" mock chat "@$bodies/chat.json"
case_ chat-stream "" mock chat "@$bodies/chat-stream.json"
case_ messages "" mock messages "@$bodies/messages.json"
case_ messages-stream "" mock messages "@$bodies/messages-stream.json"
ok='{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}'
case_ "chat bad key" "" mock chat "$ok" nope
case_ "chat no key" "" mock chat "$ok" ""
case_ "messages bad key" "" mock messages "$ok" nope
case_ "chat banned word" "" mock chat '{"model":"m","messages":[{"role":"user","content":"say FORBIDDEN things"}]}'
case_ "messages banned word (system part)" "" mock messages '{"model":"m","max_tokens":5,"system":[{"type":"text","text":"a forbidden system"}],"messages":[{"role":"user","content":"hi"}]}'
case_ "chat duplicate model" "" mock chat '{"model":"m","model":"n","messages":[{"role":"user","content":"hi"}]}'
case_ "chat no model" "" mock chat '{"messages":[{"role":"user","content":"hi"}]}'
case_ "chat no messages" "" mock chat '{"model":"m","messages":[]}'
case_ "messages no max_tokens" "" mock messages '{"model":"m","messages":[{"role":"user","content":"hi"}]}'
case_ "chat not an object" "" mock chat '[1]'
case_ "messages empty body" "" mock messages ''
case_ "chat slot cut (echo)" "" echo chat '{"metadata":{"trace_name":"t"}, "model":"m","messages":[{"role":"user","content":"hi"}],"user":"u"}'
case_ "messages slot cut, provider metadata kept (echo)" "" echo messages '{"model":"m","max_tokens":5,"metadata":{"user_id":"u"},"litellm_metadata":{"session_id":"s"},"messages":[{"role":"user","content":"hi"}]}'
long="$(head -c 9000 /dev/zero | tr '\0' 'a')"
case_ "chat answer too long (echo)" "" echo chat "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"$long\"}]}"
case_ "chat upstream 400 relayed (echo)" "" echo chat '{"model":"m","status":400,"messages":[{"role":"user","content":"hi"}]}'
case_ "messages upstream 429 relayed (echo)" "" echo messages '{"model":"m","max_tokens":5,"status":429,"messages":[{"role":"user","content":"hi"}]}'
case_ "chat stream too long (sse)" "" sse chat '{"model":"m","stream":true,"chars":9000,"messages":[{"role":"user","content":"hi"}]}'
case_ "chat stream with a length (sse)" "framing: the sample keeps the upstream's Content-Length, the reference sends the stream chunked" sse chat '{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}'
case_ "chat stream cut before [DONE] (sse)" "the sample sends the bytes within the upstream's Content-Length and no error event; the reference ends the stream with upstream_response_truncated, chunked" sse chat '{"model":"m","stream":true,"cut":true,"messages":[{"role":"user","content":"hi"}]}'
case_ "chat malformed JSON" 'sample: path, line and column in the message; reference: "The request body is not valid JSON."' mock chat '{"model":"m","messages":[{"role":"user","content":"hi"}'
case_ "messages malformed JSON" "the same" mock messages '{"model":"m",,}'
echo "$same same, $known known differences, $unexpected unexpected"
[ "$unexpected" = 0 ]
