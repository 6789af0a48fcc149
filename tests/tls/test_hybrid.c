/*
 * The post-quantum hybrid group X25519MLKEM768 (RFC 10024) in the engine:
 * a client and a server in memory negotiate it by default, with a
 * HelloRetryRequest only when the server is configured so, fall back to
 * x25519 with a server that does not take it, carry its 1.2 KiB
 * ClientHello over any split of records and reads, and refuse every
 * malformed share (each wrong length, an invalid encapsulation key, an
 * invalid X25519 half) with illegal_parameter, on both sides.
 */
#include "engine_pair.h"

static const char *const chains[] = {"p256", NULL};
static pl_tls_config_t *server_default;

/* Sends a line each way; true when both arrive. */
static bool talk(ep_pair_t *p)
{
	static const char ping[] = "GET / HTTP/1.1\r\n\r\n";
	static const char pong[] = "HTTP/1.1 200 OK\r\n\r\n";

	return ep_send(p, true, ping, sizeof(ping) - 1) &&
	       ep_send(p, false, pong, sizeof(pong) - 1);
}

/* The server's trace of the ClientHello it received. */
static char hello_seen[512];

static void catch_hello(void *arg, const pl_tls_conn_t *conn,
			pl_tls_step_t step, const char *text)
{
	(void)arg;
	(void)conn;
	if (step == PL_STEP_CLIENT_HELLO)
		snprintf(hello_seen, sizeof(hello_seen), "%s", text);
}

/* Runs a handshake between a client offering client_groups (NULL: the
 * defaults) and server; checks both agree on want, and on whether a
 * HelloRetryRequest was made. */
static void negotiates(const uint16_t *client_groups, size_t n,
		       const pl_tls_config_t *server, uint16_t want, bool hrr)
{
	pl_tls_config_t *ccfg = ep_client_config();
	ep_pair_t p;

	if (client_groups != NULL)
		CHECK(pl_tls_config_set_groups(ccfg, client_groups, n) ==
		      PL_OK);
	ep_pair_new(&p, ccfg, server, "localhost");
	if (ep_handshake(&p)) {
		for (int side = 0; side < 2; side++) {
			pl_tls_conn_t *c = side ? p.server : p.client;
			CHECK_MSG(pl_tls_group(c) == want, "%s chose %s, not %s",
				  side ? "server" : "client",
				  pl_tls_group_name(pl_tls_group(c)),
				  pl_tls_group_name(want));
			CHECK_EQ_INT(pl_tls_did_hello_retry(c), hrr);
		}
		CHECK(talk(&p));
	} else {
		CHECK_MSG(false, "handshake for %s failed",
			  pl_tls_group_name(want));
	}
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
}

static pl_tls_config_t *server_with(const uint16_t *groups, size_t n)
{
	pl_tls_config_t *cfg = ep_server_config(chains);
	CHECK(pl_tls_config_set_groups(cfg, groups, n) == PL_OK);
	return cfg;
}

/* ---- negotiation --------------------------------------------------------- */

/* Default client and server: the hybrid group, in one round trip, and the
 * ClientHello carried two shares, the hybrid one first. */
static void default_client_and_server_negotiate_the_hybrid(void)
{
	pl_tls_config_t *scfg = ep_server_config(chains);

	pl_tls_config_set_trace(scfg, catch_hello, NULL);
	hello_seen[0] = '\0';
	negotiates(NULL, 0, scfg, PL_GROUP_X25519MLKEM768, false);
	CHECK_MSG(strstr(hello_seen, "key shares [X25519MLKEM768, x25519]") !=
			  NULL,
		  "server saw: %s", hello_seen);
	CHECK(strcmp(pl_tls_group_kind(PL_GROUP_X25519MLKEM768),
		     "post-quantum hybrid key exchange: X25519 + ML-KEM-768") ==
	      0);
	CHECK(pl_tls_group_is_post_quantum(PL_GROUP_X25519MLKEM768));
	CHECK(!pl_tls_group_is_post_quantum(PL_GROUP_X25519));
	pl_tls_config_free(scfg);
}

/* A server without the hybrid group takes the client's x25519 share: no
 * HelloRetryRequest. */
static void server_without_the_hybrid_takes_x25519(void)
{
	static const uint16_t classic[] = {PL_GROUP_X25519, PL_GROUP_SECP256R1};
	pl_tls_config_t *scfg = server_with(classic, 2);

	negotiates(NULL, 0, scfg, PL_GROUP_X25519, false);
	pl_tls_config_free(scfg);
}

