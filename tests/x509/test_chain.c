/* src/x509/chain.c: loading chains from PEM and DER, accessors, info. */
#include <time.h>

#include "padlock/x509.h"
#include "test.h"
#include "x509/fixtures.h"

static char err[256];

static pl_x509_chain_t *load(const char *name)
{
	pl_x509_chain_t *c;

	err[0] = '\0';
	c = pl_x509_chain_load_pem(fx(name), err, sizeof(err));
	CHECK_MSG(c != NULL, "%s: %s", name, err);
	return c;
}

/* The error text expected for fixture name: "PATH: what". */
static const char *expect(const char *name, const char *what)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s: %s", fx(name), what);
	return buf;
}

static void load_failure(const char *name, const char *what)
{
	const char *want = expect(name, what);
	pl_x509_chain_t *c;

	err[0] = '\0';
	c = pl_x509_chain_load_pem(fx(name), err, sizeof(err));
	CHECK_MSG(c == NULL, "%s loaded", name);
	CHECK_MSG(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s'",
		  err, want);
	pl_x509_chain_free(c);
}

static void load_keeps_every_certificate_in_file_order(void)
{
	pl_x509_chain_t *c = load("fullchain.pem");
	pl_x509_info_t info;

	if (c == NULL)
		return;
	CHECK_EQ_INT(pl_x509_chain_count(c), 2);
	CHECK(pl_x509_chain_info(c, 0, &info) == PL_OK);
	CHECK_MSG(strcmp(info.subject, "CN=localhost") == 0, "%s", info.subject);
	CHECK(pl_x509_chain_info(c, 1, &info) == PL_OK);
	CHECK_MSG(strcmp(info.subject,
			 "CN=Padlock Test Intermediate, O=Padlock Tests") == 0,
		  "%s", info.subject);
	pl_x509_chain_free(c);

	c = load("rootchain.pem");
	CHECK(c != NULL && pl_x509_chain_count(c) == 3);
	pl_x509_chain_free(c);
}

static void load_skips_blocks_that_are_not_certificates(void)
{
	pl_x509_chain_t *c = load("combo.pem"); /* certificate, then its key */

	CHECK(c != NULL && pl_x509_chain_count(c) == 1);
	pl_x509_chain_free(c);
}

static void load_failures_name_the_file_and_the_cause(void)
{
	load_failure("missing.pem", "No such file or directory");
	load_failure("garbage.txt", "no certificate found");
	load_failure("leaf.key", "no certificate found");
	load_failure("badblock.pem", "certificate 1 is malformed (");
	load_failure("cadir", "is a directory, not a file");
	CHECK(pl_x509_chain_load_pem(NULL, err, sizeof(err)) == NULL);
	/* No err buffer is allowed too. */
	CHECK(pl_x509_chain_load_pem(fx("garbage.txt"), NULL, 0) == NULL);
}

static void der_round_trips_and_matches_openssl(void)
{
	pl_x509_chain_t *c = load("fullchain.pem"), *back = NULL;
	const uint8_t *der[2];
	size_t len[2], file_len;
	unsigned char *file = fx_read("leaf.der", &file_len);

	if (c == NULL)
		goto out;
	der[0] = pl_x509_chain_der(c, 0, &len[0]);
	der[1] = pl_x509_chain_der(c, 1, &len[1]);
	CHECK(pl_x509_chain_der(c, 2, NULL) == NULL);
	CHECK(len[1] > 0 && der[0] != NULL && der[1] != NULL);
	CHECK_EQ_INT(len[0], file_len);
	CHECK(len[0] == file_len && memcmp(der[0], file, file_len) == 0);
	CHECK(pl_x509_chain_from_der(der, len, 2, &back, err, sizeof(err)) ==
	      PL_OK);
	CHECK(back != NULL && pl_x509_chain_count(back) == 2);
	for (size_t i = 0; back != NULL && i < 2; i++) {
		size_t n;
		const uint8_t *p = pl_x509_chain_der(back, i, &n);

		CHECK(n == len[i] && memcmp(p, der[i], n) == 0);
	}
	CHECK(back != NULL && pl_x509_chain_leaf_key(back) != NULL);
out:
	pl_x509_chain_free(back);
	pl_x509_chain_free(c);
	free(file);
}

