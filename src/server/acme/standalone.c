/*
 * padlock cert --acme: one certificate from an ACME CA without serving,
 * for other servers. The same engine as the server's ACME process
 * (pl_acme_obtain, the state directory's account key and store). The
 * challenge is answered by a listener on the given port that lives as
 * long as the order: a child process that reads the board (shared
 * memory) the order publishes its answers on, and answers HTTP-01 with
 * the server's own pl_srv_acme_http01, or TLS-ALPN-01 with the engine
 * and pl_srv_acme_tlsalpn01 (RFC 8737: the challenge certificate to a
 * ClientHello that offers only acme-tls/1, an alert to any other).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/acme/acme.h"

#define REQUEST_MAX 8192
#define READ_TIMEOUT_S 5
#define HANDSHAKE_BYTES_MAX (64 * 1024)

static int publish(void *arg, pl_acme_challenge_t type, const char *name,
		   const char *token, const char *keyauth, char *err,
		   size_t err_len)
{
	(void)arg;
	return pl_acme_board_publish(type, name, token, keyauth, err, err_len);
}

static void withdraw(void *arg, pl_acme_challenge_t type, const char *name,
		     const char *token)
{
	(void)arg;
	pl_acme_board_withdraw(type, name, token);
}

/* ---- the port-80 listener (the child) ---------------------------------------- */

static void write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* One request on fd, read with the server's parser: the key
 * authorization (RFC 8555 8.3), or 404, or the parser's 4xx. */
static void answer(int fd)
{
	pl_http_parser_t *parser = pl_http_parser_new(NULL);
	pl_http_reply_t reply;
	pl_http_buf_t out = { 0 };
	uint8_t buf[REQUEST_MAX];
	size_t have = 0, used = 0;
	pl_http_step_t step = { PL_HTTP_NEED_MORE, 0, NULL, 0 };
	int rc = PL_OK, status = 0;

	pl_http_reply_init(&reply);
	if (parser == NULL)
		return;
	while (rc == PL_OK && step.event != PL_HTTP_HEAD) {
		if (used == have) {
			ssize_t n = have < sizeof buf
				    ? read(fd, buf + have, sizeof buf - have) : 0;
			if (n <= 0)
				goto out;
			have += (size_t)n;
		}
		rc = pl_http_parse(parser, buf + used, have - used, &step);
		used += step.consumed;
	}
	if (rc != PL_OK)
		status = pl_http_parser_status(parser);
	else if (!pl_srv_acme_http01(pl_http_parser_request(parser), time(NULL),
				     &reply, &rc) || rc != PL_OK)
		status = 404;
	if (status != 0 &&
	    pl_http_reply_error(&reply, status, status == 404 ? "no such "
				"challenge" : pl_http_parser_reason(parser),
				-1, false, time(NULL), "padlock") != PL_OK)
		goto out;
	if (pl_http_reply_head(&reply, &out) == PL_OK) {
		write_all(fd, out.data, out.len);
		write_all(fd, reply.body.data, reply.body.len);
	}
out:
	pl_http_buf_free(&out);
	pl_http_reply_free(&reply);
	pl_http_parser_free(parser);
}

/* Sends what the engine has queued. */
static bool flush(int fd, pl_tls_conn_t *tls)
{
	const uint8_t *out;
	size_t len;

	while ((out = pl_tls_output(tls, &len)) != NULL && len > 0) {
		ssize_t n = send(fd, out, len, MSG_NOSIGNAL);

		if (n <= 0)
			return false;
		pl_tls_output_consumed(tls, (size_t)n);
	}
	return true;
}

/* One TLS handshake on fd (RFC 8737 3): the CA validates by completing
 * it and looking at the certificate; nothing is read after. */
static void handshake(int fd, const pl_tls_config_t *cfg)
{
	pl_tls_conn_t *tls = pl_tls_conn_new(cfg, NULL);
	uint8_t buf[16384];
	size_t total = 0;

	if (tls == NULL)
		return;
	while (!pl_tls_handshake_done(tls) && !pl_tls_failed(tls) &&
	       total < HANDSHAKE_BYTES_MAX) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);

		if (n <= 0)
			break;
		total += (size_t)n;
		if (pl_tls_feed(tls, buf, (size_t)n) != PL_OK || !flush(fd, tls))
			break;
	}
	if (pl_tls_handshake_done(tls))
		(void)pl_tls_close(tls);
	(void)flush(fd, tls); /* close_notify, or the alert */
	pl_tls_conn_free(tls);
}

/* A server config without certificates: the board's challenge
 * certificates are all it has to give. */
static pl_tls_config_t *challenge_config(void)
{
	pl_tls_config_t *cfg = pl_tls_config_new(true);

	if (cfg != NULL)
		pl_tls_config_set_challenge(cfg, pl_srv_acme_tlsalpn01, NULL);
	return cfg;
}

_Noreturn static void listen_loop(int lfd, pid_t parent, bool tls_alpn)
{
	pl_tls_config_t *cfg = tls_alpn ? challenge_config() : NULL;

	struct timeval tv = { READ_TIMEOUT_S, 0 };

	signal(SIGTERM, SIG_DFL);
	/* never outlive the order: a killed padlock cert takes the port
	 * listener with it */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent || (tls_alpn && cfg == NULL))
		_exit(0);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		if (tls_alpn)
			handshake(fd, cfg);
		else
			answer(fd);
		close(fd);
	}
}

