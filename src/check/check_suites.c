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

#include "check/check_internal.h"

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

static void test_order(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	uint16_t forward[PL_CHECK_SUITES_MAX], backward[PL_CHECK_SUITES_MAX];
	size_t n = r->suite_count;
	pl_probe_offer_t offers[2];
	pl_probe_result_t res[2];
	bool answered;

	if (n < 2) {
		r->order = n == 1 ? PL_CHECK_ORDER_ONE : PL_CHECK_ORDER_NOT_TESTED;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		forward[i] = r->suites[i].id;
		backward[n - 1 - i] = r->suites[i].id;
	}
	offers[0] = legacy_offer(run, forward, n);
	offers[1] = legacy_offer(run, backward, n);
	check_progress(run, PL_CHECK_STEP_SUITES, "server order");
	if (!check_probe_batch(run, offers, res, 2))
		return;
	answered = res[0].outcome == PL_PROBE_ACCEPTED &&
		   res[1].outcome == PL_PROBE_ACCEPTED;
	/* A server with an order of its own picks the same suite from both;
	 * one that follows the client takes each list's first. */
	if (answered)
		r->order = res[0].suite == res[1].suite ? PL_CHECK_ORDER_SERVER
							: PL_CHECK_ORDER_CLIENT;
	pl_probe_result_free(&res[0]);
	pl_probe_result_free(&res[1]);
}

/* ---- TLS 1.2 groups ------------------------------------------------------------- */

/* The ECDHE groups a TLS <= 1.2 server may take, each offered alone. */
static const uint16_t ecdhe_groups[] = {
	PL_GROUP_X25519, PL_GROUP_SECP256R1, PL_GROUP_SECP384R1,
	0x0019 /* secp521r1 */, 0x001e /* x448 */,
};

#define ECDHE_GROUP_COUNT (sizeof ecdhe_groups / sizeof ecdhe_groups[0])

/* The accepted ECDHE suites into out; whether one of them is ECDSA. */
static size_t ecdhe_suites(const pl_check_result_t *r, uint16_t *out,
			   bool *ecdsa)
{
	size_t n = 0;

	*ecdsa = false;
	for (size_t i = 0; i < r->suite_count; i++) {
		if (!(r->suites[i].flags & PL_SUITE_ECDHE))
			continue;
		out[n++] = r->suites[i].id;
		*ecdsa = *ecdsa || strstr(r->suites[i].name, "_ECDSA_") != NULL;
	}
	return n;
}

/* One round: each group not yet found, first in supported_groups, with
 * the others of with behind it (RFC 8422 5.1.1: an ECDSA certificate's
 * curve must be among the client's groups, so a P-256 server refuses a
 * ClientHello that lists x25519 alone). */
static void legacy_group_round(struct check_run *run, const uint16_t *suites,
			       size_t n_suites, const uint16_t *with,
			       size_t n_with, bool *found)
{
	pl_check_result_t *r = run->r;
	uint16_t lists[ECDHE_GROUP_COUNT][ECDHE_GROUP_COUNT + 4];
	pl_probe_offer_t offers[ECDHE_GROUP_COUNT];
	pl_probe_result_t res[ECDHE_GROUP_COUNT];
	size_t which[ECDHE_GROUP_COUNT], n = 0;

	for (size_t i = 0; i < ECDHE_GROUP_COUNT; i++) {
		size_t len = 0;

		if (found[i])
			continue;
		lists[n][len++] = ecdhe_groups[i];
		for (size_t j = 0; j < n_with; j++)
			if (with[j] != ecdhe_groups[i])
				lists[n][len++] = with[j];
		offers[n] = legacy_offer(run, suites, n_suites);
		offers[n].groups = lists[n];
		offers[n].n_groups = len;
		which[n++] = i;
	}
	if (n == 0 || !check_probe_batch(run, offers, res, n))
		return;
	for (size_t k = 0; k < n; k++) {
		found[which[k]] = res[k].outcome == PL_PROBE_ACCEPTED &&
				  res[k].version == r->legacy_version &&
				  res[k].group == ecdhe_groups[which[k]];
		pl_probe_result_free(&res[k]);
	}
}

