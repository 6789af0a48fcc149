/*
 * Hostile input: malformed and out-of-order messages and records, each
 * answered with the alert RFC 8446 names and a clean failure. A clean
 * failure means: pl_tls_failed() is true, pl_tls_alert() is the expected
 * alert (sent, not received), the reason is set, every later call is
 * refused with PL_ERR_TLS, and the alert is the last thing queued: for
 * plaintext phases the output ends with 15 03 03 00 02 02 XX; for
 * protected phases the output is given to the peer, which must read the
 * same alert out of it.
 *
 * Malformed hellos are written with the engine's own writer (tls/buf.h)
 * from a description a test can break. Tampering inside protection uses
 * the traffic secrets of the key-log callback to open and re-seal records.
 *
 * Where RFC 8446 names no alert for a case, the test says so and accepts
 * the engine's choice.
 */
#include "engine_pair.h"

/* RFC 8446 4.1.3: ServerHello.random of a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

static pl_tls_config_t *server_cfg; /* P-256 chain, defaults */
/* The same, TLS 1.3 only (--tls-versions 1.3): what a TLS 1.2 hello
 * meets there. */
static pl_tls_config_t *server13_cfg;
static uint8_t x25519_public[32];   /* a valid x25519 key share */
static uint8_t p256_public[65];     /* a valid secp256r1 key share */

/* ---- extension lists ----------------------------------------------------- */

#define MAX_EXTS 16

typedef struct {
	uint16_t type[MAX_EXTS];
	pl_buf_t body[MAX_EXTS];
	size_t n;
} exts_t;

/* A new extension of type at position at (n for the end); returns its
 * body for the caller to write. */
static pl_buf_t *exts_insert(exts_t *e, size_t at, uint16_t type)
{
	if (e->n == MAX_EXTS || at > e->n)
		abort();
	memmove(&e->type[at + 1], &e->type[at],
		(e->n - at) * sizeof(e->type[0]));
	memmove(&e->body[at + 1], &e->body[at],
		(e->n - at) * sizeof(e->body[0]));
	e->type[at] = type;
	memset(&e->body[at], 0, sizeof(e->body[at]));
	e->n++;
	return &e->body[at];
}

static pl_buf_t *exts_add(exts_t *e, uint16_t type)
{
	return exts_insert(e, e->n, type);
}

/* Removes every extension of type. */
static void exts_remove(exts_t *e, uint16_t type)
{
	for (size_t i = 0; i < e->n;)
		if (e->type[i] == type) {
			pl_buf_free(&e->body[i]);
			memmove(&e->type[i], &e->type[i + 1],
				(e->n - i - 1) * sizeof(e->type[0]));
			memmove(&e->body[i], &e->body[i + 1],
				(e->n - i - 1) * sizeof(e->body[0]));
			e->n--;
		} else {
			i++;
		}
}

/* Replaces the body of type (added when absent) with an empty one. */
static pl_buf_t *exts_replace(exts_t *e, uint16_t type)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->type[i] == type) {
			pl_buf_free(&e->body[i]);
			return &e->body[i];
		}
	return exts_add(e, type);
}

/* The extensions block: its length is the true one plus delta, so a test
 * can make it lie. */
static void exts_write(const exts_t *e, int delta, pl_buf_t *b)
{
	size_t total = 0;
	for (size_t i = 0; i < e->n; i++)
		total += 4 + pl_buf_size(&e->body[i]);
	pl_push_u16(b, (uint16_t)((int)total + delta));
	for (size_t i = 0; i < e->n; i++) {
		pl_push_u16(b, e->type[i]);
		pl_push_u16(b, (uint16_t)pl_buf_size(&e->body[i]));
		pl_push_bytes(b, pl_buf_head(&e->body[i]),
			      pl_buf_size(&e->body[i]));
	}
}

static void exts_free(exts_t *e)
{
	for (size_t i = 0; i < e->n; i++)
		pl_buf_free(&e->body[i]);
	e->n = 0;
}

/* A list of uint16 in a block with a width-byte length. */
static void push_u16s(pl_buf_t *b, int width, const uint16_t *v, size_t n)
{
	pl_push_open(b, width);
	for (size_t i = 0; i < n; i++)
		pl_push_u16(b, v[i]);
	pl_push_close(b);
}

static void push_share(pl_buf_t *b, uint16_t group, const uint8_t *key,
		       size_t len)
{
	pl_push_u16(b, group);
	pl_push_open(b, 2);
	pl_push_bytes(b, key, len);
	pl_push_close(b);
}

/* ---- a ClientHello a test can break -------------------------------------- */

typedef struct {
	uint16_t legacy_version;
	uint8_t random[32];
	uint8_t session_id[32];
	size_t session_id_len;
	uint8_t suites[16]; /* the cipher_suites vector's bytes */
	size_t suites_len;
	uint8_t compression[4];
	size_t compression_len;
	exts_t exts;
	int exts_delta;     /* added to the extensions block's length */
	size_t trailing;    /* zero bytes after the extensions block */
	size_t truncate_to; /* when not 0: the body is cut to this length */
} client_hello_t;

/* A ClientHello padlock's server accepts: TLS 1.3, all three suites, an
 * x25519 share, secp256r1 and x25519 supported. */
static void client_hello_default(client_hello_t *h)
{
	static const uint16_t versions[] = {PL_TLS_VERSION_13};
	static const uint16_t groups[] = {PL_GROUP_X25519, PL_GROUP_SECP256R1};
	static const uint16_t schemes[] = {PL_SIG_ECDSA_SECP256R1_SHA256,
					   PL_SIG_RSA_PSS_RSAE_SHA256,
					   PL_SIG_ED25519};
	static const uint8_t suites[] = {0x13, 0x01, 0x13, 0x02, 0x13, 0x03};
	pl_buf_t *b;

	memset(h, 0, sizeof(*h));
	h->legacy_version = 0x0303;
	if (pl_random(h->random, 32) || pl_random(h->session_id, 32))
		abort();
	h->session_id_len = 32;
	memcpy(h->suites, suites, sizeof(suites));
	h->suites_len = sizeof(suites);
	h->compression_len = 1;
	push_u16s(exts_add(&h->exts, PL_EXT_SUPPORTED_VERSIONS), 1, versions,
		  1);
	push_u16s(exts_add(&h->exts, PL_EXT_SUPPORTED_GROUPS), 2, groups, 2);
	b = exts_add(&h->exts, PL_EXT_KEY_SHARE);
	pl_push_open(b, 2);
	push_share(b, PL_GROUP_X25519, x25519_public, sizeof(x25519_public));
	pl_push_close(b);
	push_u16s(exts_add(&h->exts, PL_EXT_SIGNATURE_ALGORITHMS), 2, schemes,
		  3);
}

/* Replaces the key_share extension with one share. */
static void client_hello_share(client_hello_t *h, uint16_t group,
			       const uint8_t *key, size_t len)
{
	pl_buf_t *b = exts_replace(&h->exts, PL_EXT_KEY_SHARE);
	pl_push_open(b, 2);
	push_share(b, group, key, len);
	pl_push_close(b);
}

/* The handshake message (header included), appended to msg. */
static void client_hello_write(const client_hello_t *h, pl_buf_t *msg)
{
	size_t start = pl_buf_size(msg);
	pl_push_u8(msg, PL_HS_CLIENT_HELLO);
	pl_push_open(msg, 3);
	pl_push_u16(msg, h->legacy_version);
	pl_push_bytes(msg, h->random, 32);
	pl_push_u8(msg, (uint8_t)h->session_id_len);
	pl_push_bytes(msg, h->session_id, h->session_id_len);
	pl_push_u16(msg, (uint16_t)h->suites_len);
	pl_push_bytes(msg, h->suites, h->suites_len);
	pl_push_u8(msg, (uint8_t)h->compression_len);
	pl_push_bytes(msg, h->compression, h->compression_len);
	exts_write(&h->exts, h->exts_delta, msg);
	for (size_t i = 0; i < h->trailing; i++)
		pl_push_u8(msg, 0);
	pl_push_close(msg);
	if (h->truncate_to) {
		/* Cut the body and make the header agree with the cut. */
		uint8_t *m = msg->data + msg->start + start;
		msg->len = msg->start + start + 4 + h->truncate_to;
		m[1] = (uint8_t)(h->truncate_to >> 16);
		m[2] = (uint8_t)(h->truncate_to >> 8);
		m[3] = (uint8_t)h->truncate_to;
	}
	if (pl_buf_error(msg))
		abort();
}

/* Puts data into plaintext records of type (at most frag bytes each). */
static void plain_records(uint8_t type, const uint8_t *data, size_t len,
			  size_t frag, pl_buf_t *out)
{
	do {
		size_t n = len < frag ? len : frag;
		pl_push_u8(out, type);
		pl_push_u16(out, 0x0303);
		pl_push_u16(out, (uint16_t)n);
		pl_push_bytes(out, data, n);
		data += n;
		len -= n;
	} while (len > 0);
	if (pl_buf_error(out))
		abort();
}

/* The ClientHello h as records. */
static void client_hello_records(const client_hello_t *h, pl_buf_t *out)
{
	pl_buf_t msg = PL_BUF_INIT;
	client_hello_write(h, &msg);
	plain_records(PL_CT_HANDSHAKE, pl_buf_head(&msg), pl_buf_size(&msg),
		      PL_TLS_MAX_PLAINTEXT, out);
	pl_buf_free(&msg);
}

/* ---- what a clean failure looks like ------------------------------------- */

/* The checks every failure shares; plaintext adds the check of the last
 * record queued. */
static void expect_alert(pl_tls_conn_t *c, int alert, bool plaintext)
{
	const uint8_t want[7] = {PL_CT_ALERT, 3, 3, 0, 2, 2, (uint8_t)alert};
	uint8_t byte = 0;
	const uint8_t *out;
	size_t n;

	CHECK(pl_tls_failed(c));
	CHECK_MSG(pl_tls_alert(c) == alert, "alert %s, expected %s (%s)",
		  pl_tls_alert_name(pl_tls_alert(c)), pl_tls_alert_name(alert),
		  pl_tls_reason(c));
	CHECK(!pl_tls_alert_received(c));
	CHECK(pl_tls_reason(c)[0] != 0);
	CHECK(pl_tls_feed(c, &byte, 1) == PL_ERR_TLS);
	CHECK(pl_tls_write(c, &byte, 1) == PL_ERR_TLS);
	CHECK(pl_tls_read(c, &byte, 1, &n) == PL_ERR_TLS);
	CHECK(pl_tls_key_update(c, false) == PL_ERR_TLS);
	out = pl_tls_output(c, &n);
	if (plaintext)
		CHECK_MSG(n >= 7 && memcmp(out + n - 7, want, 7) == 0,
			  "the output does not end with a plaintext %s alert",
			  pl_tls_alert_name(alert));
	else
		CHECK(n > 0);
	printf("     %s: %s\n", pl_tls_alert_name(pl_tls_alert(c)),
	       pl_tls_reason(c));
}

/* A protected-phase failure: the alert must also come out of the bytes
 * the failed side queued, as its peer reads them. */
static void expect_alert_reaches(pl_tls_conn_t *c, pl_tls_conn_t *peer,
				 int alert)
{
	expect_alert(c, alert, false);
	ep_move(c, peer);
	CHECK(pl_tls_failed(peer));
	CHECK(pl_tls_alert_received(peer));
	CHECK_MSG(pl_tls_alert(peer) == alert, "the peer read %s",
		  pl_tls_alert_name(pl_tls_alert(peer)));
}

/* A fresh server fed bytes. */
static pl_tls_conn_t *server_fed(const pl_tls_config_t *cfg,
				 const uint8_t *data, size_t len)
{
	pl_tls_conn_t *s = pl_tls_conn_new(cfg ? cfg : server_cfg, NULL);
	if (s == NULL)
		abort();
	(void)pl_tls_feed(s, data, len);
	return s;
}

/* Feeds a fresh server of cfg (NULL: server_cfg) the ClientHello h;
 * expects alert in plaintext. */
static void server_cfg_refuses_hello(const pl_tls_config_t *cfg,
				     client_hello_t *h, int alert)
{
	pl_buf_t rec = PL_BUF_INIT;
	client_hello_records(h, &rec);
	pl_tls_conn_t *s = server_fed(cfg, pl_buf_head(&rec),
				      pl_buf_size(&rec));
	expect_alert(s, alert, true);
	pl_tls_conn_free(s);
	pl_buf_free(&rec);
	exts_free(&h->exts);
}

