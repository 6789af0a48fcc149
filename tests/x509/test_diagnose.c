/*
 * src/x509/diagnose.c and diag_*.c: every finding code is produced by a
 * chain that has the problem and not by one that does not, with the
 * sentence and the fix a site owner reads.
 */
#include <stdarg.h>
#include <sys/stat.h>

#include "padlock/x509.h"
#include "test.h"
#include "x509/diag_fixtures.h"

#define INTERMEDIATE "CN=Padlock Diag Intermediate, O=Padlock Tests"

/* Every code of docs/certificate-diagnostics.md. */
static const char *const all_codes[] = {
	"cert.expired", "cert.not-yet-valid", "cert.expires-soon",
	"name.list", "name.mismatch", "name.none",
	"chain.order", "chain.duplicate", "chain.unrelated",
	"chain.missing-intermediate", "chain.root-included",
	"cert.self-signed", "chain.untrusted-root",
	"key.weak", "sig.weak", "cert.no-server-auth", "cert.ca-as-leaf",
	"key.mismatch", "key.permissions", "chain.invalid", "cert.rfc5280",
};
#define CODE_COUNT (sizeof(all_codes) / sizeof(all_codes[0]))

static bool produced[CODE_COUNT];
static bool absent_tested[CODE_COUNT];

static pl_x509_store_t *store_root;

static size_t code_slot(const char *code)
{
	for (size_t i = 0; i < CODE_COUNT; i++)
		if (strcmp(all_codes[i], code) == 0)
			return i;
	fprintf(stderr, "unknown code %s\n", code);
	abort();
}

/* One diagnosis: what differs from the clean default. */
struct run {
	const char *chain;      /* fixture name */
	const char *host;
	const char *key;        /* fixture name of the key file */
	bool key_path;          /* also pass the key's path */
	const char *dir;        /* fixture name of the intermediates dir */
	pl_x509_store_t *store; /* default: trusts root.pem */
	time_t now;             /* default: DFX_NOW */
	const char *chain_path; /* how fixes name the file */
};

static pl_x509_findings_t *diagnose(struct run r)
{
	pl_x509_findings_t *f = pl_x509_findings_new();
	pl_x509_chain_t *c;
	pl_pkey_t *key = NULL;
	char err[512] = "";
	int rc;

	c = pl_x509_chain_load_pem(dfx(r.chain), err, sizeof(err));
	CHECK_MSG(c != NULL && f != NULL, "%s: %s", r.chain, err);
	if (r.key != NULL) {
		key = pl_x509_key_load_pem(dfx(r.key), err, sizeof(err));
		CHECK_MSG(key != NULL, "%s: %s", r.key, err);
	}
	if (c == NULL || f == NULL) {
		pl_x509_chain_free(c);
		pl_pkey_free(key);
		return f;
	}
	rc = pl_x509_diagnose(c, &(pl_x509_diagnose_opts_t){
		.store = r.store != NULL ? r.store : store_root,
		.now = r.now != 0 ? r.now : DFX_NOW,
		.host = r.host,
		.key = key,
		.key_path = r.key_path ? dfx(r.key) : NULL,
		.chain_path = r.chain_path,
		.intermediates_dir = r.dir != NULL ? dfx(r.dir) : NULL,
	}, f, err, sizeof(err));
	CHECK_MSG(rc == PL_OK, "%s: %s", r.chain, err);
	pl_x509_chain_free(c);
	pl_pkey_free(key);
	return f;
}

static void dump(const pl_x509_findings_t *f)
{
	pl_x509_findings_print(stderr, f, false);
}

/* Checks that f has code with severity, about certificate cert, and that
 * its message and fix contain the given texts (NULL: not checked). */
static void expect(const pl_x509_findings_t *f, const char *code,
		   pl_x509_severity_t severity, int cert, const char *message,
		   const char *fix)
{
	const pl_x509_finding_t *x = pl_x509_findings_find(f, code);

	produced[code_slot(code)] = true;
	CHECK_MSG(x != NULL, "no %s", code);
	if (x == NULL) {
		dump(f);
		return;
	}
	CHECK_MSG(x->severity == severity, "%s: severity %s", code,
		  pl_x509_severity_name(x->severity));
	CHECK_MSG(x->cert == cert, "%s: certificate %d, want %d", code,
		  x->cert, cert);
	CHECK_MSG(message == NULL || strstr(x->message, message) != NULL,
		  "%s: message '%s' lacks '%s'", code, x->message, message);
	CHECK_MSG(fix == NULL || strstr(x->fix, fix) != NULL,
		  "%s: fix '%s' lacks '%s'", code, x->fix, fix);
}

