/*
 * Runs a sans-I/O TLS connection over a socket: what the engine wants sent
 * goes out with send(), what arrives goes in with pl_tls_feed(), with a
 * poll() timeout on every wait for the peer.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "client/client_internal.h"
#include "padlock/client.h"

/* A TLS record is at most 2^14 bytes of plaintext plus 256 of overhead
 * (RFC 8446 5.2); reading one whole record at a time is enough. */
#define RECEIVE_CHUNK (16384 + 256)
#define WRITE_CHUNK 16384

/* Without TLS (io->tls NULL: plain HTTP, which padlock get follows only
 * with --allow-http) there is no handshake to wait for. */
static bool handshake_done(const pl_client_io_t *io)
{
	return io->tls == NULL || pl_tls_handshake_done(io->tls);
}

static const char *phase(const pl_client_io_t *io)
{
	return handshake_done(io) ? "after the handshake"
				  : "during the handshake";
}

/* The engine's reason and alert as one sentence. */
static int tls_error(pl_client_io_t *io, int rc)
{
	const char *reason = pl_tls_reason(io->tls);
	int alert = pl_tls_alert(io->tls);

	if (reason == NULL || reason[0] == '\0')
		reason = pl_strerror(rc);
	if (rc == PL_OK || rc == PL_ERR_CLOSED)
		rc = PL_ERR_TLS;
	if (alert < 0)
		return pl_client_fail(io->err, sizeof io->err, rc, "%s", reason);
	if (!pl_tls_alert_received(io->tls))
		return pl_client_fail(io->err, sizeof io->err, rc,
				      "%s (alert %s)", reason,
				      pl_tls_alert_name(alert));
	/* The engine's reason for a received alert usually names it. */
	const char *name = pl_tls_alert_name(alert);
	const char *hint = alert == PL_ALERT_NO_APPLICATION_PROTOCOL
		? "; it serves none of the application protocols (ALPN) offered" : "";
	if (strstr(reason, name) != NULL)
		return pl_client_fail(io->err, sizeof io->err, rc, "%s%s",
				      reason, hint);
	return pl_client_fail(io->err, sizeof io->err, rc,
			      "%s (alert %s from the server)%s", reason, name,
			      hint);
}

static int socket_error(pl_client_io_t *io, int e)
{
	if (e == ECONNRESET || e == EPIPE)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_IO,
			"the server reset the TCP connection %s", phase(io));
	return pl_client_fail(io->err, sizeof io->err, PL_ERR_IO,
		"socket error %s: %s", phase(io), strerror(e));
}

/* The peer closed TCP: before the handshake ended, or without the
 * close_notify that proves the data is complete (RFC 8446 6.1). */
static int eof_error(pl_client_io_t *io)
{
	io->tcp_closed = true;
	if (!handshake_done(io))
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_IO,
			"the server closed the TCP connection during the "
			"handshake without sending an alert");
	return pl_client_fail(io->err, sizeof io->err, PL_ERR_IO,
		"the server closed the TCP connection without close_notify, "
		"so the data may be truncated");
}

static const char *waiting_for(const pl_client_io_t *io, short events)
{
	if (!handshake_done(io))
		return "during the handshake";
	return events == POLLOUT ? "to accept more data" : "to send data";
}

/* Waits until fd is ready for events, at most io->timeout_ms. */
static int wait_for(pl_client_io_t *io, short events)
{
	struct pollfd pfd = { .fd = io->fd, .events = events };
	int timeout = io->timeout_ms > 0 ? io->timeout_ms : -1;

	for (;;) {
		int rc = poll(&pfd, 1, timeout);
		if (rc > 0)
			return PL_OK;
		if (rc == 0)
			return pl_client_fail(io->err, sizeof io->err, PL_ERR_IO,
				"timed out after %g s waiting for the server %s",
				io->timeout_ms / 1000.0, waiting_for(io, events));
		if (errno != EINTR)
			return socket_error(io, errno);
	}
}

/* Sends some of the len bytes at p, waiting for the socket as needed;
 * *sent says how many went. */
static int send_some(pl_client_io_t *io, const uint8_t *p, size_t len,
		     size_t *sent)
{
	for (;;) {
		ssize_t n = send(io->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			*sent = (size_t)n;
			return PL_OK;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int rc = wait_for(io, POLLOUT);
			if (rc != PL_OK)
				return rc;
			continue;
		}
		return socket_error(io, n < 0 ? errno : EPIPE);
	}
}

/* Sends len bytes of p as they are (plain HTTP). */
static int send_plain(pl_client_io_t *io, const uint8_t *p, size_t len)
{
	while (len > 0) {
		size_t sent = 0;
		int rc = send_some(io, p, len, &sent);
		if (rc != PL_OK)
			return rc;
		p += sent;
		len -= sent;
	}
	return PL_OK;
}

