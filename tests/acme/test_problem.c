/* Tests src/server/acme/problem.c: each problem type a CA sends becomes
 * one sentence with its fix; the CA's text is quoted safely; subproblems
 * name the identifier; Retry-After in both of its forms. */
#include <string.h>

#include "server/acme/acme.h"
#include "test.h"

#define NOW 1800000000 /* 2027-01-15 08:00 UTC */

static void say(const char *json, const pl_acme_problem_ctx_t *ctx, char *out,
		size_t cap)
{
	pl_acme_problem_sentence(json, ctx, out, cap);
}

static void unreachable_http01_names_the_url_and_the_check(void)
{
	pl_acme_problem_ctx_t ctx = { .name = "example.com", .token = "T0k",
				      .challenge = PL_ACME_HTTP01, .now = NOW };
	char out[768];

	say("{\"type\":\"urn:ietf:params:acme:error:connection\","
	    "\"detail\":\"Connection refused\"}", &ctx, out, sizeof out);
	CHECK_MSG(strcmp(out, "the CA could not reach http://example.com/"
			      ".well-known/acme-challenge/T0k (Connection "
			      "refused) — is port 80 open? try `padlock check "
			      "example.com`") == 0, "%s", out);
	ctx.challenge = PL_ACME_TLSALPN01;
	say("{\"type\":\"urn:ietf:params:acme:error:unauthorized\","
	    "\"detail\":\"x\"}", &ctx, out, sizeof out);
	CHECK_MSG(strstr(out, "over TLS on port 443 with ALPN acme-tls/1") != NULL,
		  "%s", out);
}

static void rate_limited_says_when(void)
{
	pl_acme_problem_ctx_t ctx = { .retry_after = "7200", .now = NOW };
	char out[768];

	say("{\"type\":\"urn:ietf:params:acme:error:rateLimited\","
	    "\"detail\":\"too many certificates\"}", &ctx, out, sizeof out);
	CHECK_MSG(strstr(out, "in 2 hours (at 2027-01-15 10:00 UTC)") != NULL,
		  "%s", out);
	ctx.retry_after = NULL;
	say("{\"type\":\"urn:ietf:params:acme:error:rateLimited\"}", &ctx, out,
	    sizeof out);
	CHECK_MSG(strstr(out, "later (the CA said not when)") != NULL, "%s", out);
}

static void retry_after_reads_seconds_and_dates(void)
{
	CHECK_EQ_INT(pl_acme_retry_after_seconds("120", NOW), 120);
	CHECK_EQ_INT(pl_acme_retry_after_seconds("Fri, 15 Jan 2027 08:01:00 GMT",
						 NOW), 60);
	CHECK_EQ_INT(pl_acme_retry_after_seconds("Fri, 15 Jan 2027 07:00:00 GMT",
						 NOW), 0);
	CHECK_EQ_INT(pl_acme_retry_after_seconds("soon", NOW), 0);
	CHECK_EQ_INT(pl_acme_retry_after_seconds("-5", NOW), 0);
	CHECK_EQ_INT(pl_acme_retry_after_seconds("", NOW), 0);
}

static void refused_name_and_eab_and_caa(void)
{
	pl_acme_problem_ctx_t ctx = { .name = "blocked.example.org", .now = NOW };
	char out[768];

	say("{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\","
	    "\"detail\":\"policy forbids\"}", &ctx, out, sizeof out);
	CHECK_MSG(strstr(out, "will not issue a certificate for "
			      "blocked.example.org (policy forbids)") != NULL,
		  "%s", out);
	say("{\"type\":\"urn:ietf:params:acme:error:externalAccountRequired\"}",
	    &ctx, out, sizeof out);
	CHECK(strstr(out, "--acme-eab-kid and --acme-eab-hmac-key") != NULL);
	say("{\"type\":\"urn:ietf:params:acme:error:caa\",\"detail\":\"d\"}",
	    &ctx, out, sizeof out);
	CHECK(strstr(out, "CAA records of blocked.example.org") != NULL);
}

static void subproblem_names_the_identifier(void)
{
	pl_acme_problem_ctx_t ctx = { .name = "first.example.org", .now = NOW };
	char out[768];

	say("{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\","
	    "\"detail\":\"some names\",\"subproblems\":[{\"type\":"
	    "\"urn:ietf:params:acme:error:rejectedIdentifier\",\"detail\":"
	    "\"this one\",\"identifier\":{\"type\":\"dns\",\"value\":"
	    "\"second.example.org\"}}]}", &ctx, out, sizeof out);
	CHECK_MSG(strstr(out, "for second.example.org (this one)") != NULL, "%s", out);
}

static void ca_text_is_quoted_and_unknown_types_pass_through(void)
{
	pl_acme_problem_ctx_t ctx = { .now = NOW };
	char out[768], type[64];

	say("{\"type\":\"urn:ietf:params:acme:error:badCSR\","
	    "\"detail\":\"bad\\u001b[31m\\nline\"}", &ctx, out, sizeof out);
	CHECK_MSG(strcmp(out, "the CA refused the request: badCSR: "
			      "bad\\x1b[31m\\x0aline") == 0, "%s", out);
	say("not json", &ctx, out, sizeof out);
	CHECK(strstr(out, "not a problem document") != NULL);
	CHECK(strcmp(pl_acme_problem_type("{\"type\":\"about:blank\"}", type,
					  sizeof type), "about:blank") == 0);
	CHECK(strcmp(pl_acme_problem_type("[]", type, sizeof type), "") == 0);
}

int main(void)
{
	RUN(unreachable_http01_names_the_url_and_the_check);
	RUN(rate_limited_says_when);
	RUN(retry_after_reads_seconds_and_dates);
	RUN(refused_name_and_eab_and_caa);
	RUN(subproblem_names_the_identifier);
	RUN(ca_text_is_quoted_and_unknown_types_pass_through);
	return test_finish();
}
