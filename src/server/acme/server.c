/*
 * ACME in `padlock serve`: which sites get their certificate from ACME,
 * what they serve meanwhile, and the ACME process.
 *
 * The master forks one ACME process beside its workers. It alone reads
 * the account key; it runs the orders (client.c), puts the challenges on
 * the board the workers answer from, writes each new certificate to the
 * state directory, checks it, and sends the master SIGHUP: the reload
 * path swaps it in (new workers take new connections, the old ones finish
 * theirs), so no connection is dropped. The master's resolve step
 * (pl_srv_acme_resolve, at start and every reload) points each site at
 * its stored certificate.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "server/acme/acme.h"
#include "server/server_int.h"

/* ---- options ---------------------------------------------------------------- */

#define ACME_STRINGS(X) X(ca) X(email) X(ca_root) X(eab_kid) X(eab_hmac_key) \
	X(state_dir) X(challenges)

const char *pl_srv_acme_ca(const pl_srv_options_t *o)
{
	return o->acme.ca != NULL ? o->acme.ca : PL_SRV_ACME_DEFAULT_CA;
}

void pl_srv_acme_options_free(pl_srv_acme_options_t *a)
{
	/* the MAC key is a secret */
	if (a->eab_hmac_key != NULL)
		pl_cleanse(a->eab_hmac_key, strlen(a->eab_hmac_key));
#define FREE_ONE(f) free(a->f); a->f = NULL;
	ACME_STRINGS(FREE_ONE)
#undef FREE_ONE
}

int pl_srv_acme_options_dup(pl_srv_acme_options_t *dst,
			    const pl_srv_acme_options_t *src)
{
	int ret = PL_OK;

#define DUP_ONE(f)                                                    \
	dst->f = src->f ? strdup(src->f) : NULL;                      \
	if (src->f && dst->f == NULL)                                 \
		ret = PL_ERR_NOMEM;
	ACME_STRINGS(DUP_ONE)
#undef DUP_ONE
	return ret;
}

int pl_acme_parse_challenges(const char *list, pl_acme_challenge_t prefer[2],
			    size_t *n, char *err, size_t err_len)
{
	const char *p = list != NULL ? list : "http-01,tls-alpn-01";

	*n = 0;
	for (;;) {
		size_t len = strcspn(p, ",");

		pl_acme_challenge_t c = PL_ACME_HTTP01;

		if (len == 11 && strncmp(p, "tls-alpn-01", 11) == 0)
			c = PL_ACME_TLSALPN01;
		else if (len != 7 || strncmp(p, "http-01", 7) != 0)
			return pl_acme_say(err, err_len, PL_ERR_ARG,
					   "acme-challenges: '%.*s' is not a "
					   "challenge type padlock answers "
					   "(http-01, tls-alpn-01)",
					   (int)(len < 40 ? len : 40), p);
		if (*n == 2 || (*n == 1 && prefer[0] == c))
			return pl_acme_say(err, err_len, PL_ERR_ARG,
					   "acme-challenges: '%s' names a type "
					   "twice", list);
		prefer[(*n)++] = c;
		if (p[len] == '\0')
			return PL_OK;
		p += len + 1;
	}
}

/* ---- the resolve step (master, start and reload) ---------------------------- */

size_t pl_acme_public_names(const pl_srv_site_t *s, const char **out)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_names; i++)
		if (pl_acme_publicly_issuable(s->names[i]))
			out[n++] = s->names[i];
	return n;
}

static void join(const char *const *names, size_t n, char *out, size_t cap)
{
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s",
			 i ? ", " : "", names[i]);
}

static bool set_files(pl_srv_site_t *s, const char *chain, const char *key)
{
	free(s->cert_file);
	free(s->key_file);
	s->cert_file = strdup(chain);
	s->key_file = strdup(key);
	return s->cert_file != NULL && s->key_file != NULL;
}

/* Names no public CA can issue for: the local CA, as the zero-argument
 * start does, said in one line. */
