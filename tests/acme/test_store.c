/* Tests src/server/acme/store.c on real files: the account key is made
 * once (0600) and loaded after; a chain and its key are stored with their
 * modes and read back as usable only while they cover every name and are
 * valid; renewal falls at the asked part of the lifetime; a directory that
 * cannot be written is one sentence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/acme/acme.h"
#include "test.h"

static char dir[256];

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static void paths_are_per_ca_and_per_name(void)
{
	char ca[512], chain[600], key[600];

	CHECK_EQ_INT(pl_acme_ca_dir("/s", "https://acme-v02.api.letsencrypt.org/"
				    "directory", ca, sizeof ca), PL_OK);
	CHECK(strcmp(ca, "/s/acme-v02.api.letsencrypt.org") == 0);
	CHECK_EQ_INT(pl_acme_ca_dir("/s", "https://127.0.0.1:14000/dir", ca,
				    sizeof ca), PL_OK);
	CHECK(strcmp(ca, "/s/127.0.0.1-14000") == 0);
	CHECK_EQ_INT(pl_acme_cert_paths("/s/ca", "*.example.com", chain, key,
					sizeof chain), PL_OK);
	CHECK(strcmp(chain, "/s/ca/_wildcard.example.com/fullchain.pem") == 0);
	CHECK(strcmp(key, "/s/ca/_wildcard.example.com/key.pem") == 0);
	CHECK_EQ_INT(pl_acme_cert_paths("/s/ca", "../etc", chain, key,
					sizeof chain), PL_ERR_ARG);
	CHECK_EQ_INT(pl_acme_cert_paths("/s/ca", "a/b", chain, key,
					sizeof chain), PL_ERR_ARG);
}

static void account_key_is_made_once_with_mode_0600(void)
{
	char ca[512], path[600], err[256], a[PL_JWK_THUMBPRINT_LEN + 1],
		b[PL_JWK_THUMBPRINT_LEN + 1];
	bool created = false;
	pl_pkey_t *k1, *k2;

	snprintf(ca, sizeof ca, "%s/ca-one", dir);
	k1 = pl_acme_account_key(ca, &created, err, sizeof err);
	CHECK_MSG(k1 != NULL && created, "%s", err);
	snprintf(path, sizeof path, "%s/account-key.pem", ca);
	CHECK_EQ_INT(mode_of(path), 0600);
	k2 = pl_acme_account_key(ca, &created, err, sizeof err);
	CHECK(k2 != NULL && !created);
	if (k1 && k2) {
		CHECK_EQ_INT(pl_pkey_kind(k2), PL_PKEY_EC_P256);
		pl_jwk_thumbprint(k1, a);
		pl_jwk_thumbprint(k2, b);
		CHECK(strcmp(a, b) == 0);
	}
	pl_pkey_free(k1);
	pl_pkey_free(k2);
}

/* A leaf from a throwaway local CA, read back as an order's result. */
static int issue(const char *const *names, size_t n, pl_acme_result_t *r)
{
	char cadir[300], cert[320], key[320], err[256];
	pl_x509_san_t sans[4];
	pl_x509_issued_t issued;
	pl_x509_ca_t *ca = NULL;
	bool created;
	FILE *f;
	int rc;

	snprintf(cadir, sizeof cadir, "%s/localca", dir);
	snprintf(cert, sizeof cert, "%s/leaf.pem", cadir);
	snprintf(key, sizeof key, "%s/leaf-key.pem", cadir);
	for (size_t i = 0; i < n; i++)
		pl_x509_san_parse(names[i], &sans[i], err, sizeof err);
	rc = pl_x509_ca_open(cadir, true, time(NULL), &ca, &created, err, sizeof err);
	if (rc == PL_OK)
		rc = pl_x509_ca_issue(ca, sans, n, time(NULL), cert, key, &issued,
				      err, sizeof err);
	pl_x509_ca_free(ca);
	if (rc != PL_OK)
		return rc;
	memset(r, 0, sizeof *r);
	r->chain_pem = calloc(1, 8192);
	f = fopen(cert, "r");
	if (f == NULL || r->chain_pem == NULL)
		return PL_ERR_IO;
	r->chain_len = fread(r->chain_pem, 1, 8191, f);
	fclose(f);
	r->key = pl_x509_key_load_pem(key, err, sizeof err);
	return r->key != NULL ? PL_OK : PL_ERR_IO;
}

