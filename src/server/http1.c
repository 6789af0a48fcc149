/*
 * HTTP/1.1 over a connection's transport (conn.h's protocol): requests
 * are parsed one at a time, so pipelined requests are answered in order;
 * each is answered by the http layer (files, the welcome page, or a
 * redirect on plain HTTP) and its reply is queued on the transport, a
 * file streamed while the transport's output stays small.
 *
 * A request body (Content-Length or chunked, trailers included) is read
 * as it arrives into the handler's sink (c->sink: the proxy's), or
 * discarded (files), never held whole; reading it to its end is what
 * keeps the connection usable for the next request. A full sink stops
 * the reading (backpressure) until the handler wakes the connection. The
 * parser refuses one over --max-body with 413 as soon as its length is
 * announced; Expect: 100-continue gets its 100.
 *
 * A proxied request is answered later: the connection waits in UPSTREAM
 * until the handler calls reply_ready(), and a reply with a source
 * streams its body as the source yields it (chunked to HTTP/1.1, up to
 * the close to HTTP/1.0).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "server/conn.h"
#include "server/proxy.h"

#define FILE_CHUNK 16384
#define OUTPUT_HIGH_WATER (64 * 1024)

static void log_request(pl_srv_conn_t *c, const pl_http_request_t *req,
			const pl_http_conninfo_t *info)
{
	pl_srv_log_reply(c, req, req ? req->version : 0, info, &c->reply,
			 c->request_us);
}

/* HTTP/1 writes the reply's head, its body bytes and, when all fit in one
 * record, the whole file in one go: one seal (and 22 bytes on the wire)
 * fewer than a record for each. A short or failed read leaves the file to
 * produce(), which reads it again and says what went wrong. */
static int write_head(pl_srv_conn_t *c)
{
	pl_http_reply_t *r = &c->reply;
	pl_http_buf_t head = PL_HTTP_BUF_INIT;
	int ret = pl_http_reply_head(r, &head);
	if (ret != PL_OK)
		goto out;
	if (head.len + r->body.len > FILE_CHUNK) {
		if ((ret = c->transport->send(c, head.data, head.len)) == PL_OK)
			ret = c->transport->send(c, r->body.data, r->body.len);
		goto out;
	}
	uint8_t buf[FILE_CHUNK];
	size_t len = head.len + r->body.len;
	memcpy(buf, head.data, head.len);
	if (r->body.len)
		memcpy(buf + head.len, r->body.data, r->body.len);
	if (r->file_fd >= 0 && r->file_len > 0 && r->file_len <= FILE_CHUNK - len) {
		/* all of it, or produce() takes the rest */
		long got = pl_http_reply_read_file(r, buf + len, FILE_CHUNK - len);
		if (got > 0)
			len += (size_t)got;
	}
	ret = c->transport->send(c, buf, len);
out:
	pl_http_buf_free(&head);
	return ret;
}

static void start_reply(pl_srv_conn_t *c)
{
	if (c->reply.close || c->draining)
		c->close_after = true;
	pl_srv_conn_set_phase(c, PL_SRV_PHASE_REPLY);
	if (write_head(c) != PL_OK) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: cannot queue the response",
			   c->peer);
		pl_srv_conn_close_now(c);
	}
}


/* Over plain HTTP: a redirect to HTTPS. */
static int redirect(pl_srv_conn_t *c, const pl_http_request_t *req,
		    time_t now)
{
	const pl_srv_runtime_t *rt = pl_srv_conn_runtime(c);
	int port = c->kind == PL_LISTEN_HTTPS ? c->port : rt->opts->https_port;
	return pl_srv_redirect(rt, req, port, now, &c->reply);
}

