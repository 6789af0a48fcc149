/*
 * The published TLS 1.3 traces of RFC 8448, replayed byte for byte:
 *
 *   - section 3 (simple 1-RTT) and section 5 (HelloRetryRequest): the key
 *     schedule of src/tls/keysched.c, from the trace's messages and keys,
 *     gives every secret, traffic key, IV and Finished value of the trace;
 *   - section 3, padlock as the client: with the trace's key pair and
 *     ClientHello injected (the config's kex and client_hello callbacks),
 *     every record it sends is
 *     the trace's, and it accepts every record the trace's server sent
 *     (including a real RSA-PSS CertificateVerify check);
 *   - section 3, padlock as the server: with the trace's random, key pair
 *     and RSA key, its ServerHello record and handshake secrets are the
 *     trace's (its later messages cannot be: see the test), and the
 *     trace's client accepts the rest of its flight;
 *   - section 5, padlock as the client: both ClientHellos and the client
 *     Finished are the trace's, and the secrets after the HelloRetryRequest
 *     (message_hash transcript) match.
 *
 * The traces' client has an empty session id and sends no dummy
 * change_cipher_spec; a last test checks that padlock's own client, whose
 * session id is not empty, still sends one (RFC 8446 D.4).
 *
 * The byte strings come from rfc8448_data.h, generated from the RFC text.
 * The server tests need the openssl command to write the trace's RSA key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "padlock/tls.h"
#include "padlock/x509.h"
#include "rfc8448_data.h"
#include "test.h"
#include "tls/engine_secrets.h"
#include "tls/tls_int.h"

#define SHA256 PL_HASH_SHA256
#define HL 32 /* every trace here uses SHA-256 */

typedef struct {
	const uint8_t *p;
	size_t len;
} bytes_t;

#define BYTES(a) { (a), sizeof(a) }

/* One handshake of the RFC, as the key schedule test needs it. */
typedef struct {
	const char *name;
	uint16_t group;
	bytes_t client_priv, server_pub, dhe;
	/* The transcript in order; hello_retry and client_hello2 are empty
	 * without a HelloRetryRequest. */
	bytes_t client_hello, hello_retry, client_hello2, server_hello;
	bytes_t encrypted_extensions, certificate, certificate_verify;
	bytes_t server_finished, client_finished;
	/* What the trace derives. */
	bytes_t early, derived_hs, handshake, hash_hello, c_hs, s_hs;
	bytes_t derived_master, master, hash_server_finished, c_ap, s_ap;
	bytes_t exp_master, hash_client_finished, res_master;
	bytes_t server_hs_key, server_hs_iv, client_hs_key, client_hs_iv;
	bytes_t server_ap_key, server_ap_iv, client_ap_key, client_ap_iv;
	bytes_t server_finished_key, server_verify_data;
	bytes_t client_finished_key, client_verify_data;
} trace_t;

static const trace_t simple_1rtt = {
	.name = "RFC 8448 section 3",
	.group = PL_GROUP_X25519,
	.client_priv = BYTES(rfc8448_s3_client_priv),
	.server_pub = BYTES(rfc8448_s3_server_pub),
	.dhe = BYTES(rfc8448_s3_dhe),
	.client_hello = BYTES(rfc8448_s3_client_hello),
	.server_hello = BYTES(rfc8448_s3_server_hello),
	.encrypted_extensions = BYTES(rfc8448_s3_encrypted_extensions),
	.certificate = BYTES(rfc8448_s3_certificate),
	.certificate_verify = BYTES(rfc8448_s3_certificate_verify),
	.server_finished = BYTES(rfc8448_s3_server_finished),
	.client_finished = BYTES(rfc8448_s3_client_finished),
	.early = BYTES(rfc8448_s3_early_secret),
	.derived_hs = BYTES(rfc8448_s3_derived_hs),
	.handshake = BYTES(rfc8448_s3_handshake_secret),
	.hash_hello = BYTES(rfc8448_s3_hash_hello),
	.c_hs = BYTES(rfc8448_s3_c_hs_traffic),
	.s_hs = BYTES(rfc8448_s3_s_hs_traffic),
	.derived_master = BYTES(rfc8448_s3_derived_master),
	.master = BYTES(rfc8448_s3_master_secret),
	.hash_server_finished = BYTES(rfc8448_s3_hash_server_finished),
	.c_ap = BYTES(rfc8448_s3_c_ap_traffic),
	.s_ap = BYTES(rfc8448_s3_s_ap_traffic),
	.exp_master = BYTES(rfc8448_s3_exp_master),
	.hash_client_finished = BYTES(rfc8448_s3_hash_client_finished),
	.res_master = BYTES(rfc8448_s3_res_master),
	.server_hs_key = BYTES(rfc8448_s3_server_hs_key),
	.server_hs_iv = BYTES(rfc8448_s3_server_hs_iv),
	.client_hs_key = BYTES(rfc8448_s3_client_hs_key),
	.client_hs_iv = BYTES(rfc8448_s3_client_hs_iv),
	.server_ap_key = BYTES(rfc8448_s3_server_ap_key),
	.server_ap_iv = BYTES(rfc8448_s3_server_ap_iv),
	.client_ap_key = BYTES(rfc8448_s3_client_ap_key),
	.client_ap_iv = BYTES(rfc8448_s3_client_ap_iv),
	.server_finished_key = BYTES(rfc8448_s3_server_finished_key),
	.server_verify_data = BYTES(rfc8448_s3_server_verify_data),
	.client_finished_key = BYTES(rfc8448_s3_client_finished_key),
	.client_verify_data = BYTES(rfc8448_s3_client_verify_data),
};

