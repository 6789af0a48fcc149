/*
 * An ACME order as a state machine (RFC 8555 7.1): each state is one step
 * of the protocol, its handler asks the CA what it must and names the
 * next state. The states:
 *
 *   DIRECTORY  GET the directory: the URLs, the terms, whether EAB is needed
 *   ACCOUNT    newAccount (7.3): terms agreed, EAB (7.3.4); gives the kid
 *   ORDER      newOrder (7.4) for the names
 *   AUTHORIZE  each authorization (7.5): pick a challenge, publish its
 *              answer, tell the CA, poll until valid or invalid (7.5.1)
 *   FINALIZE   poll the order until ready, send a CSR for a fresh key
 *   ISSUE      poll the order until valid: the certificate URL
 *   DOWNLOAD   fetch the chain (7.4.2)
 *
 * A challenge that fails makes its authorization invalid for good, so
 * falling back to the other challenge type means a new order. So does an
 * order the CA lost (it restarted without its database, or could not be
 * reached for a while): the machine starts again from DIRECTORY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "padlock/x509.h"
#include "server/acme/session.h"

#define POLL_FIRST_MS 250
#define POLL_MAX_MS 8000
/* an order the CA lost is placed again at most this often, waiting
 * 1, 2, 4, 8, 8 seconds for the CA to come back */
#define RESTARTS_MAX 5
#define RESTART_FIRST_MS 1000

typedef enum {
	ST_DIRECTORY,
	ST_ACCOUNT,
	ST_ORDER,
	ST_AUTHORIZE,
	ST_FINALIZE,
	ST_ISSUE,
	ST_DOWNLOAD,
	ST_DONE,
} state_t;

typedef struct {
	pl_acme_challenge_t type;
	char name[256];
	char token[256];
} published_t;

typedef struct {
	pl_acme_session_t s;
	const pl_acme_order_opts_t *o;
	const pl_acme_responder_t *r;
	pl_acme_result_t *out;
	size_t prefer_at;                  /* the challenge type in use */
	char order[PL_ACME_URL_MAX];
	char finalize[PL_ACME_URL_MAX];
	char certificate[PL_ACME_URL_MAX];
	json_t *authzs;                    /* the order's authorization URLs */
	size_t next_authz;
	char authz_name[256];              /* the identifier being validated */
	published_t published[PL_ACME_MAX_NAMES];
	size_t n_published;
	unsigned waited_ms;                /* slept so far, against timeout_ms
					      (a transport without a
					      monotonic clock) */
	unsigned restart_delay;            /* the next wait before a restart */
} order_t;

typedef int (*handler_t)(order_t *o, state_t *next);

const char *pl_acme_challenge_name(pl_acme_challenge_t c)
{
	return c == PL_ACME_TLSALPN01 ? "tls-alpn-01" : "http-01";
}

void pl_acme_result_free(pl_acme_result_t *r)
{
	free(r->chain_pem);
	pl_pkey_free(r->key);
	memset(r, 0, sizeof *r);
}

static pl_acme_challenge_t challenge_type(const order_t *o)
{
	return o->o->prefer[o->prefer_at];
}

/* ---- waiting ------------------------------------------------------------------ */

/* Sleeps as the CA asked (Retry-After) or by the backoff, within the
 * order's time bound. *delay doubles up to the poll maximum. */
static int wait_turn(order_t *o, const pl_acme_response_t *resp,
		     unsigned *delay, const char *what)
{
	const pl_acme_transport_t *t = o->s.t;
	long after = pl_acme_retry_after_seconds(resp->retry_after, t->now(t->arg));
	unsigned max = o->o->poll_max_ms ? o->o->poll_max_ms : POLL_MAX_MS;
	unsigned ms = after > 0 ? (unsigned)(after > 3600 ? 3600000 : after * 1000)
				: *delay;

	if (o->s.deadline_ms != 0) {
		if (pl_acme_in_time(&o->s, ms, what) != PL_OK)
			return PL_ERR_IO;
	} else if (o->o->timeout_ms && o->waited_ms + ms > o->o->timeout_ms)
		return pl_acme_fail(&o->s, PL_ERR_IO,
				    "gave up after %u seconds waiting for the "
				    "ACME CA %s (--acme-timeout)",
				    o->o->timeout_ms / 1000, what);
	if (!t->sleep_ms(t->arg, ms))
		return pl_acme_fail(&o->s, PL_ERR_IO,
				    "stopped while waiting for the ACME CA %s",
				    what);
	o->waited_ms += ms;
	*delay = *delay * 2 > max ? max : *delay * 2;
	return PL_OK;
}

