/*
 * TLS 1.2 hostile input: each malformed or out-of-place message, record or
 * alert gets the exact alert RFC 5246 (and 8422, 7627, 5746, 6066) names,
 * on both sides. The peer is a real padlock client or server; its bytes
 * are cut, reordered, edited through the codecs, or sealed with its own
 * keys (tests see the engine's private header) to make the attack.
 */
#include "engine_pair.h"

static pl_tls_config_t *server_cfg; /* P-256 and RSA chains, defaults */
static pl_tls_config_t *client_cfg; /* TLS 1.2 only */

/* A client (TLS 1.2 only) and a server; the server has read the client's
 * hello and holds its first flight (not yet moved). */
static void started(ep_pair_t *p)
{
	ep_pair_new(p, client_cfg, server_cfg, "localhost");
	if (!ep_move(p->client, p->server) || pl_tls_failed(p->server))
		abort();
}

/* One record of type holding data, fed to c. */
static void feed_record(pl_tls_conn_t *c, uint8_t type, const uint8_t *data,
			size_t len)
{
	pl_buf_t b = PL_BUF_INIT;
	pl_push_u8(&b, type);
	pl_push_u16(&b, 0x0303);
	pl_push_open(&b, 2);
	pl_push_bytes(&b, data, len);
	pl_push_close(&b);
	if (pl_buf_error(&b))
		abort();
	(void)pl_tls_feed(c, pl_buf_head(&b), pl_buf_size(&b));
	pl_buf_free(&b);
}

/* A handshake message: header and body. */
static void feed_message(pl_tls_conn_t *c, uint8_t type, const uint8_t *body,
			 size_t len)
{
	pl_buf_t m = PL_BUF_INIT;
	pl_push_u8(&m, type);
	pl_push_open(&m, 3);
	pl_push_bytes(&m, body, len);
	pl_push_close(&m);
	feed_record(c, PL_CT_HANDSHAKE, pl_buf_head(&m), pl_buf_size(&m));
	pl_buf_free(&m);
}

static void expect_alert(const pl_tls_conn_t *c, int alert)
{
	CHECK(pl_tls_failed(c));
	CHECK_MSG(pl_tls_alert(c) == alert && !pl_tls_alert_received(c),
		  "alert %s (%s), expected %s", pl_tls_alert_name(pl_tls_alert(c)),
		  pl_tls_reason(c), pl_tls_alert_name(alert));
	if (pl_tls_failed(c))
		printf("     %s: %s\n", pl_tls_alert_name(pl_tls_alert(c)),
		       pl_tls_reason(c));
}

/* ---- the server ----------------------------------------------------------- */

/* RFC 5246 7.1: change_cipher_spec only after the ClientKeyExchange. */
static void server_refuses_ccs_before_key_exchange(void)
{
	static const uint8_t ccs = 1;
	ep_pair_t p;
	started(&p);
	feed_record(p.server, PL_CT_CHANGE_CIPHER_SPEC, &ccs, 1);
	expect_alert(p.server, PL_ALERT_UNEXPECTED_MESSAGE);
	ep_pair_free(&p);
}

/* RFC 5246 7.4: each message in its place; anything else is
 * unexpected_message. */
static void server_refuses_messages_out_of_order(void)
{
	static const uint8_t fin[12];
	static const uint8_t types[] = {PL_HS_FINISHED, PL_HS_CERTIFICATE,
					PL_HS_SERVER_HELLO,
					PL_HS_SERVER_KEY_EXCHANGE,
					PL_HS_CERTIFICATE_VERIFY,
					PL_HS_CLIENT_HELLO, PL_HS_KEY_UPDATE,
					PL_HS_NEW_SESSION_TICKET};
	for (size_t i = 0; i < sizeof(types); i++) {
		ep_pair_t p;
		started(&p);
		feed_message(p.server, types[i], fin, sizeof(fin));
		expect_alert(p.server, PL_ALERT_UNEXPECTED_MESSAGE);
		ep_pair_free(&p);
	}
}

/* RFC 8422 5.11, RFC 7748 6: a point off the curve, of the wrong length,
 * or giving an all-zero X25519 secret is illegal_parameter; an empty or
 * malformed ClientKeyExchange is decode_error. */