static int local_ca_site(pl_srv_site_t *s, char *err, size_t err_len)
{
	char dir[PATH_MAX], chain[PATH_MAX + 64], key[PATH_MAX + 64], names[512];
	pl_x509_san_t sans[PL_SRV_MAX_NAMES];
	pl_acme_stored_t have;
	pl_x509_issued_t issued;
	pl_x509_ca_t *ca = NULL;
	time_t now = time(NULL);
	bool created = false;
	int rc;

	rc = pl_x509_ca_default_dir(dir, sizeof dir, err, err_len);
	if (rc != PL_OK)
		return rc;
	/* beside the zero-argument start's localhost.pem */
	snprintf(chain, sizeof chain, "%s/site-%s%s.pem", dir,
		 s->names[0][0] == '*' ? "_wildcard" : "",
		 s->names[0] + (s->names[0][0] == '*'));
	snprintf(key, sizeof key, "%.*s-key.pem", (int)(strlen(chain) - 4), chain);
	join((const char *const *)s->names, s->n_names, names, sizeof names);
	if (pl_acme_stored(chain, key, (const char *const *)s->names, s->n_names,
			   100, now, &have) == PL_OK &&
	    have.leaf.not_after - now > 30 * 86400)
		return set_files(s, chain, key) ? PL_OK : PL_ERR_NOMEM;
	for (size_t i = 0; i < s->n_names; i++)
		if ((rc = pl_x509_san_parse(s->names[i], &sans[i], err, err_len)))
			return rc;
	rc = pl_x509_ca_open(dir, true, now, &ca, &created, err, err_len);
	if (rc == PL_OK)
		rc = pl_x509_ca_issue(ca, sans, s->n_names, now, chain, key,
				      &issued, err, err_len);
	pl_x509_ca_free(ca);
	if (rc != PL_OK)
		return rc;
	pl_srv_log(PL_SRV_LOG_INFO,
		   "site %s: a public CA cannot issue for %s (this machine, a "
		   "private network or a reserved name): certificate from the "
		   "local CA in %s%s", s->names[0], names, dir,
		   created ? " (new CA: run 'padlock cert --install' so "
			     "browsers trust it)" : "");
	return set_files(s, chain, key) ? PL_OK : PL_ERR_NOMEM;
}

static int acme_site(const pl_srv_options_t *o, pl_srv_site_t *s,
		     const char *ca_dir, char *err, size_t err_len)
{
	const char *names[PL_SRV_MAX_NAMES];
	char chain[PATH_MAX + 64], key[PATH_MAX + 64], list[512];
	size_t n = pl_acme_public_names(s, names);
	pl_acme_stored_t have;
	int rc;

	join(names, n, list, sizeof list);
	if (n < s->n_names) {
		const char *local[PL_SRV_MAX_NAMES];
		char left[512];
		size_t n_local = 0;

		for (size_t i = 0; i < s->n_names; i++)
			if (!pl_acme_publicly_issuable(s->names[i]))
				local[n_local++] = s->names[i];
		join(local, n_local, left, sizeof left);
		pl_srv_log(PL_SRV_LOG_WARN,
			   "site %s: %s will not be covered: a public CA "
			   "cannot issue for them, and the local CA serves "
			   "only sites whose names are all local, so only %s "
			   "go on its ACME certificate. Fix: give %s a site "
			   "block of its own", s->names[0], left, list, left);
	}
	rc = pl_acme_cert_paths(ca_dir, names[0], chain, key, sizeof chain);
	if (rc != PL_OK)
		return pl_acme_say(err, err_len, rc, "site %s: its name cannot "
				   "be a file name in the state directory",
				   names[0]);
	if (pl_acme_stored(chain, key, names, n, o->acme.renew_percent,
			   time(NULL), &have) == PL_OK)
		return set_files(s, chain, key) ? PL_OK : PL_ERR_NOMEM;
	/* a name added to the site: the stored certificate keeps serving
	 * the names it covers while the ACME process orders one for all */
	if (pl_acme_stored(chain, key, names, 1, o->acme.renew_percent,
			   time(NULL), &have) == PL_OK) {
		pl_srv_log(PL_SRV_LOG_WARN,
			   "site %s: the stored certificate covers %s, not all "
			   "of %s: it serves those names while the ACME process "
			   "gets a new one from %s; HTTPS for the others is "
			   "refused until then", s->names[0], have.leaf.names,
			   list, pl_srv_acme_ca(o));
		return set_files(s, chain, key) ? PL_OK : PL_ERR_NOMEM;
	}
	pl_srv_log(PL_SRV_LOG_WARN,
		   "site %s: no certificate yet; the ACME process is getting "
		   "one for %s from %s, and HTTPS for it is refused until then",
		   s->names[0], list, pl_srv_acme_ca(o));
	return PL_OK;
}

