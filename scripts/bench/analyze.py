#!/usr/bin/env python3
"""Parses and reports the side-by-side benchmark (scripts/bench-compare.sh). Stdlib only.

  analyze.py run RUNDIR
      RUNDIR holds meta.json, producer.log, consumer.log, procstat.tsv of one run (one target,
      one scenario, one round). Writes RUNDIR/result.json and prints a one-line summary.

  analyze.py report OUTDIR [--docs docs/performance.md]
      Reads every OUTDIR/<scenario>/<run>/result.json, takes the median of each figure over the
      rounds, prints the ratio table (ours / official) per scenario, writes OUTDIR/summary.md and
      OUTDIR/<scenario>/tps.svg (TPS over time of both brokers). With --docs it also replaces this
      scenario's generated block in the "Broker side by side" section of the given markdown file
      (between <!-- bench-compare:SCENARIO:begin/end --> markers, inserted before
      <!-- bench-compare:end --> when missing) and copies the SVG to docs/bench/tps-SCENARIO.svg.

Figures and where they come from:
  send TPS      the official Producer's own lines ("Send TPS", BatchProducer: "Send MPS", i.e.
                messages/s), printed every second over a 10 s sliding window; mean of the lines
                whose window lies inside the measurement window.
  consume TPS   the official Consumer's "Consume TPS" lines, same rule.
  p99 send      rmqrs.bench.Probe (an RPCHook in the benchmark's JVM): request-to-response time
                of each send request over the measurement window, microsecond buckets.
  peak RSS      max over samples of the sum of VmRSS of the broker processes (all brokers of the
                layout), from /proc, whole run.
  CPU s / M     broker processes' utime+stime spent in the measurement window, per million
                messages acknowledged in it.
The measurement window starts PROBE_WARMUP_MS after the first send and ends when the producer is
stopped; meta.json's warm-up/end are the fallback.
"""
import argparse
import calendar
import json
import math
import os
import re
import shutil
import statistics
import sys
import time

PROD_RE = re.compile(
    r"^Current Time: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) \| Send TPS: (\d+)"
    r"(?: \| Send MPS: (\d+))? \| Max RT\(ms\): (\d+) \| Average RT\(ms\):\s*([\d.]+)")
CONS_RE = re.compile(
    r"^Current Time: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) \| Consume TPS: (\d+) \| "
    r"AVG\(B2C\) RT\(ms\):\s*([\d.]+|NaN) \| AVG\(S2C\) RT\(ms\):\s*([\d.]+|NaN)")
PROBE_RE = re.compile(r"^\[probe\] ts=(\d+) sends=(\d+) nonok=(\d+) p50us=(\d+) p99us=(\d+) maxus=(\d+)")
KV_RE = re.compile(r"(\w+)=([\d.]+)")

WINDOW_SPAN_MS = 9000   # the official tools keep 10 one-second snapshots: a line covers ~9 s

TARGET_LABEL = {
    "ours": "ours (official benchmark)",
    "official": "official (official benchmark)",
    "ours-mqbench": "ours (mqbench)",
    "official-mqbench": "official (mqbench)",
}
TARGET_COLOR = {"ours": "#d62728", "official": "#1f77b4", "ours-mqbench": "#2ca02c", "official-mqbench": "#9467bd"}
ALL_TARGETS = ("ours", "official", "ours-mqbench", "official-mqbench")


def utc_ms(date_s, ms_s):
    return calendar.timegm(time.strptime(date_s, "%Y-%m-%d %H:%M:%S")) * 1000 + int(ms_s)


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, errors="replace") as f:
        return f.read().splitlines()


def parse_producer(path):
    lines, probes, total, reset = [], [], None, None
    for ln in read_lines(path):
        m = PROD_RE.match(ln)
        if m:
            tps = int(m.group(4)) if m.group(4) is not None else int(m.group(3))
            lines.append({"ts": utc_ms(m.group(1), m.group(2)), "tps": tps, "req_tps": int(m.group(3)),
                          "max_rt_ms": int(m.group(5)), "avg_rt_ms": float(m.group(6))})
            continue
        m = PROBE_RE.match(ln)
        if m:
            probes.append({"ts": int(m.group(1)), "sends": int(m.group(2)), "nonok": int(m.group(3)),
                           "p50us": int(m.group(4)), "p99us": int(m.group(5)), "maxus": int(m.group(6))})
            continue
        if ln.startswith("[probe-total]"):
            total = {k: float(v) for k, v in KV_RE.findall(ln)}
        elif ln.startswith("[probe-reset]"):
            reset = {k: float(v) for k, v in KV_RE.findall(ln)}
    return lines, probes, total, reset


