/* Tests src/server/acme/client.c and request.c with a fake CA behind the
 * transport interface: the fake checks every JWS like a CA would (the
 * signature against the account key, a nonce it issued and never saw
 * used, the URL, jwk for newAccount and kid after), checks the published
 * key authorizations and the CSR's names, and can be told to misbehave:
 * reject nonces, refuse a challenge, rate-limit, keep an authorization
 * pending, require the terms or EAB, or not answer at all. */
#include <jansson.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/pkey_internal.h"
#include "server/acme/acme.h"
#include "test.h"

#define CA "https://ca.test"
#define MAX_NAMES 4

struct fake {
	/* what the CA does */
	const char *terms;
	bool eab_required;
	int reject_nonces;        /* the next N signed POSTs get badNonce */
	bool fail_http01;         /* http-01 validation fails */
	int pending_polls;        /* authorization polls answered pending */
	const char *poll_retry_after;
	bool rate_limit_orders;
	bool unreachable;
	bool ari;                 /* the directory offers renewalInfo */
	bool already_replaced;    /* a newOrder with "replaces" gets 409 */
	bool restart_at_challenge; /* the CA forgets everything once, when a
				      challenge is started ... */
	int down_after_restart;   /* ... and is unreachable for N requests */
	bool forgot;              /* accounts unknown until a newAccount */
	/* what it saw */
	bool used[4096];
	unsigned next_nonce;
	pl_pkey_t *account;       /* from newAccount's jwk */
	int orders, posts, nonce_errors_seen;
	char eab_kid_seen[64];
	bool eab_mac_ok;
	const char *names[MAX_NAMES];
	size_t n_names;
	char status[MAX_NAMES][16];   /* per authorization */
	char type_started[MAX_NAMES][16];
	int polls[MAX_NAMES];
	char order_status[16];
	char replaces[MAX_NAMES][128]; /* per order: its "replaces", or "" */
	bool csr_ok;
	pl_pkey_t *csr_key;
	unsigned slept[64];
	size_t n_slept;
	/* the published answers (the responder) */
	char published[MAX_NAMES][600];
	int published_type[MAX_NAMES];
	int withdrawn;
	int notes;
	char note[PL_ACME_ERR_MAX + 200];
	int infos;
	char info[PL_ACME_URL_MAX + 100];
	uint64_t clock_ms;        /* the monotonic clock: sleeps and requests */
	unsigned request_ms;      /* what each request takes on it */
	int requests_after_deadline;
	uint64_t deadline_ms;     /* for the count above, 0: none */
};

static const uint8_t eab_key[] = "a MAC key the CA gave the account";

static void reply(pl_acme_response_t *r, int status, const char *type,
		  const char *body)
{
	r->status = status;
	snprintf(r->content_type, sizeof r->content_type, "%s", type);
	r->body = strdup(body);
	r->body_len = strlen(body);
}

static void reply_json(pl_acme_response_t *r, int status, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT);

	reply(r, status, "application/json", text);
	free(text);
	json_decref(doc);
}

static void problem(pl_acme_response_t *r, int status, const char *type,
		    const char *detail)
{
	char body[512];

	snprintf(body, sizeof body,
		 "{\"type\":\"urn:ietf:params:acme:error:%s\",\"detail\":\"%s\"}",
		 type, detail);
	reply(r, status, "application/problem+json", body);
}

static void new_nonce(struct fake *f, pl_acme_response_t *r)
{
	snprintf(r->nonce, sizeof r->nonce, "n%u", f->next_nonce++);
}

static size_t b64dec(const char *in, uint8_t *out, size_t cap)
{
	size_t n = 0;

	return in && pl_base64url_decode(in, strlen(in), out, cap, &n) == PL_OK ? n : 0;
}

static json_t *b64json(const char *in)
{
	uint8_t buf[4096];
	size_t n = b64dec(in, buf, sizeof buf - 1);

	return json_loadb((const char *)buf, n, 0, NULL);
}

static pl_pkey_t *key_of_jwk(json_t *jwk)
{
	uint8_t x[32], y[32];

	if (b64dec(json_string_value(json_object_get(jwk, "x")), x, 32) != 32 ||
	    b64dec(json_string_value(json_object_get(jwk, "y")), y, 32) != 32)
		return NULL;
	return pl_pkey_p256_from_coords(x, y, NULL);
}

