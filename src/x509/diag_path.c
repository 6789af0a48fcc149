/*
 * The path the diagnostics judge: from the server's certificate, issuer by
 * issuer, to a trust anchor. Issuers come from the chain file first (what
 * clients get), then from the trust store (what this machine happens to
 * have), then from the directory of extra intermediates (where a fix may
 * be found). RFC 5280 6.1 calls this path building; libcrypto's own
 * builder stops at the first failure, where a diagnosis has to go on and
 * say what is missing and where it is.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "x509/diagnose_internal.h"

/* A directory of intermediates is small; the cap keeps a wrong path
 * (/usr, /) from reading for minutes. */
#define EXTRA_FILES_MAX 1000

static bool is_ca(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
}

/* Self-signed: issued by itself and signed by its own key (a root). */
static bool is_self_signed(X509 *x)
{
	bool yes = X509_self_signed(x, 1) == 1;

	ERR_clear_error();
	return yes;
}

/* True when issuer could have issued x: names and key identifiers agree
 * (RFC 5280 4.2.1.1). A missing keyCertSign usage does not stop it here:
 * such a chain is still the path, and verification says what is wrong. */
static bool may_issue(X509 *issuer, X509 *x)
{
	int rc = X509_check_issued(issuer, x);

	return rc == X509_V_OK || rc == X509_V_ERR_KEYUSAGE_NO_CERTSIGN;
}

/* True when issuer's key verifies x's signature. */
static bool signs(X509 *issuer, X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(issuer);
	bool yes = pk != NULL && X509_verify(x, pk) == 1;

	ERR_clear_error();
	return yes;
}

/* True when x is valid at time now. */
static bool valid_at(X509 *x, time_t now)
{
	return X509_cmp_time(X509_get0_notBefore(x), &now) < 0 &&
	       X509_cmp_time(X509_get0_notAfter(x), &now) > 0;
}

/* How good a candidate issuer of x is: it must may_issue; a verifying
 * signature counts most, then being valid now. 0: not an issuer. */
static int issuer_score(X509 *issuer, X509 *x, time_t now)
{
	if (!may_issue(issuer, x))
		return 0;
	return 1 + (signs(issuer, x) ? 2 : 0) + (valid_at(issuer, now) ? 1 : 0);
}

static bool on_path(const pl_x509_diag_t *d, X509 *x)
{
	size_t i;

	for (i = 0; i < d->path_len; i++)
		if (X509_cmp(d->path[i].x509, x) == 0)
			return true;
	return false;
}

static void push(pl_x509_diag_t *d, X509 *x, int index, const char *where,
		 bool in_bundle, bool from_store)
{
	pl_x509_diag_node_t *n = &d->path[d->path_len++];

	n->x509 = x;
	n->index = index;
	n->where = where;
	n->in_bundle = in_bundle;
	n->from_store = from_store;
	n->self_signed = is_self_signed(x);
	if (index >= 0)
		d->on_path[index] = true;
}

/* ---- the chain itself ------------------------------------------------------ */

/* True when a CA of the chain could have issued x. */
static bool issued_in_chain(const pl_x509_chain_t *c, X509 *x)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		if (c->entries[i].x509 != x && is_ca(c->entries[i].x509) &&
		    may_issue(c->entries[i].x509, x))
			return true;
	return false;
}

/* The server's certificate: the first one, unless the file starts with a
 * CA and a certificate that is not a CA, issued by a CA of the file,
 * follows (the leaf put last: the most common ordering mistake). */
static size_t find_leaf(const pl_x509_chain_t *c)
{
	size_t i;

	if (!is_ca(c->entries[0].x509))
		return 0;
	for (i = 1; i < c->count; i++)
		if (!is_ca(c->entries[i].x509) &&
		    issued_in_chain(c, c->entries[i].x509))
			return i;
	return 0;
}

static bool same_der(const pl_x509_entry_t *a, const pl_x509_entry_t *b)
{
	return a->der_len == b->der_len &&
	       memcmp(a->der, b->der, a->der_len) == 0;
}

static void find_duplicates(pl_x509_diag_t *d)
{
	const pl_x509_chain_t *c = d->chain;
	size_t i, j;

	for (i = 1; i < c->count; i++)
		for (j = 0; j < i && !d->duplicate[i]; j++)
			d->duplicate[i] = same_der(&c->entries[i],
						   &c->entries[j]);
}

/* The best issuer of x among the chain's certificates not yet used; -1 when
 * there is none. */