static void server_refuses_hello(client_hello_t *h, int alert)
{
	server_cfg_refuses_hello(NULL, h, alert);
}

/* Feeds a fresh server raw bytes; expects alert in plaintext. */
static void server_refuses_bytes(const uint8_t *data, size_t len, int alert)
{
	pl_tls_conn_t *s = server_fed(NULL, data, len);
	expect_alert(s, alert, true);
	pl_tls_conn_free(s);
}

/* ---- the server and a broken ClientHello --------------------------------- */

/* The baseline: the unbroken hello, split over small records, is taken. */
static void server_accepts_the_unbroken_hello(void)
{
	client_hello_t h;
	pl_buf_t msg = PL_BUF_INIT, rec = PL_BUF_INIT;
	size_t n;

	client_hello_default(&h);
	client_hello_write(&h, &msg);
	plain_records(PL_CT_HANDSHAKE, pl_buf_head(&msg), pl_buf_size(&msg),
		      37, &rec);
	pl_tls_conn_t *s = server_fed(NULL, pl_buf_head(&rec),
				      pl_buf_size(&rec));
	CHECK_MSG(!pl_tls_failed(s), "%s", pl_tls_reason(s));
	CHECK(pl_tls_output(s, &n) != NULL && n > 0);
	CHECK_EQ_INT(pl_tls_group(s), PL_GROUP_X25519);
	pl_tls_conn_free(s);
	pl_buf_free(&msg);
	pl_buf_free(&rec);
	exts_free(&h.exts);
}

/* RFC 8701: GREASE values in every list, and a GREASE extension, are
 * ignored; the handshake goes on. */
static void server_ignores_grease(void)
{
	static const uint16_t versions[] = {0x3a3a, PL_TLS_VERSION_13};
	static const uint16_t groups[] = {0x2a2a, PL_GROUP_X25519};
	static const uint16_t schemes[] = {0x4a4a,
					   PL_SIG_ECDSA_SECP256R1_SHA256};
	static const uint8_t suites[] = {0x0a, 0x0a, 0x13, 0x01};
	static const uint8_t grease_key = 0;
	client_hello_t h;
	pl_buf_t rec = PL_BUF_INIT;

	client_hello_default(&h);
	memcpy(h.suites, suites, sizeof(suites));
	h.suites_len = sizeof(suites);
	exts_insert(&h.exts, 0, 0x1a1a);
	push_u16s(exts_replace(&h.exts, PL_EXT_SUPPORTED_VERSIONS), 1,
		  versions, 2);
	push_u16s(exts_replace(&h.exts, PL_EXT_SUPPORTED_GROUPS), 2, groups,
		  2);
	push_u16s(exts_replace(&h.exts, PL_EXT_SIGNATURE_ALGORITHMS), 2,
		  schemes, 2);
	pl_buf_t *b = exts_replace(&h.exts, PL_EXT_KEY_SHARE);
	pl_push_open(b, 2);
	push_share(b, 0x2a2a, &grease_key, 1);
	push_share(b, PL_GROUP_X25519, x25519_public, 32);
	pl_push_close(b);
	pl_push_u16(exts_add(&h.exts, 0xfafa), 0);
	client_hello_records(&h, &rec);
	pl_tls_conn_t *s = server_fed(NULL, pl_buf_head(&rec),
				      pl_buf_size(&rec));
	CHECK_MSG(!pl_tls_failed(s), "%s", pl_tls_reason(s));
	CHECK_EQ_INT(pl_tls_suite(s), PL_TLS_AES_128_GCM_SHA256);
	CHECK_EQ_INT(pl_tls_group(s), PL_GROUP_X25519);
	CHECK(!pl_tls_did_hello_retry(s));
	pl_tls_conn_free(s);
	pl_buf_free(&rec);
	exts_free(&h.exts);
}

/* RFC 8446 4.2.8: an empty client_shares is allowed and asks for a
 * HelloRetryRequest. */
static void server_answers_empty_key_share_with_hello_retry(void)
{
	client_hello_t h;
	pl_buf_t rec = PL_BUF_INIT;

	client_hello_default(&h);
	pl_buf_t *b = exts_replace(&h.exts, PL_EXT_KEY_SHARE);
	pl_push_open(b, 2);
	pl_push_close(b);
	client_hello_records(&h, &rec);
	pl_tls_conn_t *s = server_fed(NULL, pl_buf_head(&rec),
				      pl_buf_size(&rec));
	CHECK_MSG(!pl_tls_failed(s), "%s", pl_tls_reason(s));
	CHECK(pl_tls_did_hello_retry(s));
	pl_tls_conn_free(s);
	pl_buf_free(&rec);
	exts_free(&h.exts);
}

/* RFC 8446 6: a message that cannot be parsed is decode_error. */
static void server_rejects_truncated_client_hello(void)
{
	client_hello_t h;
	client_hello_default(&h);
	h.truncate_to = 40; /* inside the session id */
	server_refuses_hello(&h, PL_ALERT_DECODE_ERROR);
}

/* RFC 8446 6: "a length extending beyond the message boundary". */
static void server_rejects_extensions_longer_than_the_hello(void)
{
	client_hello_t h;
	client_hello_default(&h);
	h.exts_delta = 10;
	server_refuses_hello(&h, PL_ALERT_DECODE_ERROR);
}

static void server_rejects_key_share_longer_than_its_extension(void)
{
	client_hello_t h;
	client_hello_default(&h);
	pl_buf_t *b = exts_replace(&h.exts, PL_EXT_KEY_SHARE);
	pl_push_u16(b, 36 + 10); /* client_shares: 10 bytes too many */
	push_share(b, PL_GROUP_X25519, x25519_public, 32);
	server_refuses_hello(&h, PL_ALERT_DECODE_ERROR);
}

static void server_rejects_session_id_over_32_bytes(void)
{
	client_hello_t h;
	client_hello_default(&h);
	h.session_id_len = 33; /* the length byte says 33; 32 follow */
	server_refuses_hello(&h, PL_ALERT_DECODE_ERROR);
}

/* RFC 8446 4.1.2: a valid extensions block "with no data following". */
static void server_rejects_trailing_bytes_after_extensions(void)
{
	client_hello_t h;
	client_hello_default(&h);
	h.trailing = 3;
	server_refuses_hello(&h, PL_ALERT_DECODE_ERROR);
}

/* RFC 8446 4.2 forbids two extensions of one type but names no alert;
 * the engine's illegal_parameter (a field inconsistent with another,
 * RFC 8446 6.2) is accepted. */
