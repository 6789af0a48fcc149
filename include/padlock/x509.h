/*
 * padlock x509: certificates, private keys, trust stores and chain
 * verification (RFC 5280 path validation through libcrypto's X509_STORE,
 * RFC 6125 host name checks).
 *
 * Objects are opaque and owned by the caller, who frees them with their
 * _free function. Functions that can fail on user input take an err buffer
 * and write one sentence there that names the file and the cause
 * ("/etc/padlock/site.pem: no certificate found").
 */
#ifndef PADLOCK_X509_H
#define PADLOCK_X509_H

#include <time.h>

#include "padlock/common.h"
#include "padlock/crypto.h"

/* ---- certificate chains ----------------------------------------------- */

/* A list of certificates as a server presents it: leaf first. */
typedef struct pl_x509_chain pl_x509_chain_t;

/* Loads every certificate of a PEM file, in file order. */
pl_x509_chain_t *pl_x509_chain_load_pem(const char *path, char *err,
					size_t err_len);

/* Builds a chain from DER certificates (as a TLS Certificate message
 * carries them). PL_ERR_DECODE with err set when one does not parse. */
int pl_x509_chain_from_der(const uint8_t *const *der, const size_t *len,
			   size_t count, pl_x509_chain_t **out, char *err,
			   size_t err_len);

size_t pl_x509_chain_count(const pl_x509_chain_t *c);

/* DER of certificate i (0 = leaf); the pointer stays valid while c lives. */
const uint8_t *pl_x509_chain_der(const pl_x509_chain_t *c, size_t i,
				 size_t *len);

/* The leaf's public key, borrowed (valid while c lives). */
const pl_pkey_t *pl_x509_chain_leaf_key(const pl_x509_chain_t *c);

/* True when the leaf certificate covers host (a DNS name or an IP
 * literal) under RFC 6125: SANs only, wildcard only as the whole left-most
 * label, IP literals against iPAddress SANs. */
bool pl_x509_chain_covers(const pl_x509_chain_t *c, const char *host);

void pl_x509_chain_free(pl_x509_chain_t *c);

/* What a person wants to read about certificate i of a chain. */
typedef struct {
	char subject[256];   /* "CN=example.com, O=Example" */
	char issuer[256];
	char names[512];     /* SANs: "example.com, www.example.com, 127.0.0.1" */
	char key[64];        /* "ECDSA P-256", "RSA 2048" */
	char sig_alg[64];    /* "ecdsa-with-SHA256" */
	time_t not_before;
	time_t not_after;
	bool is_ca;
	bool self_signed;
	char ca_issuers[256]; /* the AIA "CA Issuers" URL, where the issuer's
				 certificate can be downloaded; "" if none */
} pl_x509_info_t;

int pl_x509_chain_info(const pl_x509_chain_t *c, size_t i,
		       pl_x509_info_t *info);

/* ---- private keys ------------------------------------------------------ */

/* Loads a PEM private key (PKCS#8 or traditional RSA/EC form). */
pl_pkey_t *pl_x509_key_load_pem(const char *path, char *err, size_t err_len);

/* True when key is the private half of the chain leaf's public key. */
bool pl_x509_key_matches(const pl_x509_chain_t *c, const pl_pkey_t *key);

/* ---- trust stores and verification -------------------------------------- */

typedef struct pl_x509_store pl_x509_store_t;

/* A trust store from a CA bundle file and/or a hashed CA directory. With
 * both NULL, the system store (/etc/ssl/certs) is used. */
pl_x509_store_t *pl_x509_store_new(const char *ca_file, const char *ca_path,
				   char *err, size_t err_len);
void pl_x509_store_free(pl_x509_store_t *s);

/* The most certificates a path may have, the leaf and the trust anchor
 * included, unless pl_x509_store_set_max_depth says otherwise: eight, as
 * Firefox's mozilla::pkix allows (a leaf, six intermediates, a root). */
#define PL_X509_MAX_DEPTH_DEFAULT 8u
#define PL_X509_MAX_DEPTH_LIMIT 32u

