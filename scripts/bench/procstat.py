#!/usr/bin/env python3
"""Samples CPU time and memory of running processes from /proc, for scripts/bench-compare.sh.

Usage: procstat.py --out FILE [--interval S] ROLE:PID [ROLE:PID ...]

Writes one tab-separated line per process per tick:
    ts_ms  role  pid  cpu_s  rss_kb  anon_kb  file_kb  hwm_kb
cpu_s is utime + stime of the whole process (all threads) in seconds; rss_kb is VmRSS (anon +
file-backed + shmem: a broker's touched commit-log mapping counts), hwm_kb the kernel's VmHWM
(peak RSS so far). Stops when every process is gone, or on SIGTERM/SIGINT after a last sample.
Only reads /proc; stdlib only.
"""
import argparse
import os
import signal
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def sample(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        with open(f"/proc/{pid}/status") as f:
            status = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    # fields[0] is state (field 3); utime/stime are fields 14/15 -> index 11/12
    if fields[0] == "Z":
        return None
    cpu = (int(fields[11]) + int(fields[12])) / TICK
    mem = {}
    for line in status.splitlines():
        key, _, val = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            mem[key] = int(val.split()[0])
    return cpu, mem.get("VmRSS", 0), mem.get("RssAnon", 0), mem.get("RssFile", 0), mem.get("VmHWM", 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("procs", nargs="+", help="ROLE:PID")
    args = ap.parse_args()
    procs = []
    for p in args.procs:
        role, _, pid = p.rpartition(":")
        procs.append((role, int(pid)))

    stop = {"now": False}

    def on_signal(_sig, _frm):
        stop["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    with open(args.out, "a", buffering=1) as out:
        next_t = time.monotonic()
        while True:
            ts = int(time.time() * 1000)
            alive = 0
            for role, pid in procs:
                s = sample(pid)
                if s is None:
                    continue
                alive += 1
                out.write(f"{ts}\t{role}\t{pid}\t{s[0]:.2f}\t{s[1]}\t{s[2]}\t{s[3]}\t{s[4]}\n")
            if stop["now"] or alive == 0:
                break
            next_t += args.interval
            delay = next_t - time.monotonic()
            if delay > 0:
                # sleep in small steps so that SIGTERM gets its final sample quickly
                end = time.monotonic() + delay
                while not stop["now"] and time.monotonic() < end:
                    time.sleep(min(0.05, end - time.monotonic()) if end > time.monotonic() else 0)
            else:
                next_t = time.monotonic()
    return 0


if __name__ == "__main__":
    sys.exit(main())
