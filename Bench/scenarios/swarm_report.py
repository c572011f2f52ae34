#!/usr/bin/env python3
"""The cluster scenario's report: merges the swarm processes' JSON (exact: the histograms are
merged bin by bin), reads the CPU samples, prints the figures and each Done-when check, and
writes OUT/cluster.json.

Usage: swarm_report.py OUT LISTENERS NODES SECONDS RATE JOINED HZ BASELINE_JOINED BASELINE_LISTENERS
"""
import glob
import json
import os
import sys

out, listeners, nodes, run, rate, joined, hz, baseline_joined, baseline_listeners = sys.argv[1:10]
listeners, nodes, run, rate, hz, baseline_listeners = int(listeners), int(nodes), float(run), float(rate), int(hz), int(baseline_listeners)
joined, baseline_joined = float(joined), float(baseline_joined)


def merge(name):
    parts = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(out, name + "-*.json")))]
    total = {"processes": len(parts)}
    for key in ("started", "answered", "welcomes", "waitingAnswers", "refusedMessages", "endedMessages", "admittedAtEnd",
                "waitingAtEnd", "frames", "lost", "gaps", "outOfOrder", "batches", "bytes", "cpuSeconds"):
        total[key] = sum(p[key] for p in parts)
    total["seconds"] = max((p["seconds"] for p in parts), default=0)
    for key in ("failures", "http", "closes"):
        merged = {}
        for p in parts:
            for k, v in p[key].items():
                merged[k] = merged.get(k, 0) + v
        total[key] = merged
    for key in ("answer", "welcome", "waited", "audio"):
        total[key] = histogram([p[key] for p in parts])
    by_port = {}
    for p in parts:
        for n in p["nodes"]:
            node = by_port.setdefault(n["port"], {"port": n["port"], "admitted": 0, "atEnd": 0, "frames": 0, "lost": 0, "audio": []})
            for k in ("admitted", "atEnd", "frames", "lost"):
                node[k] += n[k]
            node["audio"].append(n["audio"])
    total["nodes"] = [dict(n, audio=histogram(n["audio"])) for _, n in sorted(by_port.items())]
    return total


def histogram(lists):
    bins = {}
    for pairs in lists:
        for ms, count in pairs:
            bins[ms] = bins.get(ms, 0) + count
    return sorted(bins.items())


def percentile(bins, q):
    total = sum(c for _, c in bins)
    if not total:
        return None
    rank, seen = q * (total - 1), 0
    for ms, c in bins:
        seen += c
        if seen > rank:
            return ms
    return bins[-1][0]


def summary(bins):
    return {"count": sum(c for _, c in bins), "p50": percentile(bins, 0.5), "p99": percentile(bins, 0.99),
            "p999": percentile(bins, 0.999), "max": bins[-1][0] if bins else None}


def cpu(file):
    """pid -> {start, joined, end} ticks."""
    samples = {}
    if not os.path.exists(file):
        return samples
    for line in open(file):
        fields = line.split()
        if len(fields) != 3:
            continue  # the process was gone when sampled
        moment, pid, ticks = fields
        samples.setdefault(pid, {})[moment] = int(ticks)
    return samples


def show(title, s):
    print(f"{title}: {s['count']} samples, p50 {s['p50']} ms, p99 {s['p99']} ms, p99.9 {s['p999']} ms, max {s['max']} ms")


cluster = merge("cluster-swarm")
print(open(os.path.join(out, "cluster-nodes.txt")).read().rstrip())
print(f"swarm: {cluster['processes']} processes, {cluster['cpuSeconds']:.1f} s of CPU over {cluster['seconds']:.0f} s "
      f"({100 * cluster['cpuSeconds'] / max(cluster['seconds'], 1):.0f} % of a core)")
failures = sum(cluster["failures"].values())
print(f"joins: {cluster['started']} started, {cluster['answered']} answered ({cluster['welcomes']} welcome, "
      f"{cluster['waitingAnswers']} first told to wait, {cluster['refusedMessages']} refused, HTTP {cluster['http'] or 'none'}), "
      f"failures {cluster['failures']}; at the end {cluster['admittedAtEnd']} admitted, {cluster['waitingAtEnd']} waiting; "
      f"closes {cluster['closes'] or 'none'}")
answer, welcome, waited, audio = (summary(cluster[k]) for k in ("answer", "welcome", "waited", "audio"))
show("first answer (connect to welcome or waiting)", answer)
show("welcome (connect to welcome)", welcome)
show("waited in line", waited)
show("audio latency per batch", audio)
lost_share = cluster["lost"] / max(cluster["frames"] + cluster["lost"], 1)
print(f"audio: {cluster['frames']} frames in {cluster['batches']} batches ({cluster['frames'] / max(cluster['batches'], 1):.1f} per batch), "
      f"{cluster['lost']} lost ({100 * lost_share:.3f} %), {cluster['gaps']} gaps, {cluster['outOfOrder']} out of order")