/* Sets the most certificates a verified path may have (leaf and anchor
 * included), 1 to PL_X509_MAX_DEPTH_LIMIT (--max-chain-depth). PL_ERR_ARG
 * when out of range. */
int pl_x509_store_set_max_depth(pl_x509_store_t *s, unsigned depth);

/* Adds the certificate revocation lists of the file at path (PEM, several
 * allowed, or one DER CRL) to s (--crl). From then on, every certificate
 * of a path whose issuer has a CRL among them is checked against it (a
 * revoked one is refused with certificate_revoked, a CRL that is expired
 * or not signed by that issuer refuses the path); certificates of issuers
 * without one are not checked. PL_ERR_IO / PL_ERR_DECODE with err set. */
int pl_x509_store_add_crl_file(pl_x509_store_t *s, const char *path,
			       char *err, size_t err_len);

/* The outcome of a verification. */
typedef struct {
	int alert;             /* TLS alert for a failure (RFC 8446 6.2):
				  42 bad_certificate, 45 certificate_expired,
				  48 unknown_ca, 46 certificate_unknown, ... */
	char reason[320];      /* one sentence: "server certificate for
				  'localhost' expired on 2026-11-20" */
	char trusted_root[256]; /* on success: subject of the trust anchor */
	char code[48];         /* on failure: the finding code padlock cert
				  check names it by ("name.constraint",
				  "cert.expired", ...; docs/certificate-
				  diagnostics.md), "chain.invalid" for the
				  rest */
} pl_x509_verdict_t;

/* Verifies chain c (leaf first, as received) against store s at time now
 * (seconds since the epoch; 0: the current time), as strictly as the Web
 * PKI (docs/certificate-diagnostics.md lists every rule): path building
 * that tries each possible path to a trust anchor of the store (the first
 * certificate the store trusts ends a path, a trusted intermediate too)
 * and backs off from a failing one, within the store's max depth; RFC
 * 5280 path validation in strict mode, name constraints checked against
 * every name of every certificate and against host, validity periods with
 * notAfter inclusive, the serverAuth purpose, CRLs added to s, the
 * browsers' key rules; and, when host is not NULL, that the leaf covers
 * host (DNS name or IP literal, RFC 6125/9525). The one decision that
 * padlock get, padlock check and padlock cert check share. Returns PL_OK
 * (v->trusted_root set), or PL_ERR_CERT with v->alert, v->reason and
 * v->code set from the best path tried. v may not be NULL. */
int pl_x509_verify(const pl_x509_store_t *s, const pl_x509_chain_t *c,
		   const char *host, time_t now, pl_x509_verdict_t *v);

/* ---- the local development CA (padlock cert) ----------------------------
 *
 * A certificate authority of one's own for development, like mkcert. It
 * lives in one directory (mode 0700) holding ca.pem, its certificate
 * (ECDSA P-256, ten years, "CN=padlock development CA USER@HOST,
 * O=padlock local CA", CA:TRUE with pathLen 0), and ca-key.pem, its key
 * (PKCS#8, mode 0600). It issues leaf certificates for development
 * servers: ECDSA P-256, 397 days, serverAuth, the names given as
 * subjectAltNames. Files are written to a temporary name and renamed into
 * place, so they appear whole or not at all; keys are never readable by
 * others, not even while being written.
 * (src/x509/ca.c, ca_names.c, ca_issue.c)
 */

/* Writes into buf the directory of the local CA: $PADLOCK_CA_DIR when set,
 * else $XDG_DATA_HOME/padlock/ca, else ~/.local/share/padlock/ca.
 * PL_ERR_ARG with err set when there is no home directory or the path
 * does not fit cap. */
int pl_x509_ca_default_dir(char *buf, size_t cap, char *err, size_t err_len);

/* True when dir holds a local CA certificate (ca.pem). */
bool pl_x509_ca_exists(const char *dir);

typedef struct pl_x509_ca pl_x509_ca_t;

