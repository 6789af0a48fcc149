/*
 * padlock check [options] TARGET: is this site's HTTPS right, and if not,
 * why and how to fix it? Runs the check of src/check/check*.c and prints
 * it for a person (grouped by step, coloured on a terminal) or as JSON;
 * the exit status says whether the grade meets --min-grade.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_MAX_TIME_MS 120000

struct check_options {
	const char *target;
	const char *ip, *sni, *ca_file, *min_grade;
	const char *crl[16];        /* --crl, in the order given */
	size_t crl_count;
	unsigned max_depth;         /* --max-chain-depth; 0: the default */
	int timeout_ms, max_time_ms;
	long http_port;             /* -1: the default (80) */
	uint16_t tls_min, tls_max;  /* --tls-versions; 0: both */
	bool json, no_color, help;
};

static const char short_usage[] =
	"usage: padlock check [options] HOST[:PORT] | https://HOST[:PORT]/  "
	"(padlock check --help lists the options)\n";

static const pl_cli_command_t command = { "padlock check", short_usage };

static int usage_error(const char *sentence, const char *detail)
{
	return pl_cli_usage_error(&command, sentence, detail);
}

static void print_help(void)
{
	printf("usage: padlock check [options] HOST[:PORT] | https://HOST[:PORT]/"
	       "\n\n"
	       "Checks a site's HTTPS in seven steps: name, port, TLS versions, "
	       "cipher suites\nand groups, certificate chain, the redirect "
	       "from port 80 and HSTS, then a\ngrade from A+ to F (T: clients "
	       "cannot trust the certificate). Each problem\ncomes with its "
	       "fix.\n\n"
	       "      --ip ADDR          test this address of the name only\n"
	       "      --sni NAME         the name to send and to verify "
	       "(default: HOST)\n"
	       "      --ca-file FILE     trust the CAs in FILE besides the "
	       "system store\n"
	       "      --crl FILE         check revocation against the CRLs "
	       "in FILE (PEM or DER;\n"
	       "                         may be given up to 16 times)\n"
	       "      --max-chain-depth N  refuse paths of more than N "
	       "certificates (default 8)\n"
	       "      --http-port N      where the redirect to https should "
	       "answer (default 80;\n"
	       "                         0: do not check it)\n"
	       "      --tls-versions V   what padlock's own handshake offers: "
	       "1.2, 1.3 or\n"
	       "                         1.2-1.3 (default; the probes try "
	       "every version)\n"
	       "      --timeout S        each connect and answer (default 5)\n"
	       "      --max-time S       the whole run (default 120)\n"
	       "      --min-grade G      exit 1 below this grade (default A): "
	       "A+ A A- B C D E F T\n"
	       "      --json             the result as JSON "
	       "(docs/padlock-check.md)\n"
	       "      --no-color         no colours (also when NO_COLOR is set)\n"
	       "  -h, --help             show this help\n\n"
	       "Exit status: 0 when the grade meets --min-grade, 1 when it does "
	       "not, 2 on a\nbad command line or when the site cannot be "
	       "reached at all.\n");
}

/* ---- options ------------------------------------------------------------------ */

enum option_id {
	OPT_IP, OPT_SNI, OPT_CA_FILE, OPT_HTTP_PORT, OPT_TIMEOUT, OPT_MAX_TIME,
	OPT_MIN_GRADE, OPT_JSON, OPT_NO_COLOR, OPT_HELP, OPT_CRL, OPT_MAX_DEPTH,
	OPT_VERSIONS,
};

static const pl_cli_option_t option_specs[] = {
	{ "ip", 0, true, OPT_IP },
	{ "sni", 0, true, OPT_SNI },
	{ "ca-file", 0, true, OPT_CA_FILE },
	{ "crl", 0, true, OPT_CRL },
	{ "max-chain-depth", 0, true, OPT_MAX_DEPTH },
	{ "http-port", 0, true, OPT_HTTP_PORT },
	{ "tls-versions", 0, true, OPT_VERSIONS },
	{ "timeout", 0, true, OPT_TIMEOUT },
	{ "max-time", 0, true, OPT_MAX_TIME },
	{ "min-grade", 0, true, OPT_MIN_GRADE },
	{ "json", 0, false, OPT_JSON },
	{ "no-color", 0, false, OPT_NO_COLOR },
	{ "help", 'h', false, OPT_HELP },
};

