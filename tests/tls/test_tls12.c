/*
 * TLS 1.2 in memory: padlock's client and server joined without sockets.
 * Every TLS 1.2 suite x group x certificate type completes and carries
 * data; a client that stops at TLS 1.2 gets TLS 1.2 from a server that
 * also speaks 1.3; the downgrade sentinel, TLS_FALLBACK_SCSV, the
 * extended master secret and renegotiation each get what their RFC says;
 * the PRF matches a published vector; an idle connection stays small.
 */
#include "engine_pair.h"

static const char *const all_chains[] = {"p256", "rsa", "p384", NULL};

static const uint16_t suites12[] = {
	PL_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256,
	PL_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384,
	PL_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256,
	PL_TLS_ECDHE_RSA_AES_128_GCM_SHA256,
	PL_TLS_ECDHE_RSA_AES_256_GCM_SHA384,
	PL_TLS_ECDHE_RSA_CHACHA20_POLY1305_SHA256,
};
#define N_SUITES12 (sizeof(suites12) / sizeof(suites12[0]))

static const uint16_t groups12[] = {
	PL_GROUP_X25519,    PL_GROUP_SECP256R1, PL_GROUP_SECP384R1,
	PL_GROUP_SECP521R1, PL_GROUP_X448,
};
#define N_GROUPS12 (sizeof(groups12) / sizeof(groups12[0]))

static pl_tls_config_t *client12(void)
{
	pl_tls_config_t *cfg = ep_client_config();
	if (pl_tls_config_set_versions(cfg, PL_TLS_VERSION_12,
				       PL_TLS_VERSION_12))
		abort();
	return cfg;
}

static bool talk(ep_pair_t *p)
{
	static const char ping[] = "ping over TLS 1.2";
	static const char pong[] = "pong over TLS 1.2";
	return ep_send(p, true, ping, sizeof(ping)) &&
	       ep_send(p, false, pong, sizeof(pong));
}

/* One handshake of a 1.2-only client with suite and group against a
 * server with the chain named and that group alone; true when both sides
 * agree on them. RFC 8422 5.1: the client's supported_groups must also
 * list an ECDSA certificate's curve, so the client lists that too. */
static bool one(uint16_t suite, uint16_t group, const char *chain)
{
	const char *chains[] = {chain, NULL};
	pl_tls_config_t *scfg = ep_server_config(chains);
	pl_tls_config_t *ccfg = client12();
	uint16_t curve = strcmp(chain, "p384") == 0 ? PL_GROUP_SECP384R1
						    : PL_GROUP_SECP256R1;
	uint16_t client_groups[2] = {group, curve};
	ep_pair_t p;
	bool ok;
	if (pl_tls_config_set_suites(ccfg, &suite, 1) ||
	    pl_tls_config_set_groups(ccfg, client_groups,
				     group == curve ? 1 : 2) ||
	    pl_tls_config_set_groups(scfg, &group, 1))
		abort();
	ep_pair_new(&p, ccfg, scfg, "localhost");
	ok = ep_handshake(&p) && talk(&p) &&
	     pl_tls_version(p.client) == PL_TLS_VERSION_12 &&
	     pl_tls_version(p.server) == PL_TLS_VERSION_12 &&
	     pl_tls_suite(p.client) == suite && pl_tls_suite(p.server) == suite &&
	     pl_tls_group(p.client) == group && pl_tls_group(p.server) == group &&
	     pl_tls_sigscheme(p.client) == pl_tls_sigscheme(p.server);
	if (!ok)
		fprintf(stderr, "     %s / %s / %s failed\n",
			pl_tls_suite_name(suite), pl_tls_group_name(group),
			chain);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
	return ok;
}

/* An ECDSA certificate whose curve the client does not list is not
 * used (RFC 8422 5.1): with only an ECDSA chain, handshake_failure. */
