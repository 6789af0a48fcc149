/*
 * padlock cert check CHAIN.pem [options]: everything wrong with a
 * certificate chain before a visitor's browser finds it, each finding with
 * its code and the fix (the x509 layer's diagnostics, as text).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "padlock/x509.h"

#define ERR_MAX 512

struct check_options {
	const char *chain, *key, *passphrase, *host;
	const char *ca_file, *ca_path, *intermediates, *at_text;
	const char *crl[8];
	size_t crl_count;
	unsigned max_depth; /* 0: the default */
	time_t at; /* from at_text; 0: now */
	bool help;
};

static const char short_usage[] =
	"usage: padlock cert check CHAIN.pem [--key KEY.pem] [--host NAME] "
	"[options]  (padlock cert check --help lists them)\n";

static void print_help(void)
{
	fputs("usage: padlock cert check CHAIN.pem [options]\n"
	      "\n"
	      "Checks a certificate chain as a server would present it (the "
	      "server's\n"
	      "certificate first, then its intermediates) and says what is "
	      "wrong with it\n"
	      "and how to fix it: dates, host names, order, missing "
	      "intermediates, trust,\n"
	      "weak keys and signatures, the key that goes with it.\n"
	      "\n"
	      "  --key KEY.pem               the private key served with the "
	      "chain\n"
	      "  --key-passphrase-file FILE  the key's passphrase, on the "
	      "first line of FILE\n"
	      "  --host NAME                 a host name or IP address the "
	      "certificate must\n"
	      "                              cover\n"
	      "  --ca-file FILE              trust the CA certificates in "
	      "FILE (default: the\n"
	      "                              system's trust store)\n"
	      "  --ca-path DIR               trust the CA certificates in DIR "
	      "(hashed names)\n"
	      "  --intermediates DIR         look for missing intermediates "
	      "in the files of DIR\n"
	      "  --at YYYY-MM-DD[THH:MM:SS]  judge the dates at this time "
	      "(UTC), not now\n"
	      "  --crl FILE                  check revocation against the "
	      "CRLs in FILE (PEM\n"
	      "                              or DER; may be repeated)\n"
	      "  --max-chain-depth N         refuse paths of more than N "
	      "certificates, leaf\n"
	      "                              and root included (default 8)\n"
	      "  -h, --help                  show this help\n"
	      "\n"
	      "Findings are grouped by severity, each with a stable code "
	      "(docs/certificate-\n"
	      "diagnostics.md lists them) and its fix; in colour on a "
	      "terminal unless\n"
	      "NO_COLOR is set. Exit status: 0 when no finding is an error, "
	      "1 when one is\n"
	      "(or a file cannot be read), 2 on a bad command line.\n",
	      stdout);
}

static const pl_cli_command_t command = { "padlock cert check",
					  short_usage };

static int usage_error(const char *sentence, const char *detail)
{
	return pl_cli_usage_error(&command, sentence, detail);
}

static int failure(const char *sentence)
{
	fprintf(stderr, "padlock cert check: %s\n", sentence);
	return PL_CLI_EXIT_FAILED;
}

/* ---- options ------------------------------------------------------------------- */

bool pl_cli_parse_chain_depth(const char *s, unsigned *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < 1 ||
	    v > PL_X509_MAX_DEPTH_LIMIT)
		return false;
	*out = (unsigned)v;
	return true;
}

const char *pl_cli_take_trust_option(bool is_crl, const char *value,
				     const char **crl, size_t *crl_count,
				     size_t cap, unsigned *max_depth)
{
	static char sentence[64];

	if (!is_crl)
		return pl_cli_parse_chain_depth(value, max_depth)
			       ? NULL
			       : "--max-chain-depth wants a number of "
				 "certificates from 1 to 32";
	if (*crl_count == cap) {
		snprintf(sentence, sizeof sentence,
			 "--crl is given at most %zu times", cap);
		return sentence;
	}
	crl[(*crl_count)++] = value;
	return NULL;
}

bool pl_cli_parse_utc_time(const char *s, time_t *out)
{
	struct tm tm, check;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end != NULL && *end == 'T')
		end = strptime(end + 1, "%H:%M:%S", &tm);
	if (end != NULL && *end == '.' && end[1] >= '0' && end[1] <= '9')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (end != NULL && *end == 'Z')
		end++;
	if (end == NULL || *end != '\0' || tm.tm_year < 70)
		return false;
	check = tm;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != check.tm_mday ||
	    tm.tm_mon != check.tm_mon)
		return false;
	*out = t;
	return true;
}

enum option_id {
	OPT_KEY, OPT_PASSPHRASE, OPT_HOST, OPT_CA_FILE, OPT_CA_PATH,
	OPT_INTERMEDIATES, OPT_AT, OPT_CRL, OPT_MAX_DEPTH, OPT_HELP,
};