static const trace_t hello_retry = {
	.name = "RFC 8448 section 5",
	.group = PL_GROUP_SECP256R1,
	.client_priv = BYTES(rfc8448_s5_client_priv_p256),
	.server_pub = BYTES(rfc8448_s5_server_pub_p256),
	.dhe = BYTES(rfc8448_s5_dhe),
	.client_hello = BYTES(rfc8448_s5_client_hello1),
	.hello_retry = BYTES(rfc8448_s5_hello_retry_request),
	.client_hello2 = BYTES(rfc8448_s5_client_hello2),
	.server_hello = BYTES(rfc8448_s5_server_hello),
	.encrypted_extensions = BYTES(rfc8448_s5_encrypted_extensions),
	.certificate = BYTES(rfc8448_s5_certificate),
	.certificate_verify = BYTES(rfc8448_s5_certificate_verify),
	.server_finished = BYTES(rfc8448_s5_server_finished),
	.client_finished = BYTES(rfc8448_s5_client_finished),
	.early = BYTES(rfc8448_s5_early_secret),
	.derived_hs = BYTES(rfc8448_s5_derived_hs),
	.handshake = BYTES(rfc8448_s5_handshake_secret),
	.hash_hello = BYTES(rfc8448_s5_hash_hello),
	.c_hs = BYTES(rfc8448_s5_c_hs_traffic),
	.s_hs = BYTES(rfc8448_s5_s_hs_traffic),
	.derived_master = BYTES(rfc8448_s5_derived_master),
	.master = BYTES(rfc8448_s5_master_secret),
	.hash_server_finished = BYTES(rfc8448_s5_hash_server_finished),
	.c_ap = BYTES(rfc8448_s5_c_ap_traffic),
	.s_ap = BYTES(rfc8448_s5_s_ap_traffic),
	.exp_master = BYTES(rfc8448_s5_exp_master),
	.hash_client_finished = BYTES(rfc8448_s5_hash_client_finished),
	.res_master = BYTES(rfc8448_s5_res_master),
	.server_hs_key = BYTES(rfc8448_s5_server_hs_key),
	.server_hs_iv = BYTES(rfc8448_s5_server_hs_iv),
	.client_hs_key = BYTES(rfc8448_s5_client_hs_key),
	.client_hs_iv = BYTES(rfc8448_s5_client_hs_iv),
	.server_ap_key = BYTES(rfc8448_s5_server_ap_key),
	.server_ap_iv = BYTES(rfc8448_s5_server_ap_iv),
	.client_ap_key = BYTES(rfc8448_s5_client_ap_key),
	.client_ap_iv = BYTES(rfc8448_s5_client_ap_iv),
	.server_finished_key = BYTES(rfc8448_s5_server_finished_key),
	.server_verify_data = BYTES(rfc8448_s5_server_verify_data),
	.client_finished_key = BYTES(rfc8448_s5_client_finished_key),
	.client_verify_data = BYTES(rfc8448_s5_client_verify_data),
};

/* got (len bytes) equals want, named what in the failure. */
#define CHECK_BYTES(got_, got_len_, want_, what_)                            \
	CHECK_MSG((size_t)(got_len_) == (want_).len &&                       \
			  memcmp((got_), (want_).p, (want_).len) == 0,       \
		  "%s: %s differs from the trace", t->name, (what_))

/* Transcript-Hash (RFC 8446 4.4.1) of the first n messages of:
 * ClientHello, [HelloRetryRequest, ClientHello], ServerHello,
 * EncryptedExtensions, Certificate, CertificateVerify, server Finished,
 * client Finished. After a HelloRetryRequest the first ClientHello is
 * replaced by message_hash: 254 || 00 00 32 || SHA-256(ClientHello1). */
static void transcript_hash(const trace_t *t, size_t n, uint8_t out[HL])
{
	uint8_t message_hash[4 + HL] = {PL_HS_MESSAGE_HASH, 0, 0, HL};
	bytes_t msgs[9];
	size_t count = 0, total = 0;

	if (t->hello_retry.len) {
		CHECK(pl_hash_once(SHA256, t->client_hello.p,
				   t->client_hello.len, message_hash + 4) == PL_OK);
		msgs[count++] = (bytes_t){message_hash, sizeof(message_hash)};
		msgs[count++] = t->hello_retry;
		msgs[count++] = t->client_hello2;
	} else {
		msgs[count++] = t->client_hello;
	}
	msgs[count++] = t->server_hello;
	msgs[count++] = t->encrypted_extensions;
	msgs[count++] = t->certificate;
	msgs[count++] = t->certificate_verify;
	msgs[count++] = t->server_finished;
	msgs[count++] = t->client_finished;
	if (n > count)
		n = count;
	for (size_t i = 0; i < n; i++)
		total += msgs[i].len;
	uint8_t *all = malloc(total);
	if (all == NULL)
		abort();
	for (size_t i = 0, at = 0; i < n; at += msgs[i].len, i++)
		memcpy(all + at, msgs[i].p, msgs[i].len);
	CHECK(pl_hash_once(SHA256, all, total, out) == PL_OK);
	free(all);
}

