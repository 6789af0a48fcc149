/* Tests src/server/acme/ari.c and pl_x509_acme_cert_id (RFC 9773): the
 * certificate identifier of the RFC's own example certificate, RFC 3339
 * timestamps, the renewal time picked inside a window, and the renewal
 * information asked of a fake CA behind the transport: the URL it is
 * asked at, Retry-After kept within a minute and a day, and each error
 * (no window, a window that ends before it starts, 5xx, 404, no CA) with
 * when to ask again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/acme/acme.h"
#include "test.h"

#define NOW 1800000000

/* RFC 9773 Appendix A */
static const char example_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt\n"
	"cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS\n"
	"BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu\n"
	"7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf\n"
	"qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B\n"
	"yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb\n"
	"+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK\n"
	"-----END CERTIFICATE-----\n";

static pl_x509_chain_t *load(const char *pem)
{
	char path[] = "/tmp/padlock-test-ari-XXXXXX", why[256];
	int fd = mkstemp(path);
	pl_x509_chain_t *c = NULL;

	if (fd >= 0 && write(fd, pem, strlen(pem)) == (ssize_t)strlen(pem))
		c = pl_x509_chain_load_pem(path, why, sizeof why);
	if (fd >= 0)
		close(fd);
	unlink(path);
	return c;
}