static void answer(pl_srv_conn_t *c, const pl_http_request_t *req)
{
	time_t now = time(NULL);
	pl_http_conninfo_t info;
	int ret;
	/* A stopping worker closes after this answer; the answer says so
	 * (Connection: close, RFC 9112 9.6), or a client would send its next
	 * request into a closing connection. */
	pl_http_request_t no_reuse;
	if (c->draining) {
		no_reuse = *req;
		no_reuse.keep_alive = false;
		req = &no_reuse;
	}
	pl_http_reply_free(&c->reply);
	c->transport->describe(c, &info);
	ret = c->transport->secure ? pl_srv_serve_https(c, req, &info, &c->reply)
				   : redirect(c, req, now);
	if (ret != PL_OK) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR,
				   "%s: cannot build a response: %s", c->peer,
				   pl_strerror(ret));
		pl_srv_conn_close_now(c);
		return;
	}
	/* A 5xx is ours to fix (a root that went away): an error, not a
	 * visitor's mistake. Either can repeat at every request: each has
	 * its own rate limit. */
	if (c->reply.why && c->reply.status >= 500)
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: %d for %s: %s",
				   c->peer, c->reply.status, req->target.ptr,
				   c->reply.why);
	else if (c->reply.why)
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_INFO, "%s: %d for %s: %s",
				   c->peer, c->reply.status, req->target.ptr,
				   c->reply.why);
	if (pl_srv_log_access_enabled())
		log_request(c, req, &info);
	start_reply(c);
}

/* The proxy has filled c->reply (the upstream's answer, or its 502/504):
 * it goes out; the access log has it once it is sent (its size and the
 * upstream's time are known then). */
static void reply_ready(pl_srv_conn_t *c)
{
	/* its 502 or 504 has had its one log line (proxy.c) */
	start_reply(c);
}

static void log_proxied(pl_srv_conn_t *c)
{
	const pl_http_request_t *req = c->http ? pl_http_parser_request(c->http)
					       : NULL;
	pl_http_conninfo_t info;
	pl_srv_access_t extra;
	c->transport->describe(c, &info);
	memset(&extra, 0, sizeof(extra));
	extra.upstream = pl_srv_proxy_upstream(c, &extra.upstream_us);
	pl_srv_log_reply_with(c, req, req ? req->version : 0, &info, &c->reply,
			      c->request_us, &extra);
}

static void answer_error(pl_srv_conn_t *c, int status, const char *reason)
{
	/* A proxied request that fails on the client's side ends there. */
	pl_srv_proxy_free(c);
	const pl_http_request_t *req = c->http ? pl_http_parser_request(c->http)
					       : NULL;
	bool head = req && req->method.len == 4 &&
		    memcmp(req->method.ptr, "HEAD", 4) == 0;
	/* HSTS on every HTTPS response, errors included; never on plain
	 * HTTP (RFC 6797 7.2). */
	long hsts = -1;
	if (c->transport->secure)
		hsts = pl_srv_site_for(pl_srv_conn_runtime(c), NULL, 0)
			       ->http.hsts_max_age;
	int ret = pl_http_reply_error(&c->reply, status, reason, hsts, head,
				      time(NULL), "padlock");
	if (ret != PL_OK) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: cannot build the %d response: "
			   "%s", c->peer, status, pl_strerror(ret));
		pl_srv_conn_close_now(c);
		return;
	}
	PL_SRV_LOG_LIMITED(PL_SRV_LOG_INFO, "%s: %d: %s", c->peer, status,
			   reason);
	if (pl_srv_log_access_enabled()) {
		pl_http_conninfo_t info;
		c->transport->describe(c, &info);
		log_request(c, req, &info);
	}
	start_reply(c);
}

/* Between requests the parser holds nothing worth its 464 bytes (the
 * next request gets a new one), and the transport drops its buffers. */
static void go_idle(pl_srv_conn_t *c)
{
	pl_buf_free(&c->in);
	if (c->close_after) {
		pl_http_parser_shrink(c->http);
	} else {
		pl_http_parser_free(c->http);
		c->http = NULL;
	}
	c->transport->shrink(c);
}

/* RFC 9110 10.1.1: the client waits for a 100 before it sends the body. */
static bool expects_continue(const pl_http_request_t *req)
{
	const pl_http_str_t *v = pl_http_header(req, "Expect");
	return req->version == PL_HTTP_11 && v && v->len == 12 &&
	       strncasecmp(v->ptr, "100-continue", 12) == 0;
}

/* A request's head is complete: answer it now, or once its body has been
 * read (nothing_after: no body bytes have come yet). */
