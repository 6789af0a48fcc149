/*
 * Issue 15's corpus of path-validation cases (made by pathcorpus.py with
 * the openssl CLI in a temporary directory): for each case, the verdict of
 * pl_x509_verify and its finding code, and that pl_x509_diagnose (padlock
 * cert check) comes to the same verdict, names that code and adds the
 * expected warnings. Prints how many cases each agrees on.
 * (test_pathcorpus_clients.py runs the same corpus through padlock get against
 * openssl s_server and through padlock cert check.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "padlock/x509.h"
#include "test.h"

#define FIELDS 9

typedef struct {
	char *name, *expect, *code, *host, *at, *max_depth, *crl, *warnings,
		*what;
} corpus_case_t;

static char dir[256] = "/tmp/padlock-pathcorpus-XXXXXX";
static int verify_agree, diagnose_agree, total;

static void case_path(const corpus_case_t *k, const char *file, char *buf,
		      size_t cap)
{
	snprintf(buf, cap, "%s/%s/%s", dir, k->name, file);
}

static pl_x509_store_t *case_store(const corpus_case_t *k)
{
	char path[512], err[256];
	pl_x509_store_t *s;

	case_path(k, "trust.pem", path, sizeof(path));
	s = pl_x509_store_new(path, NULL, err, sizeof(err));
	CHECK_MSG(s != NULL, "%s: %s", k->name, err);
	if (s != NULL && atoi(k->max_depth) > 0)
		CHECK_EQ_INT(pl_x509_store_set_max_depth(
				     s, (unsigned)atoi(k->max_depth)), PL_OK);
	if (s != NULL && strcmp(k->crl, "1") == 0) {
		case_path(k, "crl.pem", path, sizeof(path));
		CHECK_MSG(pl_x509_store_add_crl_file(s, path, err, sizeof(err)) ==
				  PL_OK, "%s: %s", k->name, err);
	}
	return s;
}

/* True when every warning of the comma-separated list was found. */
static bool has_warnings(const pl_x509_findings_t *f, const char *list)
{
	char copy[256], *save = NULL, *w;

	if (strcmp(list, "-") == 0)
		return true;
	snprintf(copy, sizeof(copy), "%s", list);
	for (w = strtok_r(copy, ",", &save); w != NULL;
	     w = strtok_r(NULL, ",", &save))
		if (pl_x509_findings_find(f, w) == NULL)
			return false;
	return true;
}

/* What cert check refuses: an error finding. A certificate with under a
 * day (or a tenth of its lifetime) left is an error too, for its urgency
 * (issue 14), though the chain verifies: that one is no refusal. */
static bool diag_refuses(const pl_x509_findings_t *f)
{
	for (size_t i = 0; i < pl_x509_findings_count(f); i++) {
		const pl_x509_finding_t *x = pl_x509_findings_get(f, i);
		if (x->severity == PL_X509_SEVERITY_ERROR &&
		    strcmp(x->code, "cert.expires-soon") != 0)
			return true;
	}
	return false;
}

static void run_case(const corpus_case_t *k)
{
	bool accept = strcmp(k->expect, "accept") == 0;
	time_t at = (time_t)atoll(k->at);
	pl_x509_findings_t *f = pl_x509_findings_new();
	pl_x509_store_t *s = case_store(k);
	pl_x509_verdict_t v;
	pl_x509_chain_t *c;
	char path[512], err[256];
	bool ok_verify, ok_diag;
	int rc;

	case_path(k, "chain.pem", path, sizeof(path));
	c = pl_x509_chain_load_pem(path, err, sizeof(err));
	CHECK_MSG(c != NULL && s != NULL && f != NULL, "%s: %s", k->name, err);
	if (c == NULL || s == NULL || f == NULL)
		goto out;
	total++;
	rc = pl_x509_verify(s, c, k->host, at, &v);
	ok_verify = accept ? rc == PL_OK :
			     rc == PL_ERR_CERT && strcmp(v.code, k->code) == 0;
	CHECK_MSG(ok_verify, "%s (%s): want %s %s, got %d %s: %s", k->name,
		  k->what, k->expect, k->code, rc, v.code, v.reason);
	verify_agree += ok_verify;

	rc = pl_x509_diagnose(c, &(pl_x509_diagnose_opts_t){
		.store = s, .now = at, .host = k->host,
	}, f, err, sizeof(err));
	CHECK_MSG(rc == PL_OK, "%s: %s", k->name, err);
	ok_diag = diag_refuses(f) == !accept &&
		  (accept || pl_x509_findings_find(f, k->code) != NULL) &&
		  has_warnings(f, k->warnings);
	if (!ok_diag)
		pl_x509_findings_print(stderr, f, false);
	CHECK_MSG(ok_diag, "%s (%s): cert check disagrees (want %s %s, "
		  "warnings %s)", k->name, k->what, k->expect, k->code,
		  k->warnings);
	diagnose_agree += ok_diag;
out:
	pl_x509_findings_free(f);
	pl_x509_store_free(s);
	pl_x509_chain_free(c);
}

static bool split(char *line, corpus_case_t *k)
{
	char **field = &k->name, *save = NULL, *t;
	int i;

	line[strcspn(line, "\n")] = '\0';
	for (i = 0; i < FIELDS; i++) {
		t = strtok_r(i == 0 ? line : NULL, "\t", &save);
		if (t == NULL)
			return false;
		field[i] = t;
	}
	return true;
}

static void corpus_cases_agree(void)
{
	char path[512], line[1024];
	corpus_case_t k;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cases.tsv", dir);
	f = fopen(path, "r");
	CHECK_MSG(f != NULL, "%s", path);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (split(line, &k))
			run_case(&k);
	fclose(f);
	printf("corpus: pl_x509_verify agrees on %d/%d cases, "
	       "pl_x509_diagnose on %d/%d\n", verify_agree, total,
	       diagnose_agree, total);
	CHECK(total >= 50);
}

int main(void)
{
	const char *src = getenv("PADLOCK_SOURCE_DIR");
	const char *given = getenv("PADLOCK_CORPUS_DIR");
	char cmd[1024];

	if (given != NULL) {
		/* A corpus made before (while working on one case). */
		snprintf(dir, sizeof(dir), "%s", given);
		RUN(corpus_cases_agree);
		return test_finish();
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/x509/pathcorpus.py' '%s'",
		 src != NULL ? src : "..", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "pathcorpus.py failed\n");
		return 1;
	}
	RUN(corpus_cases_agree);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (getenv("PADLOCK_CORPUS_KEEP") == NULL && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return test_finish();
}
