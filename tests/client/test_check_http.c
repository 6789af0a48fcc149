/* Tests of src/check/check_http.c: how padlock check reads a
 * Strict-Transport-Security value (RFC 6797 6.1). */
#include "check/check_internal.h"
#include "test.h"

static long long age;
static bool subdomains, preload;

static bool parse(const char *value)
{
	return check_parse_hsts(value, &age, &subdomains, &preload);
}

static void hsts_reads_max_age_and_both_flags(void)
{
	CHECK(parse("max-age=63072000; includeSubDomains; preload"));
	CHECK_EQ_INT(age, 63072000);
	CHECK(subdomains);
	CHECK(preload);
}

static void hsts_names_are_case_insensitive_and_spaces_optional(void)
{
	CHECK(parse("MAX-AGE=31536000;INCLUDESUBDOMAINS"));
	CHECK_EQ_INT(age, 31536000);
	CHECK(subdomains);
	CHECK(!preload);
	CHECK(parse("  max-age = 10 ;  preload  "));
	CHECK_EQ_INT(age, 10);
	CHECK(preload);
}

static void hsts_max_age_may_be_quoted(void)
{
	CHECK(parse("max-age=\"15768000\""));
	CHECK_EQ_INT(age, 15768000);
}

static void hsts_zero_is_valid_and_means_forget(void)
{
	CHECK(parse("max-age=0"));
	CHECK_EQ_INT(age, 0);
}

static void hsts_unknown_directives_are_ignored(void)
{
	CHECK(parse("max-age=100; report-uri=\"https://r.example/\"; foo"));
	CHECK_EQ_INT(age, 100);
}

static void hsts_without_or_with_two_max_ages_is_invalid(void)
{
	CHECK(!parse("includeSubDomains"));
	CHECK(!parse(""));
	CHECK(!parse("max-age=1; max-age=2"));
}

static void hsts_malformed_values_are_invalid(void)
{
	CHECK(!parse("max-age=-1"));
	CHECK(!parse("max-age=12abc"));
	CHECK(!parse("max-age="));
	CHECK(!parse("max-age=\"100"));
	CHECK(!parse("max-age=100 junk"));
	CHECK(!parse("max-age=99999999999999999999"));
}

int main(void)
{
	RUN(hsts_reads_max_age_and_both_flags);
	RUN(hsts_names_are_case_insensitive_and_spaces_optional);
	RUN(hsts_max_age_may_be_quoted);
	RUN(hsts_zero_is_valid_and_means_forget);
	RUN(hsts_unknown_directives_are_ignored);
	RUN(hsts_without_or_with_two_max_ages_is_invalid);
	RUN(hsts_malformed_values_are_invalid);
	return test_finish();
}
