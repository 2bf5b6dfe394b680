#!/usr/bin/env python3
"""Corpus survey for convex-migrate: run `check` on real Convex projects.

For every line `owner/name commit root` of repos.txt:
  * HEAD vs HEAD: check out `commit`, run `check <root> --base <commit> --format json`
    (a clean tree: every error is a false positive, parse errors of broken files aside);
  * history: the last N first-parent commits that touched the Convex folder; for each commit C
    with a parent P, check out C and run `check <root> --base P --format json`.

Results go to a JSON-lines file (one record per check) and a summary table is printed.
Standard library only. No network.

Usage:
  survey.py --repos repos.txt --clones DIR --bin BIN [--work DIR] [--out results.jsonl]
            [--history 40] [--jobs 1] [--only owner/name] [--timeout 120]

DIR holds, per repository, one of: DIR/owner+name/repo (a bare mirror as `fetch` brings it),
DIR/owner+name (a bare repository or a clone) or DIR/owner/name (a clone).
"""
import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import time

SRC_EXT = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
TABLE_RE = re.compile(
    r"\b(?:defineTable|defineEnt|defineEntFromTable|defineConfectTable|defineEffectTable)\s*\("
    r"|\bTable\(\s*[\"'`]"
)


def git(gitdir, *args, cwd=None, check=True):
    if cwd:
        cmd = ["git", "-C", cwd] + list(args)
    else:
        cmd = ["git", "--git-dir=" + gitdir] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("git %s: %s" % (" ".join(args), r.stderr.strip()))
    return r.stdout


def missing_blobs(wt, rev):
    """Paths of `rev` whose blobs the object database lacks (snapshots drop files of 4 MiB and more)."""
    tree = git(None, "ls-tree", "-r", "-z", "--full-tree", rev, cwd=wt)
    entries = []
    for ent in tree.split("\0"):
        if not ent or "\t" not in ent:
            continue
        meta, path = ent.split("\t", 1)
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            entries.append((parts[2], path))
    if not entries:
        return []
    r = subprocess.run(["git", "-C", wt, "cat-file", "--batch-check"], input="\n".join(s for s, _ in entries) + "\n",
                       capture_output=True, text=True)
    missing = {ln.split()[0] for ln in r.stdout.splitlines() if ln.endswith(" missing")}
    return [p for s, p in entries if s in missing]