static void expect_none(const pl_x509_findings_t *f, const char *code)
{
	const pl_x509_finding_t *x = pl_x509_findings_find(f, code);

	absent_tested[code_slot(code)] = true;
	CHECK_MSG(x == NULL, "unexpected %s: %s", code,
		  x != NULL ? x->message : "");
}

/* ---- a clean chain ---------------------------------------------------------- */

static void clean_chain_has_no_problem(void)
{
	static const char *const chains[] = { "ok_chain.pem",
					      "rsa2048_chain.pem" };

	for (size_t i = 0; i < 2; i++) {
		pl_x509_findings_t *f = diagnose((struct run){
			.chain = chains[i], .host = "www.example.test",
			.key = i == 0 ? "ok.key" : "rsa2048.key",
			.key_path = true, .dir = "ints" });

		/* Only the name list, which is information. */
		CHECK_MSG(pl_x509_findings_count(f) == 1, "%s", chains[i]);
		for (size_t j = 0; j < CODE_COUNT; j++)
			if (strcmp(all_codes[j], "name.list") != 0)
				expect_none(f, all_codes[j]);
		CHECK(!pl_x509_findings_has_errors(f));
		if (pl_x509_findings_count(f) != 1)
			dump(f);
		pl_x509_findings_free(f);
	}
}

/* ---- dates --------------------------------------------------------------- */

static void expired_leaf_and_intermediate_name_the_date(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "expired_chain.pem" });

	expect(f, "cert.expired", PL_X509_SEVERITY_ERROR, 0,
	       "the server certificate 'www.example.test' expired on "
	       "2030-01-01 (151 days ago)", "renew the certificate");
	expect_none(f, "chain.invalid"); /* explained already */
	pl_x509_findings_free(f);

	f = diagnose((struct run){ .chain = "oldint_chain.pem" });
	expect(f, "cert.expired", PL_X509_SEVERITY_ERROR, 1,
	       "intermediate 'CN=Padlock Old Intermediate, O=Padlock Tests' "
	       "expired on 2025-01-01", "current intermediate");
	pl_x509_findings_free(f);
}

static void not_yet_valid_names_the_date(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "notyet_chain.pem" });

	expect(f, "cert.not-yet-valid", PL_X509_SEVERITY_ERROR, 0,
	       "the server certificate 'www.example.test' is not valid until "
	       "2030-07-01 (in 30 days)", "date -u");
	expect_none(f, "cert.expired");
	pl_x509_findings_free(f);
	/* The same certificate a month later is fine. */
	f = diagnose((struct run){ .chain = "notyet_chain.pem",
				   .now = DFX_NOW + 31 * 86400 });
	expect_none(f, "cert.not-yet-valid");
	pl_x509_findings_free(f);
}

static void expiring_soon_is_judged_against_the_lifetime(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "soon5_chain.pem" });

	/* 5 days of 156: under a tenth, an error (issue 14), although the
	 * chain verifies (pl_x509_diag_add keeps this one an error). */
	expect(f, "cert.expires-soon", PL_X509_SEVERITY_ERROR, 0,
	       "expires on 2030-06-06, in 5 days", "renew");
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "soon20_chain.pem" });
	expect(f, "cert.expires-soon", PL_X509_SEVERITY_WARNING, 0,
	       "expires on 2030-06-21, in 20 days", "renew");
	CHECK(!pl_x509_findings_has_errors(f));
	pl_x509_findings_free(f);
	/* 60 days before its end, over a third of its 171 days: nothing to
	 * say yet. */
	f = diagnose((struct run){ .chain = "soon20_chain.pem",
				   .now = DFX_NOW - 40 * 86400 });
	expect_none(f, "cert.expires-soon");
	pl_x509_findings_free(f);
	/* 51 days before: under a third of its lifetime, a warning. */
	f = diagnose((struct run){ .chain = "soon20_chain.pem",
				   .now = DFX_NOW - 31 * 86400 });
	expect(f, "cert.expires-soon", PL_X509_SEVERITY_WARNING, 0,
	       "in 51 days (of a lifetime of 171 days)", "renew");
	pl_x509_findings_free(f);
	/* The last hours. */
	f = diagnose((struct run){ .chain = "soon5_chain.pem",
				   .now = DFX_NOW + 5 * 86400 - 3600 });
	expect(f, "cert.expires-soon", PL_X509_SEVERITY_ERROR, 0,
	       "in less than a day", NULL);
	pl_x509_findings_free(f);
}