/* The number of transcript_hash() messages through the ServerHello. */
static size_t through_server_hello(const trace_t *t)
{
	return t->hello_retry.len ? 4 : 2;
}

static void traffic_keys_match(const trace_t *t, const uint8_t *secret,
			       bytes_t key, bytes_t iv, const char *what)
{
	uint8_t k[16], v[PL_AEAD_NONCE_LEN];
	char name[64];

	CHECK(pl_tls_expand_label(SHA256, secret, "key", NULL, 0, k,
				  sizeof(k)) == PL_OK);
	CHECK(pl_tls_expand_label(SHA256, secret, "iv", NULL, 0, v,
				  sizeof(v)) == PL_OK);
	snprintf(name, sizeof(name), "%s key", what);
	CHECK_BYTES(k, sizeof(k), key, name);
	snprintf(name, sizeof(name), "%s iv", what);
	CHECK_BYTES(v, sizeof(v), iv, name);
}

/* finished_key and verify_data (RFC 8446 4.4.4) from a handshake traffic
 * secret and the transcript hash before the Finished; the result is also
 * the body of the trace's Finished message. */
static void finished_matches(const trace_t *t, const uint8_t *secret,
			     const uint8_t *th, bytes_t key, bytes_t verify,
			     bytes_t message, const char *what)
{
	uint8_t fk[HL], mac[HL];

	CHECK(pl_tls_expand_label(SHA256, secret, "finished", NULL, 0, fk,
				  HL) == PL_OK);
	CHECK_BYTES(fk, HL, key, what);
	CHECK(pl_hmac(SHA256, fk, HL, th, HL, mac) == PL_OK);
	CHECK_BYTES(mac, HL, verify, what);
	CHECK(message.len == 4 + HL && memcmp(message.p + 4, mac, HL) == 0);
}

/* The leaf certificate's DER from the trace's Certificate message:
 * type(1) length(3) context<0> certificate_list<3> cert_data<3>. */
static pl_x509_chain_t *trace_chain(bytes_t certificate)
{
	pl_reader_t r, list, cert;
	pl_x509_chain_t *chain = NULL;
	uint32_t body_len;
	uint8_t type, context_len;
	char err[256] = "";

	pl_reader_init(&r, certificate.p, certificate.len);
	if (pl_read_u8(&r, &type) || pl_read_u24(&r, &body_len) ||
	    pl_read_u8(&r, &context_len) || pl_read_vec24(&r, &list) ||
	    pl_read_vec24(&list, &cert))
		return NULL;
	const uint8_t *der = cert.p;
	size_t der_len = pl_reader_left(&cert);
	if (pl_x509_chain_from_der(&der, &der_len, 1, &chain, err,
				   sizeof(err)) != PL_OK)
		fprintf(stderr, "trace certificate: %s\n", err);
	return chain;
}

/* The trace's CertificateVerify (RFC 8446 4.4.3) verifies with the key of
 * the trace's certificate, and a corrupted copy does not. */
static void certificate_verify_checks(const trace_t *t, const uint8_t *th)
{
	uint8_t content[64 + 34 + HL], sig[256];
	pl_x509_chain_t *chain = trace_chain(t->certificate);
	/* type(1) length(3) scheme(2) signature<2> */
	size_t sig_len = t->certificate_verify.len - 8;
	uint16_t scheme = (uint16_t)(t->certificate_verify.p[4] << 8 |
				     t->certificate_verify.p[5]);

	CHECK_MSG(chain != NULL, "%s: the certificate does not parse", t->name);
	if (chain == NULL || sig_len > sizeof(sig))
		return;
	const pl_pkey_t *key = pl_x509_chain_leaf_key(chain);
	CHECK_EQ_INT(scheme, PL_SIG_RSA_PSS_RSAE_SHA256);
	CHECK_EQ_INT(pl_pkey_bits(key), 1024);
	CHECK(pl_pkey_supports(key, scheme));
	memset(content, ' ', 64);
	memcpy(content + 64, "TLS 1.3, server CertificateVerify", 34);
	memcpy(content + 98, th, HL);
	memcpy(sig, t->certificate_verify.p + 8, sig_len);
	CHECK_MSG(pl_pkey_verify(key, scheme, content, sizeof(content), sig,
				 sig_len) == PL_OK,
		  "%s: CertificateVerify does not verify", t->name);
	sig[sig_len / 2] ^= 1;
	CHECK(pl_pkey_verify(key, scheme, content, sizeof(content), sig,
			     sig_len) == PL_ERR_DECRYPT);
	pl_x509_chain_free(chain);
}

