/*
 * One connection of a worker: a transport (plain or TLS, transport.c)
 * under a protocol (HTTP/1, http1.c), in one named phase (conn.h). The
 * TLS port's connections start by looking at the first byte: a TLS
 * handshake record (0x16) gets the TLS transport; an ASCII letter is plain
 * HTTP sent to the TLS port and gets the plain one (and a redirect). The
 * HTTP port's connections are plain from the start.
 *
 * set_phase() is the one place a phase changes; it arms the phase's
 * timeout from the table below, and pl_srv_conn_timeout() does what the
 * phase says on expiry.
 *
 * progress() is the pump: let the protocol answer what has arrived, let it
 * queue more of its reply while the output is small, flush to the socket
 * until it would block, and close gracefully (close_notify, then a
 * lingering close so a client's unread bytes do not turn our last
 * response into a reset).
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

/* How long a stopping worker still takes a request on a connection that
 * is between requests (or has not sent its first). */
#define DRAIN_GRACE_MS 1000

uint64_t pl_srv_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

#define LINGER_MS 2000

const pl_srv_runtime_t *pl_srv_conn_runtime(pl_srv_conn_t *c)
{
	return pl_srv_worker_runtime(c->w);
}

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
	[PL_SRV_PHASE_PROXY_HEADER] = {"PROXY header",
		offsetof(pl_srv_options_t, handshake_timeout_ms), 0, true},
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
	/* Re-armed as body bytes arrive: a stalled sender, like a stalled
	 * reader, gets the idle timeout. */
	[PL_SRV_PHASE_BODY] = {"request body",
		offsetof(pl_srv_options_t, idle_timeout_ms), 0, false},
	/* A backstop: the upstream's own timeouts answer 504 first
	 * (phase_timeout_ms adds them up). */
	[PL_SRV_PHASE_UPSTREAM] = {"upstream",
		offsetof(pl_srv_options_t, proxy_timeout_ms), 0, false},
	/* Re-armed as bytes pass either way. */
	[PL_SRV_PHASE_TUNNEL] = {"tunnel",
		offsetof(pl_srv_options_t, idle_timeout_ms), 0, false},
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
	if (phase == PL_SRV_PHASE_UPSTREAM)
		ms += opts(c)->proxy_connect_timeout_ms + 1000;
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
void pl_srv_conn_set_phase(pl_srv_conn_t *c, pl_srv_phase_t phase)
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
			       const pl_srv_listener_t *l, const char *peer)
{
	pl_srv_listen_kind_t kind = l->kind;
	pl_srv_conn_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: out of memory for a "
				   "connection", peer);
		return NULL;
	}
	c->tag.kind = PL_SRV_TAG_CONN;
	c->w = w;
	c->fd = fd;
	c->kind = kind;
	c->port = l->port;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->accepted_us = pl_srv_now_us();
	const pl_srv_options_t *o = pl_srv_worker_runtime(w)->opts;
	/* Section 2 of the spec: a header from anyone would let anyone
	 * choose the address we log and forward. */
	if (l->proxy_protocol &&
	    !pl_srv_addr_trusted(o->trusted_proxies, peer)) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_WARN, "%s: refused: --proxy-protocol "
				   "takes connections only from --trusted-proxies",
				   peer);
		free(c);
		return NULL;
	}
	c->transport = kind == PL_LISTEN_HTTPS ? NULL : &pl_srv_transport_plain;
	c->proto = &pl_srv_http1;
	c->proto->init(c);
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = &c->tag};
	if (epoll_ctl(pl_srv_worker_epoll(w), EPOLL_CTL_ADD, fd, &ev) < 0) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: cannot watch the "
				   "connection: %s", peer, strerror(errno));
		free(c);
		return NULL;
	}
	pl_srv_worker_link(w, c);
	pl_srv_conn_set_phase(c, l->proxy_protocol ? PL_SRV_PHASE_PROXY_HEADER
				 : kind == PL_LISTEN_HTTPS ? PL_SRV_PHASE_SNIFF
							   : PL_SRV_PHASE_FIRST);
	if (pl_srv_worker_draining(w))
		pl_srv_conn_drain(c);
	return c;
}

void pl_srv_conn_free(pl_srv_conn_t *c)
{
	if (c->phase != PL_SRV_PHASE_DEAD)
		close(c->fd);
	if (c->transport)
		c->transport->free(c);
	c->proto->free(c);
	pl_buf_free(&c->in);
	free(c->pp);
	free(c);
}

