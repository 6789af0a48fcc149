/*
 * One connection of a worker. The TLS port's connections start by looking
 * at the first byte: a TLS handshake record (0x16) goes to the engine; an
 * ASCII letter is plain HTTP sent to the TLS port and gets a redirect. The
 * HTTP port's connections are plain HTTP and get redirects only.
 *
 * A connection is always in one named phase (conn.h); set_phase() moves
 * it and arms the phase's timeout from the table below, and
 * pl_srv_conn_timeout() does what the phase says on expiry.
 *
 * progress() is the pump: parse requests (one at a time, so pipelined
 * requests are answered in order), stream the reply's file through the
 * engine while its output is small, flush to the socket until it would
 * block, and close gracefully (close_notify, then a lingering close so a
 * client's unread bytes do not turn our last response into a reset).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/conn.h"

#define FILE_CHUNK 16384
#define OUTPUT_HIGH_WATER (64 * 1024)
/* How long a stopping worker still takes a request on a connection that
 * is between requests (or has not sent its first). */
#define DRAIN_GRACE_MS 1000

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

#define LINGER_MS 2000

static const pl_srv_options_t *opts(pl_srv_conn_t *c)
{
	return pl_srv_worker_runtime(c->w)->opts;
}

static void deadline(pl_srv_conn_t *c, unsigned ms)
{
	(void)pl_srv_timer_set(pl_srv_worker_timers(c->w), &c->timer,
			       pl_srv_now_ms() + ms);
}

#define NO_OPTION ((size_t)-1)

/* Each phase's timeout: an option of pl_srv_options_t (by offset), else a
 * fixed one. The handshake's bound counts from the accept, so sniffing
 * the first byte does not extend it. */
static const struct {
	const char *name;
	size_t option;
	unsigned fixed_ms;
	bool from_accept;
} phases[PL_SRV_PHASE_COUNT] = {
	[PL_SRV_PHASE_SNIFF] = {"sniff",
		offsetof(pl_srv_options_t, handshake_timeout_ms), 0, true},
	[PL_SRV_PHASE_HANDSHAKE] = {"handshake",
		offsetof(pl_srv_options_t, handshake_timeout_ms), 0, true},
	[PL_SRV_PHASE_FIRST] = {"first request",
		offsetof(pl_srv_options_t, header_timeout_ms), 0, false},
	[PL_SRV_PHASE_IDLE] = {"idle",
		offsetof(pl_srv_options_t, idle_timeout_ms), 0, false},
	[PL_SRV_PHASE_HEAD] = {"request head",
		offsetof(pl_srv_options_t, header_timeout_ms), 0, false},
	[PL_SRV_PHASE_REPLY] = {"reply",
		offsetof(pl_srv_options_t, idle_timeout_ms), 0, false},
	[PL_SRV_PHASE_CLOSING] = {"closing", NO_OPTION, LINGER_MS, false},
	[PL_SRV_PHASE_LINGER] = {"linger", NO_OPTION, LINGER_MS, false},
	[PL_SRV_PHASE_DEAD] = {"dead", NO_OPTION, 0, false},
};

static unsigned phase_timeout_ms(pl_srv_conn_t *c, pl_srv_phase_t phase)
{
	if (phases[phase].option == NO_OPTION)
		return phases[phase].fixed_ms;
	const char *o = (const char *)opts(c);
	unsigned ms;
	memcpy(&ms, o + phases[phase].option, sizeof(ms));
	return ms;
}

/* Arms the phase's own timeout (again, when it is the same phase: a reply
 * that made progress, a new keep-alive wait). */
static void arm_timeout(pl_srv_conn_t *c)
{
	unsigned ms = phase_timeout_ms(c, c->phase);
	if (phases[c->phase].from_accept) {
		uint64_t start_ms = c->accepted_us / 1000;
		(void)pl_srv_timer_set(pl_srv_worker_timers(c->w), &c->timer,
				       start_ms + ms);
		return;
	}
	deadline(c, ms);
}

/* The one place a phase changes: leaving and entering do their work here.
 * Entering LINGER shuts our write side, once: shutdown() of a socket
 * already shut down wakes its waiters again, which edge-triggered epoll
 * reports as a new event, whose handling would shut it down again: a busy
 * loop until the peer closes. */