static int bind_listener(const pl_srv_acme_cert_t *o, int *out, char *err,
			 size_t err_len)
{
	uint16_t port = o->tls_alpn ? o->tls_port : o->http_port;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	const char *addr = o->listen != NULL ? o->listen : "0.0.0.0";
	bool v6 = strchr(addr, ':') != NULL;
	int one = 1, fd;

	if (v6 ? inet_pton(AF_INET6, addr, &a6.sin6_addr) != 1
	       : inet_pton(AF_INET, addr, &a4.sin_addr) != 1)
		return pl_acme_say(err, err_len, PL_ERR_ARG, "--listen: '%s' is "
				   "not an IP address", addr);
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pl_acme_say(err, err_len, PL_ERR_IO, "socket: %s",
				   strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if ((v6 ? bind(fd, (struct sockaddr *)&a6, sizeof a6)
		: bind(fd, (struct sockaddr *)&a4, sizeof a4)) != 0 ||
	    listen(fd, 64) != 0) {
		int e = errno;
		close(fd);
		return pl_acme_say(err, err_len, PL_ERR_IO, "cannot listen on "
			"%s port %u for the %s challenge: %s%s", addr,
			(unsigned)port, o->tls_alpn ? "TLS-ALPN-01" : "HTTP-01",
			strerror(e),
			e == EACCES ? " (ports below 1024 need root or "
			"CAP_NET_BIND_SERVICE)" : e == EADDRINUSE ? " (stop "
			"the server on it, or let it answer: padlock serve "
			"--domain obtains certificates itself)" : "");
	}
	*out = fd;
	return PL_OK;
}

/* ---- the order ------------------------------------------------------------------- */

static int paths(const pl_srv_acme_cert_t *o, char *ca_dir, size_t ca_cap,
		 char *chain, char *key, size_t cap, char *err, size_t err_len)
{
	char state[PATH_MAX];
	int rc = pl_acme_state_dir(o->state_dir, state, sizeof state, err,
				   err_len);

	if (rc == PL_OK)
		rc = pl_acme_state_prepare(state, err, err_len);
	if (rc == PL_OK && pl_acme_ca_dir(state, o->directory, ca_dir,
					  ca_cap) != PL_OK)
		rc = pl_acme_say(err, err_len, PL_ERR_ARG, "--acme-ca: '%s' is "
				 "not an https:// URL", o->directory);
	if (rc == PL_OK && pl_acme_cert_paths(ca_dir, o->names[0], chain, key,
					      cap) != PL_OK)
		rc = pl_acme_say(err, err_len, PL_ERR_ARG, "'%s' cannot name a "
				 "file", o->names[0]);
	return rc;
}

static void note(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "padlock cert: %s\n", line);
}

static int order(const pl_srv_acme_cert_t *o, pl_pkey_t *account,
		 const char *chain, const char *key, char *err, size_t err_len)
{
	pl_acme_order_opts_t opts = {
		.directory = o->directory, .email = o->email,
		.agree_tos = o->agree_tos, .eab_kid = o->eab_kid,
		.eab_hmac_key = o->eab_hmac_key, .names = o->names,
		.n_names = o->n_names,
		.prefer = { o->tls_alpn ? PL_ACME_TLSALPN01 : PL_ACME_HTTP01 },
		.n_prefer = 1, .timeout_ms = o->timeout_ms, .note = note,
		.info = note,
	};
	pl_acme_responder_t r = { publish, withdraw, NULL };
	pl_acme_transport_t t;
	pl_acme_http_t http;
	pl_acme_result_t res;
	pl_acme_stored_t before;
	int rc = pl_acme_http_init(&http, o->ca_root, err, err_len);

	if (rc != PL_OK)
		return rc;
	/* run again to renew: the stored certificate is the one replaced
	 * (RFC 9773 5), when the CA offers renewal information */
	(void)pl_acme_stored(chain, key, o->names, o->n_names, 100, time(NULL),
			     &before);
	opts.replaces = before.cert_id[0] ? before.cert_id : NULL;
	pl_acme_http_transport(&http, &t);
	rc = pl_acme_obtain(&t, &r, &opts, account, &res, err, err_len);
	if (rc == PL_OK)
		rc = pl_acme_store(chain, key, &res, err, err_len);
	pl_acme_result_free(&res);
	pl_acme_http_free(&http);
	return rc;
}

int pl_srv_acme_certificate(const pl_srv_acme_cert_t *o, char *chain,
			     char *key, size_t cap, char *err, size_t err_len)
{
	char ca_dir[PATH_MAX + 300];
	pl_pkey_t *account = NULL;
	bool created = false;
	int lfd = -1, rc;
	pid_t pid;

	rc = paths(o, ca_dir, sizeof ca_dir, chain, key, cap, err, err_len);
	if (rc != PL_OK)
		return rc;
	account = pl_acme_account_key(ca_dir, &created, err, err_len);
	if (account == NULL)
		return PL_ERR_IO;
	rc = pl_acme_board_init();
	if (rc != PL_OK)
		rc = pl_acme_say(err, err_len, rc, "cannot map the ACME "
				 "challenge board: %s", strerror(errno));
	if (rc == PL_OK)
		rc = bind_listener(o, &lfd, err, err_len);
	if (rc != PL_OK) {
		pl_pkey_free(account);
		return rc;
	}
	pid_t parent = getpid();
	pid = fork();
	if (pid == 0)
		listen_loop(lfd, parent, o->tls_alpn);
	close(lfd);
	if (pid < 0)
		rc = pl_acme_say(err, err_len, PL_ERR_IO, "fork: %s",
				 strerror(errno));
	else
		rc = order(o, account, chain, key, err, err_len);
	if (pid > 0) {
		kill(pid, SIGTERM);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	pl_pkey_free(account);
	return rc;
}
