#!/bin/bash
# tests/install/deb-install.sh DIR - the Debian packages installed on this
# system for real, as CI does it as root (make deb-install-test): apt-get
# installs them with their dependencies and runs their maintainer scripts,
# which a scratch root cannot (check-debs.sh only unpacks there): py3compile
# byte-compiles python3-moat, dh_nginx's postinst links the module into
# /etc/nginx/modules-enabled and nginx -t loads it; then they are purged
# and py3clean, the postrm and dpkg leave nothing behind.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$1
if [ "$(id -u)" -ne 0 ]; then
    echo "deb-install-test: run as root (CI): it installs on the system" >&2
    exit 2
fi
version=$(sed -n 's/^#define MOAT_VERSION "\(.*\)"/\1/p' include/moat.h)
abi=$(sed -n 's/^#define MOAT_ABI \([0-9]*\)$/\1/p' include/moat.h)
pkgs="moat libmoat$abi libmoat-dev libnginx-mod-http-moat python3-moat"
# A system that has them already is left as it is.
for p in $pkgs; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
        echo "deb-install-test: $p is installed already; nothing done" >&2
        exit 2
    fi
done
fails=0
ok() { echo "  ok    $1"; }
fail() { echo "  FAIL  $1" >&2; fails=$((fails + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
trap 'apt-get purge -y -qq $pkgs >/dev/null 2>&1 || true' EXIT
mapfile -t debs < <(ls "$dir"/*_"$version"_*.deb | grep -v dbgsym | sed 's|^\([^/]\)|./\1|')
echo "install check of ${debs[*]} on this system"
apt-get install -y -qq --no-install-recommends "${debs[@]}" >"$dir/install.log" 2>&1 ||
    { tail -20 "$dir/install.log" >&2; exit 1; }
py=/usr/lib/python3/dist-packages/moat
enabled=/etc/nginx/modules-enabled/50-mod-http-moat.conf
for p in $pkgs; do
    check "$p is installed" sh -c "dpkg-query -W -f='\${Status}' $p | grep -qx 'install ok installed'"
done
check "py3compile made $py/__pycache__/*.pyc" sh -c "ls $py/__pycache__/__init__.*.pyc >/dev/null"
check "python3 imports the installed binding" /usr/bin/python3 -c 'import moat, sys; sys.exit(moat.__version__ != "'"$version"'")'
check "moat --version is moat $version" test "$(moat --version)" = "moat $version"
check "the postinst linked $enabled" test -L "$enabled"
check "nginx -t loads the module" nginx -t -q
# shellcheck disable=SC2086
apt-get purge -y -qq $pkgs >>"$dir/install.log" 2>&1 || fail "apt-get purge"
check "py3clean removed the .pyc" test ! -e "$py"
check "the postrm removed $enabled" test ! -e "$enabled"
check "/usr/bin/moat is gone" test ! -e /usr/bin/moat
if [ "$fails" -ne 0 ]; then
    echo "deb install check: $fails failed" >&2
    exit 1
fi
echo "deb install check: all passed"