static void stored_chain_is_usable_while_it_covers_every_name(void)
{
	static const char *const names[] = { "a.example.com", "b.example.com" };
	static const char *const more[] = { "a.example.com", "c.example.com" };
	char chain[512], key[512], err[256];
	pl_acme_result_t r;
	pl_acme_stored_t have;
	time_t now = time(NULL);

	CHECK_EQ_INT(issue(names, 2, &r), PL_OK);
	snprintf(chain, sizeof chain, "%s/ca/a.example.com/fullchain.pem", dir);
	snprintf(key, sizeof key, "%s/ca/a.example.com/key.pem", dir);
	CHECK_EQ_INT(pl_acme_stored(chain, key, names, 2, 67, now, &have),
		     PL_ERR_IO);
	CHECK_EQ_INT(pl_acme_store(chain, key, &r, err, sizeof err), PL_OK);
	CHECK_EQ_INT(mode_of(key), 0600);
	CHECK_EQ_INT(mode_of(chain), 0644);
	CHECK_EQ_INT(pl_acme_stored(chain, key, names, 2, 67, now, &have), PL_OK);
	CHECK(have.usable);
	CHECK(have.renew_at > have.leaf.not_before &&
	      have.renew_at < have.leaf.not_after);
	/* 67% of the lifetime, to the second */
	CHECK(llabs((long long)(have.renew_at - have.leaf.not_before) -
		    (long long)((have.leaf.not_after - have.leaf.not_before) * 67 / 100)) <= 1);
	CHECK_EQ_INT(pl_acme_stored(chain, key, more, 2, 67, now, &have),
		     PL_ERR_CERT);
	CHECK_EQ_INT(pl_acme_stored(chain, key, names, 2, 67,
				    have.leaf.not_after + 1, &have), PL_ERR_CERT);
	pl_acme_result_free(&r);
}

static void unwritable_state_directory_is_one_sentence(void)
{
	char file[300], sub[320], err[512];
	FILE *f;

	snprintf(file, sizeof file, "%s/plain-file", dir);
	f = fopen(file, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	snprintf(sub, sizeof sub, "%s/state", file);
	CHECK_EQ_INT(pl_acme_state_prepare(sub, err, sizeof err), PL_ERR_IO);
	CHECK_MSG(strstr(err, "is not writable (Not a directory): give "
			      "--state-dir") != NULL, "%s", err);
	snprintf(sub, sizeof sub, "%s/made/below", dir);
	CHECK_EQ_INT(pl_acme_state_prepare(sub, err, sizeof err), PL_OK);
	CHECK_EQ_INT(mode_of(sub), 0700);
}

static void state_dir_defaults(void)
{
	char out[256], err[256];

	CHECK_EQ_INT(pl_acme_state_dir("/given", out, sizeof out, err, sizeof err),
		     PL_OK);
	CHECK(strcmp(out, "/given") == 0);
	CHECK_EQ_INT(pl_acme_state_dir(NULL, out, sizeof out, err, sizeof err),
		     PL_OK);
	if (geteuid() == 0)
		CHECK(strcmp(out, "/var/lib/padlock/acme") == 0);
	else
		CHECK(strstr(out, "/padlock/acme") != NULL);
}

int main(void)
{
	char cmd[300];

	snprintf(dir, sizeof dir, "/tmp/padlock-acme-store-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(paths_are_per_ca_and_per_name);
	RUN(account_key_is_made_once_with_mode_0600);
	RUN(stored_chain_is_usable_while_it_covers_every_name);
	RUN(unwritable_state_directory_is_one_sentence);
	RUN(state_dir_defaults);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return test_finish();
}