static void from_der_rejects_trailing_bytes_and_junk(void)
{
	size_t len;
	unsigned char *der = fx_read("leaf.der", &len);
	unsigned char *longer = malloc(len + 1);
	const uint8_t *list[1];
	size_t lens[1];
	pl_x509_chain_t *c = NULL;

	memcpy(longer, der, len);
	longer[len] = 0;
	list[0] = longer;
	lens[0] = len + 1;
	CHECK(pl_x509_chain_from_der(list, lens, 1, &c, err, sizeof(err)) ==
	      PL_ERR_DECODE);
	CHECK(c == NULL);
	CHECK_MSG(strcmp(err, "certificate 1 of 1 has 1 byte after its end") ==
			  0, "%s", err);

	lens[0] = len - 1; /* truncated */
	CHECK(pl_x509_chain_from_der(list, lens, 1, &c, err, sizeof(err)) ==
	      PL_ERR_DECODE);
	CHECK_MSG(strncmp(err, "certificate 1 of 1 does not parse (", 35) == 0,
		  "%s", err);

	list[0] = (const uint8_t *)"\x30\x03\x02\x01\x01";
	lens[0] = 5;
	CHECK(pl_x509_chain_from_der(list, lens, 1, &c, err, sizeof(err)) ==
	      PL_ERR_DECODE);
	CHECK(pl_x509_chain_from_der(list, lens, 0, &c, err, sizeof(err)) ==
	      PL_ERR_DECODE);
	CHECK(c == NULL);
	free(longer);
	free(der);
}

static void leaf_key_is_the_leaf_public_key(void)
{
	static const struct {
		const char *file;
		pl_pkey_kind_t kind;
	} cases[] = {
		{ "fullchain.pem", PL_PKEY_EC_P256 },
		{ "rsa_chain.pem", PL_PKEY_RSA },
		{ "p384_chain.pem", PL_PKEY_EC_P384 },
		{ "ed25519_chain.pem", PL_PKEY_ED25519 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pl_x509_chain_t *c = load(cases[i].file);
		const pl_pkey_t *k = pl_x509_chain_leaf_key(c);

		CHECK_MSG(k != NULL && pl_pkey_kind(k) == cases[i].kind, "%s",
			  cases[i].file);
		CHECK(k != NULL && !pl_pkey_is_private(k));
		pl_x509_chain_free(c);
	}
}

static void info_describes_each_certificate(void)
{
	pl_x509_chain_t *c = load("rootchain.pem"); /* leaf, root, int */
	pl_x509_info_t info;

	if (c == NULL)
		return;
	CHECK(pl_x509_chain_info(c, 0, &info) == PL_OK);
	CHECK_MSG(strcmp(info.issuer,
			 "CN=Padlock Test Intermediate, O=Padlock Tests") == 0,
		  "%s", info.issuer);
	CHECK_MSG(strcmp(info.names, "localhost, 127.0.0.1, ::1") == 0, "%s",
		  info.names);
	CHECK_MSG(strcmp(info.key, "ECDSA P-256") == 0, "%s", info.key);
	CHECK_MSG(strcmp(info.sig_alg, "ecdsa-with-SHA256") == 0, "%s",
		  info.sig_alg);
	CHECK_EQ_INT(info.not_after - info.not_before, 825 * 86400);
	CHECK(info.not_before <= time(NULL) && info.not_before > time(NULL) - 3600);
	CHECK(!info.is_ca && !info.self_signed);

	CHECK(pl_x509_chain_info(c, 1, &info) == PL_OK);
	CHECK(strcmp(info.subject, info.issuer) == 0);
	CHECK(info.is_ca && info.self_signed);
	CHECK(info.names[0] == '\0');

	CHECK(pl_x509_chain_info(c, 2, &info) == PL_OK);
	CHECK(info.is_ca && !info.self_signed);
	CHECK(pl_x509_chain_info(c, 3, &info) == PL_ERR_ARG);
	pl_x509_chain_free(c);

	c = load("expired_chain.pem");
	CHECK(c != NULL && pl_x509_chain_info(c, 0, &info) == PL_OK);
	CHECK_EQ_INT(info.not_before, 1577836800); /* 2020-01-01 */
	CHECK_EQ_INT(info.not_after, 1580515200);  /* 2020-02-01 */
	pl_x509_chain_free(c);

	static const struct {
		const char *file, *key;
	} keys[] = {
		{ "rsa_chain.pem", "RSA 2048" },
		{ "p384_chain.pem", "ECDSA P-384" },
		{ "ed25519_chain.pem", "Ed25519" },
		{ "weak_chain.pem", "RSA 1024" },
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		c = load(keys[i].file);
		CHECK(c != NULL && pl_x509_chain_info(c, 0, &info) == PL_OK);
		CHECK_MSG(strcmp(info.key, keys[i].key) == 0, "%s: %s",
			  keys[i].file, info.key);
		pl_x509_chain_free(c);
	}

	c = load("self.pem");
	CHECK(c != NULL && pl_x509_chain_info(c, 0, &info) == PL_OK);
	CHECK(info.self_signed && !info.is_ca);
	pl_x509_chain_free(c);
}

int main(void)
{
	fx_setup();
	RUN(load_keeps_every_certificate_in_file_order);
	RUN(load_skips_blocks_that_are_not_certificates);
	RUN(load_failures_name_the_file_and_the_cause);
	RUN(der_round_trips_and_matches_openssl);
	RUN(from_der_rejects_trailing_bytes_and_junk);
	RUN(leaf_key_is_the_leaf_public_key);
	RUN(info_describes_each_certificate);
	fx_teardown();
	return test_finish();
}
