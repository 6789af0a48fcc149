/*
 * Probes: one ClientHello, one answer, no handshake completed. This file
 * writes the ClientHello a probe offers (SSL 3.0 to TLS 1.3, with the
 * extensions real clients send for that version) and moves bytes between
 * a socket and the answer's parser (probe_parse.c), within a deadline.
 *
 * A probe never derives a key: the TLS 1.3 key shares are real public keys
 * (a server checks them) whose private halves are dropped at once.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "client/probe_internal.h"
#include "padlock/crypto.h"

enum {
	EXT_SERVER_NAME = 0x0000,
	EXT_STATUS_REQUEST = 0x0005,
	EXT_SUPPORTED_GROUPS = 0x000a,
	EXT_EC_POINT_FORMATS = 0x000b,
	EXT_SIGNATURE_ALGORITHMS = 0x000d,
	EXT_PADDING = 0x0015,
	EXT_EXTENDED_MASTER_SECRET = 0x0017,
	EXT_SUPPORTED_VERSIONS = 0x002b,
	EXT_KEY_SHARE = 0x0033,
	EXT_RENEGOTIATION_INFO = 0xff01,
};

#define SCSV_EMPTY_RENEGOTIATION_INFO 0x00ff
#define MSG_CLIENT_HELLO 1
#define CONTENT_HANDSHAKE 22

/* What a TLS 1.2 client that wants every server to answer offers: SHA-1
 * and DSA included, since a probe verifies nothing and must not make an
 * old server refuse a suite for want of a signature algorithm. */
static const uint16_t sigalgs_tls12[] = {
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806,
	0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301,
	0x0402, 0x0203, 0x0201, 0x0202,
};

/* TLS 1.3 (RFC 8446 4.2.3): the PKCS #1 and SHA-1 schemes stay for
 * certificates only, as browsers send them. */
static const uint16_t sigalgs_tls13[] = {
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806,
	0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201,
};

/* ---- the ClientHello ------------------------------------------------------ */

static void push_u16_list(pl_buf_t *b, const uint16_t *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pl_push_u16(b, list[i]);
}

static bool has_suite(const pl_probe_offer_t *offer, uint16_t suite)
{
	for (size_t i = 0; i < offer->n_suites; i++)
		if (offer->suites[i] == suite)
			return true;
	return false;
}

/* RFC 6066 3: one host_name. */
static void push_server_name(pl_buf_t *b, const char *sni)
{
	pl_push_u16(b, EXT_SERVER_NAME);
	pl_push_open(b, 2);
	pl_push_open(b, 2);
	pl_push_u8(b, 0); /* host_name */
	pl_push_open(b, 2);
	pl_push_bytes(b, sni, strlen(sni));
	pl_push_close(b);
	pl_push_close(b);
	pl_push_close(b);
}

/* RFC 6066 8: ocsp, no responder ids, no request extensions. */
static void push_status_request(pl_buf_t *b)
{
	pl_push_u16(b, EXT_STATUS_REQUEST);
	pl_push_open(b, 2);
	pl_push_u8(b, 1);
	pl_push_u16(b, 0);
	pl_push_u16(b, 0);
	pl_push_close(b);
}

static void push_u16_extension(pl_buf_t *b, uint16_t type,
			       const uint16_t *list, size_t n)
{
	pl_push_u16(b, type);
	pl_push_open(b, 2);
	pl_push_open(b, 2);
	push_u16_list(b, list, n);
	pl_push_close(b);
	pl_push_close(b);
}

static void push_empty_extension(pl_buf_t *b, uint16_t type)
{
	pl_push_u16(b, type);
	pl_push_u16(b, 0);
}

/* RFC 8446 4.2.8: one KeyShareEntry per group, with a fresh public key. */
static int push_key_shares(pl_buf_t *b, const pl_probe_offer_t *offer,
			   char *err, size_t err_len)
{
	pl_push_u16(b, EXT_KEY_SHARE);
	pl_push_open(b, 2);
	pl_push_open(b, 2);
	for (size_t i = 0; i < offer->n_key_shares; i++) {
		uint16_t group = offer->key_shares[i];
		uint8_t pub[PL_KEX_PUBLIC_MAX];
		size_t len = 0;
		pl_kex_t *kex = pl_kex_supported(group) ? pl_kex_new(group) : NULL;
		int rc = kex != NULL ? pl_kex_public(kex, pub, sizeof pub, &len)
				     : PL_ERR_UNSUPPORTED;
		pl_kex_free(kex);
		if (rc != PL_OK)
			return pl_client_fail(err, err_len, PL_ERR_ARG,
				"no key share can be made for group %s "
				"(padlock makes x25519, x448, secp256r1, "
				"secp384r1, secp521r1, ffdhe2048-4096)",
				pl_tls_group_name(group));
		pl_push_u16(b, group);
		pl_push_open(b, 2);
		pl_push_bytes(b, pub, len);
		pl_push_close(b);
	}
	pl_push_close(b);
	pl_push_close(b);
	return PL_OK;
}