static void server_refuses_bad_client_key_exchange(void)
{
	static const struct {
		uint8_t body[40];
		size_t len;
		int alert;
	} cases[] = {
		{{32}, 33, PL_ALERT_ILLEGAL_PARAMETER},      /* zero point */
		{{31, 9}, 32, PL_ALERT_ILLEGAL_PARAMETER},   /* short */
		{{33, 9}, 34, PL_ALERT_ILLEGAL_PARAMETER},   /* long */
		{{0}, 1, PL_ALERT_DECODE_ERROR},             /* empty */
		{{32, 9}, 34, PL_ALERT_DECODE_ERROR},        /* trailing byte */
		{{40, 9}, 20, PL_ALERT_DECODE_ERROR},        /* cut short */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ep_pair_t p;
		started(&p);
		CHECK_EQ_INT(pl_tls_group(p.server), PL_GROUP_X25519);
		feed_message(p.server, PL_HS_CLIENT_KEY_EXCHANGE, cases[i].body,
			     cases[i].len);
		expect_alert(p.server, cases[i].alert);
		ep_pair_free(&p);
	}
}

/* A P-256 point that is not on the curve (x = 1, y = 1). */
static void server_refuses_point_off_the_curve(void)
{
	uint8_t body[66] = {65, 4};
	uint16_t group = PL_GROUP_SECP256R1;
	pl_tls_config_t *ccfg = ep_client_config();
	ep_pair_t p;
	body[33] = 1;
	body[65] = 1;
	if (pl_tls_config_set_versions(ccfg, PL_TLS_VERSION_12,
				       PL_TLS_VERSION_12) ||
	    pl_tls_config_set_groups(ccfg, &group, 1))
		abort();
	ep_pair_new(&p, ccfg, server_cfg, "localhost");
	ep_move(p.client, p.server);
	CHECK_EQ_INT(pl_tls_group(p.server), PL_GROUP_SECP256R1);
	feed_message(p.server, PL_HS_CLIENT_KEY_EXCHANGE, body, sizeof(body));
	expect_alert(p.server, PL_ALERT_ILLEGAL_PARAMETER);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
}

/* The records a connection has queued, one per call: *type, body and
 * length; false when none is left. */
static bool next_record(const uint8_t **out, size_t *n, uint8_t *type,
			const uint8_t **body, size_t *len)
{
	if (*n < 5)
		return false;
	*type = (*out)[0];
	*len = (size_t)(*out)[3] << 8 | (*out)[4];
	*body = *out + 5;
	*out += 5 + *len;
	*n -= 5 + *len;
	return true;
}

/* The client's second flight read up to its change_cipher_spec; the
 * client's own Finished record is dropped, and the client's write
 * sequence rewound, so the test seals its own Finished in its place. */
static void server_waits_for_finished(ep_pair_t *p)
{
	size_t n;
	const uint8_t *out, *body;
	uint8_t type;
	size_t len;
	started(p);
	ep_move(p->server, p->client);
	out = pl_tls_output(p->client, &n);
	size_t total = n;
	while (next_record(&out, &n, &type, &body, &len)) {
		feed_record(p->server, type, body, len);
		if (type == PL_CT_CHANGE_CIPHER_SPEC)
			break;
	}
	pl_tls_output_consumed(p->client, total);
	p->client->wr.prot.seq = 0;
}

/* RFC 5246 7.4.9: a Finished that does not match is decrypt_error; one of
 * the wrong length decode_error. */
static void server_refuses_wrong_finished(void)
{
	uint8_t fin[4 + 13] = {PL_HS_FINISHED, 0, 0, 12};
	ep_pair_t p;
	server_waits_for_finished(&p);
	CHECK(!pl_tls_failed(p.server));
	CHECK(pl_tls_record_write(p.client, PL_CT_HANDSHAKE, fin, 16) == PL_OK);
	ep_move(p.client, p.server);
	expect_alert(p.server, PL_ALERT_DECRYPT_ERROR);
	ep_pair_free(&p);

	fin[3] = 13;
	server_waits_for_finished(&p);
	CHECK(pl_tls_record_write(p.client, PL_CT_HANDSHAKE, fin, 17) == PL_OK);
	ep_move(p.client, p.server);
	expect_alert(p.server, PL_ALERT_DECODE_ERROR);
	ep_pair_free(&p);
}

