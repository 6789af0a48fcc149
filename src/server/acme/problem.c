/*
 * Problem documents (RFC 8555 6.7, RFC 7807) turned into one sentence a
 * site owner can act on: what the CA said, in its words, and what to do
 * about it. The CA's detail is untrusted text: it is quoted with anything
 * unprintable escaped before it reaches a log line.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/acme/acme.h"

#define ACME_URN "urn:ietf:params:acme:error:"

/* Printable ASCII of in, the rest as \xNN, "..." when cut. */
static void quote(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; in != NULL && *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;
		char esc[5];
		size_t n = 1;

		if (c >= 0x20 && c < 0x7f)
			esc[0] = (char)c;
		else
			n = (size_t)snprintf(esc, sizeof esc, "\\x%02x", c);
		if (o + n + 4 >= cap) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = '\0';
}

const char *pl_acme_problem_type(const char *json, char *out, size_t cap)
{
	json_t *doc = json != NULL ? json_loads(json, 0, NULL) : NULL;
	const char *type = json_string_value(json_object_get(doc, "type"));

	out[0] = '\0';
	if (type != NULL && strncmp(type, ACME_URN, strlen(ACME_URN)) == 0)
		quote(type + strlen(ACME_URN), out, cap);
	else if (type != NULL)
		quote(type, out, cap);
	json_decref(doc);
	return out;
}

long pl_acme_retry_after_seconds(const char *value, time_t now)
{
	struct tm tm;
	char *end;
	long n;

	if (value == NULL || value[0] == '\0')
		return 0;
	/* RFC 9110 10.2.3: delta-seconds or an HTTP-date */
	n = strtol(value, &end, 10);
	if (end != value && *end == '\0')
		return n > 0 ? n : 0;
	memset(&tm, 0, sizeof tm);
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return 0;
	n = (long)(timegm(&tm) - now);
	return n > 0 ? n : 0;
}

/* "in 2 hours (at 2026-12-08 01:00 UTC)", or "later" without a time. */
static void when(const pl_acme_problem_ctx_t *ctx, char *out, size_t cap)
{
	long s = pl_acme_retry_after_seconds(ctx->retry_after, ctx->now);
	time_t at = ctx->now + s;
	struct tm tm;
	char stamp[32];

	if (s <= 0) {
		snprintf(out, cap, "later (the CA said not when)");
		return;
	}
	gmtime_r(&at, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M UTC", &tm);
	if (s < 120)
		snprintf(out, cap, "in %ld seconds (at %s)", s, stamp);
	else if (s < 7200)
		snprintf(out, cap, "in %ld minutes (at %s)", s / 60, stamp);
	else
		snprintf(out, cap, "in %ld hours (at %s)", s / 3600, stamp);
}

/* The CA could not validate the challenge: say which URL or port it
 * tried and how to check it from outside. */
static void unreachable(const pl_acme_problem_ctx_t *ctx, const char *detail,
			char *out, size_t cap)
{
	const char *name = ctx->name != NULL ? ctx->name : "the name";

	if (ctx->token != NULL && ctx->challenge == PL_ACME_TLSALPN01)
		snprintf(out, cap,
			 "the CA could not validate %s over TLS on port 443 "
			 "with ALPN acme-tls/1 (%s) — is port 443 open and "
			 "does %s point to this server? try `padlock check %s`",
			 name, detail, name, name);
	else
		snprintf(out, cap,
			 "the CA could not reach http://%s/.well-known/"
			 "acme-challenge/%s (%s) — is port 80 open? try "
			 "`padlock check %s`",
			 name, ctx->token != NULL ? ctx->token : "...", detail,
			 name);
}

static void sentence(const char *type, const char *detail,
		     const pl_acme_problem_ctx_t *ctx, char *out, size_t cap)
{
	const char *name = ctx->name != NULL ? ctx->name : "this name";
	char at[96];

	if (strcmp(type, "unauthorized") == 0 || strcmp(type, "connection") == 0 ||
	    strcmp(type, "incorrectResponse") == 0 || strcmp(type, "dns") == 0 ||
	    strcmp(type, "tls") == 0) {
		unreachable(ctx, detail, out, cap);
	} else if (strcmp(type, "rateLimited") == 0) {
		when(ctx, at, sizeof at);
		snprintf(out, cap,
			 "the CA's rate limit was reached (%s): padlock retries "
			 "%s; while testing, use a staging CA (--acme-ca)",
			 detail, at);
	} else if (strcmp(type, "rejectedIdentifier") == 0 ||
		   strcmp(type, "unsupportedIdentifier") == 0) {
		snprintf(out, cap,
			 "the CA will not issue a certificate for %s (%s): a "
			 "public CA issues only for registered public names; "
			 "remove it from --domain or use `padlock cert` for it",
			 name, detail);
	} else if (strcmp(type, "externalAccountRequired") == 0) {
		snprintf(out, cap,
			 "the CA requires external account binding (%s): give "
			 "--acme-eab-kid and --acme-eab-hmac-key from your "
			 "account at the CA",
			 detail);
	} else if (strcmp(type, "caa") == 0) {
		snprintf(out, cap,
			 "the CAA records of %s forbid this CA (%s): add one "
			 "that allows it, or choose another CA (--acme-ca)",
			 name, detail);
	} else if (strcmp(type, "userActionRequired") == 0) {
		snprintf(out, cap,
			 "the CA wants you to act (%s): read %s, then pass "
			 "--acme-agree-tos again",
			 detail, ctx->terms != NULL ? ctx->terms : "its terms of service");
	} else if (strcmp(type, "invalidContact") == 0 ||
		   strcmp(type, "unsupportedContact") == 0) {
		snprintf(out, cap,
			 "the CA refuses the contact address (%s): give a "
			 "working address with --acme-email",
			 detail);
	} else if (strcmp(type, "unauthorizedAccount") == 0 ||
		   strcmp(type, "accountDoesNotExist") == 0) {
		snprintf(out, cap,
			 "the CA does not know this account (%s): move the "
			 "account key out of the state directory to make a "
			 "new one",
			 detail);
	} else if (strcmp(type, "serverInternal") == 0) {
		snprintf(out, cap,
			 "the CA failed internally (%s): padlock retries later",
			 detail);
	} else {
		snprintf(out, cap, "the CA refused the request: %s: %s",
			 type[0] ? type : "no problem type", detail);
	}
}

void pl_acme_problem_sentence(const char *json, const pl_acme_problem_ctx_t *ctx,
			      char *out, size_t cap)
{
	json_t *doc = json != NULL ? json_loads(json, 0, NULL) : NULL;
	json_t *sub = json_array_get(json_object_get(doc, "subproblems"), 0);
	pl_acme_problem_ctx_t c = *ctx;
	const char *d;
	char type[96], detail[300];

	if (!json_is_object(doc)) {
		snprintf(out, cap, "the CA answered with an error that is not a "
				   "problem document");
		json_decref(doc);
		return;
	}
	/* RFC 8555 6.7.1: a subproblem names the identifier that failed */
	if (json_is_object(sub)) {
		const char *v = json_string_value(
			json_object_get(json_object_get(sub, "identifier"), "value"));
		if (v != NULL)
			c.name = v;
	}
	pl_acme_problem_type(json, type, sizeof type);
	d = json_string_value(json_object_get(json_is_object(sub) ? sub : doc,
					      "detail"));
	if (d == NULL)
		d = json_string_value(json_object_get(doc, "detail"));
	quote(d != NULL ? d : "no detail", detail, sizeof detail);
	sentence(type, detail, &c, out, cap);
	json_decref(doc);
}
