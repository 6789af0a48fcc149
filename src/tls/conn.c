/*
 * The public connection API: creation, input (record framing and
 * dispatch), output, application data, failure and state queries.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls_int.h"

int pl_tls_set_string(char **dst, const void *src, size_t n)
{
	char *p = malloc(n + 1);
	if (p == NULL)
		return PL_ERR_NOMEM;
	memcpy(p, src, n);
	p[n] = 0;
	free(*dst);
	*dst = p;
	return PL_OK;
}

pl_tls_conn_t *pl_tls_conn_new(const pl_tls_config_t *cfg,
			       const char *server_name)
{
	if (cfg == NULL)
		return NULL;
	pl_tls_conn_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->hs = calloc(1, sizeof(*c->hs));
	c->cfg = cfg;
	c->is_server = cfg->is_server;
	c->state = cfg->is_server ? ST_HANDSHAKE : ST_CLIENT_START;
	c->alert = -1;
	c->peer_record_limit = PL_TLS_MAX_PLAINTEXT + 1;
	if (c->hs == NULL ||
	    (!c->is_server && server_name != NULL && server_name[0] &&
	     (strlen(server_name) > 255 ||
	      pl_tls_set_string(&c->server_name, server_name,
				strlen(server_name))))) {
		pl_tls_conn_free(c);
		return NULL;
	}
	return c;
}

void pl_tls_handshake_cleanup(pl_tls_conn_t *c)
{
	pl_tls_hs_t *hs = c->hs;
	if (hs == NULL)
		return;
	pl_hash_free(hs->transcript);
	pl_buf_free(&hs->transcript_raw);
	pl_buf_free(&hs->psk_identity);
	for (size_t i = 0; i < hs->n_shares; i++)
		pl_tls_share_free(&hs->shares[i]);
	free(hs->cert_request_context);
	pl_cleanse(hs, sizeof(*hs));
	free(hs);
	c->hs = NULL;
}

void pl_tls_conn_free(pl_tls_conn_t *c)
{
	if (c == NULL)
		return;
	pl_tls_handshake_cleanup(c);
	pl_buf_free(&c->in);
	pl_buf_free(&c->out);
	pl_buf_free(&c->app_in);
	pl_buf_free(&c->hs_in);
	pl_buf_free(&c->hs_out);
	pl_tls_protect_clear(&c->rd.prot);
	pl_tls_protect_clear(&c->wr.prot);
	pl_x509_chain_free(c->peer_chain);
	pl_x509_chain_free(c->challenge_chain.chain);
	pl_pkey_free(c->challenge_chain.key);
	for (size_t i = 0; i < c->n_tickets; i++)
		pl_tls_ticket_clear(&c->tickets[i]);
	pl_tls_ticket_clear(&c->offer);
	free(c->server_name);
	free(c->alpn);
	free(c->trusted_root);
	free(c->ocsp);
	free(c->reason);
	pl_cleanse(c, sizeof(*c));
	free(c);
}

void pl_tls_conn_set_user(pl_tls_conn_t *c, void *user)
{
	c->user = user;
}

void *pl_tls_conn_user(const pl_tls_conn_t *c)
{
	return c->user;
}

void pl_tls_conn_set_time(pl_tls_conn_t *c, time_t now)
{
	c->now = now;
}

int pl_tls_fail(pl_tls_conn_t *c, int alert, const char *fmt, ...)
{
	if (c->state == ST_FAILED)
		return PL_ERR_TLS;
	c->alert = alert;
	c->alert_received = false;
	va_list ap;
	va_start(ap, fmt);
	pl_tls_set_reason(c, fmt, ap);
	va_end(ap);
	c->state = ST_FAILED;
	/* The alert goes out under the current keys. Output already queued
	 * stays: it was valid when it was made. */
	c->out.err = PL_OK;
	if (pl_tls_send_alert(c, (uint8_t)alert) != PL_OK)
		c->out.err = PL_OK;
	pl_tls_trace(c, PL_STEP_ALERT, "sent alert %s: %s",
		     pl_tls_alert_name(alert), c->reason);
	return PL_ERR_TLS;
}