/* Issue 14: a short-lived, automatically renewed certificate (a 6-day ACME
 * profile, a 12-hour local leaf) is not an error for being short. */
static void short_lived_certificates_are_judged_by_their_own_lifetime(void)
{
	/* 6 days, 4 left: nothing. 1.5 left (a quarter): a warning, which 7
	 * fixed days made an error. Half a day left (under a day): an error. */
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "short6_chain.pem" });

	expect_none(f, "cert.expires-soon");
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "short6_chain.pem",
				   .now = DFX_NOW + 2 * 86400 + 43200 });
	expect(f, "cert.expires-soon", PL_X509_SEVERITY_WARNING, 0,
	       "in 1 day (of a lifetime of 6 days)", "renew");
	CHECK(!pl_x509_findings_has_errors(f));
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "short6_chain.pem",
				   .now = DFX_NOW + 3 * 86400 + 43200 });
	expect(f, "cert.expires-soon", PL_X509_SEVERITY_ERROR, 0,
	       "in less than a day", NULL);
	pl_x509_findings_free(f);
	/* 12 hours, 6 left: nothing; 3 left: a warning; 1 left: an error. */
	f = diagnose((struct run){ .chain = "short12h_chain.pem" });
	expect_none(f, "cert.expires-soon");
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "short12h_chain.pem",
				   .now = DFX_NOW + 3 * 3600 });
	expect(f, "cert.expires-soon", PL_X509_SEVERITY_WARNING, 0,
	       "(of a lifetime of 12 hours)", NULL);
	CHECK(!pl_x509_findings_has_errors(f));
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "short12h_chain.pem",
				   .now = DFX_NOW + 5 * 3600 });
	expect(f, "cert.expires-soon", PL_X509_SEVERITY_ERROR, 0,
	       "in less than a day", NULL);
	pl_x509_findings_free(f);
}

/* ---- names ----------------------------------------------------------------- */

static void name_list_says_what_the_leaf_covers(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "wild_chain.pem" });

	expect(f, "name.list", PL_X509_SEVERITY_INFO, 0,
	       "the server certificate covers *.example.test", "");
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "cnonly_chain.pem" });
	expect_none(f, "name.list");
	pl_x509_findings_free(f);
}

static void host_must_be_covered_under_rfc6125(void)
{
	static const struct {
		const char *chain, *host, *hint;
	} bad[] = {
		{ "ok_chain.pem", "other.test", "" },
		{ "ok_chain.pem", "127.0.0.1", "" },
		{ "ok_chain.pem", "a.www.example.test", "" },
		{ "wild_chain.pem", "example.test",
		  "the wildcard '*.example.test' does not cover 'example.test' "
		  "itself" },
		{ "wild_chain.pem", "a.b.example.test",
		  "the wildcard '*.example.test' stands for one label only" },
	};
	static const struct {
		const char *chain, *host;
	} good[] = {
		{ "ok_chain.pem", "www.example.test" },
		{ "ok_chain.pem", "EXAMPLE.test." },
		{ "wild_chain.pem", "a.example.test" },
		{ "ok_chain.pem", NULL },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pl_x509_findings_t *f = diagnose((struct run){
			.chain = bad[i].chain, .host = bad[i].host });
		char want[200];

		snprintf(want, sizeof(want), "not for '%s'%s", bad[i].host,
			 bad[i].hint[0] != '\0' ? "; " : "");
		expect(f, "name.mismatch", PL_X509_SEVERITY_ERROR, 0, want,
		       "padlock cert");
		expect(f, "name.mismatch", PL_X509_SEVERITY_ERROR, 0,
		       bad[i].hint, NULL);
		pl_x509_findings_free(f);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		pl_x509_findings_t *f = diagnose((struct run){
			.chain = good[i].chain, .host = good[i].host });

		expect_none(f, "name.mismatch");
		pl_x509_findings_free(f);
	}
}

static void leaf_without_names_is_valid_for_no_site(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "cnonly_chain.pem", .host = "cnonly.example.test" });

	expect(f, "name.none", PL_X509_SEVERITY_ERROR, 0,
	       "clients ignore its subject CN 'cnonly.example.test'",
	       "(DNS:cnonly.example.test)");
	expect_none(f, "name.mismatch"); /* said once, by name.none */
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "wild_chain.pem" });
	expect_none(f, "name.none");
	pl_x509_findings_free(f);
}