def parse_consumer(path):
    out = []
    for ln in read_lines(path):
        m = CONS_RE.match(ln)
        if m:
            out.append({"ts": utc_ms(m.group(1), m.group(2)), "tps": int(m.group(3))})
    return out


def parse_procstat(path):
    rows = []
    for ln in read_lines(path):
        p = ln.split("\t")
        if len(p) != 8:
            continue
        rows.append({"ts": int(p[0]), "role": p[1], "pid": int(p[2]), "cpu": float(p[3]),
                     "rss": int(p[4]), "anon": int(p[5]), "file": int(p[6]), "hwm": int(p[7])})
    return rows


def window_mean(series, since, until):
    """Mean of sliding-window lines whose whole window lies in [since, until]."""
    inside = [s["tps"] for s in series if s["ts"] - WINDOW_SPAN_MS >= since - 500 and s["ts"] <= until + 500]
    if not inside:   # short run: take whatever was printed in the window
        inside = [s["tps"] for s in series if since <= s["ts"] <= until + 500]
    return (statistics.mean(inside), len(inside)) if inside else (None, 0)


def cpu_at(samples, t):
    """CPU seconds of one process at time t, linear between the samples around t."""
    if not samples:
        return None
    if t <= samples[0]["ts"]:
        return samples[0]["cpu"]
    for a, b in zip(samples, samples[1:]):
        if a["ts"] <= t <= b["ts"]:
            if b["ts"] == a["ts"]:
                return b["cpu"]
            return a["cpu"] + (b["cpu"] - a["cpu"]) * (t - a["ts"]) / (b["ts"] - a["ts"])
    return samples[-1]["cpu"]


