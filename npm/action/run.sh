#!/usr/bin/env bash
# The step of the GitHub Action (action.yml at the repository root): finds or installs
# convex-migrate and runs `convex-migrate check PATH --base BASE --deployment D --format github ARGS`.
# Its exit code is check's: 0 no error, 1 errors, 2 could not run.
#
# Inputs arrive as variables (action.yml maps them): INPUT_PATH, INPUT_BASE, INPUT_DEPLOYMENT,
# INPUT_VERSION, INPUT_ARGS; and from the event: PR_BASE_SHA (pull_request.base.sha), PUSH_BEFORE
# (push's event.before), GITHUB_BASE_REF. CONVEX_MIGRATE_BINARY=path runs that binary (no install).
set -euo pipefail

path="${INPUT_PATH:-.}"
base="${INPUT_BASE:-}"
deployment="${INPUT_DEPLOYMENT-prod}"
version="${INPUT_VERSION-latest}"
# ARGS is split on whitespace (no quoting, no globbing).
set -f
# shellcheck disable=SC2206
extra=(${INPUT_ARGS:-})
set +f

fail() {
  echo "::error title=convex-migrate::$*"
  exit 2
}

[ -d "$path" ] || fail "path '$path' is not a folder (relative to $(pwd))"

# --- the binary --------------------------------------------------------------------------------
# The project's own install: node_modules/.bin/convex-migrate in PATH or a folder above it, up to
# the workspace.
project_binary() {
  local dir stop
  dir="$(cd "$path" && pwd)"
  stop="$(cd "${GITHUB_WORKSPACE:-$dir}" 2>/dev/null && pwd || echo /)"
  while :; do
    if [ -x "$dir/node_modules/.bin/convex-migrate" ]; then
      echo "$dir/node_modules/.bin/convex-migrate"
      return 0
    fi
    if [ "$dir" = "$stop" ] || [ "$dir" = / ]; then return 1; fi
    dir="$(dirname "$dir")"
  done
}

bin=""
if [ -n "${CONVEX_MIGRATE_BINARY:-}" ]; then
  bin="$CONVEX_MIGRATE_BINARY"
elif [ -z "$version" ] || [ "$version" = project ]; then
  if bin="$(project_binary)"; then
    :
  elif [ "$version" = project ]; then
    fail "version: project, but there is no node_modules/.bin/convex-migrate in $path or above it: install the project's dependencies first (npm ci, with optional dependencies)"
  else
    bin=""
    version=latest
  fi
fi
if [ -z "$bin" ]; then
  tool_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/convex-migrate-action"
  rm -rf "$tool_dir"
  mkdir -p "$tool_dir"
  echo '{ "private": true }' > "$tool_dir/package.json"
  echo "Installing convex-migrate@$version from npm"
  (cd "$tool_dir" && npm install --no-save --include=optional --no-audit --no-fund --loglevel=error \
    "convex-migrate@$version") || fail "npm install convex-migrate@$version failed"
  bin="$tool_dir/node_modules/.bin/convex-migrate"
fi
"$bin" --version || fail "cannot run $bin"

# --- the base ----------------------------------------------------------------------------------
explicit_base=""
format_given=""
for arg in ${extra[@]+"${extra[@]}"}; do
  case "$arg" in
    --base | --base=* | --base-dir | --base-dir=*) explicit_base=1 ;;
    --format | --format=*) format_given=1 ;;
  esac
done

zero_sha=0000000000000000000000000000000000000000
fetch_spec=""
if [ -n "$base" ]; then
  :
elif [ -n "$explicit_base" ]; then
  :
elif [ -n "${PR_BASE_SHA:-}" ]; then
  base="$PR_BASE_SHA"
  fetch_spec="$PR_BASE_SHA"
elif [ -n "${GITHUB_BASE_REF:-}" ]; then
  base="origin/$GITHUB_BASE_REF"
  fetch_spec="+refs/heads/$GITHUB_BASE_REF:refs/remotes/origin/$GITHUB_BASE_REF"
elif [ -n "${PUSH_BEFORE:-}" ] && [ "$PUSH_BEFORE" != "$zero_sha" ]; then
  base="$PUSH_BEFORE"
  fetch_spec="$PUSH_BEFORE"
else
  fail "no base to compare with: this is not a pull request or a push with a previous commit; set the action's base input (a git revision) or pass --base-dir in args"
fi

base_args=()
if [ -n "$base" ]; then
  if ! git -C "$path" rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
    # A shallow checkout: fetch the base commit alone (its files are all check reads).
    if [ -n "$fetch_spec" ]; then
      echo "The base $base is not in the clone; fetching it (check out with fetch-depth: 0 to avoid this)"
      git -C "$path" fetch --no-tags --quiet --depth=1 origin "$fetch_spec" || true
    fi
    git -C "$path" rev-parse --verify --quiet "$base^{commit}" >/dev/null \
      || fail "the base $base is not in the clone: check out with actions/checkout and 'fetch-depth: 0'"
  fi
  base_args=(--base "$base")
fi

# --- the deployment ----------------------------------------------------------------------------
deployment_args=()
if [ -n "$deployment" ]; then
  check_help="$("$bin" check --help 2>/dev/null || true)"
  if [[ "$check_help" == *--deployment* ]]; then
    deployment_args=(--deployment "$deployment")
  elif [ "$deployment" = prod ]; then
    echo "::notice title=convex-migrate::this version of convex-migrate has no --deployment option; checking without it"
  else
    echo "::warning title=convex-migrate::this version of convex-migrate has no --deployment option: deployment '$deployment' is ignored"
  fi
fi

format_args=(--format github)
[ -z "$format_given" ] || format_args=()

cmd=("$bin" check "$path" ${base_args[@]+"${base_args[@]}"} ${deployment_args[@]+"${deployment_args[@]}"}
  ${format_args[@]+"${format_args[@]}"} ${extra[@]+"${extra[@]}"})
echo "+ ${cmd[*]}"
status=0
"${cmd[@]}" || status=$?
case "$status" in
  0) ;;
  1) echo "convex-migrate: the schema changes above would be rejected by the push (see the annotations)" ;;
  *) echo "::error title=convex-migrate::convex-migrate check could not run (exit $status)" ;;
esac
exit "$status"