static const pl_cli_option_t option_specs[] = {
	{ "key", 0, true, OPT_KEY },
	{ "key-passphrase-file", 0, true, OPT_PASSPHRASE },
	{ "host", 0, true, OPT_HOST },
	{ "ca-file", 0, true, OPT_CA_FILE },
	{ "ca-path", 0, true, OPT_CA_PATH },
	{ "intermediates", 0, true, OPT_INTERMEDIATES },
	{ "at", 0, true, OPT_AT },
	{ "crl", 0, true, OPT_CRL },
	{ "max-chain-depth", 0, true, OPT_MAX_DEPTH },
	{ "help", 'h', false, OPT_HELP },
};

/* A pl_cli_parser_t on_option; ctx is the struct check_options. Every
 * value names a file, a host or a time: an empty one is missing. */
static int apply_option(void *ctx, const pl_cli_option_t *option,
			const char *value)
{
	struct check_options *o = ctx;
	char what[64];

	if (value != NULL && value[0] == '\0') {
		snprintf(what, sizeof what, "'--%s'", option->name);
		return usage_error("this option needs a value", what);
	}
	switch ((enum option_id)option->id) {
	case OPT_KEY: o->key = value; break;
	case OPT_PASSPHRASE: o->passphrase = value; break;
	case OPT_HOST: o->host = value; break;
	case OPT_CA_FILE: o->ca_file = value; break;
	case OPT_CA_PATH: o->ca_path = value; break;
	case OPT_INTERMEDIATES: o->intermediates = value; break;
	case OPT_AT: o->at_text = value; break;
	case OPT_CRL:
	case OPT_MAX_DEPTH: {
		bool is_crl = option->id == OPT_CRL;
		const char *e = pl_cli_take_trust_option(
			is_crl, value, o->crl, &o->crl_count,
			sizeof o->crl / sizeof o->crl[0], &o->max_depth);
		if (e != NULL)
			return usage_error(e, is_crl ? NULL : value);
		break;
	}
	case OPT_HELP: o->help = true; break;
	}
	return PL_CLI_EXIT_OK;
}

/* A pl_cli_parser_t on_argument: the chain file. */
static int take_chain(void *ctx, const char *arg)
{
	struct check_options *o = ctx;

	if (o->chain != NULL)
		return usage_error("give exactly one chain file", arg);
	o->chain = arg;
	return PL_CLI_EXIT_OK;
}

static const pl_cli_parser_t parser = {
	.command = &command,
	.options = option_specs,
	.option_count = sizeof option_specs / sizeof option_specs[0],
	.on_option = apply_option,
	.on_argument = take_chain,
};

static int parse_arguments(int argc, char **argv, struct check_options *o)
{
	int rc;

	memset(o, 0, sizeof *o);
	rc = pl_cli_parse_args(&parser, argc, argv, o);
	if (rc != PL_CLI_EXIT_OK || o->help)
		return rc;
	if (o->chain == NULL)
		return usage_error("no chain file given", NULL);
	if (o->passphrase != NULL && o->key == NULL)
		return usage_error("--key-passphrase-file needs --key", NULL);
	if (o->at_text != NULL && !pl_cli_parse_utc_time(o->at_text, &o->at))
		return usage_error("--at wants a date as YYYY-MM-DD or "
				   "YYYY-MM-DDTHH:MM:SS (UTC)", o->at_text);
	return PL_CLI_EXIT_OK;
}

/* ---- output ---------------------------------------------------------------------- */

/* Colour only for a person at a terminal (https://no-color.org). */
static bool use_colour(void)
{
	const char *no_colour = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	return isatty(STDOUT_FILENO) &&
	       (no_colour == NULL || no_colour[0] == '\0') &&
	       (term == NULL || strcmp(term, "dumb") != 0);
}

static void trust_text(const struct check_options *o, char *buf, size_t cap)
{
	if (o->ca_file != NULL && o->ca_path != NULL)
		snprintf(buf, cap, "the CAs of %s and %s", o->ca_file,
			 o->ca_path);
	else if (o->ca_file != NULL || o->ca_path != NULL)
		snprintf(buf, cap, "the CAs of %s",
			 o->ca_file != NULL ? o->ca_file : o->ca_path);
	else
		snprintf(buf, cap, "the system trust store");
}

/* The certificates as numbered in the findings. */
static void print_certificates(const pl_x509_chain_t *c)
{
	pl_x509_info_t info;
	char until[32];

	for (size_t i = 0; i < pl_x509_chain_count(c); i++) {
		if (pl_x509_chain_info(c, i, &info) != PL_OK)
			continue;
		strftime(until, sizeof until, "%Y-%m-%d",
			 gmtime(&(time_t){ info.not_after }));
		printf("  %zu  %s%s%s%s\n     %s, valid until %s%s\n", i + 1,
		       info.subject[0] != '\0' ? info.subject : "(no subject)",
		       info.names[0] != '\0' ? " (" : "", info.names,
		       info.names[0] != '\0' ? ")" : "", info.key, until,
		       info.self_signed ? ", self-signed" :
		       info.is_ca       ? ", a CA" : "");
	}
}