counts = [n["atEnd"] for n in cluster["nodes"]]
mean = sum(counts) / max(len(counts), 1)
spread = max(abs(c - mean) / mean for c in counts) if mean else 1
for n in cluster["nodes"]:
    s = summary(n["audio"])
    print(f"  node :{n['port']}: {n['admitted']} admitted, {n['atEnd']} at the end, {n['frames']} frames, {n['lost']} lost, p99 {s['p99']} ms")
print(f"listeners per node within ±{100 * spread:.1f} % of the mean")

samples = cpu(os.path.join(out, "cluster-cpu.txt"))
pids = list(samples)
node_pids, redis_pid = pids[:-1], pids[-1] if pids else None
if run - joined < 5:
    sys.exit(f"the run ({run:.0f} s) must last at least 5 s past the joins and 5 s more ({joined:.0f} s) to measure the steady state")
steady = run - joined - 0.5
per_listener = []
for pid, n in zip(node_pids, cluster["nodes"]):
    s = samples[pid]
    if len(s) < 3:
        print(f"  node :{n['port']}: no CPU figures (the node was gone when sampled)")
        per_listener.append(float("nan"))
        continue
    storm = (s["joined"] - s["start"]) / hz
    calm = (s["end"] - s["joined"]) / hz
    per_listener.append(calm / steady / max(n["atEnd"], 1) * 1e6)
    print(f"  node :{n['port']} CPU: {100 * storm / joined:.0f} % of a core while joining ({joined:.0f} s), "
          f"{100 * calm / steady:.0f} % after ({steady:.0f} s): {per_listener[-1]:.1f} µs per listener per second")
if redis_pid:
    s = samples[redis_pid]
    print(f"redis CPU: {100 * (s['joined'] - s['start']) / hz / joined:.0f} % of a core while joining, "
          f"{100 * (s['end'] - s['joined']) / hz / steady:.0f} % after")

report = {"listeners": listeners, "nodes": nodes, "seconds": run, "rate": rate,
          "cluster": {k: v for k, v in cluster.items() if k not in ("answer", "welcome", "waited", "audio")},
          "answer": answer, "welcome": welcome, "waited": waited, "audio": audio, "spread": spread}
report["cluster"]["nodes"] = [dict(n, audio=summary(n["audio"])) for n in cluster["nodes"]]

# An answer is welcome, waiting then welcome, refused, or an HTTP refusal (a 503 with a ticket
# is an honest answer); a failure is a connect error, a socket closed before any answer, or 10 s
# without one.
checks = [
    ("every join answered", failures == 0 and cluster["answered"] == cluster["started"] == listeners),
    ("every admitted listener stays to the end (no close)", not cluster["closes"] and cluster["admittedAtEnd"] == cluster["welcomes"]),
    ("0 frames lost", cluster["lost"] == 0),
    ("node listener counts within ±10 %", spread <= 0.10),
    ("audio p99 ≤ 2 s", audio["p99"] is not None and audio["p99"] <= 2000),
]
if glob.glob(os.path.join(out, "cluster-single-swarm-*.json")) and baseline_joined > 0:
    single = merge("cluster-single-swarm")
    s = list(cpu(os.path.join(out, "cluster-single-cpu.txt")).values())[0]
    single_steady = max(run - baseline_joined - 0.5, 1e-9)
    single_per = (s["end"] - s["joined"]) / hz / single_steady / max(single["admittedAtEnd"], 1) * 1e6
    cluster_per = sum(per_listener) / max(len(per_listener), 1)
    single_audio = summary(single["audio"])
    print(f"baseline, one embedded node: {single['admittedAtEnd']} listeners, {100 * (s['end'] - s['joined']) / hz / single_steady:.0f} % "
          f"of a core after joining: {single_per:.1f} µs per listener per second; audio p99 {single_audio['p99']} ms, "
          f"{single['lost']} frames lost")
    print(f"CPU per listener, a cluster node over a single node: x{cluster_per / single_per:.2f}")
    report["baseline"] = {"listeners": single["admittedAtEnd"], "microsPerListenerSecond": single_per, "audio": single_audio,
                          "lost": single["lost"]}
    report["ratio"] = cluster_per / single_per
for name, ok in checks:
    print(f"{'PASS' if ok else 'FAIL'}  {name}")
report["checks"] = {name: ok for name, ok in checks}
json.dump(report, open(os.path.join(out, "cluster.json"), "w"), indent=1)
