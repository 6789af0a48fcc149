/*
 * libFuzzer harness: HTTP/2 frames through the server's h2 protocol
 * (src/server/h2.c): nghttp2's session, the header lists mapped to the
 * neutral request, the static files answering, the replies turned back
 * into frames, and the abuse bounds.
 *
 * Input: the bytes a client sends after its connection preface (the
 * harness sends the preface), cut into pieces at each 0xff 0xfe pair so
 * that frames also arrive split across reads. The connection is a server
 * connection on one end of a socketpair, with the plain transport (TLS is
 * fuzzed elsewhere) and HTTP/2 as its protocol; what it sends is taken
 * from the transport's buffer as if the socket had sent it.
 *
 * Beyond not crashing or leaking: the connection never queues more than
 * the bound the protocol keeps to (OUTPUT_BOUND) before it is drained.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "padlock/server.h"
#include "server/conn.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* h2.c stops queueing at 64 KiB; one more frame may go past it. */
#define OUTPUT_BOUND (64 * 1024 + 16384 + 9 + 4096)

#define REQUIRE(cond)                                                        \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "fuzz_h2: %s:%d: %s\n", __FILE__,    \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

/* ---- the loop a connection asks for (as tests/server/test_conn.c) ------ */

struct pl_srv_worker {
	const pl_srv_runtime_t *rt;
	int epfd;
	pl_srv_timers_t timers;
	pl_srv_conn_t *conns;
	pl_srv_conn_t *dead;
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
	(void)w;
	return false;
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

/* ---- a site ------------------------------------------------------------------- */

static pl_srv_options_t opts;
static pl_srv_runtime_t rt;
static pl_srv_worker_t worker;

static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	REQUIRE(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char root[64] = "/tmp/padlock-fuzz-h2-XXXXXX";
	char err[512];
	(void)argc;
	(void)argv;
	REQUIRE(mkdtemp(root) != NULL);
	put(root, "index.html", "<p>home</p>\n");
	put(root, "digits.txt", "0123456789abcdefghijklmnopqrstuvwxyz");
	pl_srv_options_default(&opts);
	opts.allow_invalid_cert = true;
	opts.log_level = PL_SRV_LOG_ERROR;
	opts.error_log = strdup("/dev/null");
	opts.access_log = strdup("off");
	REQUIRE(pl_srv_log_open(&opts, err, sizeof(err)) == PL_OK);
	pl_srv_site_t *s = &opts.sites[opts.n_sites++];
	s->names[s->n_names++] = strdup("localhost");
	s->root = strdup(root);
	s->cert_file = strdup(FUZZ_FIXTURE_DIR "/p256-cert.pem");
	s->key_file = strdup(FUZZ_FIXTURE_DIR "/p256-key.pem");
	if (pl_srv_runtime_load(&rt, &opts, err, sizeof(err)) != PL_OK) {
		fprintf(stderr, "fuzz_h2: %s\n", err);
		abort();
	}
	worker.rt = &rt;
	worker.epfd = epoll_create1(EPOLL_CLOEXEC);
	REQUIRE(worker.epfd >= 0);
	return 0;
}

/* ---- one connection ------------------------------------------------------------- */

/* What the socket would have sent: taken from the transport's buffer. */
static void drain_output(pl_srv_conn_t *c)
{
	size_t len = pl_srv_conn_pending(c);
	REQUIRE(len <= OUTPUT_BOUND);
	if (len)
		c->transport->sent(c, len);
}

/* The protocol's turn, as conn.c's progress() gives it. */
static void pump(pl_srv_conn_t *c)
{
	for (int rounds = 0; rounds < 256 && c->phase != PL_SRV_PHASE_DEAD;
	     rounds++) {
		c->proto->on_data(c);
		if (c->phase == PL_SRV_PHASE_DEAD)
			return;
		drain_output(c);
		if (!c->proto->wants_write(c))
			return;
	}
}

static void feed(pl_srv_conn_t *c, const uint8_t *p, size_t n)
{
	if (c->phase == PL_SRV_PHASE_DEAD || c->close_after)
		return;
	pl_push_bytes(&c->in, p, n);
	REQUIRE(pl_buf_error(&c->in) == PL_OK);
	pump(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   0, sv) == 0);
	pl_srv_listener_t l = {.fd = -1, .kind = PL_LISTEN_HTTP, .port = 8443,
			       .extra = -1};
	pl_srv_conn_t *c = pl_srv_conn_new(&worker, sv[0], &l, "192.0.2.1");
	REQUIRE(c != NULL);
	c->proto->free(c);
	c->proto = &pl_srv_h2;
	c->proto->init(c);
	feed(c, preface, sizeof(preface) - 1);
	size_t start = 0;
	for (size_t i = 0; i + 1 < size; i++) {
		if (data[i] == 0xff && data[i + 1] == 0xfe) {
			feed(c, data + start, i - start);
			start = i + 2;
			i++;
		}
	}
	if (start < size)
		feed(c, data + start, size - start);
	if (c->phase != PL_SRV_PHASE_DEAD)
		pl_srv_worker_release(&worker, c);
	while (worker.dead) {
		pl_srv_conn_t *d = worker.dead;
		worker.dead = d->next;
		pl_srv_conn_free(d);
	}
	close(sv[1]);
	return 0;
}
