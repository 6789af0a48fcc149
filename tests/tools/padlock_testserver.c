/*
 * padlock_testserver: a small HTTPS server for tests, not the product (the
 * real server is src/server). One process, one poll() loop, non-blocking
 * sockets, one pl_tls_conn_t per connection. Each complete request head
 * gets a fixed "hello from padlock" response, then close_notify and close;
 * --echo sends application data back instead. One line per connection on
 * stderr says what was negotiated or why the handshake failed.
 *
 * It runs under ASan with leak detection in tests: SIGTERM and SIGINT stop
 * the loop and everything is freed.
 *
 * Contract for the tests that drive it:
 * - stderr, once listening: "padlock_testserver: listening on HOST port N"
 *   (plus " (echo mode)"); --port-file gets "N\n", written atomically.
 * - stderr, one line per connection when it ends:
 *     padlock_testserver: conn=ID peer=ADDR:PORT result=ok version=TLSv1.3
 *       suite=NAME group=NAME sigscheme=NAME alpn=NAME|- sni=NAME|-
 *       hrr=yes|no in=BYTES out=BYTES end=HOW
 *     padlock_testserver: conn=ID peer=ADDR:PORT result=failed|error
 *       alert=NAME|none [direction=sent|received] reason=FREE TEXT
 *   (each on one line). result=failed: the handshake did not complete;
 *   error: it did, then TLS failed. HOW: served, close_notify, eof, reset,
 *   timeout, request_too_large, server stopped, ...
 * - exit 0 after a signal or --max-conns connections; 1 when it cannot
 *   start (certificate, key, bind); 2 on a bad command line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "padlock/client.h"
#include "padlock/tls.h"
#include "padlock/x509.h"

#define PROG "padlock_testserver"
#define CHAIN_MAX 8
#define LIST_MAX 16
#define REQUEST_MAX 16384
#define RECEIVE_CHUNK (16384 + 256)
#define BACKLOG_MAX (1024 * 1024) /* pending output before reads pause */
#define LINGER_MS 2000
#define DEFAULT_PORT 4433
#define DEFAULT_TIMEOUT_MS 30000

static const char http_body[] = "hello from padlock\n";

struct options {
	const char *certs[CHAIN_MAX], *keys[CHAIN_MAX];
	size_t cert_count, key_count;
	const char *host, *port_file, *alpn, *keylog;
	unsigned port;
	uint16_t suites[LIST_MAX], groups[LIST_MAX];
	size_t suite_count, group_count;
	bool require_cookie, echo, require_ems;
	const char *versions;
	unsigned long max_conns;   /* 0: no limit */
	int timeout_ms;            /* idle time before a connection is dropped */
};

enum conn_state {
	CONN_OPEN,      /* handshake or application data */
	CONN_CLOSING,   /* sending what is queued (close_notify or an alert) */
	CONN_LINGERING, /* write side shut; draining until the peer closes */
	CONN_DONE,
};

struct conn {
	int fd;
	unsigned long id;
	char peer[64];
	pl_tls_conn_t *tls;
	enum conn_state state;
	long long deadline;
	bool was_done;            /* the handshake completed */
	bool tls_failed;
	const char *end;          /* how it ended, for the log */
	uint64_t bytes_in, bytes_out;
	size_t request_len;
	char request[REQUEST_MAX];
};

struct server {
	struct options opt;
	pl_tls_config_t *cfg;
	int listen_fd;
	int keylog_fd;
	struct conn **conns;
	size_t count, cap;
	unsigned long accepted;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- command line -------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --cert CHAIN.pem --key KEY.pem [--cert C2 --key K2 ...]\n"
		"       [--port N (default 4433, 0 = ephemeral)] [--host 127.0.0.1|::1]\n"
		"       [--port-file PATH] [--alpn LIST] [--suites LIST] [--groups LIST]\n"
		"       [--require-cookie] [--keylog FILE] [--max-conns N] [--once]\n"
		"       [--tls-versions 1.2|1.3|1.2-1.3] [--tls12-require-ems]\n"
		"       [--timeout SECONDS] [--echo]\n");
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, PROG ": %s%s%s\n", what, arg != NULL ? ": " : "",
		arg != NULL ? arg : "");
	usage(stderr);
	return 2;
}