/* The JWS checks of RFC 8555 6.2-6.5; *payload gets the decoded payload
 * ("" for POST-as-GET). Returns false after answering with a problem. */
static bool check_jws(struct fake *f, const char *url, const char *body,
		      pl_acme_response_t *r, json_t **payload)
{
	json_t *jws = json_loads(body, 0, NULL);
	const char *p64 = json_string_value(json_object_get(jws, "protected"));
	const char *pay64 = json_string_value(json_object_get(jws, "payload"));
	const char *s64 = json_string_value(json_object_get(jws, "signature"));
	json_t *prot = b64json(p64);
	const char *nonce = json_string_value(json_object_get(prot, "nonce"));
	unsigned n = nonce && nonce[0] == 'n' ? (unsigned)atoi(nonce + 1) : 4095;
	pl_pkey_t *key = f->account;
	uint8_t sig[64];
	char input[8192];
	bool ok = false;

	CHECK(prot != NULL && pay64 != NULL && s64 != NULL);
	if (prot == NULL || pay64 == NULL || s64 == NULL)
		goto out;
	CHECK(strcmp(json_string_value(json_object_get(prot, "alg")), "ES256") == 0);
	CHECK(strcmp(json_string_value(json_object_get(prot, "url")), url) == 0);
	if (json_object_get(prot, "jwk") != NULL) {
		CHECK(strcmp(url, CA "/new-acct") == 0);
		if (f->account == NULL)
			f->account = key_of_jwk(json_object_get(prot, "jwk"));
		key = f->account;
	} else {
		CHECK(strcmp(json_string_value(json_object_get(prot, "kid")),
			     CA "/acct/1") == 0);
		if (f->forgot) {
			problem(r, 400, "accountDoesNotExist", "no such account");
			new_nonce(f, r);
			goto out;
		}
	}
	snprintf(input, sizeof input, "%s.%s", p64, pay64);
	CHECK(key != NULL && b64dec(s64, sig, 64) == 64 &&
	      pl_jws_es256_verify(key, (const uint8_t *)input, strlen(input),
				  sig, 64) == PL_OK);
	if (n >= f->next_nonce || f->used[n] || f->reject_nonces > 0) {
		f->nonce_errors_seen += n < f->next_nonce && f->used[n];
		if (f->reject_nonces > 0)
			f->reject_nonces--;
		problem(r, 400, "badNonce", "JWS has an invalid anti-replay nonce");
		new_nonce(f, r);
		goto out;
	}
	f->used[n] = true;
	*payload = pay64[0] ? b64json(pay64) : json_string("");
	ok = true;
out:
	json_decref(prot);
	json_decref(jws);
	return ok;
}

static json_t *directory(const struct fake *f)
{
	json_t *d = json_pack("{s:s, s:s, s:s}", "newNonce", CA "/nonce",
			      "newAccount", CA "/new-acct", "newOrder",
			      CA "/new-order");
	json_t *meta = json_object();

	if (f->terms)
		json_object_set_new(meta, "termsOfService", json_string(f->terms));
	if (f->eab_required)
		json_object_set_new(meta, "externalAccountRequired", json_true());
	if (f->ari)
		json_object_set_new(d, "renewalInfo", json_string(CA "/renewal-info"));
	json_object_set_new(d, "meta", meta);
	return d;
}

static void check_eab(struct fake *f, json_t *eab)
{
	const char *p64 = json_string_value(json_object_get(eab, "protected"));
	const char *pay64 = json_string_value(json_object_get(eab, "payload"));
	json_t *prot = b64json(p64);
	uint8_t mac[32], want[32];
	char input[2048], jwk[400];
	size_t n;

	snprintf(f->eab_kid_seen, sizeof f->eab_kid_seen, "%s",
		 json_string_value(json_object_get(prot, "kid")));
	snprintf(input, sizeof input, "%s.%s", p64, pay64);
	n = b64dec(json_string_value(json_object_get(eab, "signature")), mac, 32);
	pl_hmac(PL_HASH_SHA256, eab_key, sizeof eab_key - 1,
		(const uint8_t *)input, strlen(input), want);
	/* RFC 8555 7.3.4: HS256 over the account's JWK, for newAccount */
	pl_jwk_public(f->account, jwk, sizeof jwk);
	f->eab_mac_ok = n == 32 && memcmp(mac, want, 32) == 0 &&
			strcmp(json_string_value(json_object_get(prot, "alg")), "HS256") == 0 &&
			strcmp(json_string_value(json_object_get(prot, "url")),
			       CA "/new-acct") == 0 &&
			strcmp(pay64, "") != 0;
	json_decref(prot);
	{
		uint8_t buf[512];
		size_t len = b64dec(pay64, buf, sizeof buf);
		f->eab_mac_ok = f->eab_mac_ok && len == strlen(jwk) &&
				memcmp(buf, jwk, len) == 0;
	}
}

