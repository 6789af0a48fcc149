/*
 * What the files of src/x509 share: the chain and store objects and the
 * helpers that turn certificates and failures into text for people.
 * Private to src/x509.
 */
#ifndef PADLOCK_X509_INTERNAL_H
#define PADLOCK_X509_INTERNAL_H

#include <openssl/x509.h>

#include "padlock/x509.h"

/* Files padlock reads (chains, keys, CA bundles) are small; the cap keeps
 * a wrong path (a disk image, /dev/zero) from eating memory. */
#define PL_X509_FILE_MAX (8u << 20)

/* One certificate and its DER, exactly as received or loaded. */
typedef struct {
	X509 *x509;
	uint8_t *der;
	size_t der_len;
} pl_x509_entry_t;

/* The "CA Issuers" address of x (RFC 5280 4.2.2.1), where its issuer's
 * certificate can be downloaded, escaped for a terminal; "" when it has
 * none. (chain.c) */
void pl_x509_ca_issuers_url(X509 *x, char *buf, size_t cap);

struct pl_x509_chain {
	pl_x509_entry_t *entries; /* leaf first */
	size_t count;
	pl_pkey_t *leaf_key;      /* made once, when the chain is built */
};

struct pl_x509_store {
	X509_STORE *store;
	/* Where the CAs came from, so that diagnostics can name the file a
	 * certificate of the store is in. */
	char *ca_file;   /* NULL when none was given */
	char *ca_path;   /* NULL when none was given */
	bool system;     /* the system's store (neither was given) */
	unsigned max_depth;      /* most certificates on a path, leaf and
				    anchor included */
	STACK_OF(X509_CRL) *crls; /* from --crl files; NULL: none */
};

/* ---- chain.c ------------------------------------------------------------ */

/* Takes ownership of certs (each X509 and the stack) and builds a chain:
 * DER copies and the leaf key. On failure everything is freed and err says
 * why. */
int pl_x509_chain_from_stack(STACK_OF(X509) *certs, pl_x509_chain_t **out,
			     char *err, size_t err_len);

/* ---- file.c ------------------------------------------------------------- */

/* Reads the whole file at path into a new buffer (at most PL_X509_FILE_MAX
 * bytes). PL_ERR_IO with "PATH: <errno text>" in err when it cannot. The
 * caller frees *data with OPENSSL_clear_free(*data, *len) when it may hold
 * a secret, OPENSSL_free(*data) otherwise. */
int pl_x509_read_file(const char *path, uint8_t **data, size_t *len,
		      char *err, size_t err_len);

