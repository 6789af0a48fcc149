/*
 * padlock check's output for a person: the seven steps in order, each
 * with what was found (ok, info, warning, failure), the code in brackets
 * for scripts and searches, and the fix under each problem; then the
 * grade and what capped it. Text from the network goes through
 * pl_cli_print_safe, so a server cannot drive the terminal.
 */
#include <string.h>
#include <time.h>

#include "cli/cli.h"

#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define RED "\033[31m"
#define DIM "\033[2m"
#define BOLD "\033[1m"
#define RESET "\033[0m"

struct printer {
	FILE *f;
	bool colour;
};

static const char *paint(const struct printer *p, const char *code)
{
	return p->colour ? code : "";
}

static const char *level_colour(pl_check_level_t level)
{
	switch (level) {
	case PL_CHECK_OK: return GREEN;
	case PL_CHECK_WARNING: return YELLOW;
	case PL_CHECK_FAILURE: return RED;
	default: return DIM;
	}
}

static const char *grade_colour(const char *grade)
{
	if (grade[0] == 'A')
		return GREEN;
	if (grade[0] == 'B' || grade[0] == 'C')
		return YELLOW;
	return RED;
}

/* A fix already shown for the finding just above is not repeated. */
static void print_finding(const struct printer *p, const pl_check_finding_t *x,
			  const char **last_fix)
{
	fprintf(p->f, "   %s%-8s%s", paint(p, level_colour(x->level)),
		pl_check_level_name(x->level), paint(p, RESET));
	pl_cli_print_safe(p->f, x->message);
	fprintf(p->f, "  %s[%s]%s\n", paint(p, DIM), x->code, paint(p, RESET));
	if (x->fix[0] == '\0' || x->level < PL_CHECK_WARNING)
		return;
	if (*last_fix != NULL && strcmp(*last_fix, x->fix) == 0) {
		fprintf(p->f, "           fix: as above\n");
		return;
	}
	fprintf(p->f, "           fix: ");
	pl_cli_print_safe(p->f, x->fix);
	fputc('\n', p->f);
	*last_fix = x->fix;
}

static void print_findings(const struct printer *p, const pl_check_result_t *r,
			   pl_check_step_t step)
{
	const char *last_fix = NULL;

	for (size_t i = 0; i < r->finding_count; i++)
		if (r->findings[i].step == step)
			print_finding(p, &r->findings[i], &last_fix);
}

static void heading(const struct printer *p, pl_check_step_t step,
		    const char *extra)
{
	fprintf(p->f, "\n%s%d. %s%s%s\n", paint(p, BOLD), (int)step + 1,
		pl_check_step_title(step), extra, paint(p, RESET));
}

