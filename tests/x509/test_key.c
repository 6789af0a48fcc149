/* src/x509/key.c: loading private keys and matching them to a chain. */
#include "padlock/x509.h"
#include "test.h"
#include "x509/fixtures.h"

static char err[256];

static pl_x509_chain_t *load_chain(const char *name)
{
	pl_x509_chain_t *c = pl_x509_chain_load_pem(fx(name), err, sizeof(err));

	CHECK_MSG(c != NULL, "%s: %s", name, err);
	return c;
}

static void loads_pkcs8_and_traditional_keys_that_match(void)
{
	static const struct {
		const char *key, *chain;
		pl_pkey_kind_t kind;
	} cases[] = {
		{ "leaf.key", "fullchain.pem", PL_PKEY_EC_P256 },
		{ "leaf_trad.key", "fullchain.pem", PL_PKEY_EC_P256 },
		{ "rsa.key", "rsa_chain.pem", PL_PKEY_RSA },
		{ "rsa_trad.key", "rsa_chain.pem", PL_PKEY_RSA },
		{ "p384.key", "p384_chain.pem", PL_PKEY_EC_P384 },
		{ "ed25519.key", "ed25519_chain.pem", PL_PKEY_ED25519 },
		{ "combo.pem", "fullchain.pem", PL_PKEY_EC_P256 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pl_pkey_t *k;
		pl_x509_chain_t *c = load_chain(cases[i].chain);

		err[0] = '\0';
		k = pl_x509_key_load_pem(fx(cases[i].key), err, sizeof(err));
		CHECK_MSG(k != NULL, "%s: %s", cases[i].key, err);
		CHECK_MSG(k != NULL && pl_pkey_kind(k) == cases[i].kind, "%s",
			  cases[i].key);
		CHECK(k != NULL && pl_pkey_is_private(k));
		CHECK_MSG(pl_x509_key_matches(c, k), "%s", cases[i].key);
		pl_pkey_free(k);
		pl_x509_chain_free(c);
	}
}

static void other_keys_do_not_match(void)
{
	pl_x509_chain_t *c = load_chain("fullchain.pem");
	pl_pkey_t *other = pl_x509_key_load_pem(fx("other.key"), err,
						sizeof(err));
	pl_pkey_t *rsa = pl_x509_key_load_pem(fx("rsa.key"), err, sizeof(err));

	CHECK(other != NULL && rsa != NULL);
	CHECK(!pl_x509_key_matches(c, other));
	CHECK(!pl_x509_key_matches(c, rsa));
	CHECK(!pl_x509_key_matches(c, NULL));
	CHECK(!pl_x509_key_matches(NULL, rsa));
	/* The chain's own public key is not a private key but does match. */
	CHECK(pl_x509_key_matches(c, pl_x509_chain_leaf_key(c)));
	pl_pkey_free(other);
	pl_pkey_free(rsa);
	pl_x509_chain_free(c);
}

static void failure(const char *name, const char *what)
{
	char want[256];
	pl_pkey_t *k;

	snprintf(want, sizeof(want), "%s: %s", fx(name), what);
	err[0] = '\0';
	k = pl_x509_key_load_pem(fx(name), err, sizeof(err));
	CHECK_MSG(k == NULL, "%s loaded", name);
	CHECK_MSG(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s'",
		  err, want);
	pl_pkey_free(k);
}

static void encrypted_keys_are_refused_without_prompting(void)
{
	/* A prompt would read the terminal and hang the test. */
	failure("enc.key",
		"the private key is encrypted; give a passphrase file");
	failure("enc_trad.key",
		"the private key is encrypted; give a passphrase file");
}

/* Writes text into fixture file name. */
static void write_fixture(const char *name, const char *text)
{
	FILE *f = fopen(fx(name), "w");

	CHECK(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0);
}

static void encrypted_keys_load_with_the_passphrase_file(void)
{
	pl_x509_chain_t *c = load_chain("fullchain.pem");
	pl_pkey_t *k;

	/* The fixtures' passphrase is "x". */
	write_fixture("pass.txt", "x\n");
	write_fixture("pass_crlf.txt", "x\r\nthe second line is ignored\n");
	write_fixture("pass_bare.txt", "x");
	k = pl_x509_key_load_pem_with_passphrase(fx("enc.key"), fx("pass.txt"),
						 err, sizeof(err));
	CHECK_MSG(k != NULL, "%s", err);
	CHECK(k != NULL && pl_pkey_kind(k) == PL_PKEY_EC_P256 &&
	      pl_pkey_is_private(k));
	pl_pkey_free(k);
	k = pl_x509_key_load_pem_with_passphrase(fx("enc_trad.key"),
						 fx("pass_crlf.txt"), err,
						 sizeof(err));
	CHECK_MSG(k != NULL, "%s", err);
	CHECK(pl_x509_key_matches(c, k)); /* enc_trad.key is leaf.key */
	pl_pkey_free(k);
	k = pl_x509_key_load_pem_with_passphrase(fx("enc.key"),
						 fx("pass_bare.txt"), err,
						 sizeof(err));
	CHECK_MSG(k != NULL, "%s", err);
	pl_pkey_free(k);
	/* A key that is not encrypted needs none, and ignores one. */
	k = pl_x509_key_load_pem_with_passphrase(fx("leaf.key"), fx("pass.txt"),
						 err, sizeof(err));
	CHECK_MSG(k != NULL && pl_x509_key_matches(c, k), "%s", err);
	pl_pkey_free(k);
	pl_x509_chain_free(c);
}

/* Checks that loading key with the passphrase file fails with err
 * starting "FILE: " then what. */
static void passphrase_failure(const char *key, const char *pass,
			       const char *file, const char *what)
{
	char want[512];
	pl_pkey_t *k;

	snprintf(want, sizeof(want), "%s: %s", fx(file), what);
	err[0] = '\0';
	k = pl_x509_key_load_pem_with_passphrase(fx(key), pass ? fx(pass) : NULL,
						 err, sizeof(err));
	CHECK_MSG(k == NULL, "%s loaded", key);
	CHECK_MSG(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s'",
		  err, want);
	pl_pkey_free(k);
}

static void wrong_or_empty_passphrase_is_a_clear_error(void)
{
	char what[256];

	write_fixture("wrong.txt", "y\n");
	write_fixture("empty.txt", "");
	write_fixture("newline.txt", "\nx\n");
	snprintf(what, sizeof(what), "the passphrase in %s does not decrypt "
		 "the private key (wrong passphrase?)", fx("wrong.txt"));
	passphrase_failure("enc.key", "wrong.txt", "enc.key", what);
	snprintf(what, sizeof(what), "the passphrase in %s does not decrypt "
		 "the private key (wrong passphrase?)", fx("wrong.txt"));
	passphrase_failure("enc_trad.key", "wrong.txt", "enc_trad.key", what);
	passphrase_failure("enc.key", "empty.txt", "empty.txt",
			   "the first line is empty; write the passphrase on it");
	passphrase_failure("enc.key", "newline.txt", "newline.txt",
			   "the first line is empty");
	passphrase_failure("enc.key", "nothere.txt", "nothere.txt",
			   "No such file or directory");
	/* No passphrase file: as pl_x509_key_load_pem. */
	passphrase_failure("enc.key", NULL, "enc.key",
			   "the private key is encrypted; give a passphrase "
			   "file");
}

static void load_failures_name_the_file_and_the_cause(void)
{
	failure("missing.key", "No such file or directory");
	failure("leaf.pem", "no private key found");
	failure("garbage.txt", "no private key found");
	failure("badkey.pem", "the private key is malformed (");
	failure("cadir", "is a directory, not a file");
	CHECK(pl_x509_key_load_pem(NULL, err, sizeof(err)) == NULL);
}

static void keys_padlock_cannot_sign_with_are_refused(void)
{
	pl_pkey_t *k = pl_x509_key_load_pem(fx("p521.key"), err, sizeof(err));

	CHECK(k == NULL);
	CHECK_MSG(strstr(err, "ECDSA P-521") != NULL, "%s", err);
	pl_pkey_free(k);
}

int main(void)
{
	fx_setup();
	RUN(loads_pkcs8_and_traditional_keys_that_match);
	RUN(other_keys_do_not_match);
	RUN(encrypted_keys_are_refused_without_prompting);
	RUN(encrypted_keys_load_with_the_passphrase_file);
	RUN(wrong_or_empty_passphrase_is_a_clear_error);
	RUN(load_failures_name_the_file_and_the_cause);
	RUN(keys_padlock_cannot_sign_with_are_refused);
	fx_teardown();
	return test_finish();
}
