#!/usr/bin/env python3
"""Where two gateways' CPU a request differs, by the code that owns it (bench/results/2026-11-26-cpu-by-owner.md).

components.awk gives each perf sample to the first frame, from the leaf up, that names a component, so
a socket write the relay asks for is "Kestrel". This gives it to the first frame of the gateway's own
code instead (TracedLlm's, the sample's, or the reference relay's, bench/gateway/MinRelay): the relay,
the attempts, the request's reading... own all the framework work they call. Samples with no own frame
on their stack (the thread pool, the sockets' event loop, the continuations of YARP's and Kestrel's own
async methods) and samples with no managed frame (the kernel, libc, the GC) are kept apart.

An async method's completion runs its caller's continuation inline (Task.RunContinuations), so part
of a caller's work is counted under the callee that completed: read the groups, not single methods.

Usage, on two `perf script -F ip,sym,dso` outputs of bench/gateway/profile's PERF_RECORD=1 runs, each
with the CPU µs a request that run's `perf stat` measured (the samples' shares are scaled to it):
    owners.py BEFORE.txt BEFORE_US AFTER.txt AFTER_US [--methods N]
"""
import collections
import re
import sys

OWN = re.compile(r"TracedLlm\.|\[MinRelay\]|\[TracedLlm")
NATIVE = re.compile(r"kallsyms|libc\.so|ld-linux|libcoreclr|libclrjit|unknown")

# What each piece of own code does, the sample's and the reference's side by side; first match wins.
GROUPS = [
    ("handler and generated pipeline", r"Generated\.|Samples\.Gateway\.Routes|LlmCall::|TracedLlmGateway|PreCallStage::Service|ResultStage|Relay\+<HandleAsync>|Program\+|Relay::HandleAsync"),
    ("request reading: body, media type, slot, metadata, typed request", r"RequestStage|RequestDeserializer|EnvelopeReader|LlmMetadata|PropertyNameCheck|ReadEnvelope|RequestMediaType|PreCallStage::ReadRequest|JsonText|RelayCall\+<ReadRequestAsync>|TypedRequest|ReadMessages|GatewayJsonContext|ChatCompletionRequest|MessagesRequest"),
    ("auth", r"ApiKeyAuthenticator|AuthStage|ApiKeyCheck|ApiKeyFingerprint"),
    ("guardrails", r"Guardrail|HasBannedWord"),
    ("attempts: Polly, attempt records and headers", r"AttemptSequence|ExecuteSequence|UpstreamPipeline|LlmRetryPolicy|LlmAttempt|RelayCall\+<AttemptAsync>|Polly"),
    ("response reading", r"Relay\.Reading|TracedLlm\.Reading\.|AnswerFacts|EventStreamReader|TextSink"),
    ("relay around YARP's forwarder, the forward it calls included", r"RelayRun|RelayAttempt|RelayTransformer|RelayBodyStream|RelayContent|LlmRelayResult|HeaderSnapshot|UpstreamTransformer|PrepareRequestForForwarding|LlmRelay|StreamStage|RelayCall|EventStreamContent"),
]


def method(symbol):
    symbol = re.sub(r"\[(OptimizedTier1OSR|OptimizedTier1|Optimized|Tier0|Tier1|QuickJitted|PreJIT)\]", "", symbol)
    match = re.search(r"(\S+::[^(]+)\(", symbol)
    return match.group(1) if match else symbol[:120]


def owners(path, us_a_request):
    """Each owner's µs a request: 'own <method>', 'framework <type>' or 'native <library>'."""
    counts = collections.Counter()
    frames = []
    total = 0

    def sample():
        nonlocal total
        if not frames:
            return
        total += 1
        own = next((method(symbol) for symbol, library in frames if OWN.search(symbol) or OWN.search(library)), None)
        if own is not None:
            counts["own " + own] += 1
        else:
            managed = [symbol for symbol, library in frames if not NATIVE.search(library)]
            counts["framework " + ".".join(method(managed[0]).split("::")[0].split(".")[-2:]) if managed
                   else "native " + frames[0][1].split("/")[-1]] += 1
        frames.clear()

    with open(path, errors="replace") as lines:
        for line in lines:
            if not line.strip():
                sample()
            elif line[0] in " \t":
                frame = re.sub(r"^[0-9a-f]+ ", "", line.strip())
                parts = re.match(r"(.*) \(([^()]*)\)$", frame)
                frames.append((parts.group(1), parts.group(2)) if parts else (frame, ""))
    sample()
    return {owner: n / total * us_a_request for owner, n in counts.items()}


def group(owner):
    if owner.startswith("own "):
        return next((name for name, pattern in GROUPS if re.search(pattern, owner)), "other own code")
    if owner.startswith("framework "):
        return "framework with no own frame above it (thread pool, sockets, YARP's and Kestrel's continuations)"
    return "no managed frame (kernel, libc, GC)"


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    before, after = owners(argv[0], float(argv[1])), owners(argv[2], float(argv[3]))
    totals = collections.defaultdict(lambda: [0.0, 0.0])
    for owner in before.keys() | after.keys():
        row = totals[group(owner)]
        row[0] += before.get(owner, 0)
        row[1] += after.get(owner, 0)
    print("| owner | before | after | difference |")
    print("|---|---:|---:|---:|")
    for name, (b, a) in sorted(totals.items(), key=lambda item: item[1][0] - item[1][1]):
        print(f"| {name} | {b:.1f} | {a:.1f} | {a - b:+.1f} |")
    print(f"| all | {sum(r[0] for r in totals.values()):.1f} | {sum(r[1] for r in totals.values()):.1f} | "
          f"{sum(r[1] - r[0] for r in totals.values()):+.1f} |")
    if "--methods" in argv:
        n = int(argv[argv.index("--methods") + 1])
        rows = sorted(before.keys() | after.keys(), key=lambda o: -abs(after.get(o, 0) - before.get(o, 0)))
        for owner in rows[:n]:
            print(f"{after.get(owner, 0) - before.get(owner, 0):+7.2f} {before.get(owner, 0):7.2f} {after.get(owner, 0):7.2f}  {owner}")


if __name__ == "__main__":
    main(sys.argv[1:])
