/* Tests of src/tls/suites.c: the table is sorted and complete enough,
 * every entry's flags say what its IANA name says, and the names agree
 * with OpenSSL's (`openssl ciphers -stdname`) wherever OpenSSL knows the
 * code point. */
#include <stdio.h>

#include "padlock/client.h"
#include "test.h"

static bool has(const char *name, const char *part)
{
	return strstr(name, part) != NULL;
}

static bool ends_with(const char *name, const char *tail)
{
	size_t n = strlen(name), t = strlen(tail);
	return n >= t && strcmp(name + n - t, tail) == 0;
}

/* The flags an entry must have, read from its name alone. */
static unsigned flags_from_name(uint16_t id, const char *name)
{
	unsigned f = 0;

	if (has(name, "SCSV"))
		return PL_SUITE_SCSV;
	if ((id >> 8) == 0x13)
		return PL_SUITE_TLS13 | PL_SUITE_FS | PL_SUITE_AEAD;
	if (has(name, "_anon_"))
		f |= PL_SUITE_ANON | (has(name, "ECDH_") ? PL_SUITE_ECDHE
							 : PL_SUITE_DHE);
	else if (has(name, "_ECDHE_"))
		f |= PL_SUITE_ECDHE | PL_SUITE_FS;
	else if (has(name, "_DHE_"))
		f |= PL_SUITE_DHE | PL_SUITE_FS;
	else if (strncmp(name, "TLS_RSA_", 8) == 0)
		f |= PL_SUITE_RSA_KX;
	if (has(name, "_CBC_"))
		f |= PL_SUITE_CBC;
	if (has(name, "3DES"))
		f |= PL_SUITE_3DES;
	if (has(name, "RC4"))
		f |= PL_SUITE_RC4;
	if (has(name, "WITH_NULL") || id == 0x0000)
		f |= PL_SUITE_NULL;
	if (has(name, "EXPORT"))
		f |= PL_SUITE_EXPORT;
	if (has(name, "GCM") || has(name, "CCM") || has(name, "POLY1305"))
		f |= PL_SUITE_AEAD;
	if (ends_with(name, "_SHA"))
		f |= PL_SUITE_SHA1;
	if (ends_with(name, "_MD5"))
		f |= PL_SUITE_MD5;
	return f;
}

static void table_is_sorted_and_every_entry_is_found(void)
{
	size_t n;
	const pl_tls_suite_info_t *t = pl_tls_suite_table(&n);

	CHECK(n >= 100);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			CHECK_MSG(t[i - 1].id < t[i].id, "0x%04x after 0x%04x",
				  t[i].id, t[i - 1].id);
		CHECK(pl_tls_suite_lookup(t[i].id) == &t[i]);
	}
	CHECK(pl_tls_suite_lookup(0x0001) != NULL);
	CHECK(pl_tls_suite_lookup(0xcca9) != NULL);
	CHECK(pl_tls_suite_lookup(0x1234) == NULL);
	CHECK(pl_tls_suite_lookup(0xffff) == NULL);
}

static void flags_agree_with_the_names(void)
{
	size_t n;
	const pl_tls_suite_info_t *t = pl_tls_suite_table(&n);

	for (size_t i = 0; i < n; i++) {
		unsigned want = flags_from_name(t[i].id, t[i].name);
		CHECK_MSG(t[i].flags == want, "%s: flags 0x%x, its name says 0x%x",
			  t[i].name, t[i].flags, want);
	}
}

static void grading_facts_of_well_known_suites(void)
{
	const pl_tls_suite_info_t *s = pl_tls_suite_lookup(0xc02b);
	CHECK(s != NULL && strcmp(s->name,
		"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256") == 0);
	CHECK(s != NULL && (s->flags & PL_SUITE_FS) && (s->flags & PL_SUITE_AEAD)
	      && !(s->flags & PL_SUITE_CBC));
	s = pl_tls_suite_lookup(0x002f);
	CHECK(s != NULL && (s->flags & PL_SUITE_RSA_KX) &&
	      (s->flags & PL_SUITE_CBC) && (s->flags & PL_SUITE_SHA1) &&
	      !(s->flags & PL_SUITE_FS));
	s = pl_tls_suite_lookup(0x000a);
	CHECK(s != NULL && (s->flags & PL_SUITE_3DES));
	s = pl_tls_suite_lookup(0x0003);
	CHECK(s != NULL && (s->flags & PL_SUITE_EXPORT) &&
	      (s->flags & PL_SUITE_RC4) && (s->flags & PL_SUITE_MD5));
	s = pl_tls_suite_lookup(0x0034);
	CHECK(s != NULL && (s->flags & PL_SUITE_ANON) && !(s->flags & PL_SUITE_FS));
	s = pl_tls_suite_lookup(0x1303);
	CHECK(s != NULL && (s->flags & PL_SUITE_TLS13));
	s = pl_tls_suite_lookup(0xc00e); /* static ECDH: neither FS nor RSA */
	CHECK(s != NULL && !(s->flags & (PL_SUITE_FS | PL_SUITE_RSA_KX)));
}

/* "0xC0,0x2B - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 - ECDHE-..." */
static void names_agree_with_openssl(void)
{
	FILE *f = popen("openssl ciphers -V -stdname "
			"'ALL:COMPLEMENTOFALL:@SECLEVEL=0' 2>/dev/null", "r");
	char line[512], name[128];
	unsigned hi, lo;
	int compared = 0;

	if (f == NULL) {
		printf("skip names_agree_with_openssl: no openssl\n");
		return;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, " 0x%x,0x%x - %127s", &hi, &lo, name) != 3)
			continue;
		const pl_tls_suite_info_t *s = pl_tls_suite_lookup((uint16_t)(hi << 8 | lo));
		if (s == NULL)
			continue;
		CHECK_MSG(strcmp(s->name, name) == 0, "0x%02x%02x: %s, openssl "
			  "says %s", hi, lo, s->name, name);
		compared++;
	}
	pclose(f);
	CHECK_MSG(compared >= 60, "only %d suites compared", compared);
}

int main(void)
{
	RUN(table_is_sorted_and_every_entry_is_found);
	RUN(flags_agree_with_the_names);
	RUN(grading_facts_of_well_known_suites);
	RUN(names_agree_with_openssl);
	return test_finish();
}
