#!/usr/bin/env bash
# examples/ against the installed libpadlock: install into a scratch
# DESTDIR, build the echo server (shared library) and the client (static
# library) with `cc $(pkg-config --cflags --libs padlock)` as a user of the
# library would, then run them against each other and against Python's ssl.
set -euo pipefail
build=${PADLOCK_BUILD_DIR:?ctest sets PADLOCK_BUILD_DIR}
src=${PADLOCK_SOURCE_DIR:?ctest sets PADLOCK_SOURCE_DIR}
tmp=$(mktemp -d)
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR=$tmp/root cmake --install "$build" >/dev/null
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
pc=$(find "$tmp/root" -name padlock.pc)
[ -n "$pc" ] || fail "no padlock.pc installed"
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$tmp/root
libdir=$(pkg-config --variable=libdir padlock)
libdir=$tmp/root${libdir#"$tmp/root"}

# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$tmp/echo_server" \
	"$src/examples/echo_server.c" $(pkg-config --cflags --libs padlock)
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$tmp/echo_client" \
	"$src/examples/echo_client.c" $(pkg-config --cflags padlock) \
	"$libdir/libpadlock.a" $(pkg-config --libs libcrypto) -pthread
export LD_LIBRARY_PATH=$libdir
server_libs=$(ldd "$tmp/echo_server")
grep -q "libpadlock.so.0 => $libdir/" <<<"$server_libs" ||
	fail "echo_server does not use the installed libpadlock.so.0: $server_libs"
if grep -q libpadlock <<<"$(ldd "$tmp/echo_client")"; then
	fail "echo_client should hold libpadlock.a, not load the shared library"
fi

# A CA and a certificate for localhost.
cd "$tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-out ca.pem -days 2 -subj "/CN=padlock example CA" \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem \
	-out leaf.csr -subj "/CN=localhost" 2>/dev/null
printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'extendedKeyUsage=serverAuth' \
	'keyUsage=critical,digitalSignature' 'basicConstraints=critical,CA:FALSE' \
	'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' >leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile leaf.ext -out cert.pem 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
	-out other.pem -days 2 -subj "/CN=another CA" 2>/dev/null

# The files exist before the server starts: a background job opens its
# redirections after the fork, maybe after the first read below.
: >server.out
: >server.err
"$tmp/echo_server" cert.pem key.pem 0 >server.out 2>server.err &
server_pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/^listening on //p' server.out)
	[ -n "$port" ] && break
	kill -0 "$server_pid" 2>/dev/null || fail "echo_server died: $(cat server.err)"
	sleep 0.1
done
[ -n "$port" ] || fail "echo_server did not say its port"

out=$("$tmp/echo_client" ca.pem localhost "$port" "hello from the example")
echo "$out"
grep -q '^TLSv1.3 TLS_' <<<"$out" || fail "no TLS 1.3 handshake reported: $out"
grep -qx 'hello from the example' <<<"$out" || fail "the echo is wrong: $out"

# A client that does not trust the server's CA stops at the handshake.
if err=$("$tmp/echo_client" other.pem localhost "$port" "x" 2>&1); then
	fail "a client with the wrong CA completed: $err"
fi
echo "wrong CA: $err"
grep -qi 'certificate\|unknown' <<<"$err" || fail "no reason for the refusal: $err"

# A peer no one here wrote: Python's ssl, several connections at once.
python3 - "$port" <<'PY'
import socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context(cafile="ca.pem")
conns = []
for i in range(5):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                        server_hostname="localhost")
    conns.append(s)
for i, s in enumerate(conns):
    msg = b"message %d " % i * 1000
    s.sendall(msg)
    got = b""
    while len(got) < len(msg):
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("connection %d closed early" % i)
        got += chunk
    assert got == msg, "echo %d differs" % i
    assert s.version() == "TLSv1.3", s.version()
    s.close()
print("python ssl: 5 connections echoed")
PY

kill "$server_pid"
wait "$server_pid" || true
server_pid=
echo "PASS"