/* ---- the chain's shape --------------------------------------------------------- */

static void chain_out_of_order_gives_the_right_order(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "order_chain.pem", .chain_path = "site.pem" });

	expect(f, "chain.order", PL_X509_SEVERITY_WARNING, 1,
	       "root 'CN=Padlock Diag Root, O=Padlock Tests' (certificate 2) "
	       "comes before intermediate '" INTERMEDIATE "' (certificate 3), "
	       "which it certifies",
	       "rewrite site.pem with its certificates in this order: 1, 3, 2");
	expect(f, "chain.root-included", PL_X509_SEVERITY_INFO, 1, NULL, NULL);
	CHECK(!pl_x509_findings_has_errors(f));
	pl_x509_findings_free(f);
}

static void leaf_after_its_issuer_is_an_error(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "swapped_chain.pem", .host = "www.example.test" });

	expect(f, "chain.order", PL_X509_SEVERITY_ERROR, 0,
	       "the file starts with intermediate '" INTERMEDIATE "' instead "
	       "of the server's own certificate: the server certificate "
	       "'www.example.test' is certificate 2 of 2",
	       "in this order: 2, 1");
	/* The rest is about the real leaf, which is fine. */
	expect_none(f, "cert.ca-as-leaf");
	expect_none(f, "name.mismatch");
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "withroot_chain.pem" });
	expect_none(f, "chain.order");
	pl_x509_findings_free(f);
}

static void duplicate_and_unrelated_certificates_are_named(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "dup_chain.pem", .chain_path = "site.pem" });

	expect(f, "chain.duplicate", PL_X509_SEVERITY_WARNING, 2,
	       "certificate 3, intermediate '" INTERMEDIATE "', is a copy of "
	       "certificate 2", "delete the second copy from site.pem");
	expect_none(f, "chain.unrelated");
	pl_x509_findings_free(f);

	f = diagnose((struct run){ .chain = "unrelated_chain.pem",
				   .chain_path = "site.pem" });
	expect(f, "chain.unrelated", PL_X509_SEVERITY_WARNING, 2,
	       "certificate 3, a certificate for 'www.example.test', is not "
	       "part of the chain", "remove it from site.pem");
	expect_none(f, "chain.duplicate");
	CHECK(!pl_x509_findings_has_errors(f));
	pl_x509_findings_free(f);
}

static void missing_intermediate_found_in_directory_gives_the_command(void)
{
	char want[400];
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "ok.pem", .dir = "ints", .chain_path = "site.pem" });

	snprintf(want, sizeof(want),
		 "append it to the chain: cat site.pem %s > fullchain.pem, "
		 "and serve fullchain.pem", dfx("ints/diag-intermediate.pem"));
	expect(f, "chain.missing-intermediate", PL_X509_SEVERITY_ERROR, 0,
	       "the server certificate 'www.example.test' is issued by "
	       "intermediate '" INTERMEDIATE "', which is not in site.pem and "
	       "not a trusted root", want);
	snprintf(want, sizeof(want), "the intermediates directory has it: %s",
		 dfx("ints/diag-intermediate.pem"));
	expect(f, "chain.missing-intermediate", PL_X509_SEVERITY_ERROR, 0,
	       want, NULL);
	/* Completed from the directory, the path reaches the root. */
	expect_none(f, "chain.untrusted-root");
	expect_none(f, "chain.invalid");
	CHECK_EQ_INT(pl_x509_findings_count_severity(f, PL_X509_SEVERITY_ERROR),
		     1);
	pl_x509_findings_free(f);

	/* A chain file named fullchain.pem is never the output. */
	f = diagnose((struct run){ .chain = "ok.pem", .dir = "ints",
				   .chain_path = "/etc/site/fullchain.pem" });
	expect(f, "chain.missing-intermediate", PL_X509_SEVERITY_ERROR, 0, NULL,
	       "> /etc/site/fullchain-new.pem, and serve "
	       "/etc/site/fullchain-new.pem");
	pl_x509_findings_free(f);

	/* Paths in commands are quoted for the shell. */
	f = diagnose((struct run){ .chain = "ok.pem", .dir = "ints",
				   .chain_path = "/srv/my site/it's.pem" });
	expect(f, "chain.missing-intermediate", PL_X509_SEVERITY_ERROR, 0, NULL,
	       "cat '/srv/my site/it'\\''s.pem' ");
	expect(f, "chain.missing-intermediate", PL_X509_SEVERITY_ERROR, 0, NULL,
	       " > '/srv/my site/fullchain.pem'");
	pl_x509_findings_free(f);
}