/* RFC 5246 6.2.3.3: a record that does not authenticate is
 * bad_record_mac; application data before the Finished is
 * unexpected_message; a second change_cipher_spec too. */
static void server_refuses_bad_records_after_ccs(void)
{
	static const uint8_t ccs = 1, zeros[40];
	ep_pair_t p;
	server_waits_for_finished(&p);
	feed_record(p.server, PL_CT_HANDSHAKE, zeros, sizeof(zeros));
	expect_alert(p.server, PL_ALERT_BAD_RECORD_MAC);
	ep_pair_free(&p);

	server_waits_for_finished(&p);
	CHECK(pl_tls_record_write(p.client, PL_CT_APPLICATION_DATA,
				  (const uint8_t *)"early", 5) == PL_OK);
	ep_move(p.client, p.server);
	expect_alert(p.server, PL_ALERT_UNEXPECTED_MESSAGE);
	ep_pair_free(&p);

	server_waits_for_finished(&p);
	feed_record(p.server, PL_CT_CHANGE_CIPHER_SPEC, &ccs, 1);
	expect_alert(p.server, PL_ALERT_UNEXPECTED_MESSAGE);
	ep_pair_free(&p);

	/* 16 bytes cannot hold GCM's explicit nonce and tag. */
	server_waits_for_finished(&p);
	feed_record(p.server, PL_CT_HANDSHAKE, zeros, 16);
	expect_alert(p.server, PL_ALERT_BAD_RECORD_MAC);
	ep_pair_free(&p);
}

/* Moves bytes one at a time, both ways, until both are quiet. */
static void pump_bytewise(ep_pair_t *p)
{
	for (int round = 0; round < 64; round++) {
		bool moved = false;
		pl_tls_conn_t *from[2] = {p->client, p->server};
		pl_tls_conn_t *to[2] = {p->server, p->client};
		for (int k = 0; k < 2; k++) {
			size_t n;
			const uint8_t *out = pl_tls_output(from[k], &n);
			if (n == 0)
				continue;
			uint8_t *copy = malloc(n);
			if (copy == NULL)
				abort();
			memcpy(copy, out, n);
			pl_tls_output_consumed(from[k], n);
			for (size_t i = 0; i < n; i++)
				(void)pl_tls_feed(to[k], copy + i, 1);
			free(copy);
			moved = true;
		}
		if (!moved)
			return;
	}
}

/* Records and handshake messages split at every byte still make a
 * handshake. */
static void records_split_at_every_byte(void)
{
	ep_pair_t p;
	ep_pair_new(&p, client_cfg, server_cfg, "localhost");
	pump_bytewise(&p);
	CHECK_MSG(pl_tls_handshake_done(p.client) &&
			  pl_tls_handshake_done(p.server),
		  "client '%s', server '%s'", pl_tls_reason(p.client),
		  pl_tls_reason(p.server));
	CHECK(ep_send(&p, true, "split", 5));
	ep_pair_free(&p);
}

/* Every alert a client may send during the handshake ends it; the server
 * keeps the alert it received. A malformed alert is decode_error. */
static void server_takes_alerts_of_every_kind(void)
{
	static const uint8_t codes[] = {10, 20, 21, 22, 30, 40, 41, 42, 43,
					44, 45, 46, 47, 48, 49, 50, 51, 60,
					70, 71, 80, 86, 100, 109, 110, 112,
					113, 115, 116, 120, 255};
	for (size_t i = 0; i < sizeof(codes); i++) {
		uint8_t alert[2] = {2, codes[i]};
		ep_pair_t p;
		started(&p);
		feed_record(p.server, PL_CT_ALERT, alert, 2);
		CHECK(pl_tls_failed(p.server));
		CHECK(pl_tls_alert_received(p.server));
		CHECK_EQ_INT(pl_tls_alert(p.server), codes[i]);
		ep_pair_free(&p);
	}
	uint8_t close[2] = {1, 0}, bad[3] = {2, 40, 0};
	ep_pair_t p;
	started(&p);
	feed_record(p.server, PL_CT_ALERT, close, 2);
	CHECK(pl_tls_peer_closed(p.server));
	ep_pair_free(&p);
	started(&p);
	feed_record(p.server, PL_CT_ALERT, bad, 3);
	expect_alert(p.server, PL_ALERT_DECODE_ERROR);
	ep_pair_free(&p);
}

