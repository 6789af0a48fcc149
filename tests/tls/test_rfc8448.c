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
 *     (message_hash transcript) match;
 *   - section 4 (resumption with the section 3 ticket, and 0-RTT): the key
 *     schedule gives every value of the trace (PSK, binder, early and
 *     handshake secrets, both Finished, application and resumption
 *     secrets) and every record opens; padlock as the client, with the
 *     session it saved from section 3, writes the trace's binder and
 *     ClientHello record and derives the trace's handshake secrets; as the
 *     server, it verifies the trace's binder and resumes with the trace's
 *     ServerHello and handshake secrets. padlock refuses 0-RTT, so the
 *     messages after the ServerHello differ: the tests say where and how.
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
	bytes_t psk; /* empty without one */
	bytes_t client_priv, server_pub, dhe;
	/* The transcript in order; hello_retry and client_hello2 are empty
	 * without a HelloRetryRequest, certificate and certificate_verify
	 * in a resumed handshake, end_of_early_data without 0-RTT. */
	bytes_t client_hello, hello_retry, client_hello2, server_hello;
	bytes_t encrypted_extensions, certificate, certificate_verify;
	bytes_t server_finished, end_of_early_data, client_finished;
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

/* Section 4 resumes the section 3 session with its ticket (psk_dhe_ke,
 * a new x25519 exchange) and sends 0-RTT data, which the trace's server
 * accepts: no certificate, and EndOfEarlyData before the client
 * Finished. */
static const trace_t resumed_0rtt = {
	.name = "RFC 8448 section 4",
	.group = PL_GROUP_X25519,
	.psk = BYTES(rfc8448_s4_psk),
	.client_priv = BYTES(rfc8448_s4_client_priv),
	.server_pub = BYTES(rfc8448_s4_server_pub),
	.dhe = BYTES(rfc8448_s4_dhe),
	.client_hello = BYTES(rfc8448_s4_client_hello),
	.server_hello = BYTES(rfc8448_s4_server_hello),
	.encrypted_extensions = BYTES(rfc8448_s4_encrypted_extensions),
	.server_finished = BYTES(rfc8448_s4_server_finished),
	.end_of_early_data = BYTES(rfc8448_s4_end_of_early_data),
	.client_finished = BYTES(rfc8448_s4_client_finished),
	.early = BYTES(rfc8448_s4_early_secret),
	.derived_hs = BYTES(rfc8448_s4_derived_hs),
	.handshake = BYTES(rfc8448_s4_handshake_secret),
	.hash_hello = BYTES(rfc8448_s4_hash_hello),
	.c_hs = BYTES(rfc8448_s4_c_hs_traffic),
	.s_hs = BYTES(rfc8448_s4_s_hs_traffic),
	.derived_master = BYTES(rfc8448_s4_derived_master),
	.master = BYTES(rfc8448_s4_master_secret),
	.hash_server_finished = BYTES(rfc8448_s4_hash_server_finished),
	.c_ap = BYTES(rfc8448_s4_c_ap_traffic),
	.s_ap = BYTES(rfc8448_s4_s_ap_traffic),
	.exp_master = BYTES(rfc8448_s4_exp_master),
	.hash_client_finished = BYTES(rfc8448_s4_hash_client_finished),
	.res_master = BYTES(rfc8448_s4_res_master),
	.server_hs_key = BYTES(rfc8448_s4_server_hs_key),
	.server_hs_iv = BYTES(rfc8448_s4_server_hs_iv),
	.client_hs_key = BYTES(rfc8448_s4_client_hs_key),
	.client_hs_iv = BYTES(rfc8448_s4_client_hs_iv),
	.server_ap_key = BYTES(rfc8448_s4_server_ap_key),
	.server_ap_iv = BYTES(rfc8448_s4_server_ap_iv),
	.client_ap_key = BYTES(rfc8448_s4_client_ap_key),
	.client_ap_iv = BYTES(rfc8448_s4_client_ap_iv),
	.server_finished_key = BYTES(rfc8448_s4_server_finished_key),
	.server_verify_data = BYTES(rfc8448_s4_server_verify_data),
	.client_finished_key = BYTES(rfc8448_s4_client_finished_key),
	.client_verify_data = BYTES(rfc8448_s4_client_verify_data),
};

/* got (len bytes) equals want, named what in the failure. */
#define CHECK_BYTES(got_, got_len_, want_, what_)                            \
	CHECK_MSG((size_t)(got_len_) == (want_).len &&                       \
			  memcmp((got_), (want_).p, (want_).len) == 0,       \
		  "%s: %s differs from the trace", t->name, (what_))

