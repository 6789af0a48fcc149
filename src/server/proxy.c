/*
 * One proxied request, an exchange: the client's request goes to an
 * upstream of its site's pool in one normalized HTTP/1.1 form, and the
 * upstream's response comes back through the client's protocol.
 *
 * Normalized: what padlock parsed (strictly: no bare LF, no obs-fold, one
 * Content-Length, no CL with TE) is written anew: the request line in
 * origin-form, Host, the end-to-end fields as parsed, the forwarding
 * fields, and padlock's own framing (Content-Length, or chunked re-encoded
 * chunk by chunk); hop-by-hop fields (RFC 9110 7.6.1) are dropped. The
 * upstream never sees the client's framing bytes, so it cannot read a
 * different message boundary from them (no smuggling through padlock).
 *
 * Streaming with backpressure, both ways: request body bytes go into the
 * upstream connection's output buffer, and the sink says "full" past
 * SINK_HIGH (the client's bytes then wait in the kernel); response bytes
 * are read from the upstream only when the client's output has room
 * (http1.c pulls the reply's source). A worker holds, per proxied
 * request, at most about SINK_HIGH + 16 KiB (one client read) toward the
 * upstream and 16 KiB (one upstream read) + 64 KiB (the client output's
 * high water) + a TLS record toward the client: about 200 KiB, whatever
 * the body's size.
 *
 * Failures before the upstream's head: 502 (connect refused, reset,
 * closed, a malformed head) or 504 (a timeout), a short page, and one
 * log line naming the upstream and why. An idempotent request without a
 * body that failed before any response byte is retried once on another
 * upstream (on the same one when it was a reused keep-alive connection
 * the upstream had closed). After the head, a failure cuts the client's
 * connection: its framing then tells the client the body is incomplete.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "server/proxy.h"

#define SINK_HIGH (64 * 1024) /* request bytes queued to the upstream */
#define SINK_LOW (16 * 1024)  /* below this, the client is read again */

struct pl_srv_exchange {
	pl_srv_conn_t *c;
	pl_srv_proxy_owner_t o; /* the connection or stream it answers */
	bool req_head;          /* the request: HEAD, its version, keep-alive */
	int req_version;
	bool req_keep_alive;
	pl_srv_pool_t *pool;
	pl_srv_upstream_t *up;  /* counted in up->active while set */
	pl_srv_uconn_t *uc;
	pl_buf_t head;          /* the forwarded head, kept for a retry */
	pl_http_parser_t *rp;   /* the upstream's response */
	pl_http_field_t *fields; /* the response fields forwarded */
	char hsts[32];
	bool chunked_up;        /* the body goes to the upstream chunked */
	bool retryable;         /* idempotent and without a body */
	bool retried;
	bool body_done;         /* the whole request is in uc->out */
	bool got_bytes;         /* the upstream has sent something */
	bool head_ready;        /* the owner's reply holds the answer */
	bool reply_given;       /* ... and the owner has been told */
	bool resp_done;
	bool answered;          /* an error reply replaced the exchange */
	bool upgrade;           /* a WebSocket handshake: Upgrade goes on */
	bool tunnel;            /* an HTTP/2 stream's WebSocket (RFC 8441)
				   after the upstream's 101 */
	bool cut;               /* the response failed after these bytes */
	int nested;             /* inside a call from c's protocol */
	uint64_t up_start_us;   /* the upstream's part began */
	uint64_t up_us;         /* ... and took this long */
	char up_name[120];
	char why[320];          /* a failure's reason made here */
};

typedef struct pl_srv_exchange exchange_t;

static const pl_srv_options_t *opts_of(exchange_t *x)
{
	return pl_srv_conn_runtime(x->c)->opts;
}

/* ---- which requests, and the pick ------------------------------------------- */

pl_srv_pool_t *pl_srv_proxy_pool_for(const pl_srv_rsite_t *site,
				     const pl_http_request_t *req)
{
	pl_http_str_t path, query;
	pl_srv_pool_t *best = site->pool;
	size_t best_len = 0;
	pl_http_target_split(req->target, req->target_form, &path, &query,
			     NULL);
	/* The raw path: a prefix that matches only after decoding does not
	 * route (the upstream decodes the same bytes it is sent). */
	for (size_t i = 0; i < site->n_locations; i++) {
		size_t n = strlen(site->location_prefix[i]);
		if (n > best_len && path.len >= n &&
		    memcmp(path.ptr, site->location_prefix[i], n) == 0) {
			best = site->location_pool[i];
			best_len = n;
		}
	}
	return best;
}

/* RFC 9110 9.2.2 */
static bool idempotent(const pl_http_request_t *req)
{
	static const char *const methods[] = {"GET", "HEAD", "OPTIONS", "PUT",
					      "DELETE", "TRACE"};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (req->method.len == strlen(methods[i]) &&
		    memcmp(req->method.ptr, methods[i], req->method.len) == 0)
			return true;
	return false;
}

/* ---- the forwarded head ------------------------------------------------------------ */

static bool name_is(const pl_http_str_t *name, const char *lit);
static bool list_has(const pl_http_str_t *value, const pl_http_str_t *name);

/* RFC 6455 4.1: GET, HTTP/1.1, Upgrade: websocket, Connection: upgrade */
static bool websocket_handshake(const pl_http_request_t *req)
{
	static const pl_http_str_t upgrade = {"upgrade", 7};
	const pl_http_str_t *u = pl_http_header(req, "Upgrade");
	bool listed = false;
	for (size_t i = 0; i < req->field_count; i++)
		if (name_is(&req->fields[i].name, "connection") &&
		    list_has(&req->fields[i].value, &upgrade))
			listed = true;
	return listed && u && u->len == 9 && strncasecmp(u->ptr, "websocket", 9) == 0 &&
	       req->version == PL_HTTP_11 && req->method.len == 3 &&
	       memcmp(req->method.ptr, "GET", 3) == 0 &&
	       req->framing == PL_HTTP_BODY_NONE;
}