static bool parse_unsigned(const char *s, unsigned long max,
			   unsigned long *out)
{
	char *end = NULL;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

static int add_path(const char **list, size_t *count, const char *value,
		    const char *name)
{
	if (*count == CHAIN_MAX)
		return usage_error("too many certificates (at most 8)", name);
	list[(*count)++] = value;
	return 0;
}

/* Options that take a value. Returns 0, or an exit code. */
static int apply_value(struct options *o, const char *name, const char *value)
{
	char err[PL_CLIENT_ERR_MAX];
	unsigned long n = 0;

	if (strcmp(name, "--cert") == 0)
		return add_path(o->certs, &o->cert_count, value, name);
	if (strcmp(name, "--key") == 0)
		return add_path(o->keys, &o->key_count, value, name);
	if (strcmp(name, "--host") == 0) {
		o->host = value;
	} else if (strcmp(name, "--port-file") == 0) {
		o->port_file = value;
	} else if (strcmp(name, "--alpn") == 0) {
		o->alpn = value;
	} else if (strcmp(name, "--keylog") == 0) {
		o->keylog = value;
	} else if (strcmp(name, "--tls-versions") == 0) {
		uint16_t lo, hi;
		if (pl_tls_versions_parse(value, &lo, &hi) != PL_OK)
			return usage_error("--tls-versions wants 1.2, 1.3 or "
					   "1.2-1.3", value);
		o->versions = value;
	} else if (strcmp(name, "--port") == 0) {
		if (!parse_unsigned(value, 65535, &n))
			return usage_error("--port wants 0 to 65535", value);
		o->port = (unsigned)n;
	} else if (strcmp(name, "--max-conns") == 0) {
		if (!parse_unsigned(value, 1000000000UL, &n) || n == 0)
			return usage_error("--max-conns wants a positive number",
					   value);
		o->max_conns = n;
	} else if (strcmp(name, "--timeout") == 0) {
		if (!parse_unsigned(value, 86400, &n) || n == 0)
			return usage_error("--timeout wants seconds (1 to 86400)",
					   value);
		o->timeout_ms = (int)n * 1000;
	} else if (strcmp(name, "--suites") == 0) {
		if (pl_client_parse_suites(value, o->suites, LIST_MAX,
					   &o->suite_count, err, sizeof err) != PL_OK)
			return usage_error("--suites", err);
	} else if (strcmp(name, "--groups") == 0) {
		if (pl_client_parse_groups(value, o->groups, LIST_MAX,
					   &o->group_count, err, sizeof err) != PL_OK)
			return usage_error("--groups", err);
	} else {
		return usage_error("unknown option", name);
	}
	return 0;
}

/* Options without a value; false when name is not one of them. */
static bool apply_flag(struct options *o, const char *name)
{
	if (strcmp(name, "--require-cookie") == 0)
		o->require_cookie = true;
	else if (strcmp(name, "--tls12-require-ems") == 0)
		o->require_ems = true;
	else if (strcmp(name, "--echo") == 0)
		o->echo = true;
	else if (strcmp(name, "--once") == 0)
		o->max_conns = 1;
	else
		return false;
	return true;
}

static int parse_arguments(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	o->host = "127.0.0.1";
	o->port = DEFAULT_PORT;
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	for (int i = 1; i < argc; i++) {
		char name[64];
		const char *arg = argv[i], *eq = strchr(arg, '=');
		const char *value = eq != NULL ? eq + 1 : NULL;
		int rc;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			return -1;
		}
		snprintf(name, sizeof name, "%.*s",
			 (int)(eq != NULL ? (size_t)(eq - arg) : strlen(arg)), arg);
		if (value == NULL && apply_flag(o, name))
			continue;
		if (value == NULL && i + 1 >= argc)
			return usage_error("this option needs a value", name);
		rc = apply_value(o, name, value != NULL ? value : argv[++i]);
		if (rc != 0)
			return rc;
	}
	if (o->cert_count == 0 || o->cert_count != o->key_count)
		return usage_error("give one --key per --cert, at least one pair",
				   NULL);
	if (o->alpn == NULL && !o->echo)
		o->alpn = "http/1.1";
	return 0;
}

