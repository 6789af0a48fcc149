/* src/x509/verify.c: verification verdicts, their alerts and sentences. */
#include <time.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "padlock/x509.h"
#include "test.h"
#include "x509/fixtures.h"

#define ROOT "CN=Padlock Test Root, O=Padlock Tests"
#define INTERMEDIATE "CN=Padlock Test Intermediate, O=Padlock Tests"

static pl_x509_store_t *store;
static pl_x509_verdict_t v;

/* Verifies fixture chain for host at now; returns pl_x509_verify's code
 * and leaves the verdict in v. */
static int verify_at(const char *chain, const char *host, time_t now)
{
	char err[256] = "";
	pl_x509_chain_t *c = pl_x509_chain_load_pem(fx(chain), err, sizeof(err));
	int rc;

	memset(&v, 0, sizeof(v));
	CHECK_MSG(c != NULL, "%s", err);
	if (c == NULL)
		return PL_ERR_ARG;
	rc = pl_x509_verify(store, c, host, now, &v);
	pl_x509_chain_free(c);
	return rc;
}

static int verify(const char *chain, const char *host)
{
	return verify_at(chain, host, 0);
}

/* Checks a failure: the code, the alert and the whole sentence. */
#define CHECK_VERDICT(rc, want_alert, want_reason)                           \
	do {                                                                 \
		CHECK_EQ_INT(rc, PL_ERR_CERT);                               \
		CHECK_EQ_INT(v.alert, want_alert);                           \
		CHECK_MSG(strcmp(v.reason, want_reason) == 0,                \
			  "got '%s', want '%s'", v.reason, want_reason);     \
	} while (0)

static void valid_chains_verify_and_name_their_root(void)
{
	static const char *chains[] = { "fullchain.pem", "rsa_chain.pem",
					"p384_chain.pem", "ed25519_chain.pem",
					"rootchain.pem" };
	static const char *hosts[] = { "localhost", "127.0.0.1", "::1",
				       "[::1]", NULL };

	for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++) {
		int rc = verify(chains[i], "localhost");

		CHECK_MSG(rc == PL_OK, "%s: %s", chains[i], v.reason);
		CHECK_MSG(strcmp(v.trusted_root, ROOT) == 0, "%s",
			  v.trusted_root);
		CHECK(v.alert == 0 && v.reason[0] == '\0');
	}
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		CHECK_MSG(verify("fullchain.pem", hosts[i]) == PL_OK, "%s: %s",
			  hosts[i] ? hosts[i] : "(no host)", v.reason);
	CHECK(verify("wild_chain.pem", "a.example.test") == PL_OK);
}

static void missing_intermediate_is_unknown_ca(void)
{
	CHECK_VERDICT(verify("leaf.pem", "localhost"), 48,
		      "server certificate for 'localhost' is issued by '"
		      INTERMEDIATE "', which is not a trusted CA and not in "
		      "the chain the server sent (missing intermediate?)");
}