static void new_account(struct fake *f, json_t *pay, pl_acme_response_t *r)
{
	json_t *eab = json_object_get(pay, "externalAccountBinding");

	if (f->terms && !json_is_true(json_object_get(pay, "termsOfServiceAgreed"))) {
		problem(r, 403, "userActionRequired", "agree to the terms");
		return;
	}
	if (eab != NULL)
		check_eab(f, eab);
	if (f->eab_required && eab == NULL) {
		problem(r, 403, "externalAccountRequired", "no binding");
		return;
	}
	f->forgot = false;
	snprintf(r->location, sizeof r->location, CA "/acct/1");
	reply_json(r, 201, json_pack("{s:s}", "status", "valid"));
}

static json_t *order_doc(struct fake *f)
{
	json_t *authzs = json_array();

	for (size_t i = 0; i < f->n_names; i++) {
		char url[64];

		snprintf(url, sizeof url, CA "/authz/%d/%zu", f->orders, i);
		json_array_append_new(authzs, json_string(url));
	}
	return json_pack("{s:s, s:o, s:s, s:s}", "status", f->order_status,
			 "authorizations", authzs, "finalize", CA "/finalize",
			 "certificate", CA "/cert");
}

static void new_order(struct fake *f, json_t *pay, pl_acme_response_t *r)
{
	json_t *ids = json_object_get(pay, "identifiers"), *id;
	size_t i;

	const char *replaces = json_string_value(json_object_get(pay, "replaces"));

	if (f->rate_limit_orders) {
		problem(r, 429, "rateLimited", "too many new orders recently");
		snprintf(r->retry_after, sizeof r->retry_after, "3600");
		return;
	}
	if (replaces != NULL && f->already_replaced) {
		problem(r, 409, "alreadyReplaced", "the certificate was replaced "
			"by another order");
		return;
	}
	if (f->orders < MAX_NAMES)
		snprintf(f->replaces[f->orders], sizeof f->replaces[0], "%s",
			 replaces ? replaces : "");
	f->orders++;
	CHECK_EQ_INT(json_array_size(ids), f->n_names);
	json_array_foreach(ids, i, id) {
		CHECK(i < f->n_names && strcmp(json_string_value(json_object_get(id, "value")),
					       f->names[i]) == 0);
		snprintf(f->status[i], sizeof f->status[i], "pending");
		f->type_started[i][0] = '\0';
		f->polls[i] = 0;
	}
	snprintf(f->order_status, sizeof f->order_status, "pending");
	snprintf(r->location, sizeof r->location, CA "/order/%d", f->orders);
	reply_json(r, 201, order_doc(f));
}

static json_t *authz_doc(struct fake *f, size_t i)
{
	static const char *const types[] = { "http-01", "tls-alpn-01" };
	json_t *chals = json_array();

	for (int t = 0; t < 2; t++) {
		char url[96];
		json_t *c;

		snprintf(url, sizeof url, CA "/chal/%d/%zu/%s", f->orders, i, types[t]);
		c = json_pack("{s:s, s:s, s:s, s:s}", "type", types[t], "url", url,
			      "token", "tok-abc_123", "status", f->status[i]);
		if (strcmp(f->status[i], "invalid") == 0 &&
		    strcmp(f->type_started[i], types[t]) == 0)
			json_object_set_new(c, "error", json_pack(
				"{s:s, s:s}", "type", "urn:ietf:params:acme:error:unauthorized",
				"detail", "Invalid response from http://x/: 404"));
		json_array_append_new(chals, c);
	}
	return json_pack("{s:{s:s, s:s}, s:s, s:o}", "identifier", "type", "dns",
			 "value", f->names[i], "status", f->status[i],
			 "challenges", chals);
}