/* After the handshake, alerts arrive protected; each fatal one ends the
 * connection with what it says, close_notify closes it, on both sides. */
static void protected_alerts_of_every_kind(void)
{
	static const uint8_t codes[] = {10, 20, 22, 40, 42, 45, 47, 50, 51,
					70, 80, 86, 100, 110, 255};
	for (size_t i = 0; i < sizeof(codes); i++)
		for (int from_client = 0; from_client < 2; from_client++) {
			uint8_t alert[2] = {2, codes[i]};
			ep_pair_t p;
			ep_pair_new(&p, client_cfg, server_cfg, "localhost");
			CHECK(ep_handshake(&p));
			pl_tls_conn_t *from = from_client ? p.client : p.server;
			pl_tls_conn_t *to = from_client ? p.server : p.client;
			CHECK(pl_tls_record_write(from, PL_CT_ALERT, alert, 2) ==
			      PL_OK);
			ep_move(from, to);
			CHECK(pl_tls_failed(to) && pl_tls_alert_received(to));
			CHECK_EQ_INT(pl_tls_alert(to), codes[i]);
			ep_pair_free(&p);
		}
	ep_pair_t p;
	ep_pair_new(&p, client_cfg, server_cfg, "localhost");
	CHECK(ep_handshake(&p));
	CHECK(pl_tls_close(p.client) == PL_OK);
	ep_move(p.client, p.server);
	CHECK(pl_tls_peer_closed(p.server) && !pl_tls_failed(p.server));
	ep_pair_free(&p);
}

/* The client gets every alert in plaintext while it waits for the
 * server's certificate. */
static void client_takes_alerts_of_every_kind(void)
{
	static const uint8_t codes[] = {10, 40, 47, 50, 70, 71, 80, 86, 112};
	for (size_t i = 0; i < sizeof(codes); i++) {
		uint8_t alert[2] = {2, codes[i]};
		ep_pair_t p;
		started(&p);
		feed_record(p.client, PL_CT_ALERT, alert, 2);
		CHECK(pl_tls_failed(p.client) && pl_tls_alert_received(p.client));
		CHECK_EQ_INT(pl_tls_alert(p.client), codes[i]);
		ep_pair_free(&p);
	}
}

/* After change_cipher_spec only Finished: a second ClientKeyExchange,
 * sealed with the client's keys, is unexpected_message. */
static void server_refuses_other_messages_after_ccs(void)
{
	static const uint8_t cke[4 + 33] = {PL_HS_CLIENT_KEY_EXCHANGE, 0, 0,
					    33, 32, 9};
	ep_pair_t p;
	server_waits_for_finished(&p);
	CHECK(pl_tls_record_write(p.client, PL_CT_HANDSHAKE, cke,
				  sizeof(cke)) == PL_OK);
	ep_move(p.client, p.server);
	expect_alert(p.server, PL_ALERT_UNEXPECTED_MESSAGE);
	ep_pair_free(&p);
}

/* RFC 6520 heartbeat records (content type 24) are not TLS padlock
 * speaks: unexpected_message, before or after the handshake; the
 * heartbeat extension is not answered. */
static void server_refuses_heartbeat(void)
{
	static const uint8_t request[] = {1, 0x40, 0x00, 'h', 'i'};
	ep_pair_t p;
	started(&p);
	feed_record(p.server, 24, request, sizeof(request));
	expect_alert(p.server, PL_ALERT_UNEXPECTED_MESSAGE);
	ep_pair_free(&p);
	ep_pair_new(&p, client_cfg, server_cfg, "localhost");
	CHECK(ep_handshake(&p));
	feed_record(p.server, 24, request, sizeof(request));
	expect_alert(p.server, PL_ALERT_UNEXPECTED_MESSAGE);
	ep_pair_free(&p);
}

/* ---- ClientHellos the TLS 1.2 server judges ---------------------------------- */

typedef void (*edit_fn)(pl_msg_client_hello_t *ch, pl_buf_t *scratch);

/* The TLS 1.2 client's hello, edited through the codec, fed to a fresh
 * server. */