void pl_srv_conn_close_now(pl_srv_conn_t *c)
{
	if (c->phase == PL_SRV_PHASE_DEAD)
		return;
	pl_srv_conn_set_phase(c, PL_SRV_PHASE_DEAD);
	/* No EPOLL_CTL_DEL: closing the only descriptor of a socket takes
	 * it out of the epoll set (workers never fork, so none is shared),
	 * and events already fetched for it find it dead. */
	close(c->fd);
	pl_srv_worker_release(c->w, c);
}

/* ---- output ------------------------------------------------------------------ */

/* Sends what is queued. 0: all sent; 1: the socket is full (EPOLLOUT will
 * call again); -1: the connection is gone. */
static int flush(pl_srv_conn_t *c)
{
	for (;;) {
		size_t len = 0;
		const uint8_t *p = c->transport ? c->transport->output(c, &len)
						: NULL;
		if (len == 0)
			return 0;
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			pl_srv_conn_close_now(c);
			return -1;
		}
		c->transport->sent(c, (size_t)n);
		if (c->phase == PL_SRV_PHASE_REPLY)
			arm_timeout(c);
	}
}

void pl_srv_conn_cut(pl_srv_conn_t *c)
{
	if (c->phase == PL_SRV_PHASE_DEAD)
		return;
	if (flush(c) >= 0)
		pl_srv_conn_close_now(c);
}

size_t pl_srv_conn_pending(pl_srv_conn_t *c)
{
	size_t len = 0;
	if (c->transport)
		(void)c->transport->output(c, &len);
	return len;
}

/* CLOSING: once our last bytes are out, half-close and linger. */
static void finish_close(pl_srv_conn_t *c)
{
	if (flush(c) != 0)
		return; /* gone, or progress() comes back when it drains */
	pl_srv_conn_set_phase(c, PL_SRV_PHASE_LINGER);
}

/* Our side is done: close_notify, then half-close and read until the
 * peer closes (bounded), so unread request bytes cannot reset the
 * connection before the client has read our last response. */
static void begin_close(pl_srv_conn_t *c)
{
	if (c->phase >= PL_SRV_PHASE_CLOSING)
		return;
	if (c->transport)
		c->transport->shutdown(c);
	c->close_after = true;
	pl_srv_conn_set_phase(c, PL_SRV_PHASE_CLOSING);
	finish_close(c);
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
		pl_srv_conn_close_now(c);
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
		if (pl_srv_conn_accepts_request(c) && !c->close_after)
			c->proto->on_data(c);
		if (c->phase == PL_SRV_PHASE_DEAD)
			return;
		bool replying = c->phase == PL_SRV_PHASE_REPLY;
		bool queued = replying && c->proto->produce(c);
		if (c->phase == PL_SRV_PHASE_DEAD)
			return;
		/* The last reply of a closing connection is all queued: its
		 * close_notify goes out with it, in the same send(). */
		if (c->close_after && queued)
			c->transport->shutdown(c);
		int f = flush(c);
		if (f < 0)
			return;
		if (queued && pl_srv_conn_pending(c) == 0) {
			c->proto->reply_sent(c);
			if (c->close_after) {
				begin_close(c);
				return;
			}
			pl_srv_conn_set_phase(c, PL_SRV_PHASE_IDLE);
			continue; /* pipelined requests may wait */
		}
		if (f == 1)
			return;
		if (c->close_after && !replying) {
			begin_close(c);
			return;
		}
		/* A streamed reply with nothing to send now: the handler
		 * wakes the connection when it has more. */
		if (replying && !queued && c->reply_waiting)
			return;
		bool more = c->proto->wants_write && c->proto->wants_write(c);
		if (!replying && !more && f == 0 && c->proto->quiet)
			c->proto->quiet(c);
		if ((!replying && !more) || pl_srv_conn_pending(c) > 0)
			return;
	}
}

/* ---- input ----------------------------------------------------------------------- */

/* The transport failed (it said why): its alert, if any, goes out, then
 * the connection closes. */
static void transport_failed(pl_srv_conn_t *c)
{
	pl_srv_conn_set_phase(c, PL_SRV_PHASE_CLOSING);
	finish_close(c);
}