/* ---- configuration ------------------------------------------------------- */

static void write_keylog(void *arg, const char *line)
{
	struct server *s = arg;
	char buf[512];
	int len = snprintf(buf, sizeof buf, "%s\n", line);

	if (len < 0 || (size_t)len >= sizeof buf)
		return;
	if (write(s->keylog_fd, buf, (size_t)len) != len)
		fprintf(stderr, PROG ": warning: cannot write the key log: %s\n",
			strerror(errno));
}

static int add_chain(struct server *s, const char *cert, const char *key)
{
	char err[400] = "";
	pl_x509_chain_t *chain = pl_x509_chain_load_pem(cert, err, sizeof err);
	pl_pkey_t *pkey = NULL;
	int rc;

	if (chain == NULL) {
		fprintf(stderr, PROG ": %s\n", err[0] ? err : cert);
		return -1;
	}
	pkey = pl_x509_key_load_pem(key, err, sizeof err);
	if (pkey == NULL) {
		fprintf(stderr, PROG ": %s\n", err[0] ? err : key);
		pl_x509_chain_free(chain);
		return -1;
	}
	rc = pl_tls_config_add_chain(s->cfg, chain, pkey);
	if (rc != PL_OK) {
		fprintf(stderr, PROG ": %s and %s: %s\n", cert, key,
			rc == PL_ERR_ARG ? "the key does not match the certificate"
					 : pl_strerror(rc));
		return -1;
	}
	return 0;
}

static int configure_lists(struct server *s)
{
	const struct options *o = &s->opt;
	int rc = PL_OK;

	if (o->alpn != NULL)
		rc = pl_tls_config_set_alpn(s->cfg, o->alpn);
	if (rc == PL_OK && o->suite_count > 0)
		rc = pl_tls_config_set_suites(s->cfg, o->suites, o->suite_count);
	if (rc == PL_OK && o->group_count > 0)
		rc = pl_tls_config_set_groups(s->cfg, o->groups, o->group_count);
	if (rc != PL_OK) {
		fprintf(stderr, PROG ": --alpn, --suites or --groups refused: "
			"%s\n", pl_strerror(rc));
		return -1;
	}
	return 0;
}

static int configure(struct server *s)
{
	s->cfg = pl_tls_config_new(true);
	if (s->cfg == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < s->opt.cert_count; i++)
		if (add_chain(s, s->opt.certs[i], s->opt.keys[i]) != 0)
			return -1;
	if (configure_lists(s) != 0)
		return -1;
	pl_tls_config_set_require_cookie(s->cfg, s->opt.require_cookie);
	pl_tls_config_set_require_ems(s->cfg, s->opt.require_ems);
	if (s->opt.versions != NULL) {
		uint16_t lo, hi;
		if (pl_tls_versions_parse(s->opt.versions, &lo, &hi) != PL_OK ||
		    pl_tls_config_set_versions(s->cfg, lo, hi) != PL_OK)
			return -1;
	}
	if (s->opt.keylog != NULL) {
		s->keylog_fd = open(s->opt.keylog,
				    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (s->keylog_fd < 0) {
			fprintf(stderr, PROG ": %s: %s\n", s->opt.keylog,
				strerror(errno));
			return -1;
		}
		pl_tls_config_set_keylog(s->cfg, write_keylog, s);
	}
	return 0;
}

/* ---- listening ------------------------------------------------------------ */

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Written to a temporary name, then renamed: a reader never sees half. */
static int write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	if (fprintf(f, "%d\n", port) < 0) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

static int make_address(const char *host, unsigned port,
			struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*len = sizeof *v4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*len = sizeof *v6;
		return 0;
	}
	return -1;
}

