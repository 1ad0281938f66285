#!/bin/sh
# scripts/build-nginx-module.sh - builds build/ngx_http_moat_module.so
# against Debian's nginx-dev (the configure scripts and headers of the
# packaged nginx, in /usr/share/nginx/src), with the flags the packaged
# nginx was built with, so `load_module` accepts it (--with-compat).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
src=${NGINX_SRC:-/usr/share/nginx/src}
out=build/nginx
if [ ! -f "$src/conf_flags" ]; then
    echo "build-nginx-module: $src/conf_flags not found: install nginx-dev (scripts/deps)" >&2
    exit 1
fi
mkdir -p "$out"
if [ ! -f "$out/src/objs/Makefile" ] || [ nginx/config -nt "$out/src/objs/Makefile" ]; then
    rm -rf "$out/src"
    cp -r "$src" "$out/src"
    (cd "$out/src" && bash -c '. ./conf_flags && ./configure "${NGX_CONF_FLAGS[@]}" --add-dynamic-module="$1"' \
        configure "$top/nginx" >../configure.log 2>&1) ||
        { echo "build-nginx-module: configure failed, see $out/configure.log" >&2; exit 1; }
fi
make -s -C "$out/src" -f objs/Makefile modules >"$out/make.log" 2>&1 ||
    { cat "$out/make.log" >&2; exit 1; }
cp "$out/src/objs/ngx_http_moat_module.so" build/ngx_http_moat_module.so
echo "built build/ngx_http_moat_module.so"
