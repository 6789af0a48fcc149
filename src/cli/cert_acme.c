/*
 * padlock cert --acme NAME...: a certificate from an ACME CA (Let's
 * Encrypt by default) without serving, for other servers: the engine of
 * padlock serve --domain, HTTP-01 (port 80) or TLS-ALPN-01 (port 443)
 * answered by a listener that lives as long as the order. Prints where it
 * wrote the chain and the key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cert_internal.h"
#include "cli/cli.h"
#include "padlock/server.h"

#define NAMES_MAX 100
#define DEFAULT_CA "https://acme-v02.api.letsencrypt.org/directory"

struct acme_options {
	pl_srv_acme_cert_t cert;
	const char *names[NAMES_MAX];
	bool help;
};

static const char short_usage[] =
	"usage: padlock cert --acme [options] NAME...  (padlock cert --acme "
	"--help says more)\n";

static const pl_cli_command_t command = { "padlock cert --acme",
					  short_usage };

static void print_help(void)
{
	printf("usage: padlock cert --acme [options] NAME...\n\n"
	       "Obtains a certificate for the NAMEs from an ACME CA without "
	       "serving (for\nanother server), answering the CA's challenge "
	       "while the order runs (HTTP-01 on\n--http-port, or TLS-ALPN-01 "
	       "on --tls-port), and prints where it wrote the\nchain and the "
	       "key (0600).\n\n"
	       "      --acme-ca URL         the CA's directory (default: Let's "
	       "Encrypt)\n"
	       "      --acme-ca-root FILE   trust this root for the CA's "
	       "HTTPS\n"
	       "      --acme-email ADDR     the account's contact\n"
	       "      --acme-agree-tos      agree to the CA's terms of service\n"
	       "      --acme-eab-kid KID, --acme-eab-hmac-key KEY  external "
	       "account binding\n"
	       "      --state-dir DIR       the account key and certificates "
	       "(as padlock serve)\n"
	       "      --challenge TYPE      http-01 (default) or tls-alpn-01\n"
	       "      --http-port N         where the CA's HTTP-01 requests "
	       "arrive (default 80)\n"
	       "      --tls-port N          where its TLS-ALPN-01 handshakes "
	       "arrive (default 443)\n"
	       "      --listen ADDR         the address to listen on (default "
	       "0.0.0.0)\n"
	       "      --acme-timeout S      give up the order after S seconds "
	       "(default 300)\n"
	       "  -h, --help                show this help\n\n"
	       "Exit status: 0 done, 1 failed (stderr says why), 2 bad command "
	       "line.\n");
}

enum option_id {
	OPT_ACME, OPT_CA, OPT_CA_ROOT, OPT_EMAIL, OPT_AGREE, OPT_EAB_KID,
	OPT_EAB_KEY, OPT_STATE, OPT_HTTP_PORT, OPT_LISTEN, OPT_TIMEOUT, OPT_HELP,
	OPT_CHALLENGE, OPT_TLS_PORT,
};

static const pl_cli_option_t option_specs[] = {
	{ "acme", 0, false, OPT_ACME },
	{ "acme-ca", 0, true, OPT_CA },
	{ "acme-ca-root", 0, true, OPT_CA_ROOT },
	{ "acme-email", 0, true, OPT_EMAIL },
	{ "acme-agree-tos", 0, false, OPT_AGREE },
	{ "acme-eab-kid", 0, true, OPT_EAB_KID },
	{ "acme-eab-hmac-key", 0, true, OPT_EAB_KEY },
	{ "state-dir", 0, true, OPT_STATE },
	{ "http-port", 0, true, OPT_HTTP_PORT },
	{ "challenge", 0, true, OPT_CHALLENGE },
	{ "tls-port", 0, true, OPT_TLS_PORT },
	{ "listen", 0, true, OPT_LISTEN },
	{ "acme-timeout", 0, true, OPT_TIMEOUT },
	{ "help", 'h', false, OPT_HELP },
};

static bool parse_number(const char *s, unsigned long lo, unsigned long hi,
			 unsigned long *out)
{
	char *end = NULL;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && s[0] != '-' &&
	       *out >= lo && *out <= hi;
}

static int apply_option(void *ctx, const pl_cli_option_t *option,
			const char *value)
{
	struct acme_options *o = ctx;
	pl_srv_acme_cert_t *c = &o->cert;
	unsigned long n;

	switch ((enum option_id)option->id) {
	case OPT_ACME: break;
	case OPT_CA: c->directory = value; break;
	case OPT_CA_ROOT: c->ca_root = value; break;
	case OPT_EMAIL: c->email = value; break;
	case OPT_AGREE: c->agree_tos = true; break;
	case OPT_EAB_KID: c->eab_kid = value; break;
	case OPT_EAB_KEY: c->eab_hmac_key = value; break;
	case OPT_STATE: c->state_dir = value; break;
	case OPT_LISTEN: c->listen = value; break;
	case OPT_HELP: o->help = true; break;
	case OPT_HTTP_PORT:
		if (!parse_number(value, 1, 65535, &n))
			return pl_cli_usage_error(&command, "--http-port wants "
						  "a port from 1 to 65535", NULL);
		c->http_port = (uint16_t)n;
		break;
	case OPT_TLS_PORT:
		if (!parse_number(value, 1, 65535, &n))
			return pl_cli_usage_error(&command, "--tls-port wants "
						  "a port from 1 to 65535", NULL);
		c->tls_port = (uint16_t)n;
		break;
	case OPT_CHALLENGE:
		if (strcmp(value, "tls-alpn-01") != 0 &&
		    strcmp(value, "http-01") != 0)
			return pl_cli_usage_error(&command, "--challenge is "
						  "http-01 or tls-alpn-01", value);
		c->tls_alpn = strcmp(value, "tls-alpn-01") == 0;
		break;
	case OPT_TIMEOUT:
		if (!parse_number(value, 1, 86400, &n))
			return pl_cli_usage_error(&command, "--acme-timeout "
						  "wants seconds from 1 to 86400",
						  NULL);
		c->timeout_ms = (unsigned)n * 1000;
		break;
	}
	return PL_CLI_EXIT_OK;
}

static int take_name(void *ctx, const char *arg)
{
	struct acme_options *o = ctx;

	if (o->cert.n_names == NAMES_MAX)
		return pl_cli_usage_error(&command, "too many names (at most "
					  "100)", NULL);
	if (arg[0] == '\0' || strpbrk(arg, "/ \t\r\n") != NULL)
		return pl_cli_usage_error(&command, "a name is a host name or "
					  "an IP address", arg);
	o->names[o->cert.n_names++] = arg;
	return PL_CLI_EXIT_OK;
}

int pl_cli_cert_acme(int argc, char **argv)
{
	struct acme_options *o = calloc(1, sizeof *o);
	pl_cli_parser_t p = {
		.command = &command, .options = option_specs,
		.option_count = sizeof option_specs / sizeof option_specs[0],
		.on_option = apply_option, .on_argument = take_name,
	};
	char chain[4096], key[4096], err[1024] = "";
	int rc;

	if (o == NULL) {
		fprintf(stderr, "padlock cert: out of memory\n");
		return PL_CLI_EXIT_FAILED;
	}
	o->cert.directory = DEFAULT_CA;
	o->cert.http_port = 80;
	o->cert.tls_port = 443;
	o->cert.timeout_ms = 300000;
	o->cert.names = o->names;
	rc = pl_cli_parse_args(&p, argc, argv, o);
	if (rc == PL_CLI_EXIT_OK && o->help)
		print_help();
	else if (rc == PL_CLI_EXIT_OK && o->cert.n_names == 0)
		rc = pl_cli_usage_error(&command, "name at least one host name "
					"to certify", NULL);
	else if (rc == PL_CLI_EXIT_OK &&
		 pl_srv_acme_certificate(&o->cert, chain, key, sizeof chain,
					 err, sizeof err) != PL_OK) {
		fprintf(stderr, "padlock cert: %s\n", err);
		rc = PL_CLI_EXIT_FAILED;
	} else if (rc == PL_CLI_EXIT_OK) {
		printf("certificate chain: %s\nprivate key (0600): %s\n", chain,
		       key);
	}
	free(o);
	return rc;
}
