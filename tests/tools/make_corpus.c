/*
 * make_corpus: writes the seeds of the fuzz harnesses
 * (tests/fuzz/corpus/fuzz_NAME/) from in-memory handshakes between
 * padlock's client and server. It uses the harnesses' own configurations,
 * fixed randoms and key pairs (tests/fuzz/common.c), so a seed replays in
 * its harness as far as the engine is deterministic: through the
 * handshake and past it where the server signs with Ed25519 (an ECDSA
 * signature is random, and a client Finished over it does not replay).
 * Seeds that carry an ECDSA signature or a HelloRetryRequest cookie come
 * out different on every run (both are random); the others are the same
 * bytes every time.
 *
 * usage: make_corpus [FIXTURE_DIR [CORPUS_DIR]]
 * (defaults tests/fuzz/fixtures and tests/fuzz/corpus, from the repository
 * root). Files it writes are replaced; others (the ClientHellos that
 * tests/fuzz/capture_hellos.py captured from openssl and curl, regression
 * inputs) are left alone.
 *
 * Each C file in tests/tools is built on its own, so the harnesses'
 * shared code comes in by inclusion.
 */
#include "fuzz/common.c"

#include <errno.h>

static const char *corpus_dir = "tests/fuzz/corpus";
static pl_tls_config_t *server_cfgs[FUZZ_SERVER_VARIANTS];