static void server_rejects_duplicate_extension(void)
{
	static const uint16_t groups[] = {PL_GROUP_X25519};
	client_hello_t h;
	client_hello_default(&h);
	push_u16s(exts_add(&h.exts, PL_EXT_SUPPORTED_GROUPS), 2, groups, 1);
	server_refuses_hello(&h, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 D.2: no supported_versions means TLS 1.2 or older, which a
 * TLS 1.3-only server refuses with protocol_version. */
static void server_rejects_missing_supported_versions(void)
{
	client_hello_t h;
	client_hello_default(&h);
	exts_remove(&h.exts, PL_EXT_SUPPORTED_VERSIONS);
	server_cfg_refuses_hello(server13_cfg, &h, PL_ALERT_PROTOCOL_VERSION);
}

/* RFC 8446 4.2.1 with 6.2: no version in common is protocol_version. */
static void server_rejects_supported_versions_without_tls13(void)
{
	static const uint16_t old[] = {0x0303, 0x0302};
	client_hello_t h;
	client_hello_default(&h);
	push_u16s(exts_replace(&h.exts, PL_EXT_SUPPORTED_VERSIONS), 1, old, 2);
	server_cfg_refuses_hello(server13_cfg, &h, PL_ALERT_PROTOCOL_VERSION);
}

/* RFC 8446 9.2: supported_groups without key_share is missing_extension. */
static void server_rejects_missing_key_share(void)
{
	client_hello_t h;
	client_hello_default(&h);
	exts_remove(&h.exts, PL_EXT_KEY_SHARE);
	server_refuses_hello(&h, PL_ALERT_MISSING_EXTENSION);
}

/* RFC 8446 4.2.3 and 9.2. */
static void server_rejects_missing_signature_algorithms(void)
{
	client_hello_t h;
	client_hello_default(&h);
	exts_remove(&h.exts, PL_EXT_SIGNATURE_ALGORITHMS);
	server_refuses_hello(&h, PL_ALERT_MISSING_EXTENSION);
}

/* RFC 8446 4.2.8: each share must be for a group in supported_groups;
 * servers MAY check and answer illegal_parameter. */
static void server_rejects_key_share_not_in_supported_groups(void)
{
	static const uint16_t groups[] = {PL_GROUP_SECP256R1};
	client_hello_t h;
	client_hello_default(&h);
	push_u16s(exts_replace(&h.exts, PL_EXT_SUPPORTED_GROUPS), 2, groups, 1);
	server_refuses_hello(&h, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.2.8: one share per group; illegal_parameter. */
static void server_rejects_duplicate_key_share_group(void)
{
	client_hello_t h;
	client_hello_default(&h);
	pl_buf_t *b = exts_replace(&h.exts, PL_EXT_KEY_SHARE);
	pl_push_open(b, 2);
	push_share(b, PL_GROUP_X25519, x25519_public, 32);
	push_share(b, PL_GROUP_X25519, x25519_public, 32);
	pl_push_close(b);
	server_refuses_hello(&h, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.1.2: legacy_version MUST be 0x0303; no alert is named, and
 * the engine's protocol_version (a version it does not accept) is. */
static void server_rejects_legacy_version_0301(void)
{
	client_hello_t h;
	client_hello_default(&h);
	h.legacy_version = 0x0301;
	server_refuses_hello(&h, PL_ALERT_PROTOCOL_VERSION);
}

/* RFC 8446 4.1.2: any compression but null is illegal_parameter. */
static void server_rejects_compression(void)
{
	client_hello_t h;
	client_hello_default(&h);
	h.compression[0] = 1;
	server_refuses_hello(&h, PL_ALERT_ILLEGAL_PARAMETER);
}

static void server_rejects_compression_list_with_null_and_more(void)
{
	client_hello_t h;
	client_hello_default(&h);
	h.compression[1] = 1;
	h.compression_len = 2;
	server_refuses_hello(&h, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.1.1: nothing to negotiate is handshake_failure. */
static void server_rejects_only_unknown_suites(void)
{
	static const uint8_t unknown[] = {0x13, 0x99, 0x00, 0x2f, 0xc0, 0x2b};
	client_hello_t h;
	client_hello_default(&h);
	memcpy(h.suites, unknown, sizeof(unknown));
	h.suites_len = sizeof(unknown);
	server_refuses_hello(&h, PL_ALERT_HANDSHAKE_FAILURE);
}

/* RFC 8446 4.1.1: no common group is handshake_failure. */
static void server_rejects_no_common_group(void)
{
	/* secp256k1 and ffdhe6144: padlock has neither */
	static const uint16_t groups[] = {0x0016, 0x0103};
	static const uint8_t share[65] = {0x04};
	client_hello_t h;
	client_hello_default(&h);
	push_u16s(exts_replace(&h.exts, PL_EXT_SUPPORTED_GROUPS), 2, groups, 2);
	client_hello_share(&h, 0x0016, share, sizeof(share));
	server_refuses_hello(&h, PL_ALERT_HANDSHAKE_FAILURE);
}

/* RFC 8446 4.1.2: cipher_suites<2..2^16-2>, whole uint16 values. */
static void server_rejects_empty_cipher_suites(void)
{
	client_hello_t h;
	client_hello_default(&h);
	h.suites_len = 0;
	server_refuses_hello(&h, PL_ALERT_DECODE_ERROR);
}

static void server_rejects_odd_cipher_suites(void)
{
	client_hello_t h;
	client_hello_default(&h);
	h.suites_len = 3;
	server_refuses_hello(&h, PL_ALERT_DECODE_ERROR);
}

/* RFC 8446 4.2.11: pre_shared_key must be last, else illegal_parameter. */
static void server_rejects_pre_shared_key_not_last(void)
{
	static const uint8_t binder[32];
	client_hello_t h;
	client_hello_default(&h);
	pl_buf_t *b = exts_insert(&h.exts, 0, PL_EXT_PRE_SHARED_KEY);
	pl_push_open(b, 2); /* identities */
	pl_push_open(b, 2);
	pl_push_bytes(b, "ticket", 6);
	pl_push_close(b);
	pl_push_u32(b, 0);
	pl_push_close(b);
	pl_push_open(b, 2); /* binders */
	pl_push_open(b, 1);
	pl_push_bytes(b, binder, sizeof(binder));
	pl_push_close(b);
	pl_push_close(b);
	server_refuses_hello(&h, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 6066 3 with RFC 8446 6: a server_name list whose host name runs
 * past its end cannot be parsed. */
static void server_rejects_malformed_server_name(void)
{
	client_hello_t h;
	client_hello_default(&h);
	pl_buf_t *b = exts_add(&h.exts, PL_EXT_SERVER_NAME);
	pl_push_open(b, 2);
	pl_push_u8(b, 0);      /* host_name */
	pl_push_u16(b, 0x20); /* but 9 bytes follow */
	pl_push_bytes(b, "localhost", 9);
	pl_push_close(b);
	server_refuses_hello(&h, PL_ALERT_DECODE_ERROR);
}

/* RFC 7301 3.1: "Empty strings MUST NOT be included"; no alert is named,
 * decode_error (RFC 8446 6, out-of-range length) is accepted. */
static void server_rejects_alpn_with_an_empty_name(void)
{
	client_hello_t h;
	client_hello_default(&h);
	pl_buf_t *b = exts_add(&h.exts, PL_EXT_ALPN);
	pl_push_open(b, 2);
	pl_push_u8(b, 2);
	pl_push_bytes(b, "h2", 2);
	pl_push_u8(b, 0);
	pl_push_close(b);
	server_refuses_hello(&h, PL_ALERT_DECODE_ERROR);
}

/* RFC 8449 4: a record_size_limit below 64 is illegal_parameter. */
static void server_rejects_record_size_limit_below_64(void)
{
	client_hello_t h;
	client_hello_default(&h);
	pl_push_u16(exts_add(&h.exts, PL_EXT_RECORD_SIZE_LIMIT), 63);
	server_refuses_hello(&h, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.2.8.2 and 6: a share that is no public key (an all-zero
 * x25519 result, a point off the curve) is illegal_parameter. */
static void server_rejects_invalid_x25519_share(void)
{
	static const uint8_t zero[32];
	client_hello_t h;
	client_hello_default(&h);
	client_hello_share(&h, PL_GROUP_X25519, zero, sizeof(zero));
	server_refuses_hello(&h, PL_ALERT_ILLEGAL_PARAMETER);
}

static void server_rejects_p256_share_off_the_curve(void)
{
	uint8_t point[65];
	client_hello_t h;
	memcpy(point, p256_public, sizeof(point));
	point[64] ^= 1; /* y no longer matches x */
	client_hello_default(&h);
	client_hello_share(&h, PL_GROUP_SECP256R1, point, sizeof(point));
	server_refuses_hello(&h, PL_ALERT_ILLEGAL_PARAMETER);
}

/* A server that asks every client for a key share in secp256r1. */
static pl_tls_config_t *p256_only_server(bool cookie)
{
	static const uint16_t p256[] = {PL_GROUP_SECP256R1};
	static const char *const chains[] = {"p256", NULL};
	pl_tls_config_t *cfg = ep_server_config(chains);
	if (pl_tls_config_set_groups(cfg, p256, 1) != PL_OK)
		abort();
	pl_tls_config_set_require_cookie(cfg, cookie);
	return cfg;
}

/* RFC 8446 4.1.2: the second ClientHello must carry the share asked for;
 * no alert is named for the server, illegal_parameter is accepted. */
static void server_rejects_second_hello_without_the_share_asked_for(void)
{
	pl_tls_config_t *cfg = p256_only_server(false);
	client_hello_t h;
	pl_buf_t rec = PL_BUF_INIT;

	client_hello_default(&h);
	client_hello_records(&h, &rec);
	client_hello_records(&h, &rec); /* the same again, x25519 again */
	pl_tls_conn_t *s =
		server_fed(cfg, pl_buf_head(&rec), pl_buf_size(&rec));
	CHECK(pl_tls_did_hello_retry(s));
	expect_alert(s, PL_ALERT_ILLEGAL_PARAMETER, true);
	pl_tls_conn_free(s);
	pl_buf_free(&rec);
	exts_free(&h.exts);
	pl_tls_config_free(cfg);
}

/* RFC 8446 4.2.2 names no alert for a cookie the server never issued;
 * illegal_parameter is accepted. */
static void server_rejects_forged_cookie(void)
{
	static const uint8_t forged[32] = {1, 2, 3};
	pl_tls_config_t *cfg = p256_only_server(true);
	client_hello_t h;
	pl_buf_t rec = PL_BUF_INIT;

	client_hello_default(&h);
	client_hello_share(&h, PL_GROUP_SECP256R1, p256_public, 65);
	client_hello_records(&h, &rec);
	pl_buf_t *b = exts_add(&h.exts, PL_EXT_COOKIE);
	pl_push_open(b, 2);
	pl_push_bytes(b, forged, sizeof(forged));
	pl_push_close(b);
	client_hello_records(&h, &rec);
	pl_tls_conn_t *s =
		server_fed(cfg, pl_buf_head(&rec), pl_buf_size(&rec));
	CHECK(pl_tls_did_hello_retry(s));
	expect_alert(s, PL_ALERT_ILLEGAL_PARAMETER, true);
	pl_tls_conn_free(s);
	pl_buf_free(&rec);
	exts_free(&h.exts);
	pl_tls_config_free(cfg);
}

/* ---- the server and broken records before the handshake ------------------ */

/* RFC 8446 5.1: a plaintext record over 2^14 bytes is record_overflow. */
static void server_rejects_plaintext_record_over_16k(void)
{
	static uint8_t rec[5 + 16385] = {PL_CT_HANDSHAKE, 3, 1, 0x40, 0x01};
	server_refuses_bytes(rec, sizeof(rec), PL_ALERT_RECORD_OVERFLOW);
}

/* RFC 8446 5: an unexpected record type is unexpected_message. */
static void server_rejects_unknown_content_type(void)
{
	static const uint8_t rec[] = {24, 3, 3, 0, 3, 1, 0, 0}; /* heartbeat */
	server_refuses_bytes(rec, sizeof(rec), PL_ALERT_UNEXPECTED_MESSAGE);
}

static void server_rejects_application_data_before_the_handshake(void)
{
	static const uint8_t rec[] = {PL_CT_APPLICATION_DATA, 3, 3, 0, 5,
				      'h', 'e', 'l', 'l', 'o'};
	server_refuses_bytes(rec, sizeof(rec), PL_ALERT_UNEXPECTED_MESSAGE);
}

/* RFC 8446 5: change_cipher_spec before the first ClientHello is an
 * unexpected record type. */
static void server_rejects_ccs_before_client_hello(void)
{
	static const uint8_t rec[] = {PL_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1};
	server_refuses_bytes(rec, sizeof(rec), PL_ALERT_UNEXPECTED_MESSAGE);
}

/* The engine caps a handshake message at 64 KiB (RFC 8446 leaves the cap
 * to the implementation); a longer length is an out-of-range field,
 * decode_error (RFC 8446 6). */
/* A ClientHello longer than its syntax allows (131396 bytes, every length
 * field full) is refused from its header, before its body is buffered. */
static void server_rejects_client_hello_over_its_syntactic_maximum(void)
{
	static const uint8_t rec[] = {PL_CT_HANDSHAKE, 3, 1, 0, 4,
				      PL_HS_CLIENT_HELLO, 0x02, 0x01, 0x45};
	server_refuses_bytes(rec, sizeof(rec), PL_ALERT_DECODE_ERROR);
}

/* RFC 8446 A.2: only a ClientHello is expected first. */
static void server_rejects_finished_before_client_hello(void)
{
	uint8_t rec[5 + 4 + 32] = {PL_CT_HANDSHAKE, 3, 1, 0, 36,
				   PL_HS_FINISHED, 0, 0, 32};
	server_refuses_bytes(rec, sizeof(rec), PL_ALERT_UNEXPECTED_MESSAGE);
}

/* ---- the error boundary -------------------------------------------------
 * tls.h: whatever fails inside the engine (here a buffer that could not
 * grow, set up through the engine's private state) fails the connection
 * with internal_error; pl_tls_feed never returns a raw error code with the
 * connection still live. */

static void server_fails_cleanly_when_its_output_cannot_grow(void)
{
	client_hello_t h;
	pl_buf_t rec = PL_BUF_INIT;
	pl_tls_conn_t *s = pl_tls_conn_new(server_cfg, NULL);

	if (s == NULL)
		abort();
	client_hello_default(&h);
	client_hello_records(&h, &rec);
	/* The ServerHello is built (hs_out) but cannot be put into records. */
	s->out.err = PL_ERR_NOMEM;
	CHECK_EQ_INT(pl_tls_feed(s, pl_buf_head(&rec), pl_buf_size(&rec)),
		     PL_ERR_TLS);
	expect_alert(s, PL_ALERT_INTERNAL_ERROR, true);
	pl_tls_conn_free(s);
	pl_buf_free(&rec);
	exts_free(&h.exts);
}

static void client_fails_cleanly_when_application_data_cannot_be_kept(void)
{
	static const char *const chains[] = {"p256", NULL};
	pl_tls_config_t *scfg = ep_server_config(chains);
	pl_tls_config_t *ccfg = ep_client_config();
	static const uint8_t data[] = "two records the client does not read";
	ep_pair_t p;

	ep_pair_new(&p, ccfg, scfg, "localhost");
	CHECK(ep_handshake(&p));
	CHECK(pl_tls_write(p.server, data, sizeof(data)) == PL_OK);
	ep_pump(&p); /* the first record's plaintext is kept, unread */
	CHECK(pl_tls_write(p.server, data, sizeof(data)) == PL_OK);
	p.client->app_in.err = PL_ERR_NOMEM; /* the second cannot be */
	size_t n;
	const uint8_t *out = pl_tls_output(p.server, &n);
	CHECK_EQ_INT(pl_tls_feed(p.client, out, n), PL_ERR_TLS);
	pl_tls_output_consumed(p.server, n);
	p.client->app_in.err = PL_OK;
	/* What was read before the failure is still handed out. */
	uint8_t got[sizeof(data)];
	CHECK(pl_tls_read(p.client, got, sizeof(got), &n) == PL_OK &&
	      n == sizeof(data) && memcmp(got, data, n) == 0);
	expect_alert_reaches(p.client, p.server, PL_ALERT_INTERNAL_ERROR);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

/* RFC 8446 6: an alert is two bytes; three cannot be parsed. */
static void server_rejects_three_byte_alert(void)
{
	static const uint8_t rec[] = {PL_CT_ALERT, 3, 3, 0, 3, 2, 40, 0};
	server_refuses_bytes(rec, sizeof(rec), PL_ALERT_DECODE_ERROR);
}

/* RFC 8446 5.1: zero-length handshake fragments MUST NOT be sent; no
 * alert is named, decode_error is accepted. */
static void server_rejects_empty_handshake_record(void)
{
	static const uint8_t rec[] = {PL_CT_HANDSHAKE, 3, 1, 0, 0};
	server_refuses_bytes(rec, sizeof(rec), PL_ALERT_DECODE_ERROR);
}

/* ---- the server during and after a real handshake ------------------------ */

typedef struct {
	ep_pair_t p;
	pl_tls_config_t *ccfg, *scfg;
	ep_keylog_t clog, slog; /* the client's and the server's secrets */
} session_t;

static void session_new(session_t *s)
{
	static const char *const chains[] = {"p256", NULL};
	memset(s, 0, sizeof(*s));
	s->ccfg = ep_client_config();
	s->scfg = ep_server_config(chains);
	/* records are forged from the server's sequence 0: no tickets first */
	CHECK(pl_tls_config_set_tickets(s->scfg, 0, 86400) == PL_OK);
	pl_tls_config_set_keylog(s->ccfg, ep_keylog, &s->clog);
	pl_tls_config_set_keylog(s->scfg, ep_keylog, &s->slog);
	ep_pair_new(&s->p, s->ccfg, s->scfg, "localhost");
}

static void session_free(session_t *s)
{
	ep_pair_free(&s->p);
	pl_tls_config_free(s->ccfg);
	pl_tls_config_free(s->scfg);
}

/* A finished handshake whose client has sent nothing since. */
static bool session_connected(session_t *s)
{
	session_new(s);
	bool ok = ep_handshake(&s->p);
	CHECK(ok);
	return ok;
}

/* Runs the handshake up to the client's second flight, which it drops:
 * the client is done, the server waits for the client's Finished. */
static void session_until_client_finished(session_t *s)
{
	size_t n;
	ep_move(s->p.client, s->p.server);
	ep_move(s->p.server, s->p.client);
	pl_tls_output(s->p.client, &n);
	pl_tls_output_consumed(s->p.client, n);
}

/* Seals one record with the secret label (from the sender's key log) at
 * sequence seq and feeds it to the other side. */
static void record_to(session_t *s, bool to_server, const char *label,
		      uint64_t seq, uint8_t type, const uint8_t *data,
		      size_t len, size_t pad)
{
	pl_buf_t rec = PL_BUF_INIT;
	ep_keys_t keys;
	const ep_keylog_t *log = to_server ? &s->clog : &s->slog;
	if (!ep_keys_init(&keys, pl_tls_suite(s->p.client),
			  ep_secret(log, label))) {
		CHECK_MSG(false, "no %s", label);
		return;
	}
	keys.seq = seq;
	CHECK(ep_seal(&keys, type, data, len, pad, &rec));
	(void)pl_tls_feed(to_server ? s->p.server : s->p.client,
			  pl_buf_head(&rec), pl_buf_size(&rec));
	ep_keys_free(&keys);
	pl_buf_free(&rec);
}

static void client_record_to_server(session_t *s, const char *label,
				    uint64_t seq, uint8_t type,
				    const uint8_t *data, size_t len, size_t pad)
{
	record_to(s, true, label, seq, type, data, len, pad);
}

/* RFC 8446 5: a change_cipher_spec that is not the byte 0x01. */
static void server_rejects_ccs_with_a_wrong_byte(void)
{
	static const uint8_t rec[] = {PL_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 2};
	session_t s;
	session_new(&s);
	session_until_client_finished(&s);
	(void)pl_tls_feed(s.p.server, rec, sizeof(rec));
	expect_alert_reaches(s.p.server, s.p.client,
			     PL_ALERT_UNEXPECTED_MESSAGE);
	session_free(&s);
}

/* RFC 8446 4.4.4: a Finished that does not verify is decrypt_error. */
static void server_rejects_bad_client_finished(void)
{
	session_t s;
	uint8_t fin[4 + PL_HASH_MAX] = {PL_HS_FINISHED, 0, 0, 0};
	session_new(&s);
	session_until_client_finished(&s);
	size_t len = pl_tls_suite(s.p.client) == PL_TLS_AES_256_GCM_SHA384
			     ? 48 : 32;
	fin[3] = (uint8_t)len; /* a Finished of the right size, all zeros */
	client_record_to_server(&s, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 0,
				PL_CT_HANDSHAKE, fin, 4 + len, 0);
	expect_alert_reaches(s.p.server, s.p.client, PL_ALERT_DECRYPT_ERROR);
	session_free(&s);
}

/* RFC 8446 5 and A.2: application data before the client's Finished. */
static void server_rejects_application_data_before_finished(void)
{
	session_t s;
	session_new(&s);
	session_until_client_finished(&s);
	client_record_to_server(&s, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 0,
				PL_CT_APPLICATION_DATA,
				(const uint8_t *)"early", 5, 0);
	expect_alert_reaches(s.p.server, s.p.client,
			     PL_ALERT_UNEXPECTED_MESSAGE);
	session_free(&s);
}

/* RFC 8446 4: a ClientHello after the handshake is unexpected_message. */
static void server_rejects_second_client_hello_after_handshake(void)
{
	session_t s;
	client_hello_t h;
	pl_buf_t msg = PL_BUF_INIT;
	if (session_connected(&s)) {
		client_hello_default(&h);
		client_hello_write(&h, &msg);
		client_record_to_server(&s, "CLIENT_TRAFFIC_SECRET_0", 0,
					PL_CT_HANDSHAKE, pl_buf_head(&msg),
					pl_buf_size(&msg), 0);
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_UNEXPECTED_MESSAGE);
		exts_free(&h.exts);
	}
	pl_buf_free(&msg);
	session_free(&s);
}

/* RFC 8446 5 and 5.2: after the handshake every record is protected; a
 * plaintext handshake record is an unexpected record. */
static void server_rejects_plaintext_client_hello_after_handshake(void)
{
	session_t s;
	client_hello_t h;
	pl_buf_t rec = PL_BUF_INIT;
	if (session_connected(&s)) {
		client_hello_default(&h);
		client_hello_records(&h, &rec);
		(void)pl_tls_feed(s.p.server, pl_buf_head(&rec),
				  pl_buf_size(&rec));
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_UNEXPECTED_MESSAGE);
		exts_free(&h.exts);
	}
	pl_buf_free(&rec);
	session_free(&s);
}

/* RFC 8446 5.2: a record that fails authentication is bad_record_mac. */
static void server_rejects_flipped_bit_in_record(void)
{
	session_t s;
	size_t n;
	if (session_connected(&s)) {
		CHECK(pl_tls_write(s.p.client, (const uint8_t *)"hello", 5) ==
		      PL_OK);
		const uint8_t *out = pl_tls_output(s.p.client, &n);
		uint8_t *copy = malloc(n);
		memcpy(copy, out, n);
		pl_tls_output_consumed(s.p.client, n);
		copy[7] ^= 0x10; /* in the ciphertext */
		(void)pl_tls_feed(s.p.server, copy, n);
		free(copy);
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_BAD_RECORD_MAC);
	}
	session_free(&s);
}

/* RFC 8446 5.2: a TLSCiphertext over 2^14 + 256 bytes is record_overflow,
 * seen on the header before anything is buffered. */
static void server_rejects_oversized_protected_record(void)
{
	static const uint8_t header[] = {PL_CT_APPLICATION_DATA, 3, 3, 0x41,
					 0x01};
	session_t s;
	if (session_connected(&s)) {
		(void)pl_tls_feed(s.p.server, header, sizeof(header));
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_RECORD_OVERFLOW);
	}
	session_free(&s);
}

/* RFC 8446 5.2: a TLSInnerPlaintext over 2^14 + 1 bytes is
 * record_overflow, even when the ciphertext's length is allowed. */
static void server_rejects_protected_plaintext_over_16k(void)
{
	static uint8_t big[PL_TLS_MAX_PLAINTEXT + 1];
	session_t s;
	if (session_connected(&s)) {
		client_record_to_server(&s, "CLIENT_TRAFFIC_SECRET_0", 0,
					PL_CT_APPLICATION_DATA, big,
					sizeof(big), 0);
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_RECORD_OVERFLOW);
	}
	session_free(&s);
}

/* RFC 8446 5: change_cipher_spec after the peer's Finished is an
 * unexpected record type. */
static void server_rejects_ccs_after_handshake(void)
{
	static const uint8_t rec[] = {PL_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1};
	session_t s;
	if (session_connected(&s)) {
		(void)pl_tls_feed(s.p.server, rec, sizeof(rec));
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_UNEXPECTED_MESSAGE);
	}
	session_free(&s);
}

/* RFC 8446 5: a protected change_cipher_spec is unexpected_message. */
static void server_rejects_protected_ccs(void)
{
	static const uint8_t one = 1;
	session_t s;
	if (session_connected(&s)) {
		client_record_to_server(&s, "CLIENT_TRAFFIC_SECRET_0", 0,
					PL_CT_CHANGE_CIPHER_SPEC, &one, 1, 0);
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_UNEXPECTED_MESSAGE);
	}
	session_free(&s);
}

/* RFC 8446 5.4: no non-zero byte in the plaintext (no content type) is
 * unexpected_message. */
static void server_rejects_record_without_content_type(void)
{
	session_t s;
	if (session_connected(&s)) {
		client_record_to_server(&s, "CLIENT_TRAFFIC_SECRET_0", 0, 0,
					NULL, 0, 12);
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_UNEXPECTED_MESSAGE);
	}
	session_free(&s);
}

/* RFC 8446 5: an unknown inner content type is an unexpected record. */
static void server_rejects_protected_record_of_unknown_type(void)
{
	session_t s;
	if (session_connected(&s)) {
		client_record_to_server(&s, "CLIENT_TRAFFIC_SECRET_0", 0, 99,
					(const uint8_t *)"?", 1, 0);
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_UNEXPECTED_MESSAGE);
	}
	session_free(&s);
}

/* RFC 8446 4.6.3: request_update other than 0 or 1 is illegal_parameter. */
static void server_rejects_key_update_with_bad_request(void)
{
	static const uint8_t ku[] = {PL_HS_KEY_UPDATE, 0, 0, 1, 2};
	session_t s;
	if (session_connected(&s)) {
		client_record_to_server(&s, "CLIENT_TRAFFIC_SECRET_0", 0,
					PL_CT_HANDSHAKE, ku, sizeof(ku), 0);
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_ILLEGAL_PARAMETER);
	}
	session_free(&s);
}

/* RFC 8446 4.4.4 and A.2: a server never receives NewSessionTicket. */
static void server_rejects_new_session_ticket(void)
{
	static const uint8_t nst[] = {PL_HS_NEW_SESSION_TICKET, 0, 0, 14,
				      0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 'x',
				      0, 0};
	session_t s;
	if (session_connected(&s)) {
		client_record_to_server(&s, "CLIENT_TRAFFIC_SECRET_0", 0,
					PL_CT_HANDSHAKE, nst, sizeof(nst), 0);
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_UNEXPECTED_MESSAGE);
	}
	session_free(&s);
}

/* RFC 8446 4.6.3: a KeyUpdate before the peer's Finished is
 * unexpected_message. */
static void server_rejects_key_update_before_finished(void)
{
	static const uint8_t ku[] = {PL_HS_KEY_UPDATE, 0, 0, 1, 0};
	session_t s;
	session_new(&s);
	session_until_client_finished(&s);
	client_record_to_server(&s, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 0,
				PL_CT_HANDSHAKE, ku, sizeof(ku), 0);
	expect_alert_reaches(s.p.server, s.p.client,
			     PL_ALERT_UNEXPECTED_MESSAGE);
	session_free(&s);
}

/* RFC 8446 A.2: a client Certificate the server never asked for. */
static void server_rejects_unrequested_client_certificate(void)
{
	static const uint8_t cert[] = {PL_HS_CERTIFICATE, 0, 0, 4, 0, 0, 0, 0};
	session_t s;
	session_new(&s);
	session_until_client_finished(&s);
	client_record_to_server(&s, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 0,
				PL_CT_HANDSHAKE, cert, sizeof(cert), 0);
	expect_alert_reaches(s.p.server, s.p.client,
			     PL_ALERT_UNEXPECTED_MESSAGE);
	session_free(&s);
}

/* RFC 8446 5.1: a message right before a key change must end its record;
 * a ClientHello followed by more handshake bytes is unexpected_message.
 * The server has sent its flight by then; the alert follows it. */
static void server_rejects_client_hello_coalesced_with_more(void)
{
	static const uint8_t more[] = {PL_HS_FINISHED, 0, 0};
	session_t s;
	pl_buf_t rec = PL_BUF_INIT;
	size_t n;
	session_new(&s);
	const uint8_t *out = pl_tls_output(s.p.client, &n);
	pl_push_bytes(&rec, out, n);
	pl_tls_output_consumed(s.p.client, n);
	/* Grow the ClientHello record by the three bytes. */
	pl_push_bytes(&rec, more, sizeof(more));
	size_t len = ((size_t)rec.data[3] << 8 | rec.data[4]) + sizeof(more);
	rec.data[3] = (uint8_t)(len >> 8);
	rec.data[4] = (uint8_t)len;
	(void)pl_tls_feed(s.p.server, pl_buf_head(&rec), pl_buf_size(&rec));
	expect_alert_reaches(s.p.server, s.p.client,
			     PL_ALERT_UNEXPECTED_MESSAGE);
	pl_buf_free(&rec);
	session_free(&s);
}

/* RFC 8446 5.1: no other record between the fragments of a handshake
 * message; application data inside a split KeyUpdate is refused as an
 * unexpected record (RFC 8446 5). */
static void server_rejects_application_data_inside_a_handshake_message(void)
{
	static const uint8_t ku[] = {PL_HS_KEY_UPDATE, 0, 0, 1, 0};
	session_t s;
	if (session_connected(&s)) {
		client_record_to_server(&s, "CLIENT_TRAFFIC_SECRET_0", 0,
					PL_CT_HANDSHAKE, ku, 3, 0);
		CHECK(!pl_tls_failed(s.p.server));
		client_record_to_server(&s, "CLIENT_TRAFFIC_SECRET_0", 1,
					PL_CT_APPLICATION_DATA,
					(const uint8_t *)"x", 1, 0);
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_UNEXPECTED_MESSAGE);
	}
	session_free(&s);
}

/* RFC 8446 5.2: a protected record too short to hold a tag cannot be
 * deprotected: bad_record_mac. */
static void server_rejects_protected_record_shorter_than_a_tag(void)
{
	static const uint8_t rec[] = {PL_CT_APPLICATION_DATA, 3, 3, 0, 5,
				      1, 2, 3, 4, 5};
	session_t s;
	if (session_connected(&s)) {
		(void)pl_tls_feed(s.p.server, rec, sizeof(rec));
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_BAD_RECORD_MAC);
	}
	session_free(&s);
}