static void set_phase(pl_srv_conn_t *c, pl_srv_phase_t phase)
{
	if (c->phase == PL_SRV_PHASE_DEAD)
		return;
	c->phase = phase;
	if (phase == PL_SRV_PHASE_DEAD)
		return;
	if (phase == PL_SRV_PHASE_LINGER)
		shutdown(c->fd, SHUT_WR);
	arm_timeout(c);
}

pl_srv_conn_t *pl_srv_conn_new(pl_srv_worker_t *w, int fd,
			       pl_srv_listen_kind_t kind, int port,
			       const char *peer)
{
	pl_srv_conn_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		pl_srv_log(PL_SRV_LOG_ERROR, "%s: out of memory for a "
			   "connection", peer);
		return NULL;
	}
	c->tag.kind = PL_SRV_TAG_CONN;
	c->w = w;
	c->fd = fd;
	c->kind = kind;
	c->port = port;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->accepted_us = now_us();
	pl_http_reply_init(&c->reply);
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = &c->tag};
	if (epoll_ctl(pl_srv_worker_epoll(w), EPOLL_CTL_ADD, fd, &ev) < 0) {
		pl_srv_log(PL_SRV_LOG_ERROR, "%s: cannot watch the connection: "
			   "%s", peer, strerror(errno));
		free(c);
		return NULL;
	}
	pl_srv_worker_link(w, c);
	set_phase(c, kind == PL_LISTEN_HTTPS ? PL_SRV_PHASE_SNIFF
					     : PL_SRV_PHASE_FIRST);
	if (pl_srv_worker_draining(w))
		pl_srv_conn_drain(c);
	return c;
}

void pl_srv_conn_free(pl_srv_conn_t *c)
{
	if (c->phase != PL_SRV_PHASE_DEAD)
		close(c->fd);
	pl_tls_conn_free(c->tls);
	pl_http_parser_free(c->http);
	pl_buf_free(&c->in);
	pl_http_buf_free(&c->out);
	pl_http_reply_free(&c->reply);
	for (size_t i = 0; c->steps && i < c->steps->n; i++)
		free(c->steps->text[i]);
	free(c->steps);
	free(c);
}

static void close_now(pl_srv_conn_t *c)
{
	if (c->phase == PL_SRV_PHASE_DEAD)
		return;
	set_phase(c, PL_SRV_PHASE_DEAD);
	/* No EPOLL_CTL_DEL: closing the only descriptor of a socket takes
	 * it out of the epoll set (workers never fork, so none is shared),
	 * and events already fetched for it find it dead. */
	close(c->fd);
	pl_srv_worker_release(c->w, c);
}

void pl_srv_trace_step(void *arg, const pl_tls_conn_t *tls,
		       pl_tls_step_t step, const char *text)
{
	pl_srv_conn_t *c = pl_tls_conn_user(tls);
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
	st->us[st->n] = (uint32_t)(now_us() - c->accepted_us);
	st->n++;
}

/* ---- output ------------------------------------------------------------------ */

/* Sends what is queued. 0: all sent; 1: the socket is full (EPOLLOUT will
 * call again); -1: the connection is gone. */
static int flush(pl_srv_conn_t *c)
{
	for (;;) {
		const uint8_t *p;
		size_t len;
		if (c->tls) {
			p = pl_tls_output(c->tls, &len);
		} else {
			p = c->out.data + c->out_sent;
			len = c->out.len - c->out_sent;
		}
		if (len == 0)
			return 0;
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			close_now(c);
			return -1;
		}
		if (c->tls)
			pl_tls_output_consumed(c->tls, (size_t)n);
		else
			c->out_sent += (size_t)n;
		if (c->phase == PL_SRV_PHASE_REPLY)
			arm_timeout(c);
	}
}

static size_t pending_output(pl_srv_conn_t *c)
{
	size_t len = 0;
	if (c->tls)
		(void)pl_tls_output(c->tls, &len);
	else
		len = c->out.len - c->out_sent;
	return len;
}