static int copy_url(order_t *o, char *dst, json_t *doc, const char *key,
		    const char *where)
{
	const char *v = json_string_value(json_object_get(doc, key));

	if (v == NULL || strlen(v) >= PL_ACME_URL_MAX)
		return pl_acme_fail(&o->s, PL_ERR_DECODE,
				    "the ACME CA's %s has no usable \"%s\"",
				    where, key);
	strcpy(dst, v);
	return PL_OK;
}

static const char *status_of(json_t *doc)
{
	const char *v = json_string_value(json_object_get(doc, "status"));

	return v != NULL ? v : "";
}

/* ---- DIRECTORY ------------------------------------------------------------------ */

static int st_directory(order_t *o, state_t *next)
{
	json_t *dir = NULL, *meta;
	const char *terms;
	int rc = pl_acme_get_json(&o->s, o->o->directory, &dir);

	if (rc == PL_OK)
		rc = copy_url(o, o->s.new_nonce, dir, "newNonce", "directory");
	if (rc == PL_OK)
		rc = copy_url(o, o->s.new_account, dir, "newAccount", "directory");
	if (rc == PL_OK)
		rc = copy_url(o, o->s.new_order, dir, "newOrder", "directory");
	meta = json_object_get(dir, "meta");
	terms = json_string_value(json_object_get(meta, "termsOfService"));
	snprintf(o->s.terms, sizeof o->s.terms, "%s", terms ? terms : "");
	o->s.eab_required =
		json_is_true(json_object_get(meta, "externalAccountRequired"));
	o->s.renewal_info = json_is_string(json_object_get(dir, "renewalInfo"));
	json_decref(dir);
	*next = ST_ACCOUNT;
	return rc;
}

/* ---- ACCOUNT ---------------------------------------------------------------------- */

/* RFC 8555 7.3.4: the account key, signed with the CA's MAC key. */
static json_t *eab(order_t *o)
{
	uint8_t key[256];
	size_t key_len = 0;
	char jwk[512], *header, *jws = NULL;
	json_t *h, *out = NULL;
	const char *k = o->o->eab_hmac_key;

	if (pl_base64url_decode(k, strlen(k), key, sizeof key, &key_len) != PL_OK ||
	    pl_jwk_public(o->s.account, jwk, sizeof jwk) != PL_OK)
		return NULL;
	h = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", o->o->eab_kid,
		      "url", o->s.new_account);
	header = h != NULL ? json_dumps(h, JSON_COMPACT) : NULL;
	if (header != NULL)
		jws = pl_jws_flattened_hs256(key, key_len, header,
					     (const uint8_t *)jwk, strlen(jwk));
	if (jws != NULL)
		out = json_loads(jws, 0, NULL);
	pl_cleanse(key, sizeof key);
	free(header);
	free(jws);
	json_decref(h);
	return out;
}

static int account_checks(order_t *o)
{
	const pl_acme_order_opts_t *p = o->o;

	if (o->s.terms[0] && !p->agree_tos)
		return pl_acme_fail(&o->s, PL_ERR_ARG,
				    "the ACME CA's terms of service are at %s: "
				    "read them, then pass --acme-agree-tos to "
				    "agree", o->s.terms);
	if (o->s.eab_required && (p->eab_kid == NULL || p->eab_hmac_key == NULL))
		return pl_acme_fail(&o->s, PL_ERR_ARG,
				    "the ACME CA %s requires external account "
				    "binding: give --acme-eab-kid and "
				    "--acme-eab-hmac-key from your account at "
				    "the CA", p->directory);
	if ((p->eab_kid == NULL) != (p->eab_hmac_key == NULL))
		return pl_acme_fail(&o->s, PL_ERR_ARG,
				    "--acme-eab-kid and --acme-eab-hmac-key go "
				    "together: give both or neither");
	return PL_OK;
}

