#!/usr/bin/env bash
# make demo: padlock's main job, from a fresh clone. Installs only what
# building and running padlock needs (scripts/deps.sh --runtime), builds
# only the padlock binary (its output in a log, shown on failure), starts
# `padlock serve` with no arguments (./public or the welcome page, HTTPS on
# 443 or 8443, redirect from 80 or 8080, a localhost certificate from the
# local CA made on first run), shows it answering real clients, and ends
# with three commands to try next. From a terminal it keeps serving until
# Ctrl-C. The server is stopped by its PID on exit.
#
# BUILD_DIR (default build) is where it builds; PADLOCK_CMAKE_ARGS adds
# CMake options (the tests add -DPADLOCK_WERROR=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
padlock=$build/padlock
ca_dir=${PADLOCK_CA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/padlock/ca}
log=$(mktemp)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -f "$log"
}
trap cleanup EXIT INT TERM

if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi

scripts/deps.sh --runtime

# shellcheck disable=SC2086
build_padlock() {
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release ${PADLOCK_CMAKE_ARGS:-} &&
		cmake --build "$build" --target padlock_cli -j "$(nproc 2>/dev/null || echo 2)"
}
printf 'demo: building %s ... ' "$padlock"
start=$(date +%s)
if ! build_padlock >"$log" 2>&1; then
	echo "failed:"
	cat "$log"
	exit 1
fi
echo "done in $(($(date +%s) - start)) s"
grep -E 'warning:' "$log" || true

say "padlock serve (no arguments)"
"$padlock" serve >"$log" 2>&1 &
pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's|.*serving https://[^/:]*:\{0,1\}\([0-9]*\)/.*|\1|p' "$log" | head -1)
	if grep -q 'serving https://' "$log"; then break; fi
	if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; exit 1; fi
	sleep 0.1
done
cat "$log"
port=${port:-443}
http_port=$(sed -n 's|.*http://[^:]*:\([0-9]*\)/ redirects.*|\1|p' "$log" | head -1)
url="https://localhost${port:+:$port}/"
[ "$port" = 443 ] && url="https://localhost/"

say "curl: the welcome page over TLS 1.3 (trusting the local CA)"
curl -sS --cacert "$ca_dir/ca.pem" -D - -o /dev/null "$url" | grep -Ei '^(HTTP|strict-transport|content-type)'
curl -sS --cacert "$ca_dir/ca.pem" "$url" | sed -n 's/.*id="\(tls-version\|suite\|group\|sigscheme\)"[^>]*>\([^<]*\)<.*/  \1: \2/p'

if [ -n "$http_port" ]; then
	say "HTTPS Everywhere: plain HTTP on port $http_port"
	curl -sS -o /dev/null -w '  %{http_code} -> %{redirect_url}\n' "http://localhost:$http_port/some/page?x=1"
fi

say "padlock get -v: the handshake, step by step"
"$padlock" get -v --cacert "$ca_dir/ca.pem" "$url" 2>&1 >/dev/null | sed -n 1,20p

if [ -t 0 ]; then
	say "Serving $url until Ctrl-C"
fi
say "Next, try"
cat <<NEXT
  $padlock cert --install               # browsers, curl and Python trust the local CA
  $padlock get -v https://example.com/  # a real site's handshake, step by step
  $padlock check example.com            # a site's HTTPS: each problem with its fix, and a grade
NEXT
if [ -t 0 ]; then
	wait "$pid" || true
	pid=
fi