/* CLOSING: once our last bytes are out, half-close and linger. */
static void finish_close(pl_srv_conn_t *c)
{
	if (flush(c) != 0)
		return; /* gone, or progress() comes back when it drains */
	set_phase(c, PL_SRV_PHASE_LINGER);
}

/* Our side is done: close_notify, then half-close and read until the
 * peer closes (bounded), so unread request bytes cannot reset the
 * connection before the client has read our last response. */
static void begin_close(pl_srv_conn_t *c)
{
	if (c->phase >= PL_SRV_PHASE_CLOSING)
		return;
	if (c->tls && pl_tls_handshake_done(c->tls))
		(void)pl_tls_close(c->tls);
	c->close_after = true;
	set_phase(c, PL_SRV_PHASE_CLOSING);
	finish_close(c);
}

/* ---- requests ------------------------------------------------------------------ */

static void out_of_memory_for_request(pl_srv_conn_t *c)
{
	pl_srv_log(PL_SRV_LOG_ERROR, "%s: out of memory for the request",
		   c->peer);
	close_now(c);
}

static void append_in(pl_srv_conn_t *c, const uint8_t *p, size_t n)
{
	pl_push_bytes(&c->in, p, n);
	if (pl_buf_error(&c->in) != PL_OK)
		out_of_memory_for_request(c);
}

static const char *tls_version_name(uint16_t v)
{
	return v == PL_TLS_VERSION_13 ? "TLS 1.3" : v == PL_TLS_VERSION_12 ? "TLS 1.2" : "";
}

static void log_request(pl_srv_conn_t *c, const pl_http_request_t *req)
{
	pl_srv_access_t a;
	if (!pl_srv_log_access_enabled())
		return; /* --access-log off: no entry to build */
	memset(&a, 0, sizeof(a));
	a.peer = c->peer;
	if (req) {
		const pl_http_str_t *ref = pl_http_header(req, "Referer");
		const pl_http_str_t *ua = pl_http_header(req, "User-Agent");
		a.method = req->method.ptr;
		a.target = req->target.ptr;
		a.version = req->version;
		a.host = req->host.len ? req->host.ptr : NULL;
		a.referer = ref ? ref->ptr : NULL;
		a.user_agent = ua ? ua->ptr : NULL;
	}
	a.status = c->reply.status;
	a.bytes = c->reply.body_bytes;
	if (c->tls) {
		a.tls_version = tls_version_name(pl_tls_version(c->tls));
		a.suite = pl_tls_suite_name(pl_tls_suite(c->tls));
	}
	a.duration_us = (uint32_t)(now_us() - c->request_us);
	pl_srv_log_access(&a);
}

/* The head of a TLS reply, and with it the whole file when both fit in
 * one record: one seal (and 22 bytes on the wire) fewer than a record for
 * each. A short or failed read leaves the file to stream_file(), which
 * reads it again and says what went wrong. */
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
			return pl_tls_write(c->tls, buf, head + len);
		}
	}
	if (r->out.len == 0)
		return PL_OK;
	return pl_tls_write(c->tls, r->out.data, r->out.len);
}

static void start_reply(pl_srv_conn_t *c)
{
	if (c->reply.close || c->draining)
		c->close_after = true;
	set_phase(c, PL_SRV_PHASE_REPLY);
	if (c->tls) {
		if (write_head(c) != PL_OK) {
			pl_srv_log(PL_SRV_LOG_ERROR, "%s: cannot encrypt the "
				   "response", c->peer);
			close_now(c);
			return;
		}
	} else {
		pl_http_buf_reset(&c->out);
		c->out_sent = 0;
		/* The reply's buffer becomes the plain output. */
		pl_http_buf_t tmp = c->out;
		c->out = c->reply.out;
		c->reply.out = tmp;
	}
}