static void probe_legacy_groups(struct check_run *run)
{
	static const uint16_t nist[] = { PL_GROUP_SECP256R1, PL_GROUP_SECP384R1,
					 0x0019 };
	pl_check_result_t *r = run->r;
	uint16_t suites[PL_CHECK_SUITES_MAX];
	bool found[ECDHE_GROUP_COUNT] = { false }, ecdsa;
	size_t n = ecdhe_suites(r, suites, &ecdsa);

	if (n == 0)
		return;
	check_progress(run, PL_CHECK_STEP_SUITES, "%s groups",
		       check_version_name(r->legacy_version));
	legacy_group_round(run, suites, n, NULL, 0, found);
	if (ecdsa)
		legacy_group_round(run, suites, n, nist, 3, found);
	for (size_t i = 0; i < ECDHE_GROUP_COUNT; i++)
		if (found[i])
			r->legacy_groups[r->legacy_group_count++] =
				ecdhe_groups[i];
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

#define TLS13_GROUP_COUNT (sizeof tls13_groups / sizeof tls13_groups[0])
#define TLS13_PROBES_MAX (PL_CHECK_GROUPS_MAX + TLS13_GROUP_COUNT + 1)

/* Each suite alone, with a key share the server can take. */
static size_t suite_offers(struct check_run *run, const uint16_t *all,
			   size_t n_all, pl_probe_offer_t *offers)
{
	for (size_t i = 0; i < n_all; i++) {
		offers[i] = tls13_offer(run);
		offers[i].suites = &all[i];
		offers[i].n_suites = 1;
		offers[i].groups = tls13_groups;
		offers[i].n_groups = SHARE_GROUPS;
		offers[i].key_shares = tls13_groups;
		offers[i].n_key_shares = 1;
	}
	return n_all;
}

/* Each group alone (with a key share when a probe can make one, else
 * asked for through a HelloRetryRequest); then an empty key_share over
 * the groups a probe can answer with, which the server must answer with a
 * HelloRetryRequest (RFC 8446 4.1.1). */
static size_t group_offers(struct check_run *run, const uint16_t *all,
			   size_t n_all, pl_probe_offer_t *offers)
{
	size_t n = 0;

	for (size_t i = 0; i < TLS13_GROUP_COUNT; i++, n++) {
		offers[n] = tls13_offer(run);
		offers[n].suites = all;
		offers[n].n_suites = n_all;
		offers[n].groups = &tls13_groups[i];
		offers[n].n_groups = 1;
		offers[n].key_shares = &tls13_groups[i];
		offers[n].n_key_shares = i < SHARE_GROUPS ? 1 : 0;
	}
	offers[n] = tls13_offer(run);
	offers[n].suites = all;
	offers[n].n_suites = n_all;
	offers[n].groups = tls13_groups;
	offers[n].n_groups = SHARE_GROUPS;
	return n + 1;
}

static void take_hrr(pl_check_result_t *r, const pl_probe_result_t *res)
{
	if (res->outcome == PL_PROBE_ACCEPTED && res->hrr) {
		r->hrr = PL_CHECK_YES;
		r->hrr_group = res->group;
	} else if (res->outcome == PL_PROBE_ALERT ||
		   res->outcome == PL_PROBE_CLOSED) {
		r->hrr = PL_CHECK_NO;
	} else {
		r->hrr = PL_CHECK_UNCLEAR;
	}
}

/* The suites, the groups and the HelloRetryRequest: independent probes,
 * sent at once. */
static void probe_tls13(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	size_t n_table, n_all = 0, n;
	const pl_tls_suite_info_t *t = pl_tls_suite_table(&n_table);
	uint16_t all[PL_CHECK_GROUPS_MAX];
	pl_probe_offer_t offers[TLS13_PROBES_MAX];
	pl_probe_result_t res[TLS13_PROBES_MAX];

	for (size_t i = 0; i < n_table && n_all < PL_CHECK_GROUPS_MAX; i++)
		if (t[i].flags & PL_SUITE_TLS13)
			all[n_all++] = t[i].id;
	n = suite_offers(run, all, n_all, offers);
	n += group_offers(run, all, n_all, offers + n);
	check_progress(run, PL_CHECK_STEP_SUITES,
		       "TLS 1.3 suites, groups and HelloRetryRequest");
	if (!check_probe_batch(run, offers, res, n))
		return;
	for (size_t i = 0; i < n; i++) {
		/* A HelloRetryRequest names the suite and the group it will
		 * take: both count as accepted. */
		bool accepted = res[i].outcome == PL_PROBE_ACCEPTED &&
				res[i].version == PL_TLS_VERSION_13;

		if (i < n_all) {
			if (accepted && res[i].suite == all[i])
				r->tls13_suites[r->tls13_suite_count++] = all[i];
		} else if (i < n - 1) {
			uint16_t g = tls13_groups[i - n_all];

			if (accepted && res[i].group == g &&
			    r->tls13_group_count < PL_CHECK_GROUPS_MAX)
				r->tls13_groups[r->tls13_group_count++] = g;
		} else {
			take_hrr(r, &res[i]);
		}
		pl_probe_result_free(&res[i]);
	}
}

void check_step_suites(struct check_run *run)
{
	pl_check_result_t *r = run->r;

	if (r->legacy_version != 0 && enumerate_legacy(run))
		test_order(run);
	if (r->legacy_version != 0)
		probe_legacy_groups(run);
	if (r->protocols[4].accepted == PL_CHECK_YES)
		probe_tls13(run);
	check_report_suites(run);
	if (r->legacy_version == 0 && r->protocols[4].accepted != PL_CHECK_YES)
		check_add(run, PL_CHECK_STEP_SUITES, PL_CHECK_INFO,
			  "suite.skipped", -1, "",
			  "no suites or groups were probed: %s",
			  check_skip_reason(run));
}