/* Seconds (may have decimals) into milliseconds: 0.001 to 3600. */
static bool parse_seconds(const char *s, int *ms)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
	    v < 0.001 || v > 3600)
		return false;
	*ms = (int)(v * 1000.0 + 0.5);
	return true;
}

static bool parse_port(const char *s, long *port)
{
	char *end = NULL;

	errno = 0;
	*port = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *port >= 0 &&
	       *port <= 65535;
}

static int apply_option(void *ctx, const pl_cli_option_t *option,
			const char *value)
{
	struct check_options *o = ctx;

	switch ((enum option_id)option->id) {
	case OPT_IP: o->ip = value; break;
	case OPT_SNI: o->sni = value; break;
	case OPT_CA_FILE: o->ca_file = value; break;
	case OPT_JSON: o->json = true; break;
	case OPT_NO_COLOR: o->no_color = true; break;
	case OPT_HELP: o->help = true; break;
	case OPT_VERSIONS: {
		const char *e = pl_cli_tls_versions(value, &o->tls_min,
						    &o->tls_max);
		if (e != NULL)
			return pl_cli_usage_error(&command, e, NULL);
		break;
	}
	case OPT_HTTP_PORT:
		if (!parse_port(value, &o->http_port))
			return usage_error("--http-port wants a port from 0 "
					   "to 65535", value);
		break;
	case OPT_TIMEOUT:
		if (!parse_seconds(value, &o->timeout_ms))
			return usage_error("--timeout wants a number of seconds "
					   "from 0.001 to 3600", value);
		break;
	case OPT_MAX_TIME:
		if (!parse_seconds(value, &o->max_time_ms))
			return usage_error("--max-time wants a number of seconds "
					   "from 0.001 to 3600", value);
		break;
	case OPT_MIN_GRADE:
		if (!pl_check_grade_valid(value))
			return usage_error("--min-grade wants one of A+ A A- B C "
					   "D E F T", value);
		o->min_grade = value;
		break;
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
	}
	return PL_CLI_EXIT_OK;
}

static int take_target(void *ctx, const char *arg)
{
	struct check_options *o = ctx;

	if (o->target != NULL)
		return usage_error("give exactly one site to check", NULL);
	o->target = arg;
	return PL_CLI_EXIT_OK;
}

static const pl_cli_parser_t parser = {
	.command = &command,
	.options = option_specs,
	.option_count = sizeof option_specs / sizeof option_specs[0],
	.on_option = apply_option,
	.on_argument = take_target,
};

static int parse_arguments(int argc, char **argv, struct check_options *o)
{
	int rc;

	memset(o, 0, sizeof *o);
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	o->max_time_ms = DEFAULT_MAX_TIME_MS;
	o->http_port = -1;
	o->min_grade = "A";
	rc = pl_cli_parse_args(&parser, argc, argv, o);
	if (rc != PL_CLI_EXIT_OK || o->help)
		return rc;
	if (o->target == NULL)
		return usage_error("no site given", NULL);
	return PL_CLI_EXIT_OK;
}

/* ---- progress on stderr --------------------------------------------------------- */

/* A pl_check_progress_fn: one line, rewritten in place, on a terminal. */
static void show_progress(void *arg, pl_check_step_t step, const char *text)
{
	(void)arg;
	fprintf(stderr, "\r\033[K[%d/7] %s: ", (int)step + 1,
		pl_check_step_title(step));
	pl_cli_print_safe(stderr, text);
	fflush(stderr);
}

static void clear_progress(void)
{
	fputs("\r\033[K", stderr);
	fflush(stderr);
}

/* ---- running it ------------------------------------------------------------------ */

static bool want_colour(const struct check_options *o)
{
	const char *no = getenv("NO_COLOR");

	return !o->no_color && (no == NULL || no[0] == '\0') && !o->json &&
	       isatty(STDOUT_FILENO);
}

