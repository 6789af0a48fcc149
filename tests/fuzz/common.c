/* Shared by the fuzz harnesses and make_corpus: see common.h. */
#include "fuzz/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/engine_secrets.h"
#include "tls/tls_int.h"

#ifndef FUZZ_FIXTURE_DIR
#define FUZZ_FIXTURE_DIR "tests/fuzz/fixtures"
#endif

static const char *fixture_dir = FUZZ_FIXTURE_DIR;

/* The fuzz build compiles UBSan's checks recoverable (CMakeLists.txt):
 * make every report fatal, so libFuzzer keeps the input as a crash. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

/* ---- growable bytes ------------------------------------------------------ */

void fuzz_bytes_add(fuzz_bytes_t *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap - b->len < n)
			cap *= 2;
		uint8_t *d = realloc(b->data, cap);
		if (d == NULL)
			abort();
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void fuzz_bytes_u8(fuzz_bytes_t *b, uint8_t v)
{
	fuzz_bytes_add(b, &v, 1);
}

void fuzz_bytes_u16(fuzz_bytes_t *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	fuzz_bytes_add(b, x, 2);
}

void fuzz_bytes_free(fuzz_bytes_t *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---- configurations ------------------------------------------------------ */

void fuzz_set_fixture_dir(const char *dir)
{
	fixture_dir = dir;
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz setup: %s: %s\n", what, detail);
	abort();
}

static void check(int ret, const char *what)
{
	if (ret != PL_OK)
		die(what, pl_strerror(ret));
}

static const char *fixture(const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", fixture_dir, name);
	return buf;
}

static void add_chain(pl_tls_config_t *cfg, const char *cert, const char *key)
{
	char path[1024], err[256];
	pl_x509_chain_t *chain = pl_x509_chain_load_pem(
		fixture(cert, path, sizeof(path)), err, sizeof(err));
	if (chain == NULL)
		die(cert, err);
	pl_pkey_t *k = pl_x509_key_load_pem(fixture(key, path, sizeof(path)),
					    err, sizeof(err));
	if (k == NULL) {
		pl_x509_chain_free(chain);
		die(key, err);
	}
	check(pl_tls_config_add_chain(cfg, chain, k), "add_chain");
}

void fuzz_trace(void *arg, const pl_tls_conn_t *conn, pl_tls_step_t step,
		const char *text)
{
	/* Touch every byte, so a text built past its end is seen by ASan. */
	volatile size_t n = strlen(text);
	(void)n;
}

void fuzz_keylog(void *arg, const char *line)
{
	volatile size_t n = strlen(line);
	(void)n;
}

static void fuzz_fix_randomness(pl_tls_config_t *cfg);

static pl_tls_config_t *new_config(bool is_server)
{
	pl_tls_config_t *cfg = pl_tls_config_new(is_server);
	if (cfg == NULL)
		die("config", "out of memory");
	pl_tls_config_set_trace(cfg, fuzz_trace, NULL);
	pl_tls_config_set_keylog(cfg, fuzz_keylog, NULL);
	fuzz_fix_randomness(cfg);
	check(pl_tls_config_set_alpn(cfg, "h2,http/1.1"), "alpn");
	return cfg;
}

pl_tls_config_t *fuzz_server_config(int variant)
{
	static const uint16_t two_groups[] = {PL_GROUP_X25519,
					      PL_GROUP_SECP256R1};
	static const uint16_t suites[] = {PL_TLS_AES_256_GCM_SHA384,
					  PL_TLS_CHACHA20_POLY1305_SHA256};
	pl_tls_config_t *cfg = new_config(true);
	add_chain(cfg, "p256-cert.pem", "p256-key.pem");
	add_chain(cfg, "ed25519-cert.pem", "ed25519-key.pem");
	add_chain(cfg, "rsa-cert.pem", "rsa-key.pem");
	/* a fixed ticket key: a recorded ticket opens in every run */
	static const uint8_t ticket_secret[1][32] = {{0x7e, 0x7e, 0x7e}};
	pl_tls_config_set_ticket_keys(cfg,
				      pl_tls_ticket_keys_list(ticket_secret, 1));
	switch (variant) {
	case 1:
		check(pl_tls_config_set_groups(cfg, two_groups, 2), "groups");
		break;
	case 2:
		pl_tls_config_set_require_cookie(cfg, true);
		break;
	case 3:
		check(pl_tls_config_set_suites(cfg, suites, 2), "suites");
		check(pl_tls_config_set_record_size_limit(cfg, 256), "limit");
		pl_tls_config_set_strict_sni(cfg, true);
		break;
	default:
		break;
	}
	return cfg;
}

static const uint16_t client_groups[FUZZ_CLIENT_VARIANTS][2] = {
	{PL_GROUP_X25519, PL_GROUP_SECP256R1},
	{PL_GROUP_SECP384R1, PL_GROUP_SECP256R1},
	{PL_GROUP_X25519MLKEM768, PL_GROUP_X25519},
};

pl_tls_config_t *fuzz_client_config(int variant, bool verify)
{
	char path[1024], err[256];
	pl_tls_config_t *cfg = new_config(false);
	check(pl_tls_config_set_groups(cfg, client_groups[variant], 2),
	      "groups");
	pl_tls_config_set_verify(cfg, verify);
	pl_x509_store_t *store = pl_x509_store_new(
		fixture("trust.pem", path, sizeof(path)), NULL, err,
		sizeof(err));
	if (store == NULL)
		die("trust.pem", err);
	pl_tls_config_set_trust(cfg, store);
	return cfg;
}

pl_tls_config_t *fuzz_client_config_ed25519(int variant)
{
	static const uint16_t ed25519[] = {PL_SIG_ED25519};
	pl_tls_config_t *cfg = fuzz_client_config(variant, false);
	check(pl_tls_config_set_sigschemes(cfg, ed25519, 1), "sigschemes");
	return cfg;
}

/* ---- deterministic connections -------------------------------------------- */

pl_kex_t *fuzz_kex(uint16_t group, bool is_server)
{
	/* Any scalar below the group order will do; 0x11.. for the server,
	 * 0x21.. for the client. */
	uint8_t priv[512];
	size_t len;
	switch (group) {
	case PL_GROUP_SECP384R1: len = 48; break;
	case PL_GROUP_SECP521R1: len = 66; break;
	case PL_GROUP_X448: len = 56; break;
	case PL_GROUP_FFDHE2048: len = 256; break;
	case PL_GROUP_FFDHE3072: len = 384; break;
	case PL_GROUP_FFDHE4096: len = 512; break;
	default: len = 32; break;
	}
	for (size_t i = 0; i < len; i++)
		priv[i] = (uint8_t)((is_server ? 0x11 : 0x21) + i);
	/* P-521's order and the ffdhe groups' q are below 2^(8 len - 7):
	 * a zero first byte keeps the scalar under them */
	if (group == PL_GROUP_SECP521R1 || len > 66)
		priv[0] = 0;
	pl_kex_t *k = pl_kex_new_from_private(group, priv, len);
	if (k == NULL)
		die("kex", pl_tls_group_name(group));
	return k;
}

uint16_t fuzz_server_group(int index)
{
	static const uint16_t groups[4] = {PL_GROUP_X25519, PL_GROUP_SECP256R1,
					   PL_GROUP_SECP384R1, PL_GROUP_X25519};
	return groups[index & 3];
}

/* The fixed randoms of each side, the client's session id. */
static const uint8_t server_random[32] = {
	0x5e, 0x5e, 0x5e, 0x5e, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28};
static const uint8_t client_random[32] = {
	0xc1, 0xc1, 0xc1, 0xc1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28};
#define SESSION_ID_BYTE 0x5d

/* The config's random callback: fixed hello randoms and session id; a
 * cookie stays random (so a recorded second ClientHello does not
 * replay against require_cookie). */
static int fixed_random(void *arg, const pl_tls_conn_t *c,
			pl_tls_random_use_t use, uint8_t *buf, size_t len)
{
	(void)arg;
	if (use == PL_TLS_RANDOM_COOKIE)
		return pl_random(buf, len);
	if (use == PL_TLS_RANDOM_TICKET) { /* a nonce, ticket_age_add */
		memset(buf, 0x7a, len);
		return PL_OK;
	}
	if (use == PL_TLS_RANDOM_SESSION_ID)
		memset(buf, SESSION_ID_BYTE, len);
	else if (len == 32)
		memcpy(buf, pl_tls_is_server(c) ? server_random : client_random,
		       32);
	else
		return PL_ERR_ARG;
	return PL_OK;
}

/* The config's kex callback: each side's fixed key pair in group. */
static pl_kex_t *fixed_kex(void *arg, const pl_tls_conn_t *c, uint16_t group)
{
	(void)arg;
	return fuzz_kex(group, pl_tls_is_server(c));
}

static void fuzz_fix_randomness(pl_tls_config_t *cfg)
{
	pl_tls_config_set_random(cfg, fixed_random, NULL);
	pl_tls_config_set_kex(cfg, fixed_kex, NULL);
}

pl_tls_conn_t *fuzz_server_new(const pl_tls_config_t *cfg, uint16_t group)
{
	pl_tls_conn_t *c = pl_tls_conn_new(cfg, NULL);
	(void)group; /* the key pair follows the group the server picks */
	if (c == NULL)
		die("server", "out of memory");
	return c;
}

pl_tls_conn_t *fuzz_client_new(const pl_tls_config_t *cfg, int variant)
{
	pl_tls_conn_t *c = pl_tls_conn_new(cfg, FUZZ_HOST);
	(void)variant;
	if (c == NULL)
		die("client", "out of memory");
	pl_tls_conn_set_time(c, FUZZ_NOW);
	return c;
}

void fuzz_client_config_free(pl_tls_config_t *cfg)
{
	pl_tls_config_free(cfg);
}

/* ---- moving bytes --------------------------------------------------------- */

void fuzz_drain(pl_tls_conn_t *c, fuzz_bytes_t *rec)
{
	size_t len;
	const uint8_t *p = pl_tls_output(c, &len);
	if (len == 0)
		return;
	if (rec)
		fuzz_bytes_add(rec, p, len);
	pl_tls_output_consumed(c, len);
}

int fuzz_pump(pl_tls_conn_t *from, pl_tls_conn_t *to, fuzz_bytes_t *rec)
{
	size_t len;
	const uint8_t *p = pl_tls_output(from, &len);
	int ret = PL_OK;
	if (len == 0)
		return PL_OK;
	if (rec)
		fuzz_bytes_add(rec, p, len);
	/* The output pointer is valid until the next call into the engine,
	 * and feeding the peer is one: copy first. */
	uint8_t *copy = malloc(len);
	if (copy == NULL)
		abort();
	memcpy(copy, p, len);
	pl_tls_output_consumed(from, len);
	ret = pl_tls_feed(to, copy, len);
	free(copy);
	return ret;
}

void fuzz_read_all(pl_tls_conn_t *c)
{
	uint8_t buf[512];
	size_t n;
	while (pl_tls_read(c, buf, sizeof(buf), &n) == PL_OK && n > 0)
		;
}

bool fuzz_handshake(pl_tls_conn_t *client, pl_tls_conn_t *server,
		    fuzz_bytes_t *client_rec, fuzz_bytes_t *server_rec)
{
	for (int round = 0; round < 8; round++) {
		if (pl_tls_handshake_done(client) &&
		    pl_tls_handshake_done(server))
			return true;
		if (fuzz_pump(client, server, client_rec) ||
		    fuzz_pump(server, client, server_rec))
			return false;
	}
	return false;
}

void fuzz_feed_chunked(pl_tls_conn_t *c, const uint8_t *data, size_t len,
		       unsigned scheme)
{
	static const size_t sizes[8] = {0, 1, 2, 3, 7, 100, 1000, 0};
	uint32_t state = (uint32_t)len * 2654435761u + 1;
	while (len > 0) {
		size_t n;
		if ((scheme & 7) == 0) {
			n = len;
		} else if ((scheme & 7) == 7) {
			state = state * 1103515245u + 12345u;
			n = 1 + (state >> 16) % 32;
		} else {
			n = sizes[scheme & 7];
		}
		if (n > len)
			n = len;
		int ret = pl_tls_feed(c, data, n);
		fuzz_drain(c, NULL);
		fuzz_read_all(c);
		if (ret != PL_OK)
			return;
		data += n;
		len -= n;
	}
}

static void touch(const char *s)
{
	volatile size_t n = s ? strlen(s) : 0;
	(void)n;
}

/* FUZZ_VERBOSE=1 in the environment: say how far each input got. */
static void report(const pl_tls_conn_t *c)
{
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (!verbose)
		return;
	fprintf(stderr, "%s: %s%s, %s, tickets %zu%s\n",
		pl_tls_is_server(c) ? "server" : "client",
		pl_tls_handshake_done(c) ? "connected"
		: pl_tls_failed(c)       ? "failed"
					 : "in the handshake",
		pl_tls_did_hello_retry(c) ? " after a HelloRetryRequest" : "",
		pl_tls_suite_name(pl_tls_suite(c)), pl_tls_ticket_count(c),
		pl_tls_peer_closed(c) ? ", peer closed" : "");
	if (pl_tls_failed(c))
		fprintf(stderr, "  %s alert %s: %s\n",
			pl_tls_alert_received(c) ? "received" : "sent",
			pl_tls_alert_name(pl_tls_alert(c)), pl_tls_reason(c));
}

void fuzz_finish(pl_tls_conn_t *c)
{
	static const uint8_t data[] = "GET / HTTP/1.1\r\n\r\n";
	const pl_x509_chain_t *chain = pl_tls_peer_chain(c);
	report(c);
	volatile size_t sink = pl_tls_version(c) + pl_tls_suite(c) +
			       pl_tls_group(c) + pl_tls_sigscheme(c) +
			       (size_t)pl_tls_alert(c) + pl_tls_ticket_count(c) +
			       pl_tls_did_hello_retry(c) +
			       pl_tls_alert_received(c) + pl_tls_peer_closed(c) +
			       pl_tls_conn_memory(c) +
			       (chain ? pl_x509_chain_count(chain) : 0);
	(void)sink;
	touch(pl_tls_alpn(c));
	touch(pl_tls_sni(c));
	touch(pl_tls_reason(c));
	touch(pl_tls_trusted_root(c));
	touch(pl_tls_alert_name(pl_tls_alert(c)));
	if (pl_tls_handshake_done(c)) {
		(void)pl_tls_write(c, data, sizeof(data) - 1);
		(void)pl_tls_key_update(c, true);
		(void)pl_tls_close(c);
	}
	fuzz_drain(c, NULL);
	fuzz_read_all(c);
	pl_tls_conn_shrink(c);
}

/* ---- records as the peer would send them ------------------------------------ */

/* The secret the receiver reads with now, or NULL while it reads
 * plaintext. */
static const uint8_t *read_secret(const pl_tls_conn_t *c, size_t hash_len)
{
	bool server = pl_tls_is_server(c);
	const uint8_t *s;
	if (pl_tls_handshake_done(c))
		s = test_secret(c, server ? "c ap" : "s ap");
	else
		s = test_secret(c, server ? "c hs" : "s hs");
	if (s == NULL)
		return NULL;
	/* All zeros: not derived yet (before ServerHello). */
	for (size_t i = 0; i < hash_len; i++)
		if (s[i])
			return s;
	return NULL;
}

static int rekey(fuzz_sealer_t *s, pl_hash_alg_t hash, pl_aead_alg_t alg,
		 const uint8_t *secret)
{
	uint8_t key[PL_AEAD_KEY_MAX];
	/* RFC 8446 7.3: key and IV from the traffic secret. */
	if (pl_tls_expand_label(hash, secret, "key", NULL, 0, key,
				pl_aead_key_len(alg)) ||
	    pl_tls_expand_label(hash, secret, "iv", NULL, 0, s->iv,
				sizeof(s->iv)))
		return -1;
	pl_aead_free(s->aead);
	s->aead = pl_aead_new(alg, key);
	pl_cleanse(key, sizeof(key));
	if (s->aead == NULL)
		return -1;
	memcpy(s->secret, secret, pl_hash_len(hash));
	s->secret_len = pl_hash_len(hash);
	s->seq = 0;
	return 0;
}

static void add_plain(uint8_t type, const uint8_t *data, size_t len,
		      fuzz_bytes_t *out)
{
	if (len > 65535)
		len = 65535;
	fuzz_bytes_u8(out, type);
	fuzz_bytes_u16(out, 0x0303);
	fuzz_bytes_u16(out, (uint16_t)len);
	fuzz_bytes_add(out, data, len);
}

int fuzz_seal(fuzz_sealer_t *s, const pl_tls_conn_t *receiver, uint8_t type,
	      const uint8_t *data, size_t len, size_t pad, fuzz_bytes_t *out)
{
	pl_hash_alg_t hash;
	pl_aead_alg_t alg;
	const uint8_t *secret = NULL;
	if (pl_tls_failed(receiver))
		return -1;
	if (pl_tls_suite_params(pl_tls_suite(receiver), &hash, &alg))
		secret = read_secret(receiver, pl_hash_len(hash));
	if (secret == NULL) {
		add_plain(type, data, len, out);
		return 0;
	}
	if (s->aead == NULL || s->secret_len != pl_hash_len(hash) ||
	    memcmp(s->secret, secret, s->secret_len) != 0) {
		if (rekey(s, hash, alg, secret))
			return -1;
		/* records the receiver already read under this key (a
		 * server's NewSessionTickets) count */
		s->seq = receiver->rd.prot.seq;
	}
	/* The record's length field holds at most 65535. */
	size_t max_inner = 65535 - PL_AEAD_TAG_LEN;
	if (len > max_inner - 1)
		len = max_inner - 1;
	if (pad > max_inner - 1 - len)
		pad = max_inner - 1 - len;
	size_t inner = len + 1 + pad;
	size_t total = inner + PL_AEAD_TAG_LEN;
	uint8_t *rec = calloc(1, 5 + total);
	if (rec == NULL)
		abort();
	rec[0] = PL_CT_APPLICATION_DATA;
	rec[1] = 0x03;
	rec[2] = 0x03;
	rec[3] = (uint8_t)(total >> 8);
	rec[4] = (uint8_t)total;
	if (len)
		memcpy(rec + 5, data, len);
	rec[5 + len] = type; /* then pad zeros, from calloc */
	/* RFC 8446 5.3: the nonce is the IV XOR the sequence number. */
	uint8_t nonce[12];
	memcpy(nonce, s->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(s->seq >> (8 * i));
	int ret = pl_aead_seal(s->aead, nonce, rec, 5, rec + 5, inner, rec + 5);
	if (ret == PL_OK) {
		s->seq++;
		fuzz_bytes_add(out, rec, 5 + total);
	}
	free(rec);
	return ret == PL_OK ? 0 : -1;
}

void fuzz_sealer_free(fuzz_sealer_t *s)
{
	pl_aead_free(s->aead);
	pl_cleanse(s, sizeof(*s));
}

size_t fuzz_item_pad(uint8_t pad)
{
	return pad < 200 ? pad : (size_t)(pad - 199) * 300;
}

void fuzz_item_add(fuzz_bytes_t *b, uint8_t flags, uint8_t type, uint8_t pad,
		   const void *data, size_t len)
{
	fuzz_bytes_u8(b, flags);
	fuzz_bytes_u8(b, type);
	fuzz_bytes_u8(b, pad);
	fuzz_bytes_u16(b, (uint16_t)len);
	fuzz_bytes_add(b, data, len);
}

static void act(pl_tls_conn_t *rx, uint8_t flags)
{
	static const uint8_t reply[] = "HTTP/1.1 200 OK\r\n\r\n";
	if (flags & FUZZ_ITEM_WRITE)
		(void)pl_tls_write(rx, reply, sizeof(reply) - 1);
	if (flags & FUZZ_ITEM_KEY_UPDATE)
		(void)pl_tls_key_update(rx, (flags & FUZZ_ITEM_REQUEST) != 0);
	if (flags & FUZZ_ITEM_CLOSE)
		(void)pl_tls_close(rx);
	if (flags & FUZZ_ITEM_SHRINK)
		pl_tls_conn_shrink(rx);
}

void fuzz_feed_items(pl_tls_conn_t *rx, pl_tls_conn_t *tx, const uint8_t *p,
		     size_t len)
{
	fuzz_sealer_t sealer = {0};
	fuzz_bytes_t rec = {0};
	while (len >= 5 && !pl_tls_failed(rx)) {
		uint8_t flags = p[0], type = p[1], pad = p[2];
		size_t n = (size_t)p[3] << 8 | p[4];
		p += 5;
		len -= 5;
		if (n > len)
			n = len;
		if (flags & FUZZ_ITEM_RAW) {
			(void)pl_tls_feed(rx, p, n);
		} else {
			rec.len = 0;
			if (fuzz_seal(&sealer, rx, type, p, n,
				      fuzz_item_pad(pad), &rec) == 0)
				(void)pl_tls_feed(rx, rec.data, rec.len);
		}
		p += n;
		len -= n;
		act(rx, flags);
		fuzz_read_all(rx);
		if (tx) {
			(void)fuzz_pump(rx, tx, NULL);
			fuzz_drain(tx, NULL);
			fuzz_read_all(tx);
		} else {
			fuzz_drain(rx, NULL);
		}
	}
	fuzz_bytes_free(&rec);
	fuzz_sealer_free(&sealer);
}

uint16_t fuzz_record_suite(int index)
{
	static const uint16_t suites[4] = {
		PL_TLS_AES_128_GCM_SHA256, PL_TLS_AES_256_GCM_SHA384,
		PL_TLS_CHACHA20_POLY1305_SHA256, PL_TLS_AES_128_GCM_SHA256};
	return suites[index & 3];
}
