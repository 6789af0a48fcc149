/*
 * What the files of the chain diagnostics share (diagnose.c, findings.c,
 * diag_*.c): one run's context, the path from the leaf to a trust anchor
 * that diag_path.c builds, and the checks each file runs over it. Private
 * to src/x509.
 */
#ifndef PADLOCK_X509_DIAGNOSE_INTERNAL_H
#define PADLOCK_X509_DIAGNOSE_INTERNAL_H

#include <openssl/x509.h>

#include "x509/x509_internal.h"

/* Longest path the diagnostics follow; real ones have 2 to 4 certificates,
 * and a longer one is a loop or a mistake. */
#define PL_X509_DIAG_PATH_MAX 12

/* Room for one sentence or fix: names in them are cut at 160 bytes, but
 * the paths are the caller's own and may be as long as PATH_MAX. */
#define PL_X509_DIAG_TEXT_MAX 8192

/* A certificate found outside the chain: in the directory of extra
 * intermediates, or in the trust store. */
typedef struct {
	X509 *x509;      /* owned */
	char *where;     /* the file it is in; NULL when not known */
	bool in_bundle;  /* that file holds other certificates too */
	bool from_store; /* found in the trust store, not the directory */
} pl_x509_extra_t;

/* One step of the path from the leaf towards a root. */
typedef struct {
	X509 *x509;           /* borrowed: from the chain or from an extra */
	int index;            /* position in the chain as given; -1: not
				 in it */
	const char *where;    /* for certificates not in the chain: the file
				 to append, NULL when not known */
	bool in_bundle;       /* where holds other certificates too */
	bool from_store;      /* found in the trust store (not the directory) */
	bool self_signed;     /* a root: issuer and signer of itself */
} pl_x509_diag_node_t;

/* How the path ends. */
typedef enum {
	PL_X509_END_TRUSTED,        /* at a CA the trust store has */
	PL_X509_END_UNTRUSTED_ROOT, /* at a self-signed certificate the store
				       does not have */
	PL_X509_END_NO_ISSUER,      /* at a certificate whose issuer is found
				       nowhere */
	PL_X509_END_TOO_LONG,       /* PL_X509_DIAG_PATH_MAX steps, no end */
} pl_x509_path_end_t;

/* One run of pl_x509_diagnose. */
typedef struct {
	const pl_x509_chain_t *chain;
	const pl_x509_diagnose_opts_t *opts;
	pl_x509_findings_t *out;
	X509_STORE_CTX *store_ctx;  /* for looking up the trust store */

	size_t leaf;                /* the server's own certificate: 0 unless
				       the chain starts with a CA */
	bool *duplicate;            /* per chain entry: a copy of an earlier
				       one */
	bool *on_path;              /* per chain entry: on the path */

	pl_x509_diag_node_t path[PL_X509_DIAG_PATH_MAX];
	size_t path_len;
	pl_x509_path_end_t end;
	X509 *anchor;               /* owned: the store's CA the path ends at,
				       when it is not itself on the path */

	/* The verdict of pl_x509_verify for this chain, store, host and
	 * time: the diagnosis explains it and never contradicts it. */
	pl_x509_verdict_t verdict;
	bool verified;              /* the chain verifies */
	pl_x509_path_t accepted;    /* the path it verifies by */

	pl_x509_extra_t *extras;    /* certificates of the intermediates
				       directory, then those taken from the
				       store */
	size_t extra_count, extra_cap;
	bool out_of_memory;
} pl_x509_diag_t;

/* ---- findings.c ----------------------------------------------------------- */

/* Appends a finding (copies message and fix; code must be a static
 * string). An allocation failure is remembered by the list, not returned:
 * checks add findings without testing each call, and pl_x509_diagnose
 * reports the failure once (pl_x509_findings_out_of_memory). */
void pl_x509_findings_add(pl_x509_findings_t *f, pl_x509_severity_t severity,
			  const char *code, int cert, const char *message,
			  const char *fix);

bool pl_x509_findings_out_of_memory(const pl_x509_findings_t *f);

/* Empties f (used when a run fails half-way). */
void pl_x509_findings_clear(pl_x509_findings_t *f);

/* ---- diagnose.c ------------------------------------------------------------ */

/* Adds a finding whose message is made by the printf format. When the
 * chain verifies, an error about it is added as a warning: it is worth
 * fixing, but it does not decide (the key's own findings still do). */
void pl_x509_diag_add(pl_x509_diag_t *d, pl_x509_severity_t severity,
		      const char *code, int cert, const char *fix,
		      const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* How a sentence names x: "the server certificate 'www.example.test'",
 * "intermediate 'CN=Foo CA, O=Foo'", "root 'CN=Foo Root'". index is its
 * position in the chain (-1: not in it). */
void pl_x509_diag_label(const pl_x509_diag_t *d, X509 *x, int index,
			char *buf, size_t cap);

/* The chain file as fixes name it: the caller's path, else "chain.pem". */
const char *pl_x509_diag_chain_file(const pl_x509_diag_t *d);

/* s as one word of a shell command: as it is when it has only characters
 * no shell treats specially, else in single quotes. Cut to fit cap. */
void pl_x509_diag_shell_word(const char *s, char *buf, size_t cap);

/* A sentence or fix built in pieces in a fixed buffer (whose first byte
 * must be NUL); what does not fit is cut. */
typedef struct {
	char *buf;
	size_t cap, len;
} pl_x509_diag_text_t;

void pl_x509_diag_text_add(pl_x509_diag_text_t *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends s as one shell word (pl_x509_diag_shell_word). */
void pl_x509_diag_text_word(pl_x509_diag_text_t *t, const char *s);

/* ---- diag_path.c ------------------------------------------------------------ */

/* Finds the server's certificate, the duplicates, and the path from the
 * leaf towards a trust anchor: issuers from the chain first, then from the
 * trust store, then from the intermediates directory. PL_OK, or
 * PL_ERR_NOMEM / PL_ERR_IO (err set; a directory that cannot be read). */
int pl_x509_diag_build_path(pl_x509_diag_t *d, char *err, size_t err_len);

/* True when the trust store holds x itself: its subject with its key. */
bool pl_x509_diag_store_has(pl_x509_diag_t *d, X509 *x);

/* Frees what pl_x509_diag_build_path allocated. */
void pl_x509_diag_path_free(pl_x509_diag_t *d);

/* ---- the checks: each adds its findings to d->out -------------------------- */

/* diag_chain.c: chain.order, chain.duplicate, chain.unrelated,
 * chain.missing-intermediate, chain.root-included, cert.self-signed,
 * chain.untrusted-root. */
void pl_x509_diag_check_chain(pl_x509_diag_t *d);

/* diag_dates.c: cert.expired, cert.not-yet-valid, cert.expires-soon. */
void pl_x509_diag_check_dates(pl_x509_diag_t *d);

/* diag_names.c: name.list, name.none, name.mismatch. */
void pl_x509_diag_check_names(pl_x509_diag_t *d);

/* diag_strength.c: key.weak, sig.weak, cert.no-server-auth,
 * cert.ca-as-leaf. */
void pl_x509_diag_check_strength(pl_x509_diag_t *d);

/* diag_webpki.c: what browsers tolerate and the CA/Browser Forum's rules
 * forbid: name.cn-not-in-san, name.underscore, cert.serial,
 * cert.policy-constraints (warnings). */
void pl_x509_diag_check_webpki(pl_x509_diag_t *d);

/* diag_key.c: key.mismatch. (key.permissions is
 * pl_x509_key_check_permissions.) */
void pl_x509_diag_check_key(pl_x509_diag_t *d);

#endif