void pl_tls_set_reason(pl_tls_conn_t *c, const char *fmt, va_list ap)
{
	char text[320];
	vsnprintf(text, sizeof(text), fmt, ap);
	/* Without memory, the alert alone must do. */
	(void)pl_tls_set_string(&c->reason, text, strlen(text));
}

void pl_tls_trace(pl_tls_conn_t *c, pl_tls_step_t step, const char *fmt, ...)
{
	char text[1024];
	if (c->cfg->trace == NULL)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	c->cfg->trace(c->cfg->trace_arg, c, step, text);
}

int pl_tls_random(pl_tls_conn_t *c, pl_tls_random_use_t use, uint8_t *buf,
		  size_t len)
{
	if (c->cfg->random)
		return c->cfg->random(c->cfg->random_arg, c, use, buf, len);
	return pl_random(buf, len);
}

pl_kex_t *pl_tls_new_kex(pl_tls_conn_t *c, uint16_t group)
{
	if (c->cfg->kex) {
		pl_kex_t *k = c->cfg->kex(c->cfg->kex_arg, c, group);
		/* A key pair in another group would break the handshake
		 * in a confusing place: refuse it here. */
		if (k != NULL && pl_kex_group(k) != group) {
			pl_kex_free(k);
			return NULL;
		}
		return k;
	}
	return pl_kex_new(group);
}

/* Which content types may start a record now (checked on the header, so a
 * stream of garbage is refused before 16 KiB of it is buffered). */
static int check_header(pl_tls_conn_t *c, const uint8_t *h)
{
	size_t len = (size_t)h[3] << 8 | h[4];
	uint8_t type = h[0];
	if (type < PL_CT_CHANGE_CIPHER_SPEC || type > PL_CT_APPLICATION_DATA)
		return pl_tls_fail(c, PL_ALERT_UNEXPECTED_MESSAGE,
				   "not a TLS record (first bytes %02x %02x %02x)",
				   h[0], h[1], h[2]);
	if (h[1] != 0x03)
		return pl_tls_fail(c, PL_ALERT_PROTOCOL_VERSION,
				   "record version %02x%02x is not TLS", h[1],
				   h[2]);
	/* early_skip: early data after a HelloRetryRequest comes protected
	 * before the server reads with any key */
	/* TLS 1.2 protects every content type but change_cipher_spec. */
	bool tls12_protected = c->rd.prot.ops == &pl_tls_protect_12 &&
			       type != PL_CT_CHANGE_CIPHER_SPEC;
	if (((pl_tls_protect_on(&c->rd.prot) || c->early_skip > 0) &&
	     type == PL_CT_APPLICATION_DATA) ||
	    tls12_protected) {
		if (len > PL_TLS_MAX_CIPHERTEXT)
			return pl_tls_fail(c, PL_ALERT_RECORD_OVERFLOW,
					   "protected record of %zu bytes "
					   "(limit 16640)",
					   len);
	} else if (len > PL_TLS_MAX_PLAINTEXT) {
		return pl_tls_fail(c, PL_ALERT_RECORD_OVERFLOW,
				   "plaintext record of %zu bytes (limit 16384)",
				   len);
	}
	return PL_OK;
}

/* The error boundary of every entry point (tls.h): whatever failed
 * inside (an allocation, a buffer, libcrypto) without failing the
 * connection fails it now, with internal_error, so no raw error code
 * comes out of a connection that still looks alive. */
static int boundary(pl_tls_conn_t *c, int ret)
{
	if (ret == PL_OK)
		return PL_OK;
	if (c->state == ST_FAILED)
		return PL_ERR_TLS;
	return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
			   "internal failure in the TLS engine: %s",
			   pl_strerror(ret));
}