static json_t *account_payload(order_t *o)
{
	const pl_acme_order_opts_t *p = o->o;
	json_t *pay = json_pack("{s:b}", "termsOfServiceAgreed", p->agree_tos);
	char mail[320];

	if (pay != NULL && p->email != NULL) {
		snprintf(mail, sizeof mail, "mailto:%s", p->email);
		json_object_set_new(pay, "contact", json_pack("[s]", mail));
	}
	if (pay != NULL && p->eab_kid != NULL) {
		json_t *binding = eab(o);

		if (binding == NULL) {
			json_decref(pay);
			return NULL;
		}
		json_object_set_new(pay, "externalAccountBinding", binding);
	}
	return pay;
}

static int st_account(order_t *o, state_t *next)
{
	pl_acme_response_t resp = {0};
	json_t *pay, *acct = NULL;
	char *text = NULL;
	int rc = account_checks(o);

	if (rc != PL_OK)
		return rc;
	pay = account_payload(o);
	text = pay != NULL ? json_dumps(pay, JSON_COMPACT) : NULL;
	json_decref(pay);
	if (text == NULL)
		return pl_acme_fail(&o->s, PL_ERR_ARG,
				    "--acme-eab-hmac-key is not base64url "
				    "(the CA shows it that way)");
	rc = pl_acme_post_json(&o->s, o->s.new_account, text, true, &resp, &acct);
	free(text);
	if (rc == PL_OK && resp.location[0] == '\0')
		rc = pl_acme_fail(&o->s, PL_ERR_DECODE,
				  "the ACME CA gave no account URL (Location)");
	if (rc == PL_OK && strcmp(status_of(acct), "valid") != 0)
		rc = pl_acme_fail(&o->s, PL_ERR_STATE,
				  "the ACME account is %s, not valid: move the "
				  "account key out of the state directory to "
				  "make a new one", status_of(acct));
	if (rc == PL_OK && o->s.terms[0] && o->o->info != NULL) {
		char line[PL_ACME_URL_MAX + 64];

		snprintf(line, sizeof line, "agreed to the terms of service at "
			 "%s (--acme-agree-tos)", o->s.terms);
		o->o->info(o->o->note_arg, line);
	}
	if (rc == PL_OK) {
		memcpy(o->s.kid, resp.location, sizeof o->s.kid);
		memcpy(o->out->account_url, resp.location,
		       sizeof o->out->account_url);
	}
	json_decref(acct);
	pl_acme_response_clear(&resp);
	*next = ST_ORDER;
	return rc;
}

/* ---- ORDER -------------------------------------------------------------------------- */

