#!/usr/bin/env bash
# make install / make uninstall into a DESTDIR: the expected files, a
# padlock.service that runs the installed binary, man pages that man(1)
# finds, a shared library that exports only the API of its headers; then
# uninstall leaves nothing behind.
set -euo pipefail
build=${PADLOCK_BUILD_DIR:?ctest sets PADLOCK_BUILD_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

dest=$tmp/root
DESTDIR=$dest cmake --install "$build" >/dev/null
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
p=$dest$prefix
for f in bin/padlock lib/libpadlock.a lib/libpadlock.so lib/libpadlock.so.0 \
	include/padlock/common.h include/padlock/crypto.h include/padlock/x509.h \
	include/padlock/tls.h lib/pkgconfig/padlock.pc \
	share/man/man1/padlock.1 share/man/man1/padlock-serve.1 \
	share/man/man1/padlock-get.1 share/man/man1/padlock-check.1 \
	share/man/man1/padlock-cert.1 share/man/man5/padlock.conf.5 \
	lib/systemd/system/padlock.service; do
	[ -e "$p/$f" ] || fail "make install did not install $prefix/$f"
done
echo "installed: $(find "$dest" -type f -o -type l | wc -l) files under $prefix"

# Nothing outside the prefix.
outside=$(find "$dest" \( -type f -o -type l \) ! -path "$p/*")
[ -z "$outside" ] || fail "installed outside the prefix: $outside"

# The unit starts the binary this install put in bin/.
grep -q "^ExecStart=$prefix/bin/padlock serve" "$p/lib/systemd/system/padlock.service" ||
	fail "padlock.service does not run $prefix/bin/padlock: $(grep Exec "$p/lib/systemd/system/padlock.service")"
"$p/bin/padlock" --help >/dev/null 2>&1 || "$p/bin/padlock" serve --help >/dev/null ||
	fail "the installed padlock does not run"

# Each installed header stands alone on what is installed.
for h in "$p"/include/padlock/*.h; do
	echo "#include <padlock/$(basename "$h")>" |
		cc -std=c11 -Wall -Werror -fsyntax-only -I"$p/include" -x c - ||
		fail "$(basename "$h") does not compile with only the installed headers"
done

# SONAME, and only the functions the installed headers declare.
soname=$(readelf -d "$p/lib/libpadlock.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libpadlock.so.0 ] || fail "SONAME is '$soname'"
nm -D --defined-only "$p/lib/libpadlock.so" | awk '$2 ~ /[TDBRVW]/ {print $3}' |
	sed 's/@.*//' | sort -u >"$tmp/exported"
cat "$p"/include/padlock/*.h | sed 's|/\*.*\*/||' |
	grep -o '[ *]pl_[a-z0-9_]*(' | tr -d ' *(' | sort -u >"$tmp/declared"
[ "$(wc -l <"$tmp/exported")" -gt 50 ] || fail "too few exports: $(cat "$tmp/exported")"
extra=$(comm -23 "$tmp/exported" "$tmp/declared")
[ -z "$extra" ] || fail "libpadlock.so exports what no header declares: $extra"
grep -qx pl_tls_feed "$tmp/exported" || fail "pl_tls_feed is not exported"
# The static library holds the same engine, internal functions included.
nm "$p/lib/libpadlock.a" >"$tmp/archive"
grep -q ' T pl_tls_feed$' "$tmp/archive" || fail "libpadlock.a lacks pl_tls_feed"
internal=$(awk '$2=="T" && $3 ~ /^pl_/ {print $3}' "$tmp/archive" |
	sort -u | comm -23 - "$tmp/declared" | sed -n 1p)
if [ -n "$internal" ]; then
	grep -qx "$internal" "$tmp/exported" && fail "internal $internal is exported"
	echo "internal, not exported: $internal (and others)"
fi

# man finds the pages.
if command -v man >/dev/null; then
	MANPATH=$p/share/man man -P cat padlock-serve 2>/dev/null | grep -q 'PADLOCK-SERVE' ||
		fail "man padlock-serve does not show the page"
	MANPATH=$p/share/man man -P cat 5 padlock.conf 2>/dev/null | grep -q 'site "example.com"' ||
		fail "man 5 padlock.conf does not show the example"
	warnings=$(for m in "$p"/share/man/man*/*; do
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null; done)
	[ -z "$warnings" ] || fail "groff warns: $warnings"
fi

# Uninstall removes every file, and include/padlock with them.
DESTDIR=$dest cmake --build "$build" --target uninstall >/dev/null
left=$(find "$dest" \( -type f -o -type l \))
[ -z "$left" ] || fail "left after uninstall: $left"
[ ! -e "$p/include/padlock" ] || fail "include/padlock left after uninstall"
echo "PASS"