static void missing_intermediate_found_in_trust_store_names_its_file(void)
{
	char err[256], want[4200], real[4096];
	pl_x509_store_t *dir_store, *file_store;
	pl_x509_findings_t *f;

	dir_store = pl_x509_store_new(NULL, dfx("cadir_int"), err, sizeof(err));
	file_store = pl_x509_store_new(dfx("root_int.pem"), NULL, err,
				       sizeof(err));
	CHECK(dir_store != NULL && file_store != NULL);
	if (dir_store == NULL || file_store == NULL)
		goto out;
	/* padlock verifies this (the store has the intermediate): a warning,
	 * since a client without it would not. */
	f = diagnose((struct run){ .chain = "ok.pem", .store = dir_store });
	CHECK(realpath(dfx("cadir_int/int.pem"), real) != NULL);
	snprintf(want, sizeof(want), "this machine's trust store has it: %s",
		 real);
	expect(f, "chain.missing-intermediate", PL_X509_SEVERITY_WARNING, 0,
	       want, real);
	CHECK(!pl_x509_findings_has_errors(f));
	pl_x509_findings_free(f);

	f = diagnose((struct run){ .chain = "ok.pem", .store = file_store });
	snprintf(want, sizeof(want), "the CA file %s has it",
		 dfx("root_int.pem"));
	expect(f, "chain.missing-intermediate", PL_X509_SEVERITY_WARNING, 0,
	       want, "copy the certificate '" INTERMEDIATE "' out of");
	pl_x509_findings_free(f);

	/* The complete chain against the same stores: nothing missing. */
	f = diagnose((struct run){ .chain = "ok_chain.pem", .store = file_store });
	expect_none(f, "chain.missing-intermediate");
	pl_x509_findings_free(f);
out:
	pl_x509_store_free(dir_store);
	pl_x509_store_free(file_store);
}

static void missing_intermediate_found_nowhere_says_where_to_get_it(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "ok.pem", .chain_path = "site.pem" });
	char want[300];

	snprintf(want, sizeof(want),
		 "is issued by '" INTERMEDIATE "', which is neither in site.pem "
		 "nor among the trusted CAs of %s", dfx("root.pem"));
	expect(f, "chain.missing-intermediate", PL_X509_SEVERITY_ERROR, 0, want,
	       "get the intermediate certificate '" INTERMEDIATE "' from your "
	       "CA");
	pl_x509_findings_free(f);
	/* A root found in the directory is not trusted for being there. */
	f = diagnose((struct run){ .chain = "otherleaf.pem", .dir = "ints" });
	expect(f, "chain.untrusted-root", PL_X509_SEVERITY_ERROR, -1,
	       "the chain ends at root 'CN=Unrelated Test Root, O=Elsewhere'",
	       NULL);
	pl_x509_findings_free(f);
}

static void root_included_is_information(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "withroot_chain.pem" });

	expect(f, "chain.root-included", PL_X509_SEVERITY_INFO, 2,
	       "certificate 3 is the root 'CN=Padlock Diag Root, O=Padlock "
	       "Tests'; clients use their own copy", "(optional)");
	CHECK(!pl_x509_findings_has_errors(f));
	CHECK_EQ_INT(pl_x509_findings_count_severity(f,
						     PL_X509_SEVERITY_WARNING),
		     0);
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "dup_chain.pem" });
	expect_none(f, "chain.root-included");
	pl_x509_findings_free(f);
}

static void self_signed_leaf_is_an_error_unless_trusted(void)
{
	char err[256];
	pl_x509_store_t *self_store;
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "self_chain.pem" });

	expect(f, "cert.self-signed", PL_X509_SEVERITY_ERROR, 0,
	       "the server certificate 'self.example.test' is self-signed and "
	       "not among the trusted CAs of",
	       "padlock cert --install");
	expect_none(f, "chain.untrusted-root");
	expect_none(f, "chain.missing-intermediate");
	pl_x509_findings_free(f);

	self_store = pl_x509_store_new(dfx("self.pem"), NULL, err, sizeof(err));
	CHECK_MSG(self_store != NULL, "%s", err);
	f = diagnose((struct run){ .chain = "self_chain.pem",
				   .store = self_store });
	expect(f, "cert.self-signed", PL_X509_SEVERITY_WARNING, 0,
	       "is self-signed and is among the trusted CAs of", NULL);
	CHECK(!pl_x509_findings_has_errors(f));
	pl_x509_findings_free(f);
	pl_x509_store_free(self_store);

	f = diagnose((struct run){ .chain = "withroot_chain.pem" });
	expect_none(f, "cert.self-signed");
	pl_x509_findings_free(f);
}