static void key_schedule_matches(const trace_t *t)
{
	uint8_t zeros[HL] = {0}, empty[HL], dhe[PL_KEX_SECRET_MAX];
	uint8_t early[HL], derived[HL], hs[HL], master[HL], th[HL];
	uint8_t c_hs[HL], s_hs[HL], c_ap[HL], s_ap[HL], secret[HL];
	size_t dhe_len = 0;
	size_t sh = through_server_hello(t);

	/* The (EC)DHE shared secret from the client's private key and the
	 * server's share. */
	pl_kex_t *k = pl_kex_new_from_private(t->group, t->client_priv.p,
					      t->client_priv.len);
	CHECK(k != NULL);
	if (k != NULL)
		CHECK(pl_kex_derive(k, t->server_pub.p, t->server_pub.len, dhe,
				    sizeof(dhe), &dhe_len) == PL_OK);
	pl_kex_free(k);
	CHECK_BYTES(dhe, dhe_len, t->dhe, "(EC)DHE shared secret");

	/* RFC 8446 7.1, without a PSK. */
	CHECK(pl_hkdf_extract(SHA256, NULL, 0, zeros, HL, early) == PL_OK);
	CHECK_BYTES(early, HL, t->early, "early secret");
	CHECK(pl_hash_once(SHA256, NULL, 0, empty) == PL_OK);
	CHECK(pl_tls_derive_secret(SHA256, early, "derived", empty, derived) ==
	      PL_OK);
	CHECK_BYTES(derived, HL, t->derived_hs, "derived (handshake)");
	CHECK(pl_hkdf_extract(SHA256, derived, HL, dhe, dhe_len, hs) == PL_OK);
	CHECK_BYTES(hs, HL, t->handshake, "handshake secret");

	transcript_hash(t, sh, th);
	CHECK_BYTES(th, HL, t->hash_hello, "transcript hash through ServerHello");
	CHECK(pl_tls_derive_secret(SHA256, hs, "c hs traffic", th, c_hs) == PL_OK);
	CHECK(pl_tls_derive_secret(SHA256, hs, "s hs traffic", th, s_hs) == PL_OK);
	CHECK_BYTES(c_hs, HL, t->c_hs, "client handshake traffic secret");
	CHECK_BYTES(s_hs, HL, t->s_hs, "server handshake traffic secret");
	traffic_keys_match(t, s_hs, t->server_hs_key, t->server_hs_iv,
			   "server handshake");
	traffic_keys_match(t, c_hs, t->client_hs_key, t->client_hs_iv,
			   "client handshake");

	CHECK(pl_tls_derive_secret(SHA256, hs, "derived", empty, derived) ==
	      PL_OK);
	CHECK_BYTES(derived, HL, t->derived_master, "derived (master)");
	CHECK(pl_hkdf_extract(SHA256, derived, HL, zeros, HL, master) == PL_OK);
	CHECK_BYTES(master, HL, t->master, "master secret");

	transcript_hash(t, sh + 2, th);
	certificate_verify_checks(t, th);

	/* The server's Finished covers everything through CertificateVerify. */
	transcript_hash(t, sh + 3, th);
	finished_matches(t, s_hs, th, t->server_finished_key,
			 t->server_verify_data, t->server_finished,
			 "server Finished");

	transcript_hash(t, sh + 4, th);
	CHECK_BYTES(th, HL, t->hash_server_finished,
		    "transcript hash through server Finished");
	CHECK(pl_tls_derive_secret(SHA256, master, "c ap traffic", th, c_ap) ==
	      PL_OK);
	CHECK(pl_tls_derive_secret(SHA256, master, "s ap traffic", th, s_ap) ==
	      PL_OK);
	CHECK(pl_tls_derive_secret(SHA256, master, "exp master", th, secret) ==
	      PL_OK);
	CHECK_BYTES(c_ap, HL, t->c_ap, "client application traffic secret");
	CHECK_BYTES(s_ap, HL, t->s_ap, "server application traffic secret");
	CHECK_BYTES(secret, HL, t->exp_master, "exporter master secret");
	traffic_keys_match(t, s_ap, t->server_ap_key, t->server_ap_iv,
			   "server application");
	traffic_keys_match(t, c_ap, t->client_ap_key, t->client_ap_iv,
			   "client application");
	finished_matches(t, c_hs, th, t->client_finished_key,
			 t->client_verify_data, t->client_finished,
			 "client Finished");

	transcript_hash(t, sh + 5, th);
	CHECK_BYTES(th, HL, t->hash_client_finished,
		    "transcript hash through client Finished");
	CHECK(pl_tls_derive_secret(SHA256, master, "res master", th, secret) ==
	      PL_OK);
	CHECK_BYTES(secret, HL, t->res_master, "resumption master secret");
}

static void key_schedule_reproduces_simple_1rtt(void)
{
	const trace_t *t = &simple_1rtt;
	uint8_t psk[HL];

	key_schedule_matches(t);
	/* RFC 8446 4.6.1: the ticket's PSK from its nonce. */
	bytes_t want = BYTES(rfc8448_s3_ticket_psk);
	CHECK(pl_tls_expand_label(SHA256, rfc8448_s3_res_master, "resumption",
				  rfc8448_s3_ticket_nonce,
				  sizeof(rfc8448_s3_ticket_nonce), psk,
				  HL) == PL_OK);
	CHECK_BYTES(psk, HL, want, "ticket PSK");
}

