/*
 * src/server/conn.c, transport.c and http1.c without a worker: one end of
 * a socketpair is a server connection driven by this test's own small
 * event loop (an epoll set, a timer heap, the list a worker would keep:
 * the six pl_srv_worker_* functions a connection asks its loop for); the
 * other end is a client, the engine's TLS client or plain bytes. The
 * connection's phase is checked at each step: first request, head, reply,
 * idle, closing and linger are what the code says they are.
 *
 * Timeouts are fired by calling pl_srv_conn_timeout() (what the loop does
 * when a deadline passes): timing never decides a result here.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "padlock/server.h"
#include "padlock/tls.h"
#include "server/conn.h"
#include "test.h"

/* ---- the loop a connection runs in ----------------------------------------- */

struct pl_srv_worker {
	const pl_srv_runtime_t *rt;
	int epfd;
	pl_srv_timers_t timers;
	pl_srv_conn_t *conns;
	pl_srv_conn_t *dead;
	bool draining;
};

const pl_srv_runtime_t *pl_srv_worker_runtime(pl_srv_worker_t *w)
{
	return w->rt;
}

int pl_srv_worker_epoll(pl_srv_worker_t *w)
{
	return w->epfd;
}

bool pl_srv_worker_draining(pl_srv_worker_t *w)
{
	return w->draining;
}

pl_srv_timers_t *pl_srv_worker_timers(pl_srv_worker_t *w)
{
	return &w->timers;
}

void pl_srv_worker_link(pl_srv_worker_t *w, pl_srv_conn_t *c)
{
	c->prev = NULL;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
}

void pl_srv_worker_release(pl_srv_worker_t *w, pl_srv_conn_t *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pl_srv_timer_del(&w->timers, &c->timer);
	c->next = w->dead;
	w->dead = c;
}

/* One round of the loop: every ready event, then the dead are freed. */
static void loop_once(pl_srv_worker_t *w)
{
	struct epoll_event evs[8];
	int n = epoll_wait(w->epfd, evs, 8, 0);
	for (int i = 0; i < n; i++)
		pl_srv_conn_event(pl_srv_conn_of_tag(evs[i].data.ptr),
				  evs[i].events);
	while (w->dead) {
		pl_srv_conn_t *c = w->dead;
		w->dead = c->next;
		pl_srv_conn_free(c);
	}
}

/* ---- a site and its runtime ------------------------------------------------- */

typedef struct {
	pl_srv_options_t o;
	pl_srv_runtime_t rt;
	pl_srv_worker_t w;
	char root[64];
	bool ok;
} fixture_t;

static const char BODY[] = "<p>over a socketpair</p>\n";

static void fixture_open(fixture_t *f)
{
	char err[512], path[1024];
	const char *src = getenv("PADLOCK_SOURCE_DIR");
	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/padlock-conn-XXXXXX");
	CHECK(mkdtemp(f->root) != NULL);
	snprintf(path, sizeof(path), "%s/index.html", f->root);
	FILE *fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (fp) {
		fputs(BODY, fp);
		fclose(fp);
	}
	pl_srv_options_default(&f->o);
	f->o.allow_invalid_cert = true; /* a self-signed test certificate */
	f->o.log_level = PL_SRV_LOG_ERROR;
	f->o.access_log = strdup("off");
	CHECK_EQ_INT(pl_srv_log_open(&f->o, err, sizeof(err)), PL_OK);
	pl_srv_site_t *s = &f->o.sites[f->o.n_sites++];
	s->names[s->n_names++] = strdup("fuzz.padlock.test");
	s->root = strdup(f->root);
	snprintf(path, sizeof(path), "%s/tests/fuzz/fixtures/p256-cert.pem",
		 src ? src : "..");
	s->cert_file = strdup(path);
	snprintf(path, sizeof(path), "%s/tests/fuzz/fixtures/p256-key.pem",
		 src ? src : "..");
	s->key_file = strdup(path);
	int ret = pl_srv_runtime_load(&f->rt, &f->o, err, sizeof(err));
	CHECK_MSG(ret == PL_OK, "runtime: %s", err);
	f->w.rt = &f->rt;
	f->w.epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(f->w.epfd >= 0);
	f->ok = ret == PL_OK && f->w.epfd >= 0;
}

static void fixture_close(fixture_t *f)
{
	while (f->w.conns)
		pl_srv_worker_release(&f->w, f->w.conns);
	loop_once(&f->w);
	pl_srv_timers_free(&f->w.timers);
	close(f->w.epfd);
	pl_srv_runtime_free(&f->rt);
	pl_srv_options_free(&f->o);
	char path[128];
	snprintf(path, sizeof(path), "%s/index.html", f->root);
	unlink(path);
	rmdir(f->root);
}