static void expired_certificates_name_the_date(void)
{
	pl_x509_chain_t *c;
	pl_x509_info_t info;
	char want[320], date[16];
	time_t after;
	struct tm tm;

	CHECK_VERDICT(verify("expired_chain.pem", "localhost"), 45,
		      "server certificate for 'localhost' expired on "
		      "2020-02-01");
	CHECK_VERDICT(verify("oldint_chain.pem", "localhost"), 45,
		      "intermediate certificate 'CN=Padlock Old Intermediate, "
		      "O=Padlock Tests' expired on 2020-02-01");

	/* A valid certificate verified at a time after its end. */
	c = pl_x509_chain_load_pem(fx("fullchain.pem"), NULL, 0);
	CHECK(c != NULL && pl_x509_chain_info(c, 0, &info) == PL_OK);
	pl_x509_chain_free(c);
	after = info.not_after + 86400;
	gmtime_r(&info.not_after, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	snprintf(want, sizeof(want),
		 "server certificate for 'localhost' expired on %s", date);
	CHECK_VERDICT(verify_at("fullchain.pem", "localhost", after), 45, want);
	/* ... and a second before it ends, it is fine. */
	CHECK(verify_at("fullchain.pem", "localhost", info.not_after - 1) ==
	      PL_OK);
}

static void not_yet_valid_certificates_name_the_date(void)
{
	CHECK_VERDICT(verify("notyet_chain.pem", "localhost"), 42,
		      "server certificate for 'localhost' is not valid until "
		      "2099-01-01");
	/* Before every certificate of the chain began. */
	CHECK_EQ_INT(verify_at("fullchain.pem", "localhost", 1000000000),
		     PL_ERR_CERT);
	CHECK_EQ_INT(v.alert, 42);
	CHECK_MSG(strstr(v.reason, "is not valid until") != NULL, "%s",
		  v.reason);
}

static void wrong_host_lists_the_names_the_certificate_has(void)
{
	CHECK_VERDICT(verify("fullchain.pem", "example.com"), 42,
		      "certificate is for 'localhost, 127.0.0.1, ::1', not for "
		      "'example.com'");
	CHECK_VERDICT(verify("multi_chain.pem", "c.example"), 42,
		      "certificate is for 'a.example, b.example', not for "
		      "'c.example'");
	CHECK_VERDICT(verify("fullchain.pem", "10.0.0.1"), 42,
		      "certificate is for 'localhost, 127.0.0.1, ::1', not for "
		      "'10.0.0.1'");
	CHECK_VERDICT(verify("wild_chain.pem", "a.b.example.test"), 42,
		      "certificate is for '*.example.test', not for "
		      "'a.b.example.test'");
	CHECK_VERDICT(verify("cnonly_chain.pem", "cnonly.example.test"), 42,
		      "certificate names no host in its subject alternative "
		      "names (its subject CN is not used), so it is not for "
		      "'cnonly.example.test'");
}

static void untrusted_self_signed_is_unknown_ca(void)
{
	pl_x509_store_t *mine;
	char err[256];

	CHECK_VERDICT(verify("self.pem", "selfsigned.test"), 48,
		      "self-signed certificate 'CN=selfsigned.test' is not "
		      "trusted");
	/* The same certificate, trusted on purpose, verifies. */
	mine = pl_x509_store_new(fx("self.pem"), NULL, err, sizeof(err));
	CHECK_MSG(mine != NULL, "%s", err);
	{
		pl_x509_store_t *saved = store;

		store = mine;
		CHECK_MSG(verify("self.pem", "selfsigned.test") == PL_OK, "%s",
			  v.reason);
		/* A chain that ends in a root the store does not have. */
		CHECK_VERDICT(verify("rootchain.pem", "localhost"), 48,
			      "the chain ends at self-signed root '" ROOT
			      "', which is not a trusted CA");
		store = saved;
	}
	pl_x509_store_free(mine);
}

/* Issue 15: a certificate of the store ends a path, an intermediate too
 * (RFC 5280 6.1: a trust anchor is any name and key the user trusts), as
 * in browsers. */
static void trusted_intermediate_is_an_anchor(void)
{
	pl_x509_store_t *saved = store;
	pl_x509_chain_t *c;
	char err[256];

	store = pl_x509_store_new(fx("int.pem"), NULL, err, sizeof(err));
	CHECK_MSG(store != NULL, "%s", err);
	c = pl_x509_chain_load_pem(fx("fullchain.pem"), err, sizeof(err));
	CHECK_MSG(c != NULL, "%s", err);
	CHECK_EQ_INT(pl_x509_verify(store, c, "localhost", 0, &v), PL_OK);
	CHECK_MSG(strcmp(v.trusted_root, INTERMEDIATE) == 0, "anchor %s",
		  v.trusted_root);
	pl_x509_chain_free(c);
	pl_x509_store_free(store);
	store = saved;
}

static void client_only_certificate_is_unsupported(void)
{
	CHECK_VERDICT(verify("client_chain.pem", "localhost"), 43,
		      "server certificate for 'localhost' is not for TLS "
		      "servers (no serverAuth extended key usage)");
}

static void weak_key_is_refused(void)
{
	CHECK_VERDICT(verify("weak_chain.pem", "localhost"), 42,
		      "server certificate for 'localhost' has a key too weak to "
		      "be trusted (RSA 1024; at least RSA 2048 or ECDSA P-256 "
		      "is needed)");
}

static void sha1_signature_is_refused(void)
{
	CHECK_VERDICT(verify("sha1_chain.pem", "localhost"), 42,
		      "server certificate for 'localhost' is signed with "
		      "ecdsa-with-SHA1, an algorithm too weak to be trusted");
}

static void leaf_signing_a_leaf_is_not_a_ca(void)
{
	CHECK_VERDICT(verify("notca_chain.pem", "notca.example.test"), 42,
		      "intermediate certificate 'CN=localhost' issues "
		      "certificates but is not a CA (no basicConstraints "
		      "CA:TRUE with keyCertSign)");
}

static void bad_arguments_are_refused(void)
{
	pl_x509_chain_t *c = pl_x509_chain_load_pem(fx("fullchain.pem"), NULL, 0);

	CHECK_EQ_INT(pl_x509_verify(store, c, "*.example.test", 0, &v),
		     PL_ERR_ARG);
	CHECK(v.alert == 80 && strstr(v.reason, "'*.example.test'") != NULL);
	CHECK_EQ_INT(pl_x509_verify(store, c, "", 0, &v), PL_ERR_ARG);
	CHECK_EQ_INT(pl_x509_verify(store, c, ".localhost", 0, &v), PL_ERR_ARG);
	CHECK_EQ_INT(pl_x509_verify(store, c, "a\x1b[2Jb", 0, &v), PL_ERR_ARG);
	CHECK_MSG(strstr(v.reason, "a\\x1b[2Jb") != NULL, "%s", v.reason);
	CHECK_EQ_INT(pl_x509_verify(NULL, c, "localhost", 0, &v), PL_ERR_ARG);
	CHECK_EQ_INT(pl_x509_verify(store, NULL, "localhost", 0, &v),
		     PL_ERR_ARG);
	pl_x509_chain_free(c);
}

/* A self-signed server certificate (trusted as it is) whose notAfter is
 * the GeneralizedTime not_after, written with libcrypto into path. */
static bool write_cert_until(const char *not_after, const char *path)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	ASN1_TIME *t = ASN1_GENERALIZEDTIME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	FILE *f = NULL;
	bool ok = false;

	if (key == NULL || x == NULL || t == NULL ||
	    ASN1_GENERALIZEDTIME_set_string(t, not_after) != 1 ||
	    X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 7) != 1 ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
				       MBSTRING_ASC,
				       (const unsigned char *)"frac.test", -1,
				       -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -86400) == NULL ||
	    X509_set1_notAfter(x, t) != 1 || X509_set_pubkey(x, key) != 1)
		goto out;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
				  "DNS:frac.test");
	if (ext == NULL || X509_add_ext(x, ext, -1) != 1) {
		X509_EXTENSION_free(ext);
		goto out;
	}
	X509_EXTENSION_free(ext);
	f = fopen(path, "w");
	ok = X509_sign(x, key, EVP_sha256()) > 0 && f != NULL &&
	     PEM_write_X509(f, x) == 1;
