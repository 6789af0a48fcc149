/*
 * ACME Renewal Information (RFC 9773): the CA says when to renew. A CA
 * that offers it names a renewalInfo URL in its directory; an
 * unauthenticated GET of that URL, '/', and the certificate's identifier
 * (pl_x509_acme_cert_id) answers with a suggested window and, in
 * Retry-After, when to ask again. The ACME process (process.c) renews at
 * a uniform random time inside the window and sends the identifier as
 * "replaces" in the new order (client.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/acme/session.h"

/* RFC 9773 4.3.2: "reasonable limits" on the checking interval */
#define LOOK_MIN_S 60
#define LOOK_MAX_S 86400
/* RFC 9773 4.3.3: after a long-term error, ask again in six hours */
#define LONG_TERM_S (6 * 3600)

/* n decimal digits at *p, advancing it; -1 when they are not there. */
static int digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

static bool expect_char(const char **p, const char *one_of)
{
	if (**p == '\0' || strchr(one_of, **p) == NULL)
		return false;
	(*p)++;
	return true;
}

bool pl_acme_rfc3339(const char *text, time_t *out)
{
	const char *p = text;
	struct tm tm = { 0 };
	int offset = 0, sign = 0, oh, om;
	time_t t;

	if (text == NULL)
		return false;
	/* RFC 3339 5.6: date-time = full-date "T" full-time */
	tm.tm_year = digits(&p, 4);
	if (tm.tm_year < 0 || !expect_char(&p, "-") ||
	    (tm.tm_mon = digits(&p, 2)) < 1 || tm.tm_mon > 12 ||
	    !expect_char(&p, "-") || (tm.tm_mday = digits(&p, 2)) < 1 ||
	    tm.tm_mday > 31 || !expect_char(&p, "Tt") ||
	    (tm.tm_hour = digits(&p, 2)) < 0 || tm.tm_hour > 23 ||
	    !expect_char(&p, ":") || (tm.tm_min = digits(&p, 2)) < 0 ||
	    tm.tm_min > 59 || !expect_char(&p, ":") ||
	    (tm.tm_sec = digits(&p, 2)) < 0 || tm.tm_sec > 60)
		return false;
	if (*p == '.') { /* time-secfrac: kept to the second */
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (expect_char(&p, "Zz")) {
		sign = 0;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		oh = digits(&p, 2);
		if (oh < 0 || oh > 23 || !expect_char(&p, ":") ||
		    (om = digits(&p, 2)) < 0 || om > 59)
			return false;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return false;
	}
	if (*p != '\0')
		return false;
	if (tm.tm_sec == 60) /* a leap second: the next one will do */
		tm.tm_sec = 59;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*out = t - offset;
	return true;
}

time_t pl_acme_ari_renew_at(const pl_acme_ari_t *a, uint32_t random, time_t now)
{
	/* RFC 9773 4.2: a uniform random time within the window; one in
	 * the past means now */
	time_t at = a->start + (time_t)(((unsigned long long)(a->end - a->start) *
					 random) >> 32);

	return at < now ? now : at;
}

static long look_again(const pl_acme_response_t *r, time_t now)
{
	long after = pl_acme_retry_after_seconds(r->retry_after, now);

	if (after <= 0)
		return LONG_TERM_S;
	return after < LOOK_MIN_S ? LOOK_MIN_S : after > LOOK_MAX_S ? LOOK_MAX_S : after;
}

static int renewal_url(pl_acme_session_t *s, json_t *dir, const char *cert_id,
		       char *url, size_t cap, bool *offered)
{
	const char *base = json_string_value(json_object_get(dir, "renewalInfo"));
	size_t len;
	int n;

	*offered = base != NULL;
	if (base == NULL)
		return PL_OK;
	len = strlen(base);
	n = snprintf(url, cap, "%s%s%s", base,
		     len > 0 && base[len - 1] == '/' ? "" : "/", cert_id);
	if (n < 0 || (size_t)n >= cap)
		return pl_acme_fail(s, PL_ERR_DECODE, "the ACME CA's renewalInfo "
				    "URL is too long");
	return PL_OK;
}

static int read_window(pl_acme_session_t *s, const char *url,
		       const pl_acme_response_t *r, pl_acme_ari_t *out)
{
	json_t *doc = r->body ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
	json_t *w = json_object_get(doc, "suggestedWindow");
	const char *why = json_string_value(json_object_get(doc, "explanationURL"));
	int rc = PL_OK;

	if (!pl_acme_rfc3339(json_string_value(json_object_get(w, "start")),
			     &out->start) ||
	    !pl_acme_rfc3339(json_string_value(json_object_get(w, "end")),
			     &out->end))
		rc = pl_acme_fail(s, PL_ERR_DECODE, "the ACME CA's renewal "
				  "information at %s has no suggestedWindow "
				  "with RFC 3339 start and end", url);
	/* RFC 9773 4.2: such a window is as good as no answer */
	else if (out->end <= out->start)
		rc = pl_acme_fail(s, PL_ERR_DECODE, "the ACME CA's renewal "
				  "window at %s ends before it starts", url);
	if (rc == PL_OK && why != NULL)
		snprintf(out->explanation, sizeof out->explanation, "%s", why);
	json_decref(doc);
	return rc;
}

int pl_acme_renewal_info(const pl_acme_transport_t *t, const char *directory,
			 const char *cert_id, pl_acme_ari_t *out, char *err,
			 size_t err_len)
{
	pl_acme_session_t s = { .t = t, .err = err, .err_len = err_len };
	pl_acme_response_t r = { 0 };
	char url[PL_ACME_URL_MAX];
	json_t *dir = NULL;
	char why[PL_ACME_ERR_MAX];
	time_t now = t->now(t->arg);
	int rc;

	memset(out, 0, sizeof *out);
	out->retry_after = LONG_TERM_S;
	err[0] = '\0';
	rc = pl_acme_get_json(&s, directory, &dir);
	if (rc == PL_OK)
		rc = renewal_url(&s, dir, cert_id, url, sizeof url, &out->offered);
	json_decref(dir);
	if (rc != PL_OK || !out->offered) {
		out->temporary = rc == PL_ERR_IO;
		return rc;
	}
	rc = t->request(t->arg, "GET", url, NULL, NULL, 0, &r, why, sizeof why);
	if (rc != PL_OK) {
		out->temporary = true;
		rc = pl_acme_fail(&s, PL_ERR_IO, "cannot reach the ACME CA's "
				  "renewal information at %s: %s", url, why);
	} else if (r.status != 200) {
		/* RFC 9773 4.3.3: a 5xx is temporary, the rest long-term */
		out->temporary = r.status >= 500;
		rc = pl_acme_fail(&s, PL_ERR_STATE, "the ACME CA answered HTTP "
				  "%d for the renewal information at %s",
				  r.status, url);
	} else {
		rc = read_window(&s, url, &r, out);
		if (rc == PL_OK)
			out->retry_after = look_again(&r, now);
	}
	pl_acme_response_clear(&r);
	return rc;
}