/* Loads the local CA in dir. When dir holds none and create is true, makes
 * one first (with its missing parent directories, mode 0700), valid from
 * an hour before now for ten years, and sets *created (created may be
 * NULL). Refuses, with a sentence in err, half a CA (a key without its
 * certificate or the reverse), a key that is not the certificate's, and a
 * certificate that is not a CA. On failure, nothing this call made is
 * left behind. The caller frees *out with pl_x509_ca_free. */
int pl_x509_ca_open(const char *dir, bool create, time_t now,
		    pl_x509_ca_t **out, bool *created, char *err,
		    size_t err_len);

/* The CA's directory, and the path of its certificate (DIR/ca.pem), which
 * is what trust stores are given. Valid while ca lives. */
const char *pl_x509_ca_dir(const pl_x509_ca_t *ca);
const char *pl_x509_ca_cert_path(const pl_x509_ca_t *ca);

/* The CA certificate as a one-certificate chain, for pl_x509_chain_info
 * and pl_x509_chain_der. Borrowed: valid while ca lives. */
const pl_x509_chain_t *pl_x509_ca_chain(const pl_x509_ca_t *ca);

/* The SHA-256 fingerprint of the CA certificate as 64 lower-case hex
 * digits and a NUL (cap at least 65). */
int pl_x509_ca_fingerprint(const pl_x509_ca_t *ca, char *hex, size_t cap);

void pl_x509_ca_free(pl_x509_ca_t *ca);

/* Frees ca and, when pl_x509_ca_open created it, deletes it again (its
 * files and the directories made for it): for a caller whose next step
 * failed, so that a failed command leaves nothing behind. A CA that
 * existed before is only freed. */
void pl_x509_ca_discard(pl_x509_ca_t *ca);

/* One name a certificate is issued for, checked and normalized. */
typedef struct {
	bool is_ip;
	char text[256]; /* a DNS name in lower case, without a trailing dot,
			   or an IP address as inet_ntop writes it */
} pl_x509_san_t;

/* The most names one certificate is issued for. */
#define PL_X509_SAN_MAX 100

/* Reads one name as a person types it: an IPv4 address, an IPv6 address
 * (brackets allowed: "[::1]"), or a DNS name (labels of 1 to 63 letters,
 * digits, '-' and '_', at most 253 characters, one trailing dot ignored,
 * a wildcard only as the whole left-most label and not directly over a
 * top-level domain). PL_ERR_ARG with one sentence in err that quotes the
 * name and says what is wrong with it. */
int pl_x509_san_parse(const char *name, pl_x509_san_t *san, char *err,
		      size_t err_len);

/* What pl_x509_ca_issue made. */
typedef struct {
	time_t not_before, not_after;
	char serial[48]; /* hex, as openssl x509 -serial prints it */
	bool replaced;   /* files of the same names were there and were
			    replaced */
} pl_x509_issued_t;

/* Issues a leaf certificate for sans (1 to PL_X509_SAN_MAX names from
 * pl_x509_san_parse; the first is also the subject CN when it fits),
 * valid from an hour before now for 397 days but never past the CA, and
 * writes cert_path (the leaf alone: the CA is the root, which clients
 * hold themselves, so the leaf is the whole chain a server sends; mode
 * 0644) and key_path (the leaf's key, PKCS#8 PEM, mode
 * 0600). Both files are written or neither is: on failure, files that
 * were at those paths are unchanged and nothing new is left. Refuses an
 * expired CA. PL_OK with *out filled in, or an error with err set. */
int pl_x509_ca_issue(const pl_x509_ca_t *ca, const pl_x509_san_t *sans,
		     size_t count, time_t now, const char *cert_path,
		     const char *key_path, pl_x509_issued_t *out, char *err,
		     size_t err_len);

/* ---- ACME (src/x509/acme.c) ---------------------------------------------- */

/* A PKCS#10 certificate signing request for sans (1 to PL_X509_SAN_MAX,
 * from pl_x509_san_parse), in subjectAltName, signed by key (RFC 8555
 * 7.4). *der is the caller's, freed with pl_x509_der_free. PL_ERR_ARG
 * without names, PL_ERR_CRYPTO when libcrypto fails. */
