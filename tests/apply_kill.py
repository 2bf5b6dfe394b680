#!/usr/bin/env python3
"""Kills `plan --apply` (the real binary) at random moments and races it with a concurrent writer.

The change: `plan require users.role --default '"member"' --apply` on a project whose users are
inserted from FILES modules, so the step it applies edits every one of them (a multi-file
change). For each kill, a fresh copy of the project; the binary is started, SIGKILLed after a
random delay in [0, 1.3 x its median run time], and the project inspected twice: at once (what
the kill left on disk) and after the next run of the tool (`check`, which finishes or rolls back
what a run that died left). For each race, a writer edits one of the targets at a random moment
of the run and keeps editing it until the run has ended (half the races in place,
`open(..., "w")`, half as editors do, a temporary file renamed over it); its last edit must be
in the file.

Counted:
  torn        a target holding neither its old text nor its new one (nor, raced, the writer's)
  missing     a target that is not there (a kill between moving the original aside and putting
              the new file in its place, where the system cannot swap two names atomically)
  half        some targets new and others old (for a race: other than what the exit code says)
  lost        the writer's last edit not in the file once both are done
  strays      files named `.convex-migrate-*` left in the project

Usage: python3 tests/apply_kill.py target/release/convex-migrate [--kills 200] [--races 200] [--files 8] [--seed N]
Exit 1 when any count after recovery is not 0.
"""

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SCHEMA = """import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  users: defineTable({
    name: v.string(),
    role: v.optional(v.union(v.literal("admin"), v.literal("member"))),
  }),
});
"""


def module(i):
    # A few hundred lines each, so that writing the change takes a measurable time.
    filler = "".join(f"// line {n} of a module that inserts users\n" for n in range(400))
    return f"""import {{ v }} from "convex/values";
import {{ mutation }} from "./_generated/server";
{filler}
export const create{i} = mutation({{
  args: {{ name: v.string() }},
  handler: async (ctx, args) => {{
    await ctx.db.insert("users", {{ name: args.name }});
  }},
}});
"""


def git(cwd, *args):
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null", GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@e", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@e")
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def make_template(dir, files):
    os.makedirs(os.path.join(dir, "convex"))
    with open(os.path.join(dir, "convex/schema.ts"), "w") as f:
        f.write(SCHEMA)
    for i in range(files):
        with open(os.path.join(dir, f"convex/users{i}.ts"), "w") as f:
            f.write(module(i))
    git(dir, "init", "-q", "-b", "main")
    git(dir, "add", "-A")
    git(dir, "commit", "-qm", "base")


def snapshot(dir, targets):
    out = {}
    for t in targets:
        try:
            with open(os.path.join(dir, t), encoding="utf-8", errors="replace") as f:
                out[t] = f.read()
        except FileNotFoundError:
            out[t] = None
    return out


def strays(dir):
    found = []
    for base, dirs, names in os.walk(dir):
        if ".git" in dirs:
            dirs.remove(".git")
        found += [os.path.join(base, n) for n in names if ".convex-migrate-" in n]
    return found


APPLY = ["plan", "require", "users.role", "--default", '"member"', "--apply", "--format", "json"]


