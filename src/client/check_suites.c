/*
 * Step 4 of padlock check: cipher suites and groups.
 *
 * TLS <= 1.2: the server picks one suite of those offered, so offering
 * every suite, then every suite but the one chosen, and so on until the
 * server refuses, lists each suite it accepts (in its order of preference
 * when it enforces its own). Offering the accepted ones forwards and
 * backwards then tells whether it does. TLS 1.3: each suite alone, each
 * group alone (with a key share when a probe can make one, else through a
 * HelloRetryRequest), and an empty key_share, which a server must answer
 * with a HelloRetryRequest (RFC 8446 4.1.1).
 */
#include <stdlib.h>
#include <string.h>

#include "client/check_internal.h"

static const uint16_t legacy_groups[] = {
	PL_GROUP_X25519, PL_GROUP_SECP256R1, PL_GROUP_SECP384R1, 0x0019,
};

/* TLS 1.3 groups tried one by one; a probe makes key shares for the
 * first three only, the others are asked for with an empty key_share. */
static const uint16_t tls13_groups[] = {
	PL_GROUP_X25519, PL_GROUP_SECP256R1, PL_GROUP_SECP384R1,
	0x0019 /* secp521r1 */, 0x001e /* x448 */, 0x0100 /* ffdhe2048 */,
	0x0101 /* ffdhe3072 */,
};

#define SHARE_GROUPS 3

/* One probe; false when it could not run (time out, out of memory). */
static bool probe(struct check_run *run, const pl_probe_offer_t *offer,
		  pl_probe_result_t *res)
{
	int timeout = check_timeout(run);

	memset(res, 0, sizeof *res);
	if (timeout == 0)
		return false;
	if (pl_probe_hello(run->r->tested_ip, run->r->port, offer, timeout,
			   res) != PL_OK) {
		run->nomem = true;
		return false;
	}
	return true;
}

static pl_probe_offer_t legacy_offer(struct check_run *run,
				     const uint16_t *suites, size_t n)
{
	pl_probe_offer_t offer = {
		.version = run->r->legacy_version,
		.suites = suites,
		.n_suites = n,
		.groups = legacy_groups,
		.n_groups = sizeof legacy_groups / sizeof legacy_groups[0],
		.sni = run->r->sni[0] != '\0' ? run->r->sni : NULL,
	};
	return offer;
}

static bool remove_suite(uint16_t *list, size_t *n, uint16_t id)
{
	for (size_t i = 0; i < *n; i++) {
		if (list[i] == id) {
			memmove(&list[i], &list[i + 1],
				(*n - i - 1) * sizeof *list);
			(*n)--;
			return true;
		}
	}
	return false;
}

static void record_suite(pl_check_result_t *r, const pl_probe_result_t *res)
{
	const pl_tls_suite_info_t *info = pl_tls_suite_lookup(res->suite);
	pl_check_suite_t *s = &r->suites[r->suite_count++];

	s->id = res->suite;
	s->name = info != NULL ? info->name : pl_tls_suite_name(res->suite);
	s->flags = info != NULL ? info->flags : 0;
	s->group = res->group;
	s->dhe_bits = res->dhe_bits;
}

/* Lists the accepted suites; false when an answer was unclear. */
static bool enumerate_legacy(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	uint16_t *left = calloc(LEGACY_SUITES_MAX, sizeof *left);
	size_t n = check_legacy_suites(left, LEGACY_SUITES_MAX);
	bool clear = true;

	if (left == NULL) {
		run->nomem = true;
		return false;
	}
	while (n > 0 && r->suite_count < PL_CHECK_SUITES_MAX) {
		pl_probe_offer_t offer = legacy_offer(run, left, n);
		pl_probe_result_t res;

		check_progress(run, PL_CHECK_STEP_SUITES, "%s suites: %zu found",
			       check_version_name(r->legacy_version),
			       r->suite_count);
		if (!probe(run, &offer, &res)) {
			clear = false;
			break;
		}
		bool accepted = res.outcome == PL_PROBE_ACCEPTED &&
				res.version == r->legacy_version;
		bool refused = res.outcome == PL_PROBE_ALERT ||
			       res.outcome == PL_PROBE_CLOSED ||
			       (res.outcome == PL_PROBE_ACCEPTED && !accepted);
		bool listed = accepted && remove_suite(left, &n, res.suite);
		if (listed)
			record_suite(r, &res);
		else
			clear = refused; /* a suite not offered: unclear */
		pl_probe_result_free(&res);
		if (!listed)
			break;
	}
	r->suites_truncated = !clear;
	free(left);
	return clear;
}

/* The suite chosen from list (n entries), or 0. */
static uint16_t chosen(struct check_run *run, const uint16_t *list, size_t n)
{
	pl_probe_offer_t offer = legacy_offer(run, list, n);
	pl_probe_result_t res;
	uint16_t suite = 0;

	if (!probe(run, &offer, &res))
		return 0;
	if (res.outcome == PL_PROBE_ACCEPTED)
		suite = res.suite;
	pl_probe_result_free(&res);
	return suite;
}