/* A server connection on one end of a socketpair; *client the other. */
static pl_srv_conn_t *connect_pair(fixture_t *f, pl_srv_listen_kind_t kind,
				   int *client)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) != 0) {
		CHECK_MSG(0, "socketpair: %s", strerror(errno));
		return NULL;
	}
	pl_srv_listener_t l = {.fd = -1, .kind = kind, .port = 8443,
			       .extra = -1};
	pl_srv_conn_t *c = pl_srv_conn_new(&f->w, sv[0], &l, "192.0.2.1");
	CHECK(c != NULL);
	*client = sv[1];
	return c;
}

/* A fixture and one connection of the TLS port; NULL when either failed. */
static pl_srv_conn_t *start(fixture_t *f, int *client)
{
	fixture_open(f);
	return f->ok ? connect_pair(f, PL_LISTEN_HTTPS, client) : NULL;
}

/* ---- clients ---------------------------------------------------------------- */

/* Reads what the socket holds; true at end of stream. */
static bool read_some(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	for (;;) {
		ssize_t n = read(fd, buf + *len, cap - *len);
		if (n > 0) {
			*len += (size_t)n;
			continue;
		}
		return n == 0;
	}
}

static void send_all(int fd, const void *p, size_t n)
{
	ssize_t w = write(fd, p, n);
	CHECK_EQ_INT(w, (ssize_t)n);
}

/* The engine's TLS client over fd, pumped against the loop. */
typedef struct {
	pl_tls_config_t *cfg;
	pl_tls_conn_t *tls;
	int fd;
	uint8_t plain[65536];
	size_t plain_len;
	bool eof;
} client_t;

static void client_pump(client_t *cl, pl_srv_worker_t *w)
{
	for (int round = 0; round < 50; round++) {
		size_t len;
		const uint8_t *out = pl_tls_output(cl->tls, &len);
		if (len) {
			send_all(cl->fd, out, len);
			pl_tls_output_consumed(cl->tls, len);
		}
		loop_once(w);
		uint8_t wire[32768];
		size_t got = 0;
		cl->eof = read_some(cl->fd, wire, sizeof(wire), &got);
		if (got && pl_tls_feed(cl->tls, wire, got) != PL_OK)
			break;
		for (;;) {
			size_t n = 0;
			if (pl_tls_read(cl->tls, cl->plain + cl->plain_len,
					sizeof(cl->plain) - cl->plain_len,
					&n) != PL_OK || n == 0)
				break;
			cl->plain_len += n;
		}
	}
}

static bool client_open(client_t *cl, int fd, pl_srv_worker_t *w)
{
	memset(cl, 0, sizeof(*cl));
	cl->fd = fd;
	cl->cfg = pl_tls_config_new(false);
	if (cl->cfg == NULL)
		return false;
	pl_tls_config_set_verify(cl->cfg, false);
	CHECK_EQ_INT(pl_tls_config_set_alpn(cl->cfg, "http/1.1"), PL_OK);
	cl->tls = pl_tls_conn_new(cl->cfg, "fuzz.padlock.test");
	if (cl->tls == NULL)
		return false;
	client_pump(cl, w);
	return pl_tls_handshake_done(cl->tls);
}

/* Sends text over TLS and runs both sides until they settle. */
static void client_send(client_t *cl, pl_srv_worker_t *w, const char *text)
{
	CHECK_EQ_INT(pl_tls_write(cl->tls, (const uint8_t *)text, strlen(text)),
		     PL_OK);
	client_pump(cl, w);
}

/* A fixture and a TLS connection with the handshake done; NULL if not. */
static pl_srv_conn_t *start_tls(fixture_t *f, client_t *cl)
{
	int fd;
	pl_srv_conn_t *c = start(f, &fd);
	return c && client_open(cl, fd, &f->w) ? c : NULL;
}

static void client_close(client_t *cl)
{
	pl_tls_conn_free(cl->tls);
	pl_tls_config_free(cl->cfg);
	close(cl->fd);
}

/* Counts complete responses in the client's bytes with their statuses. */
static size_t responses(const client_t *cl, int *status, size_t max)
{
	const char *p = (const char *)cl->plain, *end = p + cl->plain_len;
	size_t n = 0;
	while (p < end && n < max) {
		const char *head_end = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (head_end == NULL)
			break;
		long length = 0;
		const char *cl_hdr = memmem(p, (size_t)(head_end - p),
					    "Content-Length: ", 16);
		if (cl_hdr)
			length = strtol(cl_hdr + 16, NULL, 10);
		if (head_end + 4 + length > end)
			break;
		status[n++] = (int)strtol(p + 9, NULL, 10);
		p = head_end + 4 + length;
	}
	return n;
}

