# Turns bench/aot/run's result lines ("target key=value ...") into the Markdown table of
# bench/results/2026-11-23-aot.md: each cell the median of its runs (RSS under load: the largest sample).
function field(name,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return "" }
function add(metric, k, value) { n_[metric, k]++; v_[metric, k, n_[metric, k]] = value }
function median(metric, k,   n, i, j, a, t) {
  n = n_[metric, k]
  if (n == 0) return ""
  for (i = 1; i <= n; i++) a[i] = v_[metric, k, i]
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  lo[metric, k] = a[1]; hi[metric, k] = a[n]
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function mib(bytes) { return sprintf("%.1f MiB", bytes / 1048576) }
function ratio(a, b) { return b > 0 ? sprintf("%.2f×", a / b) : "—" }
$2 ~ /^first_response_ms=/ { add("first", $1, field("first_response_ms")); next }
$2 ~ /^idle_rss_kb=/ { idle[$1] = field("idle_rss_kb"); next }
$2 ~ /^load_rss_kb=/ { v = field("load_rss_kb") + 0; if (v > load[$1]) load[$1] = v; next }
$2 ~ /^c=/ {
  k = $1 SUBSEP $2
  add("rps", k, field("requests") / (field("duration_us") / 1e6))
  add("p50", k, field("p50_us") / 1000); add("p99", k, field("p99_us") / 1000)
  errors[k] += field("non2xx") + field("socket_errors")
}
END {
  split("aot-off aot-on jit-off jit-on", t, " ")
  printf "Measured %s: the sample gateway, Native AOT and JIT (.NET %s), tracing off and on (OTLP/HTTP to the mock);\n", date, runtime
  printf "time to first response: median (min–max) of %d starts each; load: /v1/chat/completions, %d round(s) of %d s,\n", starts, rounds, seconds
  printf "each cell the median over the rounds; added latency = the gateway's minus the mock's own; %s;\n", quota
  printf "warm-up: %s; load average (1, 5, 15 min) %s, on 2 cores.\n\n", warm, loadavg
  print "| | AOT, tracing off | AOT, tracing on | JIT, tracing off | JIT, tracing on | AOT ÷ JIT, off | AOT ÷ JIT, on |"
  print "|---|---|---|---|---|---|---|"
  printf "| size on disk | %s (one file) | same | %s app + %s shared frameworks | same | %s | |\n", mib(aot_bytes), mib(jit_bytes), mib(frameworks_bytes), ratio(aot_bytes, jit_bytes + frameworks_bytes)
  row = "| time to first response |"
  for (i = 1; i <= 4; i++) { m[i] = median("first", t[i]); row = row sprintf(" %d ms (%d–%d) |", m[i], lo["first", t[i]], hi["first", t[i]]) }
  print row sprintf(" %s | %s |", ratio(m[1], m[3]), ratio(m[2], m[4]))
  row = "| RSS idle (after one request) |"
  for (i = 1; i <= 4; i++) row = row sprintf(" %s |", mib(idle[t[i]] * 1024))
  print row sprintf(" %s | %s |", ratio(idle[t[1]], idle[t[3]]), ratio(idle[t[2]], idle[t[4]]))
  row = "| RSS under load (largest, c=32) |"
  for (i = 1; i <= 4; i++) row = row sprintf(" %s |", mib(load[t[i]] * 1024))
  print row sprintf(" %s | %s |", ratio(load[t[1]], load[t[3]]), ratio(load[t[2]], load[t[4]]))
  split("1 32", cs, " ")
  for (c = 1; c <= 2; c++) {
    cc = "c=" cs[c]; d = "direct" SUBSEP cc
    row = "| " cc " req/s |"
    for (i = 1; i <= 4; i++) { r[i] = median("rps", t[i] SUBSEP cc); row = row sprintf(" %.0f |", r[i]) }
    print row sprintf(" %s | %s |", ratio(r[1], r[3]), ratio(r[2], r[4]))
    split("p50 p99", ps, " ")
    for (p = 1; p <= 2; p++) {
      row = "| " cc " added " ps[p] " |"
      for (i = 1; i <= 4; i++) { a[i] = median(ps[p], t[i] SUBSEP cc) - median(ps[p], d); row = row sprintf(" %+.3f ms |", a[i]) }
      print row sprintf(" %s | %s |", ratio(a[1], a[3]), ratio(a[2], a[4]))
    }
  }
  row = "| non-2xx + socket errors |"
  for (i = 1; i <= 4; i++) row = row sprintf(" %d |", errors[t[i] SUBSEP "c=1"] + errors[t[i] SUBSEP "c=32"])
  print row " | |"
  printf "\nThe mock alone (wrk straight to it): c=1 p50 %.3f ms, p99 %.3f ms, %.0f req/s; c=32 p50 %.3f ms, p99 %.3f ms.\n", \
    median("p50", "direct" SUBSEP "c=1"), median("p99", "direct" SUBSEP "c=1"), median("rps", "direct" SUBSEP "c=1"), \
    median("p50", "direct" SUBSEP "c=32"), median("p99", "direct" SUBSEP "c=32")
}