int pl_srv_acme_resolve(pl_srv_options_t *o, char *err, size_t err_len)
{
	char state[PATH_MAX], ca_dir[PATH_MAX + 300];
	pl_acme_challenge_t prefer[2];
	const char *names[PL_SRV_MAX_NAMES];
	bool any = false;
	size_t n;
	int rc;

	for (size_t i = 0; i < o->n_sites; i++)
		any = any || (o->sites[i].acme &&
			      pl_acme_public_names(&o->sites[i], names) > 0);
	if (any) {
		rc = pl_acme_parse_challenges(o->acme.challenges, prefer, &n, err, err_len);
		if (rc == PL_OK)
			rc = pl_acme_state_dir(o->acme.state_dir, state,
					       sizeof state, err, err_len);
		if (rc == PL_OK)
			rc = pl_acme_state_prepare(state, err, err_len);
		if (rc == PL_OK && pl_acme_ca_dir(state, pl_srv_acme_ca(o), ca_dir,
						  sizeof ca_dir) != PL_OK)
			rc = pl_acme_say(err, err_len, PL_ERR_ARG,
					 "--acme-ca %s is not an https:// URL",
					 pl_srv_acme_ca(o));
		if (rc != PL_OK)
			return rc;
	}
	for (size_t i = 0; i < o->n_sites; i++) {
		pl_srv_site_t *s = &o->sites[i];

		if (!s->acme || s->n_names == 0)
			continue;
		rc = pl_acme_public_names(s, names) == 0
			     ? local_ca_site(s, err, err_len)
			     : acme_site(o, s, ca_dir, err, err_len);
		if (rc != PL_OK)
			return rc;
	}
	return PL_OK;
}

void pl_srv_acme_status(const pl_srv_options_t *o, const pl_srv_site_t *s,
			FILE *out)
{
	const char *names[PL_SRV_MAX_NAMES];
	size_t n = pl_acme_public_names(s, names);
	pl_acme_stored_t have;
	char list[512], expires[32], renew[32];
	struct tm tm;

	join(names, n, list, sizeof list);
	if (s->cert_file == NULL ||
	    pl_acme_stored(s->cert_file, s->key_file, n ? names : NULL, n,
			   (int)o->acme.renew_percent, time(NULL), &have) != PL_OK) {
		fprintf(out, "ok: site %s: no certificate yet: the ACME process "
			"will get one for %s from %s\n", s->names[0], list,
			pl_srv_acme_ca(o));
		return;
	}
	gmtime_r(&have.leaf.not_after, &tm);
	strftime(expires, sizeof expires, "%Y-%m-%d", &tm);
	gmtime_r(&have.renew_at, &tm);
	strftime(renew, sizeof renew, "%Y-%m-%d", &tm);
	fprintf(out, "ok: site %s: %s, for %s, from %s, expires %s, renewal "
		"from %s\n", s->names[0], s->cert_file, have.leaf.names,
		have.issuer.subject[0] ? have.issuer.subject : have.leaf.issuer,
		expires, renew);
}