/* A client that offers only classical groups gets x25519 from a default
 * server; one that offers x25519 first and the hybrid second too (its
 * share is x25519's). */
static void classical_client_gets_x25519(void)
{
	static const uint16_t x[] = {PL_GROUP_X25519, PL_GROUP_X25519MLKEM768};

	negotiates(x, 1, server_default, PL_GROUP_X25519, false);
	negotiates(x, 2, server_default, PL_GROUP_X25519, false);
}

/* A server that takes only the hybrid group asks for it by a
 * HelloRetryRequest from a client whose share was x25519's. */
static void hello_retry_for_the_hybrid_when_configured(void)
{
	static const uint16_t only[] = {PL_GROUP_X25519MLKEM768};
	static const uint16_t x[] = {PL_GROUP_X25519, PL_GROUP_X25519MLKEM768};
	pl_tls_config_t *scfg = server_with(only, 1);

	negotiates(x, 2, scfg, PL_GROUP_X25519MLKEM768, true);
	pl_tls_config_free(scfg);
}

/* A server that takes the hybrid group and x25519, given a P-256 share,
 * asks for x25519 (a round trip and 1 KiB less), never for the hybrid. */
static void hello_retry_prefers_a_classical_group(void)
{
	static const uint16_t server[] = {PL_GROUP_X25519MLKEM768,
					  PL_GROUP_X25519};
	static const uint16_t client[] = {PL_GROUP_SECP256R1,
					  PL_GROUP_X25519MLKEM768,
					  PL_GROUP_X25519};
	pl_tls_config_t *scfg = server_with(server, 2);

	negotiates(client, 3, scfg, PL_GROUP_X25519, true);
	pl_tls_config_free(scfg);
}

/* A client that offers the hybrid group alone and a server without it:
 * no group in common, handshake_failure. */
static void hybrid_only_client_and_classical_server_fail(void)
{
	static const uint16_t only[] = {PL_GROUP_X25519MLKEM768};
	static const uint16_t classic[] = {PL_GROUP_X25519};
	pl_tls_config_t *ccfg = ep_client_config();
	pl_tls_config_t *scfg = server_with(classic, 1);
	ep_pair_t p;

	CHECK(pl_tls_config_set_groups(ccfg, only, 1) == PL_OK);
	ep_pair_new(&p, ccfg, scfg, "localhost");
	ep_pump(&p);
	CHECK(pl_tls_failed(p.server));
	CHECK_EQ_INT(pl_tls_alert(p.server), PL_ALERT_HANDSHAKE_FAILURE);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

/* ---- a ClientHello past one TCP segment ---------------------------------- */

/* Moves from's output to to, n bytes per pl_tls_feed. */
static void move_in_pieces(pl_tls_conn_t *from, pl_tls_conn_t *to, size_t n)
{
	size_t len;
	const uint8_t *out = pl_tls_output(from, &len);
	for (size_t at = 0; at < len; at += n)
		(void)pl_tls_feed(to, out + at, len - at < n ? len - at : n);
	pl_tls_output_consumed(from, len);
}

/* The client's ClientHello record re-framed into records of frag bytes. */
static void reframe(const uint8_t *rec, size_t len, size_t frag,
		    pl_buf_t *out)
{
	const uint8_t *body = rec + PL_TLS_RECORD_HEADER;
	size_t left = len - PL_TLS_RECORD_HEADER;
	while (left > 0) {
		size_t n = left < frag ? left : frag;
		pl_push_u8(out, PL_CT_HANDSHAKE);
		pl_push_u16(out, 0x0303);
		pl_push_u16(out, (uint16_t)n);
		pl_push_bytes(out, body, n);
		body += n;
		left -= n;
	}
}

/* The hybrid ClientHello (1.4 KiB: past a 536-byte default MSS, about
 * one Ethernet segment, more with a long name or ALPN list) fed a few
 * bytes at a time and in several records, and the server's flight (a
 * 1120-byte share in its ServerHello) fed back in pieces. */
static void hybrid_hello_in_pieces_and_records(void)
{
	static const size_t pieces[] = {1, 7, 536, 1460};
	static const size_t frags[] = {100, 1000};
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 2; j++) {
			pl_tls_config_t *ccfg = ep_client_config();
			pl_buf_t rec = PL_BUF_INIT;
			ep_pair_t p;
			size_t len;

			ep_pair_new(&p, ccfg, server_default, "localhost");
			const uint8_t *ch = pl_tls_output(p.client, &len);
			CHECK_MSG(len > PL_HYBRID_CLIENT_SHARE_LEN + 32 + 100,
				  "ClientHello of %zu bytes", len);
			CHECK_EQ_INT(ep_record_len(ch, len), len);
			reframe(ch, len, frags[j], &rec);
			pl_tls_output_consumed(p.client, len);
			for (size_t at = 0; at < pl_buf_size(&rec);
			     at += pieces[i]) {
				size_t n = pl_buf_size(&rec) - at;
				(void)pl_tls_feed(p.server,
						  pl_buf_head(&rec) + at,
						  n < pieces[i] ? n : pieces[i]);
			}
			move_in_pieces(p.server, p.client, pieces[i]);
			if (ep_handshake(&p)) {
				CHECK_EQ_INT(pl_tls_group(p.server),
					     PL_GROUP_X25519MLKEM768);
				CHECK(talk(&p));
			} else {
				CHECK_MSG(false, "pieces of %zu, records of %zu",
					  pieces[i], frags[j]);
			}
			pl_buf_free(&rec);
			ep_pair_free(&p);
			pl_tls_config_free(ccfg);
		}
}

