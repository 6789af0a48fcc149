#!/bin/sh
# Makes the certificates the chain-diagnostics tests read, with the openssl
# command, in the directory given as $1 (which must exist and be empty).
# Used by tests/x509/test_diagnose.c and tests/x509/test_certcheck.sh.
#
# Every validity period is a fixed date, so the tests judge them at a fixed
# time, 2030-06-01 00:00:00 UTC, whatever the clock says:
#   root.pem               "Padlock Diag Root", 2020-01-01 .. 2050-01-01
#   int.pem                "Padlock Diag Intermediate" (root), .. 2045-01-01
#   oldint.pem             an intermediate that expired 2025-01-01
#   otherroot.pem          "Unrelated Test Root", trusted by no test store
# Leaves (NAME.pem, NAME.key; signed by int, valid 2030-01-01 .. 2031-01-01,
# SAN www.example.test and example.test, serverAuth, unless said otherwise):
#   ok                     the clean one; ok.key is mode 0600
#   expired notyet         2029-01-01 .. 2030-01-01; 2030-07-01 .. 2031-07-01
#   soon5 soon20           end 2030-06-06 and 2030-06-21 (5 and 20 days)
#   short6                 2030-05-30 .. 2030-06-05 (a 6-day ACME profile)
#   short12h               2030-05-31 18:00 .. 2030-06-01 06:00 (12 hours)
#   wild                   SAN *.example.test
#   cnonly                 no SAN, CN=cnonly.example.test
#   rsa1024 p224 rsa2048   those keys
#   sha1                   signed with ECDSA over SHA-1
#   self                   self-signed, SAN self.example.test
#   caleaf                 basicConstraints CA:TRUE
#   client                 extendedKeyUsage clientAuth only
#   underold               signed by oldint
#   otherleaf              signed by otherroot
#   notca                  signed by ok, which is not a CA
# Chain files (as a server would be given them):
#   ok_chain.pem           ok int              (the clean chain)
#   NAME_chain.pem         NAME int            for the leaves above
#   withroot_chain.pem     ok int root
#   order_chain.pem        ok root int
#   swapped_chain.pem      int ok              (the leaf is not first)
#   dup_chain.pem          ok int int
#   unrelated_chain.pem    ok int otherleaf
#   untrusted_chain.pem    otherleaf otherroot
#   caleaf_extra_chain.pem caleaf otherleaf  (a CA first, but no leaf of its)
#   oldint_chain.pem       underold oldint
#   self_chain.pem         self
#   notca_chain.pem        notca ok int        (ok issues but is no CA)
#   ok.pem                 the leaf alone      (intermediate missing)
# Trust and intermediates:
#   cadir/                 root.pem, hashed; cadir_int/ has int.pem too
#   root_int.pem           root + int in one CA file
#   ints/                  int.pem as ints/diag-intermediate.pem, next to
#                          otherroot.pem and a file that is not PEM
# Keys:
#   other.key              a P-256 key no certificate has
#   open.key               ok.key with mode 0644
#   enc.key enc_trad.key   ok.key encrypted (PKCS#8, traditional PEM)
#   pass.txt               its passphrase; pass_crlf.txt with CRLF and a
#                          second line; wrongpass.txt, emptypass.txt
set -e
cd "$1"

cat > openssl.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
default_ca = testca
[testca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = anything
unique_subject = no
[anything]
organizationName = optional
commonName = supplied
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[int]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:www.example.test, DNS:example.test
[wild]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
subjectAltName = DNS:*.example.test
[cnonly]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
[self]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:self.example.test
[caleaf]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
subjectAltName = DNS:www.example.test
[client]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
subjectAltName = DNS:www.example.test
EOF
touch index.txt
echo 1000 > serial

key() {
	case $2 in
	rsa*) openssl genpkey -algorithm RSA \
		-pkeyopt rsa_keygen_bits:${2#rsa} -out $1.key ;;
	*) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$2 \
		-out $1.key ;;
	esac
	chmod 600 $1.key
}

# cert NAME KEYTYPE SUBJECT EXTENSIONS ISSUER START END [ca options...]
# ISSUER "self" makes a self-signed certificate.
cert() {
	name=$1 type=$2 subject=$3 ext=$4 issuer=$5 start=$6 end=$7
	shift 7
	key $name $type
	openssl req -new -config openssl.cnf -key $name.key -subj "$subject" \
		-out $name.csr
	if [ "$issuer" = self ]; then
		set -- -selfsign -keyfile $name.key "$@"
	else
		set -- -cert $issuer.pem -keyfile $issuer.key "$@"
	fi
	openssl ca -batch -notext -preserveDN -config openssl.cnf -in $name.csr \
		-out $name.pem -extensions $ext -startdate $start -enddate $end "$@"
}