/* Transcript-Hash (RFC 8446 4.4.1) of the first n messages of:
 * ClientHello, [HelloRetryRequest, ClientHello], ServerHello,
 * EncryptedExtensions, Certificate, CertificateVerify, server Finished,
 * [EndOfEarlyData], client Finished (an empty message counts as one and
 * hashes nothing). After a HelloRetryRequest the first ClientHello is
 * replaced by message_hash: 254 || 00 00 32 || SHA-256(ClientHello1). */
static void transcript_hash(const trace_t *t, size_t n, uint8_t out[HL])
{
	uint8_t message_hash[4 + HL] = {PL_HS_MESSAGE_HASH, 0, 0, HL};
	bytes_t msgs[10];
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
	if (t->end_of_early_data.len)
		msgs[count++] = t->end_of_early_data;
	msgs[count++] = t->client_finished;
	if (n > count)
		n = count;
	for (size_t i = 0; i < n; i++)
		total += msgs[i].len;
	uint8_t *all = malloc(total);
	if (all == NULL)
		abort();
	for (size_t i = 0, at = 0; i < n; at += msgs[i].len, i++)
		if (msgs[i].len) /* a resumed handshake has no certificate */
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
	/* EndOfEarlyData comes between the two Finished messages. */
	size_t eoed = t->end_of_early_data.len ? 1 : 0;

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

	/* RFC 8446 7.1: the early secret from the PSK, or from zeros. */
	CHECK(pl_hkdf_extract(SHA256, NULL, 0, t->psk.len ? t->psk.p : zeros,
			      HL, early) == PL_OK);
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
	if (t->certificate.len)
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
	transcript_hash(t, sh + 4 + eoed, th);
	finished_matches(t, c_hs, th, t->client_finished_key,
			 t->client_verify_data, t->client_finished,
			 "client Finished");

	transcript_hash(t, sh + 5 + eoed, th);
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

/* ---- section 4: the resumed 0-RTT handshake ------------------------------ */

/* padlock never sends early data and never accepts it (replay, RFC 8446
 * 8), so the engine tests of section 4 stop where the trace's 0-RTT
 * shapes the bytes; the key schedule test checks every value of the
 * trace, the early-data ones included. */
/* When the section 3 session was made, and so when its ticket is used
 * (the section 4 client says the ticket is 6 ms old). */
#define TRACE_TIME ((time_t)1546300800) /* January 2019, the RFC's date */

/* The ticket of the section 3 NewSessionTicket (RFC 8446 4.6.1):
 * lifetime(4) age_add(4) nonce<1> ticket<2> extensions<2>. */
typedef struct {
	uint32_t lifetime, age_add;
	bytes_t nonce, ticket;
} trace_ticket_t;

static trace_ticket_t trace_ticket(void)
{
	trace_ticket_t t = {0, 0, {NULL, 0}, {NULL, 0}};
	pl_reader_t r, nonce, ticket;
	uint32_t len;
	uint8_t type;

	pl_reader_init(&r, rfc8448_s3_new_session_ticket,
		       sizeof(rfc8448_s3_new_session_ticket));
	if (pl_read_u8(&r, &type) || pl_read_u24(&r, &len) ||
	    pl_read_u32(&r, &t.lifetime) || pl_read_u32(&r, &t.age_add) ||
	    pl_read_vec8(&r, &nonce) || pl_read_vec16(&r, &ticket))
		abort();
	t.nonce = (bytes_t){nonce.p, pl_reader_left(&nonce)};
	t.ticket = (bytes_t){ticket.p, pl_reader_left(&ticket)};
	return t;
}

/* Transcript-Hash of the messages given, in order. */
static void hash_msgs(const bytes_t *msgs, size_t n, uint8_t out[HL])
{
	pl_hash_t *h = pl_hash_new(SHA256);

	CHECK(h != NULL);
	if (h == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		CHECK(pl_hash_update(h, msgs[i].p, msgs[i].len) == PL_OK);
	CHECK(pl_hash_peek(h, out) == PL_OK);
	pl_hash_free(h);
}

/* Opens one TLS 1.3 record (RFC 8446 5.2) protected under key and iv
 * (AES-128-GCM) with sequence number seq, into out: the content without
 * its padding, whose type goes in *type. false when it does not open. */
static bool open_record(const uint8_t *rec, size_t len, const uint8_t *key,
			const uint8_t *iv, uint64_t seq, uint8_t *out,
			size_t *out_len, uint8_t *type)
{
	uint8_t nonce[PL_AEAD_NONCE_LEN];
	pl_aead_t *a;
	size_t n;

	if (len < 5 + PL_AEAD_TAG_LEN + 1 || rec[0] != PL_CT_APPLICATION_DATA ||
	    (size_t)(rec[3] << 8 | rec[4]) != len - 5 ||
	    (a = pl_aead_new(PL_AEAD_AES_128_GCM, key)) == NULL)
		return false;
	memcpy(nonce, iv, sizeof(nonce));
	for (int i = 0; i < 8; i++)
		nonce[PL_AEAD_NONCE_LEN - 1 - i] ^= (uint8_t)(seq >> (8 * i));
	int ret = pl_aead_open(a, nonce, rec, 5, rec + 5, len - 5, out);
	pl_aead_free(a);
	n = len - 5 - PL_AEAD_TAG_LEN;
	while (ret == PL_OK && n > 0 && out[n - 1] == 0)
		n--;
	if (ret != PL_OK || n == 0)
		return false;
	*type = out[n - 1];
	*out_len = n - 1;
	return true;
}

/* The record rec opens under key and iv at seq to exactly the content
 * want of content type want_type. */
static void record_holds(const trace_t *t, bytes_t rec, const uint8_t *key,
			 const uint8_t *iv, uint64_t seq, uint8_t want_type,
			 bytes_t want, const char *what)
{
	uint8_t plain[1024], type = 0;
	size_t n = 0;

	CHECK_MSG(rec.len <= sizeof(plain) &&
			  open_record(rec.p, rec.len, key, iv, seq, plain, &n,
				      &type),
		  "%s: %s does not open", t->name, what);
	CHECK_EQ_INT(type, want_type);
	CHECK_BYTES(plain, n, want, what);
}

static void key_schedule_reproduces_resumed_0rtt(void)
{
	const trace_t *t = &resumed_0rtt;
	trace_ticket_t tk = trace_ticket();
	uint8_t empty[HL], psk[HL], early[HL], th[HL], c_e[HL], secret[HL];
	uint8_t binder_key[HL], fk[HL], binder[HL];
	bytes_t ch = t->client_hello;
	bytes_t prefix = BYTES(rfc8448_s4_client_hello_prefix);

	/* The PSK of the section 3 ticket (RFC 8446 4.6.1) is the section 4
	 * client's IKM for its early secret. */
	CHECK(pl_tls_expand_label(SHA256, rfc8448_s3_res_master, "resumption",
				  tk.nonce.p, tk.nonce.len, psk, HL) == PL_OK);
	CHECK_BYTES(psk, HL, ((bytes_t)BYTES(rfc8448_s4_psk)), "PSK");
	CHECK(pl_hkdf_extract(SHA256, NULL, 0, psk, HL, early) == PL_OK);
	CHECK_BYTES(early, HL, ((bytes_t)BYTES(rfc8448_s4_early_secret)),
		    "early secret");

	/* The ClientHello offers the section 3 ticket; its age is 6 ms
	 * (obfuscated_ticket_age - ticket_age_add, RFC 8446 4.2.11.1). The
	 * identity ends the prefix: identities<2> then binders<2>. */
	size_t id_at = prefix.len - 4 - tk.ticket.len;
	CHECK(memcmp(ch.p, prefix.p, prefix.len) == 0);
	CHECK_MSG(memcmp(prefix.p + id_at, tk.ticket.p, tk.ticket.len) == 0,
		  "%s: the ClientHello's identity is not the ticket", t->name);
	uint32_t obfuscated = (uint32_t)prefix.p[prefix.len - 4] << 24 |
			      (uint32_t)prefix.p[prefix.len - 3] << 16 |
			      (uint32_t)prefix.p[prefix.len - 2] << 8 |
			      prefix.p[prefix.len - 1];
	CHECK_EQ_INT(obfuscated - tk.age_add, 6);

	/* The binder (RFC 8446 4.2.11.2): a Finished MAC under the binder
	 * key, over the ClientHello up to its binders list. */
	CHECK(pl_hash_once(SHA256, prefix.p, prefix.len, th) == PL_OK);
	CHECK_BYTES(th, HL, ((bytes_t)BYTES(rfc8448_s4_binder_hash)),
		    "binder hash");
	CHECK(pl_hash_once(SHA256, NULL, 0, empty) == PL_OK);
	CHECK(pl_tls_derive_secret(SHA256, early, "res binder", empty,
				   binder_key) == PL_OK);
	CHECK_BYTES(binder_key, HL, ((bytes_t)BYTES(rfc8448_s4_binder_key)),
		    "binder key");
	CHECK(pl_tls_expand_label(SHA256, binder_key, "finished", NULL, 0, fk,
				  HL) == PL_OK);
	CHECK_BYTES(fk, HL, ((bytes_t)BYTES(rfc8448_s4_binder_finished_key)),
		    "binder finished key");
	/* What the engine computes and checks (resume13.c). */
	CHECK(pl_tls_psk_binder(SHA256, psk, th, binder) == PL_OK);
	CHECK_BYTES(binder, HL, ((bytes_t)BYTES(rfc8448_s4_binder)), "binder");
	CHECK(ch.len == prefix.len + 3 + HL &&
	      memcmp(ch.p + prefix.len + 3, binder, HL) == 0);

	/* 0-RTT: the client's early traffic secret and keys over the whole
	 * ClientHello (its early data record is among the records below).
	 * padlock derives none of these in a handshake: its client sends no
	 * early data, its server skips it. */
	CHECK(pl_hash_once(SHA256, ch.p, ch.len, th) == PL_OK);
	CHECK_BYTES(th, HL, ((bytes_t)BYTES(rfc8448_s4_hash_client_hello)),
		    "transcript hash of the ClientHello");
	CHECK(pl_tls_derive_secret(SHA256, early, "c e traffic", th, c_e) ==
	      PL_OK);
	CHECK_BYTES(c_e, HL, ((bytes_t)BYTES(rfc8448_s4_c_e_traffic)),
		    "client early traffic secret");
	CHECK(pl_tls_derive_secret(SHA256, early, "e exp master", th,
				   secret) == PL_OK);
	CHECK_BYTES(secret, HL, ((bytes_t)BYTES(rfc8448_s4_e_exp_master)),
		    "early exporter master secret");
	traffic_keys_match(t, c_e, (bytes_t)BYTES(rfc8448_s4_client_early_key),
			   (bytes_t)BYTES(rfc8448_s4_client_early_iv),
			   "client early");

	/* The rest of the key schedule, psk_dhe_ke: as in a full
	 * handshake from the early secret on, without the certificate, and
	 * with EndOfEarlyData in the transcript before the client Finished. */
	key_schedule_matches(t);

	/* The records. The server's flight is EncryptedExtensions (with
	 * early_data: the trace's server accepts 0-RTT) and Finished. */
	uint8_t flight[sizeof(rfc8448_s4_encrypted_extensions) +
		       sizeof(rfc8448_s4_server_finished)];
	memcpy(flight, t->encrypted_extensions.p, t->encrypted_extensions.len);
	memcpy(flight + t->encrypted_extensions.len, t->server_finished.p,
	       t->server_finished.len);
	static const uint8_t close_notify[2] = {1, 0};
	/* Each record, the keys it is under, its sequence number and what
	 * it holds. EndOfEarlyData goes under the early keys after the early
	 * data; the client Finished under the client's handshake keys. */
	const struct {
		bytes_t record;
		const uint8_t *key, *iv;
		uint64_t seq;
		uint8_t type;
		bytes_t content;
		const char *what;
	} records[] = {
		{BYTES(rfc8448_s4_early_app_record),
		 rfc8448_s4_client_early_key, rfc8448_s4_client_early_iv, 0,
		 PL_CT_APPLICATION_DATA, BYTES(rfc8448_s4_early_app_data),
		 "early data record"},
		{BYTES(rfc8448_s4_server_flight_record), rfc8448_s4_server_hs_key,
		 rfc8448_s4_server_hs_iv, 0, PL_CT_HANDSHAKE, BYTES(flight),
		 "server flight record"},
		{BYTES(rfc8448_s4_end_of_early_data_record),
		 rfc8448_s4_client_early_key, rfc8448_s4_client_early_iv, 1,
		 PL_CT_HANDSHAKE, BYTES(rfc8448_s4_end_of_early_data),
		 "EndOfEarlyData record"},
		{BYTES(rfc8448_s4_client_finished_record),
		 rfc8448_s4_client_hs_key, rfc8448_s4_client_hs_iv, 0,
		 PL_CT_HANDSHAKE, BYTES(rfc8448_s4_client_finished),
		 "client Finished record"},
		{BYTES(rfc8448_s4_client_app_record), rfc8448_s4_client_ap_key,
		 rfc8448_s4_client_ap_iv, 0, PL_CT_APPLICATION_DATA,
		 BYTES(rfc8448_s4_client_app_data),
		 "client application data record"},
		{BYTES(rfc8448_s4_server_app_record), rfc8448_s4_server_ap_key,
		 rfc8448_s4_server_ap_iv, 0, PL_CT_APPLICATION_DATA,
		 BYTES(rfc8448_s4_server_app_data),
		 "server application data record"},
		{BYTES(rfc8448_s4_client_alert_record), rfc8448_s4_client_ap_key,
		 rfc8448_s4_client_ap_iv, 1, PL_CT_ALERT, BYTES(close_notify),
		 "client close_notify record"},
		{BYTES(rfc8448_s4_server_alert_record), rfc8448_s4_server_ap_key,
		 rfc8448_s4_server_ap_iv, 1, PL_CT_ALERT, BYTES(close_notify),
		 "server close_notify record"},
	};
	for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++)
		record_holds(t, records[i].record, records[i].key,
			     records[i].iv, records[i].seq, records[i].type,
			     records[i].content, records[i].what);
	pl_cleanse(psk, sizeof(psk));
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

/* The section 3 session as padlock's client saved it (its ticket and the
 * PSK it derived), for section 4. */
static uint8_t *s3_session;
static size_t s3_session_len;

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
	pl_tls_conn_set_time(c, TRACE_TIME);
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
	/* Kept for section 4, which resumes this session. */
	CHECK(pl_tls_session_save(c, &s3_session, &s3_session_len) == PL_OK);

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

/* Section 4's ClientHello, whose binder padlock's client fills in: the
 * hook below puts the trace's hello in place of the engine's, the
 * binder zeroed, and has the engine's binder code (resume13.c) write it
 * from the PSK of the session the connection loaded, as the engine does
 * for its own hello. */
static uint8_t s4_hello[sizeof(rfc8448_s4_client_hello)];
static pl_tls_conn_t *s4_client; /* the connection the hook serves */

static int inject_hello_with_binder(void *arg, const pl_tls_conn_t *c,
				    int index, const uint8_t **msg, size_t *len)
{
	pl_msg_client_hello_t m;
	pl_msg_err_t err;
	pl_reader_t body;
	(void)arg;
	if (index != 0 || c != s4_client)
		return PL_ERR_STATE;
	memcpy(s4_hello, rfc8448_s4_client_hello, sizeof(s4_hello));
	memset(s4_hello + sizeof(s4_hello) - HL, 0, HL);
	pl_reader_init(&body, s4_hello + 4, sizeof(s4_hello) - 4);
	if (pl_msg_client_hello_parse(&body, &m, &err) != PL_OK)
		return PL_ERR_ARG;
	/* The ClientHello up to the binders is the trace's prefix. */
	CHECK_EQ_INT(m.binders_offset,
		     sizeof(rfc8448_s4_client_hello_prefix));
	*msg = s4_hello;
	*len = sizeof(s4_hello);
	return pl_tls13_client_binder(s4_client, s4_hello, m.binders_offset);
}

/* A client that resumes the saved section 3 session with the section 4
 * key pair and ClientHello, 6 ms after the ticket came. */
static pl_tls_conn_t *resuming_client(pl_tls_config_t *cfg)
{
	static const bytes_t priv = BYTES(rfc8448_s4_client_priv);
	static const uint16_t group = PL_GROUP_X25519;

	injected.privs = &priv;
	injected.groups = &group;
	injected.n_keys = 1;
	pl_tls_config_set_verify(cfg, false);
	pl_tls_config_set_kex(cfg, inject_kex, &injected);
	pl_tls_config_set_client_hello(cfg, inject_hello_with_binder, NULL);
	pl_tls_conn_t *c = pl_tls_conn_new(cfg, "server");
	if (c == NULL)
		abort();
	s4_client = c;
	pl_tls_conn_set_time(c, TRACE_TIME);
	CHECK(s3_session != NULL);
	if (s3_session != NULL)
		CHECK(pl_tls_session_load(c, s3_session, s3_session_len) ==
		      PL_OK);
	return c;
}

/* padlock as the section 4 client: its binder and its ClientHello record
 * are the trace's, and the trace's ServerHello, which accepts the PSK,
 * gives it the trace's handshake secrets. */
static void client_replays_resumed_0rtt(void)
{
	const trace_t *t = &resumed_0rtt;
	pl_tls_config_t *cfg = pl_tls_config_new(false);

	CHECK(cfg != NULL);
	if (cfg == NULL)
		return;
	pl_tls_conn_t *c = resuming_client(cfg);
	output_is(c, t, (bytes_t)BYTES(rfc8448_s4_client_hello_record),
		  "ClientHello record (with padlock's binder)");
	/* The trace's client now sends its 0-RTT data; padlock's does not. */
	feed_ok(c, t, (bytes_t)BYTES(rfc8448_s4_server_hello_record),
		"ServerHello record");
	CHECK(pl_tls_resumed(c));
	secret_is(c, t, "c hs", t->c_hs);
	secret_is(c, t, "s hs", t->s_hs);
	output_is(c, t, (bytes_t){0}, "output after ServerHello");

	/* The trace's EncryptedExtensions accept the early data. padlock's
	 * client never sends any, so it takes early_data there as an answer
	 * to an offer it did not make (RFC 8446 4.2: unsupported_extension)
	 * and never reaches the server Finished; the key schedule test and
	 * the server test below check the values after this point. */
	CHECK(pl_tls_feed(c, rfc8448_s4_server_flight_record,
			  sizeof(rfc8448_s4_server_flight_record)) ==
	      PL_ERR_TLS);
	CHECK_EQ_INT(pl_tls_alert(c), PL_ALERT_UNSUPPORTED_EXTENSION);

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

/* The test hook of the config (tls_int.h) that opens the section 3
 * ticket as the trace's server would: the state it sealed is the PSK of
 * RFC 8446 4.6.1, suite, SNI, lifetime and ticket_age_add. Any other
 * ticket does not open. */
static int open_trace_ticket(void *arg, const uint8_t *ticket, size_t len,
			     pl_tls_session_state_t *s)
{
	trace_ticket_t tk = trace_ticket();
	(void)arg;
	memset(s, 0, sizeof(*s));
	if (len != tk.ticket.len || memcmp(ticket, tk.ticket.p, len) != 0)
		return PL_ERR_DECRYPT;
	s->version = PL_TLS_VERSION_13;
	s->suite = PL_TLS_AES_128_GCM_SHA256;
	s->created = (uint64_t)TRACE_TIME;
	s->lifetime = tk.lifetime;
	s->age_add = tk.age_add;
	memcpy(s->secret, rfc8448_s3_ticket_psk, HL);
	s->secret_len = HL;
	strcpy(s->sni, "server");
	/* the certificate the server still serves (the tag tickets carry
	 * since the TLS 1.2 tickets: a SHA-256 prefix of the leaf's DER),
	 * the leaf read from the trace's Certificate message: type, length,
	 * empty context, list length, then the first entry's length */
	const uint8_t *cm = rfc8448_s3_certificate;
	size_t der_len = (size_t)cm[8] << 16 | (size_t)cm[9] << 8 | cm[10];
	uint8_t digest[PL_HASH_MAX];
	if (pl_hash_once(PL_HASH_SHA256, cm + 11, der_len, digest))
		return PL_ERR_DECRYPT;
	memcpy(s->cert_tag, digest, sizeof(s->cert_tag));
	return PL_OK;
}

/* Takes all of c's pending output into buf (cap bytes); its length. */
static size_t take_output(pl_tls_conn_t *c, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	const uint8_t *out = pl_tls_output(c, &n);

	CHECK(n <= cap);
	n = n <= cap ? n : 0;
	memcpy(buf, out, n);
	pl_tls_output_consumed(c, n);
	return n;
}

/* The handshake messages in the protected records of wire (the first
 * with sequence number 0), into out; their length, 0 if one does not
 * open. */
static size_t open_flight(const uint8_t *wire, size_t len, const uint8_t *key,
			  const uint8_t *iv, uint8_t *out, size_t cap)
{
	size_t at = 0, n = 0;
	uint64_t seq = 0;
	uint8_t type;

	while (at + 5 <= len) {
		size_t rec = 5 + ((size_t)wire[at + 3] << 8 | wire[at + 4]);
		size_t got = 0;
		if (rec > len - at || rec - 5 - PL_AEAD_TAG_LEN > cap - n ||
		    !open_record(wire + at, rec, key, iv, seq++, out + n, &got,
				 &type) ||
		    type != PL_CT_HANDSHAKE)
			return 0;
		n += got;
		at += rec;
	}
	return at == len ? n : 0;
}

/* The next handshake message in r, header included. */
static bytes_t next_message(pl_reader_t *r)
{
	const uint8_t *start = r->p, *body;
	uint32_t len;
	uint8_t type;

	if (pl_read_u8(r, &type) || pl_read_u24(r, &len) ||
	    pl_read_bytes(r, len, &body))
		return (bytes_t){NULL, 0};
	return (bytes_t){start, 4 + (size_t)len};
}

/* padlock as the section 4 server, with the trace's random and key pair
 * and the section 3 ticket opened by the hook above: it verifies the
 * trace's binder, resumes, and its ServerHello record and handshake
 * secrets are the trace's.
 *
 * From there padlock's bytes differ from the trace's, by design: its
 * EncryptedExtensions have no early_data (it refuses 0-RTT and skips the
 * early data) and no supported_groups (optional; padlock sends none),
 * and acknowledge server_name before record_size_limit. So its Finished, the application secrets and the
 * resumption secret are not the trace's bytes; they are checked instead
 * as the trace's keys give them over padlock's transcript: the server
 * flight opens under the trace's server handshake key, its Finished is
 * the MAC under the trace's server finished_key, the client's answer
 * opens under the trace's client handshake key, and the application and
 * resumption secrets both sides hold derive from the trace's master
 * secret. The client is padlock's, resuming as in the test above. */
static void server_replays_resumed_0rtt(void)
{
	const trace_t *t = &resumed_0rtt;
	pl_tls_config_t *cfg = trace_server_config();
	pl_tls_config_t *ccfg = pl_tls_config_new(false);
	static uint8_t wire[4096], flight[4096], cwire[1024], cflight[1024];
	const uint16_t group = PL_GROUP_X25519;
	const bytes_t spriv = BYTES(rfc8448_s4_server_priv);
	const bytes_t sh_rec = BYTES(rfc8448_s4_server_hello_record);
	uint8_t th[HL], mac[HL], secret[HL];

	CHECK(cfg != NULL && ccfg != NULL);
	if (cfg == NULL || ccfg == NULL) {
		pl_tls_config_free(cfg);
		pl_tls_config_free(ccfg);
		return;
	}
	inject_t sin = {.privs = &spriv, .groups = &group, .n_keys = 1,
			.random = rfc8448_s4_server_hello + 6};
	pl_tls_config_set_random(cfg, inject_random, &sin);
	pl_tls_config_set_kex(cfg, inject_kex, &sin);
	cfg->ticket_open = open_trace_ticket;
	pl_tls_conn_t *sv = pl_tls_conn_new(cfg, NULL);
	if (sv == NULL)
		abort();
	pl_tls_conn_set_time(sv, TRACE_TIME);

	feed_ok(sv, t, (bytes_t)BYTES(rfc8448_s4_client_hello_record),
		"ClientHello record");
	CHECK_MSG(pl_tls_resumed(sv), "%s: the server did not resume",
		  t->name);
	size_t n = take_output(sv, wire, sizeof(wire));
	CHECK_MSG(n > sh_rec.len && memcmp(wire, sh_rec.p, sh_rec.len) == 0,
		  "%s: the ServerHello record differs from the trace", t->name);
	secret_is(sv, t, "c hs", t->c_hs);
	secret_is(sv, t, "s hs", t->s_hs);

	/* EncryptedExtensions and Finished, nothing between them. */
	size_t fl = n > sh_rec.len
			    ? open_flight(wire + sh_rec.len, n - sh_rec.len,
					  rfc8448_s4_server_hs_key,
					  rfc8448_s4_server_hs_iv, flight,
					  sizeof(flight))
			    : 0;
	CHECK_MSG(fl > 0, "%s: the server flight does not open under the "
		  "trace's handshake key", t->name);
	pl_reader_t r;
	pl_reader_init(&r, flight, fl);
	bytes_t ee = next_message(&r), fin = next_message(&r);
	CHECK(ee.len >= 6 && ee.p[0] == PL_HS_ENCRYPTED_EXTENSIONS);
	CHECK(fin.len == 4 + HL && fin.p[0] == PL_HS_FINISHED);
	CHECK(pl_reader_left(&r) == 0);
	if (ee.len < 6 || fin.len != 4 + HL)
		goto out;
	/* extensions<2> of type(2) data<2>: no early_data */
	pl_reader_t exts;
	pl_reader_init(&r, ee.p + 4, ee.len - 4);
	CHECK(pl_read_vec16(&r, &exts) == PL_OK);
	while (pl_reader_left(&exts)) {
		uint16_t type;
		pl_reader_t data;
		if (pl_read_u16(&exts, &type) || pl_read_vec16(&exts, &data))
			break;
		CHECK_MSG(type != PL_EXT_EARLY_DATA,
			  "%s: padlock's server accepted early data", t->name);
	}
	bytes_t msgs[5] = {t->client_hello, t->server_hello, ee, fin, {0}};
	hash_msgs(msgs, 3, th);
	CHECK(pl_hmac(SHA256, rfc8448_s4_server_finished_key, HL, th, HL,
		      mac) == PL_OK);
	CHECK_MSG(memcmp(fin.p + 4, mac, HL) == 0,
		  "%s: the server Finished is not the MAC under the trace's "
		  "finished_key", t->name);

	/* padlock's client: the trace's ClientHello (taken already), then
	 * the server's flight; its Finished opens under the trace's client
	 * handshake key. */
	pl_tls_conn_t *cl = resuming_client(ccfg);
	output_is(cl, t, (bytes_t)BYTES(rfc8448_s4_client_hello_record),
		  "ClientHello record (with padlock's binder)");
	CHECK(pl_tls_feed(cl, wire, n) == PL_OK);
	CHECK(pl_tls_handshake_done(cl) && pl_tls_resumed(cl));
	size_t cn = take_output(cl, cwire, sizeof(cwire));
	size_t cfl = open_flight(cwire, cn, rfc8448_s4_client_hs_key,
				 rfc8448_s4_client_hs_iv, cflight,
				 sizeof(cflight));
	pl_reader_init(&r, cflight, cfl);
	msgs[4] = next_message(&r);
	CHECK(msgs[4].len == 4 + HL && msgs[4].p[0] == PL_HS_FINISHED &&
	      pl_reader_left(&r) == 0);
	if (msgs[4].len != 4 + HL)
		goto free_client;
	hash_msgs(msgs, 4, th);
	CHECK(pl_hmac(SHA256, rfc8448_s4_client_finished_key, HL, th, HL,
		      mac) == PL_OK);
	CHECK_MSG(memcmp(msgs[4].p + 4, mac, HL) == 0,
		  "%s: the client Finished is not the MAC under the trace's "
		  "finished_key", t->name);
	CHECK(pl_tls_feed(sv, cwire, cn) == PL_OK);
	CHECK(pl_tls_handshake_done(sv));
	CHECK_MSG(!pl_tls_failed(sv) && !pl_tls_failed(cl), "%s%s",
		  pl_tls_reason(sv), pl_tls_reason(cl));

	/* Both sides' secrets from the trace's master secret. */
	static const struct {
		const char *which, *label;
		size_t through;
	} derived[] = {{"c ap", "c ap traffic", 4},
		       {"s ap", "s ap traffic", 4},
		       {"res", "res master", 5}};
	for (size_t i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
		hash_msgs(msgs, derived[i].through, th);
		CHECK(pl_tls_derive_secret(SHA256, rfc8448_s4_master_secret,
					   derived[i].label, th,
					   secret) == PL_OK);
		bytes_t want = {secret, HL};
		secret_is(sv, t, derived[i].which, want);
		secret_is(cl, t, derived[i].which, want);
	}
	/* And the server's ticket reaches the client: one after a
	 * resumption, in place of the ticket used. */
	CHECK(pump(sv, cl));
	CHECK_EQ_INT(pl_tls_ticket_count(cl), 1);

free_client:
	pl_tls_conn_free(cl);
out:
	pl_tls_conn_free(sv);
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
	RUN(key_schedule_reproduces_resumed_0rtt);
	RUN(client_replays_simple_1rtt);
	RUN(client_replays_hello_retry);
	RUN(client_replays_resumed_0rtt);
	trace_key = load_trace_rsa_key();
	CHECK_MSG(trace_key != NULL, "the trace's RSA key does not load");
	RUN(server_replays_simple_1rtt);
	RUN(server_replays_resumed_0rtt);
	RUN(compat_mode_still_sends_ccs);
	pl_pkey_free(trace_key);
	if (s3_session != NULL)
		pl_cleanse(s3_session, s3_session_len);
	free(s3_session);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return test_finish();
}