static pl_tls_conn_t *server_fed_hello(edit_fn edit)
{
	pl_tls_conn_t *c = pl_tls_conn_new(client_cfg, "localhost");
	size_t n;
	const uint8_t *out = pl_tls_output(c, &n);
	pl_msg_client_hello_t ch;
	pl_msg_err_t err;
	pl_reader_t body;
	pl_buf_t msg = PL_BUF_INIT, scratch = PL_BUF_INIT;
	pl_reader_init(&body, out + 9, n - 9);
	if (pl_msg_client_hello_parse(&body, &ch, &err))
		abort();
	edit(&ch, &scratch);
	pl_push_u8(&msg, PL_HS_CLIENT_HELLO);
	pl_push_open(&msg, 3);
	pl_msg_client_hello_write(&msg, &ch);
	pl_push_close(&msg);
	pl_tls_conn_t *s = pl_tls_conn_new(server_cfg, NULL);
	feed_record(s, PL_CT_HANDSHAKE, pl_buf_head(&msg), pl_buf_size(&msg));
	pl_buf_free(&msg);
	pl_buf_free(&scratch);
	pl_tls_conn_free(c);
	return s;
}

static void renegotiation_info_not_empty(pl_msg_client_hello_t *ch,
					 pl_buf_t *scratch)
{
	pl_push_bytes(scratch, "twelve bytes", 12);
	pl_reader_init(&ch->ext.renegotiation, pl_buf_head(scratch), 12);
}

static void compression_without_null(pl_msg_client_hello_t *ch,
				     pl_buf_t *scratch)
{
	pl_push_u8(scratch, 1);
	pl_reader_init(&ch->compression, pl_buf_head(scratch), 1);
}

static void point_formats_compressed_only(pl_msg_client_hello_t *ch,
					  pl_buf_t *scratch)
{
	pl_push_u8(scratch, 1);
	pl_reader_init(&ch->ext.point_formats, pl_buf_head(scratch), 1);
}

static uint16_t edited_suites[4];

static void only_cbc_and_rsa_kx(pl_msg_client_hello_t *ch, pl_buf_t *scratch)
{
	(void)scratch;
	edited_suites[0] = 0x002f; /* TLS_RSA_WITH_AES_128_CBC_SHA */
	edited_suites[1] = 0xc013; /* TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA */
	edited_suites[2] = 0x009e; /* TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 */
	ch->suites = pl_u16_list(edited_suites, 3);
}

static void only_sha1_schemes(pl_msg_client_hello_t *ch, pl_buf_t *scratch)
{
	static const uint16_t sha1[] = {0x0201, 0x0203}; /* rsa/ecdsa_sha1 */
	(void)scratch;
	ch->ext.schemes = pl_u16_list(sha1, 2);
}

static void only_ffdhe(pl_msg_client_hello_t *ch, pl_buf_t *scratch)
{
	static const uint16_t ff[] = {PL_GROUP_FFDHE2048};
	(void)scratch;
	ch->ext.groups = pl_u16_list(ff, 1);
}

static void legacy_version_tls11(pl_msg_client_hello_t *ch, pl_buf_t *scratch)
{
	(void)scratch;
	ch->legacy_version = PL_TLS_VERSION_11;
}

/* RFC 5746 3.6, 5246 7.4.1.2, 8422 5.1.2, 10015, 5246 7.4.1.4.1, 8996. */
static void server_judges_tls12_hellos(void)
{
	static const struct {
		const char *what;
		edit_fn edit;
		int alert;
	} cases[] = {
		{"renegotiation_info not empty", renegotiation_info_not_empty,
		 PL_ALERT_HANDSHAKE_FAILURE},
		{"no null compression", compression_without_null,
		 PL_ALERT_ILLEGAL_PARAMETER},
		{"no uncompressed points", point_formats_compressed_only,
		 PL_ALERT_ILLEGAL_PARAMETER},
		{"RSA key transport, CBC, DHE only", only_cbc_and_rsa_kx,
		 PL_ALERT_HANDSHAKE_FAILURE},
		{"SHA-1 signatures only", only_sha1_schemes,
		 PL_ALERT_HANDSHAKE_FAILURE},
		{"ffdhe only", only_ffdhe, PL_ALERT_HANDSHAKE_FAILURE},
		{"TLS 1.1", legacy_version_tls11, PL_ALERT_PROTOCOL_VERSION},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pl_tls_conn_t *s = server_fed_hello(cases[i].edit);
		CHECK_MSG(pl_tls_alert(s) == cases[i].alert, "%s: %s (%s)",
			  cases[i].what, pl_tls_alert_name(pl_tls_alert(s)),
			  pl_tls_reason(s));
		pl_tls_conn_free(s);
	}
}