static void answer(pl_srv_conn_t *c, const pl_http_request_t *req)
{
	const pl_srv_runtime_t *rt = pl_srv_worker_runtime(c->w);
	time_t now = time(NULL);
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
	if (c->tls == NULL) {
		const pl_srv_rsite_t *def = pl_srv_site_for(rt, NULL, 0);
		int port = c->kind == PL_LISTEN_HTTPS ? c->port
						      : rt->opts->https_port;
		ret = pl_http_redirect(req, def->n_names ? def->names[0] : NULL,
				       port, now, "padlock", &c->reply);
	} else {
		size_t host_len;
		const char *host = pl_http_host_name(req, &host_len);
		if (host_len == 0) {
			host = pl_tls_sni(c->tls);
			host_len = strlen(host);
		}
		const pl_srv_rsite_t *site = pl_srv_site_for(rt, host, host_len);
		char *chain_text[8];
		size_t chain_len = 0;
		pl_http_conninfo_t info = {
			.peer = c->peer,
			.tls_version = tls_version_name(pl_tls_version(c->tls)),
			.suite = pl_tls_suite_name(pl_tls_suite(c->tls)),
			.group = pl_tls_group_name(pl_tls_group(c->tls)),
			.sigscheme = pl_tls_sigscheme_name(pl_tls_sigscheme(c->tls)),
			.sni = pl_tls_sni(c->tls),
			.alpn = pl_tls_alpn(c->tls),
			.hello_retry = pl_tls_did_hello_retry(c->tls),
			.step_text = c->steps ? (const char *const *)c->steps->text
					      : NULL,
			.step_us = c->steps ? c->steps->us : NULL,
			.n_steps = c->steps ? c->steps->n : 0,
		};
		if (site->http.root == NULL)
			chain_len = pl_http_chain_text(pl_tls_peer_chain(c->tls),
						       chain_text, 8);
		info.chain_text = (const char *const *)chain_text;
		info.chain_len = chain_len;
		ret = pl_http_serve(&site->http, req, &info, now, &c->reply);
		for (size_t i = 0; i < chain_len; i++)
			free(chain_text[i]);
	}
	if (ret != PL_OK) {
		pl_srv_log(PL_SRV_LOG_ERROR, "%s: cannot build a response: %s",
			   c->peer, pl_strerror(ret));
		close_now(c);
		return;
	}
	/* A 5xx is ours to fix (a root that went away): an error, not a
	 * visitor's mistake. */
	if (c->reply.why)
		pl_srv_log(c->reply.status >= 500 ? PL_SRV_LOG_ERROR
						  : PL_SRV_LOG_INFO,
			   "%s: %d for %s: %s", c->peer, c->reply.status,
			   req->target.ptr, c->reply.why);
	/* We do not read request bodies: close after answering. */
	if (req->framing != PL_HTTP_BODY_NONE)
		c->reply.close = true;
	log_request(c, req);
	start_reply(c);
}

static void answer_error(pl_srv_conn_t *c, int status, const char *reason)
{
	const pl_http_request_t *req = c->http ? pl_http_parser_request(c->http)
					       : NULL;
	bool head = req && req->method.len == 4 &&
		    memcmp(req->method.ptr, "HEAD", 4) == 0;
	int ret;
	if (c->tls) {
		/* HSTS on every HTTPS response, errors included. */
		const pl_srv_rsite_t *site =
			pl_srv_site_for(pl_srv_worker_runtime(c->w), NULL, 0);
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
		close_now(c);
		return;
	}
	pl_srv_log(PL_SRV_LOG_INFO, "%s: %d: %s", c->peer, status, reason);
	log_request(c, req);
	start_reply(c);
}

/* Between requests or inside a request's head: the parser may run. */
static bool accepts_request(const pl_srv_conn_t *c)
{
	return c->phase == PL_SRV_PHASE_FIRST || c->phase == PL_SRV_PHASE_IDLE ||
	       c->phase == PL_SRV_PHASE_HEAD;
}