static void head_done(pl_srv_conn_t *c, bool nothing_after)
{
	static const char go_on[] = "HTTP/1.1 100 Continue\r\n\r\n";
	const pl_http_request_t *req = pl_http_parser_request(c->http);
	pl_srv_pool_t *pool = NULL;
	const pl_srv_rsite_t *site = NULL;
	if (c->transport->secure && !c->draining) {
		pl_http_conninfo_t info;
		c->transport->describe(c, &info);
		site = pl_srv_site_of_request(pl_srv_conn_runtime(c), req,
					      info.sni);
		pool = pl_srv_proxy_pool_for(site, req);
	}
	if (pool) {
		pl_srv_proxy_start(c, req, site, pool);
		if (c->phase == PL_SRV_PHASE_REPLY ||
		    c->phase == PL_SRV_PHASE_DEAD)
			return; /* answered at once (502, 400) */
		if (req->framing == PL_HTTP_BODY_NONE) {
			pl_srv_conn_set_phase(c, PL_SRV_PHASE_UPSTREAM);
			c->sink.end(c->sink.arg);
			return;
		}
	} else if (req->framing == PL_HTTP_BODY_NONE) {
		answer(c, req);
		return;
	}
	pl_srv_conn_set_phase(c, PL_SRV_PHASE_BODY);
	/* A client that sent body bytes already does not wait (RFC 9110
	 * 10.1.1 lets the server leave the 100 out then). */
	if (expects_continue(req) && nothing_after &&
	    c->transport->send(c, go_on, sizeof(go_on) - 1) != PL_OK) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: cannot queue the 100 "
			   "Continue", c->peer);
		pl_srv_conn_close_now(c);
	}
}

static void on_data(pl_srv_conn_t *c)
{
	/* Called with nothing received yet too (no buffer): NULL + 0 is
	 * undefined behaviour, so point at a byte. */
	static const uint8_t nothing[1];
	const uint8_t *in = pl_buf_head(&c->in) ? pl_buf_head(&c->in) : nothing;
	size_t in_len = pl_buf_size(&c->in), off = 0;
	if (c->http == NULL &&
	    (c->http = pl_http_parser_new(&pl_srv_conn_runtime(c)->opts->limits)) ==
		    NULL) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: cannot make an HTTP parser "
			   "(out of memory, or limits out of range)", c->peer);
		pl_srv_conn_close_now(c);
		return;
	}
	while (pl_srv_conn_accepts_request(c) && !c->close_after &&
	       !c->body_blocked) {
		pl_http_step_t step;
		int ret = pl_http_parse(c->http, in + off, in_len - off, &step);
		off += step.consumed;
		if (ret != PL_OK) {
			int status = pl_http_parser_status(c->http);
			const char *why = pl_http_parser_reason(c->http);
			answer_error(c, status ? status : 500, why);
			break;
		}
		if (step.event == PL_HTTP_NEED_MORE) {
			if ((c->phase == PL_SRV_PHASE_FIRST ||
			     c->phase == PL_SRV_PHASE_IDLE) && in_len > 0) {
				c->request_us = pl_srv_now_us();
				pl_srv_conn_set_phase(c, PL_SRV_PHASE_HEAD);
			}
			break;
		}
		if (step.event == PL_HTTP_HEAD) {
			if (c->phase != PL_SRV_PHASE_HEAD)
				c->request_us = pl_srv_now_us();
			head_done(c, off == in_len);
		} else if (step.event == PL_HTTP_BODY) {
			/* Into the sink, or discarded; re-arms the body's
			 * timeout. A full sink: no more until it wakes us. */
			pl_srv_conn_set_phase(c, PL_SRV_PHASE_BODY);
			if (c->sink.write && step.body_len &&
			    !c->sink.write(c->sink.arg, step.body,
					   step.body_len)) {
				c->body_blocked = true;
				break;
			}
		} else if (c->phase == PL_SRV_PHASE_BODY && c->px) {
			/* DONE after a proxied body: the upstream answers */
			pl_srv_conn_set_phase(c, PL_SRV_PHASE_UPSTREAM);
			c->sink.end(c->sink.arg);
		} else if (c->phase == PL_SRV_PHASE_BODY) {
			/* DONE after a body: now it can be answered. */
			answer(c, pl_http_parser_request(c->http));
		}
		/* DONE of a request without a body moves on to the next. */
	}
	if (c->phase == PL_SRV_PHASE_DEAD)
		return;
	pl_buf_consume(&c->in, off);
	if (pl_buf_size(&c->in) == 0 && (c->phase == PL_SRV_PHASE_FIRST ||
					 c->phase == PL_SRV_PHASE_IDLE))
		go_idle(c);
}