def run_apply(binary, dir):
    return subprocess.Popen([binary, *APPLY, "-C", dir], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def journal(dir):
    return any(n.startswith(".convex-migrate-apply-") for n in os.listdir(dir))


def wait_for_writing(dir, p, fallback):
    """Waits until the run starts writing (its journal appears at the root, or, for a binary
    without one, a temporary file beside a target), or `fallback` seconds."""
    convex = os.path.join(dir, "convex")
    deadline = time.monotonic() + fallback
    while time.monotonic() < deadline and p.poll() is None:
        if journal(dir) or any(".convex-migrate-" in n for n in os.listdir(convex)):
            return True
        time.sleep(0.0002)
    return False


def recover(binary, dir):
    subprocess.run([binary, "check", dir, "--no-base", "--format", "json"], capture_output=True)


def judge(state, old, new, targets):
    torn = sum(1 for t in targets if state[t] is not None and state[t] not in (old[t], new[t]))
    missing = sum(1 for t in targets if state[t] is None)
    changed = [t for t in targets if state[t] == new[t] and old[t] != new[t]]
    unchanged = [t for t in targets if state[t] == old[t] and old[t] != new[t]]
    half = 1 if changed and unchanged else 0
    return torn, missing, half, ("new" if changed and not unchanged else "old" if unchanged and not changed else "mixed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--races", type=int, default=200)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="apply-kill-")
    template = os.path.join(work, "template")
    make_template(template, a.files)
    targets = [f"convex/users{i}.ts" for i in range(a.files)]

    # The texts before and after, and how long a run takes.
    old = snapshot(template, targets)
    durations = []
    new = None
    windows = []
    for n in range(5):
        copy = os.path.join(work, f"calibrate{n}")
        shutil.copytree(template, copy)
        started = time.monotonic()
        p = run_apply(binary, copy)
        if wait_for_writing(copy, p, 30):
            began = time.monotonic()
            p.wait()
            windows.append(time.monotonic() - began)
        _, err = p.communicate()
        durations.append(time.monotonic() - started)
        if p.returncode != 0:
            sys.exit(f"plan --apply failed ({p.returncode}): {err.decode()}")
        new = snapshot(copy, targets)
        shutil.rmtree(copy)
    if any(old[t] == new[t] for t in targets):
        sys.exit("the step does not change every module")
    median = statistics.median(durations)
    window = statistics.median(windows) if windows else median
    print(f"seed {a.seed}; {a.files} files changed per apply; a run takes {median * 1000:.1f} ms, "
          f"its writing {window * 1000:.1f} ms (medians of 5)")
    print("odd-numbered kills and races land while the run writes (after its first file appears), even ones anywhere")

    # Kills.
    raw = dict(torn=0, missing=0, half=0, strays=0)
    after = dict(torn=0, missing=0, half=0, strays=0)
    outcomes = {"old": 0, "new": 0, "mixed": 0}
    finished = 0
    for n in range(a.kills):
        copy = os.path.join(work, f"kill{n}")
        shutil.copytree(template, copy)
        p = run_apply(binary, copy)
        if n % 2:
            wait_for_writing(copy, p, median * 3)
            delay = rng.uniform(0, window * 1.2)
        else:
            delay = rng.uniform(0, median * 1.3)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if p.returncode == 0:
            finished += 1
        state = snapshot(copy, targets)
        torn, missing, half, _ = judge(state, old, new, targets)
        raw["torn"] += torn
        raw["missing"] += missing
        raw["half"] += half
        raw["strays"] += len(strays(copy))
        recover(binary, copy)
        state = snapshot(copy, targets)
        torn, missing, half, outcome = judge(state, old, new, targets)
        after["torn"] += torn
        after["missing"] += missing
        after["half"] += half
        left = strays(copy)
        after["strays"] += len(left)
        outcomes[outcome] += 1
        if torn or missing or half or left:
            print(f"  kill {n} after {delay * 1000:.1f} ms: torn {torn}, missing {missing}, half {half}, strays {left}")
        shutil.rmtree(copy)
    print(f"kills: {a.kills} ({finished} runs had finished before the kill)")
    print(f"  right after the kill:   torn {raw['torn']}, missing {raw['missing']}, half-applied {raw['half']}, stray temp files {raw['strays']}")
    print(f"  after the next run:     torn {after['torn']}, missing {after['missing']}, half-applied {after['half']}, stray temp files {after['strays']}"
          f"  (all old: {outcomes['old']}, all new: {outcomes['new']}, mixed: {outcomes['mixed']})")

    # Races.
    race = dict(torn=0, half=0, lost=0, strays=0)
    results = {"applied": 0, "refused": 0}
    edits = 0
    for n in range(a.races):
        copy = os.path.join(work, f"race{n}")
        shutil.copytree(template, copy)
        victim = targets[rng.randrange(len(targets))]
        path = os.path.join(copy, victim)
        during = n % 2 == 1
        delay = rng.uniform(0, window * 1.2) if during else rng.uniform(0, median * 1.3)
        in_place = (n // 2) % 2 == 0
        last = {"marker": None, "edits": 0}

        def writer():
            # From a random moment, edit the file again and again until the run has ended.
            if during:
                wait_for_writing(copy, p, median * 3)
            time.sleep(delay)
            k = 0
            while k == 0 or p.poll() is None:
                marker = f"// a concurrent edit {n}.{k}\n"
                edited = old[victim] + marker
                if in_place:
                    with open(path, "w") as f:
                        f.write(edited)
                else:
                    tmp = path + ".editor-tmp"
                    with open(tmp, "w") as f:
                        f.write(edited)
                    os.rename(tmp, path)
                last["marker"] = marker
                k += 1
                time.sleep(rng.uniform(0, 0.0002))
            last["edits"] = k

        p = run_apply(binary, copy)
        t = threading.Thread(target=writer)
        t.start()
        _, err = p.communicate()
        t.join()
        edits += last["edits"]
        marker = last["marker"]
        state = snapshot(copy, targets)
        lost = 0 if marker in (state[victim] or "") else 1
        others = [x for x in targets if x != victim]
        torn = sum(1 for x in others if state[x] not in (old[x], new[x]))
        if state[victim] is None or (marker in state[victim] and not state[victim].endswith(marker)):
            torn += 1
        if p.returncode == 0:
            results["applied"] += 1
            half = 1 if any(state[x] != new[x] for x in others) else 0
        else:
            results["refused"] += 1
            half = 1 if any(state[x] != old[x] for x in others) else 0
        left = strays(copy)
        race["torn"] += torn
        race["half"] += half
        race["lost"] += lost
        race["strays"] += len(left)
        if torn or half or lost or left:
            print(f"  race {n} ({'in place' if in_place else 'rename'}, {delay * 1000:.1f} ms, exit {p.returncode}): "
                  f"torn {torn}, half {half}, lost {lost}, strays {left} {err.decode().strip()[:200]}")
        shutil.rmtree(copy)
    print(f"races: {a.races}, {edits} concurrent edits (applied {results['applied']}, refused as changed meanwhile {results['refused']})")
    print(f"  torn {race['torn']}, half-applied {race['half']}, lost concurrent edits {race['lost']}, stray temp files {race['strays']}")
    shutil.rmtree(work)
    bad = after["torn"] + after["missing"] + after["half"] + after["strays"] + race["torn"] + race["half"] + race["lost"] + race["strays"] + raw["torn"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
