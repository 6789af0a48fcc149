/*
 * One conversation with a CA, shared by client.c (what to ask) and
 * request.c (how to ask: signed, with a fresh nonce). Private to
 * src/server/acme.
 */
#ifndef PL_SRV_ACME_SESSION_H
#define PL_SRV_ACME_SESSION_H

#include <jansson.h>

#include "server/acme/acme.h"

/* RFC 8555 6.5: a badNonce answer is retried with the nonce it carries;
 * pebble rejects 5% of good nonces on purpose, so a few in a row happen. */
#define PL_ACME_BAD_NONCE_RETRIES 10

typedef struct {
	const pl_acme_transport_t *t;
	pl_pkey_t *account;
	char kid[PL_ACME_URL_MAX];        /* the account URL, once known */
	char nonce[PL_ACME_NONCE_MAX];    /* the next nonce, "" when none */
	char new_nonce[PL_ACME_URL_MAX];  /* directory URLs */
	char new_account[PL_ACME_URL_MAX];
	char new_order[PL_ACME_URL_MAX];
	char terms[PL_ACME_URL_MAX];      /* meta.termsOfService, or "" */
	bool eab_required;                /* meta.externalAccountRequired */
	bool renewal_info;                /* the directory has renewalInfo */
	bool lost;                        /* the last failure: the CA was
					     unreachable or no longer knows
					     the account or the resource */
	unsigned bad_nonces;
	long retry_after;                 /* of the last failure */
	pl_acme_problem_ctx_t problem;    /* what the sentence names */
	uint64_t deadline_ms;             /* on t->monotonic_ms: the order
					     gives up then; 0: no bound */
	unsigned timeout_ms;              /* what the deadline came from */
	const char *waiting;              /* what the CA is being asked
					     for ("to place the order") */
	char *err;
	size_t err_len;
} pl_acme_session_t;

/* Sets s->err to one sentence (printf format) and returns code. */
int pl_acme_fail(pl_acme_session_t *s, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* PL_OK while the order's deadline has not passed (nor would after ms
 * more milliseconds); else the --acme-timeout sentence naming what it was
 * waiting for, PL_ERR_IO. */
int pl_acme_in_time(pl_acme_session_t *s, unsigned ms, const char *what);

/* GET url (the directory). The body must be JSON: *doc gets it (the
 * caller decrefs). */
int pl_acme_get_json(pl_acme_session_t *s, const char *url, json_t **doc);

/* POST url signed by the account key: payload is JSON text, or NULL for
 * POST-as-GET (RFC 8555 6.3). With jwk, the header carries the public
 * key (newAccount) instead of the account URL. Gets a nonce first when
 * none is left, retries badNonce, and turns an error status into the
 * problem's sentence (PL_ERR_STATE). On PL_OK resp holds a 2xx answer;
 * the caller clears it in every case. */
int pl_acme_post(pl_acme_session_t *s, const char *url, const char *payload,
		 bool jwk, pl_acme_response_t *resp);

/* pl_acme_post and the answer's body as a JSON object in *doc. */
int pl_acme_post_json(pl_acme_session_t *s, const char *url,
		      const char *payload, bool jwk, pl_acme_response_t *resp,
		      json_t **doc);

#endif