static void save(const char *harness, const char *name, uint8_t ctl,
		 const fuzz_bytes_t *body)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s/%s", corpus_dir, harness, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(&ctl, 1, 1, f) != 1 ||
	    (body->len && fwrite(body->data, 1, body->len, f) != body->len) ||
	    fclose(f) != 0) {
		fprintf(stderr, "make_corpus: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	printf("%s (%zu bytes)\n", path, body->len + 1);
}

/* ---- the handshake secrets, from the key log ---------------------------------- */

typedef struct {
	uint8_t client_hs[PL_HASH_MAX];
	uint8_t server_hs[PL_HASH_MAX];
} secrets_t;

static void hex_to_bytes(const char *hex, uint8_t *out, size_t cap)
{
	for (size_t i = 0; i < cap && hex[2 * i] && hex[2 * i + 1]; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			break;
		out[i] = (uint8_t)v;
	}
}

/* "LABEL client_random secret": keeps the handshake secrets. */
static void keylog(void *arg, const char *line)
{
	secrets_t *s = arg;
	const char *secret = strrchr(line, ' ');
	if (secret == NULL)
		return;
	if (strncmp(line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", 32) == 0)
		hex_to_bytes(secret + 1, s->client_hs, sizeof(s->client_hs));
	else if (strncmp(line, "SERVER_HANDSHAKE_TRAFFIC_SECRET ", 32) == 0)
		hex_to_bytes(secret + 1, s->server_hs, sizeof(s->server_hs));
}

/* ---- one recorded handshake --------------------------------------------------- */

typedef struct {
	pl_tls_conn_t *client;
	pl_tls_conn_t *server;
	fuzz_bytes_t c2s; /* what the client sent */
	fuzz_bytes_t s2c; /* what the server sent */
	secrets_t secrets;
} run_t;

/* A handshake between a client made with ccfg (for client variant cv)
 * and a server of variant sv whose key pair is in group. */
static void run(run_t *r, pl_tls_config_t *ccfg, int cv, int sv,
		uint16_t group)
{
	memset(r, 0, sizeof(*r));
	pl_tls_config_set_keylog(ccfg, keylog, &r->secrets);
	r->client = fuzz_client_new(ccfg, cv);
	r->server = fuzz_server_new(server_cfgs[sv], group);
	if (!fuzz_handshake(r->client, r->server, &r->c2s, &r->s2c)) {
		fprintf(stderr, "make_corpus: handshake failed: client: %s; "
			"server: %s\n", pl_tls_reason(r->client),
			pl_tls_reason(r->server));
		exit(1);
	}
}

static void run_free(run_t *r)
{
	pl_tls_conn_free(r->client);
	pl_tls_conn_free(r->server);
	fuzz_bytes_free(&r->c2s);
	fuzz_bytes_free(&r->s2c);
}

/* Replaces the finished run *r with a second handshake (client config
 * ccfg, server variant 0) that offers the session of *r and resumes. */
static void resume(run_t *r, pl_tls_config_t *ccfg)
{
	uint8_t *session;
	size_t session_len;
	if (pl_tls_session_save(r->client, &session, &session_len))
		die("ticket", "the client kept no ticket");
	run_free(r);
	memset(r, 0, sizeof(*r));
	r->client = fuzz_client_new(ccfg, 0);
	r->server = fuzz_server_new(server_cfgs[0], PL_GROUP_X25519);
	if (pl_tls_session_load(r->client, session, session_len) ||
	    !fuzz_handshake(r->client, r->server, &r->c2s, &r->s2c) ||
	    !pl_tls_resumed(r->server))
		die("resumed", pl_tls_reason(r->server));
	pl_cleanse(session, session_len);
	free(session);
}

/* The client's application data, a KeyUpdate asking for the server's,
 * more data under the new key and close_notify, recorded into c2s. */
static void client_epilogue(run_t *r)
{
	static const uint8_t get[] =
		"GET / HTTP/1.1\r\nHost: fuzz.padlock.test\r\n\r\n";
	if (pl_tls_write(r->client, get, sizeof(get) - 1) ||
	    fuzz_pump(r->client, r->server, &r->c2s) ||
	    pl_tls_key_update(r->client, true) ||
	    fuzz_pump(r->client, r->server, &r->c2s) ||
	    fuzz_pump(r->server, r->client, NULL) ||
	    pl_tls_write(r->client, get, sizeof(get) - 1) ||
	    fuzz_pump(r->client, r->server, &r->c2s) ||
	    pl_tls_close(r->client) ||
	    fuzz_pump(r->client, r->server, &r->c2s)) {
		fprintf(stderr, "make_corpus: client epilogue failed: %s\n",
			pl_tls_reason(r->server));
		exit(1);
	}
}

/* ---- messages after the handshake ------------------------------------------ */

static void message(fuzz_bytes_t *b, uint8_t type, const fuzz_bytes_t *body)
{
	fuzz_bytes_u8(b, type);
	fuzz_bytes_u8(b, (uint8_t)(body->len >> 16));
	fuzz_bytes_u16(b, (uint16_t)body->len);
	fuzz_bytes_add(b, body->data, body->len);
}

static void key_update(fuzz_bytes_t *b, uint8_t request)
{
	fuzz_bytes_t body = {0};
	fuzz_bytes_u8(&body, request);
	message(b, PL_HS_KEY_UPDATE, &body);
	fuzz_bytes_free(&body);
}

/* RFC 8446 4.6.1; with_early_data adds the early_data extension. */
static void ticket(fuzz_bytes_t *b, uint32_t lifetime, bool with_early_data)
{
	static const uint8_t nonce[] = {0, 1};
	static const uint8_t opaque[] = "an opaque ticket the server made";
	fuzz_bytes_t body = {0};
	fuzz_bytes_u16(&body, (uint16_t)(lifetime >> 16));
	fuzz_bytes_u16(&body, (uint16_t)lifetime);
	fuzz_bytes_u16(&body, 0x1234); /* ticket_age_add */
	fuzz_bytes_u16(&body, 0x5678);
	fuzz_bytes_u8(&body, sizeof(nonce));
	fuzz_bytes_add(&body, nonce, sizeof(nonce));
	fuzz_bytes_u16(&body, sizeof(opaque) - 1);
	fuzz_bytes_add(&body, opaque, sizeof(opaque) - 1);
	if (with_early_data) {
		fuzz_bytes_u16(&body, 8);
		fuzz_bytes_u16(&body, PL_EXT_EARLY_DATA);
		fuzz_bytes_u16(&body, 4);
		fuzz_bytes_u16(&body, 0);
		fuzz_bytes_u16(&body, 0x4000); /* max_early_data_size */
	} else {
		fuzz_bytes_u16(&body, 0);
	}
	message(b, PL_HS_NEW_SESSION_TICKET, &body);
	fuzz_bytes_free(&body);
}

static const uint8_t reply[] = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
static const uint8_t close_notify[] = {1, PL_ALERT_CLOSE_NOTIFY};

/* Protects one record for rx with sealer, appends it to out and feeds it
 * to rx, so the next one is sealed with the keys rx then reads with. */
static void seal_feed(fuzz_sealer_t *sealer, pl_tls_conn_t *rx, uint8_t type,
		      const void *data, size_t len, fuzz_bytes_t *out)
{
	fuzz_bytes_t rec = {0};
	if (fuzz_seal(sealer, rx, type, data, len, 0, &rec) ||
	    pl_tls_feed(rx, rec.data, rec.len)) {
		fprintf(stderr, "make_corpus: sealed record refused: %s\n",
			pl_tls_reason(rx));
		exit(1);
	}
	fuzz_drain(rx, NULL);
	fuzz_read_all(rx);
	fuzz_bytes_add(out, rec.data, rec.len);
	fuzz_bytes_free(&rec);
}

/* What a server sends after the handshake, sealed for the client and
 * appended to out: two tickets, data, a KeyUpdate asking for the
 * client's, data under the new key, close_notify. */
static void server_epilogue(run_t *r, fuzz_bytes_t *out)
{
	fuzz_sealer_t sealer = {0};
	fuzz_bytes_t b = {0};
	size_t tickets = pl_tls_ticket_count(r->client);
	ticket(&b, 7200, false);
	ticket(&b, 604800, true);
	seal_feed(&sealer, r->client, PL_CT_HANDSHAKE, b.data, b.len, out);
	seal_feed(&sealer, r->client, PL_CT_APPLICATION_DATA, reply,
		  sizeof(reply) - 1, out);
	b.len = 0;
	key_update(&b, 1);
	seal_feed(&sealer, r->client, PL_CT_HANDSHAKE, b.data, b.len, out);
	seal_feed(&sealer, r->client, PL_CT_APPLICATION_DATA, reply,
		  sizeof(reply) - 1, out);
	seal_feed(&sealer, r->client, PL_CT_ALERT, close_notify,
		  sizeof(close_notify), out);
	if (pl_tls_ticket_count(r->client) != tickets + 2 ||
	    !pl_tls_peer_closed(r->client)) {
		fprintf(stderr, "make_corpus: server epilogue not taken\n");
		exit(1);
	}
	fuzz_bytes_free(&b);
	fuzz_sealer_free(&sealer);
}

/* ---- recorded flights as items ------------------------------------------------ */

/* Appends each handshake message of content to items as a record item. */
static void message_items(fuzz_bytes_t *items, const uint8_t *p, size_t len)
{
	while (len >= 4) {
		size_t n = 4 + ((size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);
		if (n > len)
			n = len;
		fuzz_item_add(items, 0, PL_CT_HANDSHAKE, 0, p, n);
		p += n;
		len -= n;
	}
}

/* Turns a recorded flight into items: each handshake message its own item
 * (plaintext ones and, decrypted with the handshake secret, protected
 * ones), change_cipher_spec records raw. */
static void flight_items(const fuzz_bytes_t *flight, const run_t *r,
			 bool from_server, fuzz_bytes_t *items)
{
	pl_hash_alg_t hash;
	pl_aead_alg_t alg;
	uint8_t key[PL_AEAD_KEY_MAX], iv[12], nonce[12];
	uint64_t seq = 0;
	const uint8_t *secret =
		from_server ? r->secrets.server_hs : r->secrets.client_hs;
	if (!pl_tls_suite_params(pl_tls_suite(r->client), &hash, &alg) ||
	    pl_tls_expand_label(hash, secret, "key", NULL, 0, key,
				pl_aead_key_len(alg)) ||
	    pl_tls_expand_label(hash, secret, "iv", NULL, 0, iv, sizeof(iv)))
		die("flight", "no handshake keys");
	pl_aead_t *aead = pl_aead_new(alg, key);
	const uint8_t *p = flight->data;
	size_t left = flight->len;
	while (left >= 5) {
		size_t n = 5 + ((size_t)p[3] << 8 | p[4]);
		if (p[0] == PL_CT_HANDSHAKE) {
			message_items(items, p + 5, n - 5);
		} else if (p[0] == PL_CT_APPLICATION_DATA) {
			uint8_t inner[PL_TLS_MAX_CIPHERTEXT];
			memcpy(nonce, iv, 12);
			for (int i = 0; i < 8; i++)
				nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
			seq++;
			if (pl_aead_open(aead, nonce, p, 5, p + 5, n - 5,
					 inner)) {
				/* the server's NewSessionTickets follow,
				 * under the application keys: not items */
				if (from_server)
					break;
				die("flight", "a record does not decrypt");
			}
			size_t m = n - 5 - PL_AEAD_TAG_LEN;
			while (m > 0 && inner[m - 1] == 0)
				m--;
			if (m == 0 || inner[m - 1] != PL_CT_HANDSHAKE)
				die("flight", "not a handshake record");
			message_items(items, inner, m - 1);
		} else {
			fuzz_item_add(items, FUZZ_ITEM_RAW, 0, 0, p, n);
		}
		p += n;
		left -= n;
	}
	pl_aead_free(aead);
	pl_cleanse(key, sizeof(key));
}

/* ---- the seeds -------------------------------------------------------------------- */

static void server_seeds(void)
{
	pl_tls_config_t *ed[2] = {fuzz_client_config_ed25519(0),
				  fuzz_client_config_ed25519(1)};
	pl_tls_config_t *ecdsa = fuzz_client_config(0, true);
	pl_tls_config_t *hybrid = fuzz_client_config_ed25519(2);
	fuzz_bytes_t items = {0}, b = {0};
	run_t r;

	/* The Ed25519 chain: replays into the connected state. */
	run(&r, ed[0], 0, 0, PL_GROUP_X25519);
	size_t handshake_len = r.c2s.len;
	flight_items(&r.c2s, &r, false, &items);
	client_epilogue(&r);
	save("fuzz_server", "ed25519-x25519", 0x00, &r.c2s);
	r.c2s.len = handshake_len;
	save("fuzz_server", "ed25519-x25519-bytewise", 0x01, &r.c2s);
	save("fuzz_server", "ed25519-x25519-random-chunks", 0x07, &r.c2s);
	/* As items: the Finished and what follows are plaintexts to mutate. */
	fuzz_item_add(&items, 0, PL_CT_APPLICATION_DATA, 0, reply,
		      sizeof(reply) - 1);
	key_update(&b, 1);
	fuzz_item_add(&items, FUZZ_ITEM_WRITE, PL_CT_HANDSHAKE, 0, b.data,
		      b.len);
	fuzz_item_add(&items, FUZZ_ITEM_KEY_UPDATE, PL_CT_APPLICATION_DATA, 7,
		      reply, sizeof(reply) - 1);
	fuzz_item_add(&items, FUZZ_ITEM_CLOSE, PL_CT_ALERT, 0, close_notify,
		      sizeof(close_notify));
	save("fuzz_server", "items-ed25519-x25519", 0x80, &items);
	run_free(&r);

	/* HelloRetryRequest: a secp384r1 client, a server without it. */
	run(&r, ed[1], 1, 1, PL_GROUP_SECP256R1);
	items.len = 0;
	flight_items(&r.c2s, &r, false, &items);
	client_epilogue(&r);
	save("fuzz_server", "ed25519-hrr-p256", 0x28, &r.c2s);
	save("fuzz_server", "items-ed25519-hrr-p256", 0xa8, &items);
	run_free(&r);

	/* secp384r1 accepted as it is. */
	run(&r, ed[1], 1, 0, PL_GROUP_SECP384R1);
	client_epilogue(&r);
	save("fuzz_server", "ed25519-p384", 0x40, &r.c2s);
	run_free(&r);

	/* A cookie round trip (random: replays up to the second hello). */
	run(&r, ed[0], 0, 2, PL_GROUP_X25519);
	save("fuzz_server", "ed25519-cookie", 0x10, &r.c2s);
	run_free(&r);

	/* AES-256-GCM, record_size_limit 256: the client fragments. */
	run(&r, ed[0], 0, 3, PL_GROUP_X25519);
	uint8_t big[1000];
	memset(big, 'x', sizeof(big));
	if (pl_tls_write(r.client, big, sizeof(big)) ||
	    fuzz_pump(r.client, r.server, &r.c2s))
		die("rsl", pl_tls_reason(r.server));
	client_epilogue(&r);
	save("fuzz_server", "ed25519-rsl256", 0x18, &r.c2s);
	run_free(&r);

	/* The P-256 chain: the Finished fails (the signature is random). */
	run(&r, ecdsa, 0, 0, PL_GROUP_X25519);
	save("fuzz_server", "ecdsa-x25519", 0x00, &r.c2s);
	run_free(&r);

	/* X25519MLKEM768 and x25519 shares: the server takes the hybrid
	 * one (encapsulation-key check, encapsulation). Its key pairs are
	 * always fresh, so the client's Finished does not replay, and the
	 * seed changes on every run. */
	run(&r, hybrid, 2, 0, PL_GROUP_X25519MLKEM768);
	if (pl_tls_group(r.server) != PL_GROUP_X25519MLKEM768)
		die("hybrid", "the server did not choose X25519MLKEM768");
	save("fuzz_server", "ed25519-x25519mlkem768", 0x00, &r.c2s);
	save("fuzz_server", "ed25519-x25519mlkem768-random-chunks", 0x07,
	     &r.c2s);
	run_free(&r);

	/* Resumption: the first handshake's ticket offered in a second
	 * (pre_shared_key, binder, the resumed flight). */
	run(&r, ed[0], 0, 0, PL_GROUP_X25519);
	if (fuzz_pump(r.server, r.client, &r.s2c))
		die("ticket", "the client kept no ticket");
	resume(&r, ed[0]);
	client_epilogue(&r);
	save("fuzz_server", "ed25519-resumed", 0x00, &r.c2s);
	save("fuzz_server", "ed25519-resumed-random-chunks", 0x07, &r.c2s);
	run_free(&r);

	fuzz_bytes_free(&items);
	fuzz_bytes_free(&b);
	fuzz_client_config_free(ed[0]);
	fuzz_client_config_free(ed[1]);
	fuzz_client_config_free(ecdsa);
	fuzz_client_config_free(hybrid);
}

/* A CertificateRequest (RFC 8446 4.3.2) asking for ed25519 signatures. */
static void certificate_request(fuzz_bytes_t *b)
{
	fuzz_bytes_t body = {0};
	fuzz_bytes_u8(&body, 0); /* certificate_request_context */
	fuzz_bytes_u16(&body, 8);
	fuzz_bytes_u16(&body, PL_EXT_SIGNATURE_ALGORITHMS);
	fuzz_bytes_u16(&body, 4);
	fuzz_bytes_u16(&body, 2);
	fuzz_bytes_u16(&body, PL_SIG_ED25519);
	message(b, PL_HS_CERTIFICATE_REQUEST, &body);
	fuzz_bytes_free(&body);
}

/* A request and close_notify from a TLS 1.2 client, recorded into c2s. */
static void client_epilogue12(run_t *r)
{
	static const uint8_t get[] =
		"GET / HTTP/1.1\r\nHost: fuzz.padlock.test\r\n\r\n";
	if (pl_tls_write(r->client, get, sizeof(get) - 1) ||
	    pl_tls_close(r->client) ||
	    fuzz_pump(r->client, r->server, &r->c2s))
		die("tls12 epilogue", pl_tls_reason(r->server));
}

/* TLS 1.2. fuzz_server: a 1.2-only client that takes only RSA PKCS#1
 * v1.5 signatures (deterministic, so the session hash and the Finished
 * replay) against the default server, whose RSA chain signs; the flight
 * replays into the connected state. fuzz_client: the default client
 * against a server of variant 0 that stops at 1.2 (no downgrade
 * sentinel), whose flight replays into the connected client. */
static void tls12_seeds(void)
{
	static const uint16_t rsa_suite = PL_TLS_ECDHE_RSA_AES_128_GCM_SHA256;
	static const uint16_t pkcs1 = PL_SIG_RSA_PKCS1_SHA256;
	/* The RSA certificate is not in trust.pem: no verification. */
	pl_tls_config_t *cfg = fuzz_client_config(0, false);
	pl_tls_config_t *variant0 = server_cfgs[0];
	run_t r;
	if (pl_tls_config_set_versions(cfg, PL_TLS_VERSION_12,
				       PL_TLS_VERSION_12) ||
	    pl_tls_config_set_suites(cfg, &rsa_suite, 1) ||
	    pl_tls_config_set_sigschemes(cfg, &pkcs1, 1)) {
		fprintf(stderr, "make_corpus: no TLS 1.2 client\n");
		exit(1);
	}
	run(&r, cfg, 0, 0, PL_GROUP_X25519);
	save("fuzz_server", "tls12-rsa-x25519", 0x00, &r.c2s);
	save("fuzz_server", "tls12-rsa-x25519-bytewise", 0x01, &r.c2s);
	/* RFC 5077: the session's ticket offered again, the abbreviated
	 * handshake (the ticket key and the server random are fixed, so
	 * the client's Finished replays) */
	resume(&r, cfg);
	client_epilogue12(&r);
	save("fuzz_server", "tls12-rsa-resumed", 0x00, &r.c2s);
	save("fuzz_server", "tls12-rsa-resumed-random-chunks", 0x07, &r.c2s);
	run_free(&r);
	pl_tls_config_free(cfg);

	cfg = fuzz_client_config(0, true);
	server_cfgs[0] = fuzz_server_config(0);
	if (pl_tls_config_set_versions(server_cfgs[0], PL_TLS_VERSION_12,
				       PL_TLS_VERSION_12)) {
		fprintf(stderr, "make_corpus: no TLS 1.2 server\n");
		exit(1);
	}
	run(&r, cfg, 0, 0, PL_GROUP_X25519);
	save("fuzz_client", "tls12-ecdsa-x25519", 0x00, &r.s2c);
	save("fuzz_client", "tls12-ecdsa-x25519-random-chunks", 0x07, &r.s2c);
	run_free(&r);
	pl_tls_config_free(server_cfgs[0]);
	server_cfgs[0] = variant0;
	pl_tls_config_free(cfg);
}

static void client_seeds(void)
{
	pl_tls_config_t *cfg[2] = {fuzz_client_config(0, true),
				   fuzz_client_config(1, true)};
	fuzz_bytes_t items = {0}, b = {0};
	run_t r;

	/* The server's flight, then tickets, data, KeyUpdate, close. */
	run(&r, cfg[0], 0, 0, PL_GROUP_X25519);
	size_t handshake_len = r.s2c.len;
	flight_items(&r.s2c, &r, true, &items);
	server_epilogue(&r, &r.s2c);
	save("fuzz_client", "ecdsa-x25519", 0x00, &r.s2c);
	save("fuzz_client", "ecdsa-x25519-noverify", 0x10, &r.s2c);
	r.s2c.len = handshake_len;
	save("fuzz_client", "ecdsa-x25519-bytewise", 0x01, &r.s2c);
	save("fuzz_client", "ecdsa-x25519-random-chunks", 0x07, &r.s2c);
	/* As items, so every encrypted message is a plaintext to mutate. */
	ticket(&b, 7200, true);
	fuzz_item_add(&items, 0, PL_CT_HANDSHAKE, 0, b.data, b.len);
	b.len = 0;
	key_update(&b, 1);
	fuzz_item_add(&items, FUZZ_ITEM_WRITE, PL_CT_HANDSHAKE, 3, b.data,
		      b.len);
	fuzz_item_add(&items, 0, PL_CT_APPLICATION_DATA, 0, reply,
		      sizeof(reply) - 1);
	fuzz_item_add(&items, 0, PL_CT_ALERT, 0, close_notify,
		      sizeof(close_notify));
	save("fuzz_client", "items-ecdsa-x25519", 0x80, &items);
	/* The same with a CertificateRequest after EncryptedExtensions:
	 * the signature no longer verifies, but every parser runs. */
	fuzz_bytes_t cr = {0};
	items.len = 0;
	flight_items(&r.s2c, &r, true, &items);
	/* items: ServerHello, CCS, EncryptedExtensions, Certificate, ...;
	 * insert after the third. */
	size_t at = 0;
	for (int i = 0; i < 3; i++)
		at += 5 + ((size_t)items.data[at + 3] << 8 | items.data[at + 4]);
	fuzz_bytes_add(&cr, items.data, at);
	b.len = 0;
	certificate_request(&b);
	fuzz_item_add(&cr, 0, PL_CT_HANDSHAKE, 0, b.data, b.len);
	fuzz_bytes_add(&cr, items.data + at, items.len - at);
	save("fuzz_client", "items-certificate-request", 0x80, &cr);
	fuzz_bytes_free(&cr);
	run_free(&r);

	/* A HelloRetryRequest for secp256r1. */
	run(&r, cfg[1], 1, 1, PL_GROUP_SECP256R1);
	items.len = 0;
	flight_items(&r.s2c, &r, true, &items);
	server_epilogue(&r, &r.s2c);
	save("fuzz_client", "ecdsa-hrr-p256", 0x08, &r.s2c);
	save("fuzz_client", "items-ecdsa-hrr-p256", 0x88, &items);
	run_free(&r);

	/* A cookie round trip. */
	run(&r, cfg[0], 0, 2, PL_GROUP_X25519);
	server_epilogue(&r, &r.s2c);
	save("fuzz_client", "ecdsa-cookie", 0x00, &r.s2c);
	run_free(&r);

	/* AES-256-GCM, record_size_limit 256. */
	run(&r, cfg[0], 0, 3, PL_GROUP_X25519);
	server_epilogue(&r, &r.s2c);
	save("fuzz_client", "ecdsa-rsl256", 0x00, &r.s2c);
	run_free(&r);

	/* secp384r1 accepted as it is. */
	run(&r, cfg[1], 1, 0, PL_GROUP_SECP384R1);
	save("fuzz_client", "ecdsa-p384", 0x08, &r.s2c);
	run_free(&r);

	/* X25519MLKEM768 chosen: the client decapsulates. Its hybrid key
	 * pairs are fresh, so in the harness the ciphertext meets implicit
	 * rejection; as items the encrypted messages are reached all the
	 * same (the harness seals with the keys the client derived). */
	pl_tls_config_t *hybrid = fuzz_client_config(2, true);
	run(&r, hybrid, 2, 0, PL_GROUP_X25519MLKEM768);
	if (pl_tls_group(r.client) != PL_GROUP_X25519MLKEM768)
		die("hybrid", "the server did not choose X25519MLKEM768");
	items.len = 0;
	flight_items(&r.s2c, &r, true, &items);
	save("fuzz_client", "ecdsa-x25519mlkem768", 0x20, &r.s2c);
	save("fuzz_client", "items-ecdsa-x25519mlkem768", 0xa0, &items);
	run_free(&r);
	fuzz_client_config_free(hybrid);

	fuzz_bytes_free(&items);
	fuzz_bytes_free(&b);
	fuzz_client_config_free(cfg[0]);
	fuzz_client_config_free(cfg[1]);
}

/* fuzz_record's control byte: receiver, suite index, items. */
static uint8_t record_ctl(bool to_client, int suite)
{
	return (uint8_t)((to_client ? FUZZ_RECORD_TO_CLIENT : 0) | suite << 1);
}

static void record_seeds(void)
{
	static const uint8_t get[] = "GET / HTTP/1.1\r\n\r\n";
	static const uint8_t fatal[] = {2, PL_ALERT_HANDSHAKE_FAILURE};
	static const uint8_t canceled[] = {1, PL_ALERT_USER_CANCELED};
	fuzz_bytes_t items = {0}, b = {0};

	/* To the server: data, padding, KeyUpdate, close. */
	fuzz_item_add(&items, FUZZ_ITEM_WRITE, PL_CT_APPLICATION_DATA, 0, get,
		      sizeof(get) - 1);
	fuzz_item_add(&items, 0, PL_CT_APPLICATION_DATA, 40, NULL, 0);
	key_update(&b, 1);
	fuzz_item_add(&items, 0, PL_CT_HANDSHAKE, 0, b.data, b.len);
	fuzz_item_add(&items, FUZZ_ITEM_WRITE | FUZZ_ITEM_KEY_UPDATE,
		      PL_CT_APPLICATION_DATA, 0, get, sizeof(get) - 1);
	fuzz_item_add(&items, FUZZ_ITEM_CLOSE, PL_CT_ALERT, 0, close_notify,
		      sizeof(close_notify));
	save("fuzz_record", "server-data-keyupdate-close", record_ctl(false, 0),
	     &items);
	save("fuzz_record", "server-chacha", record_ctl(false, 2), &items);
	save("fuzz_record", "server-ecdsa", record_ctl(false, 3), &items);

	/* To the client: tickets, one with early_data, KeyUpdate in the
	 * same record as a ticket, data, a fatal alert. */
	items.len = 0;
	b.len = 0;
	ticket(&b, 3600, false);
	fuzz_item_add(&items, 0, PL_CT_HANDSHAKE, 0, b.data, b.len);
	b.len = 0;
	ticket(&b, 604800, true);
	key_update(&b, 0);
	fuzz_item_add(&items, FUZZ_ITEM_SHRINK, PL_CT_HANDSHAKE, 0, b.data,
		      b.len);
	fuzz_item_add(&items, FUZZ_ITEM_WRITE, PL_CT_APPLICATION_DATA, 0,
		      reply, sizeof(reply) - 1);
	fuzz_item_add(&items, 0, PL_CT_ALERT, 0, canceled, sizeof(canceled));
	fuzz_item_add(&items, 0, PL_CT_ALERT, 0, fatal, sizeof(fatal));
	save("fuzz_record", "client-tickets-alert", record_ctl(true, 0),
	     &items);
	save("fuzz_record", "client-aes256", record_ctl(true, 1), &items);

	/* A handshake message split across records, then KeyUpdate with
	 * bytes after it in the same record (refused: RFC 8446 5.1). */
	items.len = 0;
	b.len = 0;
	ticket(&b, 60, false);
	fuzz_item_add(&items, 0, PL_CT_HANDSHAKE, 0, b.data, 3);
	fuzz_item_add(&items, 0, PL_CT_HANDSHAKE, 0, b.data + 3, b.len - 3);
	b.len = 0;
	key_update(&b, 1);
	key_update(&b, 0);
	fuzz_item_add(&items, 0, PL_CT_HANDSHAKE, 0, b.data, b.len);
	save("fuzz_record", "client-split-ticket", record_ctl(true, 2), &items);

	/* Inner plaintexts the record layer refuses: no content type,
	 * an unknown one, a protected change_cipher_spec, too much
	 * padding, an alert of three bytes. */
	items.len = 0;
	fuzz_item_add(&items, 0, 0, 5, NULL, 0);
	save("fuzz_record", "server-no-content-type", record_ctl(false, 0),
	     &items);
	items.len = 0;
	fuzz_item_add(&items, 0, 99, 0, get, 4);
	save("fuzz_record", "server-unknown-type", record_ctl(false, 0), &items);
	items.len = 0;
	fuzz_item_add(&items, 0, PL_CT_CHANGE_CIPHER_SPEC, 0, "\x01", 1);
	save("fuzz_record", "client-protected-ccs", record_ctl(true, 0), &items);
	items.len = 0;
	fuzz_item_add(&items, 0, PL_CT_APPLICATION_DATA, 255, get, 4);
	save("fuzz_record", "server-padding-overflow", record_ctl(false, 0),
	     &items);
	items.len = 0;
	fuzz_item_add(&items, 0, PL_CT_ALERT, 0, "\x02\x28\x00", 3);
	save("fuzz_record", "client-long-alert", record_ctl(true, 0), &items);

	/* Raw records after the handshake: a plaintext handshake record,
	 * a change_cipher_spec, a record that does not authenticate. */
	b.len = 0;
	fuzz_bytes_add(&b, "\x16\x03\x03\x00\x05\x18\x00\x00\x01\x00", 10);
	fuzz_bytes_add(&b, "\x14\x03\x03\x00\x01\x01", 6);
	fuzz_bytes_add(&b, "\x17\x03\x03\x00\x14", 5);
	fuzz_bytes_add(&b, "twenty bytes of junk", 20);
	save("fuzz_record", "server-raw", record_ctl(false, 0) | FUZZ_RECORD_RAW,
	     &b);
	save("fuzz_record", "client-raw-bytewise",
	     record_ctl(true, 0) | FUZZ_RECORD_RAW | 1 << 4, &b);

	fuzz_bytes_free(&items);
	fuzz_bytes_free(&b);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		fuzz_set_fixture_dir(argv[1]);
	if (argc > 2)
		corpus_dir = argv[2];
	for (int i = 0; i < FUZZ_SERVER_VARIANTS; i++)
		server_cfgs[i] = fuzz_server_config(i);
	server_seeds();
	client_seeds();
	tls12_seeds();
	record_seeds();
	for (int i = 0; i < FUZZ_SERVER_VARIANTS; i++)
		pl_tls_config_free(server_cfgs[i]);
	return 0;
}