static int chain_issuer(const pl_x509_diag_t *d, X509 *x)
{
	const pl_x509_chain_t *c = d->chain;
	int best = -1, best_score = 0, score;
	size_t i;

	for (i = 0; i < c->count; i++) {
		if (d->on_path[i] || d->duplicate[i])
			continue;
		score = issuer_score(c->entries[i].x509, x, d->opts->now);
		if (score > best_score) {
			best = (int)i;
			best_score = score;
		}
	}
	return best;
}

/* ---- the trust store --------------------------------------------------------- */

/* A certificate of the store with x's subject and key (and self-signed
 * when root_only), with a reference the caller drops; NULL when none. */
static X509 *store_twin(pl_x509_diag_t *d, X509 *x, bool root_only)
{
	STACK_OF(X509) *certs;
	EVP_PKEY *key = X509_get0_pubkey(x);
	X509 *found = NULL;
	int i;

	certs = X509_STORE_CTX_get1_certs(d->store_ctx,
					  X509_get_subject_name(x));
	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++) {
		X509 *y = sk_X509_value(certs, i);

		if (key == NULL || EVP_PKEY_eq(X509_get0_pubkey(y), key) != 1)
			continue;
		if (root_only && !is_self_signed(y))
			continue;
		if (X509_up_ref(y) == 1)
			found = y;
		break;
	}
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return found;
}

bool pl_x509_diag_store_has(pl_x509_diag_t *d, X509 *x)
{
	X509 *twin = store_twin(d, x, false);

	X509_free(twin);
	return twin != NULL;
}

/* Adds x (taking the reference) to the extras; NULL when out of memory. */
static pl_x509_extra_t *add_extra(pl_x509_diag_t *d, X509 *x, char *where,
				  bool in_bundle, bool from_store)
{
	pl_x509_extra_t *e;

	if (d->extra_count == d->extra_cap) {
		size_t cap = d->extra_cap == 0 ? 16 : d->extra_cap * 2;

		e = realloc(d->extras, cap * sizeof(*e));
		if (e == NULL) {
			X509_free(x);
			free(where);
			return NULL;
		}
		d->extras = e;
		d->extra_cap = cap;
	}
	e = &d->extras[d->extra_count++];
	e->x509 = x;
	e->where = where;
	e->in_bundle = in_bundle;
	e->from_store = from_store;
	return e;
}

/* x's file in the hashed directory dir ("c_rehash" names: the subject's
 * hash, a dot, a counter), as a path without symbolic links; NULL when it
 * is not there. */
static char *find_in_hashed_dir(const char *dir, X509 *x)
{
	char path[PATH_MAX], real[PATH_MAX];
	unsigned long hash;
	int ok = 0, n;

	hash = X509_NAME_hash_ex(X509_get_subject_name(x), NULL, NULL, &ok);
	if (!ok) {
		ERR_clear_error();
		return NULL;
	}
	for (n = 0; n < 16; n++) {
		X509 *y = NULL;
		FILE *f;
		bool same;

		snprintf(path, sizeof(path), "%s/%08lx.%d", dir, hash, n);
		f = fopen(path, "r");
		if (f == NULL)
			return NULL;
		y = PEM_read_X509(f, NULL, pl_x509_no_password, NULL);
		fclose(f);
		same = y != NULL && X509_cmp(x, y) == 0;
		X509_free(y);
		ERR_clear_error();
		if (same && realpath(path, real) != NULL)
			return strdup(real);
		if (same)
			return strdup(path);
	}
	return NULL;
}

/* Which file of the store x (a certificate the store found) is in; NULL
 * when no one file can be named. *in_bundle says the file holds other
 * certificates too (a CA bundle). */
static char *store_file_of(const pl_x509_diag_t *d, X509 *x, bool *in_bundle)
{
	const pl_x509_store_t *s = d->opts->store;
	const char *dir = NULL;
	char *where = NULL;

	*in_bundle = false;
	if (s->ca_path != NULL)
		dir = s->ca_path;
	else if (s->system)
		dir = getenv(X509_get_default_cert_dir_env()) != NULL ?
			      getenv(X509_get_default_cert_dir_env()) :
			      X509_get_default_cert_dir();
	/* SSL_CERT_DIR may list several directories; only a single one is
	 * searched here, which is what Debian has. */
	if (dir != NULL && strchr(dir, ':') == NULL)
		where = find_in_hashed_dir(dir, x);
	if (where == NULL && s->ca_file != NULL) {
		*in_bundle = true;
		where = strdup(s->ca_file);
	}
	return where;
}

/* The issuer of x in the trust store, with a reference the caller drops;
 * NULL when the store has none. */
static X509 *store_issuer(pl_x509_diag_t *d, X509 *x)
{
	X509 *issuer = NULL;

	if (X509_STORE_CTX_get1_issuer(&issuer, d->store_ctx, x) != 1)
		issuer = NULL;
	ERR_clear_error();
	return issuer;
}

