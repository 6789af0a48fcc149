/*
 * `padlock serve`: the HTTPS server (src/server). This file turns the
 * command line into pl_srv_options_t; the zero-argument start gets its
 * certificate from the local development CA (padlock cert).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "padlock/server.h"
#include "padlock/x509.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: padlock serve [options]\n"
		"       padlock serve --config FILE [--check-config]\n"
		"\n"
		"With no options: serves ./public (or a welcome page) over HTTPS on 443\n"
		"(8443 without privileges), redirects 80 (8080), with a localhost\n"
		"certificate from the local CA (padlock cert).\n"
		"\n"
		"site:\n"
		"  --root DIR              files to serve (default ./public, else the welcome page)\n"
		"  --cert FILE             certificate chain, leaf first (PEM)\n"
		"  --key FILE              its private key (PEM)\n"
		"  --key-passphrase-file F passphrase of an encrypted key\n"
		"  --domain NAME           a name of the site (repeatable)\n"
		"  --follow-symlinks       follow symbolic links that leave the root\n"
		"listeners:\n"
		"  --https-port N          default 443\n"
		"  --http-port N           default 80; 0: no redirect listener\n"
		"  --listen ADDR           default: every address\n"
		"  --unknown-sni default|reject\n"
		"processes:\n"
		"  --workers N             default: one per core\n"
		"  --user NAME             workers' user when started as root\n"
		"                          (default padlock, else nobody)\n"
		"  --unsafe-root-workers   allow --user root: parsers face the network as root\n"
		"  --pid-file FILE\n"
		"security:\n"
		"  --hsts SECONDS|off      Strict-Transport-Security max-age (default 63072000)\n"
		"limits (defaults in brackets):\n"
		"  --max-request-line N [8192]   --max-header-bytes N [16384]\n"
		"  --max-header-count N [100]    --max-body N [1048576]\n"
		"  --handshake-timeout S [10]    --header-timeout S [10]\n"
		"  --idle-timeout S [60]         --shutdown-timeout S [10]\n"
		"  --max-connections N [10000 per worker]\n"
		"logs:\n"
		"  --access-log FILE|off   default stderr\n"
		"  --error-log FILE        default stderr\n"
		"  --log-format combined|json\n"
		"  --log-level error|warn|info|debug\n"
		"other:\n"
		"  --config FILE           sites and settings from a file (docs/padlock-serve.md)\n"
		"  --check-config          check configuration and certificates, then exit\n"
		"  --allow-invalid-cert    FOR TESTS ONLY: serve a certificate that fails checks\n");
}

enum {
	OPT_ROOT = 256, OPT_CERT, OPT_KEY, OPT_PASS, OPT_DOMAIN, OPT_SYMLINKS,
	OPT_HTTPS_PORT, OPT_HTTP_PORT, OPT_LISTEN, OPT_SNI, OPT_WORKERS,
	OPT_USER, OPT_PID, OPT_HSTS, OPT_LINE, OPT_HBYTES, OPT_HCOUNT, OPT_BODY,
	OPT_HS_TIMEOUT, OPT_HDR_TIMEOUT, OPT_IDLE_TIMEOUT, OPT_STOP_TIMEOUT,
	OPT_MAXCONN, OPT_ACCESS, OPT_ERROR, OPT_FORMAT, OPT_LEVEL, OPT_CONFIG,
	OPT_CHECK, OPT_ALLOW_INVALID, OPT_UNSAFE_ROOT, OPT_HELP,
};

static const struct option long_opts[] = {
	{"root", required_argument, NULL, OPT_ROOT},
	{"cert", required_argument, NULL, OPT_CERT},
	{"key", required_argument, NULL, OPT_KEY},
	{"key-passphrase-file", required_argument, NULL, OPT_PASS},
	{"domain", required_argument, NULL, OPT_DOMAIN},
	{"follow-symlinks", no_argument, NULL, OPT_SYMLINKS},
	{"https-port", required_argument, NULL, OPT_HTTPS_PORT},
	{"port", required_argument, NULL, OPT_HTTPS_PORT},
	{"http-port", required_argument, NULL, OPT_HTTP_PORT},
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"unknown-sni", required_argument, NULL, OPT_SNI},
	{"workers", required_argument, NULL, OPT_WORKERS},
	{"user", required_argument, NULL, OPT_USER},
	{"pid-file", required_argument, NULL, OPT_PID},
	{"hsts", required_argument, NULL, OPT_HSTS},
	{"max-request-line", required_argument, NULL, OPT_LINE},
	{"max-header-bytes", required_argument, NULL, OPT_HBYTES},
	{"max-header-count", required_argument, NULL, OPT_HCOUNT},
	{"max-body", required_argument, NULL, OPT_BODY},
	{"handshake-timeout", required_argument, NULL, OPT_HS_TIMEOUT},
	{"header-timeout", required_argument, NULL, OPT_HDR_TIMEOUT},
	{"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
	{"shutdown-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
	{"max-connections", required_argument, NULL, OPT_MAXCONN},
	{"access-log", required_argument, NULL, OPT_ACCESS},
	{"error-log", required_argument, NULL, OPT_ERROR},
	{"log-format", required_argument, NULL, OPT_FORMAT},
	{"log-level", required_argument, NULL, OPT_LEVEL},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"check-config", no_argument, NULL, OPT_CHECK},
	{"allow-invalid-cert", no_argument, NULL, OPT_ALLOW_INVALID},
	{"unsafe-root-workers", no_argument, NULL, OPT_UNSAFE_ROOT},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

static bool number(const char *flag, const char *s, long min, long max,
		   long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "padlock serve: %s wants a number from %ld to %ld, "
			"not '%s'\n", flag, min, max, s);
		return false;
	}
	*out = v;
	return true;
}

static bool set(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst != NULL;
}

typedef struct {
	pl_srv_options_t o;
	char *root, *cert, *key, *pass;
	char *domains[PL_SRV_MAX_NAMES];
	size_t n_domains;
	bool check;
	int flags_besides_config;
} serve_args_t;

static int parse_flag(serve_args_t *a, int opt, const char *arg)
{
	pl_srv_options_t *o = &a->o;
	long v;
	const char *name = NULL;
	for (const struct option *lo = long_opts; lo->name; lo++)
		if (lo->val == opt)
			name = lo->name;
	char flag[48];
	snprintf(flag, sizeof(flag), "--%s", name ? name : "?");
	if (opt != OPT_CONFIG && opt != OPT_CHECK && opt != OPT_ALLOW_INVALID &&
	    opt != OPT_UNSAFE_ROOT)
		a->flags_besides_config++;
	switch (opt) {
	case OPT_ROOT: return set(&a->root, arg) ? 0 : -1;
	case OPT_CERT: return set(&a->cert, arg) ? 0 : -1;
	case OPT_KEY: return set(&a->key, arg) ? 0 : -1;
	case OPT_PASS: return set(&a->pass, arg) ? 0 : -1;
	case OPT_DOMAIN:
		if (a->n_domains == PL_SRV_MAX_NAMES - 1) {
			fprintf(stderr, "padlock serve: too many --domain\n");
			return -1;
		}
		return (a->domains[a->n_domains++] = strdup(arg)) ? 0 : -1;
	case OPT_SYMLINKS: o->follow_symlinks = true; return 0;
	case OPT_HTTPS_PORT:
		if (!number(flag, arg, 1, 65535, &v))
			return -1;
		o->https_port = (int)v;
		o->ports_given = true;
		return 0;
	case OPT_HTTP_PORT:
		if (!number(flag, arg, 0, 65535, &v))
			return -1;
		o->http_port = (int)v;
		o->ports_given = true;
		return 0;
	case OPT_LISTEN: return set(&o->listen, arg) ? 0 : -1;
	case OPT_SNI:
		if (strcmp(arg, "default") && strcmp(arg, "reject")) {
			fprintf(stderr, "padlock serve: --unknown-sni is "
				"'default' or 'reject'\n");
			return -1;
		}
		o->strict_sni = strcmp(arg, "reject") == 0;
		return 0;
	case OPT_WORKERS:
		if (!number(flag, arg, 1, 256, &v))
			return -1;
		o->workers = (int)v;
		return 0;
	case OPT_USER: return set(&o->user, arg) ? 0 : -1;
	case OPT_PID: return set(&o->pid_file, arg) ? 0 : -1;
	case OPT_HSTS:
		if (strcmp(arg, "off") == 0) {
			o->hsts_max_age = -1;
			return 0;
		}
		if (!number(flag, arg, 0, 1000000000, &v))
			return -1;
		o->hsts_max_age = v;
		return 0;
	case OPT_LINE: case OPT_HBYTES: case OPT_HCOUNT:
		if (!number(flag, arg, 1, 1 << 28, &v))
			return -1;
		if (opt == OPT_LINE)
			o->limits.max_request_line = (size_t)v;
		else if (opt == OPT_HBYTES)
			o->limits.max_header_bytes = (size_t)v;
		else
			o->limits.max_header_count = (size_t)v;
		return 0;
	case OPT_BODY:
		if (!number(flag, arg, 0, LONG_MAX, &v))
			return -1;
		o->limits.max_body = (uint64_t)v;
		return 0;
	case OPT_HS_TIMEOUT: case OPT_HDR_TIMEOUT: case OPT_IDLE_TIMEOUT:
	case OPT_STOP_TIMEOUT:
		if (!number(flag, arg, 1, 86400, &v))
			return -1;
		*(opt == OPT_HS_TIMEOUT ? &o->handshake_timeout_ms
		  : opt == OPT_HDR_TIMEOUT ? &o->header_timeout_ms
		  : opt == OPT_IDLE_TIMEOUT ? &o->idle_timeout_ms
					    : &o->shutdown_timeout_ms) =
			(unsigned)v * 1000u;
		return 0;
	case OPT_MAXCONN:
		if (!number(flag, arg, 1, 1000000, &v))
			return -1;
		o->max_conns = (unsigned)v;
		return 0;
	case OPT_ACCESS: return set(&o->access_log, arg) ? 0 : -1;
	case OPT_ERROR: return set(&o->error_log, arg) ? 0 : -1;
	case OPT_FORMAT:
		if (strcmp(arg, "combined") && strcmp(arg, "json")) {
			fprintf(stderr, "padlock serve: --log-format is "
				"'combined' or 'json'\n");
			return -1;
		}
		o->log_format = strcmp(arg, "json") == 0 ? PL_SRV_LOG_JSON
							 : PL_SRV_LOG_COMBINED;
		return 0;
	case OPT_LEVEL: {
		static const char *levels[] = {"error", "warn", "info", "debug"};
		for (int i = 0; i < 4; i++)
			if (strcmp(arg, levels[i]) == 0) {
				o->log_level = (pl_srv_log_level_t)i;
				return 0;
			}
		fprintf(stderr, "padlock serve: --log-level is error, warn, "
			"info or debug\n");
		return -1;
	}
	case OPT_CONFIG: return set(&o->config_file, arg) ? 0 : -1;
	case OPT_CHECK: a->check = true; return 0;
	case OPT_UNSAFE_ROOT: o->unsafe_root_workers = true; return 0;
	case OPT_ALLOW_INVALID:
		o->allow_invalid_cert = true;
		fprintf(stderr, "padlock serve: WARNING: --allow-invalid-cert is "
			"for tests only: certificates that fail their checks "
			"will be served\n");
		return 0;
	default:
		return -1;
	}
}

/* The zero-argument start: a localhost certificate from the local CA,
 * issued on first run (and again when it nears its end). */