static void handle_requests(pl_srv_conn_t *c)
{
	/* Called with nothing received yet too (no buffer): NULL + 0 is
	 * undefined behaviour, so point at a byte. */
	static const uint8_t nothing[1];
	const uint8_t *in = pl_buf_head(&c->in) ? pl_buf_head(&c->in) : nothing;
	size_t in_len = pl_buf_size(&c->in), off = 0;
	if (c->http == NULL &&
	    (c->http = pl_http_parser_new(&opts(c)->limits)) == NULL) {
		pl_srv_log(PL_SRV_LOG_ERROR, "%s: cannot make an HTTP parser "
			   "(out of memory, or limits out of range)", c->peer);
		close_now(c);
		return;
	}
	while (accepts_request(c) && !c->close_after) {
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
				c->request_us = now_us();
				set_phase(c, PL_SRV_PHASE_HEAD);
			}
			break;
		}
		if (step.event == PL_HTTP_HEAD) {
			if (c->phase != PL_SRV_PHASE_HEAD)
				c->request_us = now_us();
			answer(c, pl_http_parser_request(c->http));
		}
		/* BODY is discarded; DONE moves on to the next request. */
	}
	if (c->phase == PL_SRV_PHASE_DEAD)
		return;
	pl_buf_consume(&c->in, off);
	if (pl_buf_size(&c->in) == 0 && (c->phase == PL_SRV_PHASE_FIRST ||
					 c->phase == PL_SRV_PHASE_IDLE)) {
		pl_buf_free(&c->in);
		/* Between requests the parser holds nothing worth its
		 * 464 bytes; the next request gets a new one. The engine
		 * drops its empty record buffers: an idle connection keeps
		 * its keys and little else. */
		if (c->close_after) {
			pl_http_parser_shrink(c->http);
		} else {
			pl_http_parser_free(c->http);
			c->http = NULL;
		}
		if (c->tls)
			pl_tls_conn_shrink(c->tls);
	}
}

static void stream_file(pl_srv_conn_t *c)
{
	uint8_t buf[FILE_CHUNK];
	pl_http_reply_t *r = &c->reply;
	while (r->file_fd >= 0 && r->file_len > 0 &&
	       pending_output(c) < OUTPUT_HIGH_WATER) {
		size_t want = r->file_len < sizeof(buf) ? (size_t)r->file_len
							 : sizeof(buf);
		ssize_t n = pread(r->file_fd, buf, want, (off_t)r->file_offset);
		if (n <= 0) {
			/* The length is promised; a short file cannot be
			 * finished, only cut. */
			pl_srv_log(PL_SRV_LOG_ERROR,
				   "%s: file read failed mid-response: %s",
				   c->peer, n < 0 ? strerror(errno) : "file shrank");
			close_now(c);
			return;
		}
		if (pl_tls_write(c->tls, buf, (size_t)n) != PL_OK) {
			close_now(c);
			return;
		}
		r->file_offset += (uint64_t)n;
		r->file_len -= (uint64_t)n;
	}
}

static bool reply_done(pl_srv_conn_t *c)
{
	return c->phase == PL_SRV_PHASE_REPLY &&
	       (c->reply.file_fd < 0 || c->reply.file_len == 0) &&
	       pending_output(c) == 0;
}

/* More to do, but the other connections get their turn first. With
 * edge-triggered epoll no new event would come for a socket that never
 * filled up; EPOLL_CTL_MOD re-evaluates readiness, so a socket that is
 * still writable is reported again by the next epoll_wait. */
static void yield(pl_srv_conn_t *c)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = &c->tag};
	if (epoll_ctl(pl_srv_worker_epoll(c->w), EPOLL_CTL_MOD, c->fd, &ev) < 0)
		close_now(c);
}

static void progress(pl_srv_conn_t *c)
{
	for (int rounds = 0; c->phase != PL_SRV_PHASE_DEAD; rounds++) {
		if (rounds == 64) {
			yield(c);
			return;
		}
		if (c->phase == PL_SRV_PHASE_CLOSING) {
			finish_close(c);
			return;
		}
		if (c->phase == PL_SRV_PHASE_LINGER)
			return;
		if (accepts_request(c) && !c->close_after)
			handle_requests(c);
		if (c->phase == PL_SRV_PHASE_DEAD)
			return;
		bool replying = c->phase == PL_SRV_PHASE_REPLY;
		if (replying && c->tls)
			stream_file(c);
		if (c->phase == PL_SRV_PHASE_DEAD)
			return;
		/* The last reply of a closing connection is all queued: its
		 * close_notify goes out with it, in the same send(). */
		if (c->close_after && replying && c->tls &&
		    (c->reply.file_fd < 0 || c->reply.file_len == 0))
			(void)pl_tls_close(c->tls);
		int f = flush(c);
		if (f < 0)
			return;
		if (reply_done(c)) {
			pl_http_reply_free(&c->reply);
			if (c->close_after) {
				begin_close(c);
				return;
			}
			set_phase(c, PL_SRV_PHASE_IDLE);
			continue; /* pipelined requests may wait */
		}
		if (f == 1)
			return;
		if (c->close_after && !replying) {
			begin_close(c);
			return;
		}
		if (!replying || pending_output(c) > 0)
			return;
	}
}

