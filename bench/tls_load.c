/*
 * bench/tls_load: the load generator of bench/server.py, which sets
 * `padlock serve` beside nginx (docs/benchmarks.md).
 *
 * A TLS 1.3 client on OpenSSL's libssl, non-blocking, on one epoll loop, so
 * that one core keeps many connections in flight. Three modes:
 *
 *   handshakes: new connections, each a full handshake (no session is ever
 *     offered: the tickets a server sends are counted and dropped), one
 *     tiny request with "Connection: close", its response read whole, then
 *     an abortive close (RST, so no TIME_WAIT piles up on either side). A
 *     warm-up, then a timed window: handshakes completed in the window, and
 *     the CPU the server processes (-p PID,...) and this process used in
 *     it. A handshake the server reports as resumed is a failure.
 *   resumed: the same, but every connection offers a TLS 1.3 ticket, as a
 *     browser does: one connection makes a full handshake first, then each
 *     new connection takes the newest ticket not yet used (a ticket is used
 *     once while there are unused ones; when none is left, as with a server
 *     that sends no ticket after a resumed handshake, the newest is used
 *     again and counted in ticket_reuse). Every handshake in the
 *     timed window must be resumed (SSL_session_reused): one that is not
 *     is counted in not_resumed, and the run fails (exit 3) with a
 *     message, so that full handshakes are never reported as resumed.
 *   idle: N connections, each a full handshake and one keep-alive request
 *     with its response read whole, then left open and silent. Prints
 *     "ready N" once all are idle, waits for its standard input to close,
 *     then says how many of them the server closed meanwhile.
 *
 * With -2 a connection speaks HTTP/2 instead (ALPN h2 only): the client
 * preface, an empty SETTINGS, the request as one HEADERS frame on stream 1
 * (END_STREAM), the server's SETTINGS acknowledged, the response read to
 * the frame that ends stream 1. Idle mode with -2 measures the memory of
 * an idle h2 connection.
 *
 * The output is one line of key=value pairs (after "ready" in idle mode)
 * for bench/server.py to read.
 *
 * Usage:
 *   bench_tls_load handshakes|resumed HOST PORT PATH [-s SECONDS]
 *                  [-w WARMUP] [-c CONCURRENCY] [-p SERVER_PID[,PID...]] [-2]
 *   bench_tls_load idle HOST PORT PATH -n CONNECTIONS [-c CONCURRENCY] [-2]
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define SNI       "localhost"
#define HEAD_MAX  8192 /* response head bytes kept for parsing */

typedef enum {
	S_FREE,      /* no connection in this slot */
	S_CONNECT,   /* TCP connect in progress */
	S_HANDSHAKE, /* SSL_connect */
	S_REQUEST,   /* writing the request */
	S_RESPONSE,  /* reading the response */
	S_IDLE,      /* idle mode: done, kept open */
	S_GONE,      /* idle mode: the server closed it */
} state_t;

typedef struct {
	state_t state;
	int fd;
	SSL *ssl;
	size_t req_sent;
	char head[HEAD_MAX];
	size_t head_len;
	long long body_want; /* -1 until the head is parsed */
	long long body_got;
	int status;
	bool offered;  /* resumed mode: a ticket was offered */
	bool reused;   /* the server resumed the session */
} slot_t;

static struct {
	bool idle_mode;
	bool h2;        /* -2: HTTP/2 (ALPN h2) instead of HTTP/1.1 */
	struct sockaddr_in addr;
	char request[512];
	size_t request_len;
	SSL_CTX *ctx;
	int epfd;
	/* counters */
	long done;      /* responses read whole */
	long failed;
	char first_error[256];
	long tickets;   /* NewSessionTickets seen (all connections) */
	long resumed;   /* handshakes the server resumed */
	long not_resumed; /* resumed mode: a ticket offered, a full handshake */
	char negotiated[160];
	/* resumed mode: the tickets not yet offered, newest last */
	bool resume;
	SSL_SESSION *unused[64];
	int n_unused;
	SSL_SESSION *newest; /* the newest ticket, kept for reuse */
	long ticket_reuse;   /* connections that offered a used ticket */
} g;

