# Groups a .NET gateway's `perf script -F ip,sym,dso` samples (perf record -g, with the runtime's
# perf map) by component, for bench/gateway/profile. Each sample goes to the first frame, from the
# leaf up, that names a component: a JSON reader called by the envelope reader is "envelope parse",
# a kernel send called by HttpClient is "HttpClient out". Native runtime code (libcoreclr: the GC,
# allocation helpers, cast and dispatch stubs) at the leaf is "runtime native (GC, allocation)".
# bench/gateway/MinRelay's types (issue 39's reference relay) go to the same components as the
# sample's: its API-key check, its banned-word search, its answer reader, its request handling.
# Prints "component samples percent", largest first.
function component(sym, dso) {
  if (sym ~ /AllocProbe/) return "probe"
  if (sym ~ /System\.Diagnostics\.Activity|System\.Diagnostics\.ActivitySource|System\.Diagnostics\.ActivityListener|System\.Diagnostics\.Metrics\.|TracedLlm\.Telemetry\.|OpenTelemetry\.Trace\.|OpenTelemetry\.Metrics\.|TracedLlm\.TailSamplingProcessor|OpenTelemetry\.CompositeProcessor|OpenTelemetry\.BaseProcessor/) return "tracing: span and metric recording"
  if (sym ~ /EnvelopeReader|::ReadEnvelope\(|LlmMetadata|RequestEnvelope|PropertyNameCheck/) return "envelope parse (slot cut, one reading)"
  if (sym ~ /TracedPipeline\+<ReadBodyAsync>|TracedPipeline::ReadBodyAsync|RequestStage\+<ReadBodyAsync>|RequestStage::ReadBodyAsync|JsonText::|System.Text.Unicode.Utf8::IsValid/) return "body read + UTF-8 checks"
  if (sym ~ /TracedPipeline::ReadRequest|PreCallStage::ReadRequest|RequestDeserializer|RequestMismatch|TypedRequest::/) return "request model deserialization"
  if (sym ~ /ApiKeyAuthenticator|TracedPipeline::AuthenticateAsync|ApiKeyFingerprint|ApiKeyCheck::/) return "auth (API key)"
  if (sym ~ /PromptMessages|ContentText::/) return "prompt text extraction"
  if (sym ~ /Guardrail|RelayCall::HasBannedWord/) return "guardrails"
  if (sym ~ /OpenAiCompatibleProvider::BuildBody|OpenAiCompatibleProvider::CreateRequest|OpenAiRequestWriter/) return "provider request build"
  if (sym ~ /OpenAiCompatibleProvider::ParseReply|OpenAiCompatibleProvider::ParseDelta/) return "upstream response parse"
  if (sym ~ /UpstreamHttp\+<ReadBodyAsync>|UpstreamHttp::ReadBodyAsync/) return "upstream body read"
  if (sym ~ /TracedLlm\.Relay\.Reading\.|TracedLlm\.Reading\.|AnswerFacts::|EventStreamReader::|EventStreamReader\+/) return "relay: response reader"
  if (sym ~ /TracedLlm\.Relay\.|LlmRelay|Yarp\.ReverseProxy\./) return "YARP forwarder + relay"
  if (sym ~ /System\.Net\.Http\./) return "HttpClient out"
  if (sym ~ /Polly|AttemptSequence|ExecuteSequence|UpstreamPipeline|ProviderRouter|LlmAttempt|LlmRetryPolicy|LlmCall::ExecuteAsync/) return "upstream policy + attempts"
  if (sym ~ /TracedPipeline::WriteResultAsync|WriteAsJsonAsync|HttpResponseJsonExtensions|TracedPipeline::RecordOutput/) return "response write (JSON)"
  if (sym ~ /FailurePath/) return "failure path"
  if (sym ~ /RelayCall::|RelayCall\+|Relay::HandleAsync|Relay\+<HandleAsync>|Errors::WriteAsync/) return "route pipeline + handler (other)"
  if (sym ~ /Routes::|Routes_[A-Za-z]*::|Routes_[A-Za-z]*\+<|TracedPipeline|TracedLlm\.Pipeline\.|LlmCall|GatewayMetrics|OpenAiCompatibleProvider/) return "route pipeline + handler (other)"
  if (sym ~ /Kestrel|Microsoft\.AspNetCore\.|System\.IO\.Pipelines/) return "Kestrel in/out + ASP.NET Core"
  if (sym ~ /ThreadPool|WorkerThread|LowLevelLifoSemaphore|LowLevelSpinWaiter|ThreadPoolWorkQueue/) return "thread pool (dispatch, spinning)"
  return ""
}
function flush(   i, c, leafNative) {
  if (n == 0) return
  c = ""; leafNative = 0
  for (i = 1; i <= n; i++) if (syms[i] ~ /BoundedExportProcessor|OtlpDelivery|OtlpCapture|ExportPayload|OpenTelemetry\.Exporter\.|OpenTelemetry\.BatchExportProcessor/) { count["tracing: export (serialize + send, export thread)"]++; total++; n = 0; seenUser = 0; return }
  for (i = 1; i <= n; i++) {
    if (dsos[i] ~ /kallsyms|libc\.so|ld-linux/) continue
    if (dsos[i] ~ /libcoreclr|libclrjit/ && c == "" && !seenUser) { c = (dsos[i] ~ /libclrjit/) ? "JIT compiler" : "runtime native (GC, allocation)"; break }
    seenUser = 1
    c = component(syms[i], dsos[i])
    if (c != "") break
  }
  if (c == "") {
    for (i = 1; i <= n; i++) if (syms[i] ~ /System\.Net\.Sockets|SocketAsyncEngine/) { c = "sockets (caller not on the stack)"; break }
  }
  if (c == "") c = (dsos[1] ~ /kallsyms/) ? "kernel (caller not on the stack)" : "other managed/native"
  if (c != "probe") { count[c]++; total++ }
  n = 0; seenUser = 0
}
/^[ \t]*$/ { flush(); next }
/^[ \t]/ {
  line = $0
  sub(/^[ \t]*[0-9a-f]+ /, "", line)
  dso = line; sub(/.*\(/, "", dso); sub(/\)$/, "", dso)
  sym = line; sub(/ \([^(]*\)$/, "", sym)
  n++; syms[n] = sym; dsos[n] = dso
  next
}
END {
  flush()
  for (c in count) printf "%6.1f%%  %7d  %s\n", 100 * count[c] / total, count[c], c | "sort -rn"
  close("sort -rn")
  printf "%6.1f%%  %7d  %s\n", 100, total, "all samples"
}