/* RFC 8446 4.6.2: a CertificateRequest after the handshake, without
 * post_handshake_auth offered, is unexpected_message. */
static void client_rejects_post_handshake_certificate_request(void)
{
	static const uint8_t cr[] = {PL_HS_CERTIFICATE_REQUEST, 0, 0, 12,
				     1, 'a', 0, 8, 0, 13, 0, 4, 0, 2, 4, 3};
	session_t s;
	if (session_connected(&s)) {
		record_to(&s, false, "SERVER_TRAFFIC_SECRET_0", 0,
			  PL_CT_HANDSHAKE, cr, sizeof(cr), 0);
		expect_alert_reaches(s.p.client, s.p.server,
				     PL_ALERT_UNEXPECTED_MESSAGE);
	}
	session_free(&s);
}

/* A record cut short and followed by the peer's close_notify: the
 * close_notify's bytes complete the short record, which then fails to
 * authenticate (bad_record_mac). Neither the data nor a clean close may
 * reach the application: a truncation is never an orderly end. */
static void server_rejects_truncated_record_then_close(void)
{
	session_t s;
	uint8_t buf[16];
	size_t n;
	if (session_connected(&s)) {
		CHECK(pl_tls_write(s.p.client, (const uint8_t *)"hello", 5) ==
		      PL_OK);
		const uint8_t *out = pl_tls_output(s.p.client, &n);
		CHECK(pl_tls_feed(s.p.server, out, n / 2) == PL_OK);
		pl_tls_output_consumed(s.p.client, n);
		CHECK(pl_tls_read(s.p.server, buf, sizeof(buf), &n) == PL_OK &&
		      n == 0);
		CHECK(!pl_tls_peer_closed(s.p.server));
		CHECK(pl_tls_close(s.p.client) == PL_OK);
		ep_move(s.p.client, s.p.server);
		CHECK(!pl_tls_peer_closed(s.p.server));
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_BAD_RECORD_MAC);
	}
	session_free(&s);
}