/* ---- malformed shares: the server ---------------------------------------- */

/* A ClientHello record with the shares given, everything else what a
 * server needs (TLS 1.3, the hybrid group and x25519 supported). */
static void client_hello(const pl_msg_share_t *shares, size_t n,
			 pl_buf_t *rec)
{
	static const uint16_t versions[] = {PL_TLS_VERSION_13};
	static const uint16_t suites[] = {PL_TLS_AES_128_GCM_SHA256};
	static const uint16_t groups[] = {PL_GROUP_X25519MLKEM768,
					  PL_GROUP_X25519};
	static const uint16_t schemes[] = {PL_SIG_ECDSA_SECP256R1_SHA256};
	static const uint8_t null_compression = 0;
	pl_msg_client_hello_t ch;

	memset(&ch, 0, sizeof(ch));
	ch.legacy_version = 0x0303;
	ch.suites = pl_u16_list(suites, 1);
	pl_reader_init(&ch.compression, &null_compression, 1);
	ch.has_extensions = true;
	ch.ext.versions = pl_u16_list(versions, 1);
	pl_exts_add(&ch.ext, PL_EXT_SUPPORTED_VERSIONS);
	ch.ext.groups = pl_u16_list(groups, 2);
	pl_exts_add(&ch.ext, PL_EXT_SUPPORTED_GROUPS);
	ch.ext.share_v = shares;
	ch.ext.n_share_v = n;
	pl_exts_add(&ch.ext, PL_EXT_KEY_SHARE);
	ch.ext.schemes = pl_u16_list(schemes, 1);
	pl_exts_add(&ch.ext, PL_EXT_SIGNATURE_ALGORITHMS);
	pl_push_u8(rec, PL_CT_HANDSHAKE);
	pl_push_u16(rec, 0x0303);
	pl_push_open(rec, 2);
	pl_push_u8(rec, PL_HS_CLIENT_HELLO);
	pl_push_open(rec, 3);
	pl_msg_client_hello_write(rec, &ch);
	pl_push_close(rec);
	pl_push_close(rec);
	if (pl_buf_error(rec))
		abort();
}

/* A real client's shares: hybrid (1216 bytes) and x25519 (32). */
static uint8_t good_hybrid[PL_HYBRID_CLIENT_SHARE_LEN];
static uint8_t good_x25519[32];

static void make_good_shares(void)
{
	pl_hybrid_t *h = pl_hybrid_client_new();
	pl_kex_t *x = pl_kex_new(PL_GROUP_X25519);
	size_t n = 0, m = 0;
	if (h == NULL || x == NULL ||
	    pl_hybrid_client_share(h, good_hybrid, sizeof(good_hybrid), &n) ||
	    pl_kex_public(x, good_x25519, sizeof(good_x25519), &m) ||
	    n != sizeof(good_hybrid) || m != sizeof(good_x25519))
		abort();
	pl_hybrid_free(h);
	pl_kex_free(x);
}

/* The server's answer to a hybrid share hybrid (beside a good x25519
 * share): the alert it sent, 0 when it went on with the handshake. */