static void authz(struct fake *f, size_t i, pl_acme_response_t *r)
{
	if (f->type_started[i][0] && strcmp(f->status[i], "pending") == 0) {
		if (f->polls[i]++ >= f->pending_polls) {
			bool http = strcmp(f->type_started[i], "http-01") == 0;
			char want[600];

			/* the CA fetches the answer and compares */
			pl_jws_key_authorization(f->account, "tok-abc_123", want,
						 sizeof want);
			snprintf(f->status[i], sizeof f->status[i], "%s",
				 (http && f->fail_http01) ||
						 strcmp(f->published[i], want) != 0 ||
						 f->published_type[i] != (http ? PL_ACME_HTTP01
									       : PL_ACME_TLSALPN01)
					 ? "invalid"
					 : "valid");
		} else if (f->poll_retry_after) {
			snprintf(r->retry_after, sizeof r->retry_after, "%s",
				 f->poll_retry_after);
		}
	}
	reply_json(r, 200, authz_doc(f, i));
	bool all = true;
	for (size_t k = 0; k < f->n_names; k++)
		all = all && strcmp(f->status[k], "valid") == 0;
	if (all && strcmp(f->order_status, "pending") == 0)
		snprintf(f->order_status, sizeof f->order_status, "ready");
}

static bool csr_names_match(struct fake *f, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
	STACK_OF(X509_EXTENSION) *exts = req ? X509_REQ_get_extensions(req) : NULL;
	GENERAL_NAMES *names = exts ? X509V3_get_d2i(exts, NID_subject_alt_name,
						     NULL, NULL) : NULL;
	bool ok = req != NULL && X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) == 1 &&
		  names != NULL && (size_t)sk_GENERAL_NAME_num(names) == f->n_names;

	for (size_t i = 0; ok && i < f->n_names; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, (int)i);
		const ASN1_IA5STRING *s = gn->type == GEN_DNS ? gn->d.dNSName : NULL;

		ok = s != NULL && (size_t)ASN1_STRING_length(s) == strlen(f->names[i]) &&
		     memcmp(ASN1_STRING_get0_data(s), f->names[i], strlen(f->names[i])) == 0;
	}
	if (ok) {
		EVP_PKEY *k = X509_REQ_get_pubkey(req);
		f->csr_key = pl_pkey_wrap(k);
	}
	GENERAL_NAMES_free(names);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return ok;
}

static void finalize(struct fake *f, json_t *pay, pl_acme_response_t *r)
{
	uint8_t der[4096];
	size_t n = b64dec(json_string_value(json_object_get(pay, "csr")), der,
			  sizeof der);

	if (strcmp(f->order_status, "ready") != 0) {
		problem(r, 403, "orderNotReady", "not ready");
		return;
	}
	f->csr_ok = csr_names_match(f, der, n);
	snprintf(f->order_status, sizeof f->order_status, "processing");
	reply_json(r, 200, order_doc(f));
}