static int local_certificate(serve_args_t *a)
{
	char dir[PATH_MAX], err[512], cert[PATH_MAX + 32], key[PATH_MAX + 32];
	pl_x509_ca_t *ca = NULL;
	bool created = false;
	time_t now = time(NULL);
	if (pl_x509_ca_default_dir(dir, sizeof(dir), err, sizeof(err)) ||
	    pl_x509_ca_open(dir, true, now, &ca, &created, err, sizeof(err))) {
		fprintf(stderr, "padlock serve: no certificate given, and the "
			"local CA cannot make one: %s\n", err);
		return -1;
	}
	snprintf(cert, sizeof(cert), "%s/localhost.pem", dir);
	snprintf(key, sizeof(key), "%s/localhost-key.pem", dir);
	pl_x509_chain_t *have = pl_x509_chain_load_pem(cert, err, sizeof(err));
	pl_x509_info_t info;
	/* A file from before the leaf was written alone (leaf + CA) is
	 * issued again, so that the root is not sent. */
	bool fresh = have && pl_x509_chain_count(have) == 1 &&
		     pl_x509_chain_info(have, 0, &info) == PL_OK &&
		     info.not_after - now > 30 * 86400 &&
		     access(key, R_OK) == 0;
	pl_x509_chain_free(have);
	if (!fresh) {
		const char *names[] = {"localhost", "127.0.0.1", "::1"};
		pl_x509_san_t sans[3];
		pl_x509_issued_t issued;
		for (int i = 0; i < 3; i++)
			pl_x509_san_parse(names[i], &sans[i], err, sizeof(err));
		if (pl_x509_ca_issue(ca, sans, 3, now, cert, key, &issued, err,
				     sizeof(err))) {
			fprintf(stderr, "padlock serve: cannot issue a localhost "
				"certificate: %s\n", err);
			pl_x509_ca_free(ca);
			return -1;
		}
		fprintf(stderr, "padlock serve: made a localhost certificate "
			"with the local CA in %s%s\n", dir,
			created ? " (new CA: run 'padlock cert --install' so "
				  "browsers trust it)" : "");
	}
	pl_x509_ca_free(ca);
	return (set(&a->cert, cert) && set(&a->key, key)) ? 0 : -1;
}

