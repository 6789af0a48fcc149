/*
 * `padlock serve`: the HTTPS server (src/server). This file turns the
 * command line into pl_srv_options_t; the zero-argument start gets its
 * certificate from the local development CA (padlock cert).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "padlock/server.h"
#include "padlock/x509.h"

/* Flags of the one site the command line describes, and the command's
 * own; every other flag is a row of the server's table of settings. */
enum {
	OPT_ROOT = 256, OPT_CERT, OPT_KEY, OPT_PASS, OPT_DOMAIN, OPT_CONFIG,
	OPT_CHECK, OPT_HELP, OPT_PORT,
	OPT_TABLE = 1024, /* + the row's index */
};

static const struct {
	const char *name, *arg, *help;
	int val;
} own_flags[] = {
	{"root", "DIR", "files to serve (default ./public, else the welcome page)",
	 OPT_ROOT},
	{"cert", "FILE", "certificate chain, leaf first (PEM)", OPT_CERT},
	{"key", "FILE", "its private key (PEM)", OPT_KEY},
	{"key-passphrase-file", "F", "passphrase of an encrypted key", OPT_PASS},
	{"domain", "NAME", "a name of the site (repeatable)", OPT_DOMAIN},
	{"config", "FILE", "sites and settings from a file (docs/padlock-serve.md)",
	 OPT_CONFIG},
	{"check-config", NULL, "check configuration and certificates, then exit",
	 OPT_CHECK},
	{"port", "N", "the same as --https-port", OPT_PORT},
	{"help", NULL, "this text", OPT_HELP},
};

#define N_OWN (sizeof(own_flags) / sizeof(own_flags[0]))

static void usage_line(FILE *f, const char *name, const char *arg,
		       const char *help, const char *fallback)
{
	char left[64];
	snprintf(left, sizeof(left), "--%s%s%s", name, arg ? " " : "",
		 arg ? arg : "");
	fprintf(f, "  %-26s %s%s%s%s\n", left, help, fallback ? " [" : "",
		fallback ? fallback : "", fallback ? "]" : "");
}

static void usage(FILE *f)
{
	size_t n;
	const pl_srv_opt_t *t = pl_srv_options_table(&n);
	fprintf(f,
		"usage: padlock serve [options]\n"
		"       padlock serve --config FILE [--check-config]\n"
		"\n"
		"With no options: serves ./public (or a welcome page) over HTTPS on 443\n"
		"(8443 without privileges), redirects 80 (8080), with a localhost\n"
		"certificate from the local CA (padlock cert).\n"
		"\n"
		"the site:\n");
	for (size_t i = 0; i < N_OWN; i++)
		if (own_flags[i].val < OPT_CONFIG)
			usage_line(f, own_flags[i].name, own_flags[i].arg,
				   own_flags[i].help, NULL);
	fprintf(f, "settings (also in a --config file; defaults in brackets):\n");
	for (size_t i = 0; i < n; i++)
		if (t[i].flags & PL_SRV_OPT_CLI)
			usage_line(f, t[i].name,
				   t[i].kind == PL_SRV_OPT_FLAG ? NULL : t[i].arg,
				   t[i].help, t[i].fallback);
	fprintf(f, "other:\n");
	for (size_t i = 0; i < N_OWN; i++)
		if (own_flags[i].val >= OPT_CONFIG)
			usage_line(f, own_flags[i].name, own_flags[i].arg,
				   own_flags[i].help, NULL);
}

/* getopt's table: the command's own flags, then the settings' rows. */
static struct option *long_options(void)
{
	size_t n, k = 0;
	const pl_srv_opt_t *t = pl_srv_options_table(&n);
	struct option *lo = calloc(N_OWN + n + 1, sizeof(*lo));
	if (lo == NULL)
		return NULL;
	for (size_t i = 0; i < N_OWN; i++)
		lo[k++] = (struct option){own_flags[i].name,
					  own_flags[i].arg ? required_argument
							   : no_argument,
					  NULL, own_flags[i].val};
	for (size_t i = 0; i < n; i++)
		if (t[i].flags & PL_SRV_OPT_CLI)
			lo[k++] = (struct option){
				t[i].name,
				t[i].kind == PL_SRV_OPT_FLAG ? no_argument
							     : required_argument,
				NULL, OPT_TABLE + (int)i};
	return lo;
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

static int set_setting(serve_args_t *a, const pl_srv_opt_t *t, const char *arg)
{
	char err[256];
	int ret = pl_srv_option_set(&a->o, t, PL_SRV_OPT_CLI, arg, err,
				    sizeof(err));
	if (ret == PL_ERR_NOMEM)
		snprintf(err, sizeof(err), "out of memory");
	if (ret != PL_OK) {
		fprintf(stderr, "padlock serve: %s\n", err);
		return -1;
	}
	if (t->offset == offsetof(pl_srv_options_t, allow_invalid_cert))
		fprintf(stderr, "padlock serve: WARNING: --allow-invalid-cert is "
			"for tests only: certificates that fail their checks "
			"will be served\n");
	else
		a->flags_besides_config++;
	return 0;
}

static int parse_flag(serve_args_t *a, int opt, const char *arg)
{
	size_t n;
	const pl_srv_opt_t *t = pl_srv_options_table(&n);
	if (opt >= OPT_TABLE && (size_t)(opt - OPT_TABLE) < n)
		return set_setting(a, &t[opt - OPT_TABLE], arg);
	if (opt != OPT_CONFIG && opt != OPT_CHECK)
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
	case OPT_PORT:
		a->flags_besides_config--;
		return set_setting(a, pl_srv_option_find("https-port",
							 PL_SRV_OPT_CLI),
				   arg);
	case OPT_CONFIG: return set(&a->o.config_file, arg) ? 0 : -1;
	case OPT_CHECK: a->check = true; return 0;
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
	/* --domain without --cert: ACME (docs/acme.md) */
	bool acme = a->cert == NULL && a->key == NULL && a->n_domains > 0;
	if (a->cert == NULL && a->key == NULL && !acme) {
		if (local_certificate(a))
			return -1;
		a->domains[a->n_domains++] = strdup("localhost");
	} else if (!acme && (a->cert == NULL || a->key == NULL)) {
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
	s->acme = acme;
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
	struct option *long_opts = long_options();
	if (long_opts == NULL) {
		fprintf(stderr, "padlock serve: out of memory\n");
		status = PL_CLI_EXIT_FAILED;
		goto out;
	}
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
	free(long_opts);
	free_args(&a);
	return status;
}
