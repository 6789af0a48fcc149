/*
 * The ACME state directory (--state-dir):
 *
 *   DIR/CA-HOST[-PORT]/account-key.pem           the account key, 0600
 *   DIR/CA-HOST[-PORT]/NAME/fullchain.pem        leaf first, as the CA sent it
 *   DIR/CA-HOST[-PORT]/NAME/key.pem              its key, 0600
 *
 * One subdirectory per CA, so that an account or a certificate of the
 * staging CA is never taken for production's. NAME is the site's first
 * name ("_wildcard" for a leading "*"). Files are replaced whole
 * (src/x509/acme.c): a reader sees the old pair or the new one.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "padlock/client.h"
#include "padlock/x509.h"
#include "server/acme/acme.h"

int pl_acme_state_dir(const char *given, char *out, size_t cap, char *err,
		      size_t err_len)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	struct passwd *pw;
	int n;

	if (given != NULL)
		n = snprintf(out, cap, "%s", given);
	else if (geteuid() == 0)
		n = snprintf(out, cap, "/var/lib/padlock/acme");
	else if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, cap, "%s/padlock/acme", xdg);
	else if ((home != NULL && home[0] == '/') ||
		 ((pw = getpwuid(geteuid())) != NULL && (home = pw->pw_dir) != NULL))
		n = snprintf(out, cap, "%s/.local/share/padlock/acme", home);
	else
		return pl_acme_say(err, err_len, PL_ERR_ARG, "no HOME to keep the ACME state "
				"in: give --state-dir");
	if (n < 0 || (size_t)n >= cap)
		return pl_acme_say(err, err_len, PL_ERR_ARG, "the ACME state directory's name "
				"is too long");
	return PL_OK;
}

/* mkdir -p with mode 0700 for what it creates. */
static int make_dirs(const char *path)
{
	char p[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof p)
		return ENAMETOOLONG;
	memcpy(p, path, n + 1);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return errno;
		*s = '/';
	}
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		return errno;
	return 0;
}

int pl_acme_state_prepare(const char *dir, char *err, size_t err_len)
{
	int e = make_dirs(dir);

	if (e == 0 && access(dir, W_OK | X_OK) != 0)
		e = errno;
	if (e != 0)
		return pl_acme_say(err, err_len, PL_ERR_IO,
				"the ACME state directory %s is not writable "
				"(%s): give --state-dir a directory this user "
				"can write, or start padlock as root",
				dir, strerror(e));
	return PL_OK;
}

int pl_acme_ca_dir(const char *state, const char *directory_url, char *out,
		   size_t cap)
{
	pl_client_url_t url;
	char why[160];
	int n;

	if (pl_client_parse_url(directory_url, &url, why, sizeof why) != PL_OK)
		return PL_ERR_ARG;
	/* ':' of an IPv6 literal is fine in a file name; '/' cannot occur */
	n = url.port == 443 ? snprintf(out, cap, "%s/%s", state, url.host)
			    : snprintf(out, cap, "%s/%s-%u", state, url.host,
				       (unsigned)url.port);
	return n > 0 && (size_t)n < cap ? PL_OK : PL_ERR_ARG;
}

int pl_acme_cert_paths(const char *ca_dir, const char *first_name,
		       char *chain, char *key, size_t cap)
{
	const char *name = first_name;
	char dir[PATH_MAX];
	int n;

	if (strncmp(name, "*.", 2) == 0) {
		n = snprintf(dir, sizeof dir, "%s/_wildcard.%s", ca_dir, name + 2);
	} else {
		n = snprintf(dir, sizeof dir, "%s/%s", ca_dir, name);
	}
	if (n < 0 || (size_t)n >= sizeof dir || strchr(name, '/') != NULL ||
	    name[0] == '.')
		return PL_ERR_ARG;
	n = snprintf(chain, cap, "%s/fullchain.pem", dir);
	if (n < 0 || (size_t)n >= cap)
		return PL_ERR_ARG;
	n = snprintf(key, cap, "%s/key.pem", dir);
	return n > 0 && (size_t)n < cap ? PL_OK : PL_ERR_ARG;
}

