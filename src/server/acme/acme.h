/*
 * ACME (RFC 8555): certificates that get and renew themselves. Private to
 * the server layer.
 *
 *   client.c     the order as a state machine: directory, nonce, account,
 *                order, authorizations, challenges, finalize, download
 *   request.c    signed requests: JWS headers, nonces, badNonce retries
 *   problem.c    problem documents (RFC 7807) turned into one sentence
 *                with the fix
 *   names.c      which names a public CA can issue for
 *   http.c       the transport over padlock's own HTTPS client
 *   store.c      the state directory: account key, certificates
 *   board.c      the challenges being answered, shared with the workers
 *   manager.c    the master's side: obtain, check, renew, swap in
 *
 * The client only talks through a transport (pl_acme_transport_t), so the
 * unit tests drive every state with a fake CA, and only publishes
 * challenges through callbacks, so it never knows about workers.
 */
#ifndef PL_SRV_ACME_H
#define PL_SRV_ACME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "padlock/crypto.h"

#define PL_ACME_ERR_MAX 768
#define PL_ACME_URL_MAX 1024
#define PL_ACME_NONCE_MAX 256
#define PL_ACME_MAX_NAMES 32

/* ---- the transport ---------------------------------------------------------- */

/* One HTTP response, as the client needs it. body is the transport's
 * (malloc'd, NUL-terminated), freed by pl_acme_response_clear. */
typedef struct {
	int status;
	char *body;
	size_t body_len;
	char content_type[128];
	char location[PL_ACME_URL_MAX];
	char nonce[PL_ACME_NONCE_MAX];  /* Replay-Nonce, "" when none */
	char retry_after[64];           /* Retry-After as sent, "" when none */
} pl_acme_response_t;

void pl_acme_response_clear(pl_acme_response_t *r);

typedef struct {
	/* Sends one request (method "GET" or "POST"; body NULL for a GET,
	 * else with content_type) and fills resp. PL_OK when a response came
	 * (whatever its status); otherwise a negative code with one sentence
	 * in err (the CA cannot be reached). */
	int (*request)(void *arg, const char *method, const char *url,
		       const char *content_type, const char *body,
		       size_t body_len, pl_acme_response_t *resp, char *err,
		       size_t err_len);
	/* Waits ms milliseconds (polling, Retry-After). Returns false when the
	 * wait was cut short and the order must stop (the server stops). */
	bool (*sleep_ms)(void *arg, unsigned ms);
	/* Seconds since the epoch (Retry-After dates). */
	time_t (*now)(void *arg);
	void *arg;
} pl_acme_transport_t;

/* ---- challenges ------------------------------------------------------------- */

typedef enum {
	PL_ACME_HTTP01 = 0,   /* RFC 8555 8.3, port 80 */
	PL_ACME_TLSALPN01 = 1 /* RFC 8737, port 443 */
} pl_acme_challenge_t;

const char *pl_acme_challenge_name(pl_acme_challenge_t c);

/* Where the client puts the answers the CA will fetch. publish returns
 * PL_OK or a negative code with a sentence in err; withdraw cannot fail. */
typedef struct {
	int (*publish)(void *arg, pl_acme_challenge_t type, const char *name,
		       const char *token, const char *key_authorization,
		       char *err, size_t err_len);
	void (*withdraw)(void *arg, pl_acme_challenge_t type,
			 const char *name, const char *token);
	void *arg;
} pl_acme_responder_t;

/* ---- an order --------------------------------------------------------------- */

typedef struct {
	const char *directory;       /* the CA's directory URL */
	const char *email;           /* contact, or NULL */
	bool agree_tos;              /* --acme-agree-tos */
	const char *eab_kid;         /* external account binding, or NULL */
	const char *eab_hmac_key;    /* base64url, with eab_kid */
	const char *const *names;    /* DNS names or IP addresses */
	size_t n_names;
	pl_acme_challenge_t prefer[2]; /* in order of preference */
	size_t n_prefer;             /* 1 or 2: the second is the fallback */
	unsigned poll_max_ms;        /* the longest wait between polls */
	unsigned timeout_ms;         /* the whole order; 0: no bound */
} pl_acme_order_opts_t;

/* What an order gives: the chain as the CA sent it (PEM, leaf first) and
 * the new certificate key, both the caller's. */
typedef struct {
	char *chain_pem;
	size_t chain_len;
	pl_pkey_t *key;
	char account_url[PL_ACME_URL_MAX];
	unsigned orders;             /* new orders created (1, 2 on fallback) */
	unsigned bad_nonces;         /* badNonce answers retried */
	long retry_after;            /* on failure: seconds the CA asked to
					wait (Retry-After), 0 when none */
} pl_acme_result_t;

void pl_acme_result_free(pl_acme_result_t *r);

/* Obtains a certificate for opts->names with the account key account (a
 * P-256 private key): the whole of RFC 8555 7.1-7.4. Challenges are
 * published through resp and withdrawn before returning. Returns PL_OK
 * with out filled, or a negative code with one sentence in err that says
 * what failed and how to fix it: PL_ERR_IO when the CA cannot be reached,
 * PL_ERR_STATE when it refused (a problem document), PL_ERR_DECODE when
 * its answer makes no sense, PL_ERR_ARG for what the options lack (the
 * terms of service not agreed). out->retry_after is set on failure too;
 * pl_acme_result_free is called in every case. When the preferred
 * challenge failed and the fallback succeeded, PL_OK comes with the
 * first failure's sentence left in err (for a warning). */
int pl_acme_obtain(const pl_acme_transport_t *t, const pl_acme_responder_t *resp,
		   const pl_acme_order_opts_t *opts, pl_pkey_t *account,
		   pl_acme_result_t *out, char *err, size_t err_len);

/* ---- problem documents (problem.c) ------------------------------------------ */

/* What the failing request was about, for the sentence. */
typedef struct {
	const char *name;             /* the identifier, or NULL */
	const char *token;            /* the challenge token, or NULL */
	pl_acme_challenge_t challenge; /* with token */
	const char *retry_after;      /* the header, or NULL */
	const char *terms;            /* the directory's termsOfService */
	time_t now;
} pl_acme_problem_ctx_t;

/* One sentence with the fix for a problem document (the JSON of an
 * application/problem+json body or of a challenge's "error"). Unknown
 * types still give "the CA refused: TYPE: DETAIL". The detail is the
 * CA's text, quoted safely (no control characters). */
void pl_acme_problem_sentence(const char *json, const pl_acme_problem_ctx_t *ctx,
			      char *out, size_t cap);

/* The type's last part ("badNonce" for urn:ietf:params:acme:error:
 * badNonce) of a problem document, or "" when it is none. */
const char *pl_acme_problem_type(const char *json, char *out, size_t cap);

/* When a Retry-After value (delta-seconds or an HTTP-date) falls, as
 * seconds from now (0 when unparsable or past). */
long pl_acme_retry_after_seconds(const char *value, time_t now);

/* ---- names (names.c) --------------------------------------------------------- */

/* True when a public CA can issue for name: not localhost or below it,
 * not under .local, .internal, .test, .example, .invalid, .localhost, not
 * a single label, not a private, loopback or link-local address. */
bool pl_acme_publicly_issuable(const char *name);

#endif
