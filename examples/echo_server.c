/*
 * A TLS echo server on libpadlock and epoll: every byte a client sends
 * comes back to it, encrypted. One thread, non-blocking sockets, any
 * number of connections. The engine never touches a socket; this file
 * moves the bytes:
 *
 *   socket --recv--> pl_tls_feed()            pl_tls_read()  --> echo
 *   socket <--send-- pl_tls_output()  <--  pl_tls_write() <--
 *
 * Build against the installed library:
 *   cc -o echo_server echo_server.c $(pkg-config --cflags --libs padlock)
 * Run:
 *   ./echo_server cert.pem key.pem 4433
 * It prints "listening on PORT" (with port 0 the kernel picks one) and
 * serves until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <padlock/tls.h>

/* One client: its socket and its TLS connection. */
struct client {
	int fd;
	pl_tls_conn_t *tls;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Sends what the engine has queued. Returns 0, or -1 when the socket
 * failed. What the kernel does not take now stays queued, and EPOLLOUT
 * brings us back. */
static int flush(struct client *c)
{
	size_t len;
	const uint8_t *out;

	while ((out = pl_tls_output(c->tls, &len)) != NULL && len > 0) {
		ssize_t n = send(c->fd, out, len, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		pl_tls_output_consumed(c->tls, (size_t)n);
	}
	return 0;
}

static bool wants_to_send(struct client *c)
{
	size_t len;
	return pl_tls_output(c->tls, &len) != NULL && len > 0;
}

/* Reads what the socket has, feeds the engine and echoes every byte of
 * application data. Returns 0 to keep the connection, -1 to close it. */
static int on_readable(struct client *c)
{
	uint8_t buf[16384];

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (pl_tls_feed(c->tls, buf, (size_t)n) != PL_OK) {
			fprintf(stderr, "echo_server: %s (alert %s)\n",
				pl_tls_reason(c->tls),
				pl_tls_alert_name(pl_tls_alert(c->tls)));
			flush(c); /* the alert */
			return -1;
		}
		for (;;) {
			size_t got;
			int rc = pl_tls_read(c->tls, buf, sizeof(buf), &got);
			if (rc == PL_ERR_CLOSED) {
				pl_tls_close(c->tls);
				flush(c);
				return -1;
			}
			if (rc != PL_OK || got == 0)
				break;
			if (pl_tls_write(c->tls, buf, got) != PL_OK)
				return -1;
		}
		if (flush(c) < 0)
			return -1;
	}
}

static void watch(int ep, struct client *c, int op)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLET | (wants_to_send(c) ? EPOLLOUT : 0),
		.data.ptr = c,
	};
	epoll_ctl(ep, op, c->fd, &ev);
}

static void drop(struct client *c)
{
	close(c->fd);
	pl_tls_conn_free(c->tls);
	free(c);
}

static void on_accept(int ep, int listener, const pl_tls_config_t *cfg)
{
	int fd;

	while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		struct client *c = calloc(1, sizeof(*c));
		if (c == NULL || (c->tls = pl_tls_conn_new(cfg, NULL)) == NULL) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		watch(ep, c, EPOLL_CTL_ADD);
	}
}

/* A TLS server config with the chain of cert_path and the key of
 * key_path; NULL with a message on stderr. */
static pl_tls_config_t *server_config(const char *cert_path,
				      const char *key_path)
{
	char err[256];
	pl_x509_chain_t *chain = pl_x509_chain_load_pem(cert_path, err,
							 sizeof(err));
	if (chain == NULL) {
		fprintf(stderr, "echo_server: %s\n", err);
		return NULL;
	}
	pl_pkey_t *key = pl_x509_key_load_pem(key_path, err, sizeof(err));
	if (key == NULL) {
		fprintf(stderr, "echo_server: %s\n", err);
		pl_x509_chain_free(chain);
		return NULL;
	}
	pl_tls_config_t *cfg = pl_tls_config_new(true);
	if (cfg == NULL) {
		pl_x509_chain_free(chain);
		pl_pkey_free(key);
		return NULL;
	}
	int rc = pl_tls_config_add_chain(cfg, chain, key); /* takes both */
	if (rc != PL_OK) {
		fprintf(stderr, "echo_server: %s: %s\n", key_path,
			pl_strerror(rc));
		pl_tls_config_free(cfg);
		return NULL;
	}
	return cfg;
}

static int listen_on(int port)
{
	struct sockaddr_in6 addr = {
		.sin6_family = AF_INET6,
		.sin6_port = htons((uint16_t)port),
		.sin6_addr = IN6ADDR_ANY_INIT,
	};
	socklen_t len = sizeof(addr);
	int one = 1;
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
		close(fd);
		return -1;
	}
	printf("listening on %d\n", ntohs(addr.sin6_port));
	fflush(stdout);
	return fd;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: echo_server CERT.pem KEY.pem PORT\n");
		return 2;
	}
	pl_tls_config_t *cfg = server_config(argv[1], argv[2]);
	if (cfg == NULL)
		return 1;
	int listener = listen_on(atoi(argv[3]));
	if (listener < 0) {
		perror("echo_server: listen");
		pl_tls_config_free(cfg);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);

	while (!stopping) {
		struct epoll_event events[64];
		int n = epoll_wait(ep, events, 64, -1);
		for (int i = 0; i < n; i++) {
			struct client *c = events[i].data.ptr;
			if (c == NULL) {
				on_accept(ep, listener, cfg);
				continue;
			}
			int rc = 0;
			if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				rc = on_readable(c);
			if (rc == 0 && (events[i].events & EPOLLOUT))
				rc = flush(c);
			if (rc < 0)
				drop(c);
			else
				watch(ep, c, EPOLL_CTL_MOD);
		}
	}
	close(ep);
	close(listener);
	pl_tls_config_free(cfg);
	return 0;
}