static int start_listening(struct server *s)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int one = 1;

	if (make_address(s->opt.host, s->opt.port, &ss, &len) != 0) {
		fprintf(stderr, PROG ": --host wants an IP address, not '%s'\n",
			s->opt.host);
		return -1;
	}
	s->listen_fd = socket(ss.ss_family,
			      SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0 ||
	    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one,
		       sizeof one) != 0 ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(s->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			sizeof one) != 0) ||
	    bind(s->listen_fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(s->listen_fd, 128) != 0) {
		fprintf(stderr, PROG ": cannot listen on %s port %u: %s\n",
			s->opt.host, s->opt.port, strerror(errno));
		return -1;
	}
	int port = bound_port(s->listen_fd);
	if (port < 0 || (s->opt.port_file != NULL &&
			 write_port_file(s->opt.port_file, port) != 0)) {
		fprintf(stderr, PROG ": cannot write the port to %s: %s\n",
			s->opt.port_file ? s->opt.port_file : "(none)",
			strerror(errno));
		return -1;
	}
	fprintf(stderr, PROG ": listening on %s port %d%s\n", s->opt.host, port,
		s->opt.echo ? " (echo mode)" : "");
	return 0;
}

/* ---- connections: log ------------------------------------------------------ */

static const char *version_label(uint16_t v)
{
	return v == PL_TLS_VERSION_13 ? "TLSv1.3"
	       : v == PL_TLS_VERSION_12 ? "TLSv1.2" : "unknown";
}

