/*
 * Full handshakes between padlock's own client and server, in memory: every
 * cipher suite, group and signature scheme; HelloRetryRequest with and
 * without a cookie; ALPN; certificate selection by signature algorithms
 * and by SNI; KeyUpdate; 4 MiB each way in random record sizes;
 * close_notify; the client's certificate checks; and the memory an idle
 * connection keeps.
 */
#include <time.h>

#include "engine_pair.h"
#include "tls/engine_secrets.h"

static const uint16_t all_suites[] = {PL_TLS_AES_128_GCM_SHA256,
				      PL_TLS_AES_256_GCM_SHA384,
				      PL_TLS_CHACHA20_POLY1305_SHA256};
static const uint16_t all_groups[] = {PL_GROUP_X25519, PL_GROUP_SECP256R1,
				      PL_GROUP_SECP384R1};
static const uint16_t all_schemes[] = {
	PL_SIG_ECDSA_SECP256R1_SHA256, PL_SIG_ECDSA_SECP384R1_SHA384,
	PL_SIG_RSA_PSS_RSAE_SHA256,    PL_SIG_RSA_PSS_RSAE_SHA384,
	PL_SIG_RSA_PSS_RSAE_SHA512,    PL_SIG_ED25519,
};

/* A server with one chain of each key type. */
static pl_tls_config_t *server_all;

static const char *const all_chains[] = {"p256", "p384", "rsa", "ed25519",
					 NULL};

/* Sends a line each way; true when both arrive. */
static bool talk(ep_pair_t *p)
{
	static const char ping[] = "GET / HTTP/1.1\r\n\r\n";
	static const char pong[] = "HTTP/1.1 200 OK\r\n\r\n";

	return ep_send(p, true, ping, sizeof(ping) - 1) &&
	       ep_send(p, false, pong, sizeof(pong) - 1);
}

static void one_combination(uint16_t suite, uint16_t group, uint16_t scheme)
{
	pl_tls_config_t *cfg = ep_client_config();
	ep_pair_t p;

	CHECK(pl_tls_config_set_suites(cfg, &suite, 1) == PL_OK);
	CHECK(pl_tls_config_set_groups(cfg, &group, 1) == PL_OK);
	CHECK(pl_tls_config_set_sigschemes(cfg, &scheme, 1) == PL_OK);
	ep_pair_new(&p, cfg, server_all, "localhost");
	bool ok = ep_handshake(&p);
	CHECK_MSG(ok, "%s, %s, %s", pl_tls_suite_name(suite),
		  pl_tls_group_name(group), pl_tls_sigscheme_name(scheme));
	if (ok) {
		for (int side = 0; side < 2; side++) {
			pl_tls_conn_t *c = side ? p.server : p.client;
			CHECK_EQ_INT(pl_tls_version(c), PL_TLS_VERSION_13);
			CHECK_EQ_INT(pl_tls_suite(c), suite);
			CHECK_EQ_INT(pl_tls_group(c), group);
			CHECK_EQ_INT(pl_tls_sigscheme(c), scheme);
			CHECK(!pl_tls_did_hello_retry(c));
		}
		CHECK(pl_tls_trusted_root(p.client)[0] != 0);
		CHECK_MSG(talk(&p), "data with %s, %s, %s",
			  pl_tls_suite_name(suite), pl_tls_group_name(group),
			  pl_tls_sigscheme_name(scheme));
	}
	ep_pair_free(&p);
	pl_tls_config_free(cfg);
}

static void every_suite_group_and_scheme_completes(void)
{
	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < 3; j++)
			for (size_t k = 0; k < 6; k++)
				one_combination(all_suites[i], all_groups[j],
						all_schemes[k]);
}

/* ---- HelloRetryRequest --------------------------------------------------- */