static bool is_ip(const char *name)
{
	uint8_t a[16];

	return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

static char *order_payload(const order_t *o, bool replaces)
{
	json_t *ids = json_array(), *pay;
	char *text;

	for (size_t i = 0; ids != NULL && i < o->o->n_names; i++) {
		const char *n = o->o->names[i];

		/* RFC 8738 3: an IP address is its own identifier type */
		json_array_append_new(ids, json_pack("{s:s, s:s}", "type",
						     is_ip(n) ? "ip" : "dns",
						     "value", n));
	}
	pay = json_pack("{s:o}", "identifiers", ids);
	/* RFC 9773 5: only to a CA that offers renewal information */
	if (pay != NULL && replaces)
		json_object_set_new(pay, "replaces", json_string(o->o->replaces));
	text = pay != NULL ? json_dumps(pay, JSON_COMPACT) : NULL;
	json_decref(pay);
	return text;
}

/* Where an order in status goes next. */
static int order_next(order_t *o, json_t *doc, state_t *next)
{
	const char *st = status_of(doc);

	if (strcmp(st, "pending") == 0)
		*next = ST_AUTHORIZE;
	else if (strcmp(st, "ready") == 0 || strcmp(st, "processing") == 0)
		*next = ST_FINALIZE;
	else if (strcmp(st, "valid") == 0)
		*next = ST_ISSUE;
	else
		return pl_acme_fail(&o->s, PL_ERR_STATE,
				    "the ACME order %s is %s", o->order,
				    st[0] ? st : "without a status");
	return PL_OK;
}

/* RFC 9773 5: 409 alreadyReplaced says another order already renews the
 * certificate (an earlier try of ours that the CA kept): ordering without
 * "replaces" is still a renewal. */
static bool already_replaced(const pl_acme_response_t *resp)
{
	char type[64];

	return resp->status == 409 &&
	       strcmp(pl_acme_problem_type(resp->body, type, sizeof type),
		      "alreadyReplaced") == 0;
}

static int post_order(order_t *o, pl_acme_response_t *resp, json_t **doc)
{
	bool replaces = o->o->replaces != NULL && o->o->replaces[0] &&
			o->s.renewal_info;
	char *pay = order_payload(o, replaces);
	int rc;

	if (pay == NULL)
		return PL_ERR_NOMEM;
	rc = pl_acme_post_json(&o->s, o->s.new_order, pay, false, resp, doc);
	free(pay);
	if (rc != PL_OK && replaces && already_replaced(resp)) {
		pay = order_payload(o, false);
		if (pay == NULL)
			return PL_ERR_NOMEM;
		rc = pl_acme_post_json(&o->s, o->s.new_order, pay, false, resp,
				       doc);
		free(pay);
	}
	return rc;
}

static int st_order(order_t *o, state_t *next)
{
	pl_acme_response_t resp = {0};
	json_t *doc = NULL;
	int rc;

	o->s.problem.name = o->o->n_names ? o->o->names[0] : NULL;
	o->s.problem.token = NULL;
	rc = post_order(o, &resp, &doc);
	if (rc == PL_OK) {
		o->out->orders++;
		snprintf(o->order, sizeof o->order, "%s", resp.location);
		rc = copy_url(o, o->finalize, doc, "finalize", "order");
	}
	if (rc == PL_OK && (o->order[0] == '\0' ||
			    !json_is_array(json_object_get(doc, "authorizations"))))
		rc = pl_acme_fail(&o->s, PL_ERR_DECODE,
				  "the ACME CA's new order has no URL or no "
				  "authorizations");
	if (rc == PL_OK) {
		json_decref(o->authzs);
		o->authzs = json_incref(json_object_get(doc, "authorizations"));
		o->next_authz = 0;
		rc = order_next(o, doc, next);
	}
	json_decref(doc);
	pl_acme_response_clear(&resp);
	return rc;
}

/* ---- AUTHORIZE ------------------------------------------------------------------------ */

static int publish(order_t *o, const char *name, const char *token)
{
	char keyauth[600], why[256];
	published_t *p;
	int rc;

	if (o->n_published == PL_ACME_MAX_NAMES)
		return pl_acme_fail(&o->s, PL_ERR_ARG, "too many challenges");
	if (strlen(name) >= sizeof p->name || strlen(token) >= sizeof p->token ||
	    pl_jws_key_authorization(o->s.account, token, keyauth,
				     sizeof keyauth) != PL_OK)
		return pl_acme_fail(&o->s, PL_ERR_DECODE,
				    "the ACME CA's challenge for %s is unusable",
				    name);
	rc = o->r->publish(o->r->arg, challenge_type(o), name, token, keyauth,
			   why, sizeof why);
	if (rc != PL_OK)
		return pl_acme_fail(&o->s, rc, "cannot answer the %s challenge "
				    "for %s: %s",
				    pl_acme_challenge_name(challenge_type(o)),
				    name, why);
	p = &o->published[o->n_published++];
	p->type = challenge_type(o);
	strcpy(p->name, name);
	strcpy(p->token, token);
	return PL_OK;
}

static void withdraw_all(order_t *o)
{
	for (size_t i = 0; i < o->n_published; i++)
		o->r->withdraw(o->r->arg, o->published[i].type,
			       o->published[i].name, o->published[i].token);
	o->n_published = 0;
}

static json_t *find_challenge(order_t *o, json_t *authz)
{
	const char *want = pl_acme_challenge_name(challenge_type(o));
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(authz, "challenges"), i, c)
		if (json_is_string(json_object_get(c, "type")) &&
		    strcmp(json_string_value(json_object_get(c, "type")), want) == 0)
			return c;
	return NULL;
}

