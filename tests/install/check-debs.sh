#!/bin/bash
# tests/install/check-debs.sh DIR - the Debian packages `make deb` built:
# each holds what it should (dpkg-deb --contents), says what it needs
# (dpkg-deb --field), the module is registered as Debian's nginx modules
# are, lintian finds no error (when installed); then all of them installed
# by dpkg into a scratch root with its own dpkg database and checked as
# installed (check-root.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$1
: "${MULTIARCH:?}"
version=$(sed -n 's/^#define MOAT_VERSION "\(.*\)"/\1/p' include/moat.h)
abi=$(sed -n 's/^#define MOAT_ABI \([0-9]*\)$/\1/p' include/moat.h)
arch=$(dpkg --print-architecture)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/moat-debs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "  ok    $1"; }
fail() { echo "  FAIL  $1" >&2; fails=$((fails + 1)); }
echo "package check of $dir"

# has PACKAGE PATH...: every path is in the package.
has() {
    local pkg=$1 deb="$dir/${1}_${version}_$arch.deb"; shift
    [ -f "$deb" ] || { fail "$deb was not built"; return; }
    dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/$pkg.list"
    for p in "$@"; do
        if grep -qx -- "$p" "$tmp/$pkg.list"; then ok "$pkg: $p"
        else fail "$pkg lacks $p"; fi
    done
}
field() {
    local v
    v=$(dpkg-deb --field "$dir/${1}_${version}_$arch.deb" "$2")
    if echo "$v" | grep -Eq -- "$3"; then ok "$1 $2: $v"
    else fail "$1 $2 is '$v', expected /$3/"; fi
}
L=/usr/lib/$MULTIARCH
has moat /usr/bin/moat /usr/share/man/man1/moat.1.gz \
    /usr/share/man/man1/moat-check.1.gz /usr/share/man/man1/moat-audit.1.gz \
    /usr/share/bash-completion/completions/moat \
    /usr/share/zsh/vendor-completions/_moat
has "libmoat$abi" "$L/libmoat.so.$version" "$L/libmoat.so.$abi"
has libmoat-dev /usr/include/moat.h "$L/libmoat.so" "$L/libmoat.a" \
    "$L/pkgconfig/moat.pc"
has libnginx-mod-http-moat /usr/lib/nginx/modules/ngx_http_moat_module.so \
    /usr/share/nginx/modules-available/mod-http-moat.conf
pyver=$(dpkg-deb --contents "$dir/python3-moat_${version}_all.deb" 2>/dev/null |
    grep -c '/usr/lib/python3/dist-packages/moat/__init__.py' || true)
