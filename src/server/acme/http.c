/*
 * The ACME transport over padlock's own HTTPS client: one TLS connection
 * per request (ACME asks a handful of times a day), the CA's certificate
 * verified against the system's roots or --acme-ca-root. It offers h2 and
 * http/1.1 in ALPN and speaks what the CA chooses (pl_client_fetch).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "padlock/client.h"
#include "padlock/x509.h"
#include "server/acme/acme.h"

#define CONNECT_TIMEOUT_MS 10000
#define IO_TIMEOUT_MS 30000
/* The largest body kept: a certificate chain or a JSON object is a few
 * KiB; a CA sending more is broken. */
#define BODY_MAX (1 << 20)

struct body {
	char *data; /* NUL-terminated */
	size_t len;
};

int pl_acme_http_init(pl_acme_http_t *h, const char *ca_root, char *err,
		      size_t err_len)
{
	pl_x509_store_t *store;

	memset(h, 0, sizeof *h);
	store = pl_x509_store_new(ca_root, NULL, err, err_len);
	if (store == NULL)
		return PL_ERR_IO;
	h->cfg = pl_tls_config_new(false);
	if (h->cfg == NULL || pl_tls_config_set_alpn(h->cfg, "h2,http/1.1") != PL_OK) {
		pl_x509_store_free(store);
		pl_acme_http_free(h);
		snprintf(err, err_len, "out of memory");
		return PL_ERR_NOMEM;
	}
	pl_tls_config_set_trust(h->cfg, store);
	return PL_OK;
}

void pl_acme_http_free(pl_acme_http_t *h)
{
	pl_tls_config_free(h->cfg);
	h->cfg = NULL;
}

static void copy_header(const pl_client_response_t *r, const char *name,
			char *out, size_t cap)
{
	const char *v = pl_client_header(r, name);

	snprintf(out, cap, "%s", v != NULL ? v : "");
}

static int keep_body(void *arg, const uint8_t *data, size_t len, char *err,
		     size_t err_len)
{
	struct body *b = arg;
	char *more;

	if (len > BODY_MAX - b->len)
		return pl_acme_say(err, err_len, PL_ERR_DECODE, "the CA's "
				   "response is larger than %d bytes", BODY_MAX);
	more = realloc(b->data, b->len + len + 1);
	if (more == NULL)
		return pl_acme_say(err, err_len, PL_ERR_NOMEM, "out of memory");
	memcpy(more + b->len, data, len);
	b->data = more;
	b->len += len;
	b->data[b->len] = '\0';
	return PL_OK;
}

static int exchange(pl_acme_http_t *h, pl_client_io_t *io,
		    const pl_client_url_t *url, pl_client_request_t *req,
		    pl_acme_response_t *out)
{
	pl_client_response_t *r = malloc(sizeof *r);
	struct body b = { NULL, 0 };
	int rc;

	if (r == NULL)
		return PL_ERR_NOMEM;
	req->on_body = keep_body;
	req->arg = &b;
	rc = pl_client_handshake(io);
	if (rc == PL_OK) {
		h->protocol = pl_client_protocol(io);
		rc = pl_client_fetch(io, url, req, r);
	}
	if (rc == PL_OK && b.data == NULL)
		b.data = calloc(1, 1);
	if (rc == PL_OK && b.data == NULL)
		rc = PL_ERR_NOMEM;
	if (rc == PL_OK) {
		out->status = r->status;
		out->body = b.data;
		out->body_len = b.len;
		copy_header(r, "Content-Type", out->content_type,
			    sizeof out->content_type);
		copy_header(r, "Location", out->location, sizeof out->location);
		copy_header(r, "Replay-Nonce", out->nonce, sizeof out->nonce);
		copy_header(r, "Retry-After", out->retry_after,
			    sizeof out->retry_after);
	} else {
		free(b.data);
	}
	free(r);
	return rc;
}

static int request(void *arg, const char *method, const char *url_text,
		   const char *content_type, const char *body, size_t body_len,
		   pl_acme_response_t *out, char *err, size_t err_len)
{
	pl_acme_http_t *h = arg;
	pl_client_connect_opts_t copts = { .timeout_ms = CONNECT_TIMEOUT_MS };
	pl_client_request_t req = { .method = method,
				    .content_type = content_type,
				    .body = (const uint8_t *)body,
				    .body_len = body_len };
	pl_client_io_t io = { .fd = -1, .timeout_ms = IO_TIMEOUT_MS };
	pl_client_url_t url;
	int rc;

	if (strncmp(url_text, "https://", 8) != 0)
		return pl_acme_say(err, err_len, PL_ERR_ARG, "%s is not an https:// URL",
				url_text);
	rc = pl_client_parse_url(url_text, &url, err, err_len);
	if (rc == PL_OK)
		rc = pl_client_connect(url.host, url.port, &copts, &io.fd, NULL, 0,
				       err, err_len);
	if (rc != PL_OK)
		return rc;
	io.tls = pl_tls_conn_new(h->cfg, url.host);
	rc = io.tls != NULL ? exchange(h, &io, &url, &req, out) : PL_ERR_NOMEM;
	if (rc != PL_OK)
		snprintf(err, err_len, "%s", io.tls ? io.err : "out of memory");
	else
		pl_client_close(&io);
	pl_tls_conn_free(io.tls);
	close(io.fd);
	return rc;
}

/* The ACME process ends by SIGTERM's default action (its files are
 * renamed into place whole), so a wait is never cut short. */
static bool sleep_ms(void *arg, unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
	return true;
}

static time_t now(void *arg)
{
	return time(NULL);
}

static uint64_t monotonic_ms(void *arg)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void pl_acme_http_transport(pl_acme_http_t *h, pl_acme_transport_t *t)
{
	t->request = request;
	t->sleep_ms = sleep_ms;
	t->now = now;
	t->arg = h;
	t->monotonic_ms = monotonic_ms;
}