static void test_order(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	uint16_t forward[PL_CHECK_SUITES_MAX], backward[PL_CHECK_SUITES_MAX];
	size_t n = r->suite_count;
	uint16_t a, b;

	if (n < 2) {
		r->order = n == 1 ? PL_CHECK_ORDER_ONE : PL_CHECK_ORDER_NOT_TESTED;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		forward[i] = r->suites[i].id;
		backward[n - 1 - i] = r->suites[i].id;
	}
	check_progress(run, PL_CHECK_STEP_SUITES, "server order");
	a = chosen(run, forward, n);
	b = chosen(run, backward, n);
	if (a == 0 || b == 0)
		return;
	/* A server with an order of its own picks the same suite from both;
	 * one that follows the client takes each list's first. */
	r->order = a == b ? PL_CHECK_ORDER_SERVER : PL_CHECK_ORDER_CLIENT;
}

/* ---- TLS 1.3 ------------------------------------------------------------------ */

static pl_probe_offer_t tls13_offer(struct check_run *run)
{
	pl_probe_offer_t offer = {
		.version = PL_TLS_VERSION_13,
		.sni = run->r->sni[0] != '\0' ? run->r->sni : NULL,
	};
	return offer;
}

static void tls13_suites(struct check_run *run, const uint16_t *all,
			 size_t n_all)
{
	pl_check_result_t *r = run->r;
	static const uint16_t share[] = { PL_GROUP_X25519, PL_GROUP_SECP256R1,
					  PL_GROUP_SECP384R1 };

	for (size_t i = 0; i < n_all && r->tls13_suite_count < PL_CHECK_GROUPS_MAX;
	     i++) {
		pl_probe_offer_t offer = tls13_offer(run);
		pl_probe_result_t res;

		offer.suites = &all[i];
		offer.n_suites = 1;
		offer.groups = share;
		offer.n_groups = 3;
		offer.key_shares = share;
		offer.n_key_shares = 1;
		check_progress(run, PL_CHECK_STEP_SUITES, "TLS 1.3 suite %s",
			       pl_tls_suite_name(all[i]));
		if (!probe(run, &offer, &res))
			return;
		if (res.outcome == PL_PROBE_ACCEPTED &&
		    res.version == PL_TLS_VERSION_13 && res.suite == all[i])
			r->tls13_suites[r->tls13_suite_count++] = all[i];
		pl_probe_result_free(&res);
	}
}

static void tls13_groups_accepted(struct check_run *run, const uint16_t *suites,
				  size_t n_suites)
{
	pl_check_result_t *r = run->r;

	for (size_t i = 0; i < sizeof tls13_groups / sizeof tls13_groups[0];
	     i++) {
		pl_probe_offer_t offer = tls13_offer(run);
		pl_probe_result_t res;
		uint16_t g = tls13_groups[i];

		offer.suites = suites;
		offer.n_suites = n_suites;
		offer.groups = &tls13_groups[i];
		offer.n_groups = 1;
		offer.key_shares = &tls13_groups[i];
		offer.n_key_shares = i < SHARE_GROUPS ? 1 : 0;
		check_progress(run, PL_CHECK_STEP_SUITES, "TLS 1.3 group %s",
			       pl_tls_group_name(g));
		if (!probe(run, &offer, &res))
			return;
		if (res.outcome == PL_PROBE_ACCEPTED &&
		    res.version == PL_TLS_VERSION_13 && res.group == g &&
		    r->tls13_group_count < PL_CHECK_GROUPS_MAX)
			r->tls13_groups[r->tls13_group_count++] = g;
		pl_probe_result_free(&res);
	}
}

/* An empty key_share over the groups a probe can answer with: the server
 * must ask for one of them with a HelloRetryRequest. */
static void tls13_hrr(struct check_run *run, const uint16_t *suites,
		      size_t n_suites)
{
	pl_check_result_t *r = run->r;
	pl_probe_offer_t offer = tls13_offer(run);
	pl_probe_result_t res;

	offer.suites = suites;
	offer.n_suites = n_suites;
	offer.groups = tls13_groups;
	offer.n_groups = SHARE_GROUPS;
	check_progress(run, PL_CHECK_STEP_SUITES, "TLS 1.3 HelloRetryRequest");
	if (!probe(run, &offer, &res))
		return;
	if (res.outcome == PL_PROBE_ACCEPTED && res.hrr) {
		r->hrr = PL_CHECK_YES;
		r->hrr_group = res.group;
	} else if (res.outcome == PL_PROBE_ALERT ||
		   res.outcome == PL_PROBE_CLOSED) {
		r->hrr = PL_CHECK_NO;
	} else {
		r->hrr = PL_CHECK_UNCLEAR;
	}
	pl_probe_result_free(&res);
}

static void probe_tls13(struct check_run *run)
{
	size_t n_table, n_all = 0;
	const pl_tls_suite_info_t *t = pl_tls_suite_table(&n_table);
	uint16_t all[PL_CHECK_GROUPS_MAX];

	for (size_t i = 0; i < n_table && n_all < PL_CHECK_GROUPS_MAX; i++)
		if (t[i].flags & PL_SUITE_TLS13)
			all[n_all++] = t[i].id;
	tls13_suites(run, all, n_all);
	tls13_groups_accepted(run, all, n_all);
	tls13_hrr(run, all, n_all);
}

void check_step_suites(struct check_run *run)
{
	pl_check_result_t *r = run->r;

	if (r->legacy_version != 0 && enumerate_legacy(run))
		test_order(run);
	if (r->protocols[4].accepted == PL_CHECK_YES)
		probe_tls13(run);
	check_report_suites(run);
}