/* ---- the client and a forged ServerHello --------------------------------- */

typedef struct {
	uint16_t legacy_version;
	uint8_t random[32];
	uint8_t session_id[32];
	size_t session_id_len;
	uint16_t suite;
	uint8_t compression;
	exts_t exts;
	size_t truncate_to; /* when not 0: the body is cut to this length */
} server_hello_t;

/* A client that has sent its ClientHello, and what it sent. */
typedef struct {
	pl_tls_config_t *cfg;
	pl_tls_conn_t *c;
	uint8_t session_id[32];
	size_t session_id_len;
} waiting_client_t;

/* Reads the session id out of the ClientHello record at p. */
static bool hello_session_id(const uint8_t *p, size_t n, uint8_t *sid,
			     size_t *sid_len)
{
	pl_reader_t r, id;
	const uint8_t *skip;
	pl_reader_init(&r, p, n);
	if (pl_read_bytes(&r, 5 + 4 + 2 + 32, &skip) ||
	    pl_read_vec8(&r, &id) || pl_reader_left(&id) > 32)
		return false;
	*sid_len = pl_reader_left(&id);
	memcpy(sid, id.p, *sid_len);
	return true;
}

/* Set: the next clients offer TLS 1.3 only. */
static bool client_tls13_only;

/* A client with groups and suites (NULL: defaults) that has sent its
 * ClientHello. */
static void client_start_with(waiting_client_t *w, const uint16_t *groups,
			      size_t n_groups, const uint16_t *suites,
			      size_t n_suites)
{
	size_t n;
	memset(w, 0, sizeof(*w));
	w->cfg = ep_client_config();
	if ((client_tls13_only &&
	     pl_tls_config_set_versions(w->cfg, PL_TLS_VERSION_13,
					PL_TLS_VERSION_13)) ||
	    (groups && pl_tls_config_set_groups(w->cfg, groups, n_groups)) ||
	    (suites && pl_tls_config_set_suites(w->cfg, suites, n_suites)))
		abort();
	w->c = pl_tls_conn_new(w->cfg, "localhost");
	const uint8_t *out = pl_tls_output(w->c, &n);
	if (out == NULL ||
	    !hello_session_id(out, n, w->session_id, &w->session_id_len))
		abort();
	pl_tls_output_consumed(w->c, n);
}

static void client_start(waiting_client_t *w, const uint16_t *groups,
			 size_t n_groups)
{
	client_start_with(w, groups, n_groups, NULL, 0);
}

static void client_free(waiting_client_t *w)
{
	pl_tls_conn_free(w->c);
	pl_tls_config_free(w->cfg);
}

/* A ServerHello the waiting client would take: TLS 1.3,
 * TLS_AES_128_GCM_SHA256, a valid key share in group. */
static void server_hello_default(server_hello_t *sh,
				 const waiting_client_t *w, uint16_t group)
{
	memset(sh, 0, sizeof(*sh));
	sh->legacy_version = 0x0303;
	if (pl_random(sh->random, 32))
		abort();
	memcpy(sh->session_id, w->session_id, w->session_id_len);
	sh->session_id_len = w->session_id_len;
	sh->suite = PL_TLS_AES_128_GCM_SHA256;
	pl_push_u16(exts_add(&sh->exts, PL_EXT_SUPPORTED_VERSIONS),
		    PL_TLS_VERSION_13);
	if (group == PL_GROUP_X25519)
		push_share(exts_add(&sh->exts, PL_EXT_KEY_SHARE), group,
			   x25519_public, sizeof(x25519_public));
	else
		push_share(exts_add(&sh->exts, PL_EXT_KEY_SHARE), group,
			   p256_public, sizeof(p256_public));
}

/* A HelloRetryRequest asking for group. */
static void hello_retry_default(server_hello_t *sh, const waiting_client_t *w,
				uint16_t group)
{
	server_hello_default(sh, w, group);
	memcpy(sh->random, hrr_random, 32);
	pl_push_u16(exts_replace(&sh->exts, PL_EXT_KEY_SHARE), group);
}

/* Feeds the client sh as a record. */
static void server_hello_send(server_hello_t *sh, pl_tls_conn_t *c)
{
	pl_buf_t msg = PL_BUF_INIT, rec = PL_BUF_INIT;
	pl_push_u8(&msg, PL_HS_SERVER_HELLO);
	pl_push_open(&msg, 3);
	pl_push_u16(&msg, sh->legacy_version);
	pl_push_bytes(&msg, sh->random, 32);
	pl_push_u8(&msg, (uint8_t)sh->session_id_len);
	pl_push_bytes(&msg, sh->session_id, sh->session_id_len);
	pl_push_u16(&msg, sh->suite);
	pl_push_u8(&msg, sh->compression);
	exts_write(&sh->exts, 0, &msg);
	pl_push_close(&msg);
	if (sh->truncate_to) {
		msg.len = 4 + sh->truncate_to;
		msg.data[1] = 0;
		msg.data[2] = (uint8_t)(sh->truncate_to >> 8);
		msg.data[3] = (uint8_t)sh->truncate_to;
	}
	plain_records(PL_CT_HANDSHAKE, pl_buf_head(&msg), pl_buf_size(&msg),
		      PL_TLS_MAX_PLAINTEXT, &rec);
	(void)pl_tls_feed(c, pl_buf_head(&rec), pl_buf_size(&rec));
	pl_buf_free(&msg);
	pl_buf_free(&rec);
}

/* Sends sh to a fresh default client; expects alert in plaintext. */
static void client_refuses(server_hello_t *sh, waiting_client_t *w, int alert)
{
	server_hello_send(sh, w->c);
	expect_alert(w->c, alert, true);
	exts_free(&sh->exts);
	client_free(w);
}

/* The baseline: the unbroken ServerHello is taken (the client then waits
 * for EncryptedExtensions). */
static void client_accepts_the_unbroken_server_hello(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, NULL, 0);
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	server_hello_send(&sh, w.c);
	CHECK_MSG(!pl_tls_failed(w.c), "%s", pl_tls_reason(w.c));
	CHECK_EQ_INT(pl_tls_suite(w.c), PL_TLS_AES_128_GCM_SHA256);
	exts_free(&sh.exts);
	client_free(&w);
}

static void client_rejects_truncated_server_hello(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, NULL, 0);
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	sh.truncate_to = 50;
	client_refuses(&sh, &w, PL_ALERT_DECODE_ERROR);
}

/* RFC 8446 4.1.3: a suite not offered is illegal_parameter. */
static void client_rejects_suite_not_offered(void)
{
	static const uint16_t one[] = {PL_TLS_AES_128_GCM_SHA256};
	waiting_client_t w;
	server_hello_t sh;
	client_start_with(&w, NULL, 0, one, 1);
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	sh.suite = PL_TLS_AES_256_GCM_SHA384;
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 D.1: a server that picks TLS 1.2 is refused by a TLS 1.3-only
 * client with protocol_version. */
static void client_rejects_server_hello_without_supported_versions(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_tls13_only = true;
	client_start(&w, NULL, 0);
	client_tls13_only = false;
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	exts_remove(&sh.exts, PL_EXT_SUPPORTED_VERSIONS);
	client_refuses(&sh, &w, PL_ALERT_PROTOCOL_VERSION);
}

/* RFC 8446 4.1.3: the TLS 1.2 downgrade sentinel is illegal_parameter. */
static void client_rejects_downgrade_sentinel(void)
{
	static const uint8_t sentinel[8] = {0x44, 0x4f, 0x57, 0x4e,
					    0x47, 0x52, 0x44, 0x01};
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, NULL, 0);
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	exts_remove(&sh.exts, PL_EXT_SUPPORTED_VERSIONS);
	memcpy(sh.random + 24, sentinel, 8);
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.2.1: a selected version before TLS 1.3 is
 * illegal_parameter. */
static void client_rejects_supported_versions_tls12(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, NULL, 0);
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	pl_push_u16(exts_replace(&sh.exts, PL_EXT_SUPPORTED_VERSIONS), 0x0303);
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.1.3: legacy_session_id_echo must match. */
static void client_rejects_wrong_session_id_echo(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, NULL, 0);
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	sh.session_id[0] ^= 1;
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.1.3 says legacy_compression_method MUST be 0 and names no
 * alert; illegal_parameter (RFC 8446 6: a semantically invalid field) is
 * accepted. */
static void client_rejects_server_hello_compression(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, NULL, 0);
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	sh.compression = 1;
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.2.8: the server's share must be in the group of the
 * client's share. */
static void client_rejects_key_share_group_mismatch(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, NULL, 0); /* sends x25519 */
	server_hello_default(&sh, &w, PL_GROUP_SECP256R1);
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.2.8.2 and 6 (like "a DHE share of p - 1"). */
static void client_rejects_invalid_key_share_point(void)
{
	static const uint8_t zero[32];
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, NULL, 0);
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	push_share(exts_replace(&sh.exts, PL_EXT_KEY_SHARE), PL_GROUP_X25519,
		   zero, sizeof(zero));
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 9.2 requires key_share without a PSK but names the alert only
 * for the server; the engine's missing_extension is accepted. */
static void client_rejects_server_hello_without_key_share(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, NULL, 0);
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	exts_remove(&sh.exts, PL_EXT_KEY_SHARE);
	client_refuses(&sh, &w, PL_ALERT_MISSING_EXTENSION);
}

/* RFC 8446 4.2: an answer to an extension never sent is
 * unsupported_extension. */
static void client_rejects_unsolicited_extension(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, NULL, 0);
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	exts_add(&sh.exts, PL_EXT_EARLY_DATA);
	client_refuses(&sh, &w, PL_ALERT_UNSUPPORTED_EXTENSION);
}

/* RFC 8446 4.2: a known extension in a message it is not for is
 * illegal_parameter. */
static void client_rejects_extension_not_for_server_hello(void)
{
	static const uint16_t scheme[] = {PL_SIG_ECDSA_SECP256R1_SHA256};
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, NULL, 0);
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	push_u16s(exts_add(&sh.exts, PL_EXT_SIGNATURE_ALGORITHMS), 2, scheme,
		  1);
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

static const uint16_t x25519_then_p256[] = {PL_GROUP_X25519,
					    PL_GROUP_SECP256R1};

