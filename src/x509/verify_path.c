/*
 * Path building for the verification: every path from the leaf to a
 * trust anchor, best first, depth first with backtracking (RFC 4158), so
 * that an expired or refused branch (the "chain of pain": an expired
 * cross-certificate beside a valid root) does not hide a good one. The
 * try function validates each complete path; the search ends at the first
 * path it accepts. Cycles of cross-signatures end because a certificate
 * (its subject and key) appears at most once in a path, and the search is
 * bounded in steps and complete paths.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "x509/x509_internal.h"

/* Bounds of one search: a real chain needs a handful of steps; a cycle or
 * a hostile bundle of cross-certificates is cut here. */
#define STEPS_MAX 256
#define PATHS_MAX 32
/* The most issuers considered for one certificate. */
#define CANDIDATES_MAX 16

typedef struct {
	X509 *x509;      /* borrowed (chain) or held by the search's pool */
	bool anchor;     /* from the trust store */
	int rank;        /* higher is tried first */
} candidate_t;

typedef struct {
	const pl_x509_store_t *s;
	const pl_x509_chain_t *c;
	time_t now;
	X509_STORE_CTX *lookup;  /* for reading the store */
	STACK_OF(X509) *pool;    /* store certificates found, held */
	pl_x509_path_try_fn try_path;
	void *arg;
	pl_x509_search_t *search;
	size_t steps;
	bool stop, out_of_memory;
	X509 *path[PL_X509_MAX_DEPTH_LIMIT];
} search_t;

/* The same certificate for path purposes: subject and public key (RFC
 * 5280 6.1: a trust anchor is a name and a key; RFC 4158 2.4.2 loops). */
static bool same_entity(X509 *a, X509 *b)
{
	EVP_PKEY *ka = X509_get0_pubkey(a), *kb = X509_get0_pubkey(b);

	return X509_NAME_cmp(X509_get_subject_name(a),
			     X509_get_subject_name(b)) == 0 &&
	       ka != NULL && kb != NULL && EVP_PKEY_eq(ka, kb) == 1;
}

static bool on_path(const search_t *se, size_t len, X509 *x)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (same_entity(se->path[i], x))
			return true;
	return false;
}

/* Keeps a reference to a store certificate for the whole search. */
static X509 *hold(search_t *se, X509 *x)
{
	if (X509_up_ref(x) != 1)
		return NULL;
	if (sk_X509_push(se->pool, x) <= 0) {
		X509_free(x);
		se->out_of_memory = true;
		return NULL;
	}
	return x;
}

/* The store's certificate with x's subject and key, held; NULL: none. */
static X509 *store_twin(search_t *se, X509 *x)
{
	STACK_OF(X509) *certs = X509_STORE_CTX_get1_certs(
		se->lookup, X509_get_subject_name(x));
	X509 *found = NULL;
	int i;

	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++)
		if (same_entity(sk_X509_value(certs, i), x)) {
			found = hold(se, sk_X509_value(certs, i));
			break;
		}
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return found;
}

/* How promising issuer is for x; below 0: not an issuer of x at all
 * (names differ). Key identifiers that agree and a key usage that allows
 * signing certificates count most, then being valid at now, then the
 * newest notBefore (as Chromium's path builder orders them). */
static int rank_issuer(const search_t *se, X509 *issuer, X509 *x)
{
	time_t now = se->now;
	int rc = X509_check_issued(issuer, x), rank = 0;

	ERR_clear_error();
	if (rc == X509_V_ERR_SUBJECT_ISSUER_MISMATCH)
		return -1;
	if (rc == X509_V_OK)
		rank += 8;
	else if (rc == X509_V_ERR_KEYUSAGE_NO_CERTSIGN)
		rank += 4;
	if (X509_cmp_time(X509_get0_notBefore(issuer), &now) <= 0 &&
	    X509_cmp_time(X509_get0_notAfter(issuer), &now) >= 0)
		rank += 2;
	return rank;
}

static void add_candidate(candidate_t *list, size_t *n, X509 *x, bool anchor,
			  int rank)
{
	size_t i;

	if (rank < 0 || *n == CANDIDATES_MAX)
		return;
	for (i = 0; i < *n; i++)
		if (X509_cmp(list[i].x509, x) == 0) {
			list[i].anchor = list[i].anchor || anchor;
			return;
		}
	list[*n].x509 = x;
	list[*n].anchor = anchor;
	list[*n].rank = rank + (anchor ? 64 : 0);
	(*n)++;
}