static int feed(pl_tls_conn_t *c, const uint8_t *data, size_t len)
{
	int ret;
	if (c->state == ST_FAILED)
		return PL_ERR_TLS;
	if (c->state == ST_CLIENT_START && (ret = pl_tls_client_start(c)))
		return ret;
	while (len > 0) {
		if (pl_buf_size(&c->in) < PL_TLS_RECORD_HEADER) {
			size_t take = PL_TLS_RECORD_HEADER - pl_buf_size(&c->in);
			take = take < len ? take : len;
			pl_push_bytes(&c->in, data, take);
			data += take;
			len -= take;
			if (pl_buf_error(&c->in))
				return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
						   "out of memory");
			if (pl_buf_size(&c->in) < PL_TLS_RECORD_HEADER)
				break;
			if ((ret = check_header(c, pl_buf_head(&c->in))))
				return ret;
		}
		const uint8_t *h = pl_buf_head(&c->in);
		size_t need = PL_TLS_RECORD_HEADER + ((size_t)h[3] << 8 | h[4]);
		if (pl_buf_size(&c->in) < need) {
			size_t take = need - pl_buf_size(&c->in);
			take = take < len ? take : len;
			pl_push_bytes(&c->in, data, take);
			data += take;
			len -= take;
			if (pl_buf_error(&c->in))
				return pl_tls_fail(c, PL_ALERT_INTERNAL_ERROR,
						   "out of memory");
			if (pl_buf_size(&c->in) < need)
				break;
		}
		ret = pl_tls_record_read(c);
		pl_buf_reset(&c->in);
		if (ret)
			return ret;
		if (c->state == ST_FAILED)
			return PL_ERR_TLS;
	}
	return PL_OK;
}

int pl_tls_feed(pl_tls_conn_t *c, const uint8_t *data, size_t len)
{
	return boundary(c, feed(c, data, len));
}

const uint8_t *pl_tls_output(pl_tls_conn_t *c, size_t *len)
{
	if (c->state == ST_CLIENT_START)
		(void)boundary(c, pl_tls_client_start(c));
	*len = pl_buf_size(&c->out);
	return *len ? pl_buf_head(&c->out) : NULL;
}

void pl_tls_output_consumed(pl_tls_conn_t *c, size_t n)
{
	pl_buf_consume(&c->out, n);
}

int pl_tls_read(pl_tls_conn_t *c, uint8_t *buf, size_t cap, size_t *n)
{
	size_t have = pl_buf_size(&c->app_in);
	*n = 0;
	if (have > 0) {
		size_t take = have < cap ? have : cap;
		memcpy(buf, pl_buf_head(&c->app_in), take);
		pl_buf_consume(&c->app_in, take);
		*n = take;
		return PL_OK;
	}
	if (c->state == ST_FAILED)
		return PL_ERR_TLS;
	if (c->peer_closed)
		return PL_ERR_CLOSED;
	return PL_OK;
}

int pl_tls_write(pl_tls_conn_t *c, const uint8_t *buf, size_t len)
{
	if (c->state == ST_FAILED)
		return PL_ERR_TLS;
	if (c->state != ST_CONNECTED || c->sent_close)
		return PL_ERR_STATE;
	if (len == 0)
		return PL_OK;
	return boundary(c, pl_tls_record_write(c, PL_CT_APPLICATION_DATA, buf,
					       len));
}

int pl_tls_close(pl_tls_conn_t *c)
{
	if (c->state == ST_FAILED)
		return PL_ERR_TLS;
	if (c->sent_close)
		return PL_OK;
	c->sent_close = true;
	return boundary(c, pl_tls_send_alert(c, PL_ALERT_CLOSE_NOTIFY));
}

int pl_tls_key_update(pl_tls_conn_t *c, bool request_peer)
{
	if (c->state == ST_FAILED)
		return PL_ERR_TLS;
	/* TLS 1.2 has no KeyUpdate (its keys last the connection). */
	if (c->state != ST_CONNECTED || c->sent_close ||
	    c->version != PL_TLS_VERSION_13)
		return PL_ERR_STATE;
	return boundary(c, pl_tls_send_key_update(c, request_peer));
}