int pl_x509_csr_der(const pl_pkey_t *key, const pl_x509_san_t *sans,
		    size_t count, uint8_t **der, size_t *len);
void pl_x509_der_free(uint8_t *der);

/* The ACME renewal-information identifier of the chain's leaf (RFC 9773
 * 4.1): base64url of its Authority Key Identifier's keyIdentifier, ".",
 * base64url of its serial number's DER content octets, unpadded. Also the
 * "replaces" value of a renewal's order (RFC 9773 5). PL_ERR_ARG when the
 * leaf has no AKI keyIdentifier or out is too small. */
int pl_x509_acme_cert_id(const pl_x509_chain_t *c, char *out, size_t cap);

/* Writes key (PKCS#8 PEM, mode 0600) to key_path and, unless chain_path is
 * NULL, chain_pem (mode 0644) to chain_path: each through a temporary
 * file renamed into place, both or neither, so that a reader sees the old
 * pair or the new one. PL_ERR_IO with one sentence in err. */
int pl_x509_save_key_and_chain(const char *key_path, const pl_pkey_t *key,
			       const char *chain_path, const char *chain_pem,
			       size_t chain_len, char *err, size_t err_len);

/* The self-signed certificate that answers a TLS-ALPN-01 challenge for
 * name (RFC 8737 3): a new P-256 key, name as its only subjectAltName,
 * and the critical acmeIdentifier extension holding the SHA-256 of
 * key_authorization. *chain and *key are the caller's. */
int pl_x509_acme_challenge_cert(const char *name, const char *key_authorization,
				time_t now, pl_x509_chain_t **chain,
				pl_pkey_t **key);

/* ==== certificate diagnostics (issue 3: loading, chain diagnostics) =======
 *
 * Everything wrong with a certificate chain as a server would present it,
 * found before a visitor finds it: each finding has a severity, a stable
 * code (docs/certificate-diagnostics.md lists them all), one sentence a
 * site owner understands, and the fix. The server refuses to start on an
 * error-level finding; `padlock cert check` prints them.
 * (src/x509/diagnose.c, diag_*.c, findings.c; passphrases in key.c)
 */
#include <stdio.h>

/* Like pl_x509_key_load_pem, for a key that may be encrypted (PKCS#8
 * "ENCRYPTED PRIVATE KEY" or traditional "Proc-Type: 4,ENCRYPTED"): the
 * passphrase is the first line of the file at passphrase_path, without
 * its line end (LF or CR LF); the rest of that file is ignored. The
 * passphrase is wiped from memory before this returns. A wrong one fails
 * with "KEY: the passphrase in FILE does not decrypt the private key
 * (wrong passphrase?)"; an empty first line is refused. A key that is not
 * encrypted loads as it is. With passphrase_path NULL this is
 * pl_x509_key_load_pem. (--key-passphrase-file) */
pl_pkey_t *pl_x509_key_load_pem_with_passphrase(const char *path,
						const char *passphrase_path,
						char *err, size_t err_len);

typedef enum {
	PL_X509_SEVERITY_INFO = 0,    /* worth knowing; nothing is wrong */
	PL_X509_SEVERITY_WARNING = 1, /* works, but should be fixed */
	PL_X509_SEVERITY_ERROR = 2,   /* clients fail, or soon will */
} pl_x509_severity_t;

/* "error", "warning", "info". */
const char *pl_x509_severity_name(pl_x509_severity_t severity);

/* One finding. The strings belong to the list that holds it. */
typedef struct {
	pl_x509_severity_t severity;
	const char *code;    /* stable: "chain.missing-intermediate" */
	int cert;            /* the certificate concerned, by its position
				in the chain as given (0: the first one);
				-1 when it concerns none of them (a key
				file, an intermediate found elsewhere) */
	const char *message; /* one sentence, no final period: "the server
				certificate 'www.example.com' expired on
				2030-01-01 (151 days ago)" */
	const char *fix;     /* what to do, often a command: "chmod 600
				site.key"; "" when there is nothing to do */
} pl_x509_finding_t;

/* A list of findings, in the order they were found. */
typedef struct pl_x509_findings pl_x509_findings_t;