def cmd_run(args):
    rd = args.rundir
    with open(os.path.join(rd, "meta.json")) as f:
        meta = json.load(f)
    batch = int(meta.get("batch", 1))
    lines, probes, total, _reset = parse_producer(os.path.join(rd, "producer.log"))
    cons = parse_consumer(os.path.join(rd, "consumer.log"))
    stats = parse_procstat(os.path.join(rd, "procstat.tsv"))

    t0 = int(meta["t0_ms"])
    if total and total.get("since") and total.get("until") and total["until"] > total["since"]:
        since, until = int(total["since"]), int(total["until"])
    else:
        since, until = t0 + int(meta["warmup_s"]) * 1000, int(meta["end_ms"])
    win_s = (until - since) / 1000.0

    send_tps, n_send_lines = window_mean(lines, since, until)
    cons_tps, n_cons_lines = window_mean(cons, since, until)
    avg_rts = [x["avg_rt_ms"] for x in lines if x["ts"] - WINDOW_SPAN_MS >= since - 500 and x["ts"] <= until + 500]
    if not avg_rts:
        avg_rts = [x["avg_rt_ms"] for x in lines if since <= x["ts"] <= until + 500]

    ok_msgs = None
    probe_tps = None
    if total:
        ok_msgs = (total.get("sends", 0) - total.get("nonok", 0)) * batch
        probe_tps = ok_msgs / win_s if win_s > 0 else None

    by_proc = {}
    for r in stats:
        by_proc.setdefault((r["role"], r["pid"]), []).append(r)
    broker_keys = [k for k in by_proc if k[0].startswith("broker")]
    cpu_win = 0.0
    for k in broker_keys:
        a, b = cpu_at(by_proc[k], since), cpu_at(by_proc[k], until)
        if a is not None and b is not None:
            cpu_win += b - a
    rss_by_ts, anon_by_ts = {}, {}
    for k in broker_keys:
        for r in by_proc[k]:
            rss_by_ts[r["ts"]] = rss_by_ts.get(r["ts"], 0) + r["rss"]
            anon_by_ts[r["ts"]] = anon_by_ts.get(r["ts"], 0) + r["anon"]
    hwm = sum(max(r["hwm"] for r in by_proc[k]) for k in broker_keys) if broker_keys else 0
    other_cpu = {}
    for (role, _pid), rows in by_proc.items():
        if not role.startswith("broker"):
            a, b = cpu_at(rows, since), cpu_at(rows, until)
            other_cpu[role] = round(b - a, 2) if a is not None and b is not None else None

    size = int(meta.get("size", 0))
    result = {
        "target": meta["target"], "scenario": meta["scenario"], "round": meta["round"],
        "batch": batch, "size": size, "pinned": bool(meta.get("pinned")), "disk_mbs": meta.get("disk_mbs"),
        "ingest_mbs": (send_tps * size / 1e6) if send_tps and size else None,
        "broker_msgs_per_cpu_s": (ok_msgs / cpu_win) if ok_msgs and cpu_win > 0 else None,
        "window_ms": [since, until], "window_s": round(win_s, 2),
        "send_tps": send_tps, "send_tps_lines": n_send_lines,
        "send_tps_probe": probe_tps,
        "consume_tps": cons_tps, "consume_tps_lines": n_cons_lines,
        "avg_rt_ms_official": statistics.mean(avg_rts) if avg_rts else None,
        "max_rt_ms_official": lines[-1]["max_rt_ms"] if lines else None,
        "p50_send_ms": total["p50us"] / 1000 if total else None,
        "p99_send_ms": total["p99us"] / 1000 if total else None,
        "p999_send_ms": total["p999us"] / 1000 if total else None,
        "max_send_ms": total["maxus"] / 1000 if total else None,
        "send_requests": int(total["sends"]) if total else None,
        "send_nonok": int(total["nonok"]) if total else None,
        "send_pending": int(total["pending"]) if total else None,
        "ok_messages": ok_msgs,
        "broker_cpu_s": round(cpu_win, 2),
        "broker_cpu_s_per_m": (cpu_win / (ok_msgs / 1e6)) if ok_msgs else None,
        "broker_peak_rss_mib": max(rss_by_ts.values()) / 1024 if rss_by_ts else None,
        "broker_peak_anon_mib": max(anon_by_ts.values()) / 1024 if anon_by_ts else None,
        "broker_hwm_mib": hwm / 1024,
        "other_cpu_s": other_cpu,
        "loadavg_before": meta.get("loadavg_before"),
        "series": {
            "send": [[round((x["ts"] - t0) / 1000, 1), x["tps"]] for x in lines],
            "consume": [[round((x["ts"] - t0) / 1000, 1), x["tps"]] for x in cons],
            "probe_send": [[round((x["ts"] - t0) / 1000, 1), x["sends"] * batch] for x in probes],
        },
        "warmup_end_s": round((since - t0) / 1000, 1), "window_end_s": round((until - t0) / 1000, 1),
    }
    with open(os.path.join(rd, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(f"{meta['scenario']} {meta['target']} r{meta['round']}: window {win_s:.0f}s, "
          f"send TPS {fmt_num(send_tps)} (probe {fmt_num(probe_tps)}), consume TPS {fmt_num(cons_tps)}, "
          f"p99 {fmt_ms(result['p99_send_ms'])} ms, broker RSS peak {fmt_num(result['broker_peak_rss_mib'])} MiB, "
          f"CPU {fmt_dec(result['broker_cpu_s_per_m'])} s/M msgs, nonok {result['send_nonok']}")
    if not lines or total is None:
        print(f"WARNING: {rd}: producer output incomplete (official lines: {len(lines)}, probe total: {bool(total)})",
              file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------------------------
def fmt_num(v):
    return "n/a" if v is None else f"{v:,.0f}"


def fmt_ms(v):
    return "n/a" if v is None else f"{v:,.2f}"


def fmt_dec(v):
    return "n/a" if v is None else f"{v:,.1f}"


FIGURES = [  # key, label, formatter, higher_is_better
    ("send_tps", "send TPS", fmt_num, True),
    ("consume_tps", "consume TPS", fmt_num, True),
    ("p99_send_ms", "p99 send latency (ms)", fmt_ms, False),
    ("broker_peak_rss_mib", "broker peak RSS (MiB)", fmt_num, False),
    ("broker_cpu_s_per_m", "broker CPU s per million messages", fmt_dec, False),
    ("broker_msgs_per_cpu_s", "broker capacity per core (messages per broker CPU-second)", fmt_num, True),
]
SAME_TOOL_EXTRA = [  # rows the same-tool table adds to FIGURES
    ("p50_send_ms", "p50 send latency (ms)", fmt_ms, False),
    ("p999_send_ms", "p99.9 send latency (ms)", fmt_ms, False),
    ("ingest_mbs", "broker ingest, message bodies (MB/s)", fmt_dec, True),
]
EXTRA = [
    ("send_tps_probe", "send TPS, acknowledged sends counted by the probe", fmt_num),
    ("p50_send_ms", "p50 send latency (ms)", fmt_ms),
    ("p999_send_ms", "p99.9 send latency (ms)", fmt_ms),
    ("avg_rt_ms_official", "average send RT, official tool (ms)", fmt_ms),
    ("broker_peak_anon_mib", "broker peak anonymous RSS (MiB)", fmt_num),
]


def load_results(outdir):
    res = []
    for root, _dirs, files in os.walk(outdir):
        if "result.json" in files:
            with open(os.path.join(root, "result.json")) as f:
                res.append(json.load(f))
    return res


def median_of(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def ratio_table(a_runs, b_runs, a_label, b_label, figures):
    """Rows of `figures`: medians of a and b and a / b."""
    out = [f"| figure | {a_label} | {b_label} | ratio |", "|---|---:|---:|---:|"]
    for key, label, fmt, _higher in figures:
        a, b = median_of(a_runs, key), median_of(b_runs, key)
        ratio = "n/a" if not a or not b else f"{a / b:.2f}x"
        out.append(f"| {label} | {fmt(a) if a_runs else 'pending'} | {fmt(b) if b_runs else 'pending'} | {ratio} |")
    return out


def header_lines(meta, rounds):
    m = meta.get("machine", {})
    java = meta.get("java", "").replace('"', "")
    line = (f"Median of {rounds} round(s); measured {meta['date']} at commit `{meta['commit']}`; "
            f"{meta['duration_s']} s measured after {meta['warmup_s']} s warm-up per run; "
            f"load average before the runs: {meta.get('loadavg', 'n/a')}. "
            f"Machine: {m.get('cpus', '?')} cores ({m.get('cpu', '?')}), {m.get('mem_gib', '?')} GiB, "
            f"kernel {m.get('kernel', '?')}; {java}; official Apache RocketMQ {meta.get('rocketmq_official', '?')}.")
    if meta.get("pinned"):
        line += (f" **Pinned** (`{meta.get('pin', '')}`: brokers / everything else): the broker has one core, "
                 "so send TPS is its capacity per core.")
    if meta.get("disk_mbs"):
        line += (f" Disk ceiling in the same run: dd of {meta.get('disk_mib')} MiB to new space with "
                 f"conv=fdatasync, {meta['disk_mbs']:,} MB/s (compare the ingest row).")
    return [line, ""]


def same_tool_block(runs_by_target, meta):
    ours, off = runs_by_target.get("ours-mqbench", []), runs_by_target.get("official-mqbench", [])
    if not ours and not off:
        return []
    out = ["Same tool, `mqbench` on both brokers (ours / official):", ""]
    out += ratio_table(ours, off, "ours (mqbench)", "official (mqbench)", FIGURES + SAME_TOOL_EXTRA)
    disk = meta.get("disk_mbs")
    if disk:
        shares = [f"{label} {median_of(runs, 'ingest_mbs') / disk:.0%}" for label, runs in
                  (("ours", ours), ("official", off)) if median_of(runs, "ingest_mbs")]
        out += ["", f"Ingest (message bodies) as a share of the disk ceiling ({disk:,} MB/s): {', '.join(shares)}."]
    return out + [""]


def scenario_block(scenario, desc, runs_by_target, meta):
    ours = runs_by_target.get("ours", [])
    off = runs_by_target.get("official", [])
    mqb = runs_by_target.get("ours-mqbench", [])
    official_tools = bool(ours or off)
    pending = not ours or not off
    rounds = max((len(v) for v in runs_by_target.values()), default=0)
    out = []
    title = f"#### `{scenario}`{' (pinned)' if meta.get('pinned') else ''}: {desc}"
    if official_tools and not ours:
        title += " (official only, ours pending)"
    elif official_tools and not off:
        title += " (ours only, official pending)"
    out.append(title)
    out.append("")
    out += header_lines(meta, rounds)
    out += same_tool_block(runs_by_target, meta)
    if not official_tools:
        return "\n".join(out + per_round_lines(runs_by_target))
    out.append("Official benchmark tools on both brokers (the compatibility-of-load check):")
    out.append("")
    head = "| figure | ours | official | ours / official |"
    sep = "|---|---:|---:|---:|"
    if mqb:
        head = "| figure | ours | official | ours / official | ours (mqbench) |"
        sep = "|---|---:|---:|---:|---:|"
    out += [head, sep]
    for key, label, fmt, higher in FIGURES:
        o, f = median_of(ours, key), median_of(off, key)
        ratio = "pending" if pending else ("n/a" if not o or not f else f"{o / f:.2f}x")
        row = f"| {label} | {fmt(o) if ours else 'pending'} | {fmt(f) if off else 'pending'} | {ratio} |"
        if mqb:
            row = row[:-1] + f"| {fmt(median_of(mqb, key))} |"
        out.append(row)
    out.append("")
    out.append("<details><summary>more figures</summary>")
    out.append("")
    out.append("| figure | ours | official |")
    out.append("|---|---:|---:|")
    for key, label, fmt in EXTRA:
        o, f = median_of(ours, key), median_of(off, key)
        out.append(f"| {label} | {fmt(o) if ours else 'pending'} | {fmt(f) if off else 'pending'} |")
    out += per_round_lines(runs_by_target)
    out.append("</details>")
    out.append("")
    return "\n".join(out)


def per_round_lines(runs_by_target):
    per_round = []
    for t in ALL_TARGETS:
        for r in sorted(runs_by_target.get(t, []), key=lambda x: x["round"]):
            per_round.append(f"{t} r{r['round']}: send {fmt_num(r['send_tps'])}, consume {fmt_num(r['consume_tps'])}, "
                             f"p99 {fmt_ms(r['p99_send_ms'])} ms, p99.9 {fmt_ms(r.get('p999_send_ms'))} ms, "
                             f"RSS {fmt_num(r['broker_peak_rss_mib'])} MiB, CPU {fmt_dec(r['broker_cpu_s_per_m'])} s/M")
    return [""] + [f"- {p}" for p in per_round] + [""]


# ---------------------------------------------------------------------------------------------
def nice_ticks(vmax, n=5):
    if vmax <= 0:
        return [0, 1]
    raw = vmax / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    ticks, v = [], 0.0
    while v <= vmax * 1.0001 + step:
        ticks.append(v)
        if v >= vmax:
            break
        v += step
    return ticks


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_svg(scenario, desc, runs_by_target, path):
    legend_targets = [t for t in ALL_TARGETS if t in runs_by_target]
    W, ml, mr, mt, ph = 900, 70, 20, 50, 295
    mb = 68 + 18 * len(legend_targets)
    H = mt + ph + mb
    pw = W - ml - mr
    curves = []   # (target, kind, round, points)
    for t, runs in runs_by_target.items():
        for r in runs:
            curves.append((t, "send", r["round"], r["series"]["send"]))
            curves.append((t, "consume", r["round"], r["series"]["consume"]))
    pts = [p for c in curves for p in c[3]]
    xmax = max([p[0] for p in pts] + [10])
    ymax = max([p[1] for p in pts] + [1]) * 1.08
    xt, yt = nice_ticks(xmax, 8), nice_ticks(ymax, 5)
    xmax, ymax = xt[-1], yt[-1]

    def X(v):
        return ml + pw * v / xmax

    def Y(v):
        return mt + ph - ph * v / ymax

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         f'font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="15">{esc("TPS over time: " + scenario)}</text>',
         f'<text x="{W / 2}" y="37" text-anchor="middle" fill="#555">{esc(desc)}</text>']
    warm = [r.get("warmup_end_s") for rs in runs_by_target.values() for r in rs if r.get("warmup_end_s") is not None]
    if warm:
        w = statistics.median(warm)
        o.append(f'<rect x="{X(0):.1f}" y="{mt}" width="{X(min(w, xmax)) - X(0):.1f}" height="{ph}" fill="#f0f0f0"/>')
        o.append(f'<text x="{X(min(w, xmax) / 2):.1f}" y="{mt + 14}" text-anchor="middle" fill="#888">warm-up</text>')
    for v in yt:
        o.append(f'<line x1="{ml}" y1="{Y(v):.1f}" x2="{ml + pw}" y2="{Y(v):.1f}" stroke="#ddd"/>')
        o.append(f'<text x="{ml - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
    for v in xt:
        o.append(f'<line x1="{X(v):.1f}" y1="{mt + ph}" x2="{X(v):.1f}" y2="{mt + ph + 5}" stroke="#333"/>')
        o.append(f'<text x="{X(v):.1f}" y="{mt + ph + 18}" text-anchor="middle">{v:g}</text>')
    o.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    o.append(f'<text x="{ml + pw / 2}" y="{mt + ph + 36}" text-anchor="middle">seconds since the producer started</text>')
    o.append(f'<text transform="translate(16,{mt + ph / 2}) rotate(-90)" text-anchor="middle">messages / s</text>')
    for t, kind, rnd, points in curves:
        if not points:
            continue
        color = TARGET_COLOR.get(t, "#555")
        dash = ' stroke-dasharray="6,4"' if kind == "consume" else ""
        op = 1.0 if rnd == 1 else 0.45
        path_d = " ".join(f"{'M' if i == 0 else 'L'}{X(x):.1f},{Y(y):.1f}" for i, (x, y) in enumerate(points))
        o.append(f'<path d="{path_d}" fill="none" stroke="{color}" stroke-width="1.8" stroke-opacity="{op}"{dash}/>')
    ly = mt + ph + 52
    for t in legend_targets:   # one row per target: send (solid), consume (dashed)
        color = TARGET_COLOR[t]
        lx = ml
        for kind, dash in (("send", ""), ("consume", ' stroke-dasharray="6,4"')):
            o.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 28}" y2="{ly}" stroke="{color}" stroke-width="2"{dash}/>')
            label = f"{TARGET_LABEL.get(t, t)}, {kind}"
            o.append(f'<text x="{lx + 34}" y="{ly + 4}">{esc(label)}</text>')
            lx += 300
        ly += 18
    o.append(f'<text x="{ml}" y="{H - 10}" fill="#666" font-size="11">'
             f'{esc("10 s sliding-window TPS as printed every second by the official benchmark tools; later rounds fainter.")}</text>')
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def update_docs(md_path, scenario, block, svg_rel):
    begin, end = f"<!-- bench-compare:{scenario}:begin -->", f"<!-- bench-compare:{scenario}:end -->"
    body = f"{begin}\n{block}\n![TPS over time, {scenario}]({svg_rel})\n{end}"
    with open(md_path) as f:
        text = f.read()
    if begin in text and end in text:
        a, b = text.index(begin), text.index(end) + len(end)
        text = text[:a] + body + text[b:]
    elif "<!-- bench-compare:end -->" in text:
        i = text.index("<!-- bench-compare:end -->")
        text = text[:i] + body + "\n\n" + text[i:]
    else:
        sys.exit(f"{md_path}: no <!-- bench-compare:end --> marker (the 'Broker side by side' section)")
    with open(md_path, "w") as f:
        f.write(text)


def cmd_report(args):
    results = load_results(args.outdir)
    if not results:
        sys.exit(f"no result.json under {args.outdir}")
    with open(os.path.join(args.outdir, "meta.json")) as f:
        meta = json.load(f)
    scen = {}
    for r in results:
        scen.setdefault(r["scenario"], {}).setdefault(r["target"], []).append(r)
    blocks = []
    for s in sorted(scen, key=lambda x: meta.get("scenario_order", []).index(x) if x in meta.get("scenario_order", []) else 99):
        desc = meta.get("descriptions", {}).get(s, "")
        block = scenario_block(s, desc, scen[s], meta)
        blocks.append(block)
        svg = os.path.join(args.outdir, s, "tps.svg")
        os.makedirs(os.path.dirname(svg), exist_ok=True)
        render_svg(s, desc, scen[s], svg)
        if args.docs:
            key = f"{s}-pinned" if meta.get("pinned") else s   # pinned tables sit beside the others
            docs_dir = os.path.dirname(os.path.abspath(args.docs))
            dst = os.path.join(docs_dir, "bench", f"tps-{key}.svg")
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(svg, dst)
            update_docs(args.docs, key, block, f"bench/tps-{key}.svg")
    summary = "\n".join(blocks)
    with open(os.path.join(args.outdir, "summary.md"), "w") as f:
        f.write(summary + "\n")
    print(summary)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run")
    p.add_argument("rundir")
    p = sub.add_parser("report")
    p.add_argument("outdir")
    p.add_argument("--docs")
    args = ap.parse_args()
    return cmd_run(args) if args.cmd == "run" else cmd_report(args)


if __name__ == "__main__":
    sys.exit(main())
