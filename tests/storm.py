#!/usr/bin/env python3
"""An edit storm against the real language server.

    python3 tests/storm.py BINARY [--edits 10000] [--tables 50] [--files 200] [--seed 1]

Generates a project with tests/bench/generate.py in a git repository (HEAD is the base, the
working tree the working copy), starts `BINARY lsp` on stdio, opens three documents and sends
EDITS `textDocument/didChange` as fast as the pipe takes them: random insertions and deletions at
random places, with every kind of line separator (\\n, \\r\\n, \\r, U+2028, U+2029, U+0085, form
feed), astral and accented characters, positions in UTF-16, several changes per notification. A
request (hover, codeAction or codeLens, in turn) goes with every tenth edit. Then it checks:

  - every request was answered (none lost, none left waiting);
  - the last diagnostics of each document are for its last version;
  - memory stays flat: the server's RSS after the first analysis, half-way, and at the end;
  - `shutdown` and `exit` end the process within a second.

Prints the figures; exits 1 if a check fails. Standard library only.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PIECES = ["a", "b", "x", " ", "(", ")", "{", "}", "é", "😀", "\n", "\r\n", "\r", "\u2028", "\u2029", "\u0085", "\u000c", "// c", "v.string()"]


def git(cwd, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="s", GIT_AUTHOR_EMAIL="s@example.com", GIT_COMMITTER_NAME="s", GIT_COMMITTER_EMAIL="s@example.com",
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null")
    subprocess.run(["git", *args], cwd=cwd, check=True, env=env, stdout=subprocess.DEVNULL)


def utf16_len(ch):
    return 2 if ord(ch) > 0xFFFF else 1


class Doc:
    """The client's copy of a document, with positions as LSP counts them (UTF-16)."""

    def __init__(self, uri, text):
        self.uri, self.text, self.version = uri, text, 1

    def lines(self):
        """(start, end) character offsets of each line, without its break (\\n, \\r\\n or \\r)."""
        out, start, i, t = [], 0, 0, self.text
        while i < len(t):
            if t[i] == "\r" and i + 1 < len(t) and t[i + 1] == "\n":
                out.append((start, i))
                i += 2
                start = i
            elif t[i] in "\r\n":
                out.append((start, i))
                i += 1
                start = i
            else:
                i += 1
        out.append((start, len(t)))
        return out

    def position(self, offset):
        for n, (start, end) in enumerate(self.lines()):
            if offset <= end:
                return {"line": n, "character": sum(utf16_len(c) for c in self.text[start:offset])}
        return {"line": len(self.lines()) - 1, "character": 0}

    def edit(self, rng):
        """A random change, applied to the copy; its protocol form."""
        n = len(self.text)
        a = rng.randint(0, n)
        b = min(n, a + rng.choice([0, 0, 1, 2, 5]))
        # Never split a \r\n: a position cannot fall between them.
        for off in (a, b):
            if 0 < off < n and self.text[off - 1] == "\r" and self.text[off] == "\n":
                return None
        new = "".join(rng.choice(PIECES) for _ in range(rng.choice([0, 1, 1, 2, 3])))
        change = {"range": {"start": self.position(a), "end": self.position(b)}, "text": new}
        self.text = self.text[:a] + new + self.text[b:]
        return change


