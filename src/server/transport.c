/*
 * The two transports of a connection (conn.h): plain bytes (the redirect
 * listener, and HTTP sent to the TLS port) and TLS through the engine.
 * The connection code moves bytes between the socket and these; what the
 * bytes mean is the protocol's business (http1.c).
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/conn.h"

/* ---- plain ------------------------------------------------------------------ */

static int plain_receive(pl_srv_conn_t *c, const uint8_t *p, size_t n)
{
	pl_push_bytes(&c->in, p, n);
	return pl_buf_error(&c->in);
}

static bool plain_ready(const pl_srv_conn_t *c)
{
	(void)c;
	return true;
}

static int plain_send(pl_srv_conn_t *c, const void *p, size_t n)
{
	pl_push_bytes(&c->out, p, n);
	return pl_buf_error(&c->out);
}

static const uint8_t *plain_output(pl_srv_conn_t *c, size_t *len)
{
	*len = pl_buf_size(&c->out);
	return pl_buf_head(&c->out);
}

static void plain_sent(pl_srv_conn_t *c, size_t n)
{
	pl_buf_consume(&c->out, n);
}

static void plain_nothing(pl_srv_conn_t *c)
{
	(void)c;
}

static void plain_shrink(pl_srv_conn_t *c)
{
	if (pl_buf_size(&c->out) == 0)
		pl_buf_free(&c->out);
}

static void plain_describe(const pl_srv_conn_t *c, pl_http_conninfo_t *info)
{
	memset(info, 0, sizeof(*info));
	info->peer = c->peer;
	info->tls_version = info->suite = info->group = info->sigscheme = "";
	info->sni = info->alpn = "";
}

static void plain_free(pl_srv_conn_t *c)
{
	pl_buf_free(&c->out);
}

const pl_srv_transport_t pl_srv_transport_plain = {
	.name = "plain",
	.secure = false,
	.receive = plain_receive,
	.ready = plain_ready,
	.send = plain_send,
	.output = plain_output,
	.sent = plain_sent,
	.shutdown = plain_nothing,
	.shrink = plain_shrink,
	.describe = plain_describe,
	.free = plain_free,
};

/* ---- TLS -------------------------------------------------------------------- */

static void tls_failed(pl_srv_conn_t *c)
{
	int alert = pl_tls_alert(c->tls);
	PL_SRV_LOG_LIMITED(PL_SRV_LOG_INFO, "%s: TLS %s: %s (alert %s %s)",
			   c->peer,
			   pl_tls_handshake_done(c->tls) ? "error"
							 : "handshake failed",
			   pl_tls_reason(c->tls), pl_tls_alert_name(alert),
			   pl_tls_alert_received(c->tls) ? "received" : "sent");
}

static int tls_receive(pl_srv_conn_t *c, const uint8_t *p, size_t n)
{
	size_t got;
	int ret;
	if (pl_tls_feed(c->tls, p, n) != PL_OK) {
		tls_failed(c);
		return PL_ERR_IO;
	}
	if (!pl_tls_handshake_done(c->tls))
		return PL_OK; /* no application data before the handshake */
	/* Decrypted straight into the request buffer: no copy on the stack
	 * that would need wiping. */
	for (;;) {
		if ((ret = pl_buf_reserve(&c->in, 4096)) != PL_OK)
			return ret;
		ret = pl_tls_read(c->tls, c->in.data + c->in.len,
				  c->in.cap - c->in.len, &got);
		if (ret == PL_ERR_CLOSED)
			return ret;
		if (ret != PL_OK) {
			tls_failed(c);
			return ret;
		}
		if (got == 0)
			return PL_OK;
		c->in.len += got;
		pl_buf_grew(&c->in);
	}
}

static bool tls_ready(const pl_srv_conn_t *c)
{
	return pl_tls_handshake_done(c->tls);
}

static int tls_send(pl_srv_conn_t *c, const void *p, size_t n)
{
	return pl_tls_write(c->tls, p, n);
}

static const uint8_t *tls_output(pl_srv_conn_t *c, size_t *len)
{
	return pl_tls_output(c->tls, len);
}

static void tls_sent(pl_srv_conn_t *c, size_t n)
{
	pl_tls_output_consumed(c->tls, n);
}

static void tls_shutdown(pl_srv_conn_t *c)
{
	if (pl_tls_handshake_done(c->tls))
		(void)pl_tls_close(c->tls);
}

static void tls_shrink(pl_srv_conn_t *c)
{
	/* The engine drops its empty record buffers: an idle connection
	 * keeps its keys and little else. */
	pl_tls_conn_shrink(c->tls);
}

static const char *tls_version_name(uint16_t v)
{
	return v == PL_TLS_VERSION_13 ? "TLS 1.3" : v == PL_TLS_VERSION_12 ? "TLS 1.2" : "";
}

static void tls_describe(const pl_srv_conn_t *c, pl_http_conninfo_t *info)
{
	const pl_tls_conn_t *t = c->tls;
	memset(info, 0, sizeof(*info));
	info->peer = c->peer;
	info->tls_version = tls_version_name(pl_tls_version(t));
	info->suite = pl_tls_suite_name(pl_tls_suite(t));
	info->group = pl_tls_group_name(pl_tls_group(t));
	info->sigscheme = pl_tls_sigscheme_name(pl_tls_sigscheme(t));
	info->sni = pl_tls_sni(t);
	info->alpn = pl_tls_alpn(t);
	info->hello_retry = pl_tls_did_hello_retry(t);
	if (c->steps) {
		info->step_text = (const char *const *)c->steps->text;
		info->step_us = c->steps->us;
		info->n_steps = c->steps->n;
	}
}

static void tls_free(pl_srv_conn_t *c)
{
	pl_tls_conn_free(c->tls);
	c->tls = NULL;
	for (size_t i = 0; c->steps && i < c->steps->n; i++)
		free(c->steps->text[i]);
	free(c->steps);
	c->steps = NULL;
}

const pl_srv_transport_t pl_srv_transport_tls = {
	.name = "TLS",
	.secure = true,
	.receive = tls_receive,
	.ready = tls_ready,
	.send = tls_send,
	.output = tls_output,
	.sent = tls_sent,
	.shutdown = tls_shutdown,
	.shrink = tls_shrink,
	.describe = tls_describe,
	.free = tls_free,
};

void pl_srv_trace_step(void *arg, const pl_tls_conn_t *tls,
		       pl_tls_step_t step, const char *text)
{
	pl_srv_conn_t *c = pl_tls_conn_user(tls);
	(void)arg;
	(void)step;
	if (c == NULL)
		return;
	if (c->steps == NULL &&
	    (c->steps = calloc(1, sizeof(*c->steps))) == NULL)
		return;
	pl_srv_steps_t *st = c->steps;
	if (st->n == PL_SRV_MAX_STEPS)
		return;
	char *copy = strdup(text);
	if (copy == NULL)
		return;
	st->text[st->n] = copy;
	st->us[st->n] = (uint32_t)(pl_srv_now_us() - c->accepted_us);
	st->n++;
}
