/*
 * Findings: what the chain diagnostics found, kept as data (severity,
 * stable code, the certificate concerned, a sentence and its fix) and
 * printed as text grouped by severity.
 */
#include <stdlib.h>
#include <string.h>

#include "x509/diagnose_internal.h"

struct pl_x509_findings {
	pl_x509_finding_t *items;
	size_t count;
	size_t cap;
	bool out_of_memory; /* an add failed; pl_x509_diagnose reports it */
};

pl_x509_findings_t *pl_x509_findings_new(void)
{
	return calloc(1, sizeof(pl_x509_findings_t));
}

/* Empties f, keeping it usable. */
void pl_x509_findings_clear(pl_x509_findings_t *f)
{
	size_t i;

	for (i = 0; i < f->count; i++) {
		free((char *)f->items[i].message);
		free((char *)f->items[i].fix);
	}
	f->count = 0;
	f->out_of_memory = false;
}

void pl_x509_findings_free(pl_x509_findings_t *f)
{
	if (f == NULL)
		return;
	pl_x509_findings_clear(f);
	free(f->items);
	free(f);
}

void pl_x509_findings_add(pl_x509_findings_t *f, pl_x509_severity_t severity,
			  const char *code, int cert, const char *message,
			  const char *fix)
{
	pl_x509_finding_t *item;
	char *m, *x;

	if (f->count == f->cap) {
		size_t cap = f->cap == 0 ? 8 : f->cap * 2;
		pl_x509_finding_t *p = realloc(f->items, cap * sizeof(*p));

		if (p == NULL) {
			f->out_of_memory = true;
			return;
		}
		f->items = p;
		f->cap = cap;
	}
	m = strdup(message);
	x = strdup(fix != NULL ? fix : "");
	if (m == NULL || x == NULL) {
		free(m);
		free(x);
		f->out_of_memory = true;
		return;
	}
	item = &f->items[f->count++];
	item->severity = severity;
	item->code = code;
	item->cert = cert;
	item->message = m;
	item->fix = x;
}

bool pl_x509_findings_out_of_memory(const pl_x509_findings_t *f)
{
	return f->out_of_memory;
}

size_t pl_x509_findings_count(const pl_x509_findings_t *f)
{
	return f != NULL ? f->count : 0;
}

const pl_x509_finding_t *pl_x509_findings_get(const pl_x509_findings_t *f,
					      size_t i)
{
	return f != NULL && i < f->count ? &f->items[i] : NULL;
}

const pl_x509_finding_t *pl_x509_findings_find(const pl_x509_findings_t *f,
					       const char *code)
{
	size_t i;

	for (i = 0; f != NULL && code != NULL && i < f->count; i++)
		if (strcmp(f->items[i].code, code) == 0)
			return &f->items[i];
	return NULL;
}

size_t pl_x509_findings_count_severity(const pl_x509_findings_t *f,
				       pl_x509_severity_t severity)
{
	size_t i, n = 0;

	for (i = 0; f != NULL && i < f->count; i++)
		if (f->items[i].severity == severity)
			n++;
	return n;
}

bool pl_x509_findings_has_errors(const pl_x509_findings_t *f)
{
	return pl_x509_findings_count_severity(f, PL_X509_SEVERITY_ERROR) > 0;
}

const char *pl_x509_severity_name(pl_x509_severity_t severity)
{
	switch (severity) {
	case PL_X509_SEVERITY_ERROR:
		return "error";
	case PL_X509_SEVERITY_WARNING:
		return "warning";
	default:
		return "info";
	}
}

/* ---- text ----------------------------------------------------------------- */

/* SGR colours of each severity on a terminal. */
static const char *colour_of(pl_x509_severity_t severity)
{
	switch (severity) {
	case PL_X509_SEVERITY_ERROR:
		return "\033[1;31m"; /* bold red */
	case PL_X509_SEVERITY_WARNING:
		return "\033[1;33m"; /* bold yellow */
	default:
		return "\033[1;36m"; /* bold cyan */
	}
}

static const char *heading_of(pl_x509_severity_t severity)
{
	switch (severity) {
	case PL_X509_SEVERITY_ERROR:
		return "errors";
	case PL_X509_SEVERITY_WARNING:
		return "warnings";
	default:
		return "info";
	}
}

/* Prints the findings of one severity, in the order they were found. */
static void print_group(FILE *out, const pl_x509_findings_t *f,
			pl_x509_severity_t severity, bool colour, bool *first)
{
	const char *on = colour ? colour_of(severity) : "";
	const char *off = colour ? "\033[0m" : "";
	size_t i;

	if (pl_x509_findings_count_severity(f, severity) == 0)
		return;
	if (!*first)
		fputc('\n', out);
	*first = false;
	fprintf(out, "%s%s:%s\n", on, heading_of(severity), off);
	for (i = 0; i < f->count; i++) {
		const pl_x509_finding_t *item = &f->items[i];

		if (item->severity != severity)
			continue;
		fprintf(out, "  %s%s%s: %s\n", on, item->code, off,
			item->message);
		if (item->fix[0] != '\0')
			fprintf(out, "    fix: %s\n", item->fix);
	}
}

void pl_x509_findings_print(FILE *out, const pl_x509_findings_t *f,
			    bool colour)
{
	bool first = true;

	if (out == NULL || f == NULL)
		return;
	print_group(out, f, PL_X509_SEVERITY_ERROR, colour, &first);
	print_group(out, f, PL_X509_SEVERITY_WARNING, colour, &first);
	print_group(out, f, PL_X509_SEVERITY_INFO, colour, &first);
}