static void chain_to_an_unknown_root_is_untrusted(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "untrusted_chain.pem" });

	expect(f, "chain.untrusted-root", PL_X509_SEVERITY_ERROR, 1,
	       "the chain ends at root 'CN=Unrelated Test Root, O=Elsewhere', "
	       "which is not among the trusted CAs of",
	       "make the clients trust it");
	expect(f, "chain.root-included", PL_X509_SEVERITY_INFO, 1, NULL, NULL);
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "withroot_chain.pem" });
	expect_none(f, "chain.untrusted-root");
	pl_x509_findings_free(f);
}

/* ---- strength and purpose ----------------------------------------------------- */

static void weak_keys_are_errors(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "rsa1024_chain.pem" });

	expect(f, "key.weak", PL_X509_SEVERITY_ERROR, 0,
	       "the server certificate 'www.example.test' has a key too weak "
	       "for clients to accept (RSA 1024; at least RSA 2048",
	       "make a new key");
	expect_none(f, "chain.invalid"); /* explained already */
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "p224_chain.pem" });
	expect(f, "key.weak", PL_X509_SEVERITY_ERROR, 0, "ECDSA P-224", NULL);
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "rsa2048_chain.pem" });
	expect_none(f, "key.weak");
	pl_x509_findings_free(f);
}

static void sha1_signature_is_an_error(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "sha1_chain.pem" });

	expect(f, "sig.weak", PL_X509_SEVERITY_ERROR, 0,
	       "is signed with SHA-1 (ecdsa-with-SHA1)", "reissued");
	pl_x509_findings_free(f);
	/* The root signs itself with SHA-256 here, and roots are never
	 * judged by their self-signature anyway. */
	f = diagnose((struct run){ .chain = "withroot_chain.pem" });
	expect_none(f, "sig.weak");
	pl_x509_findings_free(f);
}

static void leaf_must_be_for_tls_servers_and_not_a_ca(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "client_chain.pem" });

	expect(f, "cert.no-server-auth", PL_X509_SEVERITY_ERROR, 0,
	       "its extended key usage allows clientAuth but not serverAuth",
	       "extendedKeyUsage serverAuth");
	expect_none(f, "cert.ca-as-leaf");
	pl_x509_findings_free(f);
	/* No extended key usage at all allows every purpose. */
	f = diagnose((struct run){ .chain = "cnonly_chain.pem" });
	expect_none(f, "cert.no-server-auth");
	pl_x509_findings_free(f);

	f = diagnose((struct run){ .chain = "caleaf_chain.pem" });
	expect(f, "cert.ca-as-leaf", PL_X509_SEVERITY_ERROR, 0,
	       "is a CA certificate (basicConstraints CA:TRUE)", "CA:FALSE");
	expect_none(f, "cert.no-server-auth");
	expect_none(f, "chain.order"); /* no other leaf to put first */
	pl_x509_findings_free(f);
	/* A leaf that this CA did not issue is not the one to put first. */
	f = diagnose((struct run){ .chain = "caleaf_extra_chain.pem" });
	expect(f, "cert.ca-as-leaf", PL_X509_SEVERITY_ERROR, 0, NULL, NULL);
	expect(f, "chain.unrelated", PL_X509_SEVERITY_WARNING, 1, NULL, NULL);
	expect_none(f, "chain.order");
	pl_x509_findings_free(f);
}

/* ---- the key ---------------------------------------------------------------------- */

static void key_of_another_certificate_is_a_mismatch(void)
{
	char want[300];
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "ok_chain.pem", .key = "other.key", .key_path = true });

	snprintf(want, sizeof(want), "the private key %s (ECDSA P-256) does "
		 "not belong to the server certificate 'www.example.test'",
		 dfx("other.key"));
	expect(f, "key.mismatch", PL_X509_SEVERITY_ERROR, 0, want, NULL);
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "rsa2048_chain.pem",
				   .key = "ok.key" });
	expect(f, "key.mismatch", PL_X509_SEVERITY_ERROR, 0,
	       "the private key (ECDSA P-256) does not belong", "this key");
	pl_x509_findings_free(f);
	f = diagnose((struct run){ .chain = "ok_chain.pem", .key = "ok.key" });
	expect_none(f, "key.mismatch");
	pl_x509_findings_free(f);
}

