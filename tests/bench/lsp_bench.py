#!/usr/bin/env python3
"""Language-server latency on a large generated project.

    python3 tests/bench/lsp_bench.py BINARY [--tables 300] [--files 2000] [--edits 60]
    python3 tests/bench/lsp_bench.py BINARY --project DIR --file convex/skills.ts [--edits 60]

Generates a project pair with generate.py, makes a git repository whose HEAD is the base and whose
working tree is the working copy (or, with --project, takes a real app's git working tree as it
is, the base at HEAD, and edits --file), starts `BINARY lsp` on stdio, and measures:
  - time from `initialize` to the first publishDiagnostics;
  - edit -> publishDiagnostics latency (p50/p99) for edits to a function file and to the schema;
  - the server's peak RSS (VmHWM).
Standard library only.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Server:
    def __init__(self, binary, cwd):
        self.proc = subprocess.Popen([binary, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd)
        self.next_id = 0

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self):
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("server closed its output")
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.proc.stdout.read(length))

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            m = self.read()
            if m.get("id") == self.next_id and "method" not in m:
                return m.get("result")
            self.answer(m)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def answer(self, m):
        if "id" in m and "method" in m:
            self.send({"jsonrpc": "2.0", "id": m["id"], "result": None})

    def wait_diagnostics(self, uri=None, version=None):
        while True:
            m = self.read()
            self.answer(m)
            if m.get("method") == "textDocument/publishDiagnostics":
                p = m["params"]
                if (uri is None or p["uri"] == uri) and (version is None or p.get("version") == version):
                    return p

    def peak_rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


def git(cwd, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@example.com", GIT_COMMITTER_NAME="b", GIT_COMMITTER_EMAIL="b@example.com")
    subprocess.run(["git", *args], cwd=cwd, check=True, env=env, stdout=subprocess.DEVNULL)


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def measure_edits(server, uri, text, line, edits, start_version):
    lines = text.split("\n")
    latencies = []
    version = start_version
    col = len(lines[line])
    for i in range(edits):
        version += 1
        # Alternately append and remove a trailing comment character on one line.
        if i % 2 == 0:
            change = {"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}, "text": " "}
        else:
            change = {"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col + 1}}, "text": ""}
        t0 = time.perf_counter()
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
        server.wait_diagnostics(uri, version)
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies, version


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--tables", type=int, default=300)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--edits", type=int, default=60)
    ap.add_argument("--project", type=Path, help="a real project in a git working tree (not copied, not changed)")
    ap.add_argument("--file", help="with --project: the function file to edit, relative to the project")
    args = ap.parse_args()
    binary = str(Path(args.binary).resolve())
    work = Path(tempfile.mkdtemp(prefix="convex-migrate-lsp-bench."))
    try:
        if args.project:
            repo = args.project.resolve()
            files = sum(1 for _ in (repo / "convex").rglob("*.ts"))
            print(f"project: {repo} ({files} .ts files in convex/), base at HEAD")
        else:
            out = work / "gen"
            subprocess.run([sys.executable, str(HERE / "generate.py"), str(out), "--tables", str(args.tables), "--files", str(args.files), "--quiet"], check=True)
            repo = work / "repo"
            shutil.copytree(out / "base", repo)
            git(repo, "init", "-q")
            git(repo, "add", ".")
            git(repo, "commit", "-qm", "base")
            shutil.rmtree(repo / "convex")
            shutil.copytree(out / "working" / "convex", repo / "convex")
            files = sum(1 for _ in (repo / "convex").rglob("*.ts"))
            print(f"project: {files} .ts files in convex/ ({args.tables} tables), base at HEAD")

        server = Server(binary, repo)
        t0 = time.perf_counter()
        server.request("initialize", {"capabilities": {}, "workspaceFolders": [{"uri": repo.as_uri(), "name": "bench"}]})
        server.notify("initialized", {})
        server.wait_diagnostics()
        first = (time.perf_counter() - t0) * 1000
        print(f"initialize -> first diagnostics: {first:.0f} ms")

        if args.file:
            function_file = repo / args.file
        else:
            function_file = sorted(p for p in (repo / "convex").rglob("*.ts") if "lib" not in p.parts and p.name not in ("schema.ts", "migrations.ts"))[10]
        schema = repo / "convex" / "schema.ts"
        results = {}
        for name, path in (("function-file edit", function_file), ("schema edit", schema)):
            text = path.read_text()
            uri = path.as_uri()
            server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "typescript", "version": 1, "text": text}})
            server.wait_diagnostics(uri, 1) if name == "schema edit" else None
            line = next(i for i, l in enumerate(text.split("\n")) if l.strip().startswith("import"))
            lat, _ = measure_edits(server, uri, text, line, args.edits, 1)
            results[name] = lat
            print(f"{name}: p50 {statistics.median(lat):.1f} ms, p99 {percentile(lat, 99):.1f} ms, max {max(lat):.1f} ms over {len(lat)} edits")
        print(f"server peak RSS: {server.peak_rss_mib():.0f} MiB")
        server.request("shutdown", None)
        server.notify("exit", None)
        server.proc.wait(timeout=10)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
