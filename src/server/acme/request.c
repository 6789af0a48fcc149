/*
 * How padlock asks a CA (RFC 8555 6): every POST is a JWS signed by the
 * account key, with a nonce the CA gave (6.5) and the URL it is sent to
 * (6.4) in its protected header; errors come back as problem documents.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/acme/session.h"

void pl_acme_response_clear(pl_acme_response_t *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

int pl_acme_say(char *err, size_t err_len, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return code;
}

int pl_acme_fail(pl_acme_session_t *s, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, s->err_len, fmt, ap);
	va_end(ap);
	return code;
}

int pl_acme_in_time(pl_acme_session_t *s, unsigned ms, const char *what)
{
	if (s->deadline_ms == 0 || s->t->monotonic_ms == NULL ||
	    s->t->monotonic_ms(s->t->arg) + ms <= s->deadline_ms)
		return PL_OK;
	return pl_acme_fail(s, PL_ERR_IO, "gave up after %u seconds waiting "
			    "for the ACME CA %s (--acme-timeout)",
			    s->timeout_ms / 1000, what ? what : "to answer");
}

static int send(pl_acme_session_t *s, const char *method, const char *url,
		const char *body, pl_acme_response_t *resp)
{
	char why[PL_ACME_ERR_MAX];
	int rc;

	pl_acme_response_clear(resp);
	/* the deadline counts the requests too, not only the waits */
	rc = pl_acme_in_time(s, 0, s->waiting);
	if (rc != PL_OK)
		return rc;
	rc = s->t->request(s->t->arg, method, url,
			   body ? "application/jose+json" : NULL, body,
			   body ? strlen(body) : 0, resp, why, sizeof why);
	if (rc != PL_OK) {
		s->lost = true;
		return pl_acme_fail(s, PL_ERR_IO, "cannot reach the ACME CA at %s: %s",
				    url, why);
	}
	/* RFC 8555 6.5: every answer may carry the next nonce */
	if (resp->nonce[0] != '\0')
		memcpy(s->nonce, resp->nonce, sizeof s->nonce);
	return PL_OK;
}

static bool is_json(const pl_acme_response_t *r, const char *type)
{
	size_t n = strlen(type);

	return strncasecmp(r->content_type, type, n) == 0 &&
	       (r->content_type[n] == '\0' || r->content_type[n] == ';');
}

static int parse_object(pl_acme_session_t *s, const char *url,
			const pl_acme_response_t *r, json_t **doc)
{
	*doc = r->body != NULL ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
	if (!json_is_object(*doc)) {
		json_decref(*doc);
		*doc = NULL;
		return pl_acme_fail(s, PL_ERR_DECODE,
				    "the ACME CA's answer from %s is not a JSON "
				    "object (HTTP %d): is --acme-ca the "
				    "directory URL?", url, r->status);
	}
	return PL_OK;
}

int pl_acme_get_json(pl_acme_session_t *s, const char *url, json_t **doc)
{
	pl_acme_response_t r = {0};
	int rc = send(s, "GET", url, NULL, &r);

	*doc = NULL;
	if (rc == PL_OK && r.status != 200)
		rc = pl_acme_fail(s, PL_ERR_DECODE,
				  "the ACME directory %s answered HTTP %d: is "
				  "--acme-ca the directory URL?", url, r.status);
	if (rc == PL_OK)
		rc = parse_object(s, url, &r, doc);
	pl_acme_response_clear(&r);
	return rc;
}

/* RFC 8555 7.2: a HEAD or GET of newNonce gives one. */
static int fetch_nonce(pl_acme_session_t *s)
{
	pl_acme_response_t r = {0};
	int rc = send(s, "GET", s->new_nonce, NULL, &r);

	if (rc == PL_OK && r.nonce[0] == '\0')
		rc = pl_acme_fail(s, PL_ERR_DECODE,
				  "the ACME CA gave no Replay-Nonce at %s "
				  "(HTTP %d)", s->new_nonce, r.status);
	pl_acme_response_clear(&r);
	return rc;
}