static void key_schedule_reproduces_hello_retry(void)
{
	key_schedule_matches(&hello_retry);
}

/* ---- the engine against the traces ----------------------------------------- */

/* The engine's pending output equals want exactly; it is then consumed. */
static void output_is(pl_tls_conn_t *c, const trace_t *t, bytes_t want,
		      const char *what)
{
	size_t n = 0;
	const uint8_t *out = pl_tls_output(c, &n);

	CHECK_MSG(n == want.len &&
			  (n == 0 || memcmp(out, want.p, want.len) == 0),
		  "%s: %s: padlock sent %zu bytes (first %02x), the trace %zu",
		  t->name, what, n, n ? out[0] : 0, want.len);
	pl_tls_output_consumed(c, n);
}

static void feed_ok(pl_tls_conn_t *c, const trace_t *t, bytes_t rec,
		    const char *what)
{
	int ret = pl_tls_feed(c, rec.p, rec.len);

	CHECK_MSG(ret == PL_OK, "%s: %s refused: %s", t->name, what,
		  pl_tls_reason(c));
}

static void secret_is(const pl_tls_conn_t *c, const trace_t *t,
		      const char *which, bytes_t want)
{
	const uint8_t *got = test_secret(c, which);

	CHECK_MSG(got != NULL && memcmp(got, want.p, want.len) == 0,
		  "%s: engine secret \"%s\" differs from the trace", t->name,
		  which);
}

/* What a trace connection injects through its config: the trace's key
 * pairs (one per group, made when the engine asks), its ClientHellos and
 * its random. */
typedef struct {
	const bytes_t *privs;
	const uint16_t *groups;
	size_t n_keys;
	bytes_t hellos[2];
	const uint8_t *random;
} inject_t;

static inject_t injected;

static pl_kex_t *inject_kex(void *arg, const pl_tls_conn_t *c, uint16_t group)
{
	const inject_t *in = arg;
	(void)c;
	for (size_t i = 0; i < in->n_keys; i++)
		if (in->groups[i] == group)
			return pl_kex_new_from_private(group, in->privs[i].p,
						       in->privs[i].len);
	return NULL;
}

static int inject_hello(void *arg, const pl_tls_conn_t *c, int index,
			const uint8_t **msg, size_t *len)
{
	const inject_t *in = arg;
	(void)c;
	if (index > 1 || in->hellos[index].p == NULL)
		return PL_ERR_STATE;
	*msg = in->hellos[index].p;
	*len = in->hellos[index].len;
	return PL_OK;
}

static int inject_random(void *arg, const pl_tls_conn_t *c,
			 pl_tls_random_use_t use, uint8_t *buf, size_t len)
{
	const inject_t *in = arg;
	(void)c;
	if (use != PL_TLS_RANDOM_HELLO || len != 32)
		return pl_random(buf, len);
	memcpy(buf, in->random, 32);
	return PL_OK;
}

/* A client connection replaying the trace's ClientHello(s) with the
 * trace's key pairs. The trace's certificate is self-signed, so the chain
 * is not verified (its CertificateVerify still is). */
static pl_tls_conn_t *trace_client(pl_tls_config_t *cfg, bytes_t ch1,
				   bytes_t ch2, const bytes_t *privs,
				   const uint16_t *groups, size_t n_keys)
{
	injected.privs = privs;
	injected.groups = groups;
	injected.n_keys = n_keys;
	injected.hellos[0] = ch1;
	injected.hellos[1] = ch2;
	pl_tls_config_set_verify(cfg, false);
	pl_tls_config_set_kex(cfg, inject_kex, &injected);
	pl_tls_config_set_client_hello(cfg, inject_hello, &injected);
	pl_tls_conn_t *c = pl_tls_conn_new(cfg, "server");
	if (c == NULL)
		abort();
	return c;
}

