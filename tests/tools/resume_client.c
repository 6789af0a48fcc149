/*
 * resume_client: padlock's TLS client connects to HOST:PORT several times,
 * keeping the session of each connection for the next, and says for each
 * whether the handshake resumed. For the interop tests against openssl
 * s_server and gnutls-serv (tests/interop/test_client_resume.py).
 *
 * usage: resume_client HOST PORT NAME CAFILE COUNT [1.2]
 * (1.2: offer TLS 1.2 only)
 * Prints one line per connection: "N: resumed|full TLS-VERSION SUITE",
 * then what the server answered to "GET / HTTP/1.0" (read until it
 * closes). Exit 1 on any failure (the engine's reason on stderr).
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "padlock/tls.h"

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = {0}, *res;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	int fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int flush(int fd, pl_tls_conn_t *c)
{
	size_t n;
	const uint8_t *out;
	while ((out = pl_tls_output(c, &n)) != NULL && n > 0) {
		ssize_t w = write(fd, out, n);
		if (w <= 0)
			return -1;
		pl_tls_output_consumed(c, (size_t)w);
	}
	return 0;
}

/* One connection: offers *session, replaces it with the newest ticket. */
static int once(const char *host, const char *port, const char *name,
		const pl_tls_config_t *cfg, uint8_t **session, size_t *len,
		int index)
{
	static const char request[] = "GET / HTTP/1.0\r\n\r\n";
	static uint8_t body[65536];
	size_t body_len = 0;
	uint8_t buf[16384];
	size_t n;
	bool sent = false;
	int fd = dial(host, port), ret = 1;
	pl_tls_conn_t *c = pl_tls_conn_new(cfg, name);
	if (fd < 0 || c == NULL) {
		fprintf(stderr, "resume_client: cannot connect\n");
		goto out;
	}
	pl_tls_conn_set_time(c, time(NULL));
	if (*session && pl_tls_session_load(c, *session, *len) != PL_OK) {
		fprintf(stderr, "resume_client: the saved session is refused\n");
		goto out;
	}
	for (;;) {
		if (flush(fd, c))
			break;
		if (pl_tls_handshake_done(c) && !sent) {
			if (pl_tls_write(c, (const uint8_t *)request,
					 strlen(request)) || flush(fd, c))
				break;
			sent = true;
		}
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			break;
		if (pl_tls_feed(c, buf, (size_t)r) != PL_OK)
			break;
		while (pl_tls_read(c, buf, sizeof(buf), &n) == PL_OK && n > 0)
			if (body_len + n <= sizeof(body)) {
				memcpy(body + body_len, buf, n);
				body_len += n;
			}
		if (pl_tls_peer_closed(c))
			break;
	}
	if (!pl_tls_handshake_done(c) || pl_tls_failed(c)) {
		fprintf(stderr, "resume_client: %s\n", pl_tls_reason(c));
		goto out;
	}
	printf("%d: %s %s %s\n", index, pl_tls_resumed(c) ? "resumed" : "full",
	       pl_tls_version_name(pl_tls_version(c)),
	       pl_tls_suite_name(pl_tls_suite(c)));
	fwrite(body, 1, body_len, stdout);
	printf("\n");
	fflush(stdout);
	if (pl_tls_ticket_count(c) > 0) {
		free(*session);
		if (pl_tls_session_save(c, session, len) != PL_OK)
			goto out;
	}
	ret = 0;
out:
	pl_tls_conn_free(c);
	if (fd >= 0)
		close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	uint8_t *session = NULL;
	size_t len = 0;
	int ret = 0;
	if (argc != 6 && !(argc == 7 && strcmp(argv[6], "1.2") == 0)) {
		fprintf(stderr, "usage: resume_client HOST PORT NAME CAFILE "
			"COUNT [1.2]\n");
		return 2;
	}
	pl_tls_config_t *cfg = pl_tls_config_new(false);
	pl_x509_store_t *store = pl_x509_store_new(argv[4], NULL, NULL, 0);
	if (cfg == NULL || store == NULL) {
		fprintf(stderr, "resume_client: cannot load %s\n", argv[4]);
		return 1;
	}
	pl_tls_config_set_trust(cfg, store);
	if (argc == 7 && pl_tls_config_set_versions(cfg, PL_TLS_VERSION_12,
						    PL_TLS_VERSION_12)) {
		fprintf(stderr, "resume_client: cannot limit to TLS 1.2\n");
		return 1;
	}
	for (int i = 0; i < atoi(argv[5]) && ret == 0; i++)
		ret = once(argv[1], argv[2], argv[3], cfg, &session, &len, i);
	free(session);
	pl_tls_config_free(cfg);
	return ret;
}