static void hello_retry(bool want_group, bool want_cookie)
{
	static const uint16_t client_groups[] = {PL_GROUP_X25519,
						 PL_GROUP_SECP256R1};
	static const uint16_t server_groups[] = {PL_GROUP_SECP256R1};
	pl_tls_config_t *ccfg = ep_client_config();
	pl_tls_config_t *scfg = ep_server_config(all_chains);
	uint16_t expect = want_group ? PL_GROUP_SECP256R1 : PL_GROUP_X25519;
	ep_pair_t p;

	CHECK(pl_tls_config_set_groups(ccfg, client_groups, 2) == PL_OK);
	if (want_group)
		CHECK(pl_tls_config_set_groups(scfg, server_groups, 1) ==
		      PL_OK);
	pl_tls_config_set_require_cookie(scfg, want_cookie);
	ep_pair_new(&p, ccfg, scfg, "localhost");
	if (ep_handshake(&p)) {
		CHECK(pl_tls_did_hello_retry(p.client));
		CHECK(pl_tls_did_hello_retry(p.server));
		CHECK_EQ_INT(pl_tls_group(p.client), expect);
		CHECK_EQ_INT(pl_tls_group(p.server), expect);
		CHECK_EQ_INT(pl_tls_suite(p.client), pl_tls_suite(p.server));
		CHECK(talk(&p));
	} else {
		CHECK_MSG(false, "handshake with a HelloRetryRequest failed");
	}
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

static void hello_retry_for_a_key_share(void)
{
	hello_retry(true, false);
}

static void hello_retry_for_a_cookie(void)
{
	hello_retry(false, true);
}

static void hello_retry_for_a_key_share_and_a_cookie(void)
{
	hello_retry(true, true);
}

/* ---- ALPN ---------------------------------------------------------------- */

static void alpn_picks_the_servers_preference(void)
{
	pl_tls_config_t *ccfg = ep_client_config();
	pl_tls_config_t *scfg = ep_server_config(all_chains);
	ep_pair_t p;

	CHECK(pl_tls_config_set_alpn(ccfg, "h2,http/1.1") == PL_OK);
	CHECK(pl_tls_config_set_alpn(scfg, "http/1.1,h2") == PL_OK);
	ep_pair_new(&p, ccfg, scfg, "localhost");
	if (ep_handshake(&p)) {
		CHECK(strcmp(pl_tls_alpn(p.client), "http/1.1") == 0);
		CHECK(strcmp(pl_tls_alpn(p.server), "http/1.1") == 0);
		CHECK(talk(&p));
	} else {
		CHECK(false);
	}
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

static void alpn_unused_when_the_server_has_none(void)
{
	pl_tls_config_t *ccfg = ep_client_config();
	ep_pair_t p;

	CHECK(pl_tls_config_set_alpn(ccfg, "h2") == PL_OK);
	ep_pair_new(&p, ccfg, server_all, "localhost");
	if (ep_handshake(&p)) {
		CHECK(strcmp(pl_tls_alpn(p.client), "") == 0);
		CHECK(strcmp(pl_tls_alpn(p.server), "") == 0);
	} else {
		CHECK(false);
	}
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
}

/* RFC 7301 3.2: no protocol in common is no_application_protocol. */
static void alpn_without_overlap_fails(void)
{
	pl_tls_config_t *ccfg = ep_client_config();
	pl_tls_config_t *scfg = ep_server_config(all_chains);
	ep_pair_t p;

	CHECK(pl_tls_config_set_alpn(ccfg, "h2,http/1.1") == PL_OK);
	CHECK(pl_tls_config_set_alpn(scfg, "spdy/3,imap") == PL_OK);
	ep_pair_new(&p, ccfg, scfg, "localhost");
	ep_pump(&p);
	CHECK(pl_tls_failed(p.server));
	CHECK_EQ_INT(pl_tls_alert(p.server), PL_ALERT_NO_APPLICATION_PROTOCOL);
	CHECK(!pl_tls_alert_received(p.server));
	CHECK(pl_tls_failed(p.client));
	CHECK_EQ_INT(pl_tls_alert(p.client), PL_ALERT_NO_APPLICATION_PROTOCOL);
	CHECK(pl_tls_alert_received(p.client));
	printf("     client: %s\n", pl_tls_reason(p.client));
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

/* ---- certificate selection ----------------------------------------------- */

static pl_pkey_kind_t peer_key_kind(const pl_tls_conn_t *client)
{
	const pl_x509_chain_t *chain = pl_tls_peer_chain(client);
	return chain ? pl_pkey_kind(pl_x509_chain_leaf_key(chain))
		     : PL_PKEY_OTHER;
}

static void two_chains_rsa_client_gets_rsa(void)
{
	static const char *const chains[] = {"p256", "rsa", NULL};
	static const uint16_t rsa_only[] = {PL_SIG_RSA_PSS_RSAE_SHA256};
	pl_tls_config_t *scfg = ep_server_config(chains);
	pl_tls_config_t *ccfg = ep_client_config();
	ep_pair_t p;

	CHECK(pl_tls_config_set_sigschemes(ccfg, rsa_only, 1) == PL_OK);
	ep_pair_new(&p, ccfg, scfg, "localhost");
	if (ep_handshake(&p)) {
		CHECK_EQ_INT(peer_key_kind(p.client), PL_PKEY_RSA);
		CHECK_EQ_INT(pl_tls_sigscheme(p.client),
			     PL_SIG_RSA_PSS_RSAE_SHA256);
		CHECK(talk(&p));
	} else {
		CHECK(false);
	}
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

static void two_chains_default_client_gets_ecdsa(void)
{
	static const char *const chains[] = {"p256", "rsa", NULL};
	pl_tls_config_t *scfg = ep_server_config(chains);
	pl_tls_config_t *ccfg = ep_client_config();
	ep_pair_t p;

	ep_pair_new(&p, ccfg, scfg, "localhost");
	if (ep_handshake(&p)) {
		CHECK_EQ_INT(peer_key_kind(p.client), PL_PKEY_EC_P256);
		CHECK_EQ_INT(pl_tls_sigscheme(p.client),
			     PL_SIG_ECDSA_SECP256R1_SHA256);
	} else {
		CHECK(false);
	}
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

static void sni_selects_the_chain(void)
{
	static const char *const chains[] = {"a", "b", NULL};
	static const char *const names[] = {"a.test", "b.test"};
	pl_tls_config_t *scfg = ep_server_config(chains);
	pl_tls_config_t *ccfg = ep_client_config();

	for (int i = 0; i < 2; i++) {
		ep_pair_t p;
		ep_pair_new(&p, ccfg, scfg, names[i]);
		if (ep_handshake(&p)) {
			const pl_x509_chain_t *got =
				pl_tls_peer_chain(p.client);
			CHECK(strcmp(pl_tls_sni(p.server), names[i]) == 0);
			CHECK(pl_x509_chain_covers(got, names[i]));
			CHECK(!pl_x509_chain_covers(got, names[1 - i]));
			CHECK(talk(&p));
		} else {
			CHECK_MSG(false, "handshake for %s", names[i]);
		}
		ep_pair_free(&p);
	}
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

/* ---- KeyUpdate ----------------------------------------------------------- */

typedef struct {
	uint8_t c_ap[PL_HASH_MAX];
	uint8_t s_ap[PL_HASH_MAX];
} secrets_t;

static void secrets_of(const pl_tls_conn_t *c, secrets_t *s)
{
	memcpy(s->c_ap, test_secret(c, "c ap"), PL_HASH_MAX);
	memcpy(s->s_ap, test_secret(c, "s ap"), PL_HASH_MAX);
}

/* RFC 8446 4.6.3: update_requested makes both directions change keys. */
static void key_update_changes_both_directions(void)
{
	pl_tls_config_t *ccfg = ep_client_config();
	ep_pair_t p;
	secrets_t before, client, server;

	ep_pair_new(&p, ccfg, server_all, "localhost");
	if (!ep_handshake(&p)) {
		CHECK(false);
		goto out;
	}
	for (int round = 0; round < 6; round++) {
		pl_tls_conn_t *from = round % 2 ? p.server : p.client;
		secrets_of(p.client, &before);
		CHECK(pl_tls_key_update(from, true) == PL_OK);
		ep_pump(&p);
		secrets_of(p.client, &client);
		secrets_of(p.server, &server);
		CHECK_MSG(memcmp(before.c_ap, client.c_ap, PL_HASH_MAX) != 0,
			  "round %d: client keys did not change", round);
		CHECK_MSG(memcmp(before.s_ap, client.s_ap, PL_HASH_MAX) != 0,
			  "round %d: server keys did not change", round);
		CHECK(memcmp(client.c_ap, server.c_ap, PL_HASH_MAX) == 0);
		CHECK(memcmp(client.s_ap, server.s_ap, PL_HASH_MAX) == 0);
		CHECK_MSG(talk(&p), "round %d: data after KeyUpdate", round);
	}
	/* Without update_requested only the sender's direction changes. */
	secrets_of(p.client, &before);
	CHECK(pl_tls_key_update(p.client, false) == PL_OK);
	ep_pump(&p);
	secrets_of(p.client, &client);
	secrets_of(p.server, &server);
	CHECK(memcmp(before.c_ap, client.c_ap, PL_HASH_MAX) != 0);
	CHECK(memcmp(before.s_ap, client.s_ap, PL_HASH_MAX) == 0);
	CHECK(memcmp(client.c_ap, server.c_ap, PL_HASH_MAX) == 0);
	CHECK(talk(&p));
out:
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
}

/* ---- record_size_limit ----------------------------------------------- */

/* The largest record in the bytes a side queued: content + type + tag. */
static size_t largest_record(pl_tls_conn_t *c)
{
	size_t n, len, max = 0;
	const uint8_t *p = pl_tls_output(c, &n);
	while ((len = ep_record_len(p, n)) > 0) {
		if (len - PL_TLS_RECORD_HEADER > max)
			max = len - PL_TLS_RECORD_HEADER;
		p += len;
		n -= len;
	}
	return max;
}

/* RFC 8449 4: each side keeps under the limit the other advertised (the
 * limit counts the content type byte in TLS 1.3), through the handshake,
 * data and KeyUpdate. */
static void record_size_limit_is_honoured(void)
{
	static uint8_t data[4000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31);
	for (int i = 0; i < 4; i++) {
		uint16_t client_limit = i & 1 ? 64 : 16385;
		uint16_t server_limit = i & 2 ? 100 : 16385;
		pl_tls_config_t *ccfg = ep_client_config();
		pl_tls_config_t *scfg = ep_server_config(all_chains);
		ep_pair_t p;
		CHECK(pl_tls_config_set_record_size_limit(ccfg, client_limit) ==
		      PL_OK);
		CHECK(pl_tls_config_set_record_size_limit(scfg, server_limit) ==
		      PL_OK);
		ep_pair_new(&p, ccfg, scfg, "localhost");
		CHECK_MSG(ep_handshake(&p), "limits %u/%u", client_limit,
			  server_limit);
		CHECK(pl_tls_write(p.client, data, sizeof(data)) == PL_OK);
		CHECK(pl_tls_write(p.server, data, sizeof(data)) == PL_OK);
		CHECK(largest_record(p.client) <= server_limit + 16u);
		CHECK(largest_record(p.server) <= client_limit + 16u);
		ep_pump(&p);
		for (int side = 0; side < 2; side++) {
			uint8_t got[sizeof(data)];
			size_t n, have = 0;
			pl_tls_conn_t *c = side ? p.client : p.server;
			while (have < sizeof(got) &&
			       pl_tls_read(c, got + have, sizeof(got) - have,
					   &n) == PL_OK &&
			       n > 0)
				have += n;
			CHECK(have == sizeof(data) &&
			      memcmp(got, data, sizeof(data)) == 0);
		}
		CHECK(pl_tls_key_update(p.client, true) == PL_OK);
		ep_pump(&p);
		CHECK(talk(&p));
		ep_pair_free(&p);
		pl_tls_config_free(ccfg);
		pl_tls_config_free(scfg);
	}
}

/* ---- bulk data ----------------------------------------------------------- */

#define BULK (4u << 20)

static uint64_t rng = 0x9e3779b97f4a7c15u;

/* xorshift64*: fast, reproducible, good enough to pick sizes. */
static uint32_t next_random(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1du) >> 32);
}

/* One direction of the bulk transfer. */
typedef struct {
	pl_tls_conn_t *from, *to;
	uint8_t *src, *dst;
	size_t sent, received;
	bool broken;
} stream_t;

static void stream_write(stream_t *s)
{
	size_t len = 1 + next_random() % 40000;

	if (s->sent == BULK)
		return;
	if (len > BULK - s->sent)
		len = BULK - s->sent;
	if (pl_tls_write(s->from, s->src + s->sent, len) != PL_OK)
		s->broken = true;
	s->sent += len;
}

/* Delivers up to budget bytes of output (all of it when budget is 0) in
 * pieces of 1..20000 bytes, then reads what arrived. */
static void stream_deliver(stream_t *s, size_t budget)
{
	size_t n, moved = 0;
	const uint8_t *out;

	while ((out = pl_tls_output(s->from, &n)) != NULL && n > 0 &&
	       (budget == 0 || moved < budget)) {
		size_t piece = 1 + next_random() % 20000;
		if (piece > n)
			piece = n;
		if (pl_tls_feed(s->to, out, piece) != PL_OK)
			s->broken = true;
		pl_tls_output_consumed(s->from, piece);
		moved += piece;
	}
	do {
		if (pl_tls_read(s->to, s->dst + s->received, BULK - s->received,
				&n) != PL_OK)
			s->broken = true;
		s->received += n;
	} while (n > 0 && s->received < BULK);
}

static void bulk_data_both_ways_in_random_records(void)
{
	pl_tls_config_t *ccfg = ep_client_config();
	stream_t up = {0}, down = {0};
	uint8_t *mem = malloc(4 * (size_t)BULK), extra;
	ep_pair_t p;
	size_t n;

	ep_pair_new(&p, ccfg, server_all, "localhost");
	if (mem == NULL || !ep_handshake(&p)) {
		CHECK(false);
		goto out;
	}
	up = (stream_t){p.client, p.server, mem, mem + BULK, 0, 0, false};
	down = (stream_t){p.server, p.client, mem + 2 * BULK, mem + 3 * BULK,
			  0, 0, false};
	for (size_t i = 0; i < BULK; i++) {
		up.src[i] = (uint8_t)next_random();
		down.src[i] = (uint8_t)(i * 7 + (i >> 13));
	}
	int rounds = 0;
	while ((up.received < BULK || down.received < BULK) && !up.broken &&
	       !down.broken) {
		/* About BULK / 20000 rounds are needed; far more means the
		 * data stopped moving. */
		if (++rounds == 100000) {
			CHECK_MSG(false, "the transfer stalled");
			break;
		}
		stream_write(&up);
		stream_write(&down);
		/* Leave part of a record behind now and then. */
		bool all = up.sent == BULK && down.sent == BULK;
		stream_deliver(&up, all ? 0 : 1 + next_random() % 60000);
		stream_deliver(&down, all ? 0 : 1 + next_random() % 60000);
	}
	CHECK(!up.broken && !down.broken);
	CHECK_EQ_INT(up.received, BULK);
	CHECK_EQ_INT(down.received, BULK);
	CHECK_MSG(memcmp(up.src, up.dst, BULK) == 0,
		  "client to server differs");
	CHECK_MSG(memcmp(down.src, down.dst, BULK) == 0,
		  "server to client differs");
	CHECK(pl_tls_read(p.server, &extra, 1, &n) == PL_OK && n == 0);
	CHECK(pl_tls_read(p.client, &extra, 1, &n) == PL_OK && n == 0);
	CHECK(talk(&p));
out:
	free(mem);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
}

/* Zero-length writes send nothing; a zero-length application record from
 * the peer is accepted and delivers nothing (RFC 8446 5.1 allows it). */
static void zero_length_writes_and_records(void)
{
	pl_tls_config_t *ccfg = ep_client_config();
	ep_keylog_t log = {0};
	ep_keys_t keys;
	pl_buf_t rec = PL_BUF_INIT;
	uint8_t byte;
	ep_pair_t p;
	size_t n;

	pl_tls_config_set_keylog(ccfg, ep_keylog, &log);
	ep_pair_new(&p, ccfg, server_all, "localhost");
	if (!ep_handshake(&p)) {
		CHECK(false);
		goto out;
	}
	CHECK(pl_tls_write(p.client, &byte, 0) == PL_OK);
	CHECK(pl_tls_write(p.server, &byte, 0) == PL_OK);
	CHECK(pl_tls_output(p.client, &n) == NULL && n == 0);
	CHECK(pl_tls_output(p.server, &n) == NULL && n == 0);
	CHECK(talk(&p));
	/* The client has sent one record (seq 0); forge its second. */
	if (!ep_keys_init(&keys, pl_tls_suite(p.client),
			  ep_secret(&log, "CLIENT_TRAFFIC_SECRET_0"))) {
		CHECK(false);
		goto out;
	}
	keys.seq = 1;
	CHECK(ep_seal(&keys, PL_CT_APPLICATION_DATA, NULL, 0, 0, &rec));
	CHECK(pl_tls_feed(p.server, pl_buf_head(&rec), pl_buf_size(&rec)) ==
	      PL_OK);
	CHECK(!pl_tls_failed(p.server));
	CHECK(pl_tls_read(p.server, &byte, 1, &n) == PL_OK && n == 0);
	CHECK(ep_send(&p, false, "still here", 10));
	ep_keys_free(&keys);
out:
	pl_buf_free(&rec);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
}

/* ---- closing ------------------------------------------------------------- */

/* RFC 8446 6.1: data before close_notify is delivered, then the end. */
static void close_notify_ends_the_stream(void)
{
	pl_tls_config_t *ccfg = ep_client_config();
	uint8_t buf[64];
	ep_pair_t p;
	size_t n;

	ep_pair_new(&p, ccfg, server_all, "localhost");
	if (!ep_handshake(&p)) {
		CHECK(false);
		goto out;
	}
	CHECK(pl_tls_write(p.client, (const uint8_t *)"last words", 10) ==
	      PL_OK);
	CHECK(pl_tls_close(p.client) == PL_OK);
	CHECK(pl_tls_write(p.client, (const uint8_t *)"more", 4) ==
	      PL_ERR_STATE);
	ep_pump(&p);
	CHECK(pl_tls_read(p.server, buf, sizeof(buf), &n) == PL_OK);
	CHECK(n == 10 && memcmp(buf, "last words", 10) == 0);
	CHECK(pl_tls_read(p.server, buf, sizeof(buf), &n) == PL_ERR_CLOSED);
	CHECK(n == 0);
	CHECK(pl_tls_peer_closed(p.server));
	CHECK(!pl_tls_failed(p.server));
	/* The other direction stays open until the server closes too. */
	CHECK(ep_send(&p, false, "goodbye", 7));
	CHECK(pl_tls_close(p.server) == PL_OK);
	ep_pump(&p);
	CHECK(pl_tls_read(p.client, buf, sizeof(buf), &n) == PL_ERR_CLOSED);
	CHECK(!pl_tls_failed(p.client));
out:
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
}

/* ---- the client's certificate checks ------------------------------------- */

/* Runs a handshake that the client must refuse with alert; the server
 * must see the alert arrive. Returns the client's reason. */
static void client_refuses(const char *const *chains, const char *trust,
			   const char *name, time_t now, int alert,
			   char *reason, size_t cap)
{
	pl_tls_config_t *scfg = ep_server_config(chains);
	pl_tls_config_t *ccfg = ep_client_config_trusting(trust);
	ep_pair_t p;

	ep_pair_new(&p, ccfg, scfg, name);
	if (now)
		pl_tls_conn_set_time(p.client, now);
	ep_pump(&p);
	CHECK(pl_tls_failed(p.client));
	CHECK_EQ_INT(pl_tls_alert(p.client), alert);
	CHECK(!pl_tls_alert_received(p.client));
	CHECK(pl_tls_failed(p.server));
	CHECK_EQ_INT(pl_tls_alert(p.server), alert);
	CHECK(pl_tls_alert_received(p.server));
	snprintf(reason, cap, "%s", pl_tls_reason(p.client));
	printf("     client: %s\n", reason);
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(scfg);
}

static void wrong_name_is_bad_certificate(void)
{
	static const char *const chains[] = {"p256", NULL};
	char reason[320];

	client_refuses(chains, "ca.pem", "wrong.test", 0,
		       PL_ALERT_BAD_CERTIFICATE, reason, sizeof(reason));
	CHECK(strstr(reason, "wrong.test") != NULL);
	CHECK(strstr(reason, "localhost") != NULL);
}

static void untrusted_ca_is_unknown_ca(void)
{
	static const char *const chains[] = {"stranger", NULL};
	char reason[320];

	client_refuses(chains, "ca.pem", "localhost", 0, PL_ALERT_UNKNOWN_CA,
		       reason, sizeof(reason));
	CHECK(reason[0] != 0);
}

static void expired_certificate_is_certificate_expired(void)
{
	static const char *const chains[] = {"p256", NULL};
	char reason[320], err[256], date[32];
	pl_x509_chain_t *chain;
	pl_x509_info_t info;
	struct tm tm;

	chain = pl_x509_chain_load_pem(ep_path("p256.pem"), err, sizeof(err));
	if (chain == NULL || pl_x509_chain_info(chain, 0, &info) != PL_OK) {
		CHECK_MSG(false, "%s", err);
		pl_x509_chain_free(chain);
		return;
	}
	pl_x509_chain_free(chain);
	gmtime_r(&info.not_after, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	/* Ten years on, the 30-day certificate has long expired. */
	client_refuses(chains, "ca.pem", "localhost",
		       time(NULL) + 10 * 365 * 86400L,
		       PL_ALERT_CERTIFICATE_EXPIRED, reason, sizeof(reason));
	CHECK_MSG(strstr(reason, date) != NULL, "no %s in the reason", date);
}

/* ---- memory -------------------------------------------------------------- */

static void idle_connection_memory(void)
{
	pl_tls_config_t *ccfg = ep_client_config();
	ep_pair_t p;

	ep_pair_new(&p, ccfg, server_all, "localhost");
	if (ep_handshake(&p) && talk(&p)) {
		pl_tls_conn_shrink(p.client);
		pl_tls_conn_shrink(p.server);
		size_t c = pl_tls_conn_memory(p.client);
		size_t s = pl_tls_conn_memory(p.server);
		printf("     idle after handshake: client %zu bytes, server "
		       "%zu bytes (engine state and buffers, not "
		       "libcrypto's contexts)\n",
		       c, s);
		CHECK(c < 16384);
		CHECK(s < 16384);
		CHECK(talk(&p)); /* shrinking keeps the connection usable */
	} else {
		CHECK(false);
	}
	ep_pair_free(&p);
	pl_tls_config_free(ccfg);
}

/* ---- the other groups (issue 8, section 3) ------------------------------- */

/* The server's default groups, in its order of preference. */
static const uint16_t server_groups[] = {
	PL_GROUP_X25519,    PL_GROUP_SECP256R1, PL_GROUP_SECP384R1,
	PL_GROUP_SECP521R1, PL_GROUP_X448,      PL_GROUP_FFDHE2048,
	PL_GROUP_FFDHE3072, PL_GROUP_FFDHE4096,
};
#define N_SERVER_GROUPS (sizeof(server_groups) / sizeof(server_groups[0]))

/* A server with its default groups completes a handshake, without a
 * HelloRetryRequest, with a client that offers one group only, for each
 * group; every suite is used once along the way. */
static void default_server_takes_a_client_of_any_one_group(void)
{
	for (size_t i = 0; i < N_SERVER_GROUPS; i++)
		one_combination(all_suites[i % 3], server_groups[i],
				all_schemes[i % 6]);
}

/* A server without the group the client shared asks, by a
 * HelloRetryRequest, for its most preferred group the client supports:
 * x25519 before P-256 before the rest. */
static void server_asks_for_x25519_then_p256(void)
{
	static const struct {
		uint16_t client[3]; /* the first gets the share */
		uint16_t want;
	} cases[] = {
		{{PL_GROUP_FFDHE4096, PL_GROUP_SECP256R1, PL_GROUP_X25519},
		 PL_GROUP_X25519},
		{{PL_GROUP_X448, PL_GROUP_FFDHE2048, PL_GROUP_SECP256R1},
		 PL_GROUP_SECP256R1},
		{{PL_GROUP_FFDHE3072, PL_GROUP_X448, PL_GROUP_SECP521R1},
		 PL_GROUP_SECP521R1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* the server's defaults without the client's first group */
		uint16_t groups[N_SERVER_GROUPS];
		size_t n = 0;
		for (size_t j = 0; j < N_SERVER_GROUPS; j++)
			if (server_groups[j] != cases[i].client[0])
				groups[n++] = server_groups[j];
		pl_tls_config_t *ccfg = ep_client_config();
		pl_tls_config_t *scfg = ep_server_config(all_chains);
		ep_pair_t p;
		CHECK(pl_tls_config_set_groups(ccfg, cases[i].client, 3) ==
		      PL_OK);
		CHECK(pl_tls_config_set_groups(scfg, groups, n) == PL_OK);
		ep_pair_new(&p, ccfg, scfg, "localhost");
		if (ep_handshake(&p)) {
			CHECK(pl_tls_did_hello_retry(p.server));
			CHECK_MSG(pl_tls_group(p.server) == cases[i].want,
				  "server chose %s, wanted %s",
				  pl_tls_group_name(pl_tls_group(p.server)),
				  pl_tls_group_name(cases[i].want));
			CHECK_EQ_INT(pl_tls_group(p.client), cases[i].want);
			CHECK(talk(&p));
		} else {
			CHECK(false);
		}
		ep_pair_free(&p);
		pl_tls_config_free(ccfg);
		pl_tls_config_free(scfg);
	}
}

/* A client offering every group with a share in the first one: the
 * server takes the share it was given rather than ask for x25519 (no
 * round trip), as it does for the three first groups. */
static void server_takes_the_share_it_was_given(void)
{
	for (size_t i = 3; i < N_SERVER_GROUPS; i++) {
		uint16_t groups[N_SERVER_GROUPS];
		groups[0] = server_groups[i];
		for (size_t j = 0, n = 1; j < N_SERVER_GROUPS; j++)
			if (j != i)
				groups[n++] = server_groups[j];
		pl_tls_config_t *ccfg = ep_client_config();
		ep_pair_t p;
		CHECK(pl_tls_config_set_groups(ccfg, groups, N_SERVER_GROUPS) ==
		      PL_OK);
		ep_pair_new(&p, ccfg, server_all, "localhost");
		if (ep_handshake(&p)) {
			CHECK(!pl_tls_did_hello_retry(p.server));
			CHECK_EQ_INT(pl_tls_group(p.server), server_groups[i]);
			CHECK(talk(&p));
		} else {
			CHECK(false);
		}
		ep_pair_free(&p);
		pl_tls_config_free(ccfg);
	}
}

int main(void)
{
	ep_setup();
	server_all = ep_server_config(all_chains);
	RUN(every_suite_group_and_scheme_completes);
	RUN(hello_retry_for_a_key_share);
	RUN(hello_retry_for_a_cookie);
	RUN(hello_retry_for_a_key_share_and_a_cookie);
	RUN(alpn_picks_the_servers_preference);
	RUN(alpn_unused_when_the_server_has_none);
	RUN(alpn_without_overlap_fails);
	RUN(two_chains_rsa_client_gets_rsa);
	RUN(two_chains_default_client_gets_ecdsa);
	RUN(sni_selects_the_chain);
	RUN(key_update_changes_both_directions);
	RUN(record_size_limit_is_honoured);
	RUN(bulk_data_both_ways_in_random_records);
	RUN(zero_length_writes_and_records);
	RUN(close_notify_ends_the_stream);
	RUN(wrong_name_is_bad_certificate);
	RUN(untrusted_ca_is_unknown_ca);
	RUN(expired_certificate_is_certificate_expired);
	RUN(idle_connection_memory);
	RUN(default_server_takes_a_client_of_any_one_group);
	RUN(server_asks_for_x25519_then_p256);
	RUN(server_takes_the_share_it_was_given);
	pl_tls_config_free(server_all);
	return test_finish();
}