static bool name_is(const pl_http_str_t *name, const char *lit)
{
	return strlen(lit) == name->len &&
	       strncasecmp(name->ptr, lit, name->len) == 0;
}

/* Whether the comma-separated value of a Connection field lists name. */
static bool list_has(const pl_http_str_t *value, const pl_http_str_t *name)
{
	const char *p = value->ptr, *end = value->ptr + value->len;
	while (p < end) {
		while (p < end && (*p == ',' || *p == ' ' || *p == '\t'))
			p++;
		const char *s = p;
		while (p < end && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		if ((size_t)(p - s) == name->len &&
		    strncasecmp(s, name->ptr, name->len) == 0)
			return true;
	}
	return false;
}

/* RFC 9110 7.6.1: fields that describe one connection, not the message;
 * plus those the Connection fields of fields[0..n) name. */
static bool hop_by_hop(const pl_http_field_t *fields, size_t n,
		       const pl_http_str_t *name, bool upgrade)
{
	/* RFC 6455 4.1: a WebSocket handshake's Upgrade goes end to end */
	if (upgrade && name_is(name, "upgrade"))
		return false;
	static const char *const always[] = {
		"connection", "keep-alive", "proxy-connection", "te", "trailer",
		"transfer-encoding", "upgrade", "proxy-authenticate",
		"proxy-authorization"};
	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		if (name_is(name, always[i]))
			return true;
	for (size_t i = 0; i < n; i++)
		if (name_is(&fields[i].name, "connection") &&
		    list_has(&fields[i].value, name))
			return true;
	return false;
}

static void push_str(pl_buf_t *b, const char *s)
{
	pl_push_bytes(b, s, strlen(s));
}

static void push_field(pl_buf_t *b, const char *name, const char *v,
		       size_t len)
{
	push_str(b, name);
	push_str(b, ": ");
	pl_push_bytes(b, v, len);
	push_str(b, "\r\n");
}

/* X-Forwarded-For and Forwarded: a trusted client's own values, joined,
 * then ours; anyone else's are dropped (they would be lies we vouch for). */
static void push_forwarding(pl_buf_t *b, const pl_http_request_t *req,
			    const char *peer, bool trust, pl_http_str_t host)
{
	static const char *const names[] = {"X-Forwarded-For", "Forwarded"};
	char node[64];
	bool v6 = strchr(peer, ':') != NULL;
	/* RFC 7239 6: an IPv6 node is quoted and bracketed */
	snprintf(node, sizeof(node), v6 ? "\"[%s]\"" : "%s", peer);
	for (int k = 0; k < 2; k++) {
		push_str(b, names[k]);
		push_str(b, ": ");
		for (size_t i = 0; trust && i < req->field_count; i++) {
			if (!name_is(&req->fields[i].name, names[k]))
				continue;
			pl_push_bytes(b, req->fields[i].value.ptr,
				      req->fields[i].value.len);
			push_str(b, ", ");
		}
		if (k == 0) {
			push_str(b, peer);
		} else {
			push_str(b, "for=");
			push_str(b, node);
			push_str(b, ";proto=https;host=\"");
			pl_push_bytes(b, host.ptr, host.len);
			push_str(b, "\"");
		}
		push_str(b, "\r\n");
	}
	const pl_http_str_t *v;
	v = trust ? pl_http_header(req, "X-Forwarded-Proto") : NULL;
	push_field(b, "X-Forwarded-Proto", v ? v->ptr : "https",
		   v ? v->len : 5);
	v = trust ? pl_http_header(req, "X-Forwarded-Host") : NULL;
	push_field(b, "X-Forwarded-Host", v ? v->ptr : host.ptr,
		   v ? v->len : host.len);
}

/* Fields the forwarded head writes itself, or drops. */
static bool replaced(const pl_http_str_t *name)
{
	static const char *const ours[] = {
		"host", "content-length", "expect", "x-forwarded-for",
		"x-forwarded-proto", "x-forwarded-host", "forwarded"};
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (name_is(name, ours[i]))
			return true;
	return false;
}

static int build_head(exchange_t *x, const pl_http_request_t *req)
{
	pl_buf_t *b = &x->head;
	pl_http_str_t path, query, authority, host;
	pl_http_target_split(req->target, req->target_form, &path, &query,
			     &authority);
	/* RFC 9112 3.2.2: an absolute-form target's authority is the host */
	host = req->target_form == PL_HTTP_TARGET_ABSOLUTE ? authority
							   : req->host;
	if (host.len == 0) /* HTTP/1.0 without Host: the upstream's name */
		host = (pl_http_str_t){x->pool->up[0].name,
				       strlen(x->pool->up[0].name)};
	/* room for a usual head at once (its failure is the pushes') */
	(void)pl_buf_reserve(b, 1024);
	pl_push_bytes(b, req->method.ptr, req->method.len);
	push_str(b, " ");
	if (req->target_form == PL_HTTP_TARGET_ABSOLUTE) {
		if (path.len == 0)
			push_str(b, "/");
		pl_push_bytes(b, path.ptr, path.len);
		if (query.ptr && query.ptr > path.ptr + path.len) {
			push_str(b, "?");
			pl_push_bytes(b, query.ptr, query.len);
		}
	} else {
		pl_push_bytes(b, req->target.ptr, req->target.len);
	}
	push_str(b, " HTTP/1.1\r\n");
	/* a pool may name the Host its upstreams expect; X-Forwarded-Host
	 * and Forwarded still say the client's */
	if (x->pool->host[0])
		push_field(b, "Host", x->pool->host, strlen(x->pool->host));
	else
		push_field(b, "Host", host.ptr, host.len);
	for (size_t i = 0; i < req->field_count; i++) {
		const pl_http_field_t *f = &req->fields[i];
		if (replaced(&f->name) ||
		    hop_by_hop(req->fields, req->field_count, &f->name,
			       x->upgrade))
			continue;
		pl_push_bytes(b, f->name.ptr, f->name.len);
		push_str(b, ": ");
		pl_push_bytes(b, f->value.ptr, f->value.len);
		push_str(b, "\r\n");
	}
	if (x->upgrade)
		push_str(b, "Connection: Upgrade\r\n");
	push_forwarding(b, req, x->c->peer,
			pl_srv_addr_trusted(opts_of(x)->trusted_proxies,
					    x->c->peer), host);
	if (req->framing == PL_HTTP_BODY_LENGTH) {
		char len[24];
		snprintf(len, sizeof(len), "%llu",
			 (unsigned long long)req->content_length);
		push_field(b, "Content-Length", len, strlen(len));
	} else if (req->framing == PL_HTTP_BODY_CHUNKED) {
		push_str(b, "Transfer-Encoding: chunked\r\n");
		x->chunked_up = true;
	}
	push_str(b, "\r\n");
	return pl_buf_error(b);
}

/* ---- answering ---------------------------------------------------------------- */

/* Tells the client's connection, unless we are inside one of its own
 * calls (it then sees the change when the call returns). */
static void kick(exchange_t *x)
{
	if (x->nested == 0)
		x->o.wake(x->o.arg);
}

static void release_upstream(exchange_t *x, bool reusable)
{
	if (x->uc) {
		pl_srv_uconn_done(x->uc, reusable);
		x->uc = NULL;
	}
	if (x->up) {
		x->up->active--;
		x->up_us = pl_srv_now_us() - x->up_start_us;
		x->up = NULL;
	}
}

/* An error page instead of the upstream's answer (502, 504), or, once
 * the upstream's head has gone out, a cut connection. */
static void answer(exchange_t *x, int status, const char *why)
{
	pl_srv_conn_t *c = x->c;
	pl_http_reply_t *r = x->o.reply;
	release_upstream(x, false);
	if (x->head_ready || x->answered) {
		x->o.cut(x->o.arg);
		return;
	}
	x->answered = true;
	const pl_srv_rsite_t *site = pl_srv_site_for(pl_srv_conn_runtime(c),
						     NULL, 0);
	int ret = pl_http_reply_error(r, status, NULL,
				      site->http.hsts_max_age, x->req_head,
				      time(NULL), "padlock");
	if (ret != PL_OK) {
		x->o.cut(x->o.arg);
		return;
	}
	r->why = why;
	r->version = x->req_version;
	*x->o.sink = (pl_http_body_sink_t){0};
	*x->o.body_blocked = false;
	x->o.reply_ready(x->o.arg);
	kick(x);
}

/* A failure of the upstream before its head: retried once when that is
 * safe, else 502 or 504 with one log line. */
static void connect_to(exchange_t *x, const pl_srv_upstream_t *avoid);

static void failed(exchange_t *x, int status, const char *why)
{
	bool stale = x->uc && x->uc->reused && !x->got_bytes;
	if (x->up) {
		snprintf(x->up_name, sizeof(x->up_name), "%s", x->up->name);
		if (!stale)
			pl_srv_upstream_failed(x->up);
	}
	const pl_srv_upstream_t *was = x->up;
	if (x->retryable && !x->retried && !x->got_bytes && !x->head_ready &&
	    status == 502 && (stale || x->pool->n > 1)) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_INFO, "%s: upstream %s: %s; trying %s",
			   x->c->peer, x->up_name, why,
			   stale ? "a new connection" : "another upstream");
		x->retried = true;
		release_upstream(x, false);
		connect_to(x, stale ? NULL : was);
		return;
	}
	PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: upstream %s: %s (%d)",
			   x->c->peer, x->up_name, why, status);
	answer(x, status, why);
}

