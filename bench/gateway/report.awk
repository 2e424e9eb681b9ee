# Turns bench/gateway/run's result lines ("target route c key=value ...", one per wrk run) into
# the Markdown tables of bench/README.md. Each cell is the median over the rounds.
function field(name,   i, kv) { for (i = 4; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return "" }
function add(metric, k, value) { n_[metric, k]++; v_[metric, k, n_[metric, k]] = value }
function median(metric, k,   n, i, j, a, t) {
  n = n_[metric, k]
  for (i = 1; i <= n; i++) a[i] = v_[metric, k, i]
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
  route = $2 " " $3; k = $1 SUBSEP route
  add("rps", k, field("requests") / (field("duration_us") / 1e6))
  add("p50", k, field("p50_us") / 1000); add("p99", k, field("p99_us") / 1000); add("mean", k, field("mean_us") / 1000)
  errors[k] += field("non2xx") + field("socket_errors")
  ran[$1] = 1
  if (!(route in seen)) { seen[route] = 1; routes[++n] = route }
}
END {
  split("direct bare-proxy tracing-off tracing-record tracing-on portkey", all, " ")
  for (j = 1; j <= 6; j++) if (all[j] in ran) targets[++m] = all[j]
  printf "Measured %s: %d round(s) of %d s per run after a %d s warm-up; each cell the median over the rounds.\n\n", date, rounds, seconds, warmup
  print "| route | c | target | req/s | p50 ms | p99 ms | mean ms | added p50 over direct | non-2xx + socket errors |"
  print "|---|---|---|---|---|---|---|---|---|"
  for (r = 1; r <= n; r++) {
    split(routes[r], parts, " ")
    for (j = 1; j <= m; j++) {
      t = targets[j]; k = t SUBSEP routes[r]; d = "direct" SUBSEP routes[r]
      added = t == "direct" ? "—" : sprintf("%+.3f ms", median("p50", k) - median("p50", d))
      printf "| %s | %s | %s | %.0f | %.3f | %.3f | %.3f | %s | %d |\n", parts[1], parts[2], t, median("rps", k), median("p50", k), median("p99", k), median("mean", k), added, errors[k]
    }
  }
  if (!("tracing-on" in ran)) exit
  print ""
  print "| route | added p50 at c=1, tracing-on ÷ Portkey (goal ≤ 0.10) | same, bare-proxy ÷ Portkey | req/s tracing-on ÷ tracing-off, c=32 (goal ≥ 0.97) | same, c=1 | req/s tracing-record ÷ tracing-off, c=32 |"
  print "|---|---|---|---|---|---|"
  for (r = 1; r <= n; r++) {
    split(routes[r], parts, " ")
    if (parts[2] != 1) continue
    one = routes[r]; many = parts[1] " 32"
    ours = median("p50", "tracing-on" SUBSEP one) - median("p50", "direct" SUBSEP one)
    ratio = "not run"; floor = ratio
    if ("portkey" in ran) {
      theirs = median("p50", "portkey" SUBSEP one) - median("p50", "direct" SUBSEP one)
      ratio = sprintf("%.2f (%.3f ÷ %.3f ms)", ours / theirs, ours, theirs)
      if ("bare-proxy" in ran) {
        bare = median("p50", "bare-proxy" SUBSEP one) - median("p50", "direct" SUBSEP one)
        floor = sprintf("%.2f (%.3f ms)", bare / theirs, bare)
      }
    }
    on_off = "not run"; on_off1 = on_off; record_off = on_off
    if ("tracing-off" in ran) {
      on_off = sprintf("%.3f", median("rps", "tracing-on" SUBSEP many) / median("rps", "tracing-off" SUBSEP many))
      on_off1 = sprintf("%.3f", median("rps", "tracing-on" SUBSEP one) / median("rps", "tracing-off" SUBSEP one))
      if ("tracing-record" in ran) record_off = sprintf("%.3f", median("rps", "tracing-record" SUBSEP many) / median("rps", "tracing-off" SUBSEP many))
    }
    printf "| %s | %s | %s | %s | %s | %s |\n", parts[1], ratio, floor, on_off, on_off1, record_off
  }
  printf "\nOTLP export requests the mock received from the tracing-on gateway: %d; dropped-span warnings in its log: %d.\n", exports, dropped
}