/* A challenge failed: its error in one sentence, then the fallback. */
static int challenge_failed(order_t *o, json_t *authz, state_t *next)
{
	json_t *c = find_challenge(o, authz);
	json_t *error = json_object_get(c, "error");
	char *text = error != NULL ? json_dumps(error, JSON_COMPACT) : NULL;

	o->s.problem.now = o->s.t->now(o->s.t->arg);
	if (text != NULL)
		pl_acme_problem_sentence(text, &o->s.problem, o->s.err,
					 o->s.err_len);
	else
		pl_acme_fail(&o->s, 0, "the ACME CA found the %s challenge for "
			     "%s invalid, without saying why",
			     pl_acme_challenge_name(challenge_type(o)),
			     o->s.problem.name);
	free(text);
	withdraw_all(o);
	if (o->prefer_at + 1 < o->o->n_prefer) {
		/* an invalid authorization stays invalid: a new order */
		o->prefer_at++;
		*next = ST_ORDER;
		return PL_OK;
	}
	return PL_ERR_STATE;
}

/* POST-as-GET of the authorization, its identifier and status. */
static int fetch_authz(order_t *o, const char *url, json_t **doc,
		       pl_acme_response_t *resp)
{
	int rc = pl_acme_post_json(&o->s, url, NULL, false, resp, doc);

	if (rc == PL_OK) {
		const char *v = json_string_value(json_object_get(
			json_object_get(*doc, "identifier"), "value"));

		snprintf(o->authz_name, sizeof o->authz_name, "%s", v ? v : "?");
		o->s.problem.name = o->authz_name;
	}
	return rc;
}

static int start_challenge(order_t *o, json_t *authz)
{
	json_t *c = find_challenge(o, authz);
	pl_acme_response_t resp = {0};
	const char *token, *url;
	int rc;

	if (c == NULL)
		return pl_acme_fail(&o->s, PL_ERR_STATE,
				    "the ACME CA offers no %s challenge for %s",
				    pl_acme_challenge_name(challenge_type(o)),
				    o->s.problem.name);
	token = json_string_value(json_object_get(c, "token"));
	url = json_string_value(json_object_get(c, "url"));
	if (token == NULL || url == NULL)
		return pl_acme_fail(&o->s, PL_ERR_DECODE,
				    "the ACME CA's challenge for %s has no "
				    "token or URL", o->s.problem.name);
	o->s.problem.token = o->published[o->n_published].token;
	o->s.problem.challenge = challenge_type(o);
	rc = publish(o, o->s.problem.name, token);
	/* RFC 8555 7.5.1: an empty object says "ready, check now" */
	if (rc == PL_OK)
		rc = pl_acme_post(&o->s, url, "{}", false, &resp);
	pl_acme_response_clear(&resp);
	return rc;
}

static int st_authorize(order_t *o, state_t *next)
{
	const char *url = json_string_value(json_array_get(o->authzs, o->next_authz));
	pl_acme_response_t resp = {0};
	unsigned delay = POLL_FIRST_MS;
	json_t *authz = NULL;
	int rc;

	if (url == NULL) {
		*next = ST_FINALIZE;
		return PL_OK;
	}
	*next = ST_AUTHORIZE;
	rc = fetch_authz(o, url, &authz, &resp);
	if (rc == PL_OK && strcmp(status_of(authz), "pending") == 0)
		rc = start_challenge(o, authz);
	while (rc == PL_OK && strcmp(status_of(authz), "valid") != 0) {
		const char *st = status_of(authz);

		if (strcmp(st, "invalid") == 0) {
			rc = challenge_failed(o, authz, next);
			break;
		}
		if (strcmp(st, "pending") != 0)
			rc = pl_acme_fail(&o->s, PL_ERR_STATE,
					  "the ACME authorization for %s is %s",
					  o->s.problem.name, st);
		if (rc == PL_OK)
			rc = wait_turn(o, &resp, &delay, "to validate a name");
		json_decref(authz);
		authz = NULL;
		if (rc == PL_OK)
			rc = fetch_authz(o, url, &authz, &resp);
	}
	if (rc == PL_OK && *next == ST_AUTHORIZE)
		o->next_authz++;
	json_decref(authz);
	pl_acme_response_clear(&resp);
	return rc;
}

/* ---- FINALIZE, ISSUE, DOWNLOAD ------------------------------------------------------- */