/* ---- the upstream's side ---------------------------------------------------- */

static void send_request(exchange_t *x)
{
	size_t before = pl_buf_size(&x->uc->out);
	if (pl_srv_uconn_flush(x->uc) != PL_OK) {
		failed(x, 502, errno == EPIPE || errno == ECONNRESET
				       ? "it closed the connection"
				       : "sending the request failed");
		return;
	}
	/* a long upload that moves is not a silent upstream */
	if (pl_buf_size(&x->uc->out) < before)
		pl_srv_uconn_deadline(x->uc, opts_of(x)->proxy_timeout_ms);
	if (*x->o.body_blocked && pl_buf_size(&x->uc->out) < SINK_LOW) {
		*x->o.body_blocked = false;
		kick(x);
	}
}

/* upstream "URL" { proxy-protocol = true }: the header that says whose
 * connection it is (the client's address, the one padlock was reached
 * at), into pp; 0 bytes for other upstreams. */
static size_t proxy_header_for(exchange_t *x, uint8_t *pp, size_t cap)
{
	struct sockaddr_storage local = {0};
	socklen_t len = sizeof(local);
	pl_buf_t b = PL_BUF_INIT;
	size_t n = 0;
	if (!x->up->proxy_protocol)
		return 0;
	if (getsockname(x->c->fd, (struct sockaddr *)&local, &len) != 0)
		local.ss_family = AF_UNSPEC; /* LOCAL: no address to give */
	pl_srv_proxyproto_write_v2(&b, x->c->peer, (uint16_t)x->c->peer_port,
				   &local);
	if (!pl_buf_error(&b) && pl_buf_size(&b) <= cap) {
		n = pl_buf_size(&b);
		memcpy(pp, pl_buf_head(&b), n);
	}
	pl_buf_free(&b);
	return n;
}