static void client_replays_simple_1rtt(void)
{
	const trace_t *t = &simple_1rtt;
	pl_tls_config_t *cfg = pl_tls_config_new(false);
	bytes_t priv = BYTES(rfc8448_s3_client_priv);
	uint16_t group = PL_GROUP_X25519;
	uint8_t buf[128];
	size_t n = 0;

	CHECK(cfg != NULL);
	if (cfg == NULL)
		return;
	pl_tls_conn_t *c = trace_client(cfg, t->client_hello, (bytes_t){0},
					&priv, &group, 1);
	/* RFC 8446 5.1: the first ClientHello's record says 0x0301. */
	output_is(c, t, (bytes_t)BYTES(rfc8448_s3_client_hello_record),
		  "ClientHello record");

	feed_ok(c, t, (bytes_t)BYTES(rfc8448_s3_server_hello_record),
		"ServerHello record");
	secret_is(c, t, "c hs", t->c_hs);
	secret_is(c, t, "s hs", t->s_hs);
	/* The session id is empty: no middlebox-compatibility CCS; the
	 * client sends nothing until the server's flight is in. */
	output_is(c, t, (bytes_t){0}, "output after ServerHello");

	/* EncryptedExtensions, Certificate, CertificateVerify (RSA-PSS with
	 * the trace's RSA-1024 key, checked for real) and Finished. */
	feed_ok(c, t, (bytes_t)BYTES(rfc8448_s3_server_flight_record),
		"server flight record");
	CHECK(pl_tls_handshake_done(c));
	CHECK_EQ_INT(pl_tls_suite(c), PL_TLS_AES_128_GCM_SHA256);
	CHECK_EQ_INT(pl_tls_group(c), PL_GROUP_X25519);
	CHECK_EQ_INT(pl_tls_sigscheme(c), PL_SIG_RSA_PSS_RSAE_SHA256);
	output_is(c, t, (bytes_t)BYTES(rfc8448_s3_client_finished_record),
		  "client Finished record");
	secret_is(c, t, "c ap", t->c_ap);
	secret_is(c, t, "s ap", t->s_ap);
	secret_is(c, t, "res", t->res_master);

	feed_ok(c, t, (bytes_t)BYTES(rfc8448_s3_ticket_record),
		"NewSessionTicket record");
	CHECK_EQ_INT(pl_tls_ticket_count(c), 1);
	/* The kept ticket's PSK (RFC 8446 4.6.1), from the engine's state. */
	CHECK(c->n_tickets == 1 &&
	      memcmp(c->tickets[0].psk, rfc8448_s3_ticket_psk, HL) == 0);
	CHECK(c->n_tickets == 1 && c->tickets[0].lifetime == 30);

	CHECK(pl_tls_write(c, rfc8448_s3_client_app_data,
			   sizeof(rfc8448_s3_client_app_data)) == PL_OK);
	output_is(c, t, (bytes_t)BYTES(rfc8448_s3_client_app_record),
		  "client application data record");

	feed_ok(c, t, (bytes_t)BYTES(rfc8448_s3_server_app_record),
		"server application data record");
	CHECK(pl_tls_read(c, buf, sizeof(buf), &n) == PL_OK);
	CHECK(n == sizeof(rfc8448_s3_server_app_data) &&
	      memcmp(buf, rfc8448_s3_server_app_data, n) == 0);

	CHECK(pl_tls_close(c) == PL_OK);
	output_is(c, t, (bytes_t)BYTES(rfc8448_s3_client_alert_record),
		  "client close_notify record");
	feed_ok(c, t, (bytes_t)BYTES(rfc8448_s3_server_alert_record),
		"server close_notify record");
	CHECK(pl_tls_peer_closed(c));
	CHECK(pl_tls_read(c, buf, sizeof(buf), &n) == PL_ERR_CLOSED && n == 0);
	CHECK(!pl_tls_failed(c));

	pl_tls_conn_free(c);
	pl_tls_config_free(cfg);
}

static void client_replays_hello_retry(void)
{
	const trace_t *t = &hello_retry;
	pl_tls_config_t *cfg = pl_tls_config_new(false);
	/* The trace's client first offers x25519, then answers the
	 * HelloRetryRequest with a P-256 share. */
	bytes_t privs[2] = {BYTES(rfc8448_s5_client_priv_x25519),
			    BYTES(rfc8448_s5_client_priv_p256)};
	uint16_t groups[2] = {PL_GROUP_X25519, PL_GROUP_SECP256R1};

	CHECK(cfg != NULL);
	if (cfg == NULL)
		return;
	pl_tls_conn_t *c = trace_client(cfg, t->client_hello, t->client_hello2,
					privs, groups, 2);
	output_is(c, t, (bytes_t)BYTES(rfc8448_s5_client_hello1_record),
		  "first ClientHello record");

	/* The HelloRetryRequest asks for P-256 and carries a cookie. The
	 * session id is empty, so no CCS goes before the second ClientHello,
	 * whose record says 0x0303. */
	feed_ok(c, t, (bytes_t)BYTES(rfc8448_s5_hello_retry_request_record),
		"HelloRetryRequest record");
	CHECK(pl_tls_did_hello_retry(c));
	output_is(c, t, (bytes_t)BYTES(rfc8448_s5_client_hello2_record),
		  "second ClientHello record");

	/* The secrets come from the transcript that starts with
	 * message_hash (RFC 8446 4.4.1). */
	feed_ok(c, t, (bytes_t)BYTES(rfc8448_s5_server_hello_record),
		"ServerHello record");
	secret_is(c, t, "c hs", t->c_hs);
	secret_is(c, t, "s hs", t->s_hs);
	output_is(c, t, (bytes_t){0}, "output after ServerHello");

	feed_ok(c, t, (bytes_t)BYTES(rfc8448_s5_server_flight_record),
		"server flight record");
	CHECK(pl_tls_handshake_done(c));
	CHECK_EQ_INT(pl_tls_group(c), PL_GROUP_SECP256R1);
	CHECK_EQ_INT(pl_tls_sigscheme(c), PL_SIG_RSA_PSS_RSAE_SHA256);
	output_is(c, t, (bytes_t)BYTES(rfc8448_s5_client_finished_record),
		  "client Finished record");
	secret_is(c, t, "c ap", t->c_ap);
	secret_is(c, t, "s ap", t->s_ap);
	secret_is(c, t, "res", t->res_master);

	CHECK(pl_tls_close(c) == PL_OK);
	output_is(c, t, (bytes_t)BYTES(rfc8448_s5_client_alert_record),
		  "client close_notify record");
	feed_ok(c, t, (bytes_t)BYTES(rfc8448_s5_server_alert_record),
		"server close_notify record");
	CHECK(pl_tls_peer_closed(c));
	CHECK(!pl_tls_failed(c));

	pl_tls_conn_free(c);
	pl_tls_config_free(cfg);
}