/* ---- the cases -------------------------------------------------------------- */

static void tls_keep_alive_walks_the_phases(void)
{
	fixture_t f;
	client_t cl;
	int fd, status[4];
	pl_srv_conn_t *c = start(&f, &fd);
	if (c == NULL)
		goto out;
	CHECK_EQ_INT(c->phase, PL_SRV_PHASE_SNIFF);
	CHECK(client_open(&cl, fd, &f.w));
	CHECK_EQ_INT(c->phase, PL_SRV_PHASE_FIRST);
	CHECK(c->transport == &pl_srv_transport_tls);

	/* Half a request: the head phase (and its 408 timeout) begins. */
	static const char half[] = "GET /index.html HTTP/1.1\r\nHost: fuzz";
	client_send(&cl, &f.w, half);
	CHECK_EQ_INT(c->phase, PL_SRV_PHASE_HEAD);

	/* The rest and a pipelined second request: two answers in order, and
	 * the connection waits for a third. */
	static const char rest[] = ".padlock.test\r\n\r\n"
				   "HEAD /index.html HTTP/1.1\r\n"
				   "Host: fuzz.padlock.test:8443\r\n\r\n";
	client_send(&cl, &f.w, rest);
	CHECK_EQ_INT(responses(&cl, status, 4), 1);
	/* HEAD has no body: the parser of this test counts it by length 0
	 * after the GET, so check the bytes directly. */
	CHECK(memmem(cl.plain, cl.plain_len, BODY, sizeof(BODY) - 1) != NULL);
	CHECK(memmem(cl.plain, cl.plain_len, "HTTP/1.1 200 OK\r\n", 17) != NULL);
	const char *second = memmem(cl.plain + 17, cl.plain_len - 17,
				    "HTTP/1.1 200 OK\r\n", 17);
	CHECK_MSG(second != NULL, "no second answer in %zu bytes", cl.plain_len);
	CHECK_EQ_INT(c->phase, PL_SRV_PHASE_IDLE);
	CHECK(!cl.eof);

	/* The client's close_notify: ours follows, then the linger. */
	CHECK_EQ_INT(pl_tls_close(cl.tls), PL_OK);
	client_pump(&cl, &f.w);
	CHECK_EQ_INT(c->phase, PL_SRV_PHASE_LINGER);
	client_close(&cl);
	loop_once(&f.w);
	CHECK(f.w.conns == NULL); /* the peer's close ended the linger */
out:
	fixture_close(&f);
}

static void body_is_read_then_answered_and_kept_alive(void)
{
	fixture_t f;
	client_t cl;
	int status[2];
	pl_srv_conn_t *c = start_tls(&f, &cl);
	if (c == NULL)
		goto out;
	static const char head[] = "POST /index.html HTTP/1.1\r\n"
				   "Host: fuzz.padlock.test\r\n"
				   "Content-Length: 10\r\n\r\nhello";
	client_send(&cl, &f.w, head);
	CHECK_EQ_INT(c->phase, PL_SRV_PHASE_BODY);
	CHECK_EQ_INT(cl.plain_len, 0); /* no answer before the body's end */
	client_send(&cl, &f.w, "world");
	CHECK_EQ_INT(responses(&cl, status, 2), 1);
	CHECK_EQ_INT(status[0], 405);
	CHECK_EQ_INT(c->phase, PL_SRV_PHASE_IDLE);
	client_close(&cl);
	loop_once(&f.w);
out:
	fixture_close(&f);
}

/* A handler's sink (the proxy's, in the server): takes everything it is
 * given, and says "full" while the test holds it so. */
typedef struct {
	size_t taken;
	unsigned calls;
	bool full;
} test_sink_t;

static bool test_sink_write(void *arg, const uint8_t *p, size_t n)
{
	test_sink_t *s = arg;
	(void)p;
	s->taken += n;
	s->calls++;
	return !s->full;
}

static void test_sink_end(void *arg)
{
	(void)arg;
}