/* Network-supplied text (SNI, ALPN) as one word: no spaces or controls. */
static void word(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	if (in == NULL || in[0] == '\0')
		in = "-";
	for (; *in != '\0' && o + 1 < cap; in++) {
		unsigned char ch = (unsigned char)*in;
		out[o++] = (ch > 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	out[o] = '\0';
}

static void log_negotiated(const struct conn *c, char *line, size_t cap)
{
	const pl_tls_conn_t *t = c->tls;
	char alpn[64], sni[300];

	word(pl_tls_alpn(t), alpn, sizeof alpn);
	word(pl_tls_sni(t), sni, sizeof sni);
	snprintf(line, cap, "version=%s suite=%s group=%s sigscheme=%s "
		 "alpn=%s sni=%s hrr=%s in=%llu out=%llu end=%s",
		 version_label(pl_tls_version(t)),
		 pl_tls_suite_name(pl_tls_suite(t)),
		 pl_tls_group_name(pl_tls_group(t)),
		 pl_tls_sigscheme_name(pl_tls_sigscheme(t)), alpn, sni,
		 pl_tls_did_hello_retry(t) ? "yes" : "no",
		 (unsigned long long)c->bytes_in,
		 (unsigned long long)c->bytes_out,
		 c->end != NULL ? c->end : "closed");
}

static void log_failure(const struct conn *c, char *line, size_t cap)
{
	int alert = pl_tls_alert(c->tls);
	const char *reason = pl_tls_reason(c->tls);
	const char *end = c->end != NULL ? c->end : "closed";

	if (reason == NULL)
		reason = "";
	if (!c->tls_failed || alert < 0) {
		snprintf(line, cap, "alert=none reason=%s",
			 c->tls_failed && reason[0] ? reason : end);
		return;
	}
	snprintf(line, cap, "alert=%s direction=%s reason=%s",
		 pl_tls_alert_name(alert),
		 pl_tls_alert_received(c->tls) ? "received" : "sent",
		 reason[0] ? reason : end);
}

/* The one line per connection; the reason, free text, comes last. */
static void log_conn(const struct conn *c)
{
	char detail[1024];
	const char *result;

	if (c->was_done && !c->tls_failed) {
		result = "ok";
		log_negotiated(c, detail, sizeof detail);
	} else if (c->was_done) {
		result = "error";
		log_failure(c, detail, sizeof detail);
	} else {
		result = "failed";
		log_failure(c, detail, sizeof detail);
	}
	fprintf(stderr, PROG ": conn=%lu peer=%s result=%s %s\n", c->id,
		c->peer, result, detail);
}

/* ---- connections: life cycle ------------------------------------------------ */

static void conn_free(struct conn *c)
{
	pl_tls_conn_free(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void conn_done(struct conn *c, const char *end)
{
	if (c->state == CONN_DONE)
		return;
	if (c->end == NULL)
		c->end = end;
	c->state = CONN_DONE;
}

/* Queue close_notify (RFC 8446 6.1) and send it before closing. */
static void conn_close(struct conn *c, const char *end)
{
	if (c->state != CONN_OPEN)
		return;
	if (c->end == NULL)
		c->end = end;
	if (!c->tls_failed && pl_tls_close(c->tls) != PL_OK)
		c->end = "close_notify refused by the engine";
	c->state = CONN_CLOSING;
}

/* The engine failed: its alert is queued; send it, then close. */
static void conn_tls_failed(struct conn *c)
{
	c->tls_failed = true;
	conn_close(c, "tls_error");
}

static void describe_peer(const struct sockaddr_storage *ss, char *out,
			  size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
		snprintf(out, cap, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
		snprintf(out, cap, "%s:%u", host, ntohs(a->sin_port));
	}
}

static int add_conn(struct server *s, struct conn *c)
{
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct conn **grown = realloc(s->conns, cap * sizeof *grown);
		if (grown == NULL)
			return -1;
		s->conns = grown;
		s->cap = cap;
	}
	s->conns[s->count++] = c;
	return 0;
}

static void accept_one(struct server *s, int fd,
		       const struct sockaddr_storage *ss)
{
	struct conn *c = calloc(1, sizeof *c);
	int one = 1;

	if (c == NULL || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				    sizeof one) != 0) {
		fprintf(stderr, PROG ": dropping a connection: %s\n",
			c == NULL ? "out of memory" : strerror(errno));
		free(c);
		close(fd);
		return;
	}
	c->fd = fd;
	c->id = ++s->accepted;
	describe_peer(ss, c->peer, sizeof c->peer);
	c->deadline = now_ms() + s->opt.timeout_ms;
	c->tls = pl_tls_conn_new(s->cfg, NULL);
	if (c->tls != NULL) /* certificates and tickets are judged by it */
		pl_tls_conn_set_time(c->tls, time(NULL));
	if (c->tls == NULL || add_conn(s, c) != 0) {
		fprintf(stderr, PROG ": conn=%lu: out of memory\n", c->id);
		conn_free(c);
	}
}

static bool accepting(const struct server *s)
{
	return s->listen_fd >= 0 &&
	       (s->opt.max_conns == 0 || s->accepted < s->opt.max_conns);
}

static void accept_all(struct server *s)
{
	while (accepting(s)) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int fd = accept4(s->listen_fd, (struct sockaddr *)&ss, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				fprintf(stderr, PROG ": accept: %s\n",
					strerror(errno));
			return;
		}
		accept_one(s, fd, &ss);
	}
	/* Enough connections: later ones are refused, which a test sees at
	 * once instead of hanging in the backlog. */
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		s->listen_fd = -1;
	}
}

/* ---- connections: data ------------------------------------------------------ */

static const char *find_head_end(const char *p, size_t len)
{
	return memmem(p, len, "\r\n\r\n", 4);
}

static void respond_http(struct conn *c)
{
	char response[256];
	int len = snprintf(response, sizeof response,
			   "HTTP/1.1 200 OK\r\n"
			   "Content-Type: text/plain\r\n"
			   "Content-Length: %zu\r\n"
			   "Connection: close\r\n"
			   "\r\n%s", sizeof http_body - 1, http_body);

	if (pl_tls_write(c->tls, (const uint8_t *)response, (size_t)len) !=
	    PL_OK) {
		conn_tls_failed(c);
		return;
	}
	c->bytes_out += (uint64_t)len;
	conn_close(c, "served");
}

static void handle_http(struct conn *c, const uint8_t *data, size_t len)
{
	if (c->state != CONN_OPEN)
		return;
	if (len > sizeof c->request - c->request_len) {
		conn_close(c, "request_too_large");
		return;
	}
	memcpy(c->request + c->request_len, data, len);
	c->request_len += len;
	if (find_head_end(c->request, c->request_len) != NULL)
		respond_http(c);
}