/* ---- input ----------------------------------------------------------------------- */

static void handshake_failed(pl_srv_conn_t *c)
{
	int alert = pl_tls_alert(c->tls);
	pl_srv_log(PL_SRV_LOG_INFO, "%s: TLS %s: %s (alert %s %s)", c->peer,
		   pl_tls_handshake_done(c->tls) ? "error" : "handshake failed",
		   pl_tls_reason(c->tls), pl_tls_alert_name(alert),
		   pl_tls_alert_received(c->tls) ? "received" : "sent");
	set_phase(c, PL_SRV_PHASE_CLOSING); /* the alert goes out */
	finish_close(c);
}

static void input_tls(pl_srv_conn_t *c, const uint8_t *p, size_t n)
{
	size_t got;
	if (pl_tls_feed(c->tls, p, n) != PL_OK) {
		handshake_failed(c);
		return;
	}
	if (c->phase == PL_SRV_PHASE_HANDSHAKE && pl_tls_handshake_done(c->tls)) {
		/* Acknowledge the client's Finished now: a client with Nagle
		 * on holds its request until then, and a delayed ACK would
		 * cost it 40 ms. */
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		set_phase(c, PL_SRV_PHASE_FIRST);
	}
	if (c->phase == PL_SRV_PHASE_HANDSHAKE)
		return; /* no application data before the handshake is done */
	/* Decrypted straight into the request buffer: no copy on the stack
	 * that would need wiping. */
	for (;;) {
		if (pl_buf_reserve(&c->in, 4096) != PL_OK) {
			out_of_memory_for_request(c);
			return;
		}
		int ret = pl_tls_read(c->tls, c->in.data + c->in.len,
				      c->in.cap - c->in.len, &got);
		if (ret == PL_ERR_CLOSED) {
			c->close_after = true; /* close_notify: no more requests */
			break;
		}
		if (ret != PL_OK) {
			handshake_failed(c);
			return;
		}
		if (got == 0)
			break;
		c->in.len += got;
		pl_buf_grew(&c->in);
	}
}

static void input(pl_srv_conn_t *c, const uint8_t *p, size_t n)
{
	if (c->phase == PL_SRV_PHASE_LINGER)
		return; /* discarded */
	if (c->phase == PL_SRV_PHASE_SNIFF) {
		if (p[0] == 0x16) {
			const pl_srv_runtime_t *rt = pl_srv_worker_runtime(c->w);
			c->tls = pl_tls_conn_new(rt->tls, NULL);
			if (c->tls == NULL) {
				pl_srv_log(PL_SRV_LOG_ERROR, "%s: out of memory "
					   "for a TLS connection", c->peer);
				close_now(c);
				return;
			}
			pl_tls_conn_set_user(c->tls, c);
			pl_tls_conn_set_time(c->tls, time(NULL));
			set_phase(c, PL_SRV_PHASE_HANDSHAKE);
		} else if (p[0] >= 'A' && p[0] <= 'Z') {
			/* HTTP sent to the TLS port */
			set_phase(c, PL_SRV_PHASE_FIRST);
		} else {
			pl_srv_log(PL_SRV_LOG_INFO,
				   "%s: neither TLS nor HTTP (first byte 0x%02x)",
				   c->peer, p[0]);
			close_now(c);
			return;
		}
	}
	if (c->tls)
		input_tls(c, p, n);
	else
		append_in(c, p, n);
}