static void print_report(const struct check_options *o,
			 const pl_x509_chain_t *c, time_t now,
			 const pl_x509_findings_t *f)
{
	size_t errors = pl_x509_findings_count_severity(f,
							PL_X509_SEVERITY_ERROR);
	size_t warnings = pl_x509_findings_count_severity(
		f, PL_X509_SEVERITY_WARNING);
	char when[32], trust[512];

	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	trust_text(o, trust, sizeof trust);
	printf("%s: %zu certificate%s, checked against %s at %s\n", o->chain,
	       pl_x509_chain_count(c), pl_x509_chain_count(c) == 1 ? "" : "s",
	       trust, when);
	print_certificates(c);
	printf("\n");
	pl_x509_findings_print(stdout, f, use_colour());
	if (pl_x509_findings_count(f) > 0)
		printf("\n");
	if (errors > 0)
		printf("%zu error%s, %zu warning%s: clients will fail with this "
		       "chain; fix the errors before serving it.\n", errors,
		       errors == 1 ? "" : "s", warnings,
		       warnings == 1 ? "" : "s");
	else if (warnings > 0)
		printf("No errors, %zu warning%s: the chain works, but fix the "
		       "warning%s.\n", warnings, warnings == 1 ? "" : "s",
		       warnings == 1 ? "" : "s");
	else
		printf("No problems found.\n");
}

/* ---- the check ---------------------------------------------------------------------- */

/* Loads the chain, the key and the trust store the options name; on
 * failure says why on stderr. */
static int load_inputs(const struct check_options *o, pl_x509_chain_t **c,
		       pl_pkey_t **key, pl_x509_store_t **s)
{
	char err[ERR_MAX] = "";

	*c = pl_x509_chain_load_pem(o->chain, err, sizeof err);
	if (*c == NULL)
		return failure(err);
	if (o->key != NULL) {
		*key = pl_x509_key_load_pem_with_passphrase(
			o->key, o->passphrase, err, sizeof err);
		if (*key == NULL && strstr(err, "give a passphrase file"))
			fprintf(stderr, "padlock cert check: %s "
				"(--key-passphrase-file FILE)\n", err);
		else if (*key == NULL)
			failure(err);
		if (*key == NULL)
			return PL_CLI_EXIT_FAILED;
	}
	*s = pl_x509_store_new(o->ca_file, o->ca_path, err, sizeof err);
	if (*s == NULL)
		return failure(err);
	if (o->max_depth != 0 &&
	    pl_x509_store_set_max_depth(*s, o->max_depth) != PL_OK)
		return failure("--max-chain-depth is out of range");
	for (size_t i = 0; i < o->crl_count; i++)
		if (pl_x509_store_add_crl_file(*s, o->crl[i], err, sizeof err) !=
		    PL_OK)
			return failure(err);
	return PL_CLI_EXIT_OK;
}

static int check(const struct check_options *o)
{
	pl_x509_findings_t *f = NULL;
	pl_x509_chain_t *c = NULL;
	pl_x509_store_t *s = NULL;
	pl_pkey_t *key = NULL;
	char err[ERR_MAX] = "";
	time_t now = o->at != 0 ? o->at : time(NULL);
	int rc;

	rc = load_inputs(o, &c, &key, &s);
	if (rc != PL_CLI_EXIT_OK)
		goto out;
	f = pl_x509_findings_new();
	if (f == NULL) {
		rc = failure("out of memory");
		goto out;
	}
	if (pl_x509_diagnose(c, &(pl_x509_diagnose_opts_t){
		.store = s, .now = now, .host = o->host, .key = key,
		.key_path = o->key, .chain_path = o->chain,
		.intermediates_dir = o->intermediates,
	}, f, err, sizeof err) != PL_OK) {
		rc = failure(err);
		goto out;
	}
	print_report(o, c, now, f);
	rc = pl_x509_findings_has_errors(f) ? PL_CLI_EXIT_FAILED :
					      PL_CLI_EXIT_OK;
out:
	pl_x509_findings_free(f);
	pl_x509_store_free(s);
	pl_pkey_free(key);
	pl_x509_chain_free(c);
	return rc;
}

int pl_cli_cert_check(int argc, char **argv)
{
	struct check_options o;
	int rc = parse_arguments(argc, argv, &o);

	if (rc != PL_CLI_EXIT_OK)
		return rc;
	if (o.help) {
		print_help();
		return PL_CLI_EXIT_OK;
	}
	return check(&o);
}