static void key_readable_by_others_gets_the_chmod_fix(void)
{
	char want[300], err[256];
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "ok_chain.pem", .key = "open.key", .key_path = true });

	snprintf(want, sizeof(want), "the private key file %s can be read by "
		 "every user of this machine (mode 0644)", dfx("open.key"));
	expect(f, "key.permissions", PL_X509_SEVERITY_WARNING, -1, want, NULL);
	snprintf(want, sizeof(want), "chmod 600 %s", dfx("open.key"));
	CHECK(strcmp(pl_x509_findings_find(f, "key.permissions")->fix, want) ==
	      0);
	CHECK(!pl_x509_findings_has_errors(f));
	pl_x509_findings_free(f);

	/* Group-readable only, checked on its own. */
	f = pl_x509_findings_new();
	CHECK(chmod(dfx("open.key"), 0640) == 0);
	CHECK(pl_x509_key_check_permissions(dfx("open.key"), f, err,
					    sizeof(err)) == PL_OK);
	expect(f, "key.permissions", PL_X509_SEVERITY_WARNING, -1,
	       "can be read by the users of its group (mode 0640)", "chmod 600");
	CHECK(chmod(dfx("open.key"), 0644) == 0);
	pl_x509_findings_free(f);

	f = pl_x509_findings_new();
	CHECK(pl_x509_key_check_permissions(dfx("ok.key"), f, err,
					    sizeof(err)) == PL_OK);
	expect_none(f, "key.permissions");
	CHECK(pl_x509_key_check_permissions(dfx("missing.key"), f, err,
					    sizeof(err)) == PL_ERR_IO);
	CHECK_MSG(strstr(err, "No such file") != NULL, "%s", err);
	pl_x509_findings_free(f);
}

/* ---- the safety net ---------------------------------------------------------------- */

static void verification_failure_no_check_explains_is_chain_invalid(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "badsig_chain.pem" });

	expect(f, "chain.invalid", PL_X509_SEVERITY_ERROR, 0,
	       "the chain does not verify: ", "openssl verify");
	expect(f, "chain.invalid", PL_X509_SEVERITY_ERROR, 0,
	       "does not verify with the key of its issuer", NULL);
	expect_none(f, "cert.rfc5280");
	pl_x509_findings_free(f);
	/* A refusal with a code of its own is named by it. */
	f = diagnose((struct run){ .chain = "notca_chain.pem" });
	expect(f, "cert.rfc5280", PL_X509_SEVERITY_ERROR, 0, "is not a CA",
	       "RFC 5280");
	expect_none(f, "chain.invalid");
	pl_x509_findings_free(f);
}

/* ---- the API --------------------------------------------------------------------------- */

static void findings_print_grouped_by_severity(void)
{
	pl_x509_findings_t *f = diagnose((struct run){
		.chain = "order_chain.pem", .host = "other.test" });
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	const char *e, *w, *i;

	CHECK(mem != NULL);
	if (mem == NULL)
		return;
	pl_x509_findings_print(mem, f, false);
	fclose(mem);
	e = strstr(text, "errors:\n  name.mismatch: the server certificate");
	w = strstr(text, "\nwarnings:\n  chain.order: ");
	i = strstr(text, "\ninfo:\n  name.list: ");
	CHECK_MSG(e == text && w != NULL && i != NULL && w < i, "%s", text);
	CHECK(strstr(text, "\n    fix: get a certificate that includes "
			   "other.test") != NULL);
	CHECK(strchr(text, '\033') == NULL);
	free(text);

	text = NULL;
	mem = open_memstream(&text, &len);
	CHECK(mem != NULL);
	if (mem == NULL)
		return;
	pl_x509_findings_print(mem, f, true);
	fclose(mem);
	CHECK(strstr(text, "\033[1;31merrors:\033[0m") != NULL);
	free(text);
	pl_x509_findings_free(f);
}