/* Polls the order until its status is not in (one of) waiting. */
static int poll_order(order_t *o, const char *waiting, json_t **doc,
		      const char *what)
{
	pl_acme_response_t resp = {0};
	unsigned delay = POLL_FIRST_MS;
	int rc;

	for (;;) {
		rc = pl_acme_post_json(&o->s, o->order, NULL, false, &resp, doc);
		if (rc != PL_OK || strstr(waiting, status_of(*doc)) == NULL ||
		    status_of(*doc)[0] == '\0')
			break;
		json_decref(*doc);
		*doc = NULL;
		rc = wait_turn(o, &resp, &delay, what);
		if (rc != PL_OK)
			break;
	}
	pl_acme_response_clear(&resp);
	return rc;
}

static char *csr_payload(order_t *o)
{
	pl_x509_san_t sans[PL_ACME_MAX_NAMES];
	char why[256], *b64 = NULL, *text = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	json_t *pay;

	for (size_t i = 0; i < o->o->n_names; i++)
		if (pl_x509_san_parse(o->o->names[i], &sans[i], why, sizeof why) != PL_OK)
			return NULL;
	/* a fresh key for every order: a key is never reused across
	 * certificates, so one leaked key ends with its certificate */
	o->out->key = pl_pkey_generate(PL_PKEY_EC_P256, 0);
	if (o->out->key == NULL ||
	    pl_x509_csr_der(o->out->key, sans, o->o->n_names, &der, &len) != PL_OK)
		return NULL;
	b64 = malloc(pl_base64url_len(len) + 1);
	if (b64 != NULL &&
	    pl_base64url_encode(der, len, b64, pl_base64url_len(len) + 1) == PL_OK &&
	    (pay = json_pack("{s:s}", "csr", b64)) != NULL) {
		text = json_dumps(pay, JSON_COMPACT);
		json_decref(pay);
	}
	free(b64);
	pl_x509_der_free(der);
	return text;
}

static int st_finalize(order_t *o, state_t *next)
{
	pl_acme_response_t resp = {0};
	json_t *doc = NULL, *after = NULL;
	char *pay;
	int rc = poll_order(o, "pending processing", &doc,
			    "to mark the order ready");

	if (rc == PL_OK && strcmp(status_of(doc), "ready") != 0) {
		rc = order_next(o, doc, next);
		if (rc == PL_OK && *next != ST_ISSUE)
			rc = pl_acme_fail(&o->s, PL_ERR_STATE,
					  "the ACME order %s is %s after its "
					  "authorizations", o->order,
					  status_of(doc));
		json_decref(doc);
		return rc;
	}
	json_decref(doc);
	if (rc != PL_OK)
		return rc;
	pay = csr_payload(o);
	if (pay == NULL)
		return pl_acme_fail(&o->s, PL_ERR_CRYPTO,
				    "cannot make the certificate request");
	rc = pl_acme_post_json(&o->s, o->finalize, pay, false, &resp, &after);
	free(pay);
	json_decref(after);
	pl_acme_response_clear(&resp);
	*next = ST_ISSUE;
	return rc;
}

static int st_issue(order_t *o, state_t *next)
{
	json_t *doc = NULL;
	int rc = poll_order(o, "processing", &doc, "to issue the certificate");

	if (rc == PL_OK && strcmp(status_of(doc), "valid") != 0)
		rc = pl_acme_fail(&o->s, PL_ERR_STATE,
				  "the ACME order %s is %s, not valid, after "
				  "finalizing", o->order, status_of(doc));
	if (rc == PL_OK)
		rc = copy_url(o, o->certificate, doc, "certificate", "order");
	json_decref(doc);
	*next = ST_DOWNLOAD;
	return rc;
}

static int st_download(order_t *o, state_t *next)
{
	pl_acme_response_t resp = {0};
	int rc = pl_acme_post(&o->s, o->certificate, NULL, false, &resp);

	if (rc == PL_OK &&
	    (resp.body == NULL || strstr(resp.body, "-----BEGIN CERTIFICATE-----") == NULL))
		rc = pl_acme_fail(&o->s, PL_ERR_DECODE,
				  "the ACME CA's certificate at %s is not PEM",
				  o->certificate);
	if (rc == PL_OK) {
		o->out->chain_pem = resp.body;
		o->out->chain_len = resp.body_len;
		resp.body = NULL;
	}
	pl_acme_response_clear(&resp);
	*next = ST_DONE;
	return rc;
}