/* The first byte of the TLS port chooses the transport. */
static int sniff(pl_srv_conn_t *c, uint8_t first)
{
	if (first == 0x16) {
		const pl_srv_runtime_t *rt = pl_srv_worker_runtime(c->w);
		c->tls = pl_tls_conn_new(rt->tls, NULL);
		if (c->tls == NULL) {
			PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: out of memory "
					   "for a TLS connection", c->peer);
			return PL_ERR_NOMEM;
		}
		pl_tls_conn_set_user(c->tls, c);
		pl_tls_conn_set_time(c->tls, time(NULL));
		/* the worker's ticket keys follow the clock (single thread) */
		(void)pl_tls_ticket_keys_advance(
			pl_tls_config_ticket_keys(rt->tls), time(NULL));
		c->transport = &pl_srv_transport_tls;
		pl_srv_conn_set_phase(c, PL_SRV_PHASE_HANDSHAKE);
		return PL_OK;
	}
	if (first >= 'A' && first <= 'Z') {
		/* HTTP sent to the TLS port */
		c->transport = &pl_srv_transport_plain;
		pl_srv_conn_set_phase(c, PL_SRV_PHASE_FIRST);
		return PL_OK;
	}
	PL_SRV_LOG_LIMITED(PL_SRV_LOG_INFO, "%s: neither TLS nor HTTP (first "
			   "byte 0x%02x)", c->peer, first);
	return PL_ERR_DECODE;
}

static void input(pl_srv_conn_t *c, const uint8_t *p, size_t n);

/* --proxy-protocol: the header first; the bytes after it are the
 * connection's own. */
static void proxy_header(pl_srv_conn_t *c, const uint8_t *p, size_t n)
{
	size_t room = PL_SRV_PROXYPROTO_V2_MAX - c->pp_len;
	size_t take = n < room ? n : room;
	if (c->pp == NULL && (c->pp = malloc(PL_SRV_PROXYPROTO_V2_MAX)) == NULL) {
		pl_srv_conn_close_now(c);
		return;
	}
	memcpy(c->pp + c->pp_len, p, take);
	c->pp_len += take;
	pl_srv_proxyproto_t h;
	const char *why;
	long len = pl_srv_proxyproto_parse(c->pp, c->pp_len, &h, &why);
	if (len == 0 && c->pp_len == PL_SRV_PROXYPROTO_V2_MAX) {
		why = "the PROXY header is longer than padlock takes";
		len = PL_ERR_DECODE;
	}
	if (len < 0) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_WARN, "%s: closed: %s", c->peer,
				   why);
		pl_srv_conn_close_now(c);
		return;
	}
	if (len == 0)
		return;
	if (!h.local) {
		snprintf(c->peer, sizeof(c->peer), "%s", h.source);
		c->peer_port = h.source_port;
	}
	/* the bytes after the header: from the buffer, then from p */
	size_t after = c->pp_len - (size_t)len;
	uint8_t *pp = c->pp;
	c->pp = NULL;
	c->pp_len = 0;
	pl_srv_conn_set_phase(c, c->kind == PL_LISTEN_HTTPS ? PL_SRV_PHASE_SNIFF
							    : PL_SRV_PHASE_FIRST);
	if (after > 0)
		input(c, pp + len, after);
	free(pp);
	if (take < n && c->phase != PL_SRV_PHASE_DEAD)
		input(c, p + take, n - take);
}

static void input(pl_srv_conn_t *c, const uint8_t *p, size_t n)
{
	if (c->phase == PL_SRV_PHASE_LINGER)
		return; /* discarded */
	if (c->phase == PL_SRV_PHASE_PROXY_HEADER) {
		proxy_header(c, p, n);
		return;
	}
	if (c->phase == PL_SRV_PHASE_SNIFF && sniff(c, p[0]) != PL_OK) {
		pl_srv_conn_close_now(c);
		return;
	}
	int ret = c->transport->receive(c, p, n);
	if (ret == PL_ERR_CLOSED) {
		c->close_after = true; /* close_notify: no more requests */
	} else if (ret == PL_ERR_NOMEM) {
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: out of memory for the "
			   "request", c->peer);
		pl_srv_conn_close_now(c);
		return;
	} else if (ret != PL_OK) {
		transport_failed(c);
		return;
	}
	if (c->phase == PL_SRV_PHASE_HANDSHAKE && c->transport->ready(c)) {
		/* Acknowledge the client's Finished now: a client with Nagle
		 * on holds its request until then, and a delayed ACK would
		 * cost it 40 ms. */
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
		const pl_srv_protocol_t *proto =
			pl_srv_protocol_for_alpn(pl_tls_alpn(c->tls));
		if (proto != c->proto) {
			c->proto->free(c);
			c->proto = proto;
			c->proto->init(c);
		}
		pl_srv_conn_set_phase(c, PL_SRV_PHASE_FIRST);
	}
}