/* An empty list; NULL when out of memory. Freed with
 * pl_x509_findings_free. */
pl_x509_findings_t *pl_x509_findings_new(void);
void pl_x509_findings_free(pl_x509_findings_t *f);

size_t pl_x509_findings_count(const pl_x509_findings_t *f);

/* Finding i (0 <= i < count), borrowed from f; NULL when out of range. */
const pl_x509_finding_t *pl_x509_findings_get(const pl_x509_findings_t *f,
					      size_t i);

/* The first finding with code, or NULL. */
const pl_x509_finding_t *pl_x509_findings_find(const pl_x509_findings_t *f,
					       const char *code);

/* How many findings have severity. */
size_t pl_x509_findings_count_severity(const pl_x509_findings_t *f,
				       pl_x509_severity_t severity);

/* True when any finding is an error: a server must not start with this
 * chain. */
bool pl_x509_findings_has_errors(const pl_x509_findings_t *f);

/* Writes the findings as text, grouped by severity (errors, then
 * warnings, then info), each as "  CODE: MESSAGE" and "    fix: FIX".
 * colour adds ANSI colours (for a terminal). Prints nothing for an empty
 * list. */
void pl_x509_findings_print(FILE *out, const pl_x509_findings_t *f,
			    bool colour);

/* Appends key.permissions (a warning) to out when the file at path can be
 * read by its group or by others, naming the file and the fix
 * ("chmod 600 PATH"). PL_OK whether or not it found something; PL_ERR_IO
 * with err set when the file cannot be examined. */
int pl_x509_key_check_permissions(const char *path, pl_x509_findings_t *out,
				  char *err, size_t err_len);

/* What pl_x509_diagnose looks at besides the chain. Only store is
 * required; zero every field you do not set. */
typedef struct {
	const pl_x509_store_t *store; /* the trust store clients are assumed
					 to have (system, --ca-file,
					 --ca-path) */
	time_t now;                   /* the time to judge validity at;
					 0: the current time */
	const char *host;             /* a host name or IP address the leaf
					 must cover; NULL: no such check */
	const pl_pkey_t *key;         /* the private key served with the
					 chain; NULL: no key.mismatch check */
	const char *key_path;         /* its file; NULL: no key.permissions
					 check */
	const char *chain_path;       /* the chain's file, as fixes name it
					 (default "chain.pem") */
	const char *intermediates_dir; /* a directory of certificate files
					 where a missing intermediate may be
					 found; NULL: none */
} pl_x509_diagnose_opts_t;

/* Diagnoses chain c (leaf first, as a server presents it) and appends the
 * findings to out: dates (cert.expired, cert.not-yet-valid,
 * cert.expires-soon), names (name.list, name.none, name.mismatch), the
 * chain's shape (chain.order, chain.duplicate, chain.unrelated,
 * chain.missing-intermediate, chain.root-included, cert.self-signed,
 * chain.untrusted-root), strength (key.weak, sig.weak), purpose
 * (cert.no-server-auth, cert.ca-as-leaf), the key (key.mismatch,
 * key.permissions), the Web PKI warnings (name.cn-not-in-san,
 * name.underscore, cert.serial, cert.policy-constraints). The verdict is
 * pl_x509_verify's, run with the same store, host and time: when it
 * refuses the chain, an error names its reason by the verdict's code
 * (name.constraint, cert.rfc5280, ..., chain.invalid when it has none);
 * when it accepts, no finding about the chain is an error (those that
 * would be are warnings), only key.mismatch can be. A broken chain is not
 * a failure of this call: PL_OK means the diagnosis ran. PL_ERR_ARG (a
 * missing argument, a host that is no host name), PL_ERR_IO (the intermediates
 * directory or key file cannot be read) or PL_ERR_NOMEM, with err set;
 * out may then hold part of the findings. */
int pl_x509_diagnose(const pl_x509_chain_t *c,
		     const pl_x509_diagnose_opts_t *opts,
		     pl_x509_findings_t *out, char *err, size_t err_len);

/* ==== end of certificate diagnostics ====================================== */

#endif