def checkout(wt, rev, state):
    """Check out `rev` in the worktree; when blobs are absent, leave those paths out (sparse)."""
    r = subprocess.run(["git", "-C", wt, "checkout", "-q", "-f", "--detach", rev], capture_output=True, text=True)
    if r.returncode == 0:
        return
    excluded = state.setdefault("excluded", set())
    excluded |= set(missing_blobs(wt, rev))
    if excluded:
        pats = ["/*"] + ["!/" + p.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?").replace("[", "\\[")
                         for p in sorted(excluded)]
        # The first `sparse-checkout set` of a repository also turns on extensions.worktreeConfig
        # and may not take effect at once: set it up twice.
        for _ in range(2):
            subprocess.run(["git", "-C", wt, "sparse-checkout", "set", "--no-cone"] + pats, capture_output=True)
            r = subprocess.run(["git", "-C", wt, "checkout", "-q", "-f", "--detach", rev], capture_output=True, text=True)
            if r.returncode == 0:
                return
    # git may complain about the absent blobs while writing its index, yet have checked out the rest
    want = git(None, "rev-parse", rev + "^{commit}", cwd=wt).strip()
    if git(None, "rev-parse", "HEAD", cwd=wt, check=False).strip() != want:
        raise RuntimeError("checkout %s: %s" % (rev, r.stderr.strip()[-500:]))


def find_gitdir(clones, repo):
    owner, name = repo.split("/", 1)
    for cand in (
        os.path.join(clones, owner + "+" + name, "repo"),
        os.path.join(clones, owner + "+" + name),
        os.path.join(clones, owner, name),
        os.path.join(clones, name),
    ):
        if os.path.isdir(os.path.join(cand, ".git")):
            return os.path.join(cand, ".git")
        if os.path.isfile(os.path.join(cand, "HEAD")) and os.path.isdir(os.path.join(cand, "objects")):
            return cand
    return None


def functions_dir(tree_root):
    """The Convex folder of a project root, relative to it (convex.json `functions`, else convex)."""
    cfg = os.path.join(tree_root, "convex.json")
    if os.path.isfile(cfg):
        try:
            with open(cfg, encoding="utf-8") as f:
                data = json.load(f)
            fn = data.get("functions") if isinstance(data, dict) else None
            if isinstance(fn, str) and fn.strip():
                return os.path.normpath(fn.strip())
        except Exception:
            pass
    return "convex"


def count_project(tree_root):
    fdir = os.path.join(tree_root, functions_dir(tree_root))
    files = 0
    tables = 0
    for dirpath, dirnames, filenames in os.walk(fdir):
        dirnames[:] = [d for d in dirnames if d not in ("_generated", "node_modules")]
        for fn in filenames:
            if fn.endswith(SRC_EXT) and not fn.endswith(".d.ts"):
                files += 1
                try:
                    with open(os.path.join(dirpath, fn), encoding="utf-8", errors="replace") as f:
                        tables += len(TABLE_RE.findall(f.read()))
                except OSError:
                    pass
    return files, tables


def run_check(binary, root, base, timeout):
    t0 = time.monotonic()
    try:
        r = subprocess.run(
            [binary, "check", root, "--base", base, "--format", "json"],
            capture_output=True, text=True, timeout=timeout,
        )
        rc, out, err = r.returncode, r.stdout, r.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or ""), "timeout"
    secs = time.monotonic() - t0
    diags = []
    parsed = False
    try:
        doc = json.loads(out)
        diags = doc.get("diagnostics", [])
        parsed = True
    except Exception:
        pass
    crash = rc == "timeout" or (isinstance(rc, int) and (rc < 0 or rc > 2)) or "panicked" in (err or "")
    return {
        "rc": rc, "secs": round(secs, 3), "diagnostics": diags, "json": parsed,
        "stderr": (err or "")[-2000:], "crash": crash,
    }


def survey_project(args, line):
    repo, commit, root = line
    gitdir = find_gitdir(args.clones, repo)
    recs = []
    base_rec = {"repo": repo, "commit": commit, "root": root}
    if gitdir is None:
        recs.append(dict(base_rec, kind="missing", note="no clone or mirror under " + args.clones))
        return recs
    wt = os.path.join(args.work, repo.replace("/", "+") + ("" if root in (".", "") else "@" + root.replace("/", "_")))
    if not os.path.exists(os.path.join(wt, ".git")):
        if os.path.exists(wt):
            shutil.rmtree(wt)
        git(gitdir, "worktree", "prune", check=False)
        git(gitdir, "worktree", "add", "--no-checkout", "--detach", "--force", wt, commit)
    state = {}
    checkout(wt, commit, state)
    tree_root = os.path.normpath(os.path.join(wt, root))
    files, tables = count_project(tree_root)
    fdir = os.path.normpath(os.path.join(root, functions_dir(tree_root)))
    r = run_check(args.bin, tree_root, commit, args.timeout)
    recs.append(dict(base_rec, kind="head", rev=commit, base=commit, files=files, tables=tables,
                     functions=fdir, **r))
    log = git(gitdir, "log", "--first-parent", "--format=%H %P", "-n", str(args.history), commit,
              "--", fdir, check=False)
    for ln in log.splitlines():
        parts = ln.split()
        if len(parts) < 2:
            continue  # root commit: nothing deployed before it
        c, p = parts[0], parts[1]
        try:
            checkout(wt, c, state)
        except RuntimeError as e:
            recs.append(dict(base_rec, kind="history", rev=c, base=p, rc="no-checkout", secs=0,
                             diagnostics=[], crash=False, stderr=str(e)))
            continue
        if not os.path.isdir(tree_root):
            recs.append(dict(base_rec, kind="history", rev=c, base=p, rc="no-root", secs=0,
                             diagnostics=[], crash=False, stderr=""))
            continue
        r = run_check(args.bin, tree_root, p, args.timeout)
        recs.append(dict(base_rec, kind="history", rev=c, base=p, **r))
    try:
        checkout(wt, commit, state)
    except RuntimeError:
        pass
    return recs


def counts(diags, severities=("error", "warning")):
    c = collections.Counter()
    for d in diags:
        if d.get("severity") in severities:
            c[(d.get("severity"), d.get("rule"))] += 1
    return c


def short(c):
    if not c:
        return "-"
    return ", ".join("%s:%s=%d" % (s[0].upper(), r, n) for (s, r), n in sorted(c.items()))


def skipped(r):
    """A history commit where the project did not exist yet (or could not be checked out)."""
    return r.get("rc") in ("no-root", "no-checkout") or (
        r.get("rc") == 2 and "no Convex project" in (r.get("stderr") or ""))


def summarize(records, out=sys.stdout):
    by_proj = collections.OrderedDict()
    for r in records:
        by_proj.setdefault((r["repo"], r["root"]), []).append(r)
    hdr = ("repo", "root", "commit", "files", "~tables", "head s", "head E/W", "hist n",
           "hist max s", "hist E", "hist W", "crash")
    rows = [hdr]
    tot = collections.Counter()
    rules_e = collections.Counter()
    rules_w = collections.Counter()
    for (repo, root), recs in by_proj.items():
        head = next((r for r in recs if r["kind"] == "head"), None)
        if head is None:
            rows.append((repo, root, "-", "-", "-", "-", "missing", "-", "-", "-", "-", "-"))
            continue
        hist = [r for r in recs if r["kind"] == "history" and not skipped(r)]
        tot["history_skipped"] += sum(1 for r in recs if r["kind"] == "history" and skipped(r))
        hc = counts(head["diagnostics"])
        he = sum(n for (s, _), n in hc.items() if s == "error")
        hw = sum(n for (s, _), n in hc.items() if s == "warning")
        hist_e = sum(1 for r in hist for d in r["diagnostics"] if d.get("severity") == "error")
        hist_w = sum(1 for r in hist for d in r["diagnostics"] if d.get("severity") == "warning")
        for r in hist:
            for d in r["diagnostics"]:
                if d.get("severity") == "error":
                    rules_e[d.get("rule")] += 1
                elif d.get("severity") == "warning":
                    rules_w[d.get("rule")] += 1
        crashes = sum(1 for r in recs if r.get("crash"))
        maxs = max([r["secs"] for r in hist] or [0])
        rows.append((repo, root, head["commit"][:10], str(head.get("files")), str(head.get("tables")),
                     "%.2f" % head["secs"], "%d/%d" % (he, hw), str(len(hist)), "%.2f" % maxs,
                     str(hist_e), str(hist_w), str(crashes)))
        tot["projects"] += 1
        tot["head_errors"] += he
        tot["head_warnings"] += hw
        tot["head_clean"] += 1 if he == 0 else 0
        tot["history_checks"] += len(hist)
        tot["history_checks_with_error"] += sum(1 for r in hist if any(d.get("severity") == "error" for d in r["diagnostics"]))
        tot["history_errors"] += hist_e
        tot["history_warnings"] += hist_w
        tot["crashes"] += crashes
        tot["exit2"] += sum(1 for r in recs if r.get("rc") == 2 and not skipped(r))
    widths = [max(len(row[i]) for row in rows) for i in range(len(hdr))]
    for i, row in enumerate(rows):
        out.write("  ".join(col.ljust(widths[j]) for j, col in enumerate(row)).rstrip() + "\n")
        if i == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")
    out.write("\n")
    for k in ("projects", "head_clean", "head_errors", "head_warnings", "history_checks", "history_skipped",
              "history_checks_with_error", "history_errors", "history_warnings", "exit2", "crashes"):
        out.write("%-26s %d\n" % (k, tot[k]))
    out.write("\nhistory errors by rule:   %s\n" % (", ".join("%s=%d" % kv for kv in rules_e.most_common()) or "-"))
    out.write("history warnings by rule: %s\n" % (", ".join("%s=%d" % kv for kv in rules_w.most_common()) or "-"))
    allt = [r["secs"] for r in records if isinstance(r.get("secs"), (int, float)) and r.get("kind") in ("head", "history")]
    if allt:
        allt.sort()
        out.write("check time: n=%d median=%.3fs p95=%.3fs max=%.3fs\n" % (
            len(allt), allt[len(allt) // 2], allt[int(len(allt) * 0.95) - 1 if len(allt) > 1 else 0], allt[-1]))


def read_repos(path):
    lines = []
    with open(path, encoding="utf-8") as f:
        for ln in f:
            ln = ln.split("#", 1)[0].strip()
            if not ln:
                continue
            parts = ln.split()
            if len(parts) == 2:
                parts.append(".")
            lines.append((parts[0], parts[1], parts[2]))
    return lines


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", default=os.path.join(here, "repos.txt"))
    ap.add_argument("--clones", required=True)
    ap.add_argument("--bin", default=os.environ.get("CONVEX_MIGRATE_BIN", "convex-migrate"))
    ap.add_argument("--work", default=None, help="scratch folder for worktrees (default: CLONES/.survey-work)")
    ap.add_argument("--out", default="survey-results.jsonl")
    ap.add_argument("--history", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--summary-only", action="store_true", help="summarize an existing --out file")
    args = ap.parse_args()
    if args.summary_only:
        with open(args.out, encoding="utf-8") as f:
            summarize([json.loads(l) for l in f if l.strip()])
        return
    args.clones = os.path.abspath(args.clones)
    args.work = os.path.abspath(args.work or os.path.join(args.clones, ".survey-work"))
    args.bin = shutil.which(args.bin) or os.path.abspath(args.bin)
    os.makedirs(args.work, exist_ok=True)
    lines = [l for l in read_repos(args.repos) if not args.only or l[0] in args.only]
    records = []
    with open(args.out, "w", encoding="utf-8") as outf:
        def emit(recs):
            for r in recs:
                outf.write(json.dumps(r) + "\n")
            outf.flush()
            records.extend(recs)
            head = next((r for r in recs if r["kind"] == "head"), None)
            sys.stderr.write("done %s %s: %s\n" % (recs[0]["repo"], recs[0]["root"],
                             "missing" if head is None else "%d checks" % len(recs)))
        if args.jobs <= 1:
            for l in lines:
                try:
                    emit(survey_project(args, l))
                except Exception as e:
                    emit([{"repo": l[0], "commit": l[1], "root": l[2], "kind": "failed", "note": str(e)}])
        else:
            # the roots of one repository run one after another (they share its git directory)
            groups = collections.OrderedDict()
            for l in lines:
                groups.setdefault(l[0], []).append(l)
            def run_group(ls):
                out = []
                for l in ls:
                    try:
                        out.append(survey_project(args, l))
                    except Exception as e:
                        out.append([{"repo": l[0], "commit": l[1], "root": l[2], "kind": "failed", "note": str(e)}])
                return out
            with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
                for fut in concurrent.futures.as_completed([ex.submit(run_group, g) for g in groups.values()]):
                    for recs in fut.result():
                        emit(recs)
    order = {(l[0], l[2]): i for i, l in enumerate(lines)}
    records.sort(key=lambda r: order.get((r["repo"], r["root"]), 0))
    summarize(records)


if __name__ == "__main__":
    main()
