# Sourced by the suites that install npm packages: `npm_ci [npm ci flags…]` runs `npm ci` in the
# current directory, retrying twice (a registry hiccup on a fresh CI machine is not a test
# failure), and on the last failure prints the end of npm's debug log, which says why.
npm_ci() {
  local try err log
  err="$(mktemp)"
  for try in 1 2 3; do
    if npm ci --no-audit --no-fund --loglevel=error "$@" 2> >(tee "$err" >&2); then
      rm -f "$err"
      return 0
    fi
    echo "npm ci failed in $PWD (try $try of 3)" >&2
    [ "$try" = 3 ] || sleep $((try * 5))
  done
  log="$(sed -n 's/.*A complete log of this run can be found in: *//p' "$err" | tail -n 1)"
  rm -f "$err"
  if [ -n "$log" ] && [ -f "$log" ]; then
    echo "--- the end of $log ---" >&2
    tail -n 40 "$log" >&2
  fi
  return 1
}
