/*
 * The local development CA (padlock cert): what ca.c, ca_build.c,
 * ca_files.c, ca_names.c and ca_issue.c share. Private to src/x509.
 */
#ifndef PADLOCK_X509_CA_INTERNAL_H
#define PADLOCK_X509_CA_INTERNAL_H

#include <limits.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "x509/x509_internal.h"

#define PL_CA_CERT_FILE "ca.pem"
#define PL_CA_KEY_FILE "ca-key.pem"

/* Validity periods, in seconds. The CA lives ten years; a leaf 397 days,
 * under the 398 that browsers accept for server certificates (Apple and
 * the CA/Browser Forum's limit since 2020). Both start an hour early so
 * that a machine whose clock is a little behind (a VM, a container host)
 * accepts them at once. */
#define PL_CA_BACKDATE (60 * 60)
#define PL_CA_LIFETIME (3650L * 24 * 60 * 60)
#define PL_CA_LEAF_LIFETIME (397L * 24 * 60 * 60)


/* ---- ca_build.c: the parts of a certificate ------------------------------ */

/* A new ECDSA P-256 key pair; NULL when libcrypto fails. */
EVP_PKEY *pl_ca_new_key(void);

/* A new X.509 v3 certificate with a random 128-bit serial number, valid
 * from not_before to not_after, for key (the public half is used). NULL
 * when libcrypto fails. */
X509 *pl_ca_new_cert(EVP_PKEY *key, time_t not_before, time_t not_after);

/* Adds one RDN (a field such as "O" or "CN", UTF-8 value) to the subject. */
int pl_ca_add_subject(X509 *x, const char *field, const char *value);

/* Adds the extension nid from its text form ("critical,CA:TRUE"), with
 * issuer as the authority (for authorityKeyIdentifier). */
int pl_ca_add_ext(X509 *x, X509 *issuer, int nid, const char *value);

/* ---- ca_files.c: files that appear whole or not at all ------------------- */

/* Writes the content of a file into bio; PL_OK or an error code. */
typedef int (*pl_ca_write_fn)(BIO *bio, void *arg);

/* One file to put in place. */
typedef struct {
	const char *path;
	mode_t mode;          /* 0600 for keys, 0644 for certificates */
	pl_ca_write_fn write;
	void *arg;
	/* Filled in by pl_ca_files_commit: */
	bool replaced;        /* a file of that name was there before */
} pl_ca_file_t;

/* Writes every file to a temporary name beside it (created with mode
 * 0600, so a key is never readable by others, then set to f->mode),
 * flushes them to disk, then renames each into place. When any step
 * fails, every file is as it was before the call: temporary files are
 * removed, files renamed into place are removed again or, when one was
 * replaced, restored. err names the file and the cause. */
int pl_ca_files_commit(pl_ca_file_t *files, size_t count, char *err,
		       size_t err_len);

/* The directories pl_ca_mkdirs created: path and, from the first one it
 * had to create (path's first first_len bytes), every one below. */
typedef struct {
	char path[PATH_MAX];
	size_t first_len; /* 0: none was created */
} pl_ca_dirs_t;

struct pl_x509_ca {
	char dir[PATH_MAX];
	char cert_path[PATH_MAX];
	X509 *cert;
	EVP_PKEY *key;
	pl_x509_chain_t *chain; /* cert as a one-certificate chain */
	bool created;           /* made by this pl_x509_ca_open */
	pl_ca_dirs_t made;      /* the directories made for it */
};

/* Makes directory path and its missing parents, each with mode 0700, and
 * records in made which ones it created, so that pl_ca_dirs_undo can
 * remove them again. */
int pl_ca_mkdirs(const char *path, pl_ca_dirs_t *made, char *err,
		 size_t err_len);

/* Removes the directories pl_ca_mkdirs made, deepest first, as long as
 * they are empty. */
void pl_ca_dirs_undo(const pl_ca_dirs_t *made);

/* One subjectAltName entry: dNSName or iPAddress (RFC 5280 4.2.1.6), or
 * NULL. (ca_issue.c; the ACME CSR uses it too) */
GENERAL_NAME *pl_ca_general_name(const pl_x509_san_t *san);

#endif
