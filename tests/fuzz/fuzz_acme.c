/*
 * libFuzzer harness: what an ACME CA sends (src/server/acme, and the
 * base64url decoder of src/crypto/jws.c).
 *
 * Input: a control byte, then data.
 *   control % 3 == 0: data is base64url: decoded, and when it decodes,
 *                     encoding the bytes must give data back.
 *   control % 3 == 1: data is a problem document: its sentence and type,
 *                     and data as a Retry-After value and as an RFC 3339
 *                     timestamp.
 *   control % 3 == 2: data is a whole conversation: the CA's answers,
 *                     separated by 0xff bytes, each a status selector
 *                     byte, a content-type byte and a body, played to the
 *                     order state machine (client.c, request.c) through
 *                     a transport, then again to the renewal information
 *                     request (ari.c). Any answer must end in PL_OK or an
 *                     error with a sentence, never a crash.
 *
 * Seeds (corpus/fuzz_acme/): a base64url string, a problem document and
 * the answers of a complete order.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/acme/acme.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pl_pkey_t *account;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	account = pl_pkey_generate(PL_PKEY_EC_P256, 0);
	if (account == NULL)
		abort();
	return 0;
}

struct script {
	const uint8_t *p, *end;
	unsigned served;
};

static int play(void *arg, const char *method, const char *url,
		const char *content_type, const char *body, size_t body_len,
		pl_acme_response_t *r, char *err, size_t err_len)
{
	static const int statuses[] = { 200, 201, 204, 400, 403, 429, 500, 404 };
	struct script *s = arg;
	const uint8_t *stop;
	size_t len;

	if (s->p >= s->end || s->served++ > 64) {
		snprintf(err, err_len, "the script ended");
		return PL_ERR_IO;
	}
	stop = memchr(s->p, 0xff, (size_t)(s->end - s->p));
	if (stop == NULL)
		stop = s->end;
	len = (size_t)(stop - s->p);
	r->status = len > 0 ? statuses[s->p[0] & 7] : 200;
	snprintf(r->content_type, sizeof r->content_type, "%s",
		 len > 1 && (s->p[1] & 1) ? "application/problem+json"
					  : "application/json");
	snprintf(r->location, sizeof r->location, "https://ca.test/obj/%u",
		 s->served);
	snprintf(r->nonce, sizeof r->nonce, "nonce-%u", s->served);
	if (len > 1 && (s->p[1] & 2))
		snprintf(r->retry_after, sizeof r->retry_after, "1");
	len = len > 2 ? len - 2 : 0;
	r->body = malloc(len + 1);
	if (r->body != NULL) {
		memcpy(r->body, stop - len, len);
		r->body[len] = '\0';
		r->body_len = len;
	}
	s->p = stop < s->end ? stop + 1 : stop;
	return PL_OK;
}

static bool no_sleep(void *arg, unsigned ms)
{
	return true;
}

static time_t fixed_now(void *arg)
{
	return 1800000000;
}

static int publish(void *arg, pl_acme_challenge_t type, const char *name,
		   const char *token, const char *keyauth, char *err,
		   size_t err_len)
{
	return PL_OK;
}

static void withdraw(void *arg, pl_acme_challenge_t type, const char *name,
		     const char *token)
{
}

static void conversation(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "example.com" };
	struct script s = { data, data + size, 0 };
	pl_acme_transport_t t = { play, no_sleep, fixed_now, &s };
	pl_acme_responder_t r = { publish, withdraw, NULL };
	pl_acme_order_opts_t o = {
		.directory = "https://ca.test/dir", .agree_tos = true,
		.names = names, .n_names = 1,
		.prefer = { PL_ACME_HTTP01, PL_ACME_TLSALPN01 }, .n_prefer = 2,
		.timeout_ms = 60000, .replaces = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE",
	};
	pl_acme_result_t res;
	pl_acme_ari_t ari;
	char err[PL_ACME_ERR_MAX];
	int rc = pl_acme_obtain(&t, &r, &o, account, &res, err, sizeof err);

	if (rc != PL_OK && err[0] == '\0')
		abort(); /* every failure says why */
	pl_acme_result_free(&res);
	s = (struct script){ data, data + size, 0 };
	rc = pl_acme_renewal_info(&t, o.directory, o.replaces, &ari, err,
				  sizeof err);
	if ((rc != PL_OK && err[0] == '\0') ||
	    (rc == PL_OK && ari.offered &&
	     (ari.end <= ari.start || ari.retry_after < 60 ||
	      ari.retry_after > 86400)))
		abort(); /* a window is a window; the next look is bounded */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, type[64], sentence[PL_ACME_ERR_MAX];
	pl_acme_problem_ctx_t ctx = { .name = "example.com", .token = "t",
				      .now = 1800000000 };
	uint8_t out[4096];
	char back[8192];
	time_t when;
	size_t n;

	if (size < 1 || size > 16384)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (pl_base64url_decode((const char *)data + 1, size - 1, out,
					sizeof out, &n) == PL_OK) {
			if (pl_base64url_encode(out, n, back, sizeof back) != PL_OK ||
			    strlen(back) != size - 1 ||
			    memcmp(back, data + 1, size - 1) != 0)
				abort(); /* one encoding per byte string */
		}
		break;
	case 1:
		text = malloc(size);
		if (text == NULL)
			return 0;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		pl_acme_problem_sentence(text, &ctx, sentence, sizeof sentence);
		pl_acme_problem_type(text, type, sizeof type);
		ctx.retry_after = text;
		(void)pl_acme_retry_after_seconds(text, ctx.now);
		(void)pl_acme_rfc3339(text, &when);
		free(text);
		break;
	default:
		conversation(data + 1, size - 1);
		break;
	}
	return 0;
}