/* ---- the directory of extra intermediates ----------------------------------- */

/* Adds every certificate of the file at path (PEM, or one DER
 * certificate) to the extras. Files that hold none are skipped. */
static int load_extra_file(pl_x509_diag_t *d, const char *path)
{
	STACK_OF(X509) *certs = sk_X509_new_null();
	uint8_t *data = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	X509 *x;
	int rc = PL_ERR_NOMEM, n, i;

	if (certs == NULL)
		goto out;
	rc = PL_OK;
	if (pl_x509_read_file(path, &data, &len, NULL, 0) != PL_OK)
		goto out; /* unreadable: not where an intermediate is */
	rc = PL_ERR_NOMEM;
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio == NULL)
		goto out;
	while ((x = PEM_read_bio_X509(bio, NULL, pl_x509_no_password, NULL)) !=
	       NULL) {
		if (sk_X509_push(certs, x) <= 0) {
			X509_free(x);
			goto out;
		}
	}
	if (sk_X509_num(certs) == 0) {
		const unsigned char *p = data;

		x = d2i_X509(NULL, &p, (long)len);
		if (x != NULL && sk_X509_push(certs, x) <= 0) {
			X509_free(x);
			goto out;
		}
	}
	n = sk_X509_num(certs);
	for (i = 0; i < n; i++) {
		char *where = strdup(path);

		if (where == NULL ||
		    add_extra(d, sk_X509_shift(certs), where, n > 1,
			      false) == NULL)
			goto out;
	}
	rc = PL_OK;
out:
	sk_X509_pop_free(certs, X509_free);
	BIO_free(bio);
	OPENSSL_free(data);
	ERR_clear_error();
	return rc;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir, sorted (so that results do not depend on the
 * order readdir happens to give). */
static int list_files(const char *dir, char ***out, size_t *count, char *err,
		      size_t err_len)
{
	char path[PATH_MAX], ebuf[128];
	struct dirent *e;
	struct stat st;
	char **names = NULL, **grown;
	size_t n = 0;
	DIR *dp = opendir(dir);
	int rc = PL_ERR_NOMEM;

	if (dp == NULL) {
		pl_x509_set_err(err, err_len, "%s: %s", dir,
				strerror_r(errno, ebuf, sizeof(ebuf)));
		return PL_ERR_IO;
	}
	while ((e = readdir(dp)) != NULL && n < EXTRA_FILES_MAX) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (grown == NULL)
			goto out;
		names = grown;
		names[n] = strdup(path);
		if (names[n] == NULL)
			goto out;
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), compare_names);
	*out = names;
	*count = n;
	names = NULL;
	rc = PL_OK;
out:
	if (rc != PL_OK)
		pl_x509_set_err(err, err_len, "%s: out of memory", dir);
	while (names != NULL && n > 0)
		free(names[--n]);
	free(names);
	closedir(dp);
	return rc;
}

static int load_extras_dir(pl_x509_diag_t *d, const char *dir, char *err,
			   size_t err_len)
{
	char **files = NULL;
	size_t count = 0, i;
	int rc;

	rc = list_files(dir, &files, &count, err, err_len);
	for (i = 0; i < count; i++) {
		if (rc == PL_OK)
			rc = load_extra_file(d, files[i]);
		free(files[i]);
	}
	free(files);
	if (rc == PL_ERR_NOMEM)
		pl_x509_set_err(err, err_len, "%s: out of memory", dir);
	return rc;
}

/* The best issuer of x among the extras, not already on the path. */
static const pl_x509_extra_t *extra_issuer(const pl_x509_diag_t *d, X509 *x)
{
	const pl_x509_extra_t *best = NULL;
	int best_score = 0, score;
	size_t i;

	for (i = 0; i < d->extra_count; i++) {
		const pl_x509_extra_t *e = &d->extras[i];

		if (e->from_store || on_path(d, e->x509))
			continue;
		score = issuer_score(e->x509, x, d->opts->now);
		if (score > best_score) {
			best = e;
			best_score = score;
		}
	}
	return best;
}

/* ---- the walk ------------------------------------------------------------------- */

/* When the chain verifies, the diagnosis describes the path the
 * verification accepted, not another it might find (an expired
 * cross-certificate beside a valid root). True when it decided the step;
 * *more then says whether the path goes on. */