out:
	if (f != NULL)
		fclose(f);
	ASN1_TIME_free(t);
	X509_free(x);
	EVP_PKEY_free(key);
	return ok;
}

/* Issue 15, RFC 5280 4.1.2.5: valid through notAfter inclusive (a time
 * with a fraction of a second within that second is cut to it by the
 * callers, --at); a notAfter written with a fraction of a second breaks
 * 4.1.2.5.2 and is refused, as Chromium does, at any time. */
static void not_after_is_inclusive_and_fractions_in_it_are_refused(void)
{
	char path[] = "/tmp/padlock-frac-XXXXXX";
	pl_x509_store_t *own;
	pl_x509_chain_t *c;
	struct tm tm = { .tm_year = 2030 - 1900, .tm_mon = 11, .tm_mday = 31,
			 .tm_hour = 23, .tm_min = 59, .tm_sec = 59 };
	time_t last = timegm(&tm);
	char err[256];
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	for (int fraction = 0; fraction < 2; fraction++) {
		CHECK(write_cert_until(fraction ? "20301231235959.5Z" :
						  "20301231235959Z", path));
		own = pl_x509_store_new(path, NULL, err, sizeof(err));
		c = pl_x509_chain_load_pem(path, err, sizeof(err));
		CHECK_MSG(own != NULL && c != NULL, "%s", err);
		if (own != NULL && c != NULL) {
			CHECK_EQ_INT(pl_x509_verify(own, c, "frac.test", last,
						    &v),
				     fraction ? PL_ERR_CERT : PL_OK);
			if (fraction)
				CHECK_MSG(strcmp(v.code, "cert.rfc5280") == 0 &&
						  strstr(v.reason, "notAfter"),
					  "%s: %s", v.code, v.reason);
			CHECK_EQ_INT(pl_x509_verify(own, c, "frac.test",
						    last + 1, &v),
				     PL_ERR_CERT);
			if (!fraction)
				CHECK_MSG(strcmp(v.code, "cert.expired") == 0,
					  "%s: %s", v.code, v.reason);
		}
		pl_x509_chain_free(c);
		pl_x509_store_free(own);
	}
	unlink(path);
}

int main(void)
{
	char err[256] = "";

	fx_setup();
	store = pl_x509_store_new(fx("root.pem"), NULL, err, sizeof(err));
	if (store == NULL) {
		fprintf(stderr, "trust store: %s\n", err);
		return 1;
	}
	RUN(valid_chains_verify_and_name_their_root);
	RUN(missing_intermediate_is_unknown_ca);
	RUN(expired_certificates_name_the_date);
	RUN(not_yet_valid_certificates_name_the_date);
	RUN(wrong_host_lists_the_names_the_certificate_has);
	RUN(untrusted_self_signed_is_unknown_ca);
	RUN(trusted_intermediate_is_an_anchor);
	RUN(client_only_certificate_is_unsupported);
	RUN(weak_key_is_refused);
	RUN(sha1_signature_is_refused);
	RUN(leaf_signing_a_leaf_is_not_a_ca);
	RUN(bad_arguments_are_refused);
	RUN(not_after_is_inclusive_and_fractions_in_it_are_refused);
	pl_x509_store_free(store);
	fx_teardown();
	return test_finish();
}