/* The extensions of a TLS 1.0-1.2 hello, as browsers and OpenSSL send
 * them: the probe should look like a client a server is tuned for. */
static void push_legacy_extensions(pl_buf_t *b, const pl_probe_offer_t *offer)
{
	static const uint8_t uncompressed[] = { 1, 0 };

	if (offer->sni != NULL)
		push_server_name(b, offer->sni);
	if (offer->status_request)
		push_status_request(b);
	if (offer->n_groups > 0) {
		push_u16_extension(b, EXT_SUPPORTED_GROUPS, offer->groups,
				   offer->n_groups);
		/* RFC 8422 5.1.2: uncompressed points only */
		pl_push_u16(b, EXT_EC_POINT_FORMATS);
		pl_push_open(b, 2);
		pl_push_bytes(b, uncompressed, sizeof uncompressed);
		pl_push_close(b);
	}
	if (offer->version == 0x0303)
		push_u16_extension(b, EXT_SIGNATURE_ALGORITHMS, sigalgs_tls12,
				   sizeof sigalgs_tls12 / sizeof sigalgs_tls12[0]);
	push_empty_extension(b, EXT_EXTENDED_MASTER_SECRET);
	/* RFC 5746 3.4: an empty renegotiated_connection */
	pl_push_u16(b, EXT_RENEGOTIATION_INFO);
	pl_push_open(b, 2);
	pl_push_u8(b, 0);
	pl_push_close(b);
}

static int push_tls13_extensions(pl_buf_t *b, const pl_probe_offer_t *offer,
				 char *err, size_t err_len)
{
	static const uint8_t versions[] = { 2, 0x03, 0x04 };

	if (offer->sni != NULL)
		push_server_name(b, offer->sni);
	if (offer->status_request)
		push_status_request(b);
	if (offer->n_groups > 0)
		push_u16_extension(b, EXT_SUPPORTED_GROUPS, offer->groups,
				   offer->n_groups);
	push_u16_extension(b, EXT_SIGNATURE_ALGORITHMS, sigalgs_tls13,
			   sizeof sigalgs_tls13 / sizeof sigalgs_tls13[0]);
	pl_push_u16(b, EXT_SUPPORTED_VERSIONS);
	pl_push_open(b, 2);
	pl_push_bytes(b, versions, sizeof versions);
	pl_push_close(b);
	return push_key_shares(b, offer, err, err_len);
}

/* RFC 7685: some middleboxes hang on hellos of 256 to 511 bytes; clients
 * pad them to 512, and so does a probe, or it would report a timeout that
 * a browser never sees. */
static void push_padding(pl_buf_t *ext, size_t hello_len)
{
	size_t total = 4 + hello_len + 2 + pl_buf_size(ext);
	uint8_t zeros[256] = { 0 };

	if (total < 256 || total >= 512)
		return;
	size_t pad = 512 - total >= 4 ? 512 - total - 4 : 0;
	pl_push_u16(ext, EXT_PADDING);
	pl_push_open(ext, 2);
	pl_push_bytes(ext, zeros, pad);
	pl_push_close(ext);
}

/* version, random, session_id, suites, compression (RFC 5246 7.4.1.2,
 * RFC 8446 4.1.2). */
static int push_hello_prefix(pl_buf_t *b, const pl_probe_offer_t *offer)
{
	uint8_t random[32], session_id[32];
	bool tls13 = offer->version == 0x0304;

	if (pl_random(random, sizeof random) != PL_OK ||
	    (tls13 && pl_random(session_id, sizeof session_id) != PL_OK))
		return PL_ERR_CRYPTO;
	/* RFC 8446 4.1.2: legacy_version 0x0303 for TLS 1.3 */
	pl_push_u16(b, tls13 ? 0x0303 : offer->version);
	pl_push_bytes(b, random, sizeof random);
	/* RFC 8446 D.4: a non-empty session id for middlebox compatibility */
	pl_push_open(b, 1);
	if (tls13)
		pl_push_bytes(b, session_id, sizeof session_id);
	pl_push_close(b);
	pl_push_open(b, 2);
	push_u16_list(b, offer->suites, offer->n_suites);
	/* RFC 5746 3.3: SSL 3.0 carries no extensions, so the signal */
	if (offer->version == 0x0300 &&
	    !has_suite(offer, SCSV_EMPTY_RENEGOTIATION_INFO))
		pl_push_u16(b, SCSV_EMPTY_RENEGOTIATION_INFO);
	pl_push_close(b);
	pl_push_u8(b, 1);
	pl_push_u8(b, 0); /* null compression only */
	return PL_OK;
}

