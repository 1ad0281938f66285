#!/bin/bash
# tests/install/check-root.sh - what `make install` (or the Debian
# packages, unpacked) put in a scratch root works as installed:
#
#   ROOT=dir PREFIX=/usr/local LIBDIR=/usr/local/lib \
#   BASHCOMP=... ZSHCOMP=... tests/install/check-root.sh
#
# the command and its version, the shared library's SONAME and links, a
# 20-line program built with `pkg-config --cflags --libs moat` (shared and
# static), every man page rendered by man (every option of the help text
# in it, no groff warning), the bash and zsh completions, and `nginx -t`
# with the installed module loaded through its mod-http-moat.conf.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
: "${ROOT:?}" "${PREFIX:?}" "${LIBDIR:?}" "${BASHCOMP:?}" "${ZSHCOMP:?}"
MANDIR=${MANDIR:-$PREFIX/share/man}
version=$(sed -n 's/^#define MOAT_VERSION "\(.*\)"/\1/p' include/moat.h)
abi=$(sed -n 's/^#define MOAT_ABI \([0-9]*\)$/\1/p' include/moat.h)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/moat-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "  ok    $1"; }
fail() { echo "  FAIL  $1" >&2; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

moat=$ROOT$PREFIX/bin/moat
lib=$ROOT$LIBDIR
echo "install check of $ROOT (prefix $PREFIX)"

# ---- the command and the library ---------------------------------------------
check "moat --version is moat $version" \
    test "$("$moat" --version)" = "moat $version"
check "libmoat.so.$version has SONAME libmoat.so.$abi" \
    sh -c "readelf -d '$lib/libmoat.so.$version' | grep -q 'SONAME.*\[libmoat.so.$abi\]'"
check "libmoat.so.$abi -> libmoat.so.$version" \
    test "$(readlink "$lib/libmoat.so.$abi")" = "libmoat.so.$version"
check "libmoat.so -> libmoat.so.$abi" \
    test "$(readlink "$lib/libmoat.so")" = "libmoat.so.$abi"
check "libmoat.so exports moat_ names only" sh -c \
    "! nm -D --defined-only '$lib/libmoat.so.$version' | awk '\$2 ~ /[TDBR]/ {print \$3}' | grep -v '^moat_' | grep -q ."

# ---- pkg-config and a program built with it ---------------------------------
export PKG_CONFIG_SYSROOT_DIR=$ROOT PKG_CONFIG_LIBDIR=$lib/pkgconfig
check "pkg-config --modversion moat is $version" \
    test "$(pkg-config --modversion moat)" = "$version"
flags=$(pkg-config --cflags --libs moat)
expect="libmoat $version (moat.h $version): deny ResDefaultActionDeny"
if cc -std=c11 -Wall -Wextra -Werror -o "$tmp/hello" tests/install/hello.c \
    $flags; then
    out=$(LD_LIBRARY_PATH=$lib "$tmp/hello" examples/estate stnwshipments 203.0.113.77)
    check "hello (shared) decides: $out" test "$out" = "$expect"
    check "hello runs on the installed libmoat.so.$abi" sh -c \
        "LD_LIBRARY_PATH='$lib' ldd '$tmp/hello' | grep -q 'libmoat.so.$abi => $lib/'"
else
    fail "cc tests/install/hello.c \$(pkg-config --cflags --libs moat)"
fi
if [ -f "$lib/libmoat.a" ] && cc -std=c11 -static -o "$tmp/hello-static" \
    tests/install/hello.c $(pkg-config --static --cflags moat) \
    "$lib/libmoat.a" 2>"$tmp/static.err"; then
    out=$("$tmp/hello-static" examples/estate stnwtelemetry 203.0.113.40)
    check "hello (libmoat.a) decides: $out" test "${out%% *}" = libmoat
else
    fail "hello against libmoat.a: $(head -3 "$tmp/static.err" 2>/dev/null)"
fi

# ---- the Python binding ----------------------------------------------------
if [ -n "${PYTHONDIR:-}" ]; then
    out=$(cd "$tmp" && PYTHONPATH=$ROOT$PYTHONDIR LD_LIBRARY_PATH=$lib \
        PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -c '
import moat, sys
with moat.load(sys.argv[1]) as es:
    d = es.decide(resource="stnwshipments", source_ip="203.0.113.77")
print(moat.library_version(), moat.__file__.startswith(sys.argv[2]), d.verdict)
' "$top/examples/estate" "$ROOT" 2>&1) || true
    check "python3 -c 'import moat' from the root: $out" \
        test "$out" = "$version True deny"
fi

# ---- man pages ---------------------------------------------------------------
export MAN_DISABLE_SECCOMP=1 MANWIDTH=100
pages=$(cd "$ROOT$MANDIR/man1" && ls moat*.1* | sed 's/\.1\(\.gz\)\{0,1\}$//')
check "a man page per command ($(echo $pages | wc -w))" \
    test "$(echo $pages | wc -w)" -ge 8
for page in $pages; do
    if ! man -M "$ROOT$MANDIR" -P cat "$page" >"$tmp/page.txt" 2>"$tmp/man.err" ||
        [ -s "$tmp/man.err" ]; then
        fail "man $page: $(head -3 "$tmp/man.err")"
        continue
    fi
    # Every option the help text names is in the page.
    cmd=${page#moat}; cmd=${cmd#-}
    "$moat" $cmd --help >"$tmp/help.txt" 2>&1 || true
    if [ "$cmd" != "" ] && grep -q '^Commands:' "$tmp/help.txt"; then
        sed -n '/^Commands:/,/^$/p' "$tmp/help.txt" | awk 'NR>1 && NF {print $1, $2, $3, $4, $5}' |
        while read -r words; do
            # Leaves: as many words as `moat WORDS --help` accepts.
            set -- $words
            while [ $# -gt 1 ] && ! "$moat" "$@" --help >/dev/null 2>&1; do set -- "${@:1:$(($# - 1))}"; done
            "$moat" "$@" --help
        done >>"$tmp/help.txt" 2>/dev/null
    fi
    missing=$(grep -o -- '--[a-z][a-z0-9-]*' "$tmp/help.txt" | sort -u |
        while read -r o; do grep -q -- "$o" "$tmp/page.txt" || echo "$o"; done)
    check "man $page: renders, has every option of the help ${missing:+(missing: $missing)}" \
        test -z "$missing"
done
for f in "$ROOT$MANDIR"/man1/moat*.1*; do
    warn=$(zcat -f "$f" | groff -man -Tutf8 -ww -z 2>&1 || true)
    [ -z "$warn" ] || fail "groff warns on $(basename "$f"): $warn"
done

# ---- completions -------------------------------------------------------------
bash_try() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
             _moat; echo "${COMPREPLY[*]}"' _ "$ROOT$BASHCOMP/moat" "$@"
}
check "bash: moat ch<TAB> is check" test "$(bash_try moat ch)" = check
check "bash: moat check --format <TAB> is text json" \
    test "$(bash_try moat check --format '')" = "text json"
check "bash: moat storage account network-rule <TAB>" \
    test "$(bash_try moat storage account network-rule '')" = "list add remove"
if command -v zsh >/dev/null; then
    zsh_try() {
        zsh -f -c 'compadd() { [[ $1 == -- ]] && shift; print -r -- "$*"; }
                   _files() { print -r -- "(files)"; }
                   f=$1; shift; words=("$@"); CURRENT=$#; source $f' _ \
            "$ROOT$ZSHCOMP/_moat" "$@"
    }
    check "zsh: moat audit --fail-on <TAB>" \
        test "$(zsh_try moat audit --fail-on '')" = "info low medium high critical"
    check "zsh: moat check --estate <TAB> completes files" \
        test "$(zsh_try moat check --estate '')" = "(files)"
    check "zsh: moat keyvault <TAB>" \
        test "$(zsh_try moat keyvault '')" = "show update network-rule create list delete"
else
    fail "zsh is not installed (scripts/deps)"
fi

# ---- the nginx module --------------------------------------------------------
conf=$ROOT/usr/share/nginx/modules-available/mod-http-moat.conf
if [ -n "${NO_MODULE:-}" ]; then
    echo "  skip  nginx module (NO_MODULE: nginx-dev absent at build)"
else
    mkdir -p "$tmp/nginx"
    ln -s "$ROOT/usr/lib/nginx/modules" "$tmp/nginx/modules"
    cat >"$tmp/nginx.conf" <<EOF
include $conf;
pid $tmp/nginx.pid;
error_log stderr;
events { worker_connections 16; }
http {
    access_log off;
    moat on;
    moat_estate $top/examples/estate/storage.json;
    server { listen 127.0.0.1:8; location / { return 204; } }
}
EOF
    check "nginx -t loads the module through mod-http-moat.conf" \
        nginx -q -t -p "$tmp/nginx/" -c "$tmp/nginx.conf"
    sed -i 's/moat on;/moat on; moat_no_such_directive x;/' "$tmp/nginx.conf"
    check "nginx -t refuses a directive the module lacks (the test can fail)" \
        sh -c "! nginx -q -t -p '$tmp/nginx/' -c '$tmp/nginx.conf' 2>/dev/null"
fi

if [ "$fails" -ne 0 ]; then
    echo "install check: $fails failed" >&2
    exit 1
fi
echo "install check: all passed"