/* RFC 8446 4.1.4: a second HelloRetryRequest is unexpected_message. */
static void client_rejects_second_hello_retry_request(void)
{
	waiting_client_t w;
	server_hello_t sh;
	size_t n;
	client_start(&w, x25519_then_p256, 2);
	hello_retry_default(&sh, &w, PL_GROUP_SECP256R1);
	server_hello_send(&sh, w.c);
	CHECK_MSG(!pl_tls_failed(w.c), "%s", pl_tls_reason(w.c));
	CHECK(pl_tls_output(w.c, &n) != NULL); /* CCS, second ClientHello */
	pl_tls_output_consumed(w.c, n);
	client_refuses(&sh, &w, PL_ALERT_UNEXPECTED_MESSAGE);
}

/* RFC 8446 4.2.8: a HelloRetryRequest for the group the client already
 * sent a share for is illegal_parameter. */
static void client_rejects_hello_retry_for_the_group_sent(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, x25519_then_p256, 2);
	hello_retry_default(&sh, &w, PL_GROUP_X25519);
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.2.8: ... or for a group it did not offer. */
static void client_rejects_hello_retry_for_a_group_not_offered(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, x25519_then_p256, 2);
	hello_retry_default(&sh, &w, PL_GROUP_SECP384R1);
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.1.4: a HelloRetryRequest that changes nothing. */
static void client_rejects_hello_retry_without_change(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, x25519_then_p256, 2);
	hello_retry_default(&sh, &w, PL_GROUP_SECP256R1);
	exts_remove(&sh.exts, PL_EXT_KEY_SHARE);
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

/* Sends the waiting client a HelloRetryRequest for secp256r1 and drops
 * its answer (CCS and the second ClientHello). */
static void client_after_hello_retry(waiting_client_t *w)
{
	server_hello_t hrr;
	size_t n;
	client_start(w, x25519_then_p256, 2);
	hello_retry_default(&hrr, w, PL_GROUP_SECP256R1);
	server_hello_send(&hrr, w->c);
	CHECK_MSG(!pl_tls_failed(w->c), "%s", pl_tls_reason(w->c));
	CHECK(pl_tls_output(w->c, &n) != NULL);
	pl_tls_output_consumed(w->c, n);
	exts_free(&hrr.exts);
}

/* The baseline: after a HelloRetryRequest, the ServerHello it asked for
 * is taken. */
static void client_accepts_server_hello_after_hello_retry(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_after_hello_retry(&w);
	CHECK(pl_tls_did_hello_retry(w.c));
	server_hello_default(&sh, &w, PL_GROUP_SECP256R1);
	server_hello_send(&sh, w.c);
	CHECK_MSG(!pl_tls_failed(w.c), "%s", pl_tls_reason(w.c));
	CHECK_EQ_INT(pl_tls_group(w.c), PL_GROUP_SECP256R1);
	exts_free(&sh.exts);
	client_free(&w);
}

/* RFC 8446 4.1.4: the ServerHello's suite must be the HelloRetryRequest's,
 * else illegal_parameter. */