static int server_answer(const uint8_t *hybrid, size_t len)
{
	pl_msg_share_t shares[2] = {
		{PL_GROUP_X25519MLKEM768, hybrid, len},
		{PL_GROUP_X25519, good_x25519, sizeof(good_x25519)},
	};
	pl_buf_t rec = PL_BUF_INIT;
	client_hello(shares, 2, &rec);
	pl_tls_conn_t *s = pl_tls_conn_new(server_default, NULL);
	if (s == NULL)
		abort();
	(void)pl_tls_feed(s, pl_buf_head(&rec), pl_buf_size(&rec));
	int alert = pl_tls_failed(s) ? pl_tls_alert(s) : 0;
	if (alert == 0)
		CHECK_EQ_INT(pl_tls_group(s), PL_GROUP_X25519MLKEM768);
	pl_tls_conn_free(s);
	pl_buf_free(&rec);
	return alert;
}

/* The unbroken share is taken; one byte short or long, and every other
 * length from empty to 1.5 KiB, is illegal_parameter: the server never
 * falls back to the x25519 share beside a broken hybrid one. */
static void server_refuses_hybrid_shares_of_every_wrong_length(void)
{
	static uint8_t key[1536];
	size_t wrong = 0;

	CHECK_EQ_INT(server_answer(good_hybrid, sizeof(good_hybrid)), 0);
	memcpy(key, good_hybrid, sizeof(good_hybrid));
	for (size_t len = 0; len <= sizeof(key); len++) {
		if (len == PL_HYBRID_CLIENT_SHARE_LEN)
			continue;
		int alert = server_answer(key, len);
		if (alert != PL_ALERT_ILLEGAL_PARAMETER) {
			if (wrong++ < 5)
				CHECK_MSG(false, "length %zu: alert %s", len,
					  pl_tls_alert_name(alert));
		}
	}
	CHECK_EQ_INT(wrong, 0);
}

/* FIPS 203 7.2: a coefficient of the encapsulation key not below q = 3329
 * fails the modulus check: illegal_parameter (RFC 10024 4.2). So does an
 * all-zero X25519 half (RFC 8446 7.4.2). */
static void server_refuses_invalid_encapsulation_key_and_x25519_half(void)
{
	uint8_t key[PL_HYBRID_CLIENT_SHARE_LEN];

	memcpy(key, good_hybrid, sizeof(key));
	key[0] = 0xff; /* the first 12-bit coefficient becomes 0x?ff ... */
	key[1] |= 0x0f; /* ... 0xfff = 4095 >= q */
	CHECK_EQ_INT(server_answer(key, sizeof(key)),
		     PL_ALERT_ILLEGAL_PARAMETER);
	memcpy(key, good_hybrid, sizeof(key));
	memset(key + PL_MLKEM768_EK_LEN, 0, 32);
	CHECK_EQ_INT(server_answer(key, sizeof(key)),
		     PL_ALERT_ILLEGAL_PARAMETER);
}

/* ---- malformed shares: the client ---------------------------------------- */

/* A default client that has sent its ClientHello, and the session id it
 * chose (the ServerHello must echo it). */
static pl_tls_conn_t *client_waiting(pl_tls_config_t *cfg, uint8_t sid[32])
{
	pl_tls_conn_t *c = pl_tls_conn_new(cfg, "localhost");
	pl_msg_client_hello_t ch;
	pl_msg_err_t err;
	pl_reader_t body;
	size_t len;

	if (c == NULL)
		abort();
	const uint8_t *out = pl_tls_output(c, &len);
	if (len < 9)
		abort();
	pl_reader_init(&body, out + 9, len - 9); /* record and hs headers */
	if (pl_msg_client_hello_parse(&body, &ch, &err) ||
	    pl_reader_left(&ch.session_id) != 32)
		abort();
	memcpy(sid, ch.session_id.p, 32);
	pl_tls_output_consumed(c, len);
	return c;
}

/* The client's answer to a ServerHello choosing group with the share key:
 * its alert (0 when none yet: it waits for the rest). */