static void route_post(struct fake *f, const char *url, json_t *pay,
		       pl_acme_response_t *r)
{
	int order;
	size_t i;
	char type[16];

	if (strcmp(url, CA "/new-acct") == 0)
		new_account(f, pay, r);
	else if (strcmp(url, CA "/new-order") == 0)
		new_order(f, pay, r);
	else if (sscanf(url, CA "/authz/%d/%zu", &order, &i) == 2 && i < f->n_names)
		authz(f, i, r);
	else if (sscanf(url, CA "/chal/%d/%zu/%15s", &order, &i, type) == 3 &&
		 i < f->n_names) {
		snprintf(f->type_started[i], sizeof f->type_started[i], "%s", type);
		reply_json(r, 200, json_pack("{s:s}", "status", "processing"));
		if (f->restart_at_challenge) {
			f->restart_at_challenge = false;
			f->forgot = true;
		}
	} else if (sscanf(url, CA "/order/%d", &order) == 1) {
		/* issuing takes one poll */
		json_t *doc = order_doc(f);
		if (strcmp(f->order_status, "processing") == 0)
			snprintf(f->order_status, sizeof f->order_status, "valid");
		reply_json(r, 200, doc);
	} else if (strcmp(url, CA "/finalize") == 0)
		finalize(f, pay, r);
	else if (strcmp(url, CA "/cert") == 0)
		reply(r, 200, "application/pem-certificate-chain",
		      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	else
		problem(r, 404, "malformed", "no such resource");
}

static int fake_request(void *arg, const char *method, const char *url,
			const char *content_type, const char *body,
			size_t body_len, pl_acme_response_t *r, char *err,
			size_t err_len)
{
	struct fake *f = arg;
	json_t *pay = NULL;

	if (f->deadline_ms && f->clock_ms >= f->deadline_ms)
		f->requests_after_deadline++;
	f->clock_ms += f->request_ms;
	if (f->forgot && f->down_after_restart > 0) {
		f->down_after_restart--;
		snprintf(err, err_len, "connection refused");
		return PL_ERR_IO;
	}
	if (f->unreachable) {
		snprintf(err, err_len, "connection refused (nothing listens on "
			 "127.0.0.1:14000)");
		return PL_ERR_IO;
	}
	if (strcmp(method, "GET") == 0) {
		CHECK(body == NULL);
		if (strcmp(url, CA "/dir") == 0)
			reply_json(r, 200, directory(f));
		else if (strcmp(url, CA "/nonce") == 0)
			r->status = 204;
		new_nonce(f, r);
		return PL_OK;
	}
	f->posts++;
	CHECK(strcmp(content_type, "application/jose+json") == 0);
	CHECK(body_len == strlen(body));
	if (check_jws(f, url, body, r, &pay)) {
		route_post(f, url, pay, r);
		new_nonce(f, r);
	}
	json_decref(pay);
	return PL_OK;
}

static bool fake_sleep(void *arg, unsigned ms)
{
	struct fake *f = arg;

	if (f->n_slept < 64)
		f->slept[f->n_slept++] = ms;
	f->clock_ms += ms;
	return true;
}

static uint64_t fake_monotonic(void *arg)
{
	return ((struct fake *)arg)->clock_ms;
}

static time_t fake_now(void *arg)
{
	return 1800000000;
}

static int fake_publish(void *arg, pl_acme_challenge_t type, const char *name,
			const char *token, const char *keyauth, char *err,
			size_t err_len)
{
	struct fake *f = arg;

	for (size_t i = 0; i < f->n_names; i++)
		if (strcmp(f->names[i], name) == 0) {
			snprintf(f->published[i], sizeof f->published[i], "%s", keyauth);
			f->published_type[i] = (int)type;
		}
	CHECK(strcmp(token, "tok-abc_123") == 0);
	return PL_OK;
}

static void fake_withdraw(void *arg, pl_acme_challenge_t type, const char *name,
			  const char *token)
{
	((struct fake *)arg)->withdrawn++;
}

struct run {
	struct fake f;
	pl_acme_transport_t t;
	pl_acme_responder_t resp;
	pl_acme_order_opts_t o;
	pl_pkey_t *account;
	pl_acme_result_t res;
	char err[PL_ACME_ERR_MAX];
	int rc;
};

static void setup(struct run *r, size_t n_names)
{
	static const char *const names[] = { "example.com", "www.example.com",
					     "api.example.com" };

	memset(r, 0, sizeof *r);
	r->t = (pl_acme_transport_t){ fake_request, fake_sleep, fake_now, &r->f,
				      fake_monotonic };
	r->f.clock_ms = 5000000;
	r->resp = (pl_acme_responder_t){ fake_publish, fake_withdraw, &r->f };
	r->o.directory = CA "/dir";
	r->o.names = names;
	r->o.n_names = n_names;
	r->o.prefer[0] = PL_ACME_HTTP01;
	r->o.prefer[1] = PL_ACME_TLSALPN01;
	r->o.n_prefer = 2;
	r->o.agree_tos = true;
	for (size_t i = 0; i < n_names; i++)
		r->f.names[i] = names[i];
	r->f.n_names = n_names;
	r->account = pl_pkey_generate(PL_PKEY_EC_P256, 0);
}

static void go(struct run *r)
{
	r->rc = pl_acme_obtain(&r->t, &r->resp, &r->o, r->account, &r->res,
			       r->err, sizeof r->err);
}

static void teardown(struct run *r)
{
	pl_acme_result_free(&r->res);
	pl_pkey_free(r->account);
	pl_pkey_free(r->f.account);
	pl_pkey_free(r->f.csr_key);
}

static void info(void *arg, const char *line)
{
	struct fake *f = arg;

	f->infos++;
	snprintf(f->info, sizeof f->info, "%s", line);
}

static bool same_public_key(pl_pkey_t *a, pl_pkey_t *b)
{
	char ja[400], jb[400];

	return a && b && pl_jwk_public(a, ja, sizeof ja) == PL_OK &&
	       pl_jwk_public(b, jb, sizeof jb) == PL_OK && strcmp(ja, jb) == 0;
}

static void order_for_three_names_completes_with_http01(void)
{
	struct run r;

	setup(&r, 3);
	r.f.terms = CA "/terms";
	r.o.info = info;
	r.o.note_arg = &r.f;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_OK);
	CHECK_MSG(r.err[0] == '\0', "err: %s", r.err);
	/* the agreement is said once, with the terms' URL */
	CHECK_EQ_INT(r.f.infos, 1);
	CHECK_MSG(strcmp(r.f.info, "agreed to the terms of service at " CA
			 "/terms (--acme-agree-tos)") == 0, "info: %s", r.f.info);
	CHECK_EQ_INT(r.res.orders, 1);
	CHECK(r.res.chain_pem && strstr(r.res.chain_pem, "BEGIN CERTIFICATE"));
	CHECK(strcmp(r.res.account_url, CA "/acct/1") == 0);
	/* the CSR named all three and carried the new key, not the account's */
	CHECK(r.f.csr_ok);
	CHECK(same_public_key(r.f.csr_key, r.res.key));
	CHECK(!same_public_key(r.res.key, r.account));
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(r.f.published_type[i], PL_ACME_HTTP01);
	CHECK_EQ_INT(r.f.withdrawn, 3);
	CHECK_EQ_INT(r.f.nonce_errors_seen, 0);
	teardown(&r);
}