/* ---- the server ---------------------------------------------------------- */

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
	static char buf[2][256];
	static int next;
	char *p = buf[next++ % 2];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

static void put_hex(FILE *f, const char *field, const uint8_t *p, size_t n)
{
	fprintf(f, "%s=INTEGER:0x", field);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02X", p[i]);
	fputc('\n', f);
}

/* The trace's RSA key (RFC 8448 section 2) as a PEM file: its components
 * go into an RSAPrivateKey (RFC 8017 A.1.2) written by openssl asn1parse
 * -genconf, then openssl pkey makes the PEM. NULL if that fails. */
static pl_pkey_t *load_trace_rsa_key(void)
{
	char cmd[1024], err[256] = "";
	FILE *f = fopen(tmp_path("rsa.cnf"), "w");

	if (f == NULL)
		return NULL;
	fprintf(f, "asn1=SEQUENCE:rsa_key\n[rsa_key]\nversion=INTEGER:0\n");
	put_hex(f, "n", rfc8448_rsa_n, sizeof(rfc8448_rsa_n));
	put_hex(f, "e", rfc8448_rsa_e, sizeof(rfc8448_rsa_e));
	put_hex(f, "d", rfc8448_rsa_d, sizeof(rfc8448_rsa_d));
	put_hex(f, "p", rfc8448_rsa_p, sizeof(rfc8448_rsa_p));
	put_hex(f, "q", rfc8448_rsa_q, sizeof(rfc8448_rsa_q));
	put_hex(f, "dp", rfc8448_rsa_dp, sizeof(rfc8448_rsa_dp));
	put_hex(f, "dq", rfc8448_rsa_dq, sizeof(rfc8448_rsa_dq));
	put_hex(f, "qinv", rfc8448_rsa_qinv, sizeof(rfc8448_rsa_qinv));
	if (fclose(f) != 0)
		return NULL;
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && openssl asn1parse -noout -genconf rsa.cnf "
		 "-out rsa.der >out.txt 2>&1 && openssl pkey -inform DER "
		 "-in rsa.der -out rsa.pem >>out.txt 2>&1",
		 tmpdir);
	if (system(cmd) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		return NULL;
	}
	pl_pkey_t *key = pl_x509_key_load_pem(tmp_path("rsa.pem"), err,
					      sizeof(err));
	if (key == NULL)
		fprintf(stderr, "%s\n", err);
	return key;
}

static pl_pkey_t *trace_key; /* loaded once by main() */

/* A server configuration with the trace's certificate and RSA key and the
 * trace server's cipher suite (padlock's default order depends on the
 * CPU). NULL if the key or certificate could not be loaded. */
static pl_tls_config_t *trace_server_config(void)
{
	const uint16_t suite = PL_TLS_AES_128_GCM_SHA256;
	pl_x509_chain_t *chain = trace_chain(simple_1rtt.certificate);
	pl_tls_config_t *cfg = pl_tls_config_new(true);

	CHECK_MSG(chain != NULL, "the trace's certificate does not parse");
	if (cfg == NULL || chain == NULL || trace_key == NULL) {
		pl_x509_chain_free(chain);
		pl_tls_config_free(cfg);
		return NULL;
	}
	CHECK(pl_tls_config_set_suites(cfg, &suite, 1) == PL_OK);
	CHECK(pl_tls_config_add_chain(cfg, chain, pl_pkey_ref(trace_key)) ==
	      PL_OK);
	return cfg;
}

/* Moves all of from's output into to; false when to fails on it. */
static bool pump(pl_tls_conn_t *from, pl_tls_conn_t *to)
{
	size_t n = 0;
	const uint8_t *p = pl_tls_output(from, &n);
	int ret = n ? pl_tls_feed(to, p, n) : PL_OK;

	pl_tls_output_consumed(from, n);
	return ret == PL_OK;
}