class Server:
    def __init__(self, binary, cwd):
        self.proc = subprocess.Popen([binary, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd)
        self.lock = threading.Lock()
        self.responses = {}
        self.diagnostics = {}
        self.next_id = 0
        self.closed = False
        threading.Thread(target=self.reader, daemon=True).start()

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def reader(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    self.closed = True
                    return
                line = line.strip()
                if not line:
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            m = json.loads(out.read(length))
            if "method" in m and "id" in m:
                # The server's requests: answered like an editor.
                result = {"applied": True} if m["method"] == "workspace/applyEdit" else None
                self.send({"jsonrpc": "2.0", "id": m["id"], "result": result})
            elif "id" in m:
                with self.lock:
                    self.responses[m["id"]] = m
            elif m.get("method") == "textDocument/publishDiagnostics":
                with self.lock:
                    self.diagnostics[m["params"]["uri"]] = m["params"]

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return self.next_id

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait(self, check, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if check():
                    return True
            time.sleep(0.01)
        return False

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--edits", type=int, default=10000)
    ap.add_argument("--tables", type=int, default=50)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    binary = str(Path(args.binary).resolve())
    work = Path(tempfile.mkdtemp(prefix="convex-migrate-storm."))
    failures = []
    try:
        gen = work / "gen"
        subprocess.run([sys.executable, str(HERE / "bench" / "generate.py"), str(gen), "--tables", str(args.tables), "--files", str(args.files), "--quiet"], check=True)
        repo = work / "repo"
        shutil.copytree(gen / "base", repo)
        git(repo, "init", "-q")
        git(repo, "add", ".")
        git(repo, "commit", "-qm", "base")
        shutil.rmtree(repo / "convex")
        shutil.copytree(gen / "working" / "convex", repo / "convex")

        server = Server(binary, repo)
        started = time.time()
        init = server.request("initialize", {"capabilities": {"general": {"positionEncodings": ["utf-16"]}}, "workspaceFolders": [{"uri": repo.as_uri(), "name": "storm"}]})
        server.wait(lambda: init in server.responses, 60)
        server.notify("initialized", {})
        server.wait(lambda: len(server.diagnostics) > 0, 120)
        rss = {"start": server.rss_mib()}

        paths = [repo / "convex" / "schema.ts"] + sorted(p for p in (repo / "convex").rglob("*.ts") if "lib" not in p.parts and p.name not in ("schema.ts",))[:2]
        docs = []
        for p in paths:
            d = Doc(p.as_uri(), p.read_text())
            server.notify("textDocument/didOpen", {"textDocument": {"uri": d.uri, "languageId": "typescript", "version": 1, "text": d.text}})
            docs.append(d)

        sent = []
        kinds = ["textDocument/hover", "textDocument/codeAction", "textDocument/codeLens"]
        edits = 0
        storm_started = time.time()
        while edits < args.edits:
            d = rng.choice(docs)
            changes = [c for c in (d.edit(rng) for _ in range(rng.choice([1, 1, 1, 2, 3]))) if c is not None]
            if not changes:
                continue
            d.version += 1
            server.notify("textDocument/didChange", {"textDocument": {"uri": d.uri, "version": d.version}, "contentChanges": changes})
            edits += 1
            if edits % 10 == 0:
                kind = kinds[(edits // 10) % len(kinds)]
                pos = d.position(rng.randint(0, len(d.text)))
                params = {"textDocument": {"uri": d.uri}}
                if kind == "textDocument/hover":
                    params["position"] = pos
                elif kind == "textDocument/codeAction":
                    params.update({"range": {"start": pos, "end": pos}, "context": {"diagnostics": []}})
                sent.append(server.request(kind, params))
            if edits == args.edits // 2:
                rss["middle"] = server.rss_mib()
        storm_time = time.time() - storm_started

        answered = server.wait(lambda: all(i in server.responses for i in sent), 120)
        unanswered = [i for i in sent if i not in server.responses]
        errors = [server.responses[i] for i in sent if i in server.responses and "error" in server.responses[i]]
        settled = server.wait(lambda: all(server.diagnostics.get(d.uri, {}).get("version") == d.version for d in docs), 120)
        rss["end"] = server.rss_mib()
        last = {Path(d.uri).name: (server.diagnostics.get(d.uri, {}).get("version"), d.version) for d in docs}

        shut = server.request("shutdown", None)
        server.wait(lambda: shut in server.responses, 30)
        t0 = time.time()
        server.notify("exit", None)
        try:
            code = server.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        exit_time = time.time() - t0

        print(f"storm: {edits} edits ({sum(len(d.text) for d in docs)} characters in {len(docs)} documents at the end) in {storm_time:.1f} s, "
              f"{len(sent)} requests: {len(sent) - len(unanswered)} answered ({len(errors)} with an error), {len(unanswered)} unanswered")
        print(f"last diagnostics (published, current version): {last}")
        print(f"server RSS: start {rss['start']:.1f} MiB, middle {rss['middle']:.1f} MiB, end {rss['end']:.1f} MiB")
        print(f"exit after shutdown: code {code} in {exit_time * 1000:.0f} ms; total {time.time() - started:.1f} s")
        if not answered or unanswered:
            failures.append(f"{len(unanswered)} requests unanswered")
        if not settled:
            failures.append("the last diagnostics are not for the last versions")
        if rss["end"] > 1.5 * max(rss["start"], rss["middle"]) + 20:
            failures.append("memory grew")
        if code != 0 or exit_time > 1:
            failures.append("exit was not clean and quick")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print(f"FAIL: {f}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