static int client_answer(pl_tls_config_t *cfg, uint16_t group,
			 const uint8_t *key, size_t len)
{
	uint8_t sid[32], random[32] = {1};
	pl_msg_server_hello_t sh;
	pl_buf_t rec = PL_BUF_INIT;
	pl_tls_conn_t *c = client_waiting(cfg, sid);

	memset(&sh, 0, sizeof(sh));
	sh.legacy_version = 0x0303;
	memcpy(sh.random, random, 32);
	pl_reader_init(&sh.session_id, sid, 32);
	sh.suite = PL_TLS_AES_128_GCM_SHA256;
	sh.tls13 = true;
	sh.has_extensions = true;
	sh.ext.share_group = group;
	pl_reader_init(&sh.ext.share_key, key, len);
	pl_exts_add(&sh.ext, PL_EXT_KEY_SHARE);
	sh.ext.version = PL_TLS_VERSION_13;
	pl_exts_add(&sh.ext, PL_EXT_SUPPORTED_VERSIONS);
	pl_push_u8(&rec, PL_CT_HANDSHAKE);
	pl_push_u16(&rec, 0x0303);
	pl_push_open(&rec, 2);
	pl_push_u8(&rec, PL_HS_SERVER_HELLO);
	pl_push_open(&rec, 3);
	pl_msg_server_hello_write(&rec, &sh);
	pl_push_close(&rec);
	pl_push_close(&rec);
	if (pl_buf_error(&rec))
		abort();
	(void)pl_tls_feed(c, pl_buf_head(&rec), pl_buf_size(&rec));
	int alert = pl_tls_failed(c) ? pl_tls_alert(c) : 0;
	pl_tls_conn_free(c);
	pl_buf_free(&rec);
	return alert;
}

/* A ServerHello whose hybrid share is not 1120 bytes (RFC 10024 4.2: the
 * client checks the ciphertext's length) or whose X25519 half is all
 * zero: illegal_parameter. One of the right length whose ciphertext was
 * not made for this key is not refused here: ML-KEM's implicit rejection
 * gives a secret the server cannot know, and Finished fails later. */
static void client_refuses_server_shares_of_every_wrong_length(void)
{
	static uint8_t key[1536];
	pl_tls_config_t *ccfg = ep_client_config();
	size_t wrong = 0;

	memset(key, 0x55, sizeof(key));
	for (size_t len = 1; len <= sizeof(key); len += len < 1100 ? 37 : 1) {
		if (len == PL_HYBRID_SERVER_SHARE_LEN)
			continue;
		int alert = client_answer(ccfg, PL_GROUP_X25519MLKEM768, key, len);
		if (alert != PL_ALERT_ILLEGAL_PARAMETER && wrong++ < 5)
			CHECK_MSG(false, "length %zu: alert %s", len,
				  pl_tls_alert_name(alert));
	}
	CHECK_EQ_INT(wrong, 0);
	CHECK_EQ_INT(client_answer(ccfg, PL_GROUP_X25519MLKEM768, key, PL_HYBRID_SERVER_SHARE_LEN), 0);
	memset(key + PL_MLKEM768_CT_LEN, 0, 32);
	CHECK_EQ_INT(client_answer(ccfg, PL_GROUP_X25519MLKEM768, key, PL_HYBRID_SERVER_SHARE_LEN),
		     PL_ALERT_ILLEGAL_PARAMETER);
	pl_tls_config_free(ccfg);
}

/* A server share for a group the client offered but sent no share for
 * (P-256) is illegal_parameter (RFC 8446 4.2.8); a server share in x25519,
 * the client's second share, is taken. */
static void client_takes_only_a_share_it_sent(void)
{
	pl_tls_config_t *ccfg = ep_client_config();
	uint8_t p256[65];
	size_t n = 0;
	pl_kex_t *k = pl_kex_new(PL_GROUP_SECP256R1);

	CHECK(k != NULL && pl_kex_public(k, p256, sizeof(p256), &n) == PL_OK);
	CHECK_EQ_INT(client_answer(ccfg, PL_GROUP_SECP256R1, p256, n),
		     PL_ALERT_ILLEGAL_PARAMETER);
	CHECK_EQ_INT(client_answer(ccfg, PL_GROUP_X25519, good_x25519, 32), 0);
	pl_kex_free(k);
	pl_tls_config_free(ccfg);
}

int main(void)
{
	ep_setup();
	make_good_shares();
	server_default = ep_server_config(chains);
	RUN(default_client_and_server_negotiate_the_hybrid);
	RUN(server_without_the_hybrid_takes_x25519);
	RUN(classical_client_gets_x25519);
	RUN(hello_retry_for_the_hybrid_when_configured);
	RUN(hello_retry_prefers_a_classical_group);
	RUN(hybrid_only_client_and_classical_server_fail);
	RUN(hybrid_hello_in_pieces_and_records);
	RUN(server_refuses_hybrid_shares_of_every_wrong_length);
	RUN(server_refuses_invalid_encapsulation_key_and_x25519_half);
	RUN(client_refuses_server_shares_of_every_wrong_length);
	RUN(client_takes_only_a_share_it_sent);
	pl_tls_config_free(server_default);
	return test_finish();
}