static int build_site(serve_args_t *a)
{
	pl_srv_options_t *o = &a->o;
	struct stat st;
	if (a->cert == NULL && a->key == NULL) {
		if (local_certificate(a))
			return -1;
		if (a->n_domains == 0)
			a->domains[a->n_domains++] = strdup("localhost");
	} else if (a->cert == NULL || a->key == NULL) {
		fprintf(stderr, "padlock serve: --cert and --key go together\n");
		return -1;
	}
	if (a->root == NULL && stat("public", &st) == 0 && S_ISDIR(st.st_mode))
		a->root = strdup("public");
	if (a->root && (stat(a->root, &st) != 0 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "padlock serve: --root %s is not a directory\n",
			a->root);
		return -1;
	}
	pl_srv_site_t *s = &o->sites[o->n_sites++];
	s->root = a->root ? realpath(a->root, NULL) : NULL;
	s->cert_file = a->cert;
	s->key_file = a->key;
	s->key_passphrase_file = a->pass;
	a->cert = a->key = a->pass = NULL;
	for (size_t i = 0; i < a->n_domains; i++) {
		s->names[i] = a->domains[i];
		a->domains[i] = NULL;
	}
	s->n_names = a->n_domains;
	a->n_domains = 0;
	return 0;
}

static void free_args(serve_args_t *a)
{
	free(a->root);
	free(a->cert);
	free(a->key);
	free(a->pass);
	for (size_t i = 0; i < a->n_domains; i++)
		free(a->domains[i]);
	pl_srv_options_free(&a->o);
}

