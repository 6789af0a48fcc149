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
#include "tls/msg/msg.h"

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

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the ClientHello ------------------------------------------------------
 * Written by the engine's ClientHello codec (tls/msg/), which writes any
 * version's hello: a probe only chooses the fields and the order of the
 * extensions, as real clients of that version send them. */

/* What the hello's fields point at while it is written. */
typedef struct {
	uint8_t session_id[32];
	uint16_t *suites;            /* the offer's, plus an SCSV for SSL 3.0 */
	pl_msg_share_t *shares;
	uint8_t (*keys)[PL_KEX_PUBLIC_MAX];
} hello_store_t;

static void store_free(hello_store_t *st)
{
	free(st->suites);
	free(st->shares);
	free(st->keys);
}

static bool has_suite(const pl_probe_offer_t *offer, uint16_t suite)
{
	for (size_t i = 0; i < offer->n_suites; i++)
		if (offer->suites[i] == suite)
			return true;
	return false;
}

/* RFC 8446 4.2.8: one KeyShareEntry per group, with a fresh public key
 * whose private half is dropped at once. */
static int make_key_shares(const pl_probe_offer_t *offer, hello_store_t *st,
			   char *err, size_t err_len)
{
	size_t n = offer->n_key_shares;
	st->shares = calloc(n ? n : 1, sizeof(*st->shares));
	st->keys = calloc(n ? n : 1, sizeof(*st->keys));
	if (st->shares == NULL || st->keys == NULL)
		return pl_client_fail(err, err_len, PL_ERR_NOMEM,
				      "out of memory writing the ClientHello");
	for (size_t i = 0; i < n; i++) {
		uint16_t group = offer->key_shares[i];
		size_t len = 0;
		pl_kex_t *kex = pl_kex_supported(group) ? pl_kex_new(group) : NULL;
		int rc = kex != NULL ? pl_kex_public(kex, st->keys[i],
						     PL_KEX_PUBLIC_MAX, &len)
				     : PL_ERR_UNSUPPORTED;
		pl_kex_free(kex);
		if (rc != PL_OK)
			return pl_client_fail(err, err_len, PL_ERR_ARG,
				"no key share can be made for group %s "
				"(padlock makes x25519, x448, secp256r1, "
				"secp384r1, secp521r1, ffdhe2048-4096)",
				pl_tls_group_name(group));
		st->shares[i] = (pl_msg_share_t){group, st->keys[i], len};
	}
	return PL_OK;
}

/* The extensions of a TLS 1.0-1.2 hello, as browsers and OpenSSL send
 * them: the probe should look like a client a server is tuned for. */
static void legacy_extensions(const pl_probe_offer_t *offer, pl_tls_exts_t *e)
{
	static const uint8_t uncompressed[] = {0};
	if (offer->sni != NULL)
		pl_exts_add(e, PL_EXT_SERVER_NAME);
	if (offer->status_request)
		pl_exts_add(e, PL_EXT_STATUS_REQUEST);
	if (offer->n_groups > 0) {
		e->groups = pl_u16_list(offer->groups, offer->n_groups);
		pl_exts_add(e, PL_EXT_SUPPORTED_GROUPS);
		/* RFC 8422 5.1.2: uncompressed points only */
		pl_reader_init(&e->point_formats, uncompressed, 1);
		pl_exts_add(e, PL_EXT_EC_POINT_FORMATS);
	}
	if (offer->version == PL_TLS_VERSION_12) {
		e->schemes = pl_u16_list(sigalgs_tls12, N(sigalgs_tls12));
		pl_exts_add(e, PL_EXT_SIGNATURE_ALGORITHMS);
	}
	pl_exts_add(e, PL_EXT_EXTENDED_MASTER_SECRET);
	/* RFC 5077 3.2: empty, asking for a ticket without holding one */
	pl_exts_add(e, PL_EXT_SESSION_TICKET);
	/* RFC 5746 3.4: an empty renegotiated_connection */
	pl_exts_add(e, PL_EXT_RENEGOTIATION_INFO);
}

static void tls13_extensions(const pl_probe_offer_t *offer,
			     const hello_store_t *st, pl_tls_exts_t *e)
{
	static const uint16_t versions[] = {PL_TLS_VERSION_13};
	if (offer->sni != NULL)
		pl_exts_add(e, PL_EXT_SERVER_NAME);
	if (offer->status_request)
		pl_exts_add(e, PL_EXT_STATUS_REQUEST);
	if (offer->n_groups > 0) {
		e->groups = pl_u16_list(offer->groups, offer->n_groups);
		pl_exts_add(e, PL_EXT_SUPPORTED_GROUPS);
	}
	e->schemes = pl_u16_list(sigalgs_tls13, N(sigalgs_tls13));
	pl_exts_add(e, PL_EXT_SIGNATURE_ALGORITHMS);
	e->versions = pl_u16_list(versions, 1);
	pl_exts_add(e, PL_EXT_SUPPORTED_VERSIONS);
	e->share_v = st->shares;
	e->n_share_v = offer->n_key_shares;
	pl_exts_add(e, PL_EXT_KEY_SHARE);
}