static void bad_nonces_are_retried_with_the_new_nonce(void)
{
	struct run r;

	setup(&r, 1);
	r.f.reject_nonces = 4;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_OK);
	CHECK_EQ_INT(r.res.bad_nonces, 4);
	CHECK_EQ_INT(r.f.nonce_errors_seen, 0); /* never one used twice */
	teardown(&r);
}

static void endless_bad_nonces_end_in_a_sentence(void)
{
	struct run r;

	setup(&r, 1);
	r.f.reject_nonces = 1000;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_ERR_STATE);
	CHECK_MSG(strstr(r.err, "badNonce") != NULL, "err: %s", r.err);
	teardown(&r);
}

static void terms_not_agreed_names_the_terms_and_the_flag(void)
{
	struct run r;

	setup(&r, 1);
	r.f.terms = "https://ca.test/terms-v7.pdf";
	r.o.agree_tos = false;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_ERR_ARG);
	CHECK(strstr(r.err, "https://ca.test/terms-v7.pdf") != NULL);
	CHECK(strstr(r.err, "--acme-agree-tos") != NULL);
	CHECK_EQ_INT(r.f.posts, 0); /* nothing was agreed to */
	teardown(&r);
}

static void eab_required_and_missing_says_which_flags(void)
{
	struct run r;

	setup(&r, 1);
	r.f.eab_required = true;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_ERR_ARG);
	CHECK_MSG(strstr(r.err, "--acme-eab-kid") && strstr(r.err, "--acme-eab-hmac-key"),
		  "err: %s", r.err);
	teardown(&r);
}

static void eab_binds_the_account_key_with_hs256(void)
{
	struct run r;
	char key64[64];

	setup(&r, 1);
	r.f.eab_required = true;
	pl_base64url_encode(eab_key, sizeof eab_key - 1, key64, sizeof key64);
	r.o.eab_kid = "kid-1";
	r.o.eab_hmac_key = key64;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_OK);
	CHECK(strcmp(r.f.eab_kid_seen, "kid-1") == 0);
	CHECK(r.f.eab_mac_ok);
	teardown(&r);
}

static void failed_http01_falls_back_to_tlsalpn01_in_a_new_order(void)
{
	struct run r;

	setup(&r, 1);
	r.f.fail_http01 = true;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_OK);
	CHECK_EQ_INT(r.res.orders, 2);
	CHECK_EQ_INT(r.f.published_type[0], PL_ACME_TLSALPN01);
	/* the first failure's sentence stays, for a warning */
	CHECK_MSG(strstr(r.err, "the CA could not reach http://example.com/"
				".well-known/acme-challenge/tok-abc_123") &&
			  strstr(r.err, "is port 80 open? try `padlock check example.com`"),
		  "err: %s", r.err);
	teardown(&r);
}

