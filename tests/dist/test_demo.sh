#!/usr/bin/env bash
# make demo as a new user meets it: scripts/deps.sh --runtime asks for
# only what building and running padlock needs, and scripts/demo.sh, run
# into a fresh build directory with a fresh HOME and CA, builds padlock
# without a compiler warning (-Werror here), serves, and ends with three
# commands to try. In a network namespace of its own when root, so its
# 443 and 80 meet no other test.
set -euo pipefail
src=${PADLOCK_SOURCE_DIR:?ctest sets PADLOCK_SOURCE_DIR}
build=${PADLOCK_BUILD_DIR:?ctest sets PADLOCK_BUILD_DIR}
fail() { echo "FAIL: $*" >&2; exit 1; }

# The package lists: runtime and tests split everything, runtime holds
# no test tool.
all=$("$src/scripts/deps.sh" --list | sort)
runtime=$("$src/scripts/deps.sh" --runtime --list | sort)
tests=$("$src/scripts/deps.sh" --tests --list | sort)
[ "$(sort <<<"$runtime"$'\n'"$tests")" = "$all" ] || fail "--runtime and --tests do not add up to everything"
[ -z "$(comm -12 <(echo "$runtime") <(echo "$tests"))" ] || fail "a package is in both lists"
for p in chromium tshark clang testssl.sh gnutls-bin faketime llvm nftables; do
	grep -qx "$p" <<<"$runtime" && fail "the runtime list holds the test tool $p"
done
# What the build uses comes from runtime packages.
for f in /usr/include/openssl/evp.h /usr/include/jansson.h /usr/include/confuse.h \
	/usr/include/systemd/sd-daemon.h /usr/bin/cmake /usr/bin/curl; do
	pkg=$(dpkg -S "$f" | sed -n '1s/:.*//p')
	grep -qx "$pkg" <<<"$runtime" || fail "$f comes from $pkg, which --runtime does not install"
done
echo "runtime packages: $(echo $runtime)"

# A fresh run of the demo script. Its build directory sits beside the
# others (build-demo-NAME), so ccache serves it the objects of
# build-release when it has them.
demo_build=$src/build-demo-$(basename "$build")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$demo_build"' EXIT
rm -rf "$demo_build"
mkdir -p "$tmp/home"
# The fresh HOME must not hide ccache's cache.
cache=()
if command -v ccache >/dev/null; then
	cache=(CCACHE_DIR="${CCACHE_DIR:-$(ccache -k cache_dir)}")
fi
run=(env HOME="$tmp/home" "${cache[@]}" PADLOCK_CA_DIR="$tmp/ca" BUILD_DIR="$demo_build"
	PADLOCK_CMAKE_ARGS="-DPADLOCK_WERROR=ON -DPADLOCK_TESTS=OFF -DPADLOCK_BENCH=OFF"
	"$src/scripts/demo.sh")
if [ "$(id -u)" = 0 ] && unshare -n -- ip link set lo up 2>/dev/null; then
	cmd=(unshare -n -- sh -c 'ip link set lo up && exec "$@"' sh "${run[@]}")
else
	cmd=("${run[@]}")
fi
"${cmd[@]}" </dev/null >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "the demo failed"; }
cat "$tmp/out"

grep -q '^deps: all [0-9]* runtime packages present$' "$tmp/out" || fail "the demo did not check the runtime packages only"
grep -q '^demo: building .* done in' "$tmp/out" || fail "no build line"
if grep -qiE 'warning|Building C object|Linking' "$tmp/out"; then
	fail "the demo printed build output or warnings"
fi
grep -q 'HTTP/2 200' "$tmp/out" || fail "curl did not get the welcome page over HTTP/2"
grep -q 'tls-version: TLS 1.3' "$tmp/out" || fail "the welcome page did not show TLS 1.3"
grep -q '301 -> https://localhost' "$tmp/out" || fail "no redirect from port 80"
tail -4 "$tmp/out" >"$tmp/last"
grep -q '^== Next, try$' "$tmp/last" || fail "the demo does not end with what to try next"
grep -q 'padlock cert --install' "$tmp/last" &&
	grep -q 'padlock get -v https://' "$tmp/last" &&
	grep -q 'padlock check ' "$tmp/last" || fail "the three next commands are missing: $(cat "$tmp/last")"
if grep -q $'\033' "$tmp/out"; then fail "terminal escapes in output that is not a terminal"; fi
echo "PASS"
