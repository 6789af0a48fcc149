/*
 * What the engine tests share: test certificates, configurations, a client
 * and a server joined in memory, a key-log catcher, and a record sealer so
 * a test can forge protected records with the traffic secrets the key log
 * gave it.
 *
 * Certificates are made at start-up with the openssl command in a fresh
 * mkdtemp directory that is removed at exit, also when a test fails. Every
 * one is self-signed for 30 days, serverAuth, and trusted through ca.pem
 * (each has its own subject, OU=NAME: libcrypto finds an anchor by
 * subject, and these have no key identifiers):
 *   p256, p384, rsa (2048), ed25519   SAN localhost
 *   a, b                              P-256, SAN a.test / b.test
 *   a2                                P-256, SAN a.test (another key)
 *   stranger                          P-256, SAN localhost, not in ca.pem
 * Each NAME has NAME.pem and NAME.key.
 */
#ifndef PADLOCK_TEST_ENGINE_PAIR_H
#define PADLOCK_TEST_ENGINE_PAIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "padlock/tls.h"
#include "test.h"
#include "tls/tls_int.h"

/* ---- certificates -------------------------------------------------------- */

static const char ep_script[] =
	"set -e\n"
	"cat > leaf.cnf <<'EOF'\n"
	"[req]\n"
	"distinguished_name = dn\n"
	"prompt = no\n"
	"[dn]\n"
	"CN = unused\n"
	"[leaf]\n"
	"basicConstraints = critical, CA:FALSE\n"
	"keyUsage = critical, digitalSignature\n"
	"extendedKeyUsage = serverAuth\n"
	"EOF\n"
	/* self NAME HOST KEY-ARGS...: a self-signed certificate for HOST. */
	"self() {\n"
	"  name=$1; host=$2; shift 2\n"
	"  openssl req -x509 -config leaf.cnf -extensions leaf -nodes"
	" -days 30 -subj \"/O=Padlock Engine Tests/OU=$name/CN=$host\""
	" -addext \"subjectAltName=DNS:$host\" -newkey \"$@\""
	" -keyout $name.key -out $name.pem\n"
	"}\n"
	"self p256 localhost ec -pkeyopt ec_paramgen_curve:P-256\n"
	"self p384 localhost ec -pkeyopt ec_paramgen_curve:P-384\n"
	"self rsa localhost rsa:2048\n"
	"self ed25519 localhost ed25519\n"
	"self a a.test ec -pkeyopt ec_paramgen_curve:P-256\n"
	"self b b.test ec -pkeyopt ec_paramgen_curve:P-256\n"
	"self a2 a.test ec -pkeyopt ec_paramgen_curve:P-256\n"
	"self stranger localhost ec -pkeyopt ec_paramgen_curve:P-256\n"
	"cat p256.pem p384.pem rsa.pem ed25519.pem a.pem b.pem a2.pem"
	" > ca.pem\n";

static char ep_dir[64];

/* ep_dir/name; four results stay valid at a time. */
static inline const char *ep_path(const char *name)
{
	static char paths[4][160];
	static unsigned next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", ep_dir, name);
	return p;
}