/* Later notBefore first among equals. */
static bool better(const candidate_t *a, const candidate_t *b)
{
	if (a->rank != b->rank)
		return a->rank > b->rank;
	return ASN1_TIME_compare(X509_get0_notBefore(a->x509),
				 X509_get0_notBefore(b->x509)) > 0;
}

static void sort_candidates(candidate_t *list, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && better(&list[j], &list[j - 1]); j--) {
			candidate_t t = list[j];

			list[j] = list[j - 1];
			list[j - 1] = t;
		}
}

/* The store's certificates named as x's issuer: trust anchors. */
static void store_candidates(search_t *se, X509 *x, candidate_t *list,
			     size_t *n)
{
	STACK_OF(X509) *certs = X509_STORE_CTX_get1_certs(
		se->lookup, X509_get_issuer_name(x));
	int i;

	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++) {
		X509 *y = sk_X509_value(certs, i);
		int rank = rank_issuer(se, y, x);

		if (rank >= 0 && (y = hold(se, y)) != NULL)
			add_candidate(list, n, y, true, rank);
	}
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
}

/* The chain's certificates named as x's issuer. One the store trusts
 * under the same subject and key becomes that anchor. */
static void chain_candidates(search_t *se, X509 *x, candidate_t *list,
			     size_t *n)
{
	size_t i;

	for (i = 1; i < se->c->count; i++) {
		X509 *y = se->c->entries[i].x509, *twin;
		int rank = rank_issuer(se, y, x);

		if (rank < 0 || X509_cmp(y, x) == 0)
			continue;
		twin = store_twin(se, y);
		if (twin != NULL)
			add_candidate(list, n, twin, true, rank);
		else
			add_candidate(list, n, y, false, rank);
	}
}

/* Extends the path of len certificates; sets se->stop when done. */
static void extend(search_t *se, size_t len)
{
	candidate_t list[CANDIDATES_MAX];
	X509 *x = se->path[len - 1];
	size_t n = 0, i;

	if (++se->steps > STEPS_MAX) {
		se->search->bounded = true;
		se->stop = true;
		return;
	}
	store_candidates(se, x, list, &n);
	chain_candidates(se, x, list, &n);
	sort_candidates(list, n);
	for (i = 0; i < n && !se->stop; i++) {
		if (on_path(se, len, list[i].x509))
			continue;
		if (len + 1 > se->s->max_depth ||
		    (!list[i].anchor && len + 2 > se->s->max_depth)) {
			se->search->depth_cut = true;
			continue;
		}
		se->path[len] = list[i].x509;
		if (!list[i].anchor) {
			extend(se, len + 1);
			continue;
		}
		se->search->tried++;
		se->stop = se->try_path(se->arg, se->path, len + 1);
		if (se->search->tried >= PATHS_MAX && !se->stop) {
			se->search->bounded = true;
			se->stop = true;
		}
	}
}

/* A leaf the store holds itself (a self-signed certificate trusted as
 * it is) is a path of one. */
static bool leaf_is_anchor(search_t *se)
{
	X509 *leaf = se->c->entries[0].x509;
	STACK_OF(X509) *certs = X509_STORE_CTX_get1_certs(
		se->lookup, X509_get_subject_name(leaf));
	bool yes = false;
	int i;

	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++)
		yes = yes || X509_cmp(sk_X509_value(certs, i), leaf) == 0;
	sk_X509_pop_free(certs, X509_free);
	ERR_clear_error();
	return yes;
}

int pl_x509_build_paths(const pl_x509_store_t *s, const pl_x509_chain_t *c,
			time_t now, pl_x509_path_try_fn try_path, void *arg,
			pl_x509_search_t *search)
{
	search_t se;
	int rc = PL_ERR_NOMEM;

	memset(&se, 0, sizeof(se));
	memset(search, 0, sizeof(*search));
	se.s = s;
	se.c = c;
	se.now = now;
	se.try_path = try_path;
	se.arg = arg;
	se.search = search;
	se.lookup = X509_STORE_CTX_new();
	se.pool = sk_X509_new_null();
	if (se.lookup == NULL || se.pool == NULL ||
	    X509_STORE_CTX_init(se.lookup, s->store, NULL, NULL) != 1)
		goto out;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(se.lookup), now);
	se.path[0] = c->entries[0].x509;
	if (leaf_is_anchor(&se)) {
		search->tried++;
		se.stop = try_path(arg, se.path, 1);
	}
	if (!se.stop)
		extend(&se, 1);
	rc = se.out_of_memory ? PL_ERR_NOMEM : PL_OK;
out:
	X509_STORE_CTX_free(se.lookup);
	sk_X509_pop_free(se.pool, X509_free);
	ERR_clear_error();
	return rc;
}