static void die(const char *what)
{
	fprintf(stderr, "bench_tls_load: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(2);
}

static double mono_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* utime + stime of a process in seconds (/proc/PID/stat, clock ticks). */
static double proc_cpu1(long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* the command name may hold spaces: fields count from the last ')' */
	char *p = strrchr(buf, ')');
	if (p == NULL)
		return -1;
	unsigned long long utime = 0, stime = 0;
	/* after ')': state(3) ... utime is field 14, stime 15 */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* The same summed over a comma-separated list of processes (a server whose
 * work is split, as h2o's private-key process takes its signatures). */
static double proc_cpu(const char *pids)
{
	double sum = 0;
	for (const char *p = pids; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p || pid <= 0)
			return -1;
		double c = proc_cpu1(pid);
		if (c < 0)
			return -1;
		sum += c;
		p = *end == ',' ? end + 1 : end;
	}
	return sum;
}

static double self_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static void fail(slot_t *s, const char *why)
{
	g.failed++;
	if (g.first_error[0] == 0) {
		unsigned long e = ERR_peek_last_error();
		char ebuf[160] = "";
		if (e)
			ERR_error_string_n(e, ebuf, sizeof(ebuf));
		snprintf(g.first_error, sizeof(g.first_error), "%s%s%s", why,
			 ebuf[0] ? ": " : "", ebuf);
	}
	ERR_clear_error();
	(void)s;
}

static int new_ticket(SSL *ssl, SSL_SESSION *sess)
{
	(void)ssl;
	g.tickets++;
	if (!g.resume)
		return 0; /* not kept: every handshake is a full one */
	/* kept (the callback's reference): the stack of unused tickets,
	 * the oldest dropped when it is full, and the newest on its own */
	if (g.n_unused == (int)(sizeof(g.unused) / sizeof(g.unused[0]))) {
		SSL_SESSION_free(g.unused[0]);
		memmove(g.unused, g.unused + 1,
			sizeof(g.unused) - sizeof(g.unused[0]));
		g.n_unused--;
	}
	g.unused[g.n_unused++] = sess;
	/* the newest kept as a copy that is never offered itself: libssl
	 * marks a TLS 1.3 session it has resumed not resumable (it wants a
	 * ticket used once), and reuse offers copies of this one */
	SSL_SESSION *copy = SSL_SESSION_dup(sess);
	if (copy == NULL)
		die("SSL_SESSION_dup failed");
	if (g.newest)
		SSL_SESSION_free(g.newest);
	g.newest = copy;
	return 1;
}

/* Resumed mode: the ticket the next connection offers (the newest unused
 * one, else the newest again); NULL before the first has come. */
static bool offer_ticket(SSL *ssl)
{
	SSL_SESSION *sess = NULL;
	if (g.n_unused > 0) {
		sess = g.unused[--g.n_unused];
	} else if (g.newest) {
		sess = SSL_SESSION_dup(g.newest);
		if (sess == NULL)
			die("SSL_SESSION_dup failed");
		g.ticket_reuse++;
	}
	if (sess == NULL)
		return false;
	if (SSL_set_session(ssl, sess) != 1)
		die("SSL_set_session failed");
	SSL_SESSION_free(sess);
	return true;
}

/* Closes the slot's connection with a RST (SO_LINGER 0). */
static void slot_close(slot_t *s)
{
	if (s->ssl)
		SSL_free(s->ssl);
	s->ssl = NULL;
	if (s->fd >= 0) {
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(s->fd);
	}
	s->fd = -1;
	s->state = S_FREE;
}

static void slot_open(slot_t *s)
{
	memset(s, 0, offsetof(slot_t, head));
	s->head_len = 0;
	s->body_want = -1;
	s->body_got = 0;
	s->status = 0;
	s->offered = false;
	s->reused = false;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		die("socket() failed (out of descriptors?)");
	int one = 1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->state = S_CONNECT;
	if (connect(s->fd, (struct sockaddr *)&g.addr, sizeof(g.addr)) < 0 &&
	    errno != EINPROGRESS) {
		char why[96];
		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		fail(s, why);
		close(s->fd);
		s->fd = -1;
		s->state = S_FREE;
		return;
	}
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
				 .data.ptr = s};
	if (epoll_ctl(g.epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		die("epoll_ctl failed");
}

/* Parses the response head once "\r\n\r\n" is in; false while it is not. */
static bool parse_head(slot_t *s)
{
	s->head[s->head_len < HEAD_MAX ? s->head_len : HEAD_MAX - 1] = 0;
	char *end = strstr(s->head, "\r\n\r\n");
	if (end == NULL)
		return false;
	size_t head_bytes = (size_t)(end + 4 - s->head);
	if (sscanf(s->head, "HTTP/1.%*d %d", &s->status) != 1)
		s->status = 0;
	s->body_want = 0;
	for (char *line = strstr(s->head, "\r\n"); line && line < end;
	     line = strstr(line + 2, "\r\n")) {
		if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
			s->body_want = atoll(line + 17);
	}
	s->body_got = (long long)(s->head_len - head_bytes);
	return true;
}

/* ---- HTTP/2: just enough to send one request and read its response ------ */

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_DATA          0x0
#define H2_HEADERS       0x1
#define H2_RST_STREAM    0x3
#define H2_SETTINGS      0x4
#define H2_GOAWAY        0x7
#define H2_END_STREAM    0x1
#define H2_ACK           0x1
#define H2_PADDED        0x8
#define H2_PRIORITY      0x20

static void h2_frame_head(unsigned char *p, size_t len, int type, int flags,
			  unsigned stream)
{
	p[0] = (unsigned char)(len >> 16);
	p[1] = (unsigned char)(len >> 8);
	p[2] = (unsigned char)len;
	p[3] = (unsigned char)type;
	p[4] = (unsigned char)flags;
	p[5] = (unsigned char)(stream >> 24);
	p[6] = (unsigned char)(stream >> 16);
	p[7] = (unsigned char)(stream >> 8);
	p[8] = (unsigned char)stream;
}

/* The preface, an empty SETTINGS and GET PATH as HEADERS on stream 1. The
 * header block in HPACK (RFC 7541): :method GET and :scheme https from
 * the static table (0x82, 0x87), :path and :authority as literals with
 * incremental indexing of static names 4 and 1, no Huffman coding. */
static size_t h2_request(unsigned char *out, size_t cap, const char *path)
{
	size_t plen = strlen(path), alen = strlen(SNI);
	size_t block = 2 + 2 + plen + 2 + alen;
	size_t need = sizeof(H2_PREFACE) - 1 + 9 + 9 + block;
	if (plen > 126 || need > cap)
		die("PATH too long");
	size_t n = 0;
	memcpy(out, H2_PREFACE, sizeof(H2_PREFACE) - 1);
	n += sizeof(H2_PREFACE) - 1;
	h2_frame_head(out + n, 0, H2_SETTINGS, 0, 0);
	n += 9;
	h2_frame_head(out + n, block, H2_HEADERS, H2_END_STREAM | 0x4, 1);
	n += 9;
	out[n++] = 0x82;
	out[n++] = 0x87;
	out[n++] = 0x44;
	out[n++] = (unsigned char)plen;
	memcpy(out + n, path, plen);
	n += plen;
	out[n++] = 0x41;
	out[n++] = (unsigned char)alen;
	memcpy(out + n, SNI, alen);
	n += alen;
	return n;
}

/* Takes the complete frames buffered in s->head. Returns 1 once stream 1
 * has ended, -1 on a failure (already counted), 0 for more. */
static int h2_frames(slot_t *s)
{
	size_t off = 0;
	int ret = 0;
	while (ret == 0 && s->head_len - off >= 9) {
		const unsigned char *f = (const unsigned char *)s->head + off;
		size_t len = (size_t)f[0] << 16 | (size_t)f[1] << 8 | f[2];
		int type = f[3], flags = f[4];
		unsigned stream = ((unsigned)f[5] & 0x7f) << 24 |
				  (unsigned)f[6] << 16 | (unsigned)f[7] << 8 | f[8];
		if (len > HEAD_MAX - 9) {
			fail(s, "HTTP/2 frame larger than the client's buffer");
			return -1;
		}
		if (s->head_len - off < 9 + len)
			break;
		const unsigned char *payload = f + 9;
		if (type == H2_SETTINGS && !(flags & H2_ACK)) {
			unsigned char ack[9];
			size_t w = 0;
			h2_frame_head(ack, 0, H2_SETTINGS, H2_ACK, 0);
			if (SSL_write_ex(s->ssl, ack, sizeof(ack), &w) != 1) {
				fail(s, "SETTINGS ACK write failed");
				return -1;
			}
		} else if (type == H2_HEADERS && stream == 1) {
			size_t skip = (flags & H2_PADDED ? 1 : 0) +
				      (flags & H2_PRIORITY ? 5 : 0);
			/* :status 200 is entry 8 of the static table */
			if (s->status == 0)
				s->status = len > skip && payload[skip] == 0x88
						    ? 200 : -1;
			if (flags & H2_END_STREAM)
				ret = 1;
		} else if (type == H2_DATA && stream == 1) {
			s->body_got += (long long)len;
			if (flags & H2_END_STREAM)
				ret = 1;
		} else if (type == H2_GOAWAY) {
			fail(s, "GOAWAY from the server");
			return -1;
		} else if (type == H2_RST_STREAM && stream == 1) {
			fail(s, "RST_STREAM from the server");
			return -1;
		}
		off += 9 + len;
	}
	memmove(s->head, s->head + off, s->head_len - off);
	s->head_len -= off;
	return ret;
}

/* Drives one connection as far as it goes without blocking. Returns true
 * when its response has been read whole. */
static bool slot_step(slot_t *s)
{
	int ret;
	if (s->state == S_CONNECT) {
		int err = 0;
		socklen_t len = sizeof(err);
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err == EINPROGRESS)
			return false;
		if (err != 0) {
			char why[96];
			snprintf(why, sizeof(why), "connect: %s", strerror(err));
			fail(s, why);
			slot_close(s);
			return false;
		}
		s->ssl = SSL_new(g.ctx);
		if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1)
			die("SSL_new failed");
		SSL_set_tlsext_host_name(s->ssl, SNI);
		if (g.resume)
			s->offered = offer_ticket(s->ssl);
		s->state = S_HANDSHAKE;
	}
	if (s->state == S_HANDSHAKE) {
		ret = SSL_connect(s->ssl);
		if (ret != 1) {
			int e = SSL_get_error(s->ssl, ret);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return false;
			fail(s, "handshake failed");
			slot_close(s);
			return false;
		}
		s->reused = SSL_session_reused(s->ssl) == 1;
		if (g.negotiated[0] == 0) {
			int nid = SSL_get_negotiated_group(s->ssl);
			snprintf(g.negotiated, sizeof(g.negotiated),
				 "version=%s suite=%s group=%s",
				 SSL_get_version(s->ssl),
				 SSL_get_cipher_name(s->ssl),
				 nid ? OBJ_nid2sn(nid & ~TLSEXT_nid_unknown)
				     : "?");
		}
		if (g.h2) {
			const unsigned char *proto = NULL;
			unsigned plen = 0;
			SSL_get0_alpn_selected(s->ssl, &proto, &plen);
			if (plen != 2 || memcmp(proto, "h2", 2) != 0) {
				fail(s, "the server did not select h2 (ALPN)");
				slot_close(s);
				return false;
			}
		}
		s->state = S_REQUEST;
	}
	if (s->state == S_REQUEST) {
		while (s->req_sent < g.request_len) {
			size_t n = 0;
			ret = SSL_write_ex(s->ssl, g.request + s->req_sent,
					   g.request_len - s->req_sent, &n);
			if (ret != 1) {
				int e = SSL_get_error(s->ssl, ret);
				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					return false;
				fail(s, "request write failed");
				slot_close(s);
				return false;
			}
			s->req_sent += n;
		}
		s->state = S_RESPONSE;
	}
	if (s->state == S_RESPONSE) {
		char buf[16384];
		for (;;) {
			size_t n = 0;
			ret = SSL_read_ex(s->ssl, buf, sizeof(buf), &n);
			if (ret != 1) {
				int e = SSL_get_error(s->ssl, ret);
				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					return false;
				fail(s, e == SSL_ERROR_ZERO_RETURN
						? "closed before the response ended"
						: "response read failed");
				slot_close(s);
				return false;
			}
			if (g.h2) {
				if (n > HEAD_MAX - 1 - s->head_len) {
					fail(s, "HTTP/2 frames overflow the buffer");
					slot_close(s);
					return false;
				}
				memcpy(s->head + s->head_len, buf, n);
				s->head_len += n;
				int r = h2_frames(s);
				if (r < 0) {
					slot_close(s);
					return false;
				}
				if (r == 0)
					continue;
				break;
			}
			if (s->body_want < 0) {
				size_t room = HEAD_MAX - 1 - s->head_len;
				size_t take = n < room ? n : room;
				memcpy(s->head + s->head_len, buf, take);
				s->head_len += take;
				if (!parse_head(s)) {
					if (s->head_len == HEAD_MAX - 1) {
						fail(s, "response head too long");
						slot_close(s);
						return false;
					}
					continue;
				}
				s->body_got += (long long)(n - take);
			} else {
				s->body_got += (long long)n;
			}
			if (s->body_got >= s->body_want)
				break;
		}
		if (s->status != 200) {
			char why[64];
			snprintf(why, sizeof(why), "HTTP status %d", s->status);
			fail(s, why);
			slot_close(s);
			return false;
		}
		g.done++;
		if (s->reused)
			g.resumed++;
		else if (s->offered)
			g.not_resumed++;
		return true;
	}
	if (s->state == S_IDLE) {
		/* anything from the server now is its close (or an alert) */
		char buf[512];
		ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_PEEK);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			epoll_ctl(g.epfd, EPOLL_CTL_DEL, s->fd, NULL);
			s->state = S_GONE;
		}
	}
	return false;
}