static void server_replays_simple_1rtt(void)
{
	const trace_t *t = &simple_1rtt;
	pl_tls_config_t *cfg = trace_server_config();
	pl_tls_config_t *ccfg = pl_tls_config_new(false);
	bytes_t priv = BYTES(rfc8448_s3_client_priv);
	uint16_t group = PL_GROUP_X25519;
	size_t n = 0;

	CHECK(cfg != NULL && ccfg != NULL);
	if (cfg == NULL || ccfg == NULL) {
		pl_tls_config_free(cfg);
		pl_tls_config_free(ccfg);
		return;
	}
	/* 1024 bits is enough for RSA-PSS-SHA256 (RFC 8017 9.1.1). */
	CHECK(pl_pkey_supports(trace_key, PL_SIG_RSA_PSS_RSAE_SHA256));
	/* ServerHello.random: after type(1) length(3) legacy_version(2). */
	bytes_t spriv = BYTES(rfc8448_s3_server_priv);
	inject_t sin = {.privs = &spriv, .groups = &group, .n_keys = 1,
			.random = rfc8448_s3_server_hello + 6};
	pl_tls_config_set_random(cfg, inject_random, &sin);
	pl_tls_config_set_kex(cfg, inject_kex, &sin);
	pl_tls_conn_t *c = pl_tls_conn_new(cfg, NULL);
	if (c == NULL)
		abort();

	feed_ok(c, t, (bytes_t)BYTES(rfc8448_s3_client_hello_record),
		"ClientHello record");
	const uint8_t *out = pl_tls_output(c, &n);
	bytes_t sh = BYTES(rfc8448_s3_server_hello_record);
	CHECK_MSG(n > sh.len && memcmp(out, sh.p, sh.len) == 0,
		  "the ServerHello record differs from the trace");
	/* No CCS (the client's session id is empty): the next record is
	 * the encrypted flight. */
	CHECK(n > sh.len && out[sh.len] == PL_CT_APPLICATION_DATA);
	secret_is(c, t, "c hs", t->c_hs);
	secret_is(c, t, "s hs", t->s_hs);
	CHECK_EQ_INT(pl_tls_sigscheme(c), PL_SIG_RSA_PSS_RSAE_SHA256);

	/* The byte comparison stops here. padlock's EncryptedExtensions
	 * differ from the trace server's (which lists supported_groups, with
	 * groups padlock does not implement; padlock acknowledges the
	 * server_name instead), and an RSA-PSS signature is randomized, so
	 * the rest of the flight and every secret after it differ. The
	 * trace's client (padlock replaying its ClientHello) must still
	 * accept that flight, signature and Finished included. */
	pl_tls_conn_t *cl = trace_client(ccfg, t->client_hello, (bytes_t){0},
					 &priv, &group, 1);
	size_t ch_len = 0;
	(void)pl_tls_output(cl, &ch_len);
	pl_tls_output_consumed(cl, ch_len); /* the server has it already */
	CHECK(pump(c, cl));
	CHECK(pump(cl, c));
	CHECK(pl_tls_handshake_done(c) && pl_tls_handshake_done(cl));
	CHECK(memcmp(test_secret(c, "res"),
		     test_secret(cl, "res"), HL) == 0);
	CHECK_MSG(!pl_tls_failed(c) && !pl_tls_failed(cl), "%s%s",
		  pl_tls_reason(c), pl_tls_reason(cl));

	pl_tls_conn_free(cl);
	pl_tls_conn_free(c);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(cfg);
}

/* The traces' client has an empty session id and so sends no dummy
 * change_cipher_spec; padlock's own ClientHello has a 32-byte one
 * (middlebox compatibility, RFC 8446 D.4), and then both sides send
 * exactly one CCS: the server right after its ServerHello, the client
 * before its Finished. */
static void compat_mode_still_sends_ccs(void)
{
	static const uint8_t ccs[6] = {PL_CT_CHANGE_CIPHER_SPEC, 3, 3, 0, 1, 1};
	pl_tls_config_t *cfg = trace_server_config();
	pl_tls_config_t *ccfg = pl_tls_config_new(false);
	size_t n = 0;

	CHECK(cfg != NULL && ccfg != NULL);
	if (cfg == NULL || ccfg == NULL) {
		pl_tls_config_free(cfg);
		pl_tls_config_free(ccfg);
		return;
	}
	pl_tls_config_set_verify(ccfg, false);
	pl_tls_conn_t *cl = pl_tls_conn_new(ccfg, "server");
	pl_tls_conn_t *sv = pl_tls_conn_new(cfg, NULL);
	if (cl == NULL || sv == NULL)
		abort();
	CHECK(pump(cl, sv));
	const uint8_t *out = pl_tls_output(sv, &n);
	/* ServerHello record: 5 header bytes and its length. */
	size_t sh_len = n >= 5 ? 5 + ((size_t)out[3] << 8 | out[4]) : n;
	CHECK(n >= sh_len + sizeof(ccs) &&
	      memcmp(out + sh_len, ccs, sizeof(ccs)) == 0);
	CHECK(pump(sv, cl));
	out = pl_tls_output(cl, &n);
	CHECK(n > sizeof(ccs) && memcmp(out, ccs, sizeof(ccs)) == 0 &&
	      out[sizeof(ccs)] == PL_CT_APPLICATION_DATA);
	CHECK(pump(cl, sv));
	CHECK(pl_tls_handshake_done(cl) && pl_tls_handshake_done(sv));

	pl_tls_conn_free(cl);
	pl_tls_conn_free(sv);
	pl_tls_config_free(ccfg);
	pl_tls_config_free(cfg);
}

int main(void)
{
	char cmd[128];

	strcpy(tmpdir, "/tmp/padlock-rfc8448-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(key_schedule_reproduces_simple_1rtt);
	RUN(key_schedule_reproduces_hello_retry);
	RUN(client_replays_simple_1rtt);
	RUN(client_replays_hello_retry);
	trace_key = load_trace_rsa_key();
	CHECK_MSG(trace_key != NULL, "the trace's RSA key does not load");
	RUN(server_replays_simple_1rtt);
	RUN(compat_mode_still_sends_ccs);
	pl_pkey_free(trace_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return test_finish();
}