static int run_check(const struct check_options *o,
		     const pl_client_url_t *url, pl_check_result_t **result)
{
	bool progress = isatty(STDERR_FILENO);
	pl_check_opts_t opts = {
		.host = url->host,
		.port = url->port,
		.path = url->path,
		.ip = o->ip,
		.sni = o->sni,
		.ca_file = o->ca_file,
		.crl_files = o->crl,
		.crl_count = o->crl_count,
		.max_chain_depth = o->max_depth,
		.http_port = o->http_port > 0 ? (uint16_t)o->http_port : 0,
		.skip_http = o->http_port == 0,
		.timeout_ms = o->timeout_ms,
		.max_time_ms = o->max_time_ms,
		.tls_min = o->tls_min,
		.tls_max = o->tls_max,
		.progress = progress ? show_progress : NULL,
	};
	char err[PL_CLIENT_ERR_MAX] = "";
	int rc = pl_check_run(&opts, result, err, sizeof err);

	if (progress)
		clear_progress();
	if (rc != PL_OK) {
		/* An unreadable --ca-file or a bad --ip is the command line's
		 * fault (2); running out of memory is not (1). */
		fprintf(stderr, "padlock check: %s\n", err);
		return rc == PL_ERR_ARG ? PL_CLI_EXIT_USAGE : PL_CLI_EXIT_FAILED;
	}
	return PL_CLI_EXIT_OK;
}

static int print_json(const pl_check_result_t *r, const char *min_grade)
{
	char *text = pl_check_to_json(r, min_grade);

	if (text == NULL) {
		fprintf(stderr, "padlock check: out of memory\n");
		return PL_CLI_EXIT_FAILED;
	}
	puts(text);
	free(text);
	return PL_CLI_EXIT_OK;
}

/* An http:// target: padlock check judges HTTPS (and, in step 6, whether
 * plain HTTP redirects to it), so it names the command that checks this
 * site, with the https URL; a port other than 80 becomes --http-port. */
static int refuse_http(const char *target)
{
	const char *authority = target + 7;
	size_t host_len = strcspn(authority, "/?#");
	const char *bracket = memchr(authority, ']', host_len);
	const char *colon = NULL;
	size_t name_len = host_len;
	long port = 80;

	for (size_t i = host_len; i > 0 && colon == NULL; i--)
		if (authority[i - 1] == ':')
			colon = &authority[i - 1];
	if (colon != NULL && (bracket == NULL || colon > bracket) &&
	    (bracket != NULL || memchr(authority, ':', host_len) == colon)) {
		name_len = (size_t)(colon - authority);
		port = strtol(colon + 1, NULL, 10);
	}
	fprintf(stderr, "padlock check: %s is plain HTTP; padlock check judges "
		"a site's HTTPS, and whether plain HTTP redirects to it, so "
		"check the https URL instead:\n  padlock check ", target);
	if (port != 80 && port > 0 && port < 65536)
		fprintf(stderr, "--http-port %ld ", port);
	fprintf(stderr, "https://%.*s%s\n", (int)name_len, authority,
		authority[host_len] == '\0' ? "/" : authority + host_len);
	return PL_CLI_EXIT_USAGE;
}

int pl_cli_check(int argc, char **argv)
{
	struct check_options o;
	pl_client_url_t *url = calloc(1, sizeof *url);
	pl_check_result_t *r = NULL;
	char err[PL_CLIENT_ERR_MAX];
	int rc;

	if (url == NULL) {
		fprintf(stderr, "padlock check: out of memory\n");
		return PL_CLI_EXIT_FAILED;
	}
	rc = parse_arguments(argc, argv, &o);
	if (rc != PL_CLI_EXIT_OK || o.help) {
		if (rc == PL_CLI_EXIT_OK)
			print_help();
		goto out;
	}
	if (strncasecmp(o.target, "http://", 7) == 0) {
		rc = refuse_http(o.target);
		goto out;
	}
	if (pl_client_parse_url(o.target, url, err, sizeof err) != PL_OK) {
		rc = usage_error(err, NULL);
		goto out;
	}
	rc = run_check(&o, url, &r);
	if (rc != PL_CLI_EXIT_OK)
		goto out;
	rc = o.json ? print_json(r, o.min_grade)
		    : (pl_cli_check_print(stdout, r, o.min_grade, want_colour(&o)),
		       PL_CLI_EXIT_OK);
	if (rc != PL_CLI_EXIT_OK)
		goto out;
	if (fflush(stdout) != 0) {
		fprintf(stderr, "padlock check: cannot write the result: %s\n",
			strerror(errno));
		rc = PL_CLI_EXIT_FAILED;
	} else if (!r->reachable) {
		rc = PL_CLI_EXIT_USAGE;
	} else {
		rc = pl_check_grade_at_least(r->grade, o.min_grade)
			     ? PL_CLI_EXIT_OK : PL_CLI_EXIT_FAILED;
	}
out:
	pl_check_result_free(r);
	free(url);
	return rc;
}
