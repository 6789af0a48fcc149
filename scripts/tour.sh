#!/usr/bin/env bash
# make tour: padlock's TLS 1.3 engine end to end on this machine.
#  1. padlock's client (padlock get -v) against OpenSSL's server, showing
#     each step of the handshake;
#  2. curl and padlock get against padlock's own (test) server.
# Everything runs on loopback; every process started here is stopped here.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
padlock=$build/padlock
server=$build/padlock_testserver
work=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {
	for _ in $(seq 100); do
		if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "demo: nothing listens on port $1" >&2
	return 1
}

say "A local CA and a certificate for localhost (openssl)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/CN=padlock demo CA" -days 1 -keyout "$work/ca.key" -out "$work/ca.pem" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
	-keyout "$work/site.key" -out "$work/site.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$work/ext"
openssl x509 -req -in "$work/site.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
	-CAcreateserial -days 1 -extfile "$work/ext" -out "$work/site.pem" 2>/dev/null
echo "CA $work/ca.pem; site certificate $work/site.pem"

say "padlock get -v: our TLS 1.3 client against OpenSSL's server"
port=$(free_port)
openssl s_server -tls1_3 -accept "127.0.0.1:$port" -cert "$work/site.pem" \
	-key "$work/site.key" -www -quiet >"$work/s_server.log" 2>&1 &
pids+=($!)
wait_port "$port"
"$padlock" get -v --cacert "$work/ca.pem" "https://localhost:$port/" | head -5

say "curl against padlock's TLS 1.3 server"
port=$(free_port)
"$server" --cert "$work/site.pem" --key "$work/site.key" --port "$port" \
	--alpn http/1.1 2>"$work/server.log" &
pids+=($!)
wait_port "$port"
curl -sS --tlsv1.3 --cacert "$work/ca.pem" -w '(curl: HTTP %{http_code}, certificate verify result %{ssl_verify_result})\n' \
	"https://localhost:$port/"
curl -sS -v --tlsv1.3 --cacert "$work/ca.pem" -o /dev/null "https://localhost:$port/" 2>&1 |
	grep -E 'SSL connection using|ALPN: server accepted|subject:|issuer:' || true

say "padlock get against padlock's server"
"$padlock" get --cacert "$work/ca.pem" "https://localhost:$port/"

say "What padlock's server logged"
cat "$work/server.log"