/* The protected header of RFC 8555 6.2: alg, nonce, url, and jwk or kid. */
static char *protected_header(pl_acme_session_t *s, const char *url, bool jwk)
{
	char key[512];
	json_t *h = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "nonce",
			      s->nonce, "url", url);
	char *out = NULL;

	if (h == NULL)
		return NULL;
	if (jwk) {
		if (pl_jwk_public(s->account, key, sizeof key) != PL_OK ||
		    json_object_set_new(h, "jwk", json_loads(key, 0, NULL)) != 0)
			goto out;
	} else if (json_object_set_new(h, "kid", json_string(s->kid)) != 0) {
		goto out;
	}
	out = json_dumps(h, JSON_COMPACT);
out:
	json_decref(h);
	return out;
}

static int signed_post(pl_acme_session_t *s, const char *url,
		       const char *payload, bool jwk, pl_acme_response_t *resp)
{
	char *header = protected_header(s, url, jwk);
	char *body = NULL;
	int rc;

	/* a nonce is used once (RFC 8555 6.5) */
	s->nonce[0] = '\0';
	if (header != NULL)
		body = pl_jws_flattened_es256(s->account, header,
					      (const uint8_t *)(payload ? payload : ""),
					      payload ? strlen(payload) : 0);
	free(header);
	if (body == NULL)
		return pl_acme_fail(s, PL_ERR_CRYPTO,
				    "cannot sign the ACME request to %s", url);
	rc = send(s, "POST", url, body, resp);
	free(body);
	return rc;
}

static int problem(pl_acme_session_t *s, const char *url,
		   const pl_acme_response_t *r)
{
	pl_acme_problem_ctx_t ctx = s->problem;
	char type[64];

	/* a CA that restarted without its database (pebble) knows neither
	 * the account nor the order */
	s->lost = r->status == 404 ||
		  strcmp(pl_acme_problem_type(r->body, type, sizeof type),
			 "accountDoesNotExist") == 0;
	ctx.retry_after = r->retry_after;
	ctx.terms = s->terms[0] ? s->terms : NULL;
	s->retry_after = pl_acme_retry_after_seconds(r->retry_after, ctx.now);
	if (!is_json(r, "application/problem+json") &&
	    !is_json(r, "application/json"))
		return pl_acme_fail(s, PL_ERR_STATE,
				    "the ACME CA answered HTTP %d to %s without "
				    "a problem document", r->status, url);
	pl_acme_problem_sentence(r->body, &ctx, s->err, s->err_len);
	return PL_ERR_STATE;
}

int pl_acme_post(pl_acme_session_t *s, const char *url, const char *payload,
		 bool jwk, pl_acme_response_t *resp)
{
	char type[64];

	s->problem.now = s->t->now(s->t->arg);
	for (unsigned tries = 0;; tries++) {
		int rc = s->nonce[0] ? PL_OK : fetch_nonce(s);

		if (rc == PL_OK)
			rc = signed_post(s, url, payload, jwk, resp);
		if (rc != PL_OK)
			return rc;
		if (resp->status >= 200 && resp->status < 300)
			return PL_OK;
		/* RFC 8555 6.5: retry with the nonce the error carried */
		if (resp->status == 400 &&
		    strcmp(pl_acme_problem_type(resp->body, type, sizeof type),
			   "badNonce") == 0 &&
		    tries < PL_ACME_BAD_NONCE_RETRIES) {
			s->bad_nonces++;
			continue;
		}
		return problem(s, url, resp);
	}
}

int pl_acme_post_json(pl_acme_session_t *s, const char *url,
		      const char *payload, bool jwk, pl_acme_response_t *resp,
		      json_t **doc)
{
	int rc = pl_acme_post(s, url, payload, jwk, resp);

	*doc = NULL;
	return rc == PL_OK ? parse_object(s, url, resp, doc) : rc;
}
