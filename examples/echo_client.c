/*
 * A TLS client on libpadlock: connects, verifies the server's certificate
 * against a CA file and the name given, sends one message, reads it back
 * and closes with close_notify. A blocking socket is enough for one
 * connection; the engine only ever sees bytes.
 *
 * Build against the installed library:
 *   cc -o echo_client echo_client.c $(pkg-config --cflags --libs padlock)
 * Run (against examples/echo_server.c):
 *   ./echo_client ca.pem localhost 4433 "hello"
 * It prints what was negotiated and the echo; exit status 0 when the echo
 * is the message, 1 otherwise.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <padlock/tls.h>

/* Sends everything the engine has queued. Returns 0 or -1. */
static int flush(int fd, pl_tls_conn_t *tls)
{
	size_t len;
	const uint8_t *out;

	while ((out = pl_tls_output(tls, &len)) != NULL && len > 0) {
		ssize_t n = send(fd, out, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		pl_tls_output_consumed(tls, (size_t)n);
	}
	return 0;
}

/* Receives once and feeds the engine. Returns 0, or -1 when the peer
 * closed the socket or the connection failed. */
static int receive(int fd, pl_tls_conn_t *tls)
{
	uint8_t buf[16384];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n <= 0) {
		fprintf(stderr, "echo_client: the server closed the connection\n");
		return -1;
	}
	if (pl_tls_feed(tls, buf, (size_t)n) != PL_OK) {
		fprintf(stderr, "echo_client: %s\n", pl_tls_reason(tls));
		flush(fd, tls); /* the alert */
		return -1;
	}
	return 0;
}

static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai, *p;
	int fd = -1;

	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	for (p = ai; p != NULL && fd < 0; p = p->ai_next) {
		fd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
		if (fd >= 0 && connect(fd, p->ai_addr, p->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

/* The handshake, the message out and its echo back. */
static int echo(int fd, pl_tls_conn_t *tls, const char *msg)
{
	size_t want = strlen(msg), got = 0;
	char back[4096];

	while (!pl_tls_handshake_done(tls))
		if (flush(fd, tls) < 0 || receive(fd, tls) < 0)
			return -1;
	printf("%s %s %s\n",
	       pl_tls_version(tls) == PL_TLS_VERSION_13 ? "TLSv1.3" : "TLSv1.2",
	       pl_tls_suite_name(pl_tls_suite(tls)),
	       pl_tls_group_name(pl_tls_group(tls)));

	if (want > sizeof(back) ||
	    pl_tls_write(tls, (const uint8_t *)msg, want) != PL_OK ||
	    flush(fd, tls) < 0)
		return -1;
	while (got < want) {
		size_t n;
		if (receive(fd, tls) < 0)
			return -1;
		do {
			if (pl_tls_read(tls, (uint8_t *)back + got,
					sizeof(back) - got, &n) != PL_OK)
				return -1;
			got += n;
		} while (n > 0 && got < sizeof(back));
	}
	printf("%.*s\n", (int)got, back);
	pl_tls_close(tls);
	flush(fd, tls);
	return got == want && memcmp(back, msg, want) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	char err[256];
	int rc = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: echo_client CA.pem HOST PORT MESSAGE\n");
		return 2;
	}
	pl_x509_store_t *store = pl_x509_store_new(argv[1], NULL, err,
						   sizeof(err));
	if (store == NULL) {
		fprintf(stderr, "echo_client: %s\n", err);
		return 1;
	}
	pl_tls_config_t *cfg = pl_tls_config_new(false);
	if (cfg == NULL) {
		pl_x509_store_free(store);
		return 1;
	}
	pl_tls_config_set_trust(cfg, store); /* the config owns it now */

	pl_tls_conn_t *tls = pl_tls_conn_new(cfg, argv[2]);
	int fd = connect_to(argv[2], argv[3]);
	if (fd < 0)
		fprintf(stderr, "echo_client: cannot connect to %s port %s\n",
			argv[2], argv[3]);
	else if (tls != NULL && echo(fd, tls, argv[4]) == 0)
		rc = 0;
	if (fd >= 0)
		close(fd);
	pl_tls_conn_free(tls);
	pl_tls_config_free(cfg);
	return rc;
}
