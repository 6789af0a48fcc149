/*
 * Name resolution and TCP connect with a deadline. A failed connect says
 * which of the three usual causes it was: the name does not resolve,
 * nothing listens (the host answers with a RST: "refused"), or nothing
 * answers at all (a firewall that drops packets: "timed out").
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "padlock/client.h"

/* What went wrong over all the addresses tried. */
struct attempts {
	char refused[256];   /* "[::1]:4433 or 127.0.0.1:4433" */
	char timed_out[64];  /* the address that did not answer */
	char other[64];      /* the last address with another error */
	int other_errno;
};

/* "127.0.0.1:4433" or "[::1]:4433". */
static void format_address(const struct addrinfo *ai, char *out, size_t cap)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];
	int rc = getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof host,
			     port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);

	if (rc != 0) {
		snprintf(out, cap, "(unprintable address)");
		return;
	}
	int n = ai->ai_family == AF_INET6
			? snprintf(out, cap, "[%s]:%s", host, port)
			: snprintf(out, cap, "%s:%s", host, port);
	if (n < 0 || (size_t)n >= cap)
		snprintf(out, cap, "(address too long to print)");
}

static int resolve(const char *host, uint16_t port, struct addrinfo **list,
		   char *err, size_t err_len)
{
	struct addrinfo hints;
	char service[8];
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof service, "%u", (unsigned)port);
	rc = getaddrinfo(host, service, &hints, list);
	switch (rc) {
	case 0:
		return PL_OK;
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
		return pl_client_fail(err, err_len, PL_ERR_IO,
			"name not found ('%s' is in neither DNS nor /etc/hosts)",
			host);
	case EAI_AGAIN:
		return pl_client_fail(err, err_len, PL_ERR_IO,
			"name lookup for '%s' failed for now (is a DNS server "
			"reachable?)", host);
	case EAI_SYSTEM:
		return pl_client_fail(err, err_len, PL_ERR_IO,
			"name lookup for '%s' failed: %s", host, strerror(errno));
	default:
		return pl_client_fail(err, err_len, PL_ERR_IO,
			"name lookup for '%s' failed: %s", host, gai_strerror(rc));
	}
}

/* Waits until the non-blocking connect on s completes or the deadline
 * passes. Returns 0 or the errno of the failure (ETIMEDOUT at the
 * deadline). */
static int wait_connected(int s, long long deadline)
{
	struct pollfd pfd = { .fd = s, .events = POLLOUT };
	int so_error = 0;
	socklen_t len = sizeof so_error;

	for (;;) {
		long long left = deadline - pl_client_now_ms();
		if (left <= 0)
			return ETIMEDOUT;
		int rc = poll(&pfd, 1, (int)(left > 1000000 ? 1000000 : left));
		if (rc > 0)
			break;
		if (rc < 0 && errno != EINTR)
			return errno;
	}
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0)
		return errno;
	return so_error;
}

/* Connects one address. Returns 0 with *out set, or the errno. */
static int try_address(const struct addrinfo *ai, long long deadline,
		       int *out)
{
	int one = 1, e;
	int s = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       ai->ai_protocol);

	if (s < 0)
		return errno;
	if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0)
		e = 0;
	else if (errno == EINPROGRESS)
		e = wait_connected(s, deadline);
	else
		e = errno;
	/* The handshake is a few small writes that wait for answers: Nagle's
	 * algorithm would only delay them. */
	if (e == 0 && setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof one) != 0)
		e = errno;
	if (e != 0) {
		close(s);
		return e;
	}
	*out = s;
	return 0;
}

static void record_failure(struct attempts *a, const char *addr, int e)
{
	size_t used = strlen(a->refused);

	if (e == ECONNREFUSED) {
		snprintf(a->refused + used, sizeof a->refused - used, "%s%s",
			 used > 0 ? " or " : "", addr);
	} else if (e == ETIMEDOUT) {
		snprintf(a->timed_out, sizeof a->timed_out, "%s", addr);
	} else {
		snprintf(a->other, sizeof a->other, "%s", addr);
		a->other_errno = e;
	}
}

/* The one sentence for a connect that failed on every address. A timeout
 * says the most (packets vanish), then a refusal (the host is up, the port
 * closed), then anything else. */
static int explain_failure(const struct attempts *a, uint16_t port,
			   int timeout_ms, char *err, size_t err_len)
{
	if (a->timed_out[0] != '\0')
		return pl_client_fail(err, err_len, PL_ERR_IO,
			"connecting to %s timed out after %g s (a firewall may "
			"drop packets to port %u)", a->timed_out,
			timeout_ms / 1000.0, (unsigned)port);
	if (a->refused[0] != '\0')
		return pl_client_fail(err, err_len, PL_ERR_IO,
			"connection refused (nothing listens on %s)", a->refused);
	switch (a->other_errno) {
	case ENETUNREACH:
		return pl_client_fail(err, err_len, PL_ERR_IO,
			"network unreachable: no route to %s", a->other);
	case EHOSTUNREACH:
		return pl_client_fail(err, err_len, PL_ERR_IO,
			"no route to host %s (it is down, or a firewall rejects "
			"packets to port %u)", a->other, (unsigned)port);
	case EACCES:
	case EPERM:
		return pl_client_fail(err, err_len, PL_ERR_IO,
			"connecting to %s is forbidden by a local firewall rule",
			a->other);
	case 0:
		return pl_client_fail(err, err_len, PL_ERR_IO,
			"the name resolved to no address to connect to");
	default:
		return pl_client_fail(err, err_len, PL_ERR_IO,
			"cannot connect to %s: %s", a->other,
			strerror(a->other_errno));
	}
}

static void note(const pl_client_connect_opts_t *opts, const char *what,
		 const char *addr)
{
	char line[128];

	if (opts->note == NULL)
		return;
	snprintf(line, sizeof line, "%s %s", what, addr);
	opts->note(opts->note_arg, line);
}

int pl_client_connect(const char *host, uint16_t port,
		      const pl_client_connect_opts_t *opts, int *fd,
		      char *peer, size_t peer_len, char *err, size_t err_len)
{
	struct addrinfo *list = NULL;
	struct attempts failed;
	char addr[64];
	int rc;

	if (host == NULL || opts == NULL || fd == NULL || opts->timeout_ms <= 0)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
				      "connect: invalid arguments");
	*fd = -1;
	memset(&failed, 0, sizeof failed);
	rc = resolve(host, port, &list, err, err_len);
	if (rc != PL_OK)
		goto out;
	long long deadline = pl_client_now_ms() + opts->timeout_ms;
	rc = PL_ERR_IO;
	for (const struct addrinfo *ai = list; ai != NULL; ai = ai->ai_next) {
		format_address(ai, addr, sizeof addr);
		note(opts, "TCP connect to", addr);
		int e = try_address(ai, deadline, fd);
		if (e == 0) {
			note(opts, "TCP connected to", addr);
			if (peer != NULL)
				snprintf(peer, peer_len, "%s", addr);
			rc = PL_OK;
			goto out;
		}
		record_failure(&failed, addr, e);
		if (pl_client_now_ms() >= deadline)
			break;
	}
	rc = explain_failure(&failed, port, opts->timeout_ms, err, err_len);
out:
	if (list != NULL)
		freeaddrinfo(list);
	return rc;
}