static void on_eof(pl_srv_conn_t *c)
{
	switch (c->phase) {
	case PL_SRV_PHASE_SNIFF:
	case PL_SRV_PHASE_HANDSHAKE:
		pl_srv_log(PL_SRV_LOG_DEBUG, "%s: closed before the handshake "
			   "finished", c->peer);
		close_now(c);
		return;
	case PL_SRV_PHASE_REPLY:
		c->close_after = true; /* finish the reply, then close */
		return;
	default:
		close_now(c);
		return;
	}
}

static bool reading_paused(pl_srv_conn_t *c)
{
	/* Busy with a reply: leave further requests in the kernel's buffer
	 * (pipelined requests are answered in order; memory stays bounded). */
	return c->phase != PL_SRV_PHASE_LINGER &&
	       (c->phase == PL_SRV_PHASE_REPLY ||
		c->phase == PL_SRV_PHASE_CLOSING || c->close_after);
}

void pl_srv_conn_event(pl_srv_conn_t *c, uint32_t events)
{
	uint8_t buf[16384];
	if (c->phase == PL_SRV_PHASE_DEAD)
		return;
	if (events & EPOLLERR) {
		close_now(c);
		return;
	}
	/* Edge-triggered epoll reports input once: remember it until it has
	 * been read (it waits in the kernel while a reply is going out). */
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		c->input_pending = true;
	bool peer_shut = events & (EPOLLRDHUP | EPOLLHUP);
	for (;;) {
		while (c->phase != PL_SRV_PHASE_DEAD && c->input_pending &&
		       !reading_paused(c)) {
			ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
			if (n > 0) {
				/* A short read emptied the socket: what comes
				 * next is a new event, so no recv() just to
				 * hear EAGAIN. Not so for the EOF of a peer
				 * that has shut down its side. */
				if ((size_t)n < sizeof(buf) && !peer_shut)
					c->input_pending = false;
				input(c, buf, (size_t)n);
				if (c->phase != PL_SRV_PHASE_LINGER)
					progress(c);
				continue;
			}
			if (n == 0) {
				c->input_pending = false;
				on_eof(c);
				break;
			}
			if (errno == EINTR)
				continue;
			c->input_pending = false;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				close_now(c);
			break;
		}
		if (c->phase == PL_SRV_PHASE_DEAD)
			return;
		progress(c);
		/* A reply finished while input waited: read it now, nobody
		 * will tell us again. */
		if (c->phase == PL_SRV_PHASE_DEAD || !c->input_pending ||
		    reading_paused(c))
			return;
	}
}

void pl_srv_conn_timeout(pl_srv_conn_t *c)
{
	switch (c->phase) {
	case PL_SRV_PHASE_DEAD:
		return;
	case PL_SRV_PHASE_HANDSHAKE:
		pl_srv_log(PL_SRV_LOG_DEBUG, "%s: handshake timed out", c->peer);
		close_now(c);
		return;
	case PL_SRV_PHASE_FIRST:
	case PL_SRV_PHASE_IDLE:
		begin_close(c); /* nothing was asked: no answer owed */
		return;
	case PL_SRV_PHASE_HEAD:
		answer_error(c, 408, "the request headers did not arrive in time");
		progress(c);
		return;
	default: /* sniff, reply, closing, linger: the peer is gone */
		close_now(c);
		return;
	}
}

void pl_srv_conn_drain(pl_srv_conn_t *c)
{
	c->draining = true;
	switch (c->phase) {
	case PL_SRV_PHASE_FIRST:
	case PL_SRV_PHASE_IDLE: {
		/* Between requests, or before the first on a connection just
		 * made: the client may have sent one already, or be about to.
		 * Closing now would lose it; one that comes within the grace
		 * is answered with Connection: close, then the timer closes. */
		unsigned idle = opts(c)->idle_timeout_ms;
		deadline(c, idle < DRAIN_GRACE_MS ? idle : DRAIN_GRACE_MS);
		return;
	}
	case PL_SRV_PHASE_REPLY:
		/* Mid-response: finish it, then close (not wait for another
		 * request until the shutdown bound). */
		c->close_after = true;
		return;
	default:
		/* Mid-handshake or mid-request: the reply will say close. */
		return;
	}
}