static void failed_challenge_without_fallback_fails_with_the_fix(void)
{
	struct run r;

	setup(&r, 2);
	r.f.fail_http01 = true;
	r.o.n_prefer = 1;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_ERR_STATE);
	CHECK_MSG(strstr(r.err, "is port 80 open?") != NULL, "err: %s", r.err);
	CHECK(strstr(r.err, "404") != NULL);
	CHECK(r.res.chain_pem == NULL && r.res.key == NULL);
	CHECK_EQ_INT(r.f.withdrawn, 1);
	teardown(&r);
}

static void rate_limit_says_when_to_retry(void)
{
	struct run r;

	setup(&r, 1);
	r.f.rate_limit_orders = true;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_ERR_STATE);
	CHECK_EQ_INT(r.res.retry_after, 3600);
	CHECK_MSG(strstr(r.err, "rate limit") && strstr(r.err, "in 60 minutes"),
		  "err: %s", r.err);
	teardown(&r);
}

static void polling_backs_off_and_honours_retry_after(void)
{
	struct run r;

	setup(&r, 1);
	r.f.pending_polls = 5;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_OK);
	/* 250, 500, 1000, 2000, 4000 ms: doubling */
	CHECK(r.f.n_slept >= 5);
	for (size_t i = 1; i < 5 && i < r.f.n_slept; i++)
		CHECK_EQ_INT(r.f.slept[i], 2 * r.f.slept[i - 1]);
	teardown(&r);

	setup(&r, 1);
	r.f.pending_polls = 2;
	r.f.poll_retry_after = "3";
	go(&r);
	CHECK_EQ_INT(r.rc, PL_OK);
	/* the first wait follows the answer to the challenge, which had no
	 * Retry-After; the pending authorizations asked for 3 seconds */
	CHECK(r.f.n_slept >= 3);
	CHECK(r.f.slept[1] == 3000 && r.f.slept[2] == 3000);
	teardown(&r);
}

static void a_name_that_never_validates_times_out(void)
{
	struct run r;

	setup(&r, 1);
	r.f.pending_polls = 1000000;
	r.o.timeout_ms = 20000;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_ERR_IO);
	CHECK_MSG(strstr(r.err, "gave up after 20 seconds") != NULL, "err: %s", r.err);
	teardown(&r);
}

/* --acme-timeout bounds the whole order: a CA that answers every poll
 * slowly, without asking to wait, still ends it at the deadline, and no
 * request is sent after it. */
static void slow_requests_count_against_the_timeout(void)
{
	struct run r;

	setup(&r, 1);
	r.f.pending_polls = 1000000;
	r.f.request_ms = 4000;
	r.o.timeout_ms = 20000;
	r.f.deadline_ms = r.f.clock_ms + 20000;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_ERR_IO);
	CHECK_MSG(strstr(r.err, "gave up after 20 seconds waiting for the ACME "
			 "CA to validate a name (--acme-timeout)") != NULL,
		  "err: %s", r.err);
	CHECK_EQ_INT(r.f.requests_after_deadline, 0);
	/* the sleeps alone were far below the bound: requests counted */
	{
		unsigned slept = 0;

		for (size_t i = 0; i < r.f.n_slept; i++)
			slept += r.f.slept[i];
		CHECK_MSG(slept < 20000, "slept %u ms", slept);
	}
	teardown(&r);

	/* a CA that takes the whole bound for its directory: the order is
	 * never placed, and the sentence says what was awaited */
	setup(&r, 1);
	r.f.request_ms = 25000;
	r.o.timeout_ms = 20000;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_ERR_IO);
	CHECK_MSG(strstr(r.err, "waiting for the ACME CA to create the "
			 "account") != NULL, "err: %s", r.err);
	CHECK_EQ_INT(r.f.orders, 0);
	teardown(&r);
}

static void unreachable_ca_is_one_sentence(void)
{
	struct run r;

	setup(&r, 1);
	r.f.unreachable = true;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_ERR_IO);
	CHECK_MSG(strcmp(r.err, "cannot reach the ACME CA at https://ca.test/dir: "
				"connection refused (nothing listens on "
				"127.0.0.1:14000)") == 0, "err: %s", r.err);
	teardown(&r);
}

