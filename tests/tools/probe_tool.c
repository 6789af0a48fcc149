/*
 * probe_tool: one pl_probe_hello() from the command line, for tests.
 *
 *   probe_tool [options] IP PORT VERSION SUITES
 *
 * VERSION: ssl3, tls1.0, tls1.1, tls1.2, tls1.3 or a code point (0x0303).
 * SUITES: comma-separated IANA names or code points (0xc02b), or "all"
 * (every suite of pl_tls_suite_table() of the version's kind, SCSVs left out).
 * Options:
 *   --groups LIST   supported_groups: x25519, secp256r1, secp384r1,
 *                   secp521r1, x448, ffdhe2048... or code points
 *                   (default: x25519,secp256r1,secp384r1)
 *   --shares LIST   TLS 1.3 key shares (default: x25519); "none" for none
 *   --sni NAME      send server_name
 *   --status        send status_request
 *   --timeout MS    default 5000
 *   --save DIR      write DIR/cert0.der... and DIR/ocsp.der
 *
 * Prints one line on stdout:
 *   outcome=accepted|alert|closed|timeout|malformed|connect_failed
 *   version=0x0303 suite=0xc02b group=0x0017 hrr=0
 *   alert=-1 reneg=1 ems=1 ocsp=0 certs=1 complete=1 sentinel=0
 *   dhe_bits=0 cert_req=0 detail=ServerHello: TLS 1.2, ...
 * (detail is last and runs to the end of the line). Exit 0 when
 * pl_probe_hello returned PL_OK, 1 otherwise, 2 on a bad command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "padlock/client.h"

#define LIST_MAX 256

struct named {
	const char *name;
	uint16_t value;
};

static const struct named versions[] = {
	{ "ssl3", 0x0300 }, { "tls1.0", 0x0301 }, { "tls1.1", 0x0302 },
	{ "tls1.2", 0x0303 }, { "tls1.3", 0x0304 }, { NULL, 0 },
};

static const struct named groups[] = {
	{ "secp256r1", 0x0017 }, { "secp384r1", 0x0018 },
	{ "secp521r1", 0x0019 }, { "x25519", 0x001d }, { "x448", 0x001e },
	{ "ffdhe2048", 0x0100 }, { "ffdhe3072", 0x0101 },
	{ "ffdhe4096", 0x0102 }, { NULL, 0 },
};

static int usage(const char *why)
{
	fprintf(stderr, "probe_tool: %s\nusage: probe_tool [--groups LIST] "
		"[--shares LIST|none] [--sni NAME] [--status] [--timeout MS] "
		"[--save DIR] IP PORT VERSION SUITES\n", why);
	return 2;
}

static bool parse_number(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*s == '\0' || *end != '\0' || v > 0xffff)
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool parse_named(const struct named *table, const char *s,
			uint16_t *out)
{
	for (; table->name != NULL; table++) {
		if (strcasecmp(table->name, s) == 0) {
			*out = table->value;
			return true;
		}
	}
	return parse_number(s, out);
}

static bool parse_suite(const char *s, uint16_t *out)
{
	size_t n;
	const pl_tls_suite_info_t *table = pl_tls_suite_table(&n);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(table[i].name, s) == 0) {
			*out = table[i].id;
			return true;
		}
	}
	return parse_number(s, out);
}

/* Every known suite for version: TLS 1.3's or the others. */
static size_t all_suites(uint16_t version, uint16_t *out)
{
	size_t n, count = 0;
	const pl_tls_suite_info_t *table = pl_tls_suite_table(&n);
	bool tls13 = version == 0x0304;

	for (size_t i = 0; i < n && count < LIST_MAX; i++) {
		unsigned f = table[i].flags;
		if ((f & PL_SUITE_SCSV) || table[i].id == 0x0000)
			continue;
		if (((f & PL_SUITE_TLS13) != 0) == tls13)
			out[count++] = table[i].id;
	}
	return count;
}

/* Splits a comma-separated list (modified in place). */
static bool parse_list(char *list, bool suites, uint16_t *out, size_t *n)
{
	*n = 0;
	for (char *item = strtok(list, ","); item != NULL;
	     item = strtok(NULL, ",")) {
		if (*n == LIST_MAX)
			return false;
		bool ok = suites ? parse_suite(item, &out[*n])
				 : parse_named(groups, item, &out[*n]);
		if (!ok) {
			fprintf(stderr, "probe_tool: unknown name '%s'\n", item);
			return false;
		}
		(*n)++;
	}
	return true;
}

