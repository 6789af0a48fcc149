/* Tests the TLS-ALPN-01 hook of the engine (RFC 8737, tls13_server.c):
 * a ClientHello offering only acme-tls/1 gets the challenge certificate
 * the config's callback makes for its SNI, with ALPN acme-tls/1 and the
 * acmeIdentifier extension; any other offer gets the site's certificate;
 * a name without a challenge gets no_application_protocol. In memory,
 * client and server engines joined. */
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "engine_pair.h"
#include "test.h"

static const char keyauth[] = "tok-123.thumbprint-of-the-account";
static int calls;

static int challenge(void *arg, const char *server_name,
		     pl_x509_chain_t **chain, pl_pkey_t **key)
{
	calls++;
	if (server_name == NULL || strcmp(server_name, "a.test") != 0)
		return PL_ERR_ARG;
	return pl_x509_acme_challenge_cert(server_name, keyauth, time(NULL),
					   chain, key);
}

static pl_tls_config_t *server(void)
{
	static const char *const names[] = { "p256", NULL };
	pl_tls_config_t *cfg = ep_server_config(names);

	pl_tls_config_set_alpn(cfg, "h2,http/1.1");
	pl_tls_config_set_challenge(cfg, challenge, NULL);
	return cfg;
}

/* A client that offers alpn and checks nothing (the challenge
 * certificate is self-signed: the CA checks it itself). */
static pl_tls_config_t *client(const char *alpn)
{
	pl_tls_config_t *cfg = pl_tls_config_new(false);

	pl_tls_config_set_verify(cfg, false);
	pl_tls_config_set_alpn(cfg, alpn);
	return cfg;
}

/* The acmeIdentifier of the leaf the client received: the SHA-256 of the
 * key authorization as a critical extension (RFC 8737 3). */
static bool leaf_has_acme_identifier(const pl_tls_conn_t *c)
{
	const pl_x509_chain_t *chain = pl_tls_peer_chain(c);
	size_t len = 0;
	const uint8_t *der = chain ? pl_x509_chain_der(chain, 0, &len) : NULL;
	const unsigned char *p = der;
	X509 *x = der ? d2i_X509(NULL, &p, (long)len) : NULL;
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
	int at = x ? X509_get_ext_by_OBJ(x, oid, -1) : -1;
	X509_EXTENSION *ext = at >= 0 ? X509_get_ext(x, at) : NULL;
	const ASN1_OCTET_STRING *v = ext ? X509_EXTENSION_get_data(ext) : NULL;
	uint8_t want[34] = { 0x04, 0x20 };
	bool ok;

	pl_hash_once(PL_HASH_SHA256, (const uint8_t *)keyauth, strlen(keyauth),
		     want + 2);
	ok = ext != NULL && X509_EXTENSION_get_critical(ext) &&
	     ASN1_STRING_length(v) == 34 &&
	     memcmp(ASN1_STRING_get0_data(v), want, 34) == 0 &&
	     pl_x509_chain_covers(chain, "a.test");
	ASN1_OBJECT_free(oid);
	X509_free(x);
	return ok;
}

static void only_acme_tls_gets_the_challenge_certificate(void)
{
	pl_tls_config_t *s = server(), *c = client("acme-tls/1");
	ep_pair_t p;

	ep_pair_new(&p, c, s, "a.test");
	CHECK(ep_handshake(&p));
	CHECK(strcmp(pl_tls_alpn(p.server), "acme-tls/1") == 0);
	CHECK(strcmp(pl_tls_alpn(p.client), "acme-tls/1") == 0);
	CHECK(leaf_has_acme_identifier(p.client));
	ep_pair_free(&p);
	pl_tls_config_free(c);
	pl_tls_config_free(s);
}

static void other_offers_get_the_sites_certificate(void)
{
	pl_tls_config_t *s = server(), *c = client("acme-tls/1,http/1.1");
	ep_pair_t p;

	calls = 0;
	ep_pair_new(&p, c, s, "a.test");
	CHECK(ep_handshake(&p));
	CHECK(strcmp(pl_tls_alpn(p.server), "http/1.1") == 0);
	CHECK(!leaf_has_acme_identifier(p.client));
	CHECK_EQ_INT(calls, 0);
	ep_pair_free(&p);
	pl_tls_config_free(c);
	pl_tls_config_free(s);
}

static void a_name_without_a_challenge_is_no_application_protocol(void)
{
	pl_tls_config_t *s = server(), *c = client("acme-tls/1");
	ep_pair_t p;

	ep_pair_new(&p, c, s, "b.test");
	ep_pump(&p);
	CHECK(!pl_tls_handshake_done(p.server));
	CHECK_EQ_INT(pl_tls_alert(p.server), PL_ALERT_NO_APPLICATION_PROTOCOL);
	ep_pair_free(&p);
	pl_tls_config_free(c);
	pl_tls_config_free(s);
}

int main(void)
{
	ep_setup();
	RUN(only_acme_tls_gets_the_challenge_certificate);
	RUN(other_offers_get_the_sites_certificate);
	RUN(a_name_without_a_challenge_is_no_application_protocol);
	ep_teardown();
	return test_finish();
}