static void handle_echo(struct conn *c, const uint8_t *data, size_t len)
{
	if (c->state != CONN_OPEN)
		return;
	if (pl_tls_write(c->tls, data, len) != PL_OK) {
		conn_tls_failed(c);
		return;
	}
	c->bytes_out += len;
}

/* Takes every byte of application data the engine has decrypted. */
static void read_application_data(struct server *s, struct conn *c)
{
	uint8_t buf[16384];

	while (c->state == CONN_OPEN) {
		size_t n = 0;
		int rc = pl_tls_read(c->tls, buf, sizeof buf, &n);
		if (rc == PL_ERR_CLOSED) {
			conn_close(c, "close_notify");
			return;
		}
		if (rc != PL_OK) {
			conn_tls_failed(c);
			return;
		}
		if (n == 0)
			return;
		c->bytes_in += n;
		if (s->opt.echo)
			handle_echo(c, buf, n);
		else
			handle_http(c, buf, n);
	}
}

static void feed(struct server *s, struct conn *c, const uint8_t *data,
		 size_t len)
{
	if (pl_tls_feed(c->tls, data, len) != PL_OK) {
		conn_tls_failed(c);
		return;
	}
	if (pl_tls_handshake_done(c->tls))
		c->was_done = true;
	if (c->was_done)
		read_application_data(s, c);
}

static void on_eof(struct conn *c)
{
	if (c->state == CONN_LINGERING)
		conn_done(c, NULL);
	else if (!pl_tls_handshake_done(c->tls))
		conn_done(c, "client closed TCP during the handshake");
	else
		conn_done(c, "eof");
}

static void on_readable(struct server *s, struct conn *c)
{
	uint8_t buf[RECEIVE_CHUNK];
	ssize_t n = recv(c->fd, buf, sizeof buf, 0);

	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_done(c, errno == ECONNRESET ? "reset" : "recv_error");
		return;
	}
	if (n == 0) {
		on_eof(c);
		return;
	}
	c->deadline = now_ms() + s->opt.timeout_ms;
	/* After close_notify went out, what still arrives is drained. */
	if (c->state == CONN_OPEN)
		feed(s, c, buf, (size_t)n);
}

static size_t pending_output(struct conn *c)
{
	size_t len = 0;

	if (pl_tls_output(c->tls, &len) == NULL)
		return 0;
	return len;
}

/* Sends what the socket takes now; the rest waits for POLLOUT. */
static void flush(struct conn *c)
{
	for (;;) {
		size_t len = 0;
		const uint8_t *p = pl_tls_output(c->tls, &len);
		if (p == NULL || len == 0)
			break;
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			pl_tls_output_consumed(c->tls, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		conn_done(c, "send_error");
		return;
	}
	if (c->state == CONN_CLOSING) {
		/* All sent: half-close, then wait for the peer to close, so
		 * that unread bytes never turn our close into a RST that could
		 * destroy the response in flight. */
		if (shutdown(c->fd, SHUT_WR) != 0) {
			conn_done(c, NULL);
			return;
		}
		c->state = CONN_LINGERING;
		c->deadline = now_ms() + LINGER_MS;
	}
}

static short wanted_events(struct conn *c)
{
	short events = 0;
	size_t pending = pending_output(c);

	if (pending > 0)
		events |= POLLOUT;
	if (c->state == CONN_LINGERING ||
	    (c->state == CONN_OPEN && pending < BACKLOG_MAX))
		events |= POLLIN;
	return events;
}

static void on_events(struct server *s, struct conn *c, short revents)
{
	if (revents & (POLLIN | POLLHUP | POLLERR))
		on_readable(s, c);
	if (c->state != CONN_DONE)
		flush(c);
	if (c->state != CONN_DONE && now_ms() >= c->deadline)
		conn_done(c, c->state == CONN_LINGERING ? NULL : "timeout");
}

/* ---- the loop ---------------------------------------------------------------- */

/* Logs and frees the connections that are done. */
static void reap(struct server *s)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->count; i++) {
		struct conn *c = s->conns[i];
		if (c->state != CONN_DONE) {
			s->conns[kept++] = c;
			continue;
		}
		log_conn(c);
		conn_free(c);
	}
	s->count = kept;
}

