/* Tests of src/check/check_grade.c and the grade order of check.c: the
 * rules of docs/padlock-check.md, finding by finding. */
#include "check/check_internal.h"
#include "test.h"

static struct check_run run;

/* A reachable result with HSTS of two years and no finding: an A+. */
static void fresh(void)
{
	pl_check_result_free(run.r);
	memset(&run, 0, sizeof run);
	run.r = calloc(1, sizeof *run.r);
	run.r->reachable = true;
	run.r->hsts_max_age = 63072000;
	run.r->protocols[4].accepted = PL_CHECK_YES;
}

static void add(pl_check_step_t step, pl_check_level_t level,
		const char *code)
{
	check_add(&run, step, level, code, -1, "", "%s", code);
}

static const char *grade(void)
{
	check_step_grade(&run);
	return run.r->grade;
}

#define CHECK_GRADE(want)                                                    \
	do {                                                                 \
		const char *got_ = grade();                                  \
		CHECK_MSG(strcmp(got_, (want)) == 0, "grade %s, wanted %s",  \
			  got_, (want));                                     \
	} while (0)

static void clean_site_with_long_hsts_is_a_plus(void)
{
	fresh();
	add(PL_CHECK_STEP_CERTIFICATE, PL_CHECK_OK, "cert.trusted");
	add(PL_CHECK_STEP_CERTIFICATE, PL_CHECK_INFO, "name.list");
	CHECK_GRADE("A+");
	CHECK_EQ_INT(run.r->cap_count, 0);
}

static void short_hsts_or_a_warning_is_a(void)
{
	fresh();
	run.r->hsts_max_age = 15767999;
	CHECK_GRADE("A");
	CHECK(pl_check_count(run.r, PL_CHECK_INFO) == 1); /* grade.not-a-plus */
	fresh();
	add(PL_CHECK_STEP_HTTP, PL_CHECK_WARNING, "http.no-redirect");
	CHECK_GRADE("A");
}

static void old_protocols_and_no_forward_secrecy_cap_at_b(void)
{
	fresh();
	add(PL_CHECK_STEP_PROTOCOLS, PL_CHECK_FAILURE, "protocol.tls10-accepted");
	CHECK_GRADE("B");
	fresh();
	add(PL_CHECK_STEP_SUITES, PL_CHECK_FAILURE, "suite.no-forward-secrecy");
	add(PL_CHECK_STEP_SUITES, PL_CHECK_WARNING, "suite.cbc");
	CHECK_GRADE("B");
	CHECK_EQ_INT(run.r->cap_count, 2);
}

static void no_tls13_and_cbc_cap_at_a_minus(void)
{
	fresh();
	add(PL_CHECK_STEP_PROTOCOLS, PL_CHECK_WARNING, "protocol.tls13-refused");
	CHECK_GRADE("A-");
}

static void ssl3_rc4_export_null_anon_and_weak_keys_are_f(void)
{
	static const char *const codes[] = {
		"protocol.ssl3-accepted", "suite.rc4", "suite.export",
		"suite.null", "suite.anon", "key.weak", "protocol.none",
	};

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		fresh();
		add(i == 5 ? PL_CHECK_STEP_CERTIFICATE : PL_CHECK_STEP_SUITES,
		    PL_CHECK_FAILURE, codes[i]);
		CHECK_GRADE("F");
	}
}

static void no_tls12_nor_tls13_is_c(void)
{
	fresh();
	run.r->protocols[4].accepted = PL_CHECK_NO;
	run.r->protocols[3].accepted = PL_CHECK_NO;
	run.r->protocols[2].accepted = PL_CHECK_YES;
	run.r->legacy_version = 0x0302;
	CHECK_GRADE("C");
}

static void trust_problems_are_t_with_the_grade_otherwise(void)
{
	static const char *const codes[] = {
		"cert.expired", "name.mismatch", "chain.missing-intermediate",
		"chain.untrusted-root", "cert.self-signed", "cert.untrusted",
	};

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		fresh();
		add(PL_CHECK_STEP_PROTOCOLS, PL_CHECK_FAILURE,
		    "protocol.tls11-accepted");
		add(PL_CHECK_STEP_CERTIFICATE, PL_CHECK_FAILURE, codes[i]);
		CHECK_GRADE("T");
		CHECK(strcmp(run.r->grade_if_trusted, "B") == 0);
	}
}

static void certificate_warnings_do_not_make_t(void)
{
	fresh();
	add(PL_CHECK_STEP_CERTIFICATE, PL_CHECK_WARNING, "cert.expires-soon");
	CHECK_GRADE("A");
	fresh();
	add(PL_CHECK_STEP_CERTIFICATE, PL_CHECK_FAILURE, "cert.expires-soon");
	CHECK_GRADE("B");
}

static void unreachable_has_no_grade(void)
{
	fresh();
	run.r->reachable = false;
	CHECK_GRADE("");
}

static void grade_order_for_min_grade(void)
{
	CHECK(pl_check_grade_at_least("A+", "A"));
	CHECK(pl_check_grade_at_least("A", "A"));
	CHECK(!pl_check_grade_at_least("A-", "A"));
	CHECK(pl_check_grade_at_least("F", "F"));
	CHECK(!pl_check_grade_at_least("T", "F"));
	CHECK(pl_check_grade_at_least("T", "T"));
	CHECK(!pl_check_grade_at_least("", "T"));
	CHECK(!pl_check_grade_at_least("A", "Z"));
	CHECK(pl_check_grade_valid("A-"));
	CHECK(!pl_check_grade_valid("a"));
	CHECK(!pl_check_grade_valid("A++"));
}

int main(void)
{
	RUN(clean_site_with_long_hsts_is_a_plus);
	RUN(short_hsts_or_a_warning_is_a);
	RUN(old_protocols_and_no_forward_secrecy_cap_at_b);
	RUN(no_tls13_and_cbc_cap_at_a_minus);
	RUN(ssl3_rc4_export_null_anon_and_weak_keys_are_f);
	RUN(no_tls12_nor_tls13_is_c);
	RUN(trust_problems_are_t_with_the_grade_otherwise);
	RUN(certificate_warnings_do_not_make_t);
	RUN(unreachable_has_no_grade);
	RUN(grade_order_for_min_grade);
	pl_check_result_free(run.r);
	return test_finish();
}