static bool follow_accepted(pl_x509_diag_t *d, bool *more)
{
	const pl_x509_path_t *p = &d->accepted;
	size_t k = d->path_len, i;
	X509 *next;

	if (p->len == 0 || k > p->len ||
	    X509_cmp(d->path[k - 1].x509, p->cert[k - 1]) != 0)
		return false;
	*more = false;
	d->end = PL_X509_END_TRUSTED;
	if (k == p->len)
		return true; /* the anchor itself is in the chain */
	next = p->cert[k];
	for (i = 0; i < d->chain->count; i++) {
		if (d->on_path[i] || d->duplicate[i] ||
		    X509_cmp(d->chain->entries[i].x509, next) != 0)
			continue;
		push(d, d->chain->entries[i].x509, (int)i, NULL, false, false);
		*more = true;
		return true;
	}
	if (k + 1 == p->len && is_self_signed(next) &&
	    X509_up_ref(next) == 1) {
		d->anchor = next; /* the store's root, not sent */
		return true;
	}
	/* An intermediate of the store: trusted here, but other clients
	 * may lack it (chain.missing-intermediate); the walk goes on. */
	d->end = PL_X509_END_NO_ISSUER;
	return false;
}

/* One step from the top of the path: pushes the issuer of the top and
 * returns true, or sets d->end and returns false. */
static bool step(pl_x509_diag_t *d)
{
	const pl_x509_diag_node_t *top = &d->path[d->path_len - 1];
	const pl_x509_extra_t *extra;
	X509 *x = top->x509, *issuer;
	bool in_bundle, more;
	int k;

	if (follow_accepted(d, &more))
		return more;
	if (top->self_signed) {
		d->end = pl_x509_diag_store_has(d, x) ?
				 PL_X509_END_TRUSTED :
				 PL_X509_END_UNTRUSTED_ROOT;
		return false;
	}
	/* A CA the store trusts as a root under the same name and key (a
	 * cross-signed root): clients that trust it need nothing above it. */
	if (d->path_len > 1 && (d->anchor = store_twin(d, x, true)) != NULL) {
		d->end = PL_X509_END_TRUSTED;
		return false;
	}
	k = chain_issuer(d, x);
	if (k >= 0) {
		push(d, d->chain->entries[k].x509, k, NULL, false, false);
		return true;
	}
	issuer = store_issuer(d, x);
	if (issuer != NULL && on_path(d, issuer)) {
		X509_free(issuer);
		issuer = NULL;
	}
	if (issuer != NULL && is_self_signed(issuer)) {
		d->anchor = issuer;
		d->end = PL_X509_END_TRUSTED;
		return false;
	}
	if (issuer != NULL) {
		/* An intermediate this machine has but clients may not. */
		char *where = store_file_of(d, issuer, &in_bundle);

		extra = add_extra(d, issuer, where, in_bundle, true);
		if (extra == NULL) {
			d->out_of_memory = true;
			return false;
		}
		push(d, extra->x509, -1, extra->where, extra->in_bundle, true);
		return true;
	}
	extra = extra_issuer(d, x);
	if (extra != NULL) {
		push(d, extra->x509, -1, extra->where, extra->in_bundle, false);
		return true;
	}
	d->end = PL_X509_END_NO_ISSUER;
	return false;
}

int pl_x509_diag_build_path(pl_x509_diag_t *d, char *err, size_t err_len)
{
	const pl_x509_chain_t *c = d->chain;
	int rc;

	d->duplicate = calloc(c->count, sizeof(bool));
	d->on_path = calloc(c->count, sizeof(bool));
	if (d->duplicate == NULL || d->on_path == NULL) {
		pl_x509_set_err(err, err_len, "out of memory");
		return PL_ERR_NOMEM;
	}
	if (d->opts->intermediates_dir != NULL) {
		rc = load_extras_dir(d, d->opts->intermediates_dir, err,
				     err_len);
		if (rc != PL_OK)
			return rc;
	}
	find_duplicates(d);
	d->leaf = find_leaf(c);
	push(d, c->entries[d->leaf].x509, (int)d->leaf, NULL, false, false);
	while (step(d)) {
		if (d->path_len == PL_X509_DIAG_PATH_MAX) {
			d->end = PL_X509_END_TOO_LONG;
			break;
		}
	}
	ERR_clear_error();
	if (d->out_of_memory) {
		pl_x509_set_err(err, err_len, "out of memory");
		return PL_ERR_NOMEM;
	}
	return PL_OK;
}

void pl_x509_diag_path_free(pl_x509_diag_t *d)
{
	size_t i;

	for (i = 0; i < d->extra_count; i++) {
		X509_free(d->extras[i].x509);
		free(d->extras[i].where);
	}
	free(d->extras);
	free(d->duplicate);
	free(d->on_path);
	X509_free(d->anchor);
	d->extras = NULL;
	d->duplicate = d->on_path = NULL;
	d->anchor = NULL;
}