/* snprintf into err, tolerating err == NULL or err_len == 0. */
void pl_x509_set_err(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The reason of libcrypto's most recent error ("bad base64 decode"),
 * for sentences; never NULL. Clears libcrypto's error queue. */
const char *pl_x509_crypto_reason(void);

/* A password callback that never prompts: it records that a passphrase
 * was asked for (in the int that userdata points at) and refuses. */
int pl_x509_no_password(char *buf, int size, int rwflag, void *userdata);

/* ---- text.c ------------------------------------------------------------- */

/* s with every byte that is not printable ASCII written as \xNN, for text
 * that may come from anywhere. Truncated with "..." to fit. */
void pl_x509_escape(const char *s, char *buf, size_t cap);

/* name on one line, most specific part first: "CN=example.com, O=Example".
 * Control and non-ASCII bytes are escaped, so the text is safe to print
 * on a terminal. Truncated with "..." to fit. */
void pl_x509_name_text(const X509_NAME *name, char *buf, size_t cap);

/* The subjectAltName DNS names and IP addresses of x, comma separated
 * ("localhost, 127.0.0.1, ::1"); "" when there is none. Bytes that are not
 * printable ASCII are escaped as \xNN. */
void pl_x509_san_text(X509 *x, char *buf, size_t cap);

/* The name a person knows x by: its first DNS or IP SAN, else its subject
 * CN, else its whole subject. */
void pl_x509_short_name(X509 *x, char *buf, size_t cap);

/* t as "YYYY-MM-DD" (UTC); "an unreadable date" when t does not parse. */
void pl_x509_date_text(const ASN1_TIME *t, char *buf, size_t cap);

/* t as seconds since the epoch. PL_ERR_DECODE when t does not parse. */
int pl_x509_time_to_epoch(const ASN1_TIME *t, time_t *out);

/* A key in words ("ECDSA P-256", "RSA 2048", "Ed25519"); pk may be NULL
 * ("unreadable key"). */
void pl_x509_pkey_text(const EVP_PKEY *pk, char *buf, size_t cap);

/* The public key of x in words. */
void pl_x509_key_text(X509 *x, char *buf, size_t cap);

/* ---- hostname.c --------------------------------------------------------- */

/* Prepares a host as a caller gives it for matching: removes the brackets
 * of "[::1]" and one trailing dot of a DNS name, and says whether it is an
 * IP literal. Refuses (returns false) an empty host, one that starts with
 * a dot (libcrypto would read it as "any subdomain of") and one with a
 * wildcard, space or control character. */
bool pl_x509_host_prepare(const char *host, char *buf, size_t cap,
			  bool *is_ip);

/* The X509_CHECK_FLAG_ flags of padlock's host name rule (RFC 6125 6.4):
 * SANs only, a wildcard only as the whole left-most label. */
#define PL_X509_HOST_FLAGS \
	(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT)

/* ---- verify*.c: the verification that pl_x509_verify runs ----------------- */

/* A path as the verification found it: the leaf first, the trust anchor
 * (a certificate of the store) last. Each entry holds a reference. */
typedef struct {
	X509 *cert[PL_X509_MAX_DEPTH_LIMIT];
	size_t len;
} pl_x509_path_t;

/* Drops the references of p and empties it. */
void pl_x509_path_clear(pl_x509_path_t *p);

/* pl_x509_verify, which also gives the accepted path (when accepted is not
 * NULL and the chain verifies; the caller clears it). */
int pl_x509_verify_path(const pl_x509_store_t *s, const pl_x509_chain_t *c,
			const char *host, time_t now, pl_x509_verdict_t *v,
			pl_x509_path_t *accepted);

/* Sets a failure: the alert, the finding code and the sentence. */
void pl_x509_verdict_fail(pl_x509_verdict_t *v, int alert, const char *code,
			  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Called by pl_x509_build_paths for each complete path (leaf first,
 * anchor last, borrowed): returns true to stop the search. */
typedef bool (*pl_x509_path_try_fn)(void *arg, X509 *const *path,
				    size_t len);

/* What a search did. */
typedef struct {
	size_t tried;    /* complete paths handed to the try function */
	bool depth_cut;  /* a path was left because it grew past max_depth */
	bool bounded;    /* the search stopped at its bound */
} pl_x509_search_t;

/* Path building (RFC 4158, as browsers do it): depth first from the leaf,
 * issuers from the store (trust anchors, tried first) and from the chain,
 * best candidates first (key identifiers that agree, valid at now, newest);
 * a certificate (subject and key) at most once per path, so cross-signing
 * cycles end; at most s->max_depth certificates per path and a bounded
 * number of steps and paths. PL_OK, or PL_ERR_NOMEM. */
int pl_x509_build_paths(const pl_x509_store_t *s, const pl_x509_chain_t *c,
			time_t now, pl_x509_path_try_fn try_path, void *arg,
			pl_x509_search_t *search);

/* padlock's rules beyond libcrypto's for one path (leaf first, anchor
 * last): RFC 5280 rules strict mode lacks, the browsers' key, EKU and
 * extension rules (verify_rules.c). true when the path passes; false
 * with v set. */
bool pl_x509_path_rules(X509 *const *path, size_t len,
			pl_x509_verdict_t *v);

/* Name constraints (RFC 5280 4.2.1.10, 6.1.3 b/c; RFC 9525 6.2) of every
 * CA of the path, checked by padlock against every DNS and IP SAN below
 * it and against host (prepared; NULL: none); and host not matched only
 * through a wildcard over a public suffix (verify_names.c). true when the
 * path passes; false with v set. */
bool pl_x509_path_names(X509 *const *path, size_t len, const char *host,
			bool is_ip, pl_x509_verdict_t *v);

/* True when name[0..len) is a DNS name in preferred syntax (RFC 1034
 * 3.5, RFC 5280 4.2.1.6): labels of letters, digits, '-' (not first or
 * last) and '_', 1 to 63 bytes, at most 253 in all, no trailing dot; with
 * wildcard_ok, "*." may start it. */
bool pl_x509_dns_syntax_ok(const char *name, size_t len, bool wildcard_ok);

/* True when domain (lower case) is a public suffix ("com", "co.uk") by
 * the Public Suffix List of the system, or a single label when that list
 * cannot be read. */
bool pl_x509_is_public_suffix(const char *domain);

#endif