static SSL_CTX *client_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1)
		die("SSL_CTX_new failed");
	/* The chain is not verified (that is the client's cost, not the
	 * server's); the CertificateVerify signature still is, by libssl. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/* Tickets are counted, and kept only in resumed mode. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
						    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, new_ticket);
	static const unsigned char alpn[] = "\x08http/1.1";
	static const unsigned char alpn_h2[] = "\x02h2";
	if (g.h2)
		SSL_CTX_set_alpn_protos(ctx, alpn_h2, sizeof(alpn_h2) - 1);
	else
		SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
	return ctx;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_tls_load handshakes|resumed HOST PORT PATH "
		"[-s SECONDS] [-w WARMUP] [-c CONCURRENCY] "
		"[-p SERVER_PID[,PID...]] [-2]\n"
		"       bench_tls_load idle HOST PORT PATH -n CONNECTIONS "
		"[-c CONCURRENCY] [-2]\n");
	exit(2);
}

/* One epoll wait, then each ready connection stepped; finished ones are
 * handed to on_done. */
static void pump(int timeout_ms, void (*on_done)(slot_t *s))
{
	struct epoll_event evs[256];
	int n = epoll_wait(g.epfd, evs, 256, timeout_ms);
	for (int i = 0; i < n; i++) {
		slot_t *s = evs[i].data.ptr;
		if (s == NULL)
			continue; /* standard input: the caller looks */
		if (s->state != S_FREE && slot_step(s))
			on_done(s);
	}
}