static int poll_timeout(const struct server *s)
{
	long long soonest = -1, now = now_ms();

	for (size_t i = 0; i < s->count; i++)
		if (soonest < 0 || s->conns[i]->deadline < soonest)
			soonest = s->conns[i]->deadline;
	if (soonest < 0)
		return -1;
	return soonest <= now ? 0 : (int)(soonest - now);
}

static int wait_events(struct server *s, struct pollfd *fds, size_t *nfds,
		       const sigset_t *unblocked)
{
	int timeout = poll_timeout(s);
	struct timespec ts = { .tv_sec = timeout / 1000,
			       .tv_nsec = (long)(timeout % 1000) * 1000000 };
	size_t n = 0;

	fds[n++] = (struct pollfd){ .fd = accepting(s) ? s->listen_fd : -1,
				    .events = POLLIN };
	for (size_t i = 0; i < s->count; i++)
		fds[n++] = (struct pollfd){ .fd = s->conns[i]->fd,
					    .events = wanted_events(s->conns[i]) };
	*nfds = n;
	int rc = ppoll(fds, n, timeout < 0 ? NULL : &ts, unblocked);
	if (rc < 0 && errno != EINTR) {
		fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int serve(struct server *s, const sigset_t *unblocked)
{
	struct pollfd *fds = NULL;
	size_t fds_cap = 0, nfds = 0;
	int rc = 0;

	while (!stop_requested && (accepting(s) || s->count > 0)) {
		if (fds_cap < s->count + 1) {
			free(fds);
			fds_cap = s->count + 16;
			fds = calloc(fds_cap, sizeof *fds);
			if (fds == NULL) {
				fprintf(stderr, PROG ": out of memory\n");
				rc = -1;
				break;
			}
		}
		if (wait_events(s, fds, &nfds, unblocked) != 0) {
			rc = -1;
			break;
		}
		/* fds[i + 1] belongs to conns[i]; new ones are appended after. */
		for (size_t i = 0; i + 1 < nfds; i++)
			on_events(s, s->conns[i], fds[i + 1].revents);
		if (fds[0].revents & POLLIN)
			accept_all(s);
		reap(s);
	}
	free(fds);
	return rc;
}

static void shut_down(struct server *s)
{
	for (size_t i = 0; i < s->count; i++)
		conn_done(s->conns[i], "server stopped");
	reap(s);
	free(s->conns);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->keylog_fd >= 0)
		close(s->keylog_fd);
	if (s->cfg != NULL)
		pl_tls_config_free(s->cfg);
}

/* SIGTERM and SIGINT are blocked except inside ppoll(), so a stop request
 * is never lost between the check of the flag and the wait. */
static int setup_signals(sigset_t *unblocked)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0 ||
	    signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    sigprocmask(SIG_BLOCK, &block, unblocked) != 0)
		return -1;
	sigdelset(unblocked, SIGTERM);
	sigdelset(unblocked, SIGINT);
	return 0;
}

int main(int argc, char **argv)
{
	struct server s;
	sigset_t unblocked;
	int rc;

	memset(&s, 0, sizeof s);
	s.listen_fd = -1;
	s.keylog_fd = -1;
	rc = parse_arguments(argc, argv, &s.opt);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	rc = 1;
	if (setup_signals(&unblocked) != 0) {
		fprintf(stderr, PROG ": cannot set up signals: %s\n",
			strerror(errno));
		goto out;
	}
	if (configure(&s) != 0 || start_listening(&s) != 0)
		goto out;
	if (serve(&s, &unblocked) == 0)
		rc = 0;
	if (stop_requested)
		fprintf(stderr, PROG ": stopped by a signal\n");
out:
	shut_down(&s);
	return rc;
}