static void accessors_and_bad_arguments(void)
{
	pl_x509_findings_t *f = pl_x509_findings_new();
	pl_x509_chain_t *c;
	char err[256] = "";

	CHECK(pl_x509_findings_count(f) == 0);
	CHECK(pl_x509_findings_get(f, 0) == NULL);
	CHECK(pl_x509_findings_find(f, "name.list") == NULL);
	CHECK(!pl_x509_findings_has_errors(f));
	CHECK(pl_x509_findings_count(NULL) == 0);
	CHECK(strcmp(pl_x509_severity_name(PL_X509_SEVERITY_ERROR), "error") ==
	      0);
	CHECK(strcmp(pl_x509_severity_name(PL_X509_SEVERITY_WARNING),
		     "warning") == 0);
	CHECK(strcmp(pl_x509_severity_name(PL_X509_SEVERITY_INFO), "info") == 0);

	c = pl_x509_chain_load_pem(dfx("ok_chain.pem"), err, sizeof(err));
	CHECK(pl_x509_diagnose(c, &(pl_x509_diagnose_opts_t){ 0 }, f, err,
			       sizeof(err)) == PL_ERR_ARG);
	CHECK(pl_x509_diagnose(c, &(pl_x509_diagnose_opts_t){
		.store = store_root, .host = "*.example.test" }, f, err,
			       sizeof(err)) == PL_ERR_ARG);
	CHECK_MSG(strstr(err, "'*.example.test' is not a host name") != NULL,
		  "%s", err);
	CHECK(pl_x509_diagnose(c, &(pl_x509_diagnose_opts_t){
		.store = store_root, .intermediates_dir = dfx("nothere") }, f,
			       err, sizeof(err)) == PL_ERR_IO);
	CHECK_MSG(strstr(err, "nothere: No such file") != NULL, "%s", err);

	/* Findings are appended: two runs, two name lists. */
	CHECK(pl_x509_diagnose(c, &(pl_x509_diagnose_opts_t){
		.store = store_root, .now = DFX_NOW }, f, err,
			       sizeof(err)) == PL_OK);
	CHECK(pl_x509_diagnose(c, &(pl_x509_diagnose_opts_t){
		.store = store_root, .now = DFX_NOW }, f, err,
			       sizeof(err)) == PL_OK);
	CHECK_EQ_INT(pl_x509_findings_count(f), 2);
	CHECK(pl_x509_findings_get(f, 1) != NULL &&
	      strcmp(pl_x509_findings_get(f, 1)->code, "name.list") == 0);
	pl_x509_chain_free(c);
	pl_x509_findings_free(f);
}

static void every_code_is_tested_both_ways(void)
{
	for (size_t i = 0; i < CODE_COUNT; i++) {
		CHECK_MSG(produced[i], "no test produces %s", all_codes[i]);
		CHECK_MSG(absent_tested[i], "no test checks the absence of %s",
			  all_codes[i]);
	}
}

int main(void)
{
	char err[256];

	dfx_setup();
	store_root = pl_x509_store_new(dfx("root.pem"), NULL, err, sizeof(err));
	if (store_root == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	RUN(clean_chain_has_no_problem);
	RUN(expired_leaf_and_intermediate_name_the_date);
	RUN(not_yet_valid_names_the_date);
	RUN(expiring_soon_is_judged_against_the_lifetime);
	RUN(short_lived_certificates_are_judged_by_their_own_lifetime);
	RUN(name_list_says_what_the_leaf_covers);
	RUN(host_must_be_covered_under_rfc6125);
	RUN(leaf_without_names_is_valid_for_no_site);
	RUN(chain_out_of_order_gives_the_right_order);
	RUN(leaf_after_its_issuer_is_an_error);
	RUN(duplicate_and_unrelated_certificates_are_named);
	RUN(missing_intermediate_found_in_directory_gives_the_command);
	RUN(missing_intermediate_found_in_trust_store_names_its_file);
	RUN(missing_intermediate_found_nowhere_says_where_to_get_it);
	RUN(root_included_is_information);
	RUN(self_signed_leaf_is_an_error_unless_trusted);
	RUN(chain_to_an_unknown_root_is_untrusted);
	RUN(weak_keys_are_errors);
	RUN(sha1_signature_is_an_error);
	RUN(leaf_must_be_for_tls_servers_and_not_a_ca);
	RUN(key_of_another_certificate_is_a_mismatch);
	RUN(key_readable_by_others_gets_the_chmod_fix);
	RUN(verification_failure_no_check_explains_is_chain_invalid);
	RUN(findings_print_grouped_by_severity);
	RUN(accessors_and_bad_arguments);
	RUN(every_code_is_tested_both_ways);
	pl_x509_store_free(store_root);
	dfx_teardown();
	return test_finish();
}