/* Splits the handshake message into plaintext records of at most 2^14
 * bytes (RFC 5246 6.2.1). RFC 8446 5.1: a TLS 1.3 hello's record says
 * 0x0301; older hellos carry the version offered. */
static void push_records(pl_buf_t *out, uint16_t record_version,
			 const pl_buf_t *message)
{
	const uint8_t *p = pl_buf_head(message);
	size_t left = pl_buf_size(message);

	while (left > 0) {
		size_t n = left < PL_PROBE_RECORD_MAX ? left : PL_PROBE_RECORD_MAX;
		pl_push_u8(out, CONTENT_HANDSHAKE);
		pl_push_u16(out, record_version);
		pl_push_open(out, 2);
		pl_push_bytes(out, p, n);
		pl_push_close(out);
		p += n;
		left -= n;
	}
}

static int check_offer(const pl_probe_offer_t *offer, char *err,
		       size_t err_len)
{
	if (offer->version < 0x0300 || offer->version > 0x0304)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"a probe offers SSL 3.0 to TLS 1.3, not version 0x%04x",
			offer->version);
	if (offer->n_suites == 0 || offer->suites == NULL)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"a probe offers at least one cipher suite");
	if ((offer->n_groups > 0 && offer->groups == NULL) ||
	    (offer->n_key_shares > 0 && offer->key_shares == NULL))
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"probe offer: a list has a count but no entries");
	if (offer->sni != NULL &&
	    (offer->sni[0] == '\0' || strlen(offer->sni) > 255))
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"probe offer: the server name is empty or longer than "
			"255 bytes");
	return PL_OK;
}

int pl_probe_write_hello(const pl_probe_offer_t *offer, pl_buf_t *out,
			 char *err, size_t err_len)
{
	pl_buf_t hello = PL_BUF_INIT, ext = PL_BUF_INIT, message = PL_BUF_INIT;
	int rc = check_offer(offer, err, err_len);

	if (rc != PL_OK)
		return rc;
	rc = push_hello_prefix(&hello, offer);
	if (rc != PL_OK) {
		rc = pl_client_fail(err, err_len, rc, "no random bytes for the "
				    "ClientHello");
		goto out;
	}
	if (offer->version == 0x0304)
		rc = push_tls13_extensions(&ext, offer, err, err_len);
	else if (offer->version > 0x0300)
		push_legacy_extensions(&ext, offer);
	if (rc != PL_OK)
		goto out;
	if (offer->version > 0x0300)
		push_padding(&ext, pl_buf_size(&hello));
	pl_push_u8(&message, MSG_CLIENT_HELLO);
	pl_push_open(&message, 3);
	pl_push_bytes(&message, pl_buf_head(&hello), pl_buf_size(&hello));
	if (offer->version > 0x0300) {
		pl_push_open(&message, 2);
		pl_push_bytes(&message, pl_buf_head(&ext), pl_buf_size(&ext));
		pl_push_close(&message);
	}
	pl_push_close(&message);
	push_records(out, offer->version == 0x0304 ? 0x0301 : offer->version,
		     &message);
	rc = pl_buf_error(&hello) ? pl_buf_error(&hello)
	     : pl_buf_error(&ext) ? pl_buf_error(&ext)
	     : pl_buf_error(&message) ? pl_buf_error(&message)
				      : pl_buf_error(out);
	if (rc == PL_ERR_ARG)
		pl_client_fail(err, err_len, rc, "the ClientHello is too large "
			       "for its length fields (too many suites or "
			       "groups)");
	else if (rc != PL_OK)
		pl_client_fail(err, err_len, rc, "out of memory writing the "
			       "ClientHello");
out:
	pl_buf_free(&hello);
	pl_buf_free(&ext);
	pl_buf_free(&message);
	return rc;
}

/* ---- the socket ----------------------------------------------------------- */

static void say(pl_probe_result_t *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sets the result's one sentence, truncated to fit. */
static void say(pl_probe_result_t *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof out->detail, fmt, ap);
	va_end(ap);
}

static bool is_numeric_address(const char *ip)
{
	struct addrinfo hints, *list = NULL;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(ip, NULL, &hints, &list) != 0)
		return false;
	freeaddrinfo(list);
	return true;
}

/* Waits for events on fd until deadline. Returns 1 when ready, 0 at the
 * deadline, -1 on a poll error (errno set). */