static void connect_to(exchange_t *x, const pl_srv_upstream_t *avoid)
{
	uint8_t pp[PL_SRV_PROXYPROTO_V2_OUT];
	x->up = pl_srv_pool_pick(x->pool, avoid);
	x->up->active++;
	snprintf(x->up_name, sizeof(x->up_name), "%s", x->up->name);
	x->up_start_us = pl_srv_now_us();
	size_t pp_len = proxy_header_for(x, pp, sizeof(pp));
	if (x->up->proxy_protocol && pp_len == 0) {
		failed(x, 502, "out of memory");
		return;
	}
	/* a request that can still be retried learns of a stale idle
	 * connection by failing on it, without a recv per request */
	x->uc = pl_srv_uconn_get(x->c->w, x->up, pp, pp_len,
				 !x->retryable || x->retried);
	if (x->uc == NULL) {
		char why[96];
		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		/* a static reason for the reply: the log line has errno */
		pl_srv_log(PL_SRV_LOG_DEBUG, "%s: upstream %s: %s", x->c->peer,
			   x->up_name, why);
		failed(x, 502, errno == ECONNREFUSED ? "connection refused"
						      : "cannot connect");
		return;
	}
	x->uc->x = x;
	pl_push_bytes(&x->uc->out, pl_buf_head(&x->head), pl_buf_size(&x->head));
	if (pl_buf_error(&x->uc->out)) {
		failed(x, 502, "out of memory");
		return;
	}
	if (x->uc->state == PL_SRV_UC_BUSY) {
		pl_srv_uconn_deadline(x->uc, opts_of(x)->proxy_timeout_ms);
		send_request(x);
	}
}

/* The client's connection closed in this event batch (it is freed, with
 * the exchange, after it): the upstream's news is for nobody. */
static bool client_gone(exchange_t *x)
{
	if (x->c->phase != PL_SRV_PHASE_DEAD)
		return false;
	release_upstream(x, false);
	return true;
}

void pl_srv_proxy_connected(exchange_t *x, int err)
{
	if (client_gone(x))
		return;
	if (err == EPROTO) {
		/* the TLS handshake failed: its reason, kept with us */
		snprintf(x->why, sizeof(x->why), "TLS: %s", x->uc->why);
		failed(x, 502, x->why);
		return;
	}
	if (err) {
		failed(x, 502, err == ECONNREFUSED ? "connection refused"
			       : err == ETIMEDOUT ? "connect timed out"
			       : "cannot connect");
		return;
	}
	pl_srv_upstream_ok(x->up);
	pl_srv_uconn_deadline(x->uc, opts_of(x)->proxy_timeout_ms);
	pl_srv_proxy_io(x, true);
}

/* Reads from the upstream into uc->in. 1: bytes came; 0: none now; -1:
 * the upstream closed (uc->in may still hold bytes); -2: an error. */
static int upstream_read(exchange_t *x)
{
	int got = pl_srv_uconn_read(x->uc);
	if (got == 1) {
		x->got_bytes = true;
		pl_srv_uconn_deadline(x->uc, opts_of(x)->proxy_timeout_ms);
	}
	return got;
}

/* The forwarded response fields: the upstream's, less hop-by-hop ones
 * and those the writer owns (framing, Date, Server), and our HSTS. */
static int response_fields(exchange_t *x, const pl_http_request_t *resp,
			   long hsts)
{
	size_t n = 0;
	x->fields = calloc(resp->field_count + 1, sizeof(*x->fields));
	if (x->fields == NULL)
		return PL_ERR_NOMEM;
	for (size_t i = 0; i < resp->field_count; i++) {
		const pl_http_field_t *f = &resp->fields[i];
		if (hop_by_hop(resp->fields, resp->field_count, &f->name,
			       false) ||
		    name_is(&f->name, "content-length") ||
		    name_is(&f->name, "date") || name_is(&f->name, "server") ||
		    (hsts >= 0 && name_is(&f->name, "strict-transport-security")))
			continue;
		x->fields[n++] = *f;
	}
	if (hsts >= 0) {
		/* RFC 6797 8.1: on every response over TLS */
		snprintf(x->hsts, sizeof(x->hsts), "max-age=%ld", hsts);
		x->fields[n].name = (pl_http_str_t){"Strict-Transport-Security", 25};
		x->fields[n++].value = (pl_http_str_t){x->hsts, strlen(x->hsts)};
	}
	x->o.reply->extra = x->fields;
	x->o.reply->extra_count = n;
	return PL_OK;
}

static long source_read(void *arg, uint8_t *buf, size_t cap, bool *end);

/* The upstream's final head: the owner's reply, its framing
 * rebuilt for the client's version. */