static void cert_id_of_the_rfc_example(void)
{
	pl_x509_chain_t *c = load(example_pem);
	char id[128], small[20];

	CHECK(c != NULL);
	CHECK_EQ_INT(pl_x509_acme_cert_id(c, id, sizeof id), PL_OK);
	/* RFC 9773 4.1: the serial keeps its leading zero byte */
	CHECK_MSG(strcmp(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE") == 0,
		  "id: %s", id);
	CHECK_EQ_INT(pl_x509_acme_cert_id(c, small, sizeof small), PL_ERR_ARG);
	pl_x509_chain_free(c);
}

static void cert_without_aki_has_no_id(void)
{
	pl_x509_chain_t *c = NULL;
	pl_x509_san_t san;
	pl_pkey_t *key = NULL;
	char why[256], id[128] = "x";

	/* the challenge certificate is self-signed, without an AKI */
	CHECK_EQ_INT(pl_x509_san_parse("example.com", &san, why, sizeof why), PL_OK);
	CHECK_EQ_INT(pl_x509_acme_challenge_cert("example.com", "tok.thumb", NOW,
						 &c, &key), PL_OK);
	CHECK_EQ_INT(pl_x509_acme_cert_id(c, id, sizeof id), PL_ERR_ARG);
	CHECK(id[0] == '\0');
	pl_x509_chain_free(c);
	pl_pkey_free(key);
}

static void rfc3339_timestamps(void)
{
	time_t t = 0;

	CHECK(pl_acme_rfc3339("2025-01-02T04:00:00Z", &t) && t == 1735790400);
	CHECK(pl_acme_rfc3339("2025-01-02t04:00:00.123456z", &t) && t == 1735790400);
	CHECK(pl_acme_rfc3339("2025-01-02T06:30:00+02:30", &t) && t == 1735790400);
	CHECK(pl_acme_rfc3339("2025-01-01T23:00:00-05:00", &t) && t == 1735790400);
	CHECK(!pl_acme_rfc3339("2025-01-02T04:00:00", &t));   /* no offset */
	CHECK(!pl_acme_rfc3339("2025-01-02 04:00:00Z", &t));
	CHECK(!pl_acme_rfc3339("2025-13-02T04:00:00Z", &t));
	CHECK(!pl_acme_rfc3339("2025-01-02T04:00:00Zjunk", &t));
	CHECK(!pl_acme_rfc3339("2025-01-02T04:00:00.Z", &t));
	CHECK(!pl_acme_rfc3339("2025-1-02T04:00:00Z", &t));
	CHECK(!pl_acme_rfc3339("", &t));
	CHECK(!pl_acme_rfc3339(NULL, &t));
}

static void renewal_time_is_inside_the_window(void)
{
	pl_acme_ari_t a = { .offered = true, .start = NOW + 1000, .end = NOW + 2000 };

	CHECK_EQ_INT(pl_acme_ari_renew_at(&a, 0, NOW), NOW + 1000);
	CHECK_EQ_INT(pl_acme_ari_renew_at(&a, 0x80000000u, NOW), NOW + 1500);
	CHECK_EQ_INT(pl_acme_ari_renew_at(&a, 0xffffffffu, NOW), NOW + 1999);
	/* RFC 9773 4.2: a time already past means now */
	CHECK_EQ_INT(pl_acme_ari_renew_at(&a, 0, NOW + 1200), NOW + 1200);
	a.start = NOW - 500;
	a.end = NOW - 100;
	CHECK_EQ_INT(pl_acme_ari_renew_at(&a, 0x80000000u, NOW), NOW);
}

/* ---- a fake CA ----------------------------------------------------------------- */

struct fake {
	const char *dir_json;     /* the directory */
	int status;               /* of the renewal information */
	const char *body;
	const char *retry_after;
	bool down;
	char asked[512];          /* the renewal URL asked */
	int gets;
};

static int fake_request(void *arg, const char *method, const char *url,
			const char *content_type, const char *body,
			size_t body_len, pl_acme_response_t *r, char *err,
			size_t err_len)
{
	struct fake *f = arg;
	const char *text;

	CHECK(strcmp(method, "GET") == 0 && body == NULL);
	if (f->down) {
		snprintf(err, err_len, "connection refused");
		return PL_ERR_IO;
	}
	f->gets++;
	if (strcmp(url, "https://ca.test/dir") == 0) {
		r->status = 200;
		text = f->dir_json;
	} else {
		snprintf(f->asked, sizeof f->asked, "%s", url);
		r->status = f->status;
		text = f->body;
		snprintf(r->retry_after, sizeof r->retry_after, "%s",
			 f->retry_after ? f->retry_after : "");
	}
	snprintf(r->content_type, sizeof r->content_type, "application/json");
	r->body = strdup(text);
	r->body_len = strlen(text);
	return PL_OK;
}

static bool fake_sleep(void *arg, unsigned ms)
{
	return true;
}

static time_t fake_now(void *arg)
{
	return NOW;
}

#define DIR_ARI "{\"newNonce\":\"https://ca.test/n\",\"newAccount\":\"https://ca.test/a\"," \
		"\"newOrder\":\"https://ca.test/o\",\"renewalInfo\":\"https://ca.test/renewal-info\"}"
#define WINDOW "{\"suggestedWindow\":{\"start\":\"2025-01-02T04:00:00Z\"," \
	       "\"end\":\"2025-01-03T04:00:00Z\"},\"explanationURL\":\"https://ca.test/why\"}"

static int ask(struct fake *f, pl_acme_ari_t *a, char *err, size_t cap)
{
	pl_acme_transport_t t = { fake_request, fake_sleep, fake_now, f, NULL };

	return pl_acme_renewal_info(&t, "https://ca.test/dir",
				    "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", a, err, cap);
}

static void window_and_retry_after_from_the_ca(void)
{
	struct fake f = { .dir_json = DIR_ARI, .status = 200, .body = WINDOW,
			  .retry_after = "21600" };
	pl_acme_ari_t a;
	char err[PL_ACME_ERR_MAX];

	CHECK_EQ_INT(ask(&f, &a, err, sizeof err), PL_OK);
	CHECK(a.offered);
	CHECK(strcmp(f.asked, "https://ca.test/renewal-info/"
			      "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE") == 0);
	CHECK_EQ_INT(a.start, 1735790400);
	CHECK_EQ_INT(a.end, 1735790400 + 86400);
	CHECK_EQ_INT(a.retry_after, 21600);
	CHECK(strcmp(a.explanation, "https://ca.test/why") == 0);

	/* RFC 9773 4.3.2: within a minute and a day */
	f.retry_after = "5";
	CHECK_EQ_INT(ask(&f, &a, err, sizeof err), PL_OK);
	CHECK_EQ_INT(a.retry_after, 60);
	f.retry_after = "604800";
	CHECK_EQ_INT(ask(&f, &a, err, sizeof err), PL_OK);
	CHECK_EQ_INT(a.retry_after, 86400);
	/* an HTTP-date counts from now */
	f.retry_after = "Fri, 15 Jan 2027 10:00:00 GMT";
	CHECK_EQ_INT(ask(&f, &a, err, sizeof err), PL_OK);
	CHECK_EQ_INT(a.retry_after, 7200);
	/* none: six hours (RFC 9773 4.3.3) */
	f.retry_after = NULL;
	CHECK_EQ_INT(ask(&f, &a, err, sizeof err), PL_OK);
	CHECK_EQ_INT(a.retry_after, 6 * 3600);
}

static void a_ca_without_renewal_info_is_not_asked(void)
{
	struct fake f = { .dir_json = "{\"newNonce\":\"https://ca.test/n\"}",
			  .status = 200, .body = WINDOW, .retry_after = "60" };
	pl_acme_ari_t a;
	char err[PL_ACME_ERR_MAX];

	CHECK_EQ_INT(ask(&f, &a, err, sizeof err), PL_OK);
	CHECK(!a.offered);
	CHECK_EQ_INT(f.gets, 1); /* the directory only */
	CHECK(f.asked[0] == '\0');
}

static void errors_say_when_to_ask_again(void)
{
	struct fake f = { .dir_json = DIR_ARI, .status = 200,
			  .body = "{\"suggestedWindow\":{\"start\":"
				  "\"2025-01-03T04:00:00Z\",\"end\":"
				  "\"2025-01-02T04:00:00Z\"}}",
			  .retry_after = "60" };
	pl_acme_ari_t a;
	char err[PL_ACME_ERR_MAX];

	/* RFC 9773 4.2: a window that ends before it starts is no answer */
	CHECK_EQ_INT(ask(&f, &a, err, sizeof err), PL_ERR_DECODE);
	CHECK_MSG(strstr(err, "ends before it starts") != NULL, "err: %s", err);
	CHECK(!a.temporary && a.retry_after == 6 * 3600);

	f.body = "{\"suggestedWindow\":{\"start\":\"soon\",\"end\":\"later\"}}";
	CHECK_EQ_INT(ask(&f, &a, err, sizeof err), PL_ERR_DECODE);
	CHECK_MSG(strstr(err, "no suggestedWindow with RFC 3339") != NULL, "err: %s", err);

	f.status = 503;
	f.body = "{}";
	CHECK_EQ_INT(ask(&f, &a, err, sizeof err), PL_ERR_STATE);
	CHECK(a.temporary);
	CHECK_MSG(strstr(err, "answered HTTP 503 for the renewal information at "
			      "https://ca.test/renewal-info/aYhba") != NULL, "err: %s", err);

	f.status = 404;
	CHECK_EQ_INT(ask(&f, &a, err, sizeof err), PL_ERR_STATE);
	CHECK(!a.temporary && a.retry_after == 6 * 3600);

	f.down = true;
	CHECK_EQ_INT(ask(&f, &a, err, sizeof err), PL_ERR_IO);
	CHECK(a.temporary);
	CHECK_MSG(strstr(err, "cannot reach the ACME CA at https://ca.test/dir") != NULL,
		  "err: %s", err);
}

/* Failed renewals: warnings while the served certificate has more than
 * 7 days left, errors from then on (and when there is none), retried
 * 15 s doubling to an hour unless the CA asked for longer. */
static void failures_escalate_to_errors_a_week_before_expiry(void)
{
	const time_t now = 1800000000, day = 86400;

	CHECK(!pl_acme_failure_urgent(now + 30 * day, now));
	CHECK(!pl_acme_failure_urgent(now + 7 * day, now));
	CHECK(pl_acme_failure_urgent(now + 7 * day - 1, now));
	CHECK(pl_acme_failure_urgent(now + day, now));
	CHECK(pl_acme_failure_urgent(now - day, now));
	CHECK(pl_acme_failure_urgent(0, now));
	CHECK_EQ_INT(pl_acme_retry_wait(0, 0), 15);
	CHECK_EQ_INT(pl_acme_retry_wait(1, 0), 30);
	CHECK_EQ_INT(pl_acme_retry_wait(7, 0), 1920);
	CHECK_EQ_INT(pl_acme_retry_wait(8, 0), 3600);
	CHECK_EQ_INT(pl_acme_retry_wait(100, 0), 3600);
	CHECK_EQ_INT(pl_acme_retry_wait(0, 7200), 7200);
	CHECK_EQ_INT(pl_acme_retry_wait(3, 60), 120);
}

int main(void)
{
	RUN(cert_id_of_the_rfc_example);
	RUN(cert_without_aki_has_no_id);
	RUN(rfc3339_timestamps);
	RUN(renewal_time_is_inside_the_window);
	RUN(window_and_retry_after_from_the_ca);
	RUN(a_ca_without_renewal_info_is_not_asked);
	RUN(errors_say_when_to_ask_again);
	RUN(failures_escalate_to_errors_a_week_before_expiry);
	return test_finish();
}