bool pl_tls_handshake_done(const pl_tls_conn_t *c)
{
	return c->state == ST_CONNECTED;
}

bool pl_tls_failed(const pl_tls_conn_t *c)
{
	return c->state == ST_FAILED;
}

bool pl_tls_peer_closed(const pl_tls_conn_t *c)
{
	return c->peer_closed;
}

bool pl_tls_is_server(const pl_tls_conn_t *c)
{
	return c->is_server;
}

uint16_t pl_tls_version(const pl_tls_conn_t *c)
{
	return c->version;
}

uint16_t pl_tls_suite(const pl_tls_conn_t *c)
{
	return c->suite;
}

uint16_t pl_tls_group(const pl_tls_conn_t *c)
{
	return c->group;
}

uint16_t pl_tls_sigscheme(const pl_tls_conn_t *c)
{
	return c->scheme;
}

bool pl_tls_did_hello_retry(const pl_tls_conn_t *c)
{
	return c->hrr;
}

const char *pl_tls_alpn(const pl_tls_conn_t *c)
{
	return c->alpn ? c->alpn : "";
}

const char *pl_tls_sni(const pl_tls_conn_t *c)
{
	return c->is_server && c->server_name ? c->server_name : "";
}

const pl_x509_chain_t *pl_tls_peer_chain(const pl_tls_conn_t *c)
{
	if (c->is_server)
		return c->own ? c->own->chain : NULL;
	return c->peer_chain;
}

const uint8_t *pl_tls_ocsp_response(const pl_tls_conn_t *c, size_t *len)
{
	*len = c->ocsp_len;
	return c->ocsp;
}

const char *pl_tls_trusted_root(const pl_tls_conn_t *c)
{
	return c->trusted_root ? c->trusted_root : "";
}

size_t pl_tls_ticket_count(const pl_tls_conn_t *c)
{
	return c->tickets_seen;
}

bool pl_tls_ticket_info(const pl_tls_conn_t *c, uint32_t *lifetime,
			uint32_t *max_early_data)
{
	const pl_tls_ticket_t *t;

	if (c->tickets_seen == 0)
		return false;
	t = &c->tickets[(c->tickets_seen - 1) % PL_TLS_MAX_TICKETS];
	*lifetime = t->lifetime;
	*max_early_data = t->max_early_data;
	return true;
}

int pl_tls_alert(const pl_tls_conn_t *c)
{
	return c->alert;
}

bool pl_tls_alert_received(const pl_tls_conn_t *c)
{
	return c->alert_received;
}

const char *pl_tls_reason(const pl_tls_conn_t *c)
{
	return c->reason ? c->reason : "";
}

size_t pl_tls_conn_memory(const pl_tls_conn_t *c)
{
	size_t n = sizeof(*c);
	n += c->in.cap + c->out.cap + c->app_in.cap + c->hs_in.cap +
	     c->hs_out.cap;
	if (c->hs)
		n += sizeof(*c->hs) + c->hs->transcript_raw.cap;
	const char *strings[] = {c->server_name, c->alpn, c->trusted_root,
				 c->reason};
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (strings[i])
			n += strlen(strings[i]) + 1;
	for (size_t i = 0; i < c->n_tickets; i++)
		n += c->tickets[i].ticket_len;
	return n;
}

void pl_tls_conn_shrink(pl_tls_conn_t *c)
{
	/* The parsed server chain is most of an idle client's memory; it is
	 * for inspection right after the handshake. */
	if (c->state == ST_CONNECTED && !c->is_server) {
		pl_x509_chain_free(c->peer_chain);
		c->peer_chain = NULL;
	}
	pl_buf_t *bufs[] = {&c->in, &c->out, &c->app_in, &c->hs_in, &c->hs_out};
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		if (pl_buf_size(bufs[i]) == 0)
			pl_buf_free(bufs[i]);
}