static int wait_for(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		long long left = deadline - pl_client_now_ms();
		if (left <= 0)
			return 0;
		int rc = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (rc > 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* Sends the hello. Returns 0, or how the connection ended. */
static int send_hello(int fd, const pl_buf_t *hello, long long deadline,
		      pl_probe_end_t *how)
{
	const uint8_t *p = pl_buf_head(hello);
	size_t left = pl_buf_size(hello);

	while (left > 0) {
		ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			left -= (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int ready = wait_for(fd, POLLOUT, deadline);
			if (ready > 0)
				continue;
			*how = ready == 0 ? PL_PROBE_END_TIMEOUT
					  : PL_PROBE_END_RESET;
			return -1;
		}
		*how = PL_PROBE_END_RESET;
		return -1;
	}
	return 0;
}

/* Feeds what arrives to the parser until it is done or the answer ends.
 * Returns PL_OK or PL_ERR_NOMEM. */
static int read_answer(int fd, pl_probe_parser_t *parser, long long deadline,
		       int timeout_ms)
{
	uint8_t buf[PL_PROBE_RECORD_MAX + 5];

	while (!pl_probe_parser_done(parser)) {
		int ready = wait_for(fd, POLLIN, deadline);
		if (ready == 0) {
			pl_probe_parser_end(parser, PL_PROBE_END_TIMEOUT,
					    timeout_ms);
			break;
		}
		ssize_t n = ready > 0 ? recv(fd, buf, sizeof buf, 0) : -1;
		if (n > 0) {
			int rc = pl_probe_parser_feed(parser, buf, (size_t)n);
			if (rc != PL_OK)
				return rc;
		} else if (n == 0) {
			pl_probe_parser_end(parser, PL_PROBE_END_EOF, timeout_ms);
		} else if (errno != EAGAIN && errno != EINTR) {
			pl_probe_parser_end(parser, PL_PROBE_END_RESET,
					    timeout_ms);
		}
	}
	return PL_OK;
}

static int exchange(int fd, const pl_probe_offer_t *offer, const pl_buf_t *hello,
		    int timeout_ms, pl_probe_result_t *out)
{
	pl_probe_parser_t parser;
	pl_probe_end_t how;
	int rc = PL_OK;

	pl_probe_parser_init(&parser, offer->version, offer->status_request,
			     out);
	/* The answer has timeout_ms from the moment the hello is sent. */
	long long deadline = pl_client_now_ms() + timeout_ms;
	if (send_hello(fd, hello, deadline, &how) != 0)
		pl_probe_parser_end(&parser, how, timeout_ms);
	else
		rc = read_answer(fd, &parser, deadline, timeout_ms);
	pl_probe_parser_free(&parser);
	return rc;
}

int pl_probe_hello(const char *ip, uint16_t port, const pl_probe_offer_t *offer,
		   int timeout_ms, pl_probe_result_t *out)
{
	pl_buf_t hello = PL_BUF_INIT;
	char err[PL_CLIENT_ERR_MAX];
	int fd = -1, rc;

	if (out == NULL)
		return PL_ERR_ARG;
	memset(out, 0, sizeof *out);
	out->alert = -1;
	if (ip == NULL || offer == NULL || timeout_ms <= 0 ||
	    !is_numeric_address(ip)) {
		say(out, "probe: a numeric IP address, an offer and a timeout "
		    "are needed");
		return PL_ERR_ARG;
	}
	rc = pl_probe_write_hello(offer, &hello, err, sizeof err);
	if (rc != PL_OK) {
		say(out, "probe: %s", err);
		goto out;
	}
	pl_client_connect_opts_t opts = { .timeout_ms = timeout_ms };
	if (pl_client_connect(ip, port, &opts, &fd, NULL, 0, err,
			      sizeof err) != PL_OK) {
		out->outcome = PL_PROBE_CONNECT_FAILED;
		say(out, "%s", err);
		goto out;
	}
	rc = exchange(fd, offer, &hello, timeout_ms, out);
out:
	if (fd >= 0)
		close(fd);
	pl_buf_free(&hello);
	if (rc == PL_ERR_NOMEM) {
		pl_probe_result_free(out);
		out->alert = -1;
		say(out, "probe: out of memory");
	}
	return rc;
}

void pl_probe_result_free(pl_probe_result_t *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; r->certs != NULL && i < r->n_certs; i++)
		free(r->certs[i]);
	free(r->certs);
	free(r->cert_lens);
	free(r->ocsp);
	memset(r, 0, sizeof *r);
}

const char *pl_probe_outcome_name(pl_probe_outcome_t o)
{
	switch (o) {
	case PL_PROBE_ACCEPTED: return "accepted";
	case PL_PROBE_ALERT: return "alert";
	case PL_PROBE_CLOSED: return "closed";
	case PL_PROBE_TIMEOUT: return "timeout";
	case PL_PROBE_MALFORMED: return "malformed";
	case PL_PROBE_CONNECT_FAILED: return "connect failed";
	}
	return "unknown";
}