static int make_reply(exchange_t *x, const pl_http_request_t *resp)
{
	pl_srv_conn_t *c = x->c;
	pl_http_reply_t *r = x->o.reply;
	const pl_srv_rsite_t *site = pl_srv_site_for(pl_srv_conn_runtime(c),
						     NULL, 0);
	bool head = x->req_head;
	int version = x->req_version;
	pl_http_reply_free(r);
	r->status = resp->status;
	r->version = version;
	r->date = time(NULL);
	const pl_http_str_t *server = pl_http_header(resp, "Server");
	r->server = server ? server->ptr : NULL;
	r->close = !x->req_keep_alive || c->draining;
	if (resp->framing == PL_HTTP_BODY_NONE) {
		/* 1xx, 204, 304, or the answer to HEAD: a length the
		 * upstream gave goes on (a HEAD's is the GET's) */
		const pl_http_str_t *cl = pl_http_header(resp, "Content-Length");
		bool bodyless = resp->status < 200 || resp->status == 204;
		r->framing = PL_HTTP_BODY_NONE;
		if (cl && !bodyless && resp->status != 304) {
			r->framing = PL_HTTP_BODY_LENGTH;
			r->content_length = strtoull(cl->ptr, NULL, 10);
		} else if (!bodyless && resp->status != 304) {
			r->framing = version == PL_HTTP_11
					     ? PL_HTTP_BODY_CHUNKED
					     : PL_HTTP_BODY_CLOSE;
		}
	} else if (resp->framing == PL_HTTP_BODY_LENGTH) {
		r->framing = PL_HTTP_BODY_LENGTH;
		r->content_length = resp->content_length;
	} else if (version == PL_HTTP_11) {
		r->framing = PL_HTTP_BODY_CHUNKED;
	} else {
		/* RFC 9112 6.1: no chunked to a 1.0 client; the close ends it */
		r->framing = PL_HTTP_BODY_CLOSE;
	}
	if (r->framing == PL_HTTP_BODY_CLOSE)
		r->close = true;
	if (!head && resp->framing != PL_HTTP_BODY_NONE)
		r->source = (pl_http_body_source_t){source_read, x};
	else
		x->resp_done = true;
	int ret = response_fields(x, resp, site->http.hsts_max_age);
	if (ret != PL_OK)
		return ret;
	/* A head the writer refuses (a field it owns slipped through, a
	 * server value it will not write) is the upstream's fault. */
	pl_http_buf_t probe = PL_HTTP_BUF_INIT;
	ret = pl_http_reply_head(r, &probe);
	pl_http_buf_free(&probe);
	return ret;
}

/* A body-less response is complete with its head. */
static void finish_if_done(exchange_t *x)
{
	if (!x->resp_done || x->uc == NULL)
		return;
	pl_http_step_t step;
	const pl_http_request_t *resp = pl_http_parser_request(x->rp);
	/* An upstream that sends a body anyway (to HEAD, with a 204: some
	 * do) would have it read as its next response: a body-less answer
	 * that announced one does not leave its connection reusable. */
	const pl_http_str_t *cl = pl_http_header(resp, "Content-Length");
	bool announced = pl_http_header(resp, "Transfer-Encoding") != NULL ||
			 (cl && !(cl->len == 1 && cl->ptr[0] == '0'));
	bool keep = resp->keep_alive && !announced;
	/* DONE of a body-less response comes without input */
	(void)pl_http_parse(x->rp, NULL, 0, &step);
	bool reuse = step.event == PL_HTTP_DONE && keep && x->body_done &&
		     pl_buf_size(&x->uc->out) == 0;
	pl_srv_upstream_ok(x->up);
	release_upstream(x, reuse);
}

/* ---- a WebSocket tunnel (RFC 6455) --------------------------------------------
 * After the upstream's 101, the client's connection changes protocol:
 * bytes pass both ways untouched, each direction bounded as bodies are
 * (SINK_HIGH toward the upstream, the client output's high water toward
 * the client), until either side closes or the idle timeout. */

#define TUNNEL_HIGH (64 * 1024)

static void tunnel_begin(exchange_t *x, const pl_http_request_t *resp)
{
	pl_srv_conn_t *c = x->c;
	pl_buf_t head = PL_BUF_INIT;
	push_str(&head, "HTTP/1.1 101 Switching Protocols\r\n");
	for (size_t i = 0; i < resp->field_count; i++) {
		const pl_http_field_t *f = &resp->fields[i];
		if (hop_by_hop(resp->fields, resp->field_count, &f->name, true))
			continue;
		pl_push_bytes(&head, f->name.ptr, f->name.len);
		push_str(&head, ": ");
		pl_push_bytes(&head, f->value.ptr, f->value.len);
		push_str(&head, "\r\n");
	}
	push_str(&head, "Connection: Upgrade\r\n\r\n");
	x->head_ready = true;
	if (pl_buf_error(&head) ||
	    c->transport->send(c, pl_buf_head(&head), pl_buf_size(&head)) !=
		    PL_OK) {
		pl_buf_free(&head);
		pl_srv_conn_close_now(c);
		return;
	}
	pl_buf_free(&head);
	/* the 101 in the access log, with the upstream */
	if (pl_srv_log_access_enabled()) {
		pl_http_conninfo_t info;
		pl_srv_access_t extra = {0};
		c->transport->describe(c, &info);
		c->reply.status = 101;
		extra.upstream = x->up_name;
		extra.upstream_us = pl_srv_now_us() - x->up_start_us;
		pl_srv_log_reply_with(c, pl_http_parser_request(c->http),
				      PL_HTTP_11, &info, &c->reply,
				      c->request_us, &extra);
	}
	pl_http_parser_free(c->http);
	c->http = NULL;
	pl_http_reply_free(&c->reply);
	c->sink = (pl_http_body_sink_t){0};
	c->proto = &pl_srv_tunnel;
	pl_srv_conn_set_phase(c, PL_SRV_PHASE_TUNNEL);
	kick(x);
}