/* Plain HTTP: bytes as they arrive; the end of TCP is the end of the data
 * (nothing can prove it complete without TLS). */
static int read_plain(pl_client_io_t *io, uint8_t *buf, size_t cap, size_t *n)
{
	for (;;) {
		int rc = wait_for(io, POLLIN);
		if (rc != PL_OK)
			return rc;
		ssize_t got = recv(io->fd, buf, cap, 0);
		if (got > 0) {
			*n = (size_t)got;
			return PL_OK;
		}
		if (got == 0) {
			io->tcp_closed = true;
			return pl_client_fail(io->err, sizeof io->err,
				PL_ERR_CLOSED, "the server closed the connection");
		}
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return socket_error(io, errno);
	}
}

/* Sends everything the engine has queued. */
static int flush(pl_client_io_t *io)
{
	for (;;) {
		size_t len = 0, sent = 0;
		const uint8_t *p = io->tls != NULL ? pl_tls_output(io->tls, &len)
						   : NULL;
		if (p == NULL || len == 0)
			return PL_OK;
		int rc = send_some(io, p, len, &sent);
		if (rc != PL_OK)
			return rc;
		pl_tls_output_consumed(io->tls, sent);
	}
}

/* The engine failed on received bytes: it queued an alert that tells the
 * peer why (RFC 8446 6.2). Send it, then report the failure itself. */
static int feed_failed(pl_client_io_t *io, int rc)
{
	if (flush(io) != PL_OK) {
		/* The alert could not be sent; the TLS failure is still the
		 * cause the user needs to read, so it replaces io->err. */
	}
	return tls_error(io, rc);
}

/* Waits for bytes from the peer and feeds them to the engine. */
static int receive(pl_client_io_t *io)
{
	uint8_t buf[RECEIVE_CHUNK];

	if (io->tcp_closed)
		return eof_error(io);
	for (;;) {
		int rc = wait_for(io, POLLIN);
		if (rc != PL_OK)
			return rc;
		ssize_t n = recv(io->fd, buf, sizeof buf, 0);
		if (n > 0) {
			if (io->on_handshake_bytes != NULL &&
			    !pl_tls_handshake_done(io->tls))
				io->on_handshake_bytes(io->bytes_arg, buf,
						       (size_t)n);
			rc = pl_tls_feed(io->tls, buf, (size_t)n);
			return rc == PL_OK ? PL_OK : feed_failed(io, rc);
		}
		if (n == 0)
			return eof_error(io);
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return socket_error(io, errno);
	}
}

int pl_client_handshake(pl_client_io_t *io)
{
	int rc;

	io->err[0] = '\0';
	for (;;) {
		rc = flush(io);
		if (rc != PL_OK)
			return rc;
		if (pl_tls_failed(io->tls))
			return tls_error(io, PL_ERR_TLS);
		if (pl_tls_handshake_done(io->tls))
			return PL_OK;
		rc = receive(io);
		if (rc != PL_OK)
			return rc;
	}
}

int pl_client_write(pl_client_io_t *io, const uint8_t *buf, size_t len)
{
	if (io->tls == NULL)
		return send_plain(io, buf, len);
	while (len > 0) {
		size_t chunk = len < WRITE_CHUNK ? len : WRITE_CHUNK;
		int rc = pl_tls_write(io->tls, buf, chunk);
		if (rc != PL_OK)
			return tls_error(io, rc);
		rc = flush(io);
		if (rc != PL_OK)
			return rc;
		buf += chunk;
		len -= chunk;
	}
	return PL_OK;
}

int pl_client_read(pl_client_io_t *io, uint8_t *buf, size_t cap, size_t *n)
{
	*n = 0;
	if (cap == 0)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_ARG,
				      "read: no room in the buffer");
	if (io->tls == NULL)
		return read_plain(io, buf, cap, n);
	for (;;) {
		int rc = pl_tls_read(io->tls, buf, cap, n);
		if (rc == PL_ERR_CLOSED)
			return pl_client_fail(io->err, sizeof io->err,
				PL_ERR_CLOSED, "the server closed the connection");
		if (rc != PL_OK)
			return tls_error(io, rc);
		if (*n > 0)
			return PL_OK;
		/* The engine may owe the peer a reply (a KeyUpdate). */
		rc = flush(io);
		if (rc != PL_OK)
			return rc;
		rc = receive(io);
		if (rc != PL_OK)
			return rc;
	}
}

int pl_client_close(pl_client_io_t *io)
{
	if (io->tls == NULL)
		return PL_OK;
	int rc = pl_tls_close(io->tls);

	if (rc != PL_OK)
		return tls_error(io, rc);
	return flush(io);
}