/* A streamed body (a proxied response), framed for this client. */
static bool produce_source(pl_srv_conn_t *c)
{
	uint8_t buf[FILE_CHUNK];
	pl_http_reply_t *r = &c->reply;
	bool chunked = r->framing == PL_HTTP_BODY_CHUNKED;
	c->reply_waiting = false;
	while (pl_srv_conn_pending(c) < OUTPUT_HIGH_WATER) {
		bool end = false;
		long n = r->source.read(r->source.arg, buf, sizeof(buf), &end);
		if (n < 0 || c->phase == PL_SRV_PHASE_DEAD) {
			pl_srv_conn_cut(c);
			return false;
		}
		int ret = PL_OK;
		if (n > 0 && chunked) {
			char size[24];
			int len = snprintf(size, sizeof(size), "%lx\r\n", n);
			if ((ret = c->transport->send(c, size, (size_t)len)) ==
			    PL_OK &&
			    (ret = c->transport->send(c, buf, (size_t)n)) == PL_OK)
				ret = c->transport->send(c, "\r\n", 2);
		} else if (n > 0) {
			ret = c->transport->send(c, buf, (size_t)n);
		}
		r->body_bytes += (uint64_t)n;
		if (ret == PL_OK && end && chunked)
			ret = c->transport->send(c, "0\r\n\r\n", 5);
		if (ret != PL_OK) {
			pl_srv_conn_close_now(c);
			return false;
		}
		if (end) {
			r->source.read = NULL;
			return true;
		}
		if (n == 0) {
			c->reply_waiting = true;
			return false;
		}
	}
	return false;
}

static bool produce(pl_srv_conn_t *c)
{
	uint8_t buf[FILE_CHUNK];
	pl_http_reply_t *r = &c->reply;
	if (r->source.read)
		return produce_source(c);
	while (r->file_fd >= 0 && r->file_len > 0 &&
	       pl_srv_conn_pending(c) < OUTPUT_HIGH_WATER) {
		long n = pl_http_reply_read_file(r, buf, sizeof(buf));
		if (n <= 0) {
			/* The length is promised; a short file cannot be
			 * finished, only cut. */
			PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR,
				   "%s: file read failed mid-response: %s",
				   c->peer, n < 0 ? strerror((int)-n) : "file shrank");
			pl_srv_conn_close_now(c);
			return false;
		}
		if (c->transport->send(c, buf, (size_t)n) != PL_OK) {
			pl_srv_conn_close_now(c);
			return false;
		}
	}
	return r->file_fd < 0 || r->file_len == 0;
}

static void reply_sent(pl_srv_conn_t *c)
{
	if (c->px) {
		if (pl_srv_log_access_enabled())
			log_proxied(c);
		pl_srv_proxy_free(c);
	}
	pl_http_reply_free(&c->reply);
}

static void timed_out(pl_srv_conn_t *c)
{
	answer_error(c, 408, c->phase == PL_SRV_PHASE_BODY
				     ? "the request body did not arrive in time"
				     : "the request headers did not arrive in "
				       "time");
}

static void cut_short(pl_srv_conn_t *c)
{
	answer_error(c, 400, "the request body ended early");
}

static void http1_init(pl_srv_conn_t *c)
{
	pl_http_reply_init(&c->reply);
}

static void http1_free(pl_srv_conn_t *c)
{
	pl_srv_proxy_free(c);
	pl_http_parser_free(c->http);
	c->http = NULL;
	pl_http_reply_free(&c->reply);
}

const pl_srv_protocol_t pl_srv_http1 = {
	.name = "HTTP/1.1",
	.init = http1_init,
	.on_data = on_data,
	.produce = produce,
	.reply_sent = reply_sent,
	.timed_out = timed_out,
	.cut_short = cut_short,
	.reply_ready = reply_ready,
	.free = http1_free,
};
