# Turns bench/gateway/run's result lines ("target route c key=value ...", one per wrk run) into
# the Markdown tables of the result files (bench/results). Each cell is the median over the rounds.
function field(name,   i, kv) { for (i = 4; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } return "" }
function add(metric, k, value) { n_[metric, k]++; v_[metric, k, n_[metric, k]] = value }
function has(metric, k) { return n_[metric, k] > 0 }
function median(metric, k,   n, i, j, a, t) {
  n = n_[metric, k]
  for (i = 1; i <= n; i++) a[i] = v_[metric, k, i]
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function ratio(numerator, denominator) { return denominator > 0 ? sprintf("%.2f", numerator / denominator) : "—" }
{
  route = $2 " " $3; k = $1 SUBSEP route
  requests = field("requests"); seconds_run = field("duration_us") / 1e6
  add("rps", k, requests / seconds_run)
  add("p50", k, field("p50_us") / 1000); add("p99", k, field("p99_us") / 1000)
  if (field("cpu_ms") != "" && requests > 0) {
    add("cpu", k, field("cpu_ms") * 1000 / requests)
    add("busy", k, field("cpu_ms") / 10 / seconds_run)
  }
  if (field("instructions") != "" && requests > 0) add("instructions", k, field("instructions") / requests)
  if (field("exported_spans") != "" && requests > 0) add("exported", k, field("exported_spans") / requests)
  if (field("exported_bytes") != "" && requests > 0) add("exported_bytes", k, field("exported_bytes") / requests)
  errors[k] += field("non2xx") + field("socket_errors")
  if (field("steal_pct") + 0 > max_steal) max_steal = field("steal_pct") + 0
  ran[$1] = 1
  if (!(route in seen)) { seen[route] = 1; routes[++n] = route }
}
END {
  count = split("direct bare-proxy yarp min-relay min-relay-record min-relay-on min-relay-typed typed-off typed-record typed-on tracing-off@before tracing-off tracing-record@before tracing-record tracing-on@before tracing-on tracing-on-yield tracing-on-sampled tracing-on-tail tracing-off+nospin tracing-on+nospin tracing-on-yield+nospin tracing-on+batch256 tracing-on+batch128 tracing-on+batch64 portkey", all, " ")
  for (j = 1; j <= count; j++) if (all[j] in ran) { targets[++m] = all[j]; listed[all[j]] = 1 }
  for (t in ran) if (!(t in listed)) targets[++m] = t
  printf "Measured %s: %d round(s) of %d s per run, each cell the median over the rounds, after warming every\n", date, rounds, seconds
  printf "target up to a quiet JIT (%s); %s; the most CPU time the VM's host took during a kept run: %d %%.\n\n", warm, quota, max_steal
  print "| route | c | target | req/s | p50 ms | p99 ms | added p50 over direct | gateway CPU µs / request | gateway core busy | instructions / request | non-2xx + socket errors |"
  print "|---|---|---|---|---|---|---|---|---|---|---|"
  for (r = 1; r <= n; r++) {
    split(routes[r], parts, " ")
    for (j = 1; j <= m; j++) {
      t = targets[j]; k = t SUBSEP routes[r]; d = "direct" SUBSEP routes[r]
      added = t == "direct" ? "—" : sprintf("%+.3f ms", median("p50", k) - median("p50", d))
      cpu = has("cpu", k) ? sprintf("%.1f", median("cpu", k)) : "—"
      busy = has("busy", k) ? sprintf("%.0f %%", median("busy", k)) : "—"
      instructions = has("instructions", k) ? sprintf("%.0fk", median("instructions", k) / 1000) : "—"
      printf "| %s | %s | %s | %.0f | %.3f | %.3f | %s | %s | %s | %s | %d |\n", parts[1], parts[2], t, median("rps", k), median("p50", k), median("p99", k), added, cpu, busy, instructions, errors[k]
    }
  }
  if (!("tracing-on" in ran)) { goals(); sampling(); exit }
  print ""
  print "| route | added p50 at c=1, tracing-on ÷ Portkey (goal ≤ 0.10) | same, bare-proxy ÷ Portkey | same, YARP ÷ Portkey | c=1 p99, tracing-on ÷ tracing-off (goal ≤ 1.2) | c=32 req/s, tracing-on ÷ tracing-off (goal ≥ 0.97) | c=32 req/s, tracing-on ÷ YARP (goal ≥ 0.90) | same, tracing-on ÷ bare-proxy | c=32 work per request (instructions), tracing-off ÷ tracing-on | same, tracing-off ÷ tracing-record | tracing-on spans exported per request, c=1 / c=32 |"
  print "|---|---|---|---|---|---|---|---|---|---|---|"
  for (r = 1; r <= n; r++) {
    split(routes[r], parts, " ")
    if (parts[2] != 1) continue
    one = routes[r]; many = parts[1] " 32"
    ours = median("p50", "tracing-on" SUBSEP one) - median("p50", "direct" SUBSEP one)
    latency = "not run"; floor = latency; yfloor = latency
    if ("portkey" in ran) {
      theirs = median("p50", "portkey" SUBSEP one) - median("p50", "direct" SUBSEP one)
      latency = sprintf("%s (%.3f ÷ %.3f ms)", ratio(ours, theirs), ours, theirs)
      if ("bare-proxy" in ran) {
        bare = median("p50", "bare-proxy" SUBSEP one) - median("p50", "direct" SUBSEP one)
        floor = sprintf("%s (%.3f ms)", ratio(bare, theirs), bare)
      }
      if ("yarp" in ran) {
        y = median("p50", "yarp" SUBSEP one) - median("p50", "direct" SUBSEP one)
        yfloor = sprintf("%s (%.3f ms)", ratio(y, theirs), y)
      }
    }
    rps = "not run"; capacity = rps; record = rps; tail = rps; vsyarp = rps; vsbare = rps
    if ("yarp" in ran) vsyarp = sprintf("%s (%.0f ÷ %.0f)", ratio(median("rps", "tracing-on" SUBSEP many), median("rps", "yarp" SUBSEP many)), median("rps", "tracing-on" SUBSEP many), median("rps", "yarp" SUBSEP many))
    if ("bare-proxy" in ran) vsbare = sprintf("%s (%.0f)", ratio(median("rps", "tracing-on" SUBSEP many), median("rps", "bare-proxy" SUBSEP many)), median("rps", "bare-proxy" SUBSEP many))
    if ("tracing-off" in ran) {
      tail = sprintf("%s (%.3f ÷ %.3f ms)", ratio(median("p99", "tracing-on" SUBSEP one), median("p99", "tracing-off" SUBSEP one)), median("p99", "tracing-on" SUBSEP one), median("p99", "tracing-off" SUBSEP one))
      off = "tracing-off" SUBSEP many; on = "tracing-on" SUBSEP many; rec = "tracing-record" SUBSEP many
      rps = sprintf("%s (%.0f ÷ %.0f)", ratio(median("rps", on), median("rps", off)), median("rps", on), median("rps", off))
      # Capacity is the inverse of the work a request takes. Instructions, not CPU time: on this
      # shared machine the same work takes up to a third more time in one run than in another.
      capacity = has("instructions", on) && has("instructions", off) ? sprintf("%s (%.0fk ÷ %.0fk)", ratio(median("instructions", off), median("instructions", on)), median("instructions", off) / 1000, median("instructions", on) / 1000) : "—"
      record = has("instructions", rec) && has("instructions", off) ? sprintf("%s (%.0fk)", ratio(median("instructions", off), median("instructions", rec)), median("instructions", rec) / 1000) : "not run"
    }
    spans = has("exported", "tracing-on" SUBSEP one) ? sprintf("%.2f / %.2f", median("exported", "tracing-on" SUBSEP one), median("exported", "tracing-on" SUBSEP many)) : "—"
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", parts[1], latency, floor, yfloor, tail, rps, vsyarp, vsbare, capacity, record, spans
  }
  printf "\nOTLP export requests the mock received from the tracing-on gateways: %d; spans they dropped (export queue full), warm-up included: %d.\n", exports, dropped
  goals()
  sampling()
}

# Issue 19's goals per route, with CPU time as the measure of work where the VM counts no
# instructions, the export thread's stepping aside beside the default, and before/after pairs.
function cell(metric, t, route) { return has(metric, t SUBSEP route) ? median(metric, t SUBSEP route) : "" }
function quotient(a, b, digits) { return a != "" && b != "" && b > 0 ? sprintf("%." digits "f", a / b) : "—" }
function goals(   r, parts, one, many, off1, on1, rec1, yield1, cpuoff, cpuon, cpurec, t, j, sample) {
  print ""
  print "| route | c=1 p99 ms: off / record / on / on-yield | c=1 p99 ÷ off: record / on / on-yield (goal ≤ 1.2) | c=32 req/s ÷ off: on / on-yield / on-sampled (goal ≥ 0.97) | c=32 req/s, on ÷ YARP (goal ≥ 0.90) / ÷ bare | c=32 req/s, off ÷ YARP (goal ≥ 0.97) | c=32 CPU µs a request: off / record / on | c=32 work, off ÷ on (CPU µs) |"
  print "|---|---|---|---|---|---|---|---|"
  for (r = 1; r <= n; r++) {
    split(routes[r], parts, " ")
    if (parts[2] != 1) continue
    one = routes[r]; many = parts[1] " 32"
    off1 = cell("p99", "tracing-off", one); rec1 = cell("p99", "tracing-record", one); on1 = cell("p99", "tracing-on", one); yield1 = cell("p99", "tracing-on-yield", one)
    cpuoff = cell("cpu", "tracing-off", many); cpurec = cell("cpu", "tracing-record", many); cpuon = cell("cpu", "tracing-on", many)
    printf "| %s | %s / %s / %s / %s | %s / %s / %s | %s / %s / %s | %s / %s | %s | %s / %s / %s | %s |\n", parts[1], \
      fmt(off1, 3), fmt(rec1, 3), fmt(on1, 3), fmt(yield1, 3), quotient(rec1, off1, 2), quotient(on1, off1, 2), quotient(yield1, off1, 2), \
      quotient(cell("rps", "tracing-on", many), cell("rps", "tracing-off", many), 2), quotient(cell("rps", "tracing-on-yield", many), cell("rps", "tracing-off", many), 2), quotient(cell("rps", "tracing-on-sampled", many), cell("rps", "tracing-off", many), 2), \
      quotient(cell("rps", "tracing-on", many), cell("rps", "yarp", many), 2), quotient(cell("rps", "tracing-on", many), cell("rps", "bare-proxy", many), 2), \
      quotient(cell("rps", "tracing-off", many), cell("rps", "yarp", many), 2), \
      fmt(cpuoff, 1), fmt(cpurec, 1), fmt(cpuon, 1), quotient(cpuoff, cpuon, 2)
  }
  reference()
  typed()
  if (!("tracing-off@before" in ran) && !("tracing-on@before" in ran) && !("tracing-record@before" in ran)) return
  print ""
  print "| route | c | target | req/s before → after | CPU µs a request before → after | p50 ms before → after | p99 ms before → after |"
  print "|---|---|---|---|---|---|---|"
  for (r = 1; r <= n; r++) {
    split(routes[r], parts, " ")
    split("tracing-off tracing-record tracing-on", sample, " ")
    for (j = 1; j <= 3; j++) {
      t = sample[j]
      if (!((t "@before") in ran) || !(t in ran)) continue
      printf "| %s | %s | %s | %s → %s (%s×) | %s → %s (%s×) | %s → %s | %s → %s |\n", parts[1], parts[2], t, \
        fmt(cell("rps", t "@before", routes[r]), 0), fmt(cell("rps", t, routes[r]), 0), quotient(cell("rps", t, routes[r]), cell("rps", t "@before", routes[r]), 2), \
        fmt(cell("cpu", t "@before", routes[r]), 1), fmt(cell("cpu", t, routes[r]), 1), quotient(cell("cpu", t, routes[r]), cell("cpu", t "@before", routes[r]), 2), \
        fmt(cell("p50", t "@before", routes[r]), 3), fmt(cell("p50", t, routes[r]), 3), fmt(cell("p99", t "@before", routes[r]), 3), fmt(cell("p99", t, routes[r]), 3)
    }
  }
}
# Tail sampling (issue 30): what a request costs exported whole and with the tail sampler keeping a ratio.
function sampling(   r, parts, t, j, list) {
  if (!("tracing-on-tail" in ran)) return
  print ""
  print "| route | c | target | spans exported / request | OTLP bytes exported / request | gateway CPU µs / request | req/s |"
  print "|---|---|---|---|---|---|---|"
  split("tracing-off tracing-record tracing-on tracing-on-tail", list, " ")
  for (r = 1; r <= n; r++) {
    split(routes[r], parts, " ")
    for (j = 1; j <= 4; j++) {
      t = list[j]
      if (!(t in ran)) continue
      printf "| %s | %s | %s | %s | %s | %s | %s |\n", parts[1], parts[2], t, fmt(cell("exported", t, routes[r]), 2), fmt(cell("exported_bytes", t, routes[r]), 0), fmt(cell("cpu", t, routes[r]), 1), fmt(cell("rps", t, routes[r]), 0)
    }
  }
}
function fmt(value, digits) { return value == "" ? "—" : sprintf("%." digits "f", value) }

# The relay beside the sample's typed path in the same run (typed-X: Upstream__Relay=false).
function typed(   r, parts, sample, j, t, before) {
  if (!("typed-off" in ran) && !("typed-on" in ran) && !("typed-record" in ran)) return
  print ""
  print "| route | c | tracing | req/s typed → relay | CPU µs a request typed → relay | p50 ms typed → relay | p99 ms typed → relay |"
  print "|---|---|---|---|---|---|---|"
  for (r = 1; r <= n; r++) {
    split(routes[r], parts, " ")
    split("off record on", sample, " ")
    for (j = 1; j <= 3; j++) {
      t = "tracing-" sample[j]; before = "typed-" sample[j]
      if (!(before in ran) || !(t in ran)) continue
      printf "| %s | %s | %s | %s → %s (%s×) | %s → %s (%s×) | %s → %s | %s → %s |\n", parts[1], parts[2], sample[j], \
        fmt(cell("rps", before, routes[r]), 0), fmt(cell("rps", t, routes[r]), 0), quotient(cell("rps", t, routes[r]), cell("rps", before, routes[r]), 2), \
        fmt(cell("cpu", before, routes[r]), 1), fmt(cell("cpu", t, routes[r]), 1), quotient(cell("cpu", t, routes[r]), cell("cpu", before, routes[r]), 2), \
        fmt(cell("p50", before, routes[r]), 3), fmt(cell("p50", t, routes[r]), 3), fmt(cell("p99", before, routes[r]), 3), fmt(cell("p99", t, routes[r]), 3)
    }
  }
}

# OpenTelemetry's floor (issue 39): the reference relay recording and exporting the same seven spans with
# OpenTelemetry .NET alone, beside the sample's tracing, each as a ratio to its own untraced relay.
function reference(   r, parts, one) {
  if (!("min-relay-on" in ran) || !("min-relay" in ran)) return
  print ""
  print "| route | c=32 req/s on ÷ off: reference / sample | CPU µs a request off → on: reference / sample | tracing's µs a request: reference / sample | c=1 p99 on ÷ off: reference / sample | spans, OTLP bytes a request (c=32): reference / sample |"
  print "|---|---|---|---|---|---|"
  for (r = 1; r <= n; r++) {
    split(routes[r], parts, " ")
    if (parts[2] != 32) continue
    one = parts[1] " 1"
    printf "| %s | %s / %s | %s → %s / %s → %s | %s / %s | %s / %s | %s, %s / %s, %s |\n", parts[1], \
      quotient(cell("rps", "min-relay-on", routes[r]), cell("rps", "min-relay", routes[r]), 2), quotient(cell("rps", "tracing-on", routes[r]), cell("rps", "tracing-off", routes[r]), 2), \
      fmt(cell("cpu", "min-relay", routes[r]), 1), fmt(cell("cpu", "min-relay-on", routes[r]), 1), fmt(cell("cpu", "tracing-off", routes[r]), 1), fmt(cell("cpu", "tracing-on", routes[r]), 1), \
      difference(cell("cpu", "min-relay-on", routes[r]), cell("cpu", "min-relay", routes[r])), difference(cell("cpu", "tracing-on", routes[r]), cell("cpu", "tracing-off", routes[r])), \
      quotient(cell("p99", "min-relay-on", one), cell("p99", "min-relay", one), 2), quotient(cell("p99", "tracing-on", one), cell("p99", "tracing-off", one), 2), \
      fmt(cell("exported", "min-relay-on", routes[r]), 2), fmt(cell("exported_bytes", "min-relay-on", routes[r]), 0), fmt(cell("exported", "tracing-on", routes[r]), 2), fmt(cell("exported_bytes", "tracing-on", routes[r]), 0)
  }
}
function difference(a, b) { return a == "" || b == "" ? "—" : sprintf("%.1f", a - b) }
