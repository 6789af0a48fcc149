/*
 * HTTP/1.1 over a connection's transport (conn.h's protocol): requests
 * are parsed one at a time, so pipelined requests are answered in order;
 * each is answered by the http layer (files, the welcome page, or a
 * redirect on plain HTTP) and its reply is queued on the transport, a
 * file streamed while the transport's output stays small.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/conn.h"

#define FILE_CHUNK 16384
#define OUTPUT_HIGH_WATER (64 * 1024)

static void log_request(pl_srv_conn_t *c, const pl_http_request_t *req,
			const pl_http_conninfo_t *info)
{
	pl_srv_access_t a;
	char host[256];
	memset(&a, 0, sizeof(a));
	a.peer = c->peer;
	if (req) {
		const pl_http_str_t *ref = pl_http_header(req, "Referer");
		const pl_http_str_t *ua = pl_http_header(req, "User-Agent");
		a.method = req->method.ptr;
		a.target = req->target.ptr;
		a.version = req->version;
		pl_srv_request_host_str(req, host, sizeof(host));
		a.host = host[0] ? host : NULL;
		a.referer = ref ? ref->ptr : NULL;
		a.user_agent = ua ? ua->ptr : NULL;
	}
	a.status = c->reply.status;
	a.bytes = c->reply.body_bytes;
	if (c->transport->secure) {
		a.tls_version = info->tls_version;
		a.suite = info->suite;
		a.group = info->group;
	}
	a.duration_us = (uint32_t)(pl_srv_now_us() - c->request_us);
	pl_srv_log_access(&a);
}

/* The reply's head, and with it the whole file when both fit in one
 * record: one seal (and 22 bytes on the wire) fewer than a record for
 * each. A short or failed read leaves the file to produce(), which reads
 * it again and says what went wrong. */
static int write_head(pl_srv_conn_t *c)
{
	pl_http_reply_t *r = &c->reply;
	if (r->file_fd >= 0 && r->file_len > 0 && r->out.len < FILE_CHUNK &&
	    r->file_len <= FILE_CHUNK - r->out.len) {
		uint8_t buf[FILE_CHUNK];
		size_t head = r->out.len, len = (size_t)r->file_len;
		memcpy(buf, r->out.data, head);
		if (pread(r->file_fd, buf + head, len, (off_t)r->file_offset) ==
		    (ssize_t)len) {
			r->file_offset += len;
			r->file_len = 0;
			return c->transport->send(c, buf, head + len);
		}
	}
	if (r->out.len == 0)
		return PL_OK;
	return c->transport->send(c, r->out.data, r->out.len);
}

static void start_reply(pl_srv_conn_t *c)
{
	if (c->reply.close || c->draining)
		c->close_after = true;
	pl_srv_conn_set_phase(c, PL_SRV_PHASE_REPLY);
	if (write_head(c) != PL_OK) {
		pl_srv_log(PL_SRV_LOG_ERROR, "%s: cannot queue the response",
			   c->peer);
		pl_srv_conn_close_now(c);
	}
}

/* Over TLS: the site the Host header (else SNI) names answers. */
static int serve(pl_srv_conn_t *c, const pl_http_request_t *req,
		 const pl_http_conninfo_t *conninfo, time_t now)
{
	const pl_srv_runtime_t *rt = pl_srv_conn_runtime(c);
	const pl_srv_rsite_t *site =
		pl_srv_site_of_request(rt, req, conninfo->sni);
	char *chain_text[8];
	size_t chain_len = 0;
	pl_http_conninfo_t info = *conninfo;
	if (site->http.root == NULL)
		chain_len = pl_http_chain_text(pl_tls_peer_chain(c->tls),
					       chain_text, 8);
	info.chain_text = (const char *const *)chain_text;
	info.chain_len = chain_len;
	int ret = pl_http_serve(&site->http, req, &info, now, &c->reply);
	for (size_t i = 0; i < chain_len; i++)
		free(chain_text[i]);
	return ret;
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
	/* We do not read request bodies, so we close after answering one,
	 * and a stopping worker closes after this answer; the answer says so
	 * (Connection: close, RFC 9112 9.6), or a client would send its next
	 * request into a closing connection. */
	pl_http_request_t no_reuse;
	if (req->framing != PL_HTTP_BODY_NONE || c->draining) {
		no_reuse = *req;
		no_reuse.keep_alive = false;
		req = &no_reuse;
	}
	pl_http_reply_free(&c->reply);
	c->transport->describe(c, &info);
	ret = c->transport->secure ? serve(c, req, &info, now)
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
	/* We do not read request bodies: close after answering. */
	if (req->framing != PL_HTTP_BODY_NONE)
		c->reply.close = true;
	if (pl_srv_log_access_enabled())
		log_request(c, req, &info);
	start_reply(c);
}