pl_pkey_t *pl_acme_account_key(const char *ca_dir, bool *created, char *err,
			       size_t err_len)
{
	char path[PATH_MAX + 32];
	pl_pkey_t *k;
	int e;

	*created = false;
	snprintf(path, sizeof path, "%s/account-key.pem", ca_dir);
	if (access(path, F_OK) == 0) {
		k = pl_x509_key_load_pem(path, err, err_len);
		if (k != NULL && pl_pkey_kind(k) != PL_PKEY_EC_P256) {
			snprintf(err, err_len, "%s is not an ECDSA P-256 key", path);
			pl_pkey_free(k);
			k = NULL;
		}
		return k;
	}
	if ((e = make_dirs(ca_dir)) != 0) {
		snprintf(err, err_len, "cannot make %s: %s", ca_dir, strerror(e));
		return NULL;
	}
	/* made once: the CA knows the account by this key */
	k = pl_pkey_generate(PL_PKEY_EC_P256, 0);
	if (k == NULL) {
		snprintf(err, err_len, "cannot generate an account key");
		return NULL;
	}
	if (pl_x509_save_key_and_chain(path, k, NULL, NULL, 0, err, err_len) != PL_OK) {
		pl_pkey_free(k);
		return NULL;
	}
	*created = true;
	return k;
}

int pl_acme_store(const char *chain_path, const char *key_path,
		  const pl_acme_result_t *r, char *err, size_t err_len)
{
	char dir[PATH_MAX];
	char *slash;
	int e;

	snprintf(dir, sizeof dir, "%s", chain_path);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	if ((e = make_dirs(dir)) != 0)
		return pl_acme_say(err, err_len, PL_ERR_IO, "cannot make %s: %s", dir,
				strerror(e));
	return pl_x509_save_key_and_chain(key_path, r->key, chain_path,
					  r->chain_pem, r->chain_len, err, err_len);
}

int pl_acme_stored(const char *chain_path, const char *key_path,
		   const char *const *names, size_t n_names, int renew_percent,
		   time_t now, pl_acme_stored_t *out)
{
	pl_x509_chain_t *chain;
	pl_pkey_t *key = NULL;
	char why[256];
	int rc = PL_ERR_CERT;

	memset(out, 0, sizeof *out);
	if (access(chain_path, F_OK) != 0)
		return PL_ERR_IO;
	chain = pl_x509_chain_load_pem(chain_path, why, sizeof why);
	if (chain != NULL)
		key = pl_x509_key_load_pem(key_path, why, sizeof why);
	if (chain == NULL || key == NULL || !pl_x509_key_matches(chain, key) ||
	    pl_x509_chain_info(chain, 0, &out->leaf) != PL_OK)
		goto out;
	out->usable = now >= out->leaf.not_before && now < out->leaf.not_after;
	for (size_t i = 0; i < n_names; i++)
		out->usable = out->usable && pl_x509_chain_covers(chain, names[i]);
	/* renew at renew_percent of the lifetime: two thirds by default, so
	 * that a 90-day certificate is renewed with 30 days left */
	out->renew_at = out->leaf.not_before +
			(time_t)((double)(out->leaf.not_after - out->leaf.not_before) *
				 renew_percent / 100.0);
	if (pl_x509_acme_cert_id(chain, out->cert_id, sizeof out->cert_id) != PL_OK)
		out->cert_id[0] = '\0';
	if (pl_x509_chain_count(chain) > 1 &&
	    pl_x509_chain_info(chain, 1, &out->issuer) != PL_OK)
		memset(&out->issuer, 0, sizeof out->issuer);
	rc = out->usable ? PL_OK : PL_ERR_CERT;
out:
	pl_pkey_free(key);
	pl_x509_chain_free(chain);
	return rc;
}