# leaf NAME [KEYTYPE [EXTENSIONS [START [END [ca options...]]]]]
leaf() {
	name=$1
	type=${2:-P-256} ext=${3:-leaf}
	start=${4:-20300101000000Z} end=${5:-20310101000000Z}
	shift $(($# < 5 ? $# : 5))
	cert $name $type "/CN=${LEAF_CN:-$name.example.test}" $ext int $start \
		$end "$@"
	cat $name.pem int.pem > ${name}_chain.pem
}

cert root P-256 '/O=Padlock Tests/CN=Padlock Diag Root' root self \
	20200101000000Z 20500101000000Z
cert int P-256 '/O=Padlock Tests/CN=Padlock Diag Intermediate' int root \
	20200101000000Z 20450101000000Z
cert oldint P-256 '/O=Padlock Tests/CN=Padlock Old Intermediate' int root \
	20200101000000Z 20250101000000Z
cert otherroot P-256 '/O=Elsewhere/CN=Unrelated Test Root' root self \
	20200101000000Z 20500101000000Z

# The clean ones repeat a SAN as their CN (name.cn-not-in-san otherwise).
LEAF_CN=www.example.test leaf ok
leaf expired P-256 leaf 20290101000000Z 20300101000000Z
leaf notyet P-256 leaf 20300701000000Z 20310701000000Z
leaf soon5 P-256 leaf 20300101000000Z 20300606000000Z
leaf soon20 P-256 leaf 20300101000000Z 20300621000000Z
leaf short6 P-256 leaf 20300530000000Z 20300605000000Z
leaf short12h P-256 leaf 20300531180000Z 20300601060000Z
leaf wild P-256 wild
leaf cnonly P-256 cnonly
leaf rsa1024 rsa1024
leaf p224 P-224
LEAF_CN=www.example.test leaf rsa2048 rsa2048
leaf sha1 P-256 leaf 20300101000000Z 20310101000000Z -md sha1
leaf caleaf P-256 caleaf
leaf client P-256 client
cert self P-256 /CN=self.example.test self self \
	20300101000000Z 20310101000000Z
cp self.pem self_chain.pem
cert underold P-256 /CN=underold.example.test leaf oldint \
	20240101000000Z 20310101000000Z
cat underold.pem oldint.pem > oldint_chain.pem
cert otherleaf P-256 /CN=otherleaf.example.test leaf otherroot \
	20300101000000Z 20310101000000Z
cert notca P-256 /CN=notca.example.test leaf ok \
	20300101000000Z 20310101000000Z
cat notca.pem ok.pem int.pem > notca_chain.pem
# ok with the last byte of its signature changed.
openssl x509 -in ok.pem -outform DER -out badsig.der
size=$(stat -c %s badsig.der)
last=$(od -An -tu1 -j $((size - 1)) badsig.der | tr -d ' ')
printf "\\$(printf '%03o' $(((last + 1) % 256)))" |
	dd of=badsig.der bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
openssl x509 -inform DER -in badsig.der -out badsig.pem
cat badsig.pem int.pem > badsig_chain.pem

cat ok.pem int.pem root.pem > withroot_chain.pem
cat ok.pem root.pem int.pem > order_chain.pem
cat int.pem ok.pem > swapped_chain.pem
cat ok.pem int.pem int.pem > dup_chain.pem
cat ok.pem int.pem otherleaf.pem > unrelated_chain.pem
cat otherleaf.pem otherroot.pem > untrusted_chain.pem
cat caleaf.pem otherleaf.pem > caleaf_extra_chain.pem

mkdir cadir cadir_int ints
cp root.pem cadir/
openssl rehash cadir
cp root.pem int.pem cadir_int/
openssl rehash cadir_int
cat root.pem int.pem > root_int.pem
cp int.pem ints/diag-intermediate.pem
cp otherroot.pem ints/
echo 'not a certificate' > ints/README

key other P-256
cp ok.key open.key
chmod 644 open.key
openssl pkcs8 -topk8 -in ok.key -v2 aes-256-cbc \
	-passout 'pass:correct horse battery' -out enc.key
openssl ec -in ok.key -aes256 -passout 'pass:correct horse battery' \
	-out enc_trad.key
chmod 600 enc.key enc_trad.key
printf 'correct horse battery\n' > pass.txt
printf 'correct horse battery\r\nsecond line\n' > pass_crlf.txt
printf 'wrong horse\n' > wrongpass.txt
: > emptypass.txt