/* Both directions, as far as the buffers allow. */
static void tunnel_on_data(pl_srv_conn_t *c)
{
	exchange_t *x = c->px;
	bool moved = false;
	if (x == NULL || x->uc == NULL) {
		c->close_after = true;
		return;
	}
	pl_srv_uconn_t *uc = x->uc;
	if (pl_buf_size(&c->in) > 0) {
		pl_push_bytes(&uc->out, pl_buf_head(&c->in), pl_buf_size(&c->in));
		pl_buf_consume(&c->in, pl_buf_size(&c->in));
		moved = true;
	}
	if (pl_buf_error(&uc->out) || pl_srv_uconn_flush(uc) != PL_OK) {
		release_upstream(x, false);
		c->close_after = true;
		return;
	}
	c->body_blocked = pl_buf_size(&uc->out) >= TUNNEL_HIGH;
	/* what the upstream sent with its 101, then what it sends now */
	while (pl_srv_conn_pending(c) < TUNNEL_HIGH) {
		if (pl_buf_size(&uc->in) == 0) {
			int got = upstream_read(x);
			if (got == 0)
				break;
			if (got < 0) { /* the upstream is done: so are we */
				release_upstream(x, false);
				c->close_after = true;
				break;
			}
		}
		if (c->transport->send(c, pl_buf_head(&uc->in),
				       pl_buf_size(&uc->in)) != PL_OK) {
			pl_srv_conn_close_now(c);
			return;
		}
		pl_buf_consume(&uc->in, pl_buf_size(&uc->in));
		moved = true;
	}
	if (moved && c->phase == PL_SRV_PHASE_TUNNEL) {
		/* either direction moving is not idle, for both sides */
		pl_srv_conn_set_phase(c, PL_SRV_PHASE_TUNNEL);
		if (x->uc)
			pl_srv_uconn_deadline(x->uc, opts_of(x)->idle_timeout_ms);
	}
}

/* The client closed: what it sent still goes to the upstream. */
static void tunnel_client_closed(pl_srv_conn_t *c)
{
	exchange_t *x = c->px;
	if (x && x->uc)
		(void)pl_srv_uconn_flush(x->uc);
}

static bool tunnel_wants_write(pl_srv_conn_t *c)
{
	return c->px && c->px->uc && c->px->uc->readable;
}

static void tunnel_nothing(pl_srv_conn_t *c)
{
	(void)c;
}

const pl_srv_protocol_t pl_srv_tunnel = {
	.name = "tunnel",
	.init = tunnel_nothing,
	.on_data = tunnel_on_data,
	.timed_out = tunnel_nothing,
	.cut_short = tunnel_client_closed,
	.free = pl_srv_proxy_free,
	.wants_write = tunnel_wants_write,
};

/* ---- a WebSocket over an HTTP/2 stream (RFC 8441) ----------------------------
 * The stream's extended CONNECT went to the upstream as an HTTP/1.1
 * Upgrade (h2.c made it so); its 101 becomes the stream's 200 (RFC 8441
 * 5), and then the stream's DATA is the tunnel: the client's through the
 * sink untouched (no chunking: the request has no framing), the
 * upstream's through the reply's source until it closes, which ends the
 * stream (END_STREAM, as a TCP FIN). Flow control is the backpressure
 * both ways, as for any body. */

static long tunnel_source_read(void *arg, uint8_t *buf, size_t cap, bool *end)
{
	exchange_t *x = arg;
	for (;;) {
		pl_srv_uconn_t *uc = x->uc;
		if (uc == NULL) {
			*end = true;
			return 0;
		}
		size_t n = pl_buf_size(&uc->in);
		if (n > 0) {
			if (n > cap)
				n = cap;
			memcpy(buf, pl_buf_head(&uc->in), n);
			pl_buf_consume(&uc->in, n);
			return (long)n;
		}
		int got = upstream_read(x);
		if (got == 0)
			return 0;
		if (got < 0 && pl_buf_size(&uc->in) == 0) {
			/* the upstream closed (or failed): so does the stream */
			release_upstream(x, false);
			*end = true;
			return 0;
		}
	}
}

static void stream_tunnel_begin(exchange_t *x, const pl_http_request_t *resp)
{
	pl_http_reply_t *r = x->o.reply;
	const pl_srv_rsite_t *site = pl_srv_site_for(pl_srv_conn_runtime(x->c),
						     NULL, 0);
	pl_http_reply_free(r);
	r->status = 200;
	r->version = x->req_version;
	r->date = time(NULL);
	r->framing = PL_HTTP_BODY_CLOSE; /* no length: the stream's end */
	if (response_fields(x, resp, site->http.hsts_max_age) != PL_OK) {
		failed(x, 502, "out of memory");
		return;
	}
	/* RFC 8441 5: no Sec-WebSocket-Accept over HTTP/2 (the key was ours) */
	size_t kept = 0;
	for (size_t i = 0; i < r->extra_count; i++)
		if (!name_is(&x->fields[i].name, "sec-websocket-accept"))
			x->fields[kept++] = x->fields[i];
	r->extra_count = kept;
	r->source = (pl_http_body_source_t){tunnel_source_read, x};
	x->tunnel = x->head_ready = x->reply_given = true;
	pl_srv_uconn_deadline(x->uc, opts_of(x)->idle_timeout_ms);
	x->o.reply_ready(x->o.arg);
	kick(x);
}

/* Before the head: parse what came until the final head is whole. */
static void read_head(exchange_t *x)
{
	for (;;) {
		pl_srv_uconn_t *uc = x->uc;
		pl_http_step_t step;
		int ret = pl_http_parse(x->rp, pl_buf_head(&uc->in),
					pl_buf_size(&uc->in), &step);
		pl_buf_consume(&uc->in, step.consumed);
		if (ret != PL_OK) {
			failed(x, 502, pl_http_parser_reason(x->rp));
			return;
		}
		const pl_http_request_t *resp = pl_http_parser_request(x->rp);
		if (step.event == PL_HTTP_HEAD && resp->status >= 200) {
			if (make_reply(x, resp) != PL_OK) {
				failed(x, 502, "its response head cannot be "
				       "forwarded");
				return;
			}
			x->head_ready = true;
			finish_if_done(x);
			if (x->body_done || x->o.duplex) {
				x->reply_given = true;
				x->o.reply_ready(x->o.arg);
				kick(x);
			}
			return;
		}
		if (step.event == PL_HTTP_HEAD && resp->status == 101) {
			if (!x->upgrade) {
				failed(x, 502, "it switched protocols unasked");
				return;
			}
			if (x->o.duplex)
				stream_tunnel_begin(x, resp);
			else
				tunnel_begin(x, resp);
			return;
		}
		if (step.event != PL_HTTP_NEED_MORE)
			continue; /* a 1xx, or its DONE: the final one follows */
		int got = upstream_read(x);
		if (got == 0)
			return;
		if (got == -1) {
			failed(x, 502, x->got_bytes ? "it closed the connection "
				       "inside its response head"
				       : "it closed the connection without "
					 "answering");
			return;
		}
		if (got == -2) {
			failed(x, 502, "reading its response failed");
			return;
		}
	}
}