static inline void ep_teardown(void)
{
	char cmd[128];

	if (ep_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ep_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", ep_dir);
	ep_dir[0] = '\0';
}

/* Makes the certificates; exits the test (failing) when openssl cannot. */
static inline void ep_setup(void)
{
	char cmd[256];
	FILE *f;

	snprintf(ep_dir, sizeof(ep_dir), "/tmp/padlock-tls-XXXXXX");
	if (mkdtemp(ep_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(ep_teardown);
	f = fopen(ep_path("make.sh"), "w");
	if (f == NULL || fputs(ep_script, f) == EOF || fclose(f) != 0) {
		perror("make.sh");
		exit(1);
	}
	snprintf(cmd, sizeof(cmd), "cd '%s' && sh make.sh > make.log 2>&1",
		 ep_dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat '%s/make.log' >&2", ep_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "no log\n");
		fprintf(stderr, "making the test certificates failed\n");
		exit(1);
	}
}

/* NAME.pem and NAME.key added to a server configuration. */
static inline bool ep_add_chain(pl_tls_config_t *cfg, const char *name)
{
	char file[64], err[256];
	pl_x509_chain_t *chain;
	pl_pkey_t *key;

	snprintf(file, sizeof(file), "%s.pem", name);
	chain = pl_x509_chain_load_pem(ep_path(file), err, sizeof(err));
	snprintf(file, sizeof(file), "%s.key", name);
	key = pl_x509_key_load_pem(ep_path(file), err, sizeof(err));
	if (chain == NULL || key == NULL) {
		fprintf(stderr, "loading %s: %s\n", name, err);
		pl_x509_chain_free(chain);
		pl_pkey_free(key);
		return false;
	}
	return pl_tls_config_add_chain(cfg, chain, key) == PL_OK;
}

/* A server configuration with the chains named, in that order (a
 * NULL-terminated list). Exits when one does not load. */
static inline pl_tls_config_t *ep_server_config(const char *const *names)
{
	pl_tls_config_t *cfg = pl_tls_config_new(true);

	if (cfg == NULL)
		exit(1);
	for (; *names; names++)
		if (!ep_add_chain(cfg, *names)) {
			fprintf(stderr, "cannot add chain %s\n", *names);
			exit(1);
		}
	return cfg;
}

/* A client configuration that trusts the PEM file trust (in ep_dir). */
static inline pl_tls_config_t *ep_client_config_trusting(const char *trust)
{
	char err[256];
	pl_tls_config_t *cfg = pl_tls_config_new(false);
	pl_x509_store_t *store;

	if (cfg == NULL)
		exit(1);
	store = pl_x509_store_new(ep_path(trust), NULL, err, sizeof(err));
	if (store == NULL) {
		fprintf(stderr, "trust store: %s\n", err);
		exit(1);
	}
	pl_tls_config_set_trust(cfg, store);
	return cfg;
}

/* A client configuration that trusts every test certificate but the
 * stranger. */
static inline pl_tls_config_t *ep_client_config(void)
{
	return ep_client_config_trusting("ca.pem");
}

/* ---- a client and a server in memory ------------------------------------- */

typedef struct {
	pl_tls_conn_t *client;
	pl_tls_conn_t *server;
} ep_pair_t;

/* A client for server_name and a server, not yet started. */
static inline void ep_pair_new(ep_pair_t *p,
			       const pl_tls_config_t *client_cfg,
			       const pl_tls_config_t *server_cfg,
			       const char *server_name)
{
	p->client = pl_tls_conn_new(client_cfg, server_name);
	p->server = pl_tls_conn_new(server_cfg, NULL);
	if (p->client == NULL || p->server == NULL) {
		fprintf(stderr, "pl_tls_conn_new failed\n");
		exit(1);
	}
}

static inline void ep_pair_free(ep_pair_t *p)
{
	pl_tls_conn_free(p->client);
	pl_tls_conn_free(p->server);
	p->client = p->server = NULL;
}

/* Moves everything from has queued into to; true when bytes moved. */
static inline bool ep_move(pl_tls_conn_t *from, pl_tls_conn_t *to)
{
	size_t n;
	const uint8_t *out = pl_tls_output(from, &n);

	if (n == 0)
		return false;
	(void)pl_tls_feed(to, out, n); /* a failure shows in pl_tls_failed */
	pl_tls_output_consumed(from, n);
	return true;
}

/* Moves bytes both ways until neither side has anything to send. */
static inline void ep_pump(ep_pair_t *p)
{
	for (int round = 0; round < 64; round++) {
		bool a = ep_move(p->client, p->server);
		bool b = ep_move(p->server, p->client);
		if (!a && !b)
			return;
	}
	fprintf(stderr, "ep_pump: the connections never went quiet\n");
}

/* Runs the handshake; true when both sides finished it. */
static inline bool ep_handshake(ep_pair_t *p)
{
	ep_pump(p);
	if (!pl_tls_handshake_done(p->client) ||
	    !pl_tls_handshake_done(p->server)) {
		fprintf(stderr, "handshake failed: client '%s', server '%s'\n",
			pl_tls_reason(p->client), pl_tls_reason(p->server));
		return false;
	}
	return true;
}

/* Sends len bytes from one side to the other and reads them back out;
 * true when they arrive unchanged. */
static inline bool ep_send(ep_pair_t *p, bool from_client, const void *data,
			   size_t len)
{
	pl_tls_conn_t *from = from_client ? p->client : p->server;
	pl_tls_conn_t *to = from_client ? p->server : p->client;
	uint8_t buf[4096];
	size_t got = 0, n;

	if (len > sizeof(buf) || pl_tls_write(from, data, len) != PL_OK)
		return false;
	ep_pump(p);
	while (got < len) {
		if (pl_tls_read(to, buf + got, sizeof(buf) - got, &n) !=
			    PL_OK ||
		    n == 0)
			return false;
		got += n;
	}
	return got == len && memcmp(buf, data, len) == 0 &&
	       pl_tls_read(to, buf, sizeof(buf), &n) == PL_OK && n == 0;
}

/* ---- ClientHello surgery --------------------------------------------------- */

/* The offset in the ClientHello m (header included, n bytes) of its
 * extensions block's 2-byte length; 0 when it has none. */
static inline size_t ep_hello_exts(const uint8_t *m, size_t n)
{
	size_t at = 4 + 2 + 32;
	if (at >= n)
		return 0;
	at += 1 + m[at];                            /* session id */
	if (at + 2 > n)
		return 0;
	at += 2 + ((size_t)m[at] << 8 | m[at + 1]); /* suites */
	if (at >= n)
		return 0;
	at += 1 + m[at];                            /* compression */
	return at + 2 <= n ? at : 0;
}

/* Removes the extension type from the ClientHello m (*n bytes, header
 * included, in place), fixing the lengths; false when it is not there. */
static inline bool ep_drop_ext(uint8_t *m, size_t *n, uint16_t type)
{
	size_t ext_at = ep_hello_exts(m, *n);
	if (ext_at == 0)
		return false;
	size_t end = ext_at + 2 + ((size_t)m[ext_at] << 8 | m[ext_at + 1]);
	for (size_t at = ext_at + 2; at + 4 <= end && end <= *n;) {
		size_t elen = (size_t)m[at + 2] << 8 | m[at + 3];
		if (((size_t)m[at] << 8 | m[at + 1]) == type) {
			size_t cut = 4 + elen;
			memmove(m + at, m + at + cut, *n - at - cut);
			*n -= cut;
			size_t body = *n - 4, exts = end - ext_at - 2 - cut;
			m[1] = (uint8_t)(body >> 16);
			m[2] = (uint8_t)(body >> 8);
			m[3] = (uint8_t)body;
			m[ext_at] = (uint8_t)(exts >> 8);
			m[ext_at + 1] = (uint8_t)exts;
			return true;
		}
		at += 4 + elen;
	}
	return false;
}

/* The body of extension type in the ClientHello m, NULL when absent;
 * *len gets its length. */
static inline uint8_t *ep_find_ext(uint8_t *m, size_t n, uint16_t type,
				   size_t *len)
{
	size_t ext_at = ep_hello_exts(m, n);
	if (ext_at == 0)
		return NULL;
	size_t end = ext_at + 2 + ((size_t)m[ext_at] << 8 | m[ext_at + 1]);
	for (size_t at = ext_at + 2; at + 4 <= end && end <= n;) {
		size_t elen = (size_t)m[at + 2] << 8 | m[at + 3];
		if (((size_t)m[at] << 8 | m[at + 1]) == type) {
			*len = elen;
			return m + at + 4;
		}
		at += 4 + elen;
	}
	return NULL;
}

/* ---- the key log --------------------------------------------------------- */

typedef struct {
	char label[48];
	uint8_t secret[PL_HASH_MAX];
	size_t len;
} ep_secret_t;

typedef struct {
	ep_secret_t s[16];
	size_t n;
} ep_keylog_t;

/* The key-log callback: keeps "LABEL <random> <secret>" lines. */
static inline void ep_keylog(void *arg, const char *line)
{
	ep_keylog_t *k = arg;
	const char *sp = strchr(line, ' ');
	const char *secret = sp ? strchr(sp + 1, ' ') : NULL;
	ep_secret_t *s;

	if (secret == NULL || k->n == 16 || (size_t)(sp - line) >= 48)
		return;
	s = &k->s[k->n++];
	memcpy(s->label, line, (size_t)(sp - line));
	s->label[sp - line] = 0;
	s->len = test_unhex(secret + 1, s->secret, sizeof(s->secret));
}

/* The last secret logged under label, or NULL. */
static inline const uint8_t *ep_secret(const ep_keylog_t *k, const char *label)
{
	for (size_t i = k->n; i > 0; i--)
		if (strcmp(k->s[i - 1].label, label) == 0)
			return k->s[i - 1].secret;
	return NULL;
}

/* ---- protected records, made and opened by the test ---------------------- */

typedef struct {
	pl_aead_t *aead;
	uint8_t iv[PL_AEAD_NONCE_LEN];
	uint64_t seq;
} ep_keys_t;

/* Traffic keys for secret under suite (RFC 8446 7.3), sequence 0. */
static inline bool ep_keys_init(ep_keys_t *k, uint16_t suite,
				const uint8_t *secret)
{
	pl_hash_alg_t hash;
	pl_aead_alg_t alg;
	uint8_t key[PL_AEAD_KEY_MAX];

	memset(k, 0, sizeof(*k));
	if (secret == NULL || !pl_tls_suite_params(suite, &hash, &alg) ||
	    pl_tls_expand_label(hash, secret, "key", NULL, 0, key,
				pl_aead_key_len(alg)) != PL_OK ||
	    pl_tls_expand_label(hash, secret, "iv", NULL, 0, k->iv,
				PL_AEAD_NONCE_LEN) != PL_OK)
		return false;
	k->aead = pl_aead_new(alg, key);
	return k->aead != NULL;
}

static inline void ep_keys_free(ep_keys_t *k)
{
	pl_aead_free(k->aead);
	k->aead = NULL;
}

static inline void ep_nonce(const ep_keys_t *k,
			    uint8_t nonce[PL_AEAD_NONCE_LEN])
{
	memcpy(nonce, k->iv, PL_AEAD_NONCE_LEN);
	for (int i = 0; i < 8; i++)
		nonce[PL_AEAD_NONCE_LEN - 1 - i] ^=
			(uint8_t)(k->seq >> (8 * i));
}

/* Appends to out one protected record: data, then the content type (0
 * writes none), then pad zeros (RFC 8446 5.2). */
static inline bool ep_seal(ep_keys_t *k, uint8_t type, const uint8_t *data,
			   size_t len, size_t pad, pl_buf_t *out)
{
	size_t inner = len + (type ? 1 : 0) + pad;
	size_t total = inner + PL_AEAD_TAG_LEN;
	uint8_t nonce[PL_AEAD_NONCE_LEN], header[PL_TLS_RECORD_HEADER];
	uint8_t *body = calloc(1, total);
	bool ok;

	if (body == NULL || total > 0xffff) {
		free(body);
		return false;
	}
	if (len)
		memcpy(body, data, len);
	if (type)
		body[len] = type;
	header[0] = PL_CT_APPLICATION_DATA;
	header[1] = 0x03;
	header[2] = 0x03;
	header[3] = (uint8_t)(total >> 8);
	header[4] = (uint8_t)total;
	ep_nonce(k, nonce);
	ok = pl_aead_seal(k->aead, nonce, header, sizeof(header), body, inner,
			  body) == PL_OK;
	if (ok) {
		pl_push_bytes(out, header, sizeof(header));
		pl_push_bytes(out, body, total);
		ok = pl_buf_error(out) == PL_OK;
		k->seq++;
	}
	free(body);
	return ok;
}

/* Opens one protected record (header included); the content goes to out
 * (appended), its type to *type. */
static inline bool ep_open(ep_keys_t *k, const uint8_t *rec, size_t len,
			   uint8_t *type, pl_buf_t *out)
{
	uint8_t nonce[PL_AEAD_NONCE_LEN];
	size_t n;
	uint8_t *body;

	if (len < PL_TLS_RECORD_HEADER + PL_AEAD_TAG_LEN + 1)
		return false;
	n = len - PL_TLS_RECORD_HEADER;
	body = malloc(n);
	if (body == NULL)
		return false;
	ep_nonce(k, nonce);
	if (pl_aead_open(k->aead, nonce, rec, PL_TLS_RECORD_HEADER,
			 rec + PL_TLS_RECORD_HEADER, n, body) != PL_OK) {
		free(body);
		return false;
	}
	k->seq++;
	n -= PL_AEAD_TAG_LEN;
	while (n > 0 && body[n - 1] == 0)
		n--;
	if (n == 0) {
		free(body);
		return false;
	}
	*type = body[n - 1];
	pl_push_bytes(out, body, n - 1);
	free(body);
	return pl_buf_error(out) == PL_OK;
}

/* The length of the record at the start of p (n bytes), header included,
 * or 0 when p does not hold a whole record. */
static inline size_t ep_record_len(const uint8_t *p, size_t n)
{
	size_t len;

	if (n < PL_TLS_RECORD_HEADER)
		return 0;
	len = PL_TLS_RECORD_HEADER + ((size_t)p[3] << 8 | p[4]);
	return len <= n ? len : 0;
}

#endif