static void answer_error(pl_srv_conn_t *c, int status, const char *reason)
{
	const pl_http_request_t *req = c->http ? pl_http_parser_request(c->http)
					       : NULL;
	bool head = req && req->method.len == 4 &&
		    memcmp(req->method.ptr, "HEAD", 4) == 0;
	int ret;
	if (c->transport->secure) {
		/* HSTS on every HTTPS response, errors included. */
		const pl_srv_rsite_t *site =
			pl_srv_site_for(pl_srv_conn_runtime(c), NULL, 0);
		ret = pl_http_reply_error(&c->reply, status, reason,
					  site->http.hsts_max_age, head,
					  time(NULL), "padlock");
	} else {
		pl_http_reply_free(&c->reply);
		ret = pl_http_write_error(&c->reply.out, status, reason,
					  time(NULL), "padlock");
		c->reply.status = status;
		c->reply.close = true;
	}
	if (ret != PL_OK) {
		pl_srv_log(PL_SRV_LOG_ERROR, "%s: cannot build the %d response: "
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
		pl_srv_log(PL_SRV_LOG_ERROR, "%s: cannot make an HTTP parser "
			   "(out of memory, or limits out of range)", c->peer);
		pl_srv_conn_close_now(c);
		return;
	}
	while (pl_srv_conn_accepts_request(c) && !c->close_after) {
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
			if (c->phase != PL_SRV_PHASE_HEAD && in_len > 0) {
				c->request_us = pl_srv_now_us();
				pl_srv_conn_set_phase(c, PL_SRV_PHASE_HEAD);
			}
			break;
		}
		if (step.event == PL_HTTP_HEAD) {
			if (c->phase != PL_SRV_PHASE_HEAD)
				c->request_us = pl_srv_now_us();
			answer(c, pl_http_parser_request(c->http));
		}
		/* BODY is discarded; DONE moves on to the next request. */
	}
	if (c->phase == PL_SRV_PHASE_DEAD)
		return;
	pl_buf_consume(&c->in, off);
	if (pl_buf_size(&c->in) == 0 && (c->phase == PL_SRV_PHASE_FIRST ||
					 c->phase == PL_SRV_PHASE_IDLE))
		go_idle(c);
}

static bool produce(pl_srv_conn_t *c)
{
	uint8_t buf[FILE_CHUNK];
	pl_http_reply_t *r = &c->reply;
	while (r->file_fd >= 0 && r->file_len > 0 &&
	       pl_srv_conn_pending(c) < OUTPUT_HIGH_WATER) {
		size_t want = r->file_len < sizeof(buf) ? (size_t)r->file_len
							 : sizeof(buf);
		ssize_t n = pread(r->file_fd, buf, want, (off_t)r->file_offset);
		if (n <= 0) {
			/* The length is promised; a short file cannot be
			 * finished, only cut. */
			PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR,
				   "%s: file read failed mid-response: %s",
				   c->peer, n < 0 ? strerror(errno) : "file shrank");
			pl_srv_conn_close_now(c);
			return false;
		}
		if (c->transport->send(c, buf, (size_t)n) != PL_OK) {
			pl_srv_conn_close_now(c);
			return false;
		}
		r->file_offset += (uint64_t)n;
		r->file_len -= (uint64_t)n;
	}
	return r->file_fd < 0 || r->file_len == 0;
}

static void reply_sent(pl_srv_conn_t *c)
{
	pl_http_reply_free(&c->reply);
}

static void head_timeout(pl_srv_conn_t *c)
{
	answer_error(c, 408, "the request headers did not arrive in time");
}

static void http1_init(pl_srv_conn_t *c)
{
	pl_http_reply_init(&c->reply);
}

static void http1_free(pl_srv_conn_t *c)
{
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
	.head_timeout = head_timeout,
	.free = http1_free,
};
