#!/bin/bash
# padlock cert check, the real binary ($PADLOCK) on certificates made at
# test time (diag_fixtures.sh, judged at 2030-06-01): exit codes, the codes
# and fixes in its output, colour only on a terminal, and fixes that work
# when pasted into a shell.
set -u

PADLOCK=${PADLOCK:?PADLOCK must name the padlock binary}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/padlock-certcheck-XXXXXX)
trap 'rm -rf "$dir"' EXIT
if ! sh "$here/diag_fixtures.sh" "$dir" > "$dir/make.log" 2>&1; then
	cat "$dir/make.log" >&2
	echo "making the test certificates failed" >&2
	exit 1
fi

failed=0
out= rc=

# check NAME ARGS...: runs padlock cert check ARGS, judged at 2030-06-01
# against the test root; leaves the output in $out and the status in $rc.
check() {
	name=$1
	shift
	out=$(cd "$dir" && "$PADLOCK" cert check --ca-file root.pem \
		--at 2030-06-01 "$@" 2>&1)
	rc=$?
}

fail() {
	echo "FAIL $name: $*" >&2
	echo "$out" | sed 's/^/    | /' >&2
	failed=1
}

want_rc() { [ "$rc" = "$1" ] || fail "exit status $rc, want $1"; }
want() { grep -qF -- "$1" <<< "$out" || fail "output lacks '$1'"; }
want_not() { ! grep -qF -- "$1" <<< "$out" || fail "output has '$1'"; }

# The command of the first fix line that starts with "    fix: PREFIX"
# (up to ", and serve").
fix_command() {
	grep -F "    fix: $1" <<< "$out" | head -1 |
		sed -e "s/^    fix: $1//" -e 's/, and serve .*//'
}

# A clean chain: only the list of names, exit 0.
check clean ok_chain.pem --host www.example.test --key ok.key
want_rc 0
want "ok_chain.pem: 2 certificates, checked against the CAs of root.pem at 2030-06-01 00:00:00 UTC"
want "  name.list: the server certificate covers www.example.test, example.test"
want "No problems found."
want_not "errors:"
want_not "warnings:"

# Errors give exit 1, with the code and the fix.
check expired expired_chain.pem
want_rc 1
want "errors:"
want "  cert.expired: the server certificate 'www.example.test' expired on 2030-01-01 (151 days ago)"
want "    fix: renew the certificate"
want "1 error, 0 warnings"

check mismatch ok_chain.pem --host other.test
want_rc 1
want "name.mismatch: the server certificate is for www.example.test, example.test, not for 'other.test'"

check swapped swapped_chain.pem
want_rc 1
want "chain.order: the file starts with intermediate"

check self-signed self_chain.pem
want_rc 1
want "cert.self-signed"

check weak rsa1024_chain.pem
want_rc 1
want "key.weak"

check sha1 sha1_chain.pem
want_rc 1
want "sig.weak"

check client-only client_chain.pem
want_rc 1
want "cert.no-server-auth"

check other-key ok_chain.pem --key other.key
want_rc 1
want "key.mismatch"

# Warnings and info alone give exit 0.
check order order_chain.pem
want_rc 0
want "warnings:"
want "  chain.order: the certificates are out of order"
want "info:"
want "  chain.root-included: certificate 2 is the root"
want "No errors, 1 warning"

check soon20 soon20_chain.pem
want_rc 0
want "cert.expires-soon: the server certificate 'www.example.test' expires on 2030-06-21, in 20 days"

# The trust store can be a hashed directory.
check ca-path ok_chain.pem --ca-path cadir
want_rc 0
want "against the CAs of root.pem and cadir"

