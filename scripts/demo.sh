#!/usr/bin/env bash
# make demo: padlock's main job. Starts `padlock serve` with no arguments
# (./public or the welcome page, HTTPS on 443 or 8443, redirect from 80 or
# 8080, a localhost certificate from the local CA made on first run), shows
# it answering real clients, then keeps serving until Ctrl-C when run from a
# terminal. The server is stopped by its PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
padlock=$(pwd)/$build/padlock
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

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

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
	say "serving $url until Ctrl-C (trust the CA for browsers: $padlock cert --install)"
	wait "$pid" || true
	pid=
fi