static int save(const char *dir, const pl_probe_result_t *r)
{
	char path[4096];

	for (size_t i = 0; i <= r->n_certs; i++) {
		const uint8_t *data = i < r->n_certs ? r->certs[i] : r->ocsp;
		size_t len = i < r->n_certs ? r->cert_lens[i] : r->ocsp_len;
		if (data == NULL)
			continue;
		if (i < r->n_certs)
			snprintf(path, sizeof path, "%s/cert%zu.der", dir, i);
		else
			snprintf(path, sizeof path, "%s/ocsp.der", dir);
		FILE *f = fopen(path, "wb");
		if (f == NULL || fwrite(data, 1, len, f) != len) {
			fprintf(stderr, "probe_tool: cannot write %s\n", path);
			if (f != NULL)
				fclose(f);
			return 1;
		}
		fclose(f);
	}
	return 0;
}

static void print(const pl_probe_result_t *r)
{
	char outcome[32];

	/* one word: "connect failed" -> "connect_failed" */
	snprintf(outcome, sizeof outcome, "%s", pl_probe_outcome_name(r->outcome));
	for (char *c = outcome; *c != '\0'; c++)
		if (*c == ' ')
			*c = '_';
	printf("outcome=%s version=0x%04x suite=0x%04x group=0x%04x hrr=%d "
	       "alert=%d reneg=%d ems=%d ocsp=%d certs=%zu complete=%d "
	       "sentinel=%d dhe_bits=%u cert_req=%d detail=%s\n",
	       outcome, r->version, r->suite,
	       r->group, r->hrr, r->alert, r->secure_renegotiation,
	       r->extended_master_secret, r->ocsp_stapled, r->n_certs,
	       r->complete, r->downgrade_sentinel, (unsigned)r->dhe_bits,
	       r->cert_requested, r->detail);
}

int main(int argc, char **argv)
{
	static uint16_t suites[LIST_MAX], group_list[LIST_MAX], shares[LIST_MAX];
	char default_groups[] = "x25519,secp256r1,secp384r1";
	char default_shares[] = "x25519";
	char *group_arg = default_groups, *share_arg = default_shares;
	const char *save_dir = NULL;
	pl_probe_offer_t offer = { 0 };
	int timeout_ms = 5000, i;
	uint16_t port;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *opt = argv[i];
		if (strcmp(opt, "--status") == 0) {
			offer.status_request = true;
			continue;
		}
		if (i + 1 >= argc)
			return usage("an option needs a value");
		char *value = argv[++i];
		if (strcmp(opt, "--groups") == 0)
			group_arg = value;
		else if (strcmp(opt, "--shares") == 0)
			share_arg = value;
		else if (strcmp(opt, "--sni") == 0)
			offer.sni = value;
		else if (strcmp(opt, "--timeout") == 0)
			timeout_ms = atoi(value);
		else if (strcmp(opt, "--save") == 0)
			save_dir = value;
		else
			return usage("unknown option");
	}
	if (argc - i != 4)
		return usage("IP PORT VERSION SUITES are needed");
	if (!parse_number(argv[i + 1], &port) ||
	    !parse_named(versions, argv[i + 2], &offer.version))
		return usage("bad port or version");
	if (strcmp(argv[i + 3], "all") == 0)
		offer.n_suites = all_suites(offer.version, suites);
	else if (!parse_list(argv[i + 3], true, suites, &offer.n_suites))
		return usage("bad suite list");
	if (!parse_list(group_arg, false, group_list, &offer.n_groups))
		return usage("bad group list");
	if (strcmp(share_arg, "none") != 0 &&
	    !parse_list(share_arg, false, shares, &offer.n_key_shares))
		return usage("bad key share list");
	offer.suites = suites;
	offer.groups = group_list;
	offer.key_shares = shares;

	pl_probe_result_t r;
	int rc = pl_probe_hello(argv[i], port, &offer, timeout_ms, &r);
	if (rc != PL_OK) {
		printf("error=%d detail=%s\n", rc, r.detail);
		return 1;
	}
	print(&r);
	rc = save_dir != NULL ? save(save_dir, &r) : 0;
	pl_probe_result_free(&r);
	return rc;
}