/* RFC 8555 leaves a lost order to the client: when the CA became
 * unreachable or forgot the account or the order after this call placed
 * one, say so once and start again from the directory (a new account
 * URL, a new order), waiting a little longer each time. A failure in
 * DIRECTORY during such a restart (the CA still down) waits again
 * without a new line. */
static bool restart_lost(order_t *o, state_t failed_in, state_t *next)
{
	char line[PL_ACME_ERR_MAX + PL_ACME_URL_MAX + 64];
	pl_acme_response_t none = { 0 };

	if (!o->s.lost || o->out->orders == 0 || o->out->restarts >= RESTARTS_MAX)
		return false;
	if (failed_in != ST_DIRECTORY && o->o->note != NULL) {
		snprintf(line, sizeof line, "the ACME CA lost the order %s (%s): "
			 "placing a new one", o->order[0] ? o->order : "in flight",
			 o->s.err);
		o->o->note(o->o->note_arg, line);
	}
	o->out->restarts++;
	withdraw_all(o);
	if (o->restart_delay == 0)
		o->restart_delay = RESTART_FIRST_MS;
	if (wait_turn(o, &none, &o->restart_delay, "to come back") != PL_OK)
		return false;
	o->s.kid[0] = '\0';
	o->s.nonce[0] = '\0';
	o->order[0] = '\0';
	*next = ST_DIRECTORY;
	return true;
}

static const handler_t handlers[] = {
	[ST_DIRECTORY] = st_directory, [ST_ACCOUNT] = st_account,
	[ST_ORDER] = st_order,         [ST_AUTHORIZE] = st_authorize,
	[ST_FINALIZE] = st_finalize,   [ST_ISSUE] = st_issue,
	[ST_DOWNLOAD] = st_download,
};

/* What the CA is asked for in each state, for the --acme-timeout
 * sentence. */
static const char *const waiting_for[] = {
	[ST_DIRECTORY] = "to send its directory",
	[ST_ACCOUNT] = "to create the account",
	[ST_ORDER] = "to place the order",
	[ST_AUTHORIZE] = "to validate a name",
	[ST_FINALIZE] = "to mark the order ready",
	[ST_ISSUE] = "to issue the certificate",
	[ST_DOWNLOAD] = "to send the certificate",
};

int pl_acme_obtain(const pl_acme_transport_t *t, const pl_acme_responder_t *resp,
		   const pl_acme_order_opts_t *opts, pl_pkey_t *account,
		   pl_acme_result_t *out, char *err, size_t err_len)
{
	order_t o = { .o = opts, .r = resp, .out = out };
	state_t st = ST_DIRECTORY;
	int rc = PL_OK;

	memset(out, 0, sizeof *out);
	o.s.t = t;
	o.s.account = account;
	o.s.err = err;
	o.s.err_len = err_len;
	/* one deadline for the whole order: requests, waits and orders
	 * placed again all count */
	o.s.timeout_ms = opts->timeout_ms;
	if (opts->timeout_ms && t->monotonic_ms != NULL)
		o.s.deadline_ms = t->monotonic_ms(t->arg) + opts->timeout_ms;
	err[0] = '\0';
	if (opts->n_names == 0 || opts->n_names > PL_ACME_MAX_NAMES ||
	    opts->n_prefer < 1 || opts->n_prefer > 2)
		rc = pl_acme_fail(&o.s, PL_ERR_ARG, "an ACME order needs 1 to %d "
				  "names and a challenge type", PL_ACME_MAX_NAMES);
	while (rc == PL_OK && st != ST_DONE) {
		state_t at = st;

		o.s.lost = false;
		o.s.waiting = waiting_for[at];
		rc = handlers[at](&o, &st);
		if (rc != PL_OK && restart_lost(&o, at, &st)) {
			err[0] = '\0';
			rc = PL_OK;
		}
	}
	withdraw_all(&o);
	json_decref(o.authzs);
	out->bad_nonces = o.s.bad_nonces;
	if (rc != PL_OK) {
		long after = o.s.retry_after;
		unsigned orders = out->orders, bad = out->bad_nonces;
		unsigned restarts = out->restarts;

		pl_acme_result_free(out);
		out->retry_after = after;
		out->orders = orders;
		out->bad_nonces = bad;
		out->restarts = restarts;
	}
	return rc;
}