# A missing intermediate found in a directory: the fix, run as printed,
# makes a chain that passes.
check missing ok.pem --intermediates ints
want_rc 1
want "chain.missing-intermediate: the server certificate 'www.example.test' is issued by intermediate 'CN=Padlock Diag Intermediate, O=Padlock Tests'"
want "the intermediates directory has it: ints/diag-intermediate.pem"
want "    fix: append it to the chain: cat ok.pem ints/diag-intermediate.pem > fullchain.pem, and serve fullchain.pem"
command=$(fix_command "append it to the chain: ")
(cd "$dir" && sh -c "$command") || fail "the fix '$command' failed"
check fixed fullchain.pem --host example.test
want_rc 0
want_not "chain.missing-intermediate"

# Without the directory it still says which certificate is missing.
check missing-nowhere ok.pem
want_rc 1
want "get the intermediate certificate 'CN=Padlock Diag Intermediate, O=Padlock Tests' from your CA"

# A key others can read: a warning whose fix works.
check open-key ok_chain.pem --key open.key
want_rc 0
want "key.permissions: the private key file open.key can be read by every user of this machine (mode 0644)"
want "    fix: chmod 600 open.key"
command=$(fix_command "")
[ "$command" = "chmod 600 open.key" ] || fail "fix command '$command'"
(cd "$dir" && sh -c "$command") || fail "the fix '$command' failed"
check open-key-fixed ok_chain.pem --key open.key
want_not "key.permissions"

# Encrypted keys: a clear refusal, then the passphrase file.
check encrypted ok_chain.pem --key enc.key
want_rc 1
want "padlock cert check: enc.key: the private key is encrypted; give a passphrase file (--key-passphrase-file FILE)"
check passphrase ok_chain.pem --key enc.key --key-passphrase-file pass.txt
want_rc 0
want_not "key.mismatch"
check passphrase-crlf ok_chain.pem --key enc_trad.key --key-passphrase-file=pass_crlf.txt
want_rc 0
check wrong-passphrase ok_chain.pem --key enc.key --key-passphrase-file wrongpass.txt
want_rc 1
want "enc.key: the passphrase in wrongpass.txt does not decrypt the private key (wrong passphrase?)"

# Files that cannot be read: exit 1, naming the file.
check no-file nothere.pem
want_rc 1
want "padlock cert check: nothere.pem: No such file or directory"
check no-dir ok.pem --intermediates nothere
want_rc 1
want "nothere: No such file or directory"

# Bad command lines: exit 2.
for args in "" "--bogus ok.pem" "ok.pem ok.pem" "ok.pem --at 2030-02-30" \
	"ok.pem --at tomorrow" "ok.pem --host" "ok.pem --key-passphrase-file pass.txt"; do
	name="usage '$args'"
	# shellcheck disable=SC2086
	out=$(cd "$dir" && "$PADLOCK" cert check $args 2>&1)
	rc=$?
	want_rc 2
	want "usage: padlock cert check"
done
name=help
out=$("$PADLOCK" cert check --help 2>&1)
rc=$?
want_rc 0
want "--intermediates DIR"

# Colour: never into a pipe; on a terminal unless NO_COLOR is set.
name=pipe
check pipe expired_chain.pem
grep -q $'\033' <<< "$out" && fail "colour into a pipe"
if command -v script > /dev/null; then
	tty_check() {
		(cd "$dir" && env "$@" script -qec "'$PADLOCK' cert check \
			--ca-file root.pem --at 2030-06-01 expired_chain.pem" \
			/dev/null 2>&1)
	}
	name=tty
	out=$(tty_check -u NO_COLOR TERM=xterm)
	grep -q $'\033\\[1;31merrors:' <<< "$out" || fail "no colour on a terminal"
	name=no-color
	out=$(tty_check NO_COLOR=1 TERM=xterm)
	grep -q $'\033' <<< "$out" && fail "colour despite NO_COLOR"
else
	echo "script(1) is missing: the terminal colour checks did not run"
fi

if [ $failed -ne 0 ]; then
	echo "padlock cert check: some checks failed" >&2
	exit 1
fi
echo "padlock cert check: all checks passed"
