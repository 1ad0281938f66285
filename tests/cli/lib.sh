# tests/cli/lib.sh - the harness the command-line tests share. Sourced:
# sets MOAT, top, tmp (removed on exit), the pass and fail counters, and
#   run CODE ARGS...   runs moat, keeps stdout/stderr, checks the exit code
#   has FILE PATTERN   the last run's out or err holds the pattern
#   lacks FILE PATTERN ... does not
#   empty FILE         the last run printed nothing on out (or err)
#   lines N WHAT       the last run's out has N lines
#   py EXPR WHAT       a Python expression over d, the JSON of out, holds
#   finish NAME        prints the counts; the status says whether all passed
#   preload_so NAME    builds tests/cli/NAME.c into a preloadable object in
#                      tmp and prints its path
MOAT=${MOAT:-build/moat}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

run() {
    local want=$1; shift
    "$MOAT" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: moat $* -> exit $got, expected $want"
        sed 's/^/    stderr: /' "$tmp/err" | head -5
        fail=$((fail + 1))
        return 1
    fi
    pass=$((pass + 1))
}
has() {
    if ! grep -q -- "$2" "$tmp/$1"; then
        echo "FAIL: $1 of the last run lacks: $2"
        sed 's/^/    /' "$tmp/$1" | head -8
        fail=$((fail + 1))
        return 1
    fi
    pass=$((pass + 1))
}
lacks() {
    if grep -q -- "$2" "$tmp/$1"; then
        echo "FAIL: $1 of the last run has: $2"
        fail=$((fail + 1))
        return 1
    fi
    pass=$((pass + 1))
}
empty() {
    if [ -s "$tmp/$1" ]; then
        echo "FAIL: $1 of the last run is not empty"; sed 's/^/    /' "$tmp/$1" | head -3
        fail=$((fail + 1))
    else pass=$((pass + 1)); fi
}
lines() {
    local n; n=$(wc -l <"$tmp/out")
    if [ "$n" -eq "$1" ]; then pass=$((pass + 1)); else
        echo "FAIL: $2: $n lines, expected $1"; fail=$((fail + 1)); fi
}
py() {
    if python3 -c "import json,sys; d=json.load(open('$tmp/out')); sys.exit(0 if ($1) else 1)"; then
        pass=$((pass + 1))
    else
        echo "FAIL: $2"
        fail=$((fail + 1))
    fi
}
finish() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
preload_so() {
    cc -shared -fPIC -O1 -Wall -Wextra -Werror -o "$tmp/$1.so" \
        "$top/tests/cli/$1.c" -ldl && echo "$tmp/$1.so"
}