/* ---- the client ------------------------------------------------------------- */

/* The server's first flight as handshake messages (type, body). */
typedef struct {
	uint8_t type;
	uint8_t body[4096];
	size_t len;
} msg_t;

static size_t server_flight(ep_pair_t *p, msg_t *m, size_t cap)
{
	size_t n, k = 0, len;
	const uint8_t *out, *body;
	uint8_t type;
	pl_buf_t hs = PL_BUF_INIT;
	started(p);
	out = pl_tls_output(p->server, &n);
	size_t total = n;
	while (next_record(&out, &n, &type, &body, &len))
		pl_push_bytes(&hs, body, len);
	pl_tls_output_consumed(p->server, total);
	pl_reader_t r;
	pl_reader_init(&r, pl_buf_head(&hs), pl_buf_size(&hs));
	while (pl_reader_left(&r) > 0 && k < cap) {
		pl_reader_t b;
		if (pl_read_u8(&r, &m[k].type) || pl_read_vec24(&r, &b) ||
		    pl_reader_left(&b) > sizeof(m[k].body))
			abort();
		m[k].len = pl_reader_left(&b);
		memcpy(m[k].body, b.p, m[k].len);
		k++;
	}
	pl_buf_free(&hs);
	return k;
}

static void feed_flight(pl_tls_conn_t *c, const msg_t *m, size_t n)
{
	for (size_t i = 0; i < n && !pl_tls_failed(c); i++)
		feed_message(c, m[i].type, m[i].body, m[i].len);
}

/* Index of the message of type in the flight. */
static size_t find(const msg_t *m, size_t n, uint8_t type)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].type == type)
			return i;
	abort();
}

static void client_refuses_tampered_flight(void)
{
	msg_t m[6];
	ep_pair_t p;
	size_t n, i;

	/* RFC 5246 7.4.3: the signature covers both randoms and the key. */
	n = server_flight(&p, m, 6);
	i = find(m, n, PL_HS_SERVER_KEY_EXCHANGE);
	m[i].body[5] ^= 0x01; /* a byte of the public key */
	feed_flight(p.client, m, n);
	expect_alert(p.client, PL_ALERT_DECRYPT_ERROR);
	ep_pair_free(&p);

	/* RFC 8422 5.4: explicit curves are not accepted. */
	n = server_flight(&p, m, 6);
	i = find(m, n, PL_HS_SERVER_KEY_EXCHANGE);
	m[i].body[0] = 1;
	feed_flight(p.client, m, n);
	expect_alert(p.client, PL_ALERT_ILLEGAL_PARAMETER);
	ep_pair_free(&p);

	/* A group the client did not offer. */
	n = server_flight(&p, m, 6);
	i = find(m, n, PL_HS_SERVER_KEY_EXCHANGE);
	m[i].body[2] = 0x02; /* 0x001d -> 0x0002, no group padlock offers */
	feed_flight(p.client, m, n);
	expect_alert(p.client, PL_ALERT_ILLEGAL_PARAMETER);
	ep_pair_free(&p);

	/* ServerHello: a suite that was not offered (TLS 1.3's). */
	n = server_flight(&p, m, 6);
	m[0].body[2 + 32 + 1 + m[0].body[34]] = 0x13;
	m[0].body[2 + 32 + 1 + m[0].body[34] + 1] = 0x01;
	feed_flight(p.client, m, n);
	expect_alert(p.client, PL_ALERT_ILLEGAL_PARAMETER);
	ep_pair_free(&p);

	/* Messages out of order: ServerHelloDone before the key exchange,
	 * the key exchange twice. */
	n = server_flight(&p, m, 6);
	feed_message(p.client, m[0].type, m[0].body, m[0].len);
	feed_message(p.client, m[1].type, m[1].body, m[1].len);
	feed_message(p.client, PL_HS_SERVER_HELLO_DONE, NULL, 0);
	expect_alert(p.client, PL_ALERT_UNEXPECTED_MESSAGE);
	ep_pair_free(&p);

	/* A CertificateStatus nobody asked for. */
	n = server_flight(&p, m, 6);
	feed_message(p.client, m[0].type, m[0].body, m[0].len);
	feed_message(p.client, m[1].type, m[1].body, m[1].len);
	static const uint8_t status[] = {1, 0, 0, 1, 0x30};
	feed_message(p.client, PL_HS_CERTIFICATE_STATUS, status, sizeof(status));
	expect_alert(p.client, PL_ALERT_UNEXPECTED_MESSAGE);
	ep_pair_free(&p);

	/* A ServerHelloDone with a body. */
	n = server_flight(&p, m, 6);
	i = find(m, n, PL_HS_SERVER_HELLO_DONE);
	m[i].len = 1;
	feed_flight(p.client, m, n);
	expect_alert(p.client, PL_ALERT_DECODE_ERROR);
	ep_pair_free(&p);
}

