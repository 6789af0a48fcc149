/* src/x509/store.c: trust stores from a file, a directory, the system. */
#include "padlock/x509.h"
#include "test.h"
#include "x509/fixtures.h"

static char err[256];

static void failure(const char *file, const char *dir, const char *what)
{
	char want[256];
	pl_x509_store_t *s;

	snprintf(want, sizeof(want), "%s: %s", fx(file != NULL ? file : dir),
		 what);
	err[0] = '\0';
	s = pl_x509_store_new(file != NULL ? fx(file) : NULL,
			      dir != NULL ? fx(dir) : NULL, err, sizeof(err));
	CHECK_MSG(s == NULL, "%s loaded", file != NULL ? file : dir);
	CHECK_MSG(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s'",
		  err, want);
	pl_x509_store_free(s);
}

/* Verifies fixture chain against s for localhost; returns the alert. */
static int verify(const pl_x509_store_t *s, const char *chain)
{
	pl_x509_chain_t *c = pl_x509_chain_load_pem(fx(chain), err, sizeof(err));
	pl_x509_verdict_t v;
	int rc;

	CHECK_MSG(c != NULL, "%s", err);
	rc = pl_x509_verify(s, c, "localhost", 0, &v);
	CHECK((rc == PL_OK) == (v.alert == 0));
	pl_x509_chain_free(c);
	return v.alert;
}

static void ca_file_and_ca_directory_both_anchor_chains(void)
{
	pl_x509_store_t *file = pl_x509_store_new(fx("root.pem"), NULL, err,
						  sizeof(err));
	pl_x509_store_t *dir = pl_x509_store_new(NULL, fx("cadir"), err,
						 sizeof(err));
	pl_x509_store_t *other = pl_x509_store_new(fx("self.pem"), NULL, err,
						   sizeof(err));

	CHECK(file != NULL && dir != NULL && other != NULL);
	CHECK_EQ_INT(verify(file, "fullchain.pem"), 0);
	CHECK_EQ_INT(verify(dir, "fullchain.pem"), 0);
	CHECK_EQ_INT(verify(other, "fullchain.pem"), 48);
	pl_x509_store_free(file);
	pl_x509_store_free(dir);
	pl_x509_store_free(other);
}

static void store_failures_name_the_file_and_the_cause(void)
{
	failure("missing.pem", NULL, "No such file or directory");
	failure("garbage.txt", NULL, "no CA certificate found");
	failure("leaf.key", NULL, "no CA certificate found");
	failure("badblock.pem", NULL, "a CA certificate is malformed (");
	failure("cadir", NULL, "is a directory, not a file");
	failure(NULL, "missing", "No such file or directory");
	failure(NULL, "root.pem", "not a directory");
}

static void system_store_loads_and_holds_the_system_roots(void)
{
	const char *bundle = "/etc/ssl/certs/ca-certificates.crt";
	pl_x509_store_t *s = pl_x509_store_new(NULL, NULL, err, sizeof(err));
	pl_x509_chain_t *roots;
	pl_x509_verdict_t v;
	int rc;

	CHECK_MSG(s != NULL, "%s", err);
	if (s == NULL)
		return;
	/* Our private test root is not a system CA. */
	CHECK_EQ_INT(verify(s, "fullchain.pem"), 48);

	/* A system root, presented as a chain, is found in the store: it
	 * is trusted (the verdict is success, or at worst that a CA
	 * certificate is not a TLS server certificate), never unknown. */
	roots = pl_x509_chain_load_pem(bundle, err, sizeof(err));
	CHECK_MSG(roots != NULL, "%s", err);
	if (roots != NULL) {
		rc = pl_x509_verify(s, roots, NULL, 0, &v);
		CHECK_MSG(rc == PL_OK || v.alert != 48, "%s", v.reason);
		CHECK(rc != PL_OK || v.trusted_root[0] != '\0');
	}
	pl_x509_chain_free(roots);
	pl_x509_store_free(s);
}

int main(void)
{
	fx_setup();
	RUN(ca_file_and_ca_directory_both_anchor_chains);
	RUN(store_failures_name_the_file_and_the_cause);
	RUN(system_store_loads_and_holds_the_system_roots);
	fx_teardown();
	return test_finish();
}