static void a_full_sink_stops_the_reading_until_woken(void)
{
	fixture_t f;
	client_t cl;
	int status[2];
	static uint8_t body[60000];
	test_sink_t sink = {0, 0, true};
	pl_srv_conn_t *c = start_tls(&f, &cl);
	if (c == NULL)
		goto out;
	client_send(&cl, &f.w, "POST /index.html HTTP/1.1\r\n"
			       "Host: fuzz.padlock.test\r\n"
			       "Content-Length: 60000\r\n\r\n");
	CHECK_EQ_INT(c->phase, PL_SRV_PHASE_BODY);
	c->sink = (pl_http_body_sink_t){test_sink_write, test_sink_end, &sink};
	memset(body, 'b', sizeof(body));
	CHECK_EQ_INT(pl_tls_write(cl.tls, body, sizeof(body)), PL_OK);
	client_pump(&cl, &f.w);
	/* One read's worth went in; the rest waits in the socket. */
	CHECK_MSG(sink.taken > 0 && sink.taken < sizeof(body),
		  "the sink took %zu of %zu bytes while full", sink.taken,
		  sizeof(body));
	CHECK(c->body_blocked);
	CHECK_EQ_INT(c->phase, PL_SRV_PHASE_BODY);
	CHECK_EQ_INT(cl.plain_len, 0);
	/* The handler has room again and wakes the connection. */
	sink.full = false;
	c->body_blocked = false;
	pl_srv_conn_wake(c);
	client_pump(&cl, &f.w);
	CHECK_EQ_INT(sink.taken, sizeof(body));
	CHECK_EQ_INT(responses(&cl, status, 2), 1);
	CHECK_EQ_INT(status[0], 405);
	c->sink = (pl_http_body_sink_t){0};
	client_close(&cl);
	loop_once(&f.w);
out:
	fixture_close(&f);
}

static void head_timeout_answers_408_and_closes(void)
{
	fixture_t f;
	client_t cl;
	int status[2];
	pl_srv_conn_t *c = start_tls(&f, &cl);
	if (c == NULL)
		goto out;
	static const char half[] = "GET / HTTP/1.1\r\n";
	client_send(&cl, &f.w, half);
	CHECK_EQ_INT(c->phase, PL_SRV_PHASE_HEAD);
	pl_srv_conn_timeout(c); /* what the loop does at the deadline */
	client_pump(&cl, &f.w);
	CHECK_EQ_INT(responses(&cl, status, 2), 1);
	CHECK_EQ_INT(status[0], 408);
	CHECK(memmem(cl.plain, cl.plain_len, "Connection: close", 17) != NULL);
	CHECK_EQ_INT(c->phase, PL_SRV_PHASE_LINGER);
	client_close(&cl);
	loop_once(&f.w);
out:
	fixture_close(&f);
}

static void plain_http_on_the_tls_port_is_redirected(void)
{
	fixture_t f;
	int fd;
	uint8_t buf[4096];
	size_t len = 0;
	pl_srv_conn_t *c = start(&f, &fd);
	if (c == NULL)
		goto out;
	static const char req[] = "GET /a?b HTTP/1.1\r\nHost: fuzz.padlock.test\r\n\r\n";
	send_all(fd, req, sizeof(req) - 1);
	loop_once(&f.w);
	CHECK(c->transport == &pl_srv_transport_plain);
	bool eof = false;
	for (int i = 0; i < 10 && !eof; i++) {
		loop_once(&f.w);
		eof = read_some(fd, buf, sizeof(buf), &len);
	}
	CHECK_MSG(len > 12 && memcmp(buf, "HTTP/1.1 301", 12) == 0,
		  "got %.*s", (int)(len < 60 ? len : 60), buf);
	CHECK(memmem(buf, len, "Location: https://fuzz.padlock.test:8443/a?b\r\n",
		     46) != NULL);
	CHECK(eof); /* the redirect closes: our side shut down writing */
	CHECK_EQ_INT(c->phase, PL_SRV_PHASE_LINGER);
	close(fd);
	loop_once(&f.w);
	CHECK(f.w.conns == NULL);
out:
	fixture_close(&f);
}

static void neither_tls_nor_http_is_closed_at_once(void)
{
	fixture_t f;
	int fd;
	uint8_t buf[64];
	size_t len = 0;
	pl_srv_conn_t *c = start(&f, &fd);
	if (c == NULL)
		goto out;
	send_all(fd, "\x01\x02", 2);
	loop_once(&f.w);
	CHECK(f.w.conns == NULL);
	CHECK(read_some(fd, buf, sizeof(buf), &len));
	CHECK_EQ_INT(len, 0);
	close(fd);
out:
	fixture_close(&f);
}

int main(void)
{
	RUN(tls_keep_alive_walks_the_phases);
	RUN(body_is_read_then_answered_and_kept_alive);
	RUN(a_full_sink_stops_the_reading_until_woken);
	RUN(head_timeout_answers_408_and_closes);
	RUN(plain_http_on_the_tls_port_is_redirected);
	RUN(neither_tls_nor_http_is_closed_at_once);
	return test_finish();
}
