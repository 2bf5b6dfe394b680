#!/usr/bin/env python3
"""Benchmark `check --snapshot` on a generated export of a million documents, paired with floors.

    python3 tests/bench/snapshot.py [--documents N] [--runs R] [--bin PATH] [--floor PATH] [--zip PATH]

Writes (once, cached by size) an export of examples/team-app's tables with N documents in the
real format (tests/snapshots/export.py bench), then, R times, in turn:

  check   convex-migrate check examples/team-app/working --base-dir …/deployed --snapshot ZIP --format json
  floor   the snapshot_floor example, same zip (zlib-rs) and JSON (serde_json) libraries: inflate
          every documents.jsonl, split lines, check each line is JSON (serde's IgnoredAny: the
          least work a reader that validates its input can do) — the floor the ratios use
  value   the same, parsing each line into a serde_json::Value (what a plain reader does)
  inflate the same, inflate and split lines only
  jq      unzip -p ZIP <tables>/documents.jsonl | jq -c . > /dev/null   (outside tools)
  unzip   unzip -p ZIP <tables>/documents.jsonl > /dev/null              (Info-ZIP's inflate alone)

each under /usr/bin/time -v (wall time, peak RSS). Prints medians, documents/s and MB/s of the
uncompressed documents.jsonl bytes, and the ratios to the floor. Needs unzip and jq
(`apt-get install -y unzip jq`) and a release build: `cargo build --release --example snapshot_floor -p convex-migrate`
builds both binaries.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def timed(cmd: list[str], shell: bool = False) -> tuple[float, int]:
    full = ["/usr/bin/time", "-v"] + (["bash", "-c", cmd[0]] if shell else cmd)
    r = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode not in (0, 1):
        sys.exit(f"{cmd} exited {r.returncode}:\n{r.stderr[-2000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", r.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    h, m, s = wall.groups()
    return (int(h or 0) * 3600 + int(m) * 60 + float(s), int(rss.group(1)))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--documents", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--bin", default=os.path.join(target, "release", "convex-migrate"))
    ap.add_argument("--floor", default=os.path.join(target, "release", "examples", "snapshot_floor"))
    ap.add_argument("--zip", default=None)
    args = ap.parse_args()
    for tool in ("unzip", "jq"):
        if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode != 0:
            sys.exit(f"{tool} is not installed: apt-get install -y unzip jq")
    for binary in (args.bin, args.floor):
        if not os.path.exists(binary):
            sys.exit(f"no {binary}: cargo build --release --example snapshot_floor -p convex-migrate")
    path = args.zip or f"/tmp/convex-migrate-bench-{args.documents}.zip"
    if not os.path.exists(path):
        print(f"writing {path} ({args.documents} documents)…", file=sys.stderr)
        subprocess.run([sys.executable, os.path.join(ROOT, "tests/snapshots/export.py"), "bench", path, "--documents", str(args.documents)], check=True)
    with zipfile.ZipFile(path) as z:
        tables = [i for i in z.infolist() if i.filename.endswith("/documents.jsonl") and not i.filename.startswith("_")]
        raw = sum(i.file_size for i in tables)
    names = " ".join(i.filename for i in tables)
    example = os.path.join(ROOT, "examples/team-app")
    commands = {
        "check": ([args.bin, "check", f"{example}/working", "--base-dir", f"{example}/deployed", "--snapshot", path, "--format", "json"], False),
        "floor": ([args.floor, path, "syntax"], False),
        "value": ([args.floor, path, "value"], False),
        "inflate": ([args.floor, path, "inflate"], False),
        "jq": ([f"unzip -p {path} {names} | jq -c . > /dev/null"], True),
        "unzip": ([f"unzip -p {path} {names} > /dev/null"], True),
    }
    samples: dict[str, list[tuple[float, int]]] = {k: [] for k in commands}
    for run in range(args.runs):
        for name, (cmd, shell) in commands.items():
            samples[name].append(timed(cmd, shell))
        print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{k} {v[-1][0]:.2f}s" for k, v in samples.items()), file=sys.stderr)
    mb = raw / 1e6
    print(f"\n{args.documents:,} documents, {mb:.0f} MB of documents.jsonl ({os.path.getsize(path) / 1e6:.0f} MB zip), {args.runs} paired runs\n")
    print("| command | wall (median, min–max) | documents/s | MB/s | peak RSS | vs floor |")
    print("|---|---|---|---|---|---|")
    floor = statistics.median(t for t, _ in samples["floor"])
    for name, values in samples.items():
        times = [t for t, _ in values]
        med = statistics.median(times)
        rss = max(r for _, r in values) / 1024
        print(f"| {name} | {med:.2f} s ({min(times):.2f}–{max(times):.2f}) | {args.documents / med:,.0f} | {mb / med:.0f} | {rss:.0f} MiB | {med / floor:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
