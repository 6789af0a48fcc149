/* src/x509/ca.c, ca_issue.c, ca_files.c: the local development CA, the
 * certificates it issues, and files that appear whole or not at all. */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "padlock/x509.h"
#include "test.h"

#define DAY (24L * 60 * 60)

static char tmp[64];
static char err[512];

/* The path of name under the test's directory; four stay valid. */
static const char *at(const char *name)
{
	static char paths[4][256];
	static unsigned next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", tmp, name);
	return p;
}

static int mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (int)(sb.st_mode & 07777) : -1;
}

static bool exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* Entries of dir other than . and .., or -1. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void sans_of(pl_x509_san_t *sans, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CHECK_MSG(pl_x509_san_parse(names[i], &sans[i], err,
					    sizeof(err)) == PL_OK,
			  "%s: %s", names[i], err);
}

static pl_x509_ca_t *open_ca(const char *dir, bool *created)
{
	pl_x509_ca_t *ca = NULL;

	err[0] = '\0';
	CHECK_MSG(pl_x509_ca_open(dir, true, time(NULL), &ca, created, err,
				  sizeof(err)) == PL_OK,
		  "%s", err);
	return ca;
}

static void ca_is_made_once_with_private_modes(void)
{
	const char *dir = at("home/.local/share/padlock/ca");
	char fp1[65], fp2[65], key[300];
	pl_x509_info_t info;
	pl_x509_ca_t *ca;
	bool created = false;

	ca = open_ca(dir, &created);
	if (ca == NULL)
		return;
	CHECK(created);
	CHECK(pl_x509_ca_exists(dir));
	snprintf(key, sizeof(key), "%s/ca-key.pem", dir);
	/* Every directory made for it is 0700; the key is 0600. */
	CHECK_EQ_INT(mode_of(at("home")), 0700);
	CHECK_EQ_INT(mode_of(at("home/.local/share/padlock")), 0700);
	CHECK_EQ_INT(mode_of(dir), 0700);
	CHECK_EQ_INT(mode_of(key), 0600);
	CHECK_EQ_INT(mode_of(pl_x509_ca_cert_path(ca)), 0644);
	CHECK(pl_x509_chain_info(pl_x509_ca_chain(ca), 0, &info) == PL_OK);
	CHECK_MSG(strncmp(info.subject, "CN=padlock development CA ", 26) == 0 &&
			  strchr(info.subject, '@') != NULL &&
			  strstr(info.subject, "O=padlock local CA") != NULL,
		  "%s", info.subject);
	CHECK(info.is_ca && info.self_signed);
	CHECK_MSG(strcmp(info.key, "ECDSA P-256") == 0, "%s", info.key);
	CHECK(info.not_after - info.not_before >= 3650 * DAY);
	CHECK(pl_x509_ca_fingerprint(ca, fp1, sizeof(fp1)) == PL_OK);
	pl_x509_ca_free(ca);

	/* The second time, the same CA is loaded. */
	ca = open_ca(dir, &created);
	CHECK(!created);
	CHECK(ca != NULL && pl_x509_ca_fingerprint(ca, fp2, sizeof(fp2)) == PL_OK);
	CHECK(strcmp(fp1, fp2) == 0);
	CHECK_EQ_INT(strlen(fp2), 64);
	pl_x509_ca_free(ca);
}

