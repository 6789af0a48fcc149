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

#endif