void pl_srv_proxy_io(exchange_t *x, bool writable)
{
	if (x->uc == NULL || client_gone(x))
		return;
	if (writable || pl_buf_size(&x->uc->out) > 0) {
		send_request(x);
		if (x->uc == NULL)
			return;
	}
	if (!x->uc->readable)
		return;
	if (!x->head_ready)
		read_head(x);
	else
		kick(x); /* the client's side pulls the body */
}

void pl_srv_proxy_timeout(exchange_t *x)
{
	if (client_gone(x))
		return;
	if (x->c->phase == PL_SRV_PHASE_TUNNEL) {
		/* idle both ways for --idle-timeout */
		pl_srv_conn_close_now(x->c);
		return;
	}
	if (x->head_ready) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: upstream %s: silent "
				   "for %u s inside its response", x->c->peer,
				   x->up_name, opts_of(x)->proxy_timeout_ms / 1000);
		answer(x, 504, "timed out");
		return;
	}
	failed(x, 504, x->uc && x->uc->state == PL_SRV_UC_CONNECTING
			       ? "connect timed out"
			       : "it did not answer in time");
}

/* ---- the client's side: the request body in, the response body out ---------- */

static bool sink_write(void *arg, const uint8_t *p, size_t n)
{
	exchange_t *x = arg;
	if (x->uc == NULL)
		return true; /* answered already: the rest is dropped */
	pl_buf_t *out = &x->uc->out;
	if (x->chunked_up) {
		char size[24];
		snprintf(size, sizeof(size), "%zx\r\n", n);
		push_str(out, size);
		pl_push_bytes(out, p, n);
		push_str(out, "\r\n");
	} else {
		pl_push_bytes(out, p, n);
	}
	if (pl_buf_error(out)) {
		x->nested++;
		failed(x, 502, "out of memory");
		x->nested--;
		return true;
	}
	if (x->uc->state == PL_SRV_UC_BUSY) {
		x->nested++;
		send_request(x);
		x->nested--;
	}
	return x->uc == NULL || pl_buf_size(&x->uc->out) < SINK_HIGH;
}

static void sink_end(void *arg)
{
	exchange_t *x = arg;
	x->nested++;
	x->body_done = true;
	if (x->uc && x->chunked_up)
		push_str(&x->uc->out, "0\r\n\r\n");
	if (x->uc && x->uc->state == PL_SRV_UC_BUSY)
		send_request(x);
	/* RFC 8441 5: the client's END_STREAM is its FIN: the upstream
	 * reads the end of its stream once the bytes before it are out */
	if (x->tunnel && x->uc && x->uc->tls == NULL &&
	    pl_buf_size(&x->uc->out) == 0)
		(void)shutdown(x->uc->fd, SHUT_WR);
	if (x->head_ready && !x->answered) {
		finish_if_done(x);
		if (!x->reply_given) {
			x->reply_given = true;
			x->o.reply_ready(x->o.arg);
		}
	}
	x->nested--;
}

/* What came before a failure goes to the client first; the failure
 * (the connection cut) on the next call. */
static long source_failed(exchange_t *x, size_t filled)
{
	release_upstream(x, false);
	x->cut = true;
	return filled ? (long)filled : -1;
}

/* The upstream's response is whole: its connection goes back to the
 * pool when nothing of the exchange is left on it. */
static void response_done(exchange_t *x, bool *end)
{
	bool reuse = pl_http_parser_request(x->rp)->keep_alive &&
		     x->body_done && pl_buf_size(&x->uc->out) == 0;
	pl_srv_upstream_ok(x->up);
	release_upstream(x, reuse);
	x->resp_done = true;
	*end = true;
}

/* A plain upstream's bytes read straight into the client's buffer
 * buf[*filled..cap) and parsed where they lie: body bytes move down over
 * the framing before them (never up), so a body is copied once, by the
 * kernel, instead of twice. Bytes the parser leaves (a chunk line's
 * start, bytes after the response) go to uc->in for the usual path.
 * Returns upstream_read's 1, 0, -1, -2, or -3 when the response is not
 * valid HTTP; *done at the response's end. */
static int read_direct(exchange_t *x, uint8_t *buf, size_t cap,
		       size_t *filled, bool *done)
{
	pl_srv_uconn_t *uc = x->uc;
	uint8_t *in = buf + *filled;
	long n = pl_srv_uconn_recv(uc, in, cap - *filled);
	if (n <= 0)
		return n == 0 ? -1 : n == -1 ? 0 : -2;
	x->got_bytes = true;
	pl_srv_uconn_deadline(uc, opts_of(x)->proxy_timeout_ms);
	size_t off = 0;
	while (off < (size_t)n && !*done) {
		pl_http_step_t step;
		if (pl_http_parse(x->rp, in + off, (size_t)n - off, &step) !=
		    PL_OK)
			return -3;
		off += step.consumed;
		if (step.event == PL_HTTP_BODY) {
			memmove(buf + *filled, step.body, step.body_len);
			*filled += step.body_len;
		} else if (step.event == PL_HTTP_DONE) {
			*done = true;
		} else if (step.consumed == 0) {
			break;
		}
	}
	pl_push_bytes(&uc->in, in + off, (size_t)n - off);
	return pl_buf_error(&uc->in) ? -2 : 1;
}