static void opening_without_create_refuses_a_missing_or_broken_ca(void)
{
	pl_x509_ca_t *ca = NULL, *other;
	char path[300], other_key[300];

	CHECK(pl_x509_ca_open(at("none"), false, time(NULL), &ca, NULL, err,
			      sizeof(err)) != PL_OK);
	CHECK(ca == NULL);
	CHECK_MSG(strstr(err, "no local CA yet") != NULL, "%s", err);
	CHECK(!exists(at("none")));

	/* Half a CA: only the key is left. */
	ca = open_ca(at("half"), NULL);
	pl_x509_ca_free(ca);
	snprintf(path, sizeof(path), "%s/ca.pem", at("half"));
	CHECK(unlink(path) == 0);
	ca = NULL;
	CHECK(pl_x509_ca_open(at("half"), true, time(NULL), &ca, NULL, err,
			      sizeof(err)) != PL_OK);
	CHECK_MSG(strstr(err, "holds ca-key.pem but not ca.pem") != NULL, "%s",
		  err);
	CHECK(!exists(path)); /* it made no new half */

	/* A key that is not the certificate's. */
	ca = open_ca(at("mismatch"), NULL);
	other = open_ca(at("other"), NULL);
	pl_x509_ca_free(ca);
	pl_x509_ca_free(other);
	snprintf(path, sizeof(path), "%s/ca-key.pem", at("mismatch"));
	snprintf(other_key, sizeof(other_key), "%s/ca-key.pem", at("other"));
	CHECK(rename(other_key, path) == 0);
	ca = NULL;
	CHECK(pl_x509_ca_open(at("mismatch"), false, time(NULL), &ca, NULL, err,
			      sizeof(err)) != PL_OK);
	CHECK_MSG(strstr(err, "does not belong to") != NULL, "%s", err);
}