if [ "$pyver" = 1 ]; then ok "python3-moat: /usr/lib/python3/dist-packages/moat/"
else fail "python3-moat lacks the moat package"; fi
field "libmoat$abi" Depends 'libc6'
field libmoat-dev Depends "libmoat$abi \\(= $version\\)"
field libnginx-mod-http-moat Depends 'nginx-abi-[0-9]'
field "libmoat$abi" Multi-Arch same
# Nothing shipped twice, nothing of the library in the command's package.
if sort "$tmp"/*.list | grep -v '/$' | uniq -d | grep -q .; then
    fail "files in two packages: $(sort "$tmp"/*.list | grep -v '/$' | uniq -d | head -3)"
else ok "no file in two packages"; fi
# The module is enabled on install as Debian's are: postinst links
# modules-enabled/50-mod-http-moat.conf to the shipped snippet.
dpkg-deb --ctrl-tarfile "$dir/libnginx-mod-http-moat_${version}_$arch.deb" |
    tar -xO ./postinst >"$tmp/postinst" 2>/dev/null || true
if grep -q 'mod-http-moat.conf:50-mod-http-moat.conf' "$tmp/postinst" &&
    grep -q '/etc/nginx/modules-enabled' "$tmp/postinst"; then
    ok "libnginx-mod-http-moat postinst enables 50-mod-http-moat.conf"
else fail "libnginx-mod-http-moat postinst does not enable the module"; fi
# The shared library's shlibs let programs depend on it.
dpkg-deb --ctrl-tarfile "$dir/libmoat${abi}_${version}_$arch.deb" |
    tar -xO ./shlibs >"$tmp/shlibs" 2>/dev/null || true
if grep -q "^libmoat $abi libmoat$abi" "$tmp/shlibs"; then ok "libmoat$abi shlibs: $(cat "$tmp/shlibs")"
else fail "libmoat$abi has no shlibs entry"; fi

# Debian's own checker, when installed (scripts/deps installs it): an
# error fails, a warning is shown. No override is carried (debian/*.
# lintian-overrides): what it reported was fixed.
if command -v lintian >/dev/null 2>&1; then
    # shellcheck disable=SC2046
    lintian --tag-display-limit 0 $(ls "$dir"/*_"$version"_*.deb | grep -v dbgsym) \
        >"$tmp/lintian.log" 2>&1 || true
    grep '^W: ' "$tmp/lintian.log" | sed 's/^/  lintian /' || true
    if grep -q '^E: ' "$tmp/lintian.log"; then
        fail "lintian: $(grep -c '^E: ' "$tmp/lintian.log") errors"
        grep '^E: ' "$tmp/lintian.log" >&2
    else ok "lintian: no error ($(grep -c '^W: ' "$tmp/lintian.log" || true) warnings)"; fi
else echo "  skip  lintian is not installed (scripts/deps installs it)"; fi

# python3-moat is byte-compiled the Debian way: no .pyc shipped, py3compile
# at configure and py3clean at removal (dh_python3).
if dpkg-deb --contents "$dir/python3-moat_${version}_all.deb" | grep -q '\.pyc$'; then
    fail "python3-moat ships .pyc files"
else ok "python3-moat ships no .pyc"; fi
for script in postinst:py3compile prerm:py3clean; do
    if dpkg-deb --ctrl-tarfile "$dir/python3-moat_${version}_all.deb" |
        tar -xO "./${script%%:*}" 2>/dev/null | grep -q "${script#*:} -p python3-moat"; then
        ok "python3-moat ${script%%:*} runs ${script#*:}"
    else fail "python3-moat ${script%%:*} does not run ${script#*:}"; fi
done
pydeps=$(dpkg-deb --field "$dir/python3-moat_${version}_all.deb" Depends)
case "$pydeps" in *python3:any*) ok "python3-moat Depends: $pydeps" ;;
*) fail "python3-moat Depends is '$pydeps', without dh_python3's python3:any" ;; esac

# Installed by dpkg itself into the scratch root, with an admin directory
# of its own (nothing of the system's dpkg database is read or written):
# dpkg unpacks every package, records its files and refuses one file in
# two packages. Only the unpack: the maintainer scripts (py3compile, the
# module's link in /etc/nginx) name absolute paths and would change the
# system (make deb-install-test runs them, as root in CI). Dependencies
# (libc6, python3, nginx) are the system's, not the scratch root's, hence
# --force-depends; --force-not-root and --force-bad-path let an
# unprivileged user do it.
root=$tmp/root
admin=$root/var/lib/dpkg
mkdir -p "$admin/info" "$admin/updates" "$admin/triggers"
: >"$admin/status"
: >"$admin/available"
dpkg_root() {
    dpkg --root="$root" --log="$tmp/dpkg.log" --force-not-root \
        --force-bad-path --force-depends --no-triggers "$@"
}
debs=$(ls "$dir"/*_"$version"_*.deb)
# shellcheck disable=SC2086
if dpkg_root --unpack $debs >"$tmp/unpack.log" 2>&1; then
    ok "dpkg --root unpacked $(echo "$debs" | wc -l) packages"
else
    fail "dpkg --root --unpack: $(tail -3 "$tmp/unpack.log")"
fi
for pkg in moat "libmoat$abi" libmoat-dev libnginx-mod-http-moat python3-moat; do
    st=$(dpkg_root --status "$pkg" 2>/dev/null | sed -n 's/^Status: //p')
    if [ "$st" = "install ok unpacked" ]; then ok "dpkg --root: $pkg unpacked"
    else fail "dpkg --root: $pkg is '$st'"; fi
done
if dpkg_root --verify >"$tmp/verify.log" 2>&1; then
    ok "dpkg --root --verify: every file as its package's md5sums say"
else fail "dpkg --root --verify: $(head -3 "$tmp/verify.log")"; fi
# man finds the pages gzipped, as Debian ships them.
ROOT=$root PREFIX=/usr LIBDIR=$L BASHCOMP=/usr/share/bash-completion/completions \
    ZSHCOMP=/usr/share/zsh/vendor-completions \
    PYTHONDIR=/usr/lib/python3/dist-packages tests/install/check-root.sh ||
    fails=$((fails + 1))
if [ "$fails" -ne 0 ]; then
    echo "package check: $fails failed" >&2
    exit 1
fi
echo "package check: all passed"