static void on_eof(pl_srv_conn_t *c)
{
	switch (c->phase) {
	case PL_SRV_PHASE_PROXY_HEADER:
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_WARN, "%s: closed before its PROXY "
				   "header was complete", c->peer);
		pl_srv_conn_close_now(c);
		return;
	case PL_SRV_PHASE_SNIFF:
	case PL_SRV_PHASE_HANDSHAKE:
		pl_srv_log(PL_SRV_LOG_DEBUG, "%s: closed before the handshake "
			   "finished", c->peer);
		pl_srv_conn_close_now(c);
		return;
	case PL_SRV_PHASE_REPLY:
		c->close_after = true; /* finish the reply, then close */
		return;
	case PL_SRV_PHASE_BODY:
		c->close_after = true;
		c->proto->cut_short(c);
		progress(c);
		return;
	case PL_SRV_PHASE_TUNNEL:
		/* the client is done: what it sent goes on, then both close */
		c->proto->cut_short(c);
		pl_srv_conn_close_now(c);
		return;
	default:
		pl_srv_conn_close_now(c);
		return;
	}
}

static bool reading_paused(pl_srv_conn_t *c)
{
	/* Busy with a reply: leave further requests in the kernel's buffer
	 * (pipelined requests are answered in order; memory stays bounded). */
	/* A full sink, or a request waiting for its upstream: the next
	 * bytes stay in the kernel (backpressure). */
	return c->phase != PL_SRV_PHASE_LINGER &&
	       (c->phase == PL_SRV_PHASE_REPLY ||
		c->phase == PL_SRV_PHASE_UPSTREAM || c->body_blocked ||
		c->phase == PL_SRV_PHASE_CLOSING || c->close_after);
}

void pl_srv_conn_event(pl_srv_conn_t *c, uint32_t events)
{
	uint8_t buf[16384];
	if (c->phase == PL_SRV_PHASE_DEAD)
		return;
	if (events & EPOLLERR) {
		pl_srv_conn_close_now(c);
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
				pl_srv_conn_close_now(c);
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

void pl_srv_conn_wake(pl_srv_conn_t *c)
{
	pl_srv_conn_event(c, 0);
}

void pl_srv_conn_timeout(pl_srv_conn_t *c)
{
	switch (c->phase) {
	case PL_SRV_PHASE_DEAD:
		return;
	case PL_SRV_PHASE_HANDSHAKE:
		pl_srv_log(PL_SRV_LOG_DEBUG, "%s: handshake timed out", c->peer);
		pl_srv_conn_close_now(c);
		return;
	case PL_SRV_PHASE_PROXY_HEADER:
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_WARN, "%s: closed: no PROXY header "
				   "in time", c->peer);
		pl_srv_conn_close_now(c);
		return;
	case PL_SRV_PHASE_FIRST:
	case PL_SRV_PHASE_IDLE:
		if (c->proto->drain) {
			/* a multiplexing protocol says goodbye (GOAWAY) */
			c->proto->timed_out(c);
			progress(c);
			return;
		}
		begin_close(c); /* nothing was asked: no answer owed */
		return;
	case PL_SRV_PHASE_HEAD:
	case PL_SRV_PHASE_BODY:
		c->proto->timed_out(c);
		progress(c);
		return;
	case PL_SRV_PHASE_UPSTREAM:
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "%s: no answer from the "
				   "upstream in time", c->peer);
		pl_srv_conn_close_now(c);
		return;
	default: /* sniff, reply, closing, linger: the peer is gone */
		pl_srv_conn_close_now(c);
		return;
	}
}

void pl_srv_conn_drain_grace(pl_srv_conn_t *c)
{
	unsigned idle = opts(c)->idle_timeout_ms;
	deadline(c, idle < DRAIN_GRACE_MS ? idle : DRAIN_GRACE_MS);
}

void pl_srv_conn_drain(pl_srv_conn_t *c)
{
	c->draining = true;
	if (c->proto->drain && pl_srv_conn_accepts_request(c)) {
		c->proto->drain(c);
		progress(c);
		return;
	}
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