static void default_dir_follows_the_environment(void)
{
	char dir[512];

	setenv("PADLOCK_CA_DIR", "/x/ca", 1);
	setenv("XDG_DATA_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	CHECK(pl_x509_ca_default_dir(dir, sizeof(dir), err, sizeof(err)) == PL_OK);
	CHECK_MSG(strcmp(dir, "/x/ca") == 0, "%s", dir);
	unsetenv("PADLOCK_CA_DIR");
	CHECK(pl_x509_ca_default_dir(dir, sizeof(dir), err, sizeof(err)) == PL_OK);
	CHECK_MSG(strcmp(dir, "/xdg/padlock/ca") == 0, "%s", dir);
	/* XDG: a relative XDG_DATA_HOME is ignored. */
	setenv("XDG_DATA_HOME", "relative", 1);
	CHECK(pl_x509_ca_default_dir(dir, sizeof(dir), err, sizeof(err)) == PL_OK);
	CHECK_MSG(strcmp(dir, "/home/u/.local/share/padlock/ca") == 0, "%s", dir);
	unsetenv("XDG_DATA_HOME");
	CHECK(pl_x509_ca_default_dir(dir, sizeof(dir), err, sizeof(err)) == PL_OK);
	CHECK_MSG(strcmp(dir, "/home/u/.local/share/padlock/ca") == 0, "%s", dir);
	CHECK(pl_x509_ca_default_dir(dir, 8, err, sizeof(err)) == PL_ERR_ARG);
}

/* Verifies cert_path (the leaf alone) against the CA alone, at time now. */
static int verify_at(const pl_x509_ca_t *ca, const char *cert_path,
		     const char *host, time_t now, pl_x509_verdict_t *v)
{
	pl_x509_store_t *store = pl_x509_store_new(pl_x509_ca_cert_path(ca),
						   NULL, err, sizeof(err));
	pl_x509_chain_t *chain = pl_x509_chain_load_pem(cert_path, err,
							sizeof(err));
	int rc = PL_ERR_ARG;

	memset(v, 0, sizeof(*v));
	if (store != NULL && chain != NULL)
		rc = pl_x509_verify(store, chain, host, now, v);
	pl_x509_chain_free(chain);
	pl_x509_store_free(store);
	return rc;
}

static void leaf_verifies_for_its_names_and_matches_its_key(void)
{
	static const char *const names[] = { "localhost", "127.0.0.1", "::1",
					     "myapp.test", "*.wild.test" };
	pl_x509_san_t sans[5];
	pl_x509_issued_t issued;
	pl_x509_verdict_t v;
	pl_x509_info_t info;
	pl_x509_chain_t *chain;
	pl_pkey_t *key;
	time_t now = time(NULL);
	pl_x509_ca_t *ca = open_ca(at("leafca"), NULL);

	if (ca == NULL)
		return;
	sans_of(sans, names, 5);
	CHECK_MSG(pl_x509_ca_issue(ca, sans, 5, now, at("leaf.pem"),
				   at("leaf-key.pem"), &issued, err,
				   sizeof(err)) == PL_OK, "%s", err);
	CHECK(!issued.replaced);
	CHECK_EQ_INT(mode_of(at("leaf-key.pem")), 0600);
	CHECK_EQ_INT(mode_of(at("leaf.pem")), 0644);
	CHECK(issued.not_after - issued.not_before <= 398 * DAY);
	CHECK(issued.not_after >= now + 396 * DAY);
	CHECK_MSG(strlen(issued.serial) >= 24, "serial %s", issued.serial);

	static const char *const covered[] = { "localhost", "127.0.0.1", "::1",
					       "[::1]", "myapp.test",
					       "a.wild.test" };
	for (size_t i = 0; i < sizeof(covered) / sizeof(covered[0]); i++)
		CHECK_MSG(verify_at(ca, at("leaf.pem"), covered[i], now, &v) == PL_OK,
			  "%s: %s", covered[i], v.reason);
	static const char *const not_covered[] = { "other.test", "wild.test",
						   "a.b.wild.test", "127.0.0.2" };
	for (size_t i = 0; i < sizeof(not_covered) / sizeof(not_covered[0]); i++)
		CHECK_MSG(verify_at(ca, at("leaf.pem"), not_covered[i], now, &v) ==
				  PL_ERR_CERT,
			  "%s was covered", not_covered[i]);
	/* Valid for its whole 397 days, then expired. */
	CHECK(verify_at(ca, at("leaf.pem"), "localhost", now + 396 * DAY, &v) ==
	      PL_OK);
	CHECK(verify_at(ca, at("leaf.pem"), "localhost", now + 398 * DAY, &v) ==
	      PL_ERR_CERT);

	chain = pl_x509_chain_load_pem(at("leaf.pem"), err, sizeof(err));
	key = pl_x509_key_load_pem(at("leaf-key.pem"), err, sizeof(err));
	/* The leaf alone: the CA is the root, which clients keep. */
	CHECK(chain != NULL && pl_x509_chain_count(chain) == 1);
	CHECK(key != NULL && pl_pkey_kind(key) == PL_PKEY_EC_P256);
	CHECK(pl_x509_key_matches(chain, key));
	CHECK(chain != NULL && pl_x509_chain_info(chain, 0, &info) == PL_OK);
	CHECK_MSG(strcmp(info.subject, "CN=localhost, O=padlock development "
				       "certificate") == 0, "%s", info.subject);
	CHECK(!info.is_ca);
	CHECK_MSG(strcmp(info.names, "localhost, 127.0.0.1, ::1, myapp.test, "
				     "*.wild.test") == 0, "%s", info.names);
	pl_pkey_free(key);
	pl_x509_chain_free(chain);
	pl_x509_ca_free(ca);
}

static void reissuing_replaces_both_files(void)
{
	static const char *const names[] = { "a.test", "a.test", "A.TEST" };
	pl_x509_san_t sans[3];
	pl_x509_issued_t first, second;
	pl_x509_info_t info;
	pl_x509_chain_t *chain;
	pl_x509_ca_t *ca = open_ca(at("leafca"), NULL);

	if (ca == NULL)
		return;
	sans_of(sans, names, 3);
	CHECK(pl_x509_ca_issue(ca, sans, 3, time(NULL), at("re.pem"),
			       at("re-key.pem"), &first, err, sizeof(err)) == PL_OK);
	CHECK(pl_x509_ca_issue(ca, sans, 1, time(NULL), at("re.pem"),
			       at("re-key.pem"), &second, err, sizeof(err)) == PL_OK);
	CHECK(second.replaced);
	CHECK(strcmp(first.serial, second.serial) != 0);
	CHECK_EQ_INT(mode_of(at("re-key.pem")), 0600);
	chain = pl_x509_chain_load_pem(at("re.pem"), err, sizeof(err));
	CHECK(chain != NULL && pl_x509_chain_info(chain, 0, &info) == PL_OK);
	/* Repeated names are written once. */
	CHECK_MSG(strcmp(info.names, "a.test") == 0, "%s", info.names);
	pl_x509_chain_free(chain);
	pl_x509_ca_free(ca);
}

static void failed_issue_leaves_nothing_behind(void)
{
	static const char *const names[] = { "localhost" };
	pl_x509_san_t sans[1];
	pl_x509_issued_t issued;
	pl_x509_ca_t *ca = open_ca(at("leafca"), NULL);
	int before;

	if (ca == NULL)
		return;
	sans_of(sans, names, 1);
	/* The key's directory does not exist. */
	CHECK(pl_x509_ca_issue(ca, sans, 1, time(NULL), at("out.pem"),
			       at("nodir/out-key.pem"), &issued, err,
			       sizeof(err)) == PL_ERR_IO);
	CHECK_MSG(strstr(err, "nodir/out-key.pem") != NULL, "%s", err);
	CHECK(!exists(at("out.pem")));

	/* The certificate's name is taken by a directory: neither file is
	 * put in place, and no temporary file stays. */
	CHECK(mkdir(at("busy"), 0700) == 0);
	CHECK(mkdir(at("busy/x.pem"), 0700) == 0);
	before = entries(at("busy"));
	CHECK(pl_x509_ca_issue(ca, sans, 1, time(NULL), at("busy/x.pem"),
			       at("busy/x-key.pem"), &issued, err,
			       sizeof(err)) != PL_OK);
	CHECK_MSG(strstr(err, "is a directory") != NULL, "%s", err);
	CHECK_EQ_INT(entries(at("busy")), before);
	CHECK(!exists(at("busy/x-key.pem")));

	CHECK(pl_x509_ca_issue(ca, sans, 0, time(NULL), at("z.pem"),
			       at("z-key.pem"), &issued, err, sizeof(err)) ==
	      PL_ERR_ARG);
	pl_x509_ca_free(ca);
}

static void leaves_never_outlive_the_ca_and_an_expired_ca_refuses(void)
{
	static const char *const names[] = { "late.test" };
	pl_x509_san_t sans[1];
	pl_x509_issued_t issued;
	pl_x509_info_t info;
	pl_x509_ca_t *ca = open_ca(at("leafca"), NULL);

	if (ca == NULL)
		return;
	sans_of(sans, names, 1);
	CHECK(pl_x509_chain_info(pl_x509_ca_chain(ca), 0, &info) == PL_OK);
	CHECK(pl_x509_ca_issue(ca, sans, 1, info.not_after - 10 * DAY,
			       at("late.pem"), at("late-key.pem"), &issued, err,
			       sizeof(err)) == PL_OK);
	CHECK(issued.not_after == info.not_after);
	CHECK(pl_x509_ca_issue(ca, sans, 1, info.not_after + 1, at("late.pem"),
			       at("late-key.pem"), &issued, err,
			       sizeof(err)) == PL_ERR_CERT);
	CHECK_MSG(strstr(err, "expired on") != NULL, "%s", err);
	pl_x509_ca_free(ca);
}

static void discard_removes_a_ca_made_just_now_only(void)
{
	pl_x509_ca_t *ca;
	bool created = false;

	CHECK(mkdir(at("keep"), 0700) == 0);
	ca = open_ca(at("keep/new/ca"), &created);
	CHECK(created);
	pl_x509_ca_discard(ca);
	CHECK(!exists(at("keep/new")));
	CHECK(exists(at("keep")));

	/* A CA that was there before stays. */
	ca = open_ca(at("leafca"), &created);
	CHECK(!created);
	pl_x509_ca_discard(ca);
	CHECK(pl_x509_ca_exists(at("leafca")));
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (tmp[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/padlock-ca-test-XXXXXX");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	atexit(cleanup);
	RUN(ca_is_made_once_with_private_modes);
	RUN(opening_without_create_refuses_a_missing_or_broken_ca);
	RUN(leaf_verifies_for_its_names_and_matches_its_key);
	RUN(reissuing_replaces_both_files);
	RUN(failed_issue_leaves_nothing_behind);
	RUN(leaves_never_outlive_the_ca_and_an_expired_ca_refuses);
	RUN(discard_removes_a_ca_made_just_now_only);
	RUN(default_dir_follows_the_environment);
	return test_finish();
}