static void client_rejects_server_hello_changing_the_hrr_suite(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_after_hello_retry(&w);
	server_hello_default(&sh, &w, PL_GROUP_SECP256R1);
	sh.suite = PL_TLS_AES_256_GCM_SHA384;
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.2.8: the ServerHello's group must be the one the
 * HelloRetryRequest asked for, else illegal_parameter. */
static void client_rejects_server_hello_group_not_the_hrr_group(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_after_hello_retry(&w);
	server_hello_default(&sh, &w, PL_GROUP_X25519);
	client_refuses(&sh, &w, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.1.4 and 4.2: a HelloRetryRequest extension the client never
 * offered (cookie aside) is unsupported_extension. */
static void client_rejects_hello_retry_with_unoffered_extension(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, x25519_then_p256, 2);
	hello_retry_default(&sh, &w, PL_GROUP_SECP256R1);
	pl_push_u16(exts_add(&sh.exts, 0x1234), 0);
	client_refuses(&sh, &w, PL_ALERT_UNSUPPORTED_EXTENSION);
}

/* RFC 8446 4.2.2: cookie<1..2^16-1>; an empty one cannot be parsed. */
static void client_rejects_hello_retry_with_empty_cookie(void)
{
	waiting_client_t w;
	server_hello_t sh;
	client_start(&w, x25519_then_p256, 2);
	hello_retry_default(&sh, &w, PL_GROUP_SECP256R1);
	pl_push_u16(exts_add(&sh.exts, PL_EXT_COOKIE), 0);
	client_refuses(&sh, &w, PL_ALERT_DECODE_ERROR);
}

/* ---- the client and a tampered server flight ----------------------------- */

/* Splits the server's first flight: plaintext records (ServerHello, CCS)
 * are copied to plain, protected ones opened into messages. */
static bool open_flight(const uint8_t *p, size_t n, ep_keys_t *k,
			pl_buf_t *plain, pl_buf_t *messages)
{
	size_t len;
	uint8_t type;
	while ((len = ep_record_len(p, n)) > 0) {
		if (p[0] != PL_CT_APPLICATION_DATA)
			pl_push_bytes(plain, p, len);
		else if (!ep_open(k, p, len, &type, messages) ||
			 type != PL_CT_HANDSHAKE)
			return false;
		p += len;
		n -= len;
	}
	return n == 0;
}

/* The offset and length of the first handshake message of type in m, or
 * false. */
static bool find_message(const pl_buf_t *m, uint8_t type, size_t *at,
			 size_t *len)
{
	pl_reader_t r, body;
	uint8_t t;
	pl_reader_init(&r, pl_buf_head(m), pl_buf_size(m));
	while (pl_reader_left(&r) > 0) {
		const uint8_t *start = r.p;
		if (pl_read_u8(&r, &t) || pl_read_vec24(&r, &body))
			return false;
		if (t == type) {
			*at = (size_t)(start - pl_buf_head(m));
			*len = (size_t)(r.p - start);
			return true;
		}
	}
	return false;
}

typedef void (*tamper_fn)(pl_buf_t *messages);

/* A real server's first flight, opened with the server's handshake
 * secret, changed by tamper, sealed again and given to the client, which
 * must fail with alert; the server must read the alert. */
static void client_refuses_tampered_flight(tamper_fn tamper, int alert)
{
	static const char *const chains[] = {"p256", NULL};
	pl_tls_config_t *scfg = ep_server_config(chains);
	pl_tls_config_t *ccfg = ep_client_config();
	pl_buf_t plain = PL_BUF_INIT, messages = PL_BUF_INIT;
	ep_keylog_t log = {0};
	ep_keys_t in, out;
	ep_pair_t p;
	size_t n;

	pl_tls_config_set_keylog(scfg, ep_keylog, &log);
	ep_pair_new(&p, ccfg, scfg, "localhost");
	ep_move(p.client, p.server);
	const uint8_t *flight = pl_tls_output(p.server, &n);
	const uint8_t *secret =
		ep_secret(&log, "SERVER_HANDSHAKE_TRAFFIC_SECRET");
	uint16_t suite = pl_tls_suite(p.server);
	if (!ep_keys_init(&in, suite, secret) ||
	    !ep_keys_init(&out, suite, secret)) {
		CHECK(false);
		goto out;
	}
	CHECK(open_flight(flight, n, &in, &plain, &messages));
	pl_tls_output_consumed(p.server, n);
	tamper(&messages);
	CHECK(pl_buf_size(&messages) <= PL_TLS_MAX_PLAINTEXT);
	CHECK(ep_seal(&out, PL_CT_HANDSHAKE, pl_buf_head(&messages),
		      pl_buf_size(&messages), 0, &plain));
	(void)pl_tls_feed(p.client, pl_buf_head(&plain), pl_buf_size(&plain));
	expect_alert_reaches(p.client, p.server, alert);
	ep_keys_free(&in);
	ep_keys_free(&out);
out:
	pl_buf_free(&plain);
	pl_buf_free(&messages);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

/* Flips a bit in the last byte of the message of type (the end of the
 * CertificateVerify signature, which keeps its DER well-formed; the end of
 * Finished's verify_data). */
static void flip_last_byte_of(pl_buf_t *m, uint8_t type)
{
	size_t at, len;
	if (!find_message(m, type, &at, &len))
		abort();
	m->data[m->start + at + len - 1] ^= 0x01;
}

static void tamper_certificate_verify(pl_buf_t *m)
{
	flip_last_byte_of(m, PL_HS_CERTIFICATE_VERIFY);
}

static void tamper_finished(pl_buf_t *m)
{
	flip_last_byte_of(m, PL_HS_FINISHED);
}

static void drop_certificate_verify(pl_buf_t *m)
{
	size_t at, len;
	if (!find_message(m, PL_HS_CERTIFICATE_VERIFY, &at, &len))
		abort();
	uint8_t *base = m->data + m->start;
	memmove(base + at, base + at + len, pl_buf_size(m) - at - len);
	m->len -= len;
}

/* Replaces the message of type with the len bytes at msg. */
static void replace_message(pl_buf_t *m, uint8_t type, const uint8_t *msg,
			    size_t len)
{
	pl_buf_t out = PL_BUF_INIT;
	size_t at, old;
	if (!find_message(m, type, &at, &old))
		abort();
	pl_push_bytes(&out, pl_buf_head(m), at);
	pl_push_bytes(&out, msg, len);
	pl_push_bytes(&out, pl_buf_head(m) + at + old,
		      pl_buf_size(m) - at - old);
	if (pl_buf_error(&out))
		abort();
	pl_buf_free(m);
	*m = out;
}

static void ee_with_key_share(pl_buf_t *m)
{
	static const uint8_t ee[] = {PL_HS_ENCRYPTED_EXTENSIONS, 0, 0, 8,
				     0, 6, 0, 51, 0, 2, 0, 0x1d};
	replace_message(m, PL_HS_ENCRYPTED_EXTENSIONS, ee, sizeof(ee));
}

static void ee_with_alpn(pl_buf_t *m)
{
	static const uint8_t ee[] = {PL_HS_ENCRYPTED_EXTENSIONS, 0, 0, 11,
				     0, 9, 0, 16, 0, 5, 0, 3, 2, 'h', '2'};
	replace_message(m, PL_HS_ENCRYPTED_EXTENSIONS, ee, sizeof(ee));
}

static void ee_with_server_name_twice(pl_buf_t *m)
{
	static const uint8_t ee[] = {PL_HS_ENCRYPTED_EXTENSIONS, 0, 0, 10,
				     0, 8, 0, 0, 0, 0, 0, 0, 0, 0};
	replace_message(m, PL_HS_ENCRYPTED_EXTENSIONS, ee, sizeof(ee));
}

static void empty_certificate(pl_buf_t *m)
{
	static const uint8_t cert[] = {PL_HS_CERTIFICATE, 0, 0, 4, 0, 0, 0, 0};
	replace_message(m, PL_HS_CERTIFICATE, cert, sizeof(cert));
}

static void certificate_verify_with_pkcs1(pl_buf_t *m)
{
	size_t at, len;
	if (!find_message(m, PL_HS_CERTIFICATE_VERIFY, &at, &len))
		abort();
	m->data[m->start + at + 4] = 0x04; /* rsa_pkcs1_sha256 */
	m->data[m->start + at + 5] = 0x01;
}

static void finished_and_more(pl_buf_t *m)
{
	static const uint8_t more[] = {PL_HS_NEW_SESSION_TICKET, 0, 0};
	pl_push_bytes(m, more, sizeof(more));
}

/* RFC 8446 4.2: a known extension in a message it is not for. */
static void client_rejects_encrypted_extensions_with_key_share(void)
{
	client_refuses_tampered_flight(ee_with_key_share,
				       PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.2 and RFC 7301 3.2: ALPN was never offered. */
static void client_rejects_unoffered_alpn(void)
{
	client_refuses_tampered_flight(ee_with_alpn,
				       PL_ALERT_UNSUPPORTED_EXTENSION);
}

/* RFC 8446 4.2 (no alert named; illegal_parameter accepted). */
static void client_rejects_duplicate_encrypted_extension(void)
{
	client_refuses_tampered_flight(ee_with_server_name_twice,
				       PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.4.2.4: an empty server Certificate is decode_error. */
static void client_rejects_empty_certificate(void)
{
	client_refuses_tampered_flight(empty_certificate,
				       PL_ALERT_DECODE_ERROR);
}

/* RFC 8446 4.4.3: CertificateVerify never uses PKCS#1 v1.5, and only a
 * scheme the client offered for it; no alert is named, illegal_parameter
 * (RFC 8446 6) is accepted. */
static void client_rejects_certificate_verify_with_pkcs1(void)
{
	client_refuses_tampered_flight(certificate_verify_with_pkcs1,
				       PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 5.1: Finished precedes a key change, so it must end its
 * record. */
static void client_rejects_finished_coalesced_with_more(void)
{
	client_refuses_tampered_flight(finished_and_more,
				       PL_ALERT_UNEXPECTED_MESSAGE);
}

/* RFC 8446 4.4.3: a signature that does not verify is decrypt_error. */
static void client_rejects_bad_certificate_verify(void)
{
	client_refuses_tampered_flight(tamper_certificate_verify,
				       PL_ALERT_DECRYPT_ERROR);
}

/* RFC 8446 4.4.4: a Finished that does not verify is decrypt_error. */
static void client_rejects_bad_server_finished(void)
{
	client_refuses_tampered_flight(tamper_finished, PL_ALERT_DECRYPT_ERROR);
}

/* RFC 8446 A.1: Finished where CertificateVerify is due. */
static void client_rejects_missing_certificate_verify(void)
{
	client_refuses_tampered_flight(drop_certificate_verify,
				       PL_ALERT_UNEXPECTED_MESSAGE);
}

/* RFC 8446 5.2, the other way: the client refuses a broken record. */
static void client_rejects_flipped_bit_in_record(void)
{
	session_t s;
	size_t n;
	if (session_connected(&s)) {
		CHECK(pl_tls_write(s.p.server, (const uint8_t *)"hello", 5) ==
		      PL_OK);
		const uint8_t *out = pl_tls_output(s.p.server, &n);
		uint8_t *copy = malloc(n);
		memcpy(copy, out, n);
		pl_tls_output_consumed(s.p.server, n);
		copy[n - 1] ^= 0x80; /* in the tag */
		(void)pl_tls_feed(s.p.client, copy, n);
		free(copy);
		expect_alert_reaches(s.p.client, s.p.server,
				     PL_ALERT_BAD_RECORD_MAC);
	}
	session_free(&s);
}

static void make_key_shares(void)
{
	size_t n;
	pl_kex_t *x = pl_kex_new(PL_GROUP_X25519);
	pl_kex_t *p = pl_kex_new(PL_GROUP_SECP256R1);
	if (x == NULL || p == NULL ||
	    pl_kex_public(x, x25519_public, sizeof(x25519_public), &n) ||
	    n != sizeof(x25519_public) ||
	    pl_kex_public(p, p256_public, sizeof(p256_public), &n) ||
	    n != sizeof(p256_public))
		abort();
	pl_kex_free(x);
	pl_kex_free(p);
}

/* ---- key shares in every group (issue 8, section 3) ---------------------- */

/* A ClientHello that supports only group and shares key in it. */
static void server_refuses_share_in(uint16_t group, const uint8_t *key,
				    size_t len)
{
	client_hello_t h;
	client_hello_default(&h);
	push_u16s(exts_replace(&h.exts, PL_EXT_SUPPORTED_GROUPS), 2, &group,
		  1);
	client_hello_share(&h, group, key, len);
	server_refuses_hello(&h, PL_ALERT_ILLEGAL_PARAMETER);
}

/* RFC 8446 4.2.8 and 6: an invalid share is illegal_parameter in every
 * group: empty, one byte short or long, and no public key of the group
 * (all-zero X25519 / X448 results, EC points off the curve, DH values 0,
 * 1 and above p). */
static void server_rejects_invalid_shares_in_every_group(void)
{
	static const uint16_t groups[] = {
		PL_GROUP_X25519,    PL_GROUP_SECP256R1, PL_GROUP_SECP384R1,
		PL_GROUP_SECP521R1, PL_GROUP_X448,      PL_GROUP_FFDHE2048,
		PL_GROUP_FFDHE3072, PL_GROUP_FFDHE4096,
	};
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		uint8_t pub[PL_KEX_PUBLIC_MAX + 1], bad[PL_KEX_PUBLIC_MAX + 1];
		size_t n = 0;
		pl_kex_t *k = pl_kex_new(groups[i]);
		if (k == NULL || pl_kex_public(k, pub, sizeof(pub), &n)) {
			CHECK_MSG(false, "no %s key", pl_tls_group_name(groups[i]));
			pl_kex_free(k);
			continue;
		}
		pl_kex_free(k);
		printf("     %s:\n", pl_tls_group_name(groups[i]));
		server_refuses_share_in(groups[i], pub, 0);
		server_refuses_share_in(groups[i], pub, n - 1);
		pub[n] = 0;
		server_refuses_share_in(groups[i], pub, n + 1);
		memset(bad, 0, n);
		if (pl_kex_is_ffdhe(groups[i])) {
			server_refuses_share_in(groups[i], bad, n); /* Y = 0 */
			bad[n - 1] = 1;
			server_refuses_share_in(groups[i], bad, n); /* Y = 1 */
			memset(bad, 0xff, n);                       /* Y > p */
		} else if (groups[i] >= PL_GROUP_SECP256R1 &&
			   groups[i] <= PL_GROUP_SECP521R1) {
			memcpy(bad, pub, n);
			bad[n - 1] ^= 1; /* y no longer matches x */
		} /* else X25519 or X448: u = 0, the all-zero result */
		server_refuses_share_in(groups[i], bad, n);
	}
}

/* ---- legal but unusual ClientHellos, oversized messages, versions ------
 * What an independent conformance suite sends (issue 8, section 4): a
 * legal ClientHello is answered however large its lists, however many
 * extensions it has (each type still at most once), up to the largest a
 * ClientHello can be; a message longer than its type can be is refused
 * from its header; versions are negotiated as RFC 8446 4.2.1 and RFC 9846
 * 4.3.1 and E.2 say. */

typedef struct {
	uint16_t legacy_version;
	size_t extra_suites;    /* unknown suites before TLS_AES_128_GCM_SHA256 */
	bool fallback_scsv;     /* TLS_FALLBACK_SCSV in the list (RFC 7507) */
	const uint16_t *versions; /* supported_versions; NULL: none */
	size_t n_versions;
	size_t extra_schemes;   /* unknown schemes before ecdsa_secp256r1_sha256 */
	size_t extra_shares;    /* shares for unknown groups before x25519 */
	size_t unknown_exts;    /* empty extensions of types 0x2000, 0x2001, ... */
	bool repeat_last;       /* the last unknown extension once more */
	size_t padding;         /* bytes of a padding extension */
} big_hello_t;

/* The ClientHello of b (handshake header included) into msg. */
static void big_hello_write(const big_hello_t *b, pl_buf_t *msg)
{
	static const uint8_t key[1] = {1};
	uint8_t random[32] = {0};
	pl_push_u8(msg, PL_HS_CLIENT_HELLO);
	pl_push_open(msg, 3);
	pl_push_u16(msg, b->legacy_version);
	pl_push_bytes(msg, random, 32);
	pl_push_u8(msg, 0);
	pl_push_open(msg, 2);
	for (size_t i = 0; i < b->extra_suites; i++)
		pl_push_u16(msg, (uint16_t)(0xe000 + i));
	if (b->fallback_scsv)
		pl_push_u16(msg, PL_TLS_FALLBACK_SCSV);
	pl_push_u16(msg, PL_TLS_AES_128_GCM_SHA256);
	pl_push_close(msg);
	pl_push_u8(msg, 1);
	pl_push_u8(msg, 0);
	pl_push_open(msg, 2);
	if (b->versions) {
		pl_push_u16(msg, PL_EXT_SUPPORTED_VERSIONS);
		pl_push_open(msg, 2);
		push_u16s(msg, 1, b->versions, b->n_versions);
		pl_push_close(msg);
	}
	pl_push_u16(msg, PL_EXT_SUPPORTED_GROUPS);
	pl_push_open(msg, 2);
	pl_push_open(msg, 2);
	for (size_t i = 0; i < b->extra_shares; i++)
		pl_push_u16(msg, (uint16_t)(0x7000 + i));
	pl_push_u16(msg, PL_GROUP_X25519);
	pl_push_close(msg);
	pl_push_close(msg);
	pl_push_u16(msg, PL_EXT_KEY_SHARE);
	pl_push_open(msg, 2);
	pl_push_open(msg, 2);
	for (size_t i = 0; i < b->extra_shares; i++)
		push_share(msg, (uint16_t)(0x7000 + i), key, 1);
	push_share(msg, PL_GROUP_X25519, x25519_public, 32);
	pl_push_close(msg);
	pl_push_close(msg);
	pl_push_u16(msg, PL_EXT_SIGNATURE_ALGORITHMS);
	pl_push_open(msg, 2);
	pl_push_open(msg, 2);
	for (size_t i = 0; i < b->extra_schemes; i++)
		pl_push_u16(msg, (uint16_t)(0x9000 + i));
	pl_push_u16(msg, PL_SIG_ECDSA_SECP256R1_SHA256);
	pl_push_close(msg);
	pl_push_close(msg);
	for (size_t i = 0; i < b->unknown_exts + b->repeat_last; i++) {
		size_t t = i < b->unknown_exts ? i : b->unknown_exts - 1;
		pl_push_u16(msg, (uint16_t)(0x2000 + t));
		pl_push_u16(msg, 0);
	}
	if (b->padding) {
		pl_push_u16(msg, PL_EXT_PADDING);
		pl_push_open(msg, 2);
		for (size_t i = 0; i < b->padding; i++)
			pl_push_u8(msg, 0);
		pl_push_close(msg);
	}
	pl_push_close(msg);
	pl_push_close(msg);
	if (pl_buf_error(msg))
		abort();
}

/* A fresh server fed b's ClientHello in records of 16 KiB. */
static pl_tls_conn_t *server_cfg_fed_big(const pl_tls_config_t *cfg,
					 const big_hello_t *b, size_t *msg_len)
{
	pl_buf_t msg = PL_BUF_INIT, rec = PL_BUF_INIT;
	big_hello_write(b, &msg);
	*msg_len = pl_buf_size(&msg);
	plain_records(PL_CT_HANDSHAKE, pl_buf_head(&msg), pl_buf_size(&msg),
		      PL_TLS_MAX_PLAINTEXT, &rec);
	pl_tls_conn_t *s = server_fed(cfg, pl_buf_head(&rec),
				      pl_buf_size(&rec));
	pl_buf_free(&msg);
	pl_buf_free(&rec);
	return s;
}

static pl_tls_conn_t *server_fed_big(const big_hello_t *b, size_t *msg_len)
{
	return server_cfg_fed_big(NULL, b, msg_len);
}

static const uint16_t only_13[] = {PL_TLS_VERSION_13};

/* The server answered with its whole flight: ServerHello in plaintext,
 * then protected records. */
static void expect_answered(pl_tls_conn_t *s, const char *what)
{
	size_t n;
	const uint8_t *out = pl_tls_output(s, &n);
	CHECK_MSG(!pl_tls_failed(s), "%s: %s", what, pl_tls_reason(s));
	CHECK_MSG(n > 6 && out[0] == PL_CT_HANDSHAKE &&
			  out[5] == PL_HS_SERVER_HELLO,
		  "%s: no ServerHello", what);
	CHECK_EQ_INT(pl_tls_sigscheme(s), PL_SIG_ECDSA_SECP256R1_SHA256);
	CHECK_EQ_INT(pl_tls_group(s), PL_GROUP_X25519);
}

static void server_answers_hello_with_20000_signature_schemes(void)
{
	big_hello_t b = {.legacy_version = 0x0303, .versions = only_13,
			 .n_versions = 1, .extra_schemes = 20000};
	size_t len;
	pl_tls_conn_t *s = server_fed_big(&b, &len);
	expect_answered(s, "20000 signature schemes");
	pl_tls_conn_free(s);
}

static void server_answers_hello_with_5000_unknown_extensions(void)
{
	big_hello_t b = {.legacy_version = 0x0303, .versions = only_13,
			 .n_versions = 1, .unknown_exts = 5000};
	size_t len;
	pl_tls_conn_t *s = server_fed_big(&b, &len);
	expect_answered(s, "5000 unknown extensions");
	pl_tls_conn_free(s);
}

/* RFC 8446 4.2: still at most one of each, however many there are. */
static void server_refuses_a_repeat_among_5000_extensions(void)
{
	big_hello_t b = {.legacy_version = 0x0303, .versions = only_13,
			 .n_versions = 1, .unknown_exts = 5000,
			 .repeat_last = true};
	size_t len;
	pl_tls_conn_t *s = server_fed_big(&b, &len);
	expect_alert(s, PL_ALERT_ILLEGAL_PARAMETER, true);
	pl_tls_conn_free(s);
}

/* RFC 8446 4.2.8: shares for groups the server does not know are
 * skipped; there is no cap on their number. */
static void server_answers_hello_with_1000_key_shares(void)
{
	big_hello_t b = {.legacy_version = 0x0303, .versions = only_13,
			 .n_versions = 1, .extra_shares = 1000};
	size_t len;
	pl_tls_conn_t *s = server_fed_big(&b, &len);
	expect_answered(s, "1000 key shares");
	pl_tls_conn_free(s);
}

/* Above the 64 KiB cap of other messages: 30000 cipher suites and a
 * large padding extension make a ClientHello of about 120 KB, legal and
 * answered (the limit is PL_TLS_MAX_CLIENT_HELLO, every length full). */
static void server_answers_client_hello_of_120_kilobytes(void)
{
	big_hello_t b = {.legacy_version = 0x0303, .versions = only_13,
			 .n_versions = 1, .extra_suites = 30000,
			 .padding = 60000};
	size_t len;
	pl_tls_conn_t *s = server_fed_big(&b, &len);
	CHECK_MSG(len > 120000, "the hello is %zu bytes", len);
	expect_answered(s, "a ClientHello over 64 KiB");
	pl_tls_conn_free(s);
}

/* The client's Finished claims megabytes: refused from its header (the
 * body never comes), decode_error (RFC 8446 4.4.4: verify_data is
 * Hash.length bytes). */
static void server_rejects_finished_with_megabytes_of_trailing_bytes(void)
{
	session_t s;
	uint8_t fin[4] = {PL_HS_FINISHED, 0x20, 0x00, 0x20};
	session_new(&s);
	session_until_client_finished(&s);
	client_record_to_server(&s, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 0,
				PL_CT_HANDSHAKE, fin, sizeof(fin), 0);
	expect_alert_reaches(s.p.server, s.p.client, PL_ALERT_DECODE_ERROR);
	session_free(&s);
}

/* A Finished one byte too long is refused the same way. */
static void server_rejects_finished_one_byte_too_long(void)
{
	session_t s;
	uint8_t fin[4 + PL_HASH_MAX + 1] = {PL_HS_FINISHED, 0, 0, 0};
	session_new(&s);
	session_until_client_finished(&s);
	size_t len = pl_tls_suite(s.p.client) == PL_TLS_AES_256_GCM_SHA384
			     ? 48 : 32;
	fin[3] = (uint8_t)(len + 1);
	client_record_to_server(&s, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", 0,
				PL_CT_HANDSHAKE, fin, 4 + len + 1, 0);
	expect_alert_reaches(s.p.server, s.p.client, PL_ALERT_DECODE_ERROR);
	session_free(&s);
}

/* RFC 8446 4.6.3: a KeyUpdate is one byte; one with extra bytes, whose
 * header alone has come, is decode_error. */
static void server_rejects_key_update_with_extra_bytes(void)
{
	session_t s;
	static const uint8_t ku[4] = {PL_HS_KEY_UPDATE, 0, 0, 3};
	if (session_connected(&s)) {
		client_record_to_server(&s, "CLIENT_TRAFFIC_SECRET_0", 0,
					PL_CT_HANDSHAKE, ku, sizeof(ku), 0);
		expect_alert_reaches(s.p.server, s.p.client,
				     PL_ALERT_DECODE_ERROR);
	}
	session_free(&s);
}

/* RFC 9846 E.2: a TLS 1.2 ClientHello (no supported_versions) to a server
 * that speaks only TLS 1.3 is protocol_version. */
static void server_refuses_tls12_hello_with_protocol_version(void)
{
	big_hello_t b = {.legacy_version = 0x0303};
	size_t len;
	pl_tls_conn_t *s = server_cfg_fed_big(server13_cfg, &b, &len);
	expect_alert(s, PL_ALERT_PROTOCOL_VERSION, true);
	pl_tls_conn_free(s);
}

/* RFC 7507 3: a client that fell back to TLS 1.2 (TLS_FALLBACK_SCSV)
 * while the server speaks TLS 1.3 is told inappropriate_fallback. */
static void server_refuses_fallback_with_inappropriate_fallback(void)
{
	big_hello_t b = {.legacy_version = 0x0303, .fallback_scsv = true};
	size_t len;
	pl_tls_conn_t *s = server_fed_big(&b, &len);
	expect_alert(s, PL_ALERT_INAPPROPRIATE_FALLBACK, true);
	pl_tls_conn_free(s);
}

/* RFC 8446 4.2.1: only unknown or draft versions (TLS 1.3 draft 28,
 * 0x7f1c; a future 0x0305; GREASE) are ignored, which leaves none. */
static void server_refuses_only_unknown_or_draft_versions(void)
{
	static const uint16_t drafts[] = {0x7f1c, 0x0305, 0x5a5a};
	big_hello_t b = {.legacy_version = 0x0303, .versions = drafts,
			 .n_versions = 3};
	size_t len;
	pl_tls_conn_t *s = server_fed_big(&b, &len);
	expect_alert(s, PL_ALERT_PROTOCOL_VERSION, true);
	pl_tls_conn_free(s);
}

/* RFC 8446 4.2.1: TLS 1.3 among unknown versions, and the fallback
 * signal beside supported_versions, are a TLS 1.3 handshake. */
static void server_takes_tls13_among_unknown_versions(void)
{
	static const uint16_t mixed[] = {0x0305, 0x7f1c, PL_TLS_VERSION_13,
					 PL_TLS_VERSION_12};
	big_hello_t b = {.legacy_version = 0x0303, .versions = mixed,
			 .n_versions = 4, .fallback_scsv = true};
	size_t len;
	pl_tls_conn_t *s = server_fed_big(&b, &len);
	expect_answered(s, "TLS 1.3 among unknown versions");
	CHECK_EQ_INT(pl_tls_version(s), PL_TLS_VERSION_13);
	pl_tls_conn_free(s);
}

int main(void)
{
	static const char *const chains[] = {"p256", NULL};
	ep_setup();
	make_key_shares();
	server_cfg = ep_server_config(chains);
	server13_cfg = ep_server_config(chains);
	if (pl_tls_config_set_versions(server13_cfg, PL_TLS_VERSION_13,
				       PL_TLS_VERSION_13))
		abort();

	RUN(server_accepts_the_unbroken_hello);
	RUN(server_ignores_grease);
	RUN(server_answers_empty_key_share_with_hello_retry);
	RUN(server_rejects_truncated_client_hello);
	RUN(server_rejects_extensions_longer_than_the_hello);
	RUN(server_rejects_key_share_longer_than_its_extension);
	RUN(server_rejects_session_id_over_32_bytes);
	RUN(server_rejects_trailing_bytes_after_extensions);
	RUN(server_rejects_duplicate_extension);
	RUN(server_rejects_missing_supported_versions);
	RUN(server_rejects_supported_versions_without_tls13);
	RUN(server_rejects_missing_key_share);
	RUN(server_rejects_missing_signature_algorithms);
	RUN(server_rejects_key_share_not_in_supported_groups);
	RUN(server_rejects_duplicate_key_share_group);
	RUN(server_rejects_legacy_version_0301);
	RUN(server_rejects_compression);
	RUN(server_rejects_compression_list_with_null_and_more);
	RUN(server_rejects_only_unknown_suites);
	RUN(server_rejects_no_common_group);
	RUN(server_rejects_empty_cipher_suites);
	RUN(server_rejects_odd_cipher_suites);
	RUN(server_rejects_pre_shared_key_not_last);
	RUN(server_rejects_malformed_server_name);
	RUN(server_rejects_alpn_with_an_empty_name);
	RUN(server_rejects_record_size_limit_below_64);
	RUN(server_rejects_invalid_x25519_share);
	RUN(server_rejects_p256_share_off_the_curve);
	RUN(server_rejects_second_hello_without_the_share_asked_for);
	RUN(server_rejects_forged_cookie);
	RUN(server_rejects_plaintext_record_over_16k);
	RUN(server_rejects_unknown_content_type);
	RUN(server_rejects_application_data_before_the_handshake);
	RUN(server_rejects_ccs_before_client_hello);
	RUN(server_rejects_client_hello_over_its_syntactic_maximum);
	RUN(server_rejects_finished_before_client_hello);
	RUN(server_rejects_three_byte_alert);
	RUN(server_answers_hello_with_20000_signature_schemes);
	RUN(server_answers_hello_with_5000_unknown_extensions);
	RUN(server_refuses_a_repeat_among_5000_extensions);
	RUN(server_answers_hello_with_1000_key_shares);
	RUN(server_answers_client_hello_of_120_kilobytes);
	RUN(server_rejects_finished_with_megabytes_of_trailing_bytes);
	RUN(server_rejects_finished_one_byte_too_long);
	RUN(server_rejects_key_update_with_extra_bytes);
	RUN(server_refuses_tls12_hello_with_protocol_version);
	RUN(server_refuses_fallback_with_inappropriate_fallback);
	RUN(server_refuses_only_unknown_or_draft_versions);
	RUN(server_takes_tls13_among_unknown_versions);
	RUN(server_fails_cleanly_when_its_output_cannot_grow);
	RUN(client_fails_cleanly_when_application_data_cannot_be_kept);
	RUN(server_rejects_empty_handshake_record);
	RUN(server_rejects_ccs_with_a_wrong_byte);
	RUN(server_rejects_bad_client_finished);
	RUN(server_rejects_application_data_before_finished);
	RUN(server_rejects_second_client_hello_after_handshake);
	RUN(server_rejects_plaintext_client_hello_after_handshake);
	RUN(server_rejects_flipped_bit_in_record);
	RUN(server_rejects_oversized_protected_record);
	RUN(server_rejects_protected_plaintext_over_16k);
	RUN(server_rejects_ccs_after_handshake);
	RUN(server_rejects_protected_ccs);
	RUN(server_rejects_record_without_content_type);
	RUN(server_rejects_protected_record_of_unknown_type);
	RUN(server_rejects_key_update_with_bad_request);
	RUN(server_rejects_new_session_ticket);
	RUN(server_rejects_key_update_before_finished);
	RUN(server_rejects_unrequested_client_certificate);
	RUN(server_rejects_client_hello_coalesced_with_more);
	RUN(server_rejects_application_data_inside_a_handshake_message);
	RUN(server_rejects_protected_record_shorter_than_a_tag);
	RUN(server_rejects_truncated_record_then_close);
	RUN(client_accepts_the_unbroken_server_hello);
	RUN(client_rejects_truncated_server_hello);
	RUN(client_rejects_suite_not_offered);
	RUN(client_rejects_server_hello_without_supported_versions);
	RUN(client_rejects_downgrade_sentinel);
	RUN(client_rejects_supported_versions_tls12);
	RUN(client_rejects_wrong_session_id_echo);
	RUN(client_rejects_server_hello_compression);
	RUN(client_rejects_key_share_group_mismatch);
	RUN(client_rejects_invalid_key_share_point);
	RUN(client_rejects_server_hello_without_key_share);
	RUN(client_rejects_unsolicited_extension);
	RUN(client_rejects_extension_not_for_server_hello);
	RUN(client_rejects_second_hello_retry_request);
	RUN(client_rejects_hello_retry_for_the_group_sent);
	RUN(client_rejects_hello_retry_for_a_group_not_offered);
	RUN(client_rejects_hello_retry_without_change);
	RUN(client_accepts_server_hello_after_hello_retry);
	RUN(client_rejects_server_hello_changing_the_hrr_suite);
	RUN(client_rejects_server_hello_group_not_the_hrr_group);
	RUN(client_rejects_hello_retry_with_unoffered_extension);
	RUN(client_rejects_hello_retry_with_empty_cookie);
	RUN(client_rejects_encrypted_extensions_with_key_share);
	RUN(client_rejects_unoffered_alpn);
	RUN(client_rejects_duplicate_encrypted_extension);
	RUN(client_rejects_empty_certificate);
	RUN(client_rejects_certificate_verify_with_pkcs1);
	RUN(client_rejects_finished_coalesced_with_more);
	RUN(client_rejects_bad_certificate_verify);
	RUN(client_rejects_bad_server_finished);
	RUN(client_rejects_missing_certificate_verify);
	RUN(client_rejects_flipped_bit_in_record);
	RUN(client_rejects_post_handshake_certificate_request);
	RUN(server_rejects_invalid_shares_in_every_group);

	pl_tls_config_free(server_cfg);
	pl_tls_config_free(server13_cfg);
	return test_finish();
}