static void print_header(const struct printer *p, const pl_check_result_t *r)
{
	char when[40];
	struct tm tm;

	gmtime_r(&r->started, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(p->f, "padlock check %s port %u", r->host, (unsigned)r->port);
	if (r->sni[0] != '\0' && strcmp(r->sni, r->host) != 0)
		fprintf(p->f, " (SNI %s)", r->sni);
	if (r->tested_ip[0] != '\0')
		fprintf(p->f, ", at %s", r->tested_ip);
	fprintf(p->f, ", %s\n", when);
}

static void print_protocols(const struct printer *p, const pl_check_result_t *r)
{
	static const char *const names[5] = { "SSL 3.0", "TLS 1.0", "TLS 1.1",
					      "TLS 1.2", "TLS 1.3" };

	fprintf(p->f, "  ");
	for (size_t i = 0; i < 5; i++) {
		pl_check_answer_t a = r->protocols[i].accepted;
		bool bad = (i < 3 && a == PL_CHECK_YES) ||
			   (i == 4 && a == PL_CHECK_NO);

		fprintf(p->f, " %s %s%s%s%s", names[i],
			paint(p, bad ? RED : a == PL_CHECK_YES ? GREEN : ""),
			a == PL_CHECK_YES ? "yes" : a == PL_CHECK_NO ? "no"
					  : a == PL_CHECK_UNCLEAR ? "unclear"
								  : "-",
			paint(p, RESET), i < 4 ? " " : "\n");
	}
}

static void print_chain(const struct printer *p, const pl_check_result_t *r)
{
	for (size_t i = 0; i < r->chain_count; i++) {
		const pl_x509_info_t *c = &r->chain[i];
		char until[16];
		struct tm tm;

		gmtime_r(&c->not_after, &tm);
		strftime(until, sizeof until, "%Y-%m-%d", &tm);
		fprintf(p->f, "   %zu  ", i + 1);
		pl_cli_print_safe(p->f, c->subject);
		if (c->names[0] != '\0') {
			fputs(" (", p->f);
			pl_cli_print_safe(p->f, c->names);
			fputc(')', p->f);
		}
		fprintf(p->f, "\n      %s, %s, valid until %s%s\n", c->key,
			c->sig_alg, until, c->is_ca ? ", CA" : "");
	}
}

static void print_grade(const struct printer *p, const pl_check_result_t *r)
{
	heading(p, PL_CHECK_STEP_GRADE, "");
	if (r->grade[0] == '\0') {
		fprintf(p->f, "   no grade: the site could not be reached\n");
		return;
	}
	fprintf(p->f, "   %s%s%s%s", paint(p, BOLD), paint(p, grade_colour(r->grade)),
		r->grade, paint(p, RESET));
	if (r->grade_if_trusted[0] != '\0')
		fprintf(p->f, "  (%s if the certificate were trusted)",
			r->grade_if_trusted);
	fputc('\n', p->f);
	for (size_t i = 0; i < r->cap_count; i++) {
		const pl_check_cap_t *c = &r->caps[i];

		if (strcmp(c->grade, "T") == 0)
			fprintf(p->f, "   T: %s", c->reason);
		else
			fprintf(p->f, "   capped at %s: %s", c->grade, c->reason);
		fprintf(p->f, "  %s[%s]%s\n", paint(p, DIM), c->code,
			paint(p, RESET));
	}
	print_findings(p, r, PL_CHECK_STEP_GRADE);
}

static void print_summary(const struct printer *p, const pl_check_result_t *r,
			  const char *min_grade)
{
	size_t failures = pl_check_count(r, PL_CHECK_FAILURE);
	size_t warnings = pl_check_count(r, PL_CHECK_WARNING);

	fputc('\n', p->f);
	if (r->grade[0] == '\0')
		fprintf(p->f, "not reachable: ");
	else
		fprintf(p->f, "grade %s (%s %s): ", r->grade,
			pl_check_grade_at_least(r->grade, min_grade)
				? "meets" : "below", min_grade);
	fprintf(p->f, "%zu failure%s, %zu warning%s, in %.1f s\n", failures,
		failures == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
		r->duration_ms / 1000.0);
}

void pl_cli_check_print(FILE *f, const pl_check_result_t *r,
			const char *min_grade, bool colour)
{
	struct printer p = { .f = f, .colour = colour };
	char port[32], cert[96];

	print_header(&p, r);
	heading(&p, PL_CHECK_STEP_NAME, "");
	print_findings(&p, r, PL_CHECK_STEP_NAME);
	snprintf(port, sizeof port, " (%u)", (unsigned)r->port);
	heading(&p, PL_CHECK_STEP_PORT, port);
	print_findings(&p, r, PL_CHECK_STEP_PORT);
	if (r->reachable) {
		heading(&p, PL_CHECK_STEP_PROTOCOLS, "");
		print_protocols(&p, r);
		print_findings(&p, r, PL_CHECK_STEP_PROTOCOLS);
		heading(&p, PL_CHECK_STEP_SUITES, "");
		print_findings(&p, r, PL_CHECK_STEP_SUITES);
		snprintf(cert, sizeof cert, r->cert_source[0] != '\0'
			 ? " (as served, from the %s)" : "%s", r->cert_source);
		heading(&p, PL_CHECK_STEP_CERTIFICATE, cert);
		print_chain(&p, r);
		print_findings(&p, r, PL_CHECK_STEP_CERTIFICATE);
		heading(&p, PL_CHECK_STEP_HTTP, "");
		print_findings(&p, r, PL_CHECK_STEP_HTTP);
	}
	print_grade(&p, r);
	print_summary(&p, r, min_grade);
}