/* version, random, session_id, suites, compression (RFC 5246 7.4.1.2,
 * RFC 8446 4.1.2), then the extensions. */
static int build_hello(const pl_probe_offer_t *offer, hello_store_t *st,
		       pl_msg_client_hello_t *ch, char *err, size_t err_len)
{
	bool tls13 = offer->version == PL_TLS_VERSION_13;
	size_t n = offer->n_suites;
	int rc;

	memset(ch, 0, sizeof(*ch));
	if (pl_random(ch->random, sizeof ch->random) != PL_OK ||
	    (tls13 && pl_random(st->session_id, sizeof st->session_id) != PL_OK))
		return pl_client_fail(err, err_len, PL_ERR_CRYPTO,
				      "no random bytes for the ClientHello");
	/* RFC 8446 4.1.2: legacy_version 0x0303 for TLS 1.3 */
	ch->legacy_version = tls13 ? PL_TLS_VERSION_12 : offer->version;
	/* RFC 8446 D.4: a non-empty session id for middlebox compatibility */
	if (!tls13 && offer->session_id_len > 0)
		memcpy(st->session_id, offer->session_id, offer->session_id_len);
	pl_reader_init(&ch->session_id, st->session_id,
		       tls13 ? 32 : offer->session_id_len);
	st->suites = malloc((n + 1) * sizeof(*st->suites));
	if (st->suites == NULL)
		return pl_client_fail(err, err_len, PL_ERR_NOMEM,
				      "out of memory writing the ClientHello");
	memcpy(st->suites, offer->suites, n * sizeof(*st->suites));
	/* RFC 5746 3.3: SSL 3.0 carries no extensions, so the signal */
	if (offer->version == PL_TLS_VERSION_SSL30 &&
	    !has_suite(offer, PL_TLS_EMPTY_RENEGOTIATION_INFO_SCSV))
		st->suites[n++] = PL_TLS_EMPTY_RENEGOTIATION_INFO_SCSV;
	ch->suites = pl_u16_list(st->suites, n);
	ch->has_extensions = offer->version > PL_TLS_VERSION_SSL30;
	if (offer->sni != NULL)
		pl_reader_init(&ch->ext.server_name, (const uint8_t *)offer->sni,
			       strlen(offer->sni));
	if (tls13) {
		if ((rc = make_key_shares(offer, st, err, err_len)) != PL_OK)
			return rc;
		tls13_extensions(offer, st, &ch->ext);
	} else if (ch->has_extensions) {
		legacy_extensions(offer, &ch->ext);
	}
	return PL_OK;
}

/* The handshake message, header included. */
static void write_message(pl_msg_client_hello_t *ch, pl_buf_t *message)
{
	pl_buf_reset(message);
	pl_push_u8(message, PL_HS_CLIENT_HELLO);
	pl_push_open(message, 3);
	pl_msg_client_hello_write(message, ch);
	pl_push_close(message);
}

/* RFC 7685: some middleboxes hang on hellos of 256 to 511 bytes; clients
 * pad them to 512, and so does a probe, or it would report a timeout that
 * a browser never sees. */
static void pad(pl_msg_client_hello_t *ch, pl_buf_t *message)
{
	size_t total = pl_buf_size(message);

	if (!ch->has_extensions || total < 256 || total >= 512)
		return;
	ch->ext.padding = 512 - total >= 4 ? 512 - total - 4 : 0;
	pl_exts_add(&ch->ext, PL_EXT_PADDING);
	write_message(ch, message);
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
		pl_push_u8(out, PL_CT_HANDSHAKE);
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
	if (offer->version < PL_TLS_VERSION_SSL30 ||
	    offer->version > PL_TLS_VERSION_13)
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
	/* RFC 5246 7.4.1.2: SessionID is at most 32 bytes */
	if (offer->session_id_len > 32 ||
	    (offer->session_id_len > 0 && offer->session_id == NULL))
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"probe offer: a session ID has at most 32 bytes");
	return PL_OK;
}

int pl_probe_write_hello(const pl_probe_offer_t *offer, pl_buf_t *out,
			 char *err, size_t err_len)
{
	pl_buf_t message = PL_BUF_INIT;
	hello_store_t st;
	pl_msg_client_hello_t ch;
	int rc = check_offer(offer, err, err_len);

	if (rc != PL_OK)
		return rc;
	memset(&st, 0, sizeof st);
	rc = build_hello(offer, &st, &ch, err, err_len);
	if (rc != PL_OK)
		goto out;
	write_message(&ch, &message);
	pad(&ch, &message);
	push_records(out, offer->version == PL_TLS_VERSION_13
				  ? PL_TLS_VERSION_10
				  : offer->version,
		     &message);
	rc = pl_buf_error(&message) ? pl_buf_error(&message) : pl_buf_error(out);
	if (rc == PL_ERR_ARG)
		pl_client_fail(err, err_len, rc, "the ClientHello is too large "
			       "for its length fields (too many suites or "
			       "groups)");
	else if (rc != PL_OK)
		pl_client_fail(err, err_len, rc, "out of memory writing the "
			       "ClientHello");
out:
	store_free(&st);
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
	parser.offered_id = offer->session_id;
	parser.offered_id_len = offer->session_id_len;
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