int pl_cli_serve(int argc, char **argv)
{
	serve_args_t a;
	int opt, status = PL_CLI_EXIT_USAGE;
	memset(&a, 0, sizeof(a));
	pl_srv_options_default(&a.o);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			usage(stdout);
			status = PL_CLI_EXIT_OK;
			goto out;
		}
		if (opt == '?') {
			fprintf(stderr, "padlock serve: unknown option '%s'\n",
				argv[optind - 1]);
			usage(stderr);
			goto out;
		}
		if (parse_flag(&a, opt, optarg))
			goto out;
	}
	if (optind < argc) {
		fprintf(stderr, "padlock serve: unexpected argument '%s'\n",
			argv[optind]);
		goto out;
	}
	if (a.o.config_file && a.flags_besides_config) {
		fprintf(stderr, "padlock serve: with --config, every setting "
			"comes from the file; give no other flags\n");
		goto out;
	}
	if (a.o.config_file == NULL && build_site(&a))
		goto out;
	if (a.check) {
		status = pl_srv_check(&a.o, stdout) == PL_OK ? PL_CLI_EXIT_OK
							   : PL_CLI_EXIT_FAILED;
		goto out;
	}
	status = pl_srv_run(&a.o) == 0 ? PL_CLI_EXIT_OK : PL_CLI_EXIT_FAILED;
out:
	free_args(&a);
	return status;
}
