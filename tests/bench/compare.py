#!/usr/bin/env python3
"""Two builds of convex-migrate side by side, in one run, paired (A B A B …), on one generated
project: cold `check` wall time and the language server's edit → diagnostics latency.

    python3 tests/bench/compare.py BIN_A BIN_B [--runs 11] [--rounds 2] [--edits 60] [--tables 300] [--files 2000]

For a change that should not make things slower (BIN_A the build before it, BIN_B after). Prints
medians per build and the ratio B/A. Standard library only.
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import lsp_bench  # noqa: E402


def check_once(binary, out):
    t0 = time.perf_counter()
    subprocess.run([binary, "check", str(out / "working"), "--base-dir", str(out / "base"), "--format", "json"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - t0) * 1000


def lsp_once(binary, repo, edits):
    server = lsp_bench.Server(binary, repo)
    t0 = time.perf_counter()
    server.request("initialize", {"capabilities": {}, "workspaceFolders": [{"uri": repo.as_uri(), "name": "bench"}]})
    server.notify("initialized", {})
    server.wait_diagnostics()
    first = (time.perf_counter() - t0) * 1000
    files = sorted(p for p in (repo / "convex").rglob("*.ts") if "lib" not in p.parts and p.name not in ("schema.ts", "migrations.ts"))
    results = {"first": [first]}
    for name, path in (("function", files[10]), ("schema", repo / "convex" / "schema.ts")):
        text = path.read_text()
        uri = path.as_uri()
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "typescript", "version": 1, "text": text}})
        server.wait_diagnostics(uri, 1)
        line = next(i for i, l in enumerate(text.split("\n")) if l.strip().startswith("import"))
        lat, _ = lsp_bench.measure_edits(server, uri, text, line, edits, 1)
        results[name] = lat
    results["rss"] = [server.peak_rss_mib()]
    server.request("shutdown", None)
    server.notify("exit", None)
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--edits", type=int, default=60)
    ap.add_argument("--tables", type=int, default=300)
    ap.add_argument("--files", type=int, default=2000)
    args = ap.parse_args()
    bins = {"A": str(Path(args.a).resolve()), "B": str(Path(args.b).resolve())}
    work = Path(tempfile.mkdtemp(prefix="convex-migrate-compare."))
    try:
        out = work / "gen"
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(out), "--tables", str(args.tables), "--files", str(args.files), "--quiet"], check=True)
        check = {"A": [], "B": []}
        for name in ("A", "B"):
            check_once(bins[name], out)  # warm the page cache
        for _ in range(args.runs):
            for name in ("A", "B"):
                check[name].append(check_once(bins[name], out))
        repo = work / "repo"
        shutil.copytree(out / "base", repo)
        lsp_bench.git(repo, "init", "-q")
        lsp_bench.git(repo, "add", ".")
        lsp_bench.git(repo, "commit", "-qm", "base")
        shutil.rmtree(repo / "convex")
        shutil.copytree(out / "working" / "convex", repo / "convex")
        lsp = {"A": {}, "B": {}}
        for _ in range(args.rounds):
            for name in ("A", "B"):
                for key, values in lsp_once(bins[name], repo, args.edits).items():
                    lsp[name].setdefault(key, []).extend(values)
        p99 = lambda v: lsp_bench.percentile(v, 99)  # noqa: E731
        med = statistics.median
        print(f"A = {args.a}\nB = {args.b}\n{args.tables} tables, {args.files} function files; check x{args.runs} each, paired; LSP x{args.rounds} each, {args.edits} edits per file")
        print(f"{'':34} {'A':>10} {'B':>10} {'B/A':>6}")
        rows = [
            ("cold check, median ms", med(check["A"]), med(check["B"])),
            ("LSP first diagnostics, median ms", med(lsp["A"]["first"]), med(lsp["B"]["first"])),
            ("function edit p50 ms", med(lsp["A"]["function"]), med(lsp["B"]["function"])),
            ("function edit p99 ms", p99(lsp["A"]["function"]), p99(lsp["B"]["function"])),
            ("schema edit p50 ms", med(lsp["A"]["schema"]), med(lsp["B"]["schema"])),
            ("schema edit p99 ms", p99(lsp["A"]["schema"]), p99(lsp["B"]["schema"])),
            ("server peak RSS MiB", max(lsp["A"]["rss"]), max(lsp["B"]["rss"])),
        ]
        for label, a, b in rows:
            print(f"{label:34} {a:10.1f} {b:10.1f} {b / a:6.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