/* ---- handshakes ------------------------------------------------------------ */

static bool hs_running = true;

static void hs_done(slot_t *s)
{
	/* The connection ends with a RST, no close_notify; marked as shut
	 * down, so that SSL_free does not take its session for a bad one
	 * (libssl would make the newest ticket not resumable). */
	SSL_set_shutdown(s->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	slot_close(s);
	if (hs_running)
		slot_open(s);
}

/* A slot whose connection failed starts again. */
static void refill(slot_t *slots, int conc)
{
	for (int i = 0; i < conc; i++)
		if (slots[i].state == S_FREE)
			slot_open(&slots[i]);
}

static int run_handshakes(int conc, double seconds, double warmup,
			  const char *pid)
{
	slot_t *slots = calloc((size_t)conc, sizeof(*slots));
	if (slots == NULL)
		die("out of memory");
	for (int i = 0; i < conc; i++)
		slots[i].fd = -1;
	double start = mono_now();
	if (g.resume) {
		/* one full handshake first, for the first ticket */
		while (g.newest == NULL) {
			if (mono_now() - start > 10) {
				fprintf(stderr, "bench_tls_load: no session ticket "
					"from the server in 10 s%s%s\n",
					g.first_error[0] ? ": " : "",
					g.first_error);
				return 3;
			}
			pump(100, hs_done);
			refill(slots, 1);
		}
	}
	for (int i = 0; i < conc; i++)
		if (slots[i].state == S_FREE)
			slot_open(&slots[i]);
	while (mono_now() - start < warmup) {
		pump(100, hs_done);
		refill(slots, conc);
	}
	long done0 = g.done, failed0 = g.failed, tickets0 = g.tickets;
	long resumed0 = g.resumed, not_resumed0 = g.not_resumed;
	long reuse0 = g.ticket_reuse;
	double srv0 = pid ? proc_cpu(pid) : 0, me0 = self_cpu();
	double t0 = mono_now();
	while (mono_now() - t0 < seconds) {
		pump(100, hs_done);
		refill(slots, conc);
	}
	double t1 = mono_now();
	double srv1 = pid ? proc_cpu(pid) : 0, me1 = self_cpu();
	long done = g.done - done0;
	hs_running = false;
	for (int i = 0; i < conc; i++)
		if (slots[i].state != S_FREE)
			slot_close(&slots[i]);
	free(slots);
	double wall = t1 - t0;
	long resumed = g.resumed - resumed0;
	printf("mode=%s handshakes=%ld seconds=%.3f rate=%.1f "
	       "server_cpu_s=%.3f server_us_per_handshake=%.2f "
	       "client_cpu_s=%.3f failed=%ld tickets=%ld resumed=%ld full=%ld "
	       "not_resumed=%ld ticket_reuse=%ld concurrency=%d %s",
	       g.resume ? "resumed" : "handshakes", done, wall, done / wall,
	       srv1 - srv0, done ? (srv1 - srv0) / done * 1e6 : 0, me1 - me0,
	       g.failed - failed0, g.tickets - tickets0, resumed,
	       done - resumed, g.not_resumed - not_resumed0,
	       g.ticket_reuse - reuse0, conc,
	       g.negotiated[0] ? g.negotiated : "version=none");
	if (g.first_error[0])
		printf(" first_error=\"%s\"", g.first_error);
	printf("\n");
	fflush(stdout);
	if (done == 0)
		return 1;
	/* a figure labelled "full" or "resumed" must be what it says */
	if (g.resume && resumed != done) {
		fprintf(stderr, "bench_tls_load: the server resumed only %ld of "
			"%ld handshakes (%ld offered a ticket and got a full "
			"handshake)\n", resumed, done,
			g.not_resumed - not_resumed0);
		return 3;
	}
	if (!g.resume && resumed != 0) {
		fprintf(stderr, "bench_tls_load: %ld of %ld handshakes were "
			"resumed, though none offered a session\n", resumed,
			done);
		return 3;
	}
	return 0;
}

/* ---- idle ------------------------------------------------------------------ */

static long idle_count;

static void idle_done(slot_t *s)
{
	s->state = S_IDLE;
	idle_count++;
}

static int run_idle(long n, int conc, double limit)
{
	slot_t *slots = calloc((size_t)n, sizeof(*slots));
	if (slots == NULL)
		die("out of memory");
	long next = 0;
	double start = mono_now();
	while (idle_count < n) {
		long busy = next - idle_count;
		while (next < n && busy < conc) {
			slots[next].fd = -1;
			slot_open(&slots[next]);
			if (slots[next].state == S_FREE)
				die(g.first_error);
			next++;
			busy++;
		}
		pump(100, idle_done);
		if (g.failed > 0) {
			fprintf(stderr, "bench_tls_load: %s\n", g.first_error);
			return 1;
		}
		if (mono_now() - start > limit) {
			fprintf(stderr, "bench_tls_load: only %ld of %ld "
				"connections idle after %.0f s\n",
				idle_count, n, limit);
			return 1;
		}
	}
	printf("ready %ld seconds=%.3f %s\n", n, mono_now() - start,
	       g.negotiated);
	fflush(stdout);
	/* wait for standard input to close, watching for closed connections */
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(g.epfd, EPOLL_CTL_ADD, 0, &ev) < 0)
		die("epoll_ctl(stdin) failed");
	for (;;) {
		pump(200, idle_done);
		char b[64];
		ssize_t r = read(0, b, sizeof(b));
		if (r == 0)
			break;
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			break;
	}
	long gone = 0;
	for (long i = 0; i < n; i++) {
		if (slots[i].state == S_IDLE)
			slot_step(&slots[i]);
		gone += slots[i].state == S_GONE;
	}
	printf("mode=idle connections=%ld closed_by_server=%ld tickets=%ld\n",
	       n, gone, g.tickets);
	for (long i = 0; i < n; i++)
		slot_close(&slots[i]);
	free(slots);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		usage();
	const char *mode = argv[1];
	double seconds = 10, warmup = 1;
	int conc = 0;
	const char *pid = NULL;
	long conns = 0;
	for (int i = 5; i < argc; i++) {
		if (strcmp(argv[i], "-2") == 0) {
			g.h2 = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "-s") == 0)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "-w") == 0)
			warmup = atof(argv[++i]);
		else if (strcmp(argv[i], "-c") == 0)
			conc = atoi(argv[++i]);
		else if (strcmp(argv[i], "-p") == 0)
			pid = argv[++i];
		else if (strcmp(argv[i], "-n") == 0)
			conns = atol(argv[++i]);
		else
			usage();
	}
	g.idle_mode = strcmp(mode, "idle") == 0;
	g.resume = strcmp(mode, "resumed") == 0;
	if (!g.idle_mode && !g.resume && strcmp(mode, "handshakes") != 0)
		usage();
	g.addr.sin_family = AF_INET;
	g.addr.sin_port = htons((uint16_t)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &g.addr.sin_addr) != 1)
		die("HOST must be an IPv4 address");
	g.request_len = (size_t)snprintf(
		g.request, sizeof(g.request),
		"GET %s HTTP/1.1\r\nHost: " SNI "\r\nUser-Agent: bench_tls_load\r\n"
		"Accept: */*\r\n%s\r\n",
		argv[4], g.idle_mode ? "" : "Connection: close\r\n");
	if (g.request_len >= sizeof(g.request))
		die("PATH too long");
	if (g.h2)
		g.request_len = h2_request((unsigned char *)g.request,
					   sizeof(g.request), argv[4]);

	/* every descriptor the hard limit allows: idle mode holds many */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	g.ctx = client_ctx();
	g.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (g.epfd < 0)
		die("epoll_create1 failed");
	if (g.idle_mode) {
		if (conns <= 0)
			usage();
		/* standard input is polled: non-blocking */
		int fl = fcntl(0, F_GETFL);
		if (fl < 0 || fcntl(0, F_SETFL, fl | O_NONBLOCK) < 0)
			die("cannot make standard input non-blocking");
		return run_idle(conns, conc > 0 ? conc : 64, 120);
	}
	return run_handshakes(conc > 0 ? conc : 32, seconds, warmup, pid);
}