/* The client gets a change_cipher_spec before it sent its key exchange. */
static void client_refuses_early_ccs(void)
{
	static const uint8_t ccs = 1;
	msg_t m[6];
	ep_pair_t p;
	size_t n = server_flight(&p, m, 6);
	feed_message(p.client, m[0].type, m[0].body, m[0].len);
	feed_record(p.client, PL_CT_CHANGE_CIPHER_SPEC, &ccs, 1);
	expect_alert(p.client, PL_ALERT_UNEXPECTED_MESSAGE);
	(void)n;
	ep_pair_free(&p);
}

/* RFC 5246 7.4.9 from the client's side: the server's change_cipher_spec
 * arrives (after its NewSessionTicket), then a Finished sealed with the
 * server's keys that does not match: decrypt_error. */
static void client_refuses_wrong_server_finished(void)
{
	static const uint8_t fin[16] = {PL_HS_FINISHED, 0, 0, 12};
	ep_pair_t p;
	size_t n, len, total;
	const uint8_t *out, *body;
	uint8_t type;
	started(&p);
	ep_move(p.server, p.client);
	ep_move(p.client, p.server);
	CHECK(!pl_tls_failed(p.server));
	out = pl_tls_output(p.server, &n);
	total = n;
	/* the NewSessionTicket and change_cipher_spec, not the Finished */
	while (next_record(&out, &n, &type, &body, &len)) {
		feed_record(p.client, type, body, len);
		if (type == PL_CT_CHANGE_CIPHER_SPEC)
			break;
	}
	pl_tls_output_consumed(p.server, total);
	p.server->wr.prot.seq = 0;
	CHECK(pl_tls_record_write(p.server, PL_CT_HANDSHAKE, fin,
				  sizeof(fin)) == PL_OK);
	ep_move(p.server, p.client);
	expect_alert(p.client, PL_ALERT_DECRYPT_ERROR);
	ep_pair_free(&p);
}

int main(void)
{
	static const char *const chains[] = {"p256", "rsa", NULL};
	ep_setup();
	server_cfg = ep_server_config(chains);
	client_cfg = ep_client_config();
	if (pl_tls_config_set_versions(client_cfg, PL_TLS_VERSION_12,
				       PL_TLS_VERSION_12))
		abort();
	RUN(server_refuses_ccs_before_key_exchange);
	RUN(server_refuses_messages_out_of_order);
	RUN(server_refuses_bad_client_key_exchange);
	RUN(server_refuses_point_off_the_curve);
	RUN(server_refuses_wrong_finished);
	RUN(server_refuses_bad_records_after_ccs);
	RUN(records_split_at_every_byte);
	RUN(server_takes_alerts_of_every_kind);
	RUN(server_refuses_heartbeat);
	RUN(protected_alerts_of_every_kind);
	RUN(client_takes_alerts_of_every_kind);
	RUN(server_refuses_other_messages_after_ccs);
	RUN(server_judges_tls12_hellos);
	RUN(client_refuses_tampered_flight);
	RUN(client_refuses_early_ccs);
	RUN(client_refuses_wrong_server_finished);
	pl_tls_config_free(client_cfg);
	pl_tls_config_free(server_cfg);
	return test_finish();
}