static long source_read(void *arg, uint8_t *buf, size_t cap, bool *end)
{
	exchange_t *x = arg;
	size_t filled = 0;
	if (x->uc == NULL || x->cut)
		return -1;
	while (filled < cap) {
		pl_srv_uconn_t *uc = x->uc;
		pl_http_step_t step;
		size_t feed = pl_buf_size(&uc->in);
		if (feed > cap - filled)
			feed = cap - filled; /* body bytes <= input bytes */
		int ret = pl_http_parse(x->rp, pl_buf_head(&uc->in), feed,
					&step);
		pl_buf_consume(&uc->in, step.consumed);
		if (ret != PL_OK)
			goto invalid;
		if (step.event == PL_HTTP_BODY) {
			memcpy(buf + filled, step.body, step.body_len);
			filled += step.body_len;
			continue;
		}
		if (step.event == PL_HTTP_DONE) {
			response_done(x, end);
			return (long)filled;
		}
		if (step.consumed > 0)
			continue;
		int got;
		if (uc->tls == NULL && pl_buf_size(&uc->in) == 0) {
			bool done = false;
			got = read_direct(x, buf, cap, &filled, &done);
			if (got == -3)
				goto invalid;
			if (done) {
				response_done(x, end);
				return (long)filled;
			}
		} else {
			got = upstream_read(x);
		}
		if (got == 0)
			break;
		if (got == -1) {
			/* the close ends a close-delimited body, else cuts */
			if (pl_buf_size(&uc->in) == 0 &&
			    pl_http_parser_finish(x->rp) != PL_OK) {
				PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: "
					   "upstream %s: closed inside its "
					   "response body (response cut)",
					   x->c->peer, x->up_name);
				return source_failed(x, filled);
			}
			x->uc->readable = false;
			continue;
		}
		if (got == -2)
			return source_failed(x, filled);
	}
	return (long)filled;
invalid:
	PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: upstream %s: %s (response "
			   "cut)", x->c->peer, x->up_name,
			   pl_http_parser_reason(x->rp));
	return source_failed(x, filled);
}

/* ---- life ------------------------------------------------------------------------- */

void pl_srv_proxy_start_for(const pl_srv_proxy_owner_t *owner,
			    const pl_http_request_t *req, pl_srv_pool_t *pool)
{
	exchange_t *x = calloc(1, sizeof(*x));
	if (x == NULL) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: out of memory for a "
				   "proxied request", owner->c->peer);
		owner->cut(owner->arg);
		return;
	}
	x->c = owner->c;
	x->o = *owner;
	x->pool = pool;
	x->nested = 1;
	x->req_head = req->method.len == 4 &&
		      memcmp(req->method.ptr, "HEAD", 4) == 0;
	x->req_version = req->version;
	x->req_keep_alive = req->keep_alive;
	*x->o.px = x;
	*x->o.sink = (pl_http_body_sink_t){sink_write, sink_end, x};
	x->retryable = idempotent(req) && req->framing == PL_HTTP_BODY_NONE;
	x->upgrade = websocket_handshake(req);
	if (req->target_form == PL_HTTP_TARGET_AUTHORITY) {
		answer(x, 405, "CONNECT is not forwarded");
		x->nested--;
		return;
	}
	const pl_http_limits_t *l = &opts_of(x)->limits;
	x->rp = pl_http_parser_new_response(l);
	if (x->rp == NULL || build_head(x, req) != PL_OK) {
		answer(x, 502, "out of memory");
		x->nested--;
		return;
	}
	pl_http_parser_no_body(x->rp, req->method.len == 4 &&
			       memcmp(req->method.ptr, "HEAD", 4) == 0);
	connect_to(x, NULL);
	x->nested--;
}

/* HTTP/1's owner: the connection itself. */
static void conn_reply_ready(void *arg)
{
	pl_srv_conn_t *c = arg;
	c->proto->reply_ready(c);
}

static void conn_wake(void *arg)
{
	pl_srv_conn_wake(arg);
}

static void conn_cut(void *arg)
{
	pl_srv_conn_cut(arg);
}

void pl_srv_proxy_start(pl_srv_conn_t *c, const pl_http_request_t *req,
			const pl_srv_rsite_t *site, pl_srv_pool_t *pool)
{
	(void)site;
	pl_srv_proxy_owner_t o = {c, false, &c->reply, &c->sink, &c->body_blocked,
				  &c->px, conn_reply_ready, conn_wake,
				  conn_cut, c};
	pl_srv_proxy_start_for(&o, req, pool);
}

const char *pl_srv_proxy_upstream(const pl_srv_conn_t *c, uint64_t *us)
{
	return pl_srv_proxy_upstream_of(c->px, us);
}

const char *pl_srv_proxy_upstream_of(const exchange_t *x, uint64_t *us)
{
	if (x == NULL || x->up_name[0] == 0)
		return NULL;
	*us = x->up ? pl_srv_now_us() - x->up_start_us : x->up_us;
	return x->up_name;
}

void pl_srv_proxy_free(pl_srv_conn_t *c)
{
	if (c->px == NULL)
		return;
	pl_srv_proxy_end(c->px);
	c->reply_waiting = false;
}

void pl_srv_proxy_end(exchange_t *x)
{
	if (x == NULL)
		return;
	release_upstream(x, false);
	/* the reply may point at the fields and the source */
	pl_http_reply_t *r = x->o.reply;
	r->extra = NULL;
	r->extra_count = 0;
	if (x->head_ready && !x->answered)
		r->server = NULL; /* it was the upstream's */
	r->source = (pl_http_body_source_t){0};
	*x->o.sink = (pl_http_body_sink_t){0};
	*x->o.body_blocked = false;
	*x->o.px = NULL;
	pl_http_parser_free(x->rp);
	pl_buf_free(&x->head);
	free(x->fields);
	free(x);
}