static void ecdsa_curve_must_be_in_supported_groups(void)
{
	const char *chains[] = {"p256", NULL};
	pl_tls_config_t *scfg = ep_server_config(chains);
	pl_tls_config_t *ccfg = client12();
	uint16_t group = PL_GROUP_X25519;
	ep_pair_t p;
	if (pl_tls_config_set_groups(ccfg, &group, 1))
		abort();
	ep_pair_new(&p, ccfg, scfg, "localhost");
	ep_pump(&p);
	CHECK(pl_tls_failed(p.server));
	CHECK_EQ_INT(pl_tls_alert(p.server), PL_ALERT_HANDSHAKE_FAILURE);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

static void every_suite_group_and_certificate_completes(void)
{
	for (size_t i = 0; i < N_SUITES12; i++) {
		bool ecdsa = i < 3;
		for (size_t j = 0; j < N_GROUPS12; j++) {
			CHECK(one(suites12[i], groups12[j], ecdsa ? "p256" : "rsa"));
			if (ecdsa && groups12[j] == PL_GROUP_SECP384R1)
				CHECK(one(suites12[i], groups12[j], "p384"));
		}
	}
}

/* A client that stops at TLS 1.2 against the default server (1.2-1.3):
 * TLS 1.2, the extended master secret, and the downgrade sentinel in
 * ServerHello.random, which such a client does not judge. */
static void tls12_client_against_tls13_capable_server(void)
{
	pl_tls_config_t *scfg = ep_server_config(all_chains);
	pl_tls_config_t *ccfg = client12();
	ep_pair_t p;
	ep_pair_new(&p, ccfg, scfg, "localhost");
	CHECK(ep_handshake(&p));
	CHECK(talk(&p));
	CHECK_EQ_INT(pl_tls_version(p.server), PL_TLS_VERSION_12);
	CHECK_EQ_INT(pl_tls_suite(p.server),
		     PL_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256 *
				     pl_crypto_has_aes_hw() +
			     PL_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256 *
				     !pl_crypto_has_aes_hw());
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

/* The default client offers 1.3 and 1.2; a TLS 1.2-only server gets 1.2
 * and writes no sentinel (it speaks no 1.3). */
static void default_client_completes_with_tls12_only_server(void)
{
	pl_tls_config_t *scfg = ep_server_config(all_chains);
	pl_tls_config_t *ccfg = ep_client_config();
	ep_pair_t p;
	if (pl_tls_config_set_versions(scfg, PL_TLS_VERSION_12,
				       PL_TLS_VERSION_12))
		abort();
	ep_pair_new(&p, ccfg, scfg, "localhost");
	CHECK(ep_handshake(&p));
	CHECK(talk(&p));
	CHECK_EQ_INT(pl_tls_version(p.client), PL_TLS_VERSION_12);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

/* The client's first flight, parsed; edit() changes it before it is
 * re-encoded (through the codec) and fed to server. */
static pl_tls_conn_t *server_fed_edited(const pl_tls_config_t *scfg,
					pl_tls_conn_t *client,
					void (*edit)(pl_msg_client_hello_t *))
{
	size_t n;
	const uint8_t *out = pl_tls_output(client, &n);
	pl_msg_client_hello_t ch;
	pl_msg_err_t err;
	pl_reader_t body;
	pl_buf_t msg = PL_BUF_INIT, rec = PL_BUF_INIT;
	if (out == NULL || n < 9)
		abort();
	pl_reader_init(&body, out + 9, n - 9);
	if (pl_msg_client_hello_parse(&body, &ch, &err))
		abort();
	edit(&ch);
	pl_push_u8(&msg, PL_HS_CLIENT_HELLO);
	pl_push_open(&msg, 3);
	pl_msg_client_hello_write(&msg, &ch);
	pl_push_close(&msg);
	pl_push_u8(&rec, PL_CT_HANDSHAKE);
	pl_push_u16(&rec, 0x0303);
	pl_push_open(&rec, 2);
	pl_push_bytes(&rec, pl_buf_head(&msg), pl_buf_size(&msg));
	pl_push_close(&rec);
	if (pl_buf_error(&rec))
		abort();
	pl_tls_conn_t *s = pl_tls_conn_new(scfg, NULL);
	(void)pl_tls_feed(s, pl_buf_head(&rec), pl_buf_size(&rec));
	pl_tls_output_consumed(client, n);
	pl_buf_free(&msg);
	pl_buf_free(&rec);
	return s;
}

/* Removes one extension from a parsed hello (its row and its bit). */
static void drop_ext(pl_tls_exts_t *e, uint16_t type)
{
	int row = pl_exts_row(type);
	size_t k = 0;
	for (size_t i = 0; i < e->n_order; i++)
		if (e->order[i] != row)
			e->order[k++] = e->order[i];
	e->n_order = k;
	e->present &= ~((uint64_t)1 << row);
}

static void strip_tls13(pl_msg_client_hello_t *ch)
{
	drop_ext(&ch->ext, PL_EXT_SUPPORTED_VERSIONS);
	drop_ext(&ch->ext, PL_EXT_KEY_SHARE);
}

/* RFC 8446 4.1.3: an attacker strips TLS 1.3 from the client's hello;
 * the server (which speaks 1.3) marks its TLS 1.2 ServerHello and the
 * client, which offered 1.3, refuses it with illegal_parameter. */
static void client_detects_downgrade_sentinel(void)
{
	pl_tls_config_t *scfg = ep_server_config(all_chains);
	pl_tls_config_t *ccfg = ep_client_config();
	pl_tls_conn_t *c = pl_tls_conn_new(ccfg, "localhost");
	pl_tls_conn_t *s = server_fed_edited(scfg, c, strip_tls13);
	CHECK(!pl_tls_failed(s));
	CHECK(ep_move(s, c));
	CHECK(pl_tls_failed(c));
	CHECK_EQ_INT(pl_tls_alert(c), PL_ALERT_ILLEGAL_PARAMETER);
	CHECK_MSG(strstr(pl_tls_reason(c), "downgrade") != NULL, "%s",
		  pl_tls_reason(c));
	pl_tls_conn_free(c);
	pl_tls_conn_free(s);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

static uint16_t fallback_suites[16];

static void add_fallback_scsv(pl_msg_client_hello_t *ch)
{
	size_t n = ch->suites.n;
	for (size_t i = 0; i < n; i++)
		fallback_suites[i] = pl_u16_list_at(&ch->suites, i);
	fallback_suites[n] = PL_TLS_FALLBACK_SCSV;
	ch->suites = pl_u16_list(fallback_suites, n + 1);
}

/* RFC 7507 3: a 1.2 hello with TLS_FALLBACK_SCSV to a server that speaks
 * 1.3 is inappropriate_fallback; to a 1.2-only server it is served. */
static void fallback_scsv_refused_when_13_is_spoken(void)
{
	pl_tls_config_t *scfg = ep_server_config(all_chains);
	pl_tls_config_t *ccfg = client12();
	pl_tls_conn_t *c = pl_tls_conn_new(ccfg, "localhost");
	pl_tls_conn_t *s = server_fed_edited(scfg, c, add_fallback_scsv);
	CHECK(pl_tls_failed(s));
	CHECK_EQ_INT(pl_tls_alert(s), PL_ALERT_INAPPROPRIATE_FALLBACK);
	pl_tls_conn_free(c);
	pl_tls_conn_free(s);
	if (pl_tls_config_set_versions(scfg, PL_TLS_VERSION_12,
				       PL_TLS_VERSION_12))
		abort();
	c = pl_tls_conn_new(ccfg, "localhost");
	s = server_fed_edited(scfg, c, add_fallback_scsv);
	CHECK_MSG(!pl_tls_failed(s), "%s", pl_tls_reason(s));
	pl_tls_conn_free(c);
	pl_tls_conn_free(s);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

static void drop_ems(pl_msg_client_hello_t *ch)
{
	drop_ext(&ch->ext, PL_EXT_EXTENDED_MASTER_SECRET);
}

/* RFC 7627 5.2: without the extension a server continues without it
 * (and does not answer it), unless configured to require it:
 * handshake_failure. */
static void ems_absent_handled(void)
{
	pl_tls_config_t *scfg = ep_server_config(all_chains);
	pl_tls_config_t *ccfg = client12();
	pl_tls_conn_t *c = pl_tls_conn_new(ccfg, "localhost");
	pl_tls_conn_t *s = server_fed_edited(scfg, c, drop_ems);
	size_t n;
	const uint8_t *out = pl_tls_output(s, &n);
	pl_reader_t body;
	pl_msg_server_hello_t sh;
	pl_msg_err_t err;
	CHECK(!pl_tls_failed(s));
	CHECK(out != NULL && n > 9);
	if (out != NULL && n > 9) {
		pl_reader_init(&body, out + 9,
			       ((size_t)out[6] << 16 | out[7] << 8 | out[8]));
		CHECK(pl_msg_server_hello_parse(&body, &sh, &err) == PL_OK);
		CHECK(!pl_exts_has(&sh.ext, PL_EXT_EXTENDED_MASTER_SECRET));
		CHECK(pl_exts_has(&sh.ext, PL_EXT_RENEGOTIATION_INFO));
	}
	pl_tls_conn_free(c);
	pl_tls_conn_free(s);
	pl_tls_config_set_require_ems(scfg, true);
	c = pl_tls_conn_new(ccfg, "localhost");
	s = server_fed_edited(scfg, c, drop_ems);
	CHECK(pl_tls_failed(s));
	CHECK_EQ_INT(pl_tls_alert(s), PL_ALERT_HANDSHAKE_FAILURE);
	pl_tls_conn_free(c);
	pl_tls_conn_free(s);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

/* RFC 5746 4.2/4.4, RFC 5246 7.2.2: a ClientHello after the handshake is
 * answered with a no_renegotiation warning and the server stays up; a
 * HelloRequest to the client gets the same. */
static void renegotiation_refused_with_warning(void)
{
	static const uint8_t hello_request[4] = {PL_HS_HELLO_REQUEST, 0, 0, 0};
	pl_tls_config_t *scfg = ep_server_config(all_chains);
	pl_tls_config_t *ccfg = client12();
	ep_pair_t p;
	ep_pair_new(&p, ccfg, scfg, "localhost");
	if (!ep_handshake(&p)) {
		CHECK(false);
		goto out;
	}
	/* The client's keys seal a second ClientHello. */
	pl_msg_client_hello_t ch;
	pl_buf_t msg = PL_BUF_INIT;
	memset(&ch, 0, sizeof(ch));
	ch.legacy_version = 0x0303;
	ch.suites = pl_u16_list(suites12, N_SUITES12);
	pl_push_u8(&msg, PL_HS_CLIENT_HELLO);
	pl_push_open(&msg, 3);
	pl_msg_client_hello_write(&msg, &ch);
	pl_push_close(&msg);
	CHECK(pl_tls_record_write(p.client, PL_CT_HANDSHAKE, pl_buf_head(&msg),
				  pl_buf_size(&msg)) == PL_OK);
	pl_buf_free(&msg);
	ep_move(p.client, p.server);
	CHECK_MSG(!pl_tls_failed(p.server), "%s", pl_tls_reason(p.server));
	CHECK(pl_tls_handshake_done(p.server));
	ep_move(p.server, p.client);
	CHECK(pl_tls_alert_received(p.client));
	CHECK_EQ_INT(pl_tls_alert(p.client), PL_ALERT_NO_RENEGOTIATION);
	ep_pair_free(&p);

	ep_pair_new(&p, ccfg, scfg, "localhost");
	if (!ep_handshake(&p)) {
		CHECK(false);
		goto out;
	}
	CHECK(pl_tls_record_write(p.server, PL_CT_HANDSHAKE, hello_request,
				  sizeof(hello_request)) == PL_OK);
	ep_move(p.server, p.client);
	CHECK_MSG(!pl_tls_failed(p.client), "%s", pl_tls_reason(p.client));
	ep_move(p.client, p.server);
	CHECK(pl_tls_alert_received(p.server));
	CHECK_EQ_INT(pl_tls_alert(p.server), PL_ALERT_NO_RENEGOTIATION);
out:
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

static void tls13_only_server_refuses_tls12_client(void)
{
	pl_tls_config_t *scfg = ep_server_config(all_chains);
	pl_tls_config_t *ccfg = client12();
	ep_pair_t p;
	if (pl_tls_config_set_versions(scfg, PL_TLS_VERSION_13,
				       PL_TLS_VERSION_13))
		abort();
	ep_pair_new(&p, ccfg, scfg, "localhost");
	ep_pump(&p);
	CHECK(pl_tls_failed(p.server));
	CHECK_EQ_INT(pl_tls_alert(p.server), PL_ALERT_PROTOCOL_VERSION);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

static void version_ranges_parse(void)
{
	uint16_t lo = 0, hi = 0;
	CHECK(pl_tls_versions_parse("1.2-1.3", &lo, &hi) == PL_OK &&
	      lo == PL_TLS_VERSION_12 && hi == PL_TLS_VERSION_13);
	CHECK(pl_tls_versions_parse("1.3", &lo, &hi) == PL_OK &&
	      lo == PL_TLS_VERSION_13 && hi == PL_TLS_VERSION_13);
	CHECK(pl_tls_versions_parse("TLS1.2,tls1.3", &lo, &hi) == PL_OK &&
	      lo == PL_TLS_VERSION_12 && hi == PL_TLS_VERSION_13);
	CHECK(pl_tls_versions_parse("1.1-1.3", &lo, &hi) == PL_ERR_UNSUPPORTED);
	CHECK(pl_tls_versions_parse("ssl3", &lo, &hi) == PL_ERR_UNSUPPORTED);
	CHECK(pl_tls_versions_parse("1.4", &lo, &hi) == PL_ERR_ARG);
	CHECK(pl_tls_versions_parse("1.2-", &lo, &hi) == PL_ERR_ARG);
	CHECK(pl_tls_versions_parse("", &lo, &hi) == PL_ERR_ARG);
	pl_tls_config_t *cfg = pl_tls_config_new(true);
	CHECK(pl_tls_config_set_versions(cfg, PL_TLS_VERSION_11,
					 PL_TLS_VERSION_13) ==
	      PL_ERR_UNSUPPORTED);
	CHECK(pl_tls_config_set_versions(cfg, PL_TLS_VERSION_13,
					 PL_TLS_VERSION_12) == PL_ERR_ARG);
	pl_tls_config_free(cfg);
}

/* The PRF of RFC 5246 5 with SHA-256, against the widely used test vector
 * (secret 9b be 43 6b..., label "test label", 100 bytes); `openssl kdf
 * TLS1-PRF` gives the same bytes. */
static void prf_sha256_matches_known_vector(void)
{
	uint8_t secret[16], seed[16], want[100], got[100];
	test_unhex("9bbe436ba940f017b17652849a71db35", secret, sizeof(secret));
	test_unhex("a0ba9f936cda311827a6f796ffd5198c", seed, sizeof(seed));
	test_unhex("e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61e"
		   "db5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797"
		   "c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e"
		   "5a5110fff70187347b66",
		   want, sizeof(want));
	CHECK(pl_tls12_prf(PL_HASH_SHA256, secret, sizeof(secret),
			   "test label", seed, sizeof(seed), got,
			   sizeof(got)) == PL_OK);
	CHECK_MEM(got, want, sizeof(want));
}

/* Both ends log the same CLIENT_RANDOM line (RFC 5246's 48-byte master
 * secret), the one Wireshark and tshark read for TLS 1.2. */
static void keylog_has_client_random(void)
{
	pl_tls_config_t *scfg = ep_server_config(all_chains);
	pl_tls_config_t *ccfg = client12();
	ep_keylog_t klc, kls;
	ep_pair_t p;
	memset(&klc, 0, sizeof(klc));
	memset(&kls, 0, sizeof(kls));
	pl_tls_config_set_keylog(ccfg, ep_keylog, &klc);
	pl_tls_config_set_keylog(scfg, ep_keylog, &kls);
	ep_pair_new(&p, ccfg, scfg, "localhost");
	CHECK(ep_handshake(&p));
	CHECK_EQ_INT(klc.n, 1);
	CHECK_EQ_INT(kls.n, 1);
	CHECK(strcmp(klc.s[0].label, "CLIENT_RANDOM") == 0);
	CHECK_EQ_INT(klc.s[0].len, 48);
	CHECK(klc.s[0].len == kls.s[0].len &&
	      memcmp(klc.s[0].secret, kls.s[0].secret, 48) == 0);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

/* DESIGN.md: an idle connection holds at most 4 KiB (engine state and
 * buffers). */
static void idle_connection_memory(void)
{
	pl_tls_config_t *scfg = ep_server_config(all_chains);
	pl_tls_config_t *ccfg = client12();
	ep_pair_t p;
	ep_pair_new(&p, ccfg, scfg, "localhost");
	if (ep_handshake(&p) && talk(&p)) {
		pl_tls_conn_shrink(p.client);
		pl_tls_conn_shrink(p.server);
		size_t c = pl_tls_conn_memory(p.client);
		size_t s = pl_tls_conn_memory(p.server);
		printf("     idle TLS 1.2 connection: client %zu bytes, server "
		       "%zu bytes\n", c, s);
		CHECK(c <= 4096);
		CHECK(s <= 4096);
		CHECK(talk(&p));
		/* TLS 1.2 has no KeyUpdate: the call is refused, and the
		 * message from a peer is unexpected_message. */
		CHECK(pl_tls_key_update(p.client, false) == PL_ERR_STATE);
		CHECK(!pl_tls_failed(p.client));
		static const uint8_t ku[5] = {PL_HS_KEY_UPDATE, 0, 0, 1, 0};
		CHECK(pl_tls_record_write(p.client, PL_CT_HANDSHAKE, ku,
					  sizeof(ku)) == PL_OK);
		ep_move(p.client, p.server);
		CHECK_EQ_INT(pl_tls_alert(p.server), PL_ALERT_UNEXPECTED_MESSAGE);
	} else {
		CHECK(false);
	}
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

int main(void)
{
	ep_setup();
	RUN(every_suite_group_and_certificate_completes);
	RUN(ecdsa_curve_must_be_in_supported_groups);
	RUN(tls12_client_against_tls13_capable_server);
	RUN(default_client_completes_with_tls12_only_server);
	RUN(client_detects_downgrade_sentinel);
	RUN(fallback_scsv_refused_when_13_is_spoken);
	RUN(ems_absent_handled);
	RUN(renegotiation_refused_with_warning);
	RUN(tls13_only_server_refuses_tls12_client);
	RUN(version_ranges_parse);
	RUN(prf_sha256_matches_known_vector);
	RUN(keylog_has_client_random);
	RUN(idle_connection_memory);
	return test_finish();
}