static void renewal_sends_replaces_to_a_ca_with_renewal_info(void)
{
	struct run r;

	setup(&r, 1);
	r.f.ari = true;
	r.o.replaces = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
	go(&r);
	CHECK_EQ_INT(r.rc, PL_OK);
	CHECK_EQ_INT(r.f.orders, 1);
	CHECK_MSG(strcmp(r.f.replaces[0], "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE") == 0,
		  "replaces: %s", r.f.replaces[0]);
	teardown(&r);

	/* RFC 9773 5: not to a CA that does not offer renewal information */
	setup(&r, 1);
	r.o.replaces = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
	go(&r);
	CHECK_EQ_INT(r.rc, PL_OK);
	CHECK(strcmp(r.f.replaces[0], "") == 0);
	teardown(&r);
}

static void already_replaced_orders_again_without_replaces(void)
{
	struct run r;

	setup(&r, 1);
	r.f.ari = true;
	r.f.already_replaced = true;
	r.o.replaces = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
	go(&r);
	CHECK_MSG(r.rc == PL_OK, "err: %s", r.err);
	CHECK_EQ_INT(r.f.orders, 1);
	CHECK(strcmp(r.f.replaces[0], "") == 0);
	CHECK(r.res.chain_pem != NULL);
	teardown(&r);
}

static void note(void *arg, const char *line)
{
	struct fake *f = arg;

	f->notes++;
	snprintf(f->note, sizeof f->note, "%s", line);
}

static void order_lost_by_a_restarted_ca_is_placed_again(void)
{
	struct run r;

	/* the CA restarts without its database as the challenge starts */
	setup(&r, 1);
	r.f.restart_at_challenge = true;
	r.o.note = note;
	r.o.note_arg = &r.f;
	go(&r);
	CHECK_MSG(r.rc == PL_OK, "err: %s", r.err);
	CHECK(r.err[0] == '\0');
	CHECK_EQ_INT(r.res.orders, 2);
	CHECK_EQ_INT(r.res.restarts, 1);
	CHECK(r.res.chain_pem != NULL);
	CHECK_EQ_INT(r.f.notes, 1);
	CHECK_MSG(strstr(r.f.note, "the ACME CA lost the order https://ca.test/"
			 "order/1 (") && strstr(r.f.note, "): placing a new one"),
		  "note: %s", r.f.note);
	teardown(&r);

	/* ... and is unreachable for a while first: still one line */
	setup(&r, 1);
	r.f.restart_at_challenge = true;
	r.f.down_after_restart = 3;
	r.o.note = note;
	r.o.note_arg = &r.f;
	go(&r);
	CHECK_MSG(r.rc == PL_OK, "err: %s", r.err);
	CHECK_EQ_INT(r.res.orders, 2);
	CHECK_EQ_INT(r.f.notes, 1);
	CHECK_MSG(strstr(r.f.note, "cannot reach the ACME CA"), "note: %s", r.f.note);
	/* waits of 1, 2 and 4 seconds before the directory answered */
	teardown(&r);

	/* a CA that never comes back: the failure, after a few tries */
	setup(&r, 1);
	r.f.restart_at_challenge = true;
	r.f.down_after_restart = 1000;
	go(&r);
	CHECK_EQ_INT(r.rc, PL_ERR_IO);
	CHECK_MSG(strstr(r.err, "cannot reach the ACME CA at https://ca.test/dir"),
		  "err: %s", r.err);
	CHECK_EQ_INT(r.res.restarts, 5);
	teardown(&r);
}

int main(void)
{
	RUN(order_for_three_names_completes_with_http01);
	RUN(bad_nonces_are_retried_with_the_new_nonce);
	RUN(endless_bad_nonces_end_in_a_sentence);
	RUN(terms_not_agreed_names_the_terms_and_the_flag);
	RUN(eab_required_and_missing_says_which_flags);
	RUN(eab_binds_the_account_key_with_hs256);
	RUN(failed_http01_falls_back_to_tlsalpn01_in_a_new_order);
	RUN(failed_challenge_without_fallback_fails_with_the_fix);
	RUN(rate_limit_says_when_to_retry);
	RUN(polling_backs_off_and_honours_retry_after);
	RUN(a_name_that_never_validates_times_out);
	RUN(slow_requests_count_against_the_timeout);
	RUN(unreachable_ca_is_one_sentence);
	RUN(renewal_sends_replaces_to_a_ca_with_renewal_info);
	RUN(already_replaced_orders_again_without_replaces);
	RUN(order_lost_by_a_restarted_ca_is_placed_again);
	return test_finish();
}
