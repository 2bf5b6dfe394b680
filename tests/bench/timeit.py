#!/usr/bin/env python3
"""Time a command: N runs after W warm-ups; report min / median / max wall time and peak RSS.

    python3 tests/bench/timeit.py [--runs N] [--warmup W] [--ok-codes 0,1] [--project DIR ...]
                                  [--json FILE] -- CMD [ARG ...]

Each run's stdout goes to /dev/null. An exit code outside --ok-codes (default 0,1: convex-migrate
`check` exits 1 when it finds errors, 2 when it cannot run) fails the benchmark, with the
command's stderr shown. Peak RSS comes from one extra run under `/usr/bin/time -v` when that
exists, else from resource.getrusage(RUSAGE_CHILDREN).ru_maxrss over the timed runs.
--project DIR prints the file count and total bytes of DIR (may be repeated).

Python 3.11, standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

GNU_TIME = "/usr/bin/time"


def tree_size(root):
    files = total = 0
    for dirpath, _dirs, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            if os.path.isfile(p) and not os.path.islink(p):
                files += 1
                total += os.path.getsize(p)
    return files, total


def fmt_bytes(n):
    return f"{n} bytes ({n / (1 << 20):.1f} MiB)"


def run_once(cmd, ok_codes, capture_stdout=False):
    """Returns (wall seconds, exit code, stdout or None). Exits the process on a bad exit code."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stderr=err,
                           stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        if p.returncode not in ok_codes:
            err.seek(0)
            msg = err.read().decode("utf-8", "replace").strip()
            how = f"signal {-p.returncode}" if p.returncode < 0 else f"exit code {p.returncode}"
            print(f"bench: FAILED: {' '.join(cmd)}: {how}", file=sys.stderr)
            if msg:
                print("\n".join(msg.splitlines()[-20:]), file=sys.stderr)
            sys.exit(1)
    return dt, p.returncode, (p.stdout if capture_stdout else None)


def peak_rss_gnu_time(cmd, ok_codes):
    """KiB from `/usr/bin/time -v`, or None if it could not be read."""
    with tempfile.NamedTemporaryFile(mode="r", suffix=".time") as out:
        p = subprocess.run([GNU_TIME, "-v", "-o", out.name] + cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if p.returncode not in ok_codes:
            return None
        m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", out.read())
        return int(m.group(1)) if m else None


def summarize_output(stdout):
    try:
        doc = json.loads(stdout)
        diags = doc.get("diagnostics", [])
    except (ValueError, AttributeError):
        return "output is not the JSON of `check --format json`"
    by_rule = {}
    for d in diags:
        by_rule[d.get("rule", "?")] = by_rule.get(d.get("rule", "?"), 0) + 1
    rules = ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items(), key=lambda x: (-x[1], x[0])))
    return f"{len(diags)}" + (f" ({rules})" if rules else "")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--ok-codes", default="0,1")
    ap.add_argument("--project", action="append", default=[], metavar="DIR")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    if not cmd:
        ap.error("no command given (put it after --)")
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    ok = {int(c) for c in a.ok_codes.split(",") if c.strip()}

    result = {"command": cmd, "projects": {}}
    for d in a.project:
        n, b = tree_size(d)
        result["projects"][d] = {"files": n, "bytes": b}
        print(f"project {d}: {n} files, {fmt_bytes(b)}")

    out_summary = None
    for i in range(a.warmup):
        _, code, stdout = run_once(cmd, ok, capture_stdout=(i == 0))
        if i == 0:
            out_summary = summarize_output(stdout)
            result["warmupExitCode"] = code
    times, codes = [], set()
    for _ in range(a.runs):
        dt, code, _ = run_once(cmd, ok)
        times.append(dt * 1000.0)
        codes.add(code)

    rss_kib, rss_src = None, None
    if os.access(GNU_TIME, os.X_OK):
        rss_kib = peak_rss_gnu_time(cmd, ok)
        rss_src = "/usr/bin/time -v"
    if rss_kib is None:
        rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
        if sys.platform == "darwin":
            rss_kib //= 1024  # bytes there
        rss_src = "getrusage(RUSAGE_CHILDREN)"

    lo, med, hi = min(times), statistics.median(times), max(times)
    print(f"command: {' '.join(cmd)}")
    print(f"runs: {a.runs} (+{a.warmup} warm-up), exit code(s) {', '.join(map(str, sorted(codes)))}")
    print(f"wall time ms: min {lo:.1f}  median {med:.1f}  max {hi:.1f}")
    print(f"peak RSS: {rss_kib / 1024:.1f} MiB ({rss_kib} KiB, {rss_src})")
    if out_summary is not None:
        print(f"diagnostics: {out_summary}")
    result.update({"runs": a.runs, "warmup": a.warmup, "exitCodes": sorted(codes),
                   "wallMs": {"min": lo, "median": med, "max": hi, "all": times},
                   "peakRssKiB": rss_kib, "peakRssSource": rss_src, "diagnostics": out_summary})
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)
            fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
