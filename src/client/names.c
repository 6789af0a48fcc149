/*
 * Names of TLS parameters as a user types them on a command line, mapped
 * to their code points (RFC 8446 4.2.7 for groups). Suite names come from
 * the engine's one table (pl_tls_suite_table): the IANA names of the
 * suites it speaks, TLS 1.3 and 1.2.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/client_internal.h"
#include "padlock/client.h"

struct name_entry {
	const char *name;
	uint16_t value;
};

static const struct name_entry group_names[] = {
	{ "X25519MLKEM768", PL_GROUP_X25519MLKEM768 },
	{ "x25519", PL_GROUP_X25519 },
	{ "secp256r1", PL_GROUP_SECP256R1 },
	{ "P-256", PL_GROUP_SECP256R1 },
	{ "prime256v1", PL_GROUP_SECP256R1 },
	{ "secp384r1", PL_GROUP_SECP384R1 },
	{ "P-384", PL_GROUP_SECP384R1 },
	{ "secp521r1", PL_GROUP_SECP521R1 },
	{ "P-521", PL_GROUP_SECP521R1 },
	{ "x448", PL_GROUP_X448 },
	{ "ffdhe2048", PL_GROUP_FFDHE2048 },
	{ "ffdhe3072", PL_GROUP_FFDHE3072 },
	{ "ffdhe4096", PL_GROUP_FFDHE4096 },
	{ NULL, 0 },
};

static bool lookup(const struct name_entry *table, const char *name,
		   size_t len, uint16_t *value)
{
	for (; table->name != NULL; table++) {
		if (strlen(table->name) == len &&
		    strncasecmp(table->name, name, len) == 0) {
			*value = table->value;
			return true;
		}
	}
	return false;
}

static void list_known(const struct name_entry *table, char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	for (; table->name != NULL && used < cap; table++) {
		int n = snprintf(out + used, cap - used, "%s%s",
				 used > 0 ? ", " : "", table->name);
		if (n < 0)
			return;
		used += (size_t)n;
	}
}

#define SUITES_MAX 64

/* The suites the engine speaks, from its table, TLS 1.3 first as a user
 * reads them, into names (SUITES_MAX entries, the last { NULL, 0 }). */
static void suite_names(struct name_entry *names)
{
	size_t n_table, k = 0;
	const pl_tls_suite_info_t *table = pl_tls_suite_table(&n_table);

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n_table && k + 1 < SUITES_MAX; i++) {
			bool tls13 = (table[i].flags & PL_SUITE_TLS13) != 0;
			if (pl_tls_suite_spoken(table[i].id) &&
			    tls13 == (pass == 0))
				names[k++] = (struct name_entry){ table[i].name,
								  table[i].id };
		}
	names[k] = (struct name_entry){ NULL, 0 };
}

static int parse_list(const struct name_entry *table, const char *what,
		      const char *list, uint16_t *out, size_t cap, size_t *n,
		      char *err, size_t err_len)
{
	const char *p = list;
	char known[640], quoted[64];

	*n = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		uint16_t value = 0;

		if (!lookup(table, p, len, &value)) {
			pl_client_quote(p, len, quoted, sizeof quoted);
			list_known(table, known, sizeof known);
			return pl_client_fail(err, err_len, PL_ERR_ARG,
				"unknown %s '%s' (known: %s)", what, quoted,
				known);
		}
		if (*n == cap)
			return pl_client_fail(err, err_len, PL_ERR_ARG,
				"too many %ss (at most %zu)", what, cap);
		out[(*n)++] = value;
		if (p[len] == '\0')
			return PL_OK;
		p += len + 1;
	}
}

int pl_client_parse_suites(const char *list, uint16_t *out, size_t cap,
			   size_t *n, char *err, size_t err_len)
{
	struct name_entry names[SUITES_MAX];

	suite_names(names);
	return parse_list(names, "cipher suite", list, out, cap, n, err,
			  err_len);
}

int pl_client_parse_groups(const char *list, uint16_t *out, size_t cap,
			   size_t *n, char *err, size_t err_len)
{
	return parse_list(group_names, "group", list, out, cap, n, err, err_len);
}
