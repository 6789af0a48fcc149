/*
 * padlock cert: a local certificate authority for development, the mkcert
 * experience. `padlock cert NAME...` makes the CA on first use, issues a
 * certificate for the names and writes NAME.pem (the leaf: the whole chain,
 * since the local CA is the root clients trust) and
 * NAME-key.pem; --install and --uninstall put the CA in the trust stores
 * or take it out (cert_install.c); --where prints the CA's directory.
 *
 * `padlock cert check ...` is the certificate checker's, not a name: the
 * first argument "check" is reserved for it (see run_check below).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cert_internal.h"
#include "cli/cli.h"

#define ERR_MAX 512

struct cert_options {
	const char *out_dir;
	bool install, uninstall, where, help, system_only, nss_only;
	const char *names[PL_X509_SAN_MAX];
	size_t name_count;
};

static const char short_usage[] =
	"usage: padlock cert [--out DIR] NAME...  |  padlock cert --install | "
	"--uninstall | --where\n"
	"       (padlock cert --help says more)\n";

static void print_help(void)
{
	printf("usage: padlock cert [--out DIR] NAME...\n"
	       "       padlock cert --install | --uninstall [--system-only | "
	       "--nss-only]\n"
	       "       padlock cert --where\n"
	       "       padlock cert --acme NAME... [options]  (from an ACME CA: "
	       "padlock cert --acme --help)\n"
	       "       padlock cert check CHAIN.pem [options]  (padlock cert "
	       "check --help)\n\n"
	       "A local certificate authority for development. The first run "
	       "makes the CA\n(ECDSA P-256, ten years) in its directory; each "
	       "run issues a certificate\n(ECDSA P-256, 397 days) for the "
	       "NAMEs, host names and IP addresses, and\nwrites NAME.pem (the "
	       "certificate: the whole chain a server sends, as the CA\nis the "
	       "root clients trust and keep themselves)\nand "
	       "NAME-key.pem (its private key, mode 0600).\n\n"
	       "  -o, --out DIR     write the two files into DIR (default: the "
	       "current directory)\n"
	       "      --install     make browsers, curl and Python trust the "
	       "local CA: add it\n"
	       "                    to the system trust store and to the NSS "
	       "databases of\n"
	       "                    Chromium and Firefox (certutil, from "
	       "libnss3-tools)\n"
	       "      --uninstall   take the local CA out of those stores again\n"
	       "      --system-only with --install or --uninstall: the system "
	       "store only\n"
	       "      --nss-only    with --install or --uninstall: the NSS "
	       "databases only\n"
	       "      --where       print the directory of the local CA\n"
	       "  -h, --help        show this help\n\n"
	       "The CA lives in $PADLOCK_CA_DIR if set, else "
	       "$XDG_DATA_HOME/padlock/ca,\nelse ~/.local/share/padlock/ca. "
	       "Its key signs certificates your machine\nwill trust: keep the "
	       "directory private.\n\n"
	       "Exit status: 0 done, 1 failed (stderr says why), 2 bad command "
	       "line or name.\n");
}

static const pl_cli_command_t command = { "padlock cert", short_usage };

static int usage_error(const char *sentence, const char *detail)
{
	return pl_cli_usage_error(&command, sentence, detail);
}

/* A failure after the command line was read: one sentence, exit 1. */
static int failure(const char *sentence)
{
	fprintf(stderr, "padlock cert: %s\n", sentence);
	return PL_CLI_EXIT_FAILED;
}

/* ---- options --------------------------------------------------------------- */

enum option_id {
	OPT_OUT, OPT_INSTALL, OPT_UNINSTALL, OPT_WHERE, OPT_SYSTEM_ONLY,
	OPT_NSS_ONLY, OPT_HELP,
};

static const pl_cli_option_t option_specs[] = {
	{ "out", 'o', true, OPT_OUT },
	{ "install", 0, false, OPT_INSTALL },
	{ "uninstall", 0, false, OPT_UNINSTALL },
	{ "where", 0, false, OPT_WHERE },
	{ "system-only", 0, false, OPT_SYSTEM_ONLY },
	{ "nss-only", 0, false, OPT_NSS_ONLY },
	{ "help", 'h', false, OPT_HELP },
};

/* A pl_cli_parser_t on_option; ctx is the struct cert_options. */
static int apply_option(void *ctx, const pl_cli_option_t *option,
			const char *value)
{
	struct cert_options *o = ctx;

	switch ((enum option_id)option->id) {
	case OPT_OUT: o->out_dir = value; break;
	case OPT_INSTALL: o->install = true; break;
	case OPT_UNINSTALL: o->uninstall = true; break;
	case OPT_WHERE: o->where = true; break;
	case OPT_SYSTEM_ONLY: o->system_only = true; break;
	case OPT_NSS_ONLY: o->nss_only = true; break;
	case OPT_HELP: o->help = true; break;
	}
	return PL_CLI_EXIT_OK;
}

/* A pl_cli_parser_t on_argument: a name to issue a certificate for. */
static int take_name(void *ctx, const char *arg)
{
	struct cert_options *o = ctx;
	char most[64];

	if (o->name_count == PL_X509_SAN_MAX) {
		snprintf(most, sizeof most, "at most %d names",
			 PL_X509_SAN_MAX);
		return usage_error("too many names", most);
	}
	o->names[o->name_count++] = arg;
	return PL_CLI_EXIT_OK;
}

static const pl_cli_parser_t parser = {
	.command = &command,
	.options = option_specs,
	.option_count = sizeof option_specs / sizeof option_specs[0],
	.on_option = apply_option,
	.on_argument = take_name,
};

/* The combinations that make sense: names (with --install first, if
 * wanted), or one of --install, --uninstall, --where. */
static int check_combination(const struct cert_options *o)
{
	bool scoped = o->system_only || o->nss_only;

	if (o->where && (o->install || o->uninstall || o->name_count > 0 ||
			 o->out_dir != NULL || scoped))
		return usage_error("--where takes nothing else", NULL);
	if (o->install && o->uninstall)
		return usage_error("give --install or --uninstall, not both",
				   NULL);
	if (o->uninstall && (o->name_count > 0 || o->out_dir != NULL))
		return usage_error("--uninstall takes no names", NULL);
	if (o->system_only && o->nss_only)
		return usage_error("give --system-only or --nss-only, not both "
				   "(without either, both stores are used)",
				   NULL);
	if (scoped && !o->install && !o->uninstall)
		return usage_error("--system-only and --nss-only go with "
				   "--install or --uninstall", NULL);
	if (o->out_dir != NULL && o->name_count == 0)
		return usage_error("--out needs names to issue a certificate "
				   "for", NULL);
	if (!o->where && !o->install && !o->uninstall && o->name_count == 0)
		return usage_error("give the host names and IP addresses to "
				   "issue a certificate for, like 'padlock cert "
				   "localhost 127.0.0.1 ::1'", NULL);
	return PL_CLI_EXIT_OK;
}

static int parse_arguments(int argc, char **argv, struct cert_options *o)
{
	int rc;

	memset(o, 0, sizeof *o);
	rc = pl_cli_parse_args(&parser, argc, argv, o);
	if (rc != PL_CLI_EXIT_OK || o->help)
		return rc;
	return check_combination(o);
}

/* ---- names and file names ---------------------------------------------------- */

/* Checks every name before anything is made; repeats are dropped. */
static int parse_names(const struct cert_options *o, pl_x509_san_t *sans,
		       size_t *count)
{
	char err[ERR_MAX];

	*count = 0;
	for (size_t i = 0; i < o->name_count; i++) {
		pl_x509_san_t *san = &sans[*count];
		bool repeat = false;

		if (pl_x509_san_parse(o->names[i], san, err, sizeof err) != PL_OK) {
			fprintf(stderr, "padlock cert: %s\n", err);
			return PL_CLI_EXIT_USAGE;
		}
		for (size_t j = 0; j < *count; j++)
			repeat |= sans[j].is_ip == san->is_ip &&
				  strcmp(sans[j].text, san->text) == 0;
		if (!repeat)
			(*count)++;
	}
	return PL_CLI_EXIT_OK;
}

/* The file name stem, as mkcert makes it: the first name with '*' as
 * "_wildcard" and ':' (IPv6) as '_', then "+N" when N more names follow:
 * "localhost+3", "_wildcard.myapp.test", "__1". */
static void file_stem(const pl_x509_san_t *sans, size_t count, char *buf,
		      size_t cap)
{
	size_t len = 0;

	for (const char *p = sans[0].text; *p != '\0' && len + 10 < cap; p++) {
		if (*p == '*') {
			memcpy(buf + len, "_wildcard", 9);
			len += 9;
		} else {
			buf[len++] = *p == ':' ? '_' : *p;
		}
	}
	buf[len] = '\0';
	if (count > 1)
		snprintf(buf + len, cap - len, "+%zu", count - 1);
}

/* path as a shell reads it back: quoted only when it needs to be. */
static void shell_word(const char *path, char *buf, size_t cap)
{
	size_t len = 0;

	if (path[strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
			      "VWXYZ0123456789._/+-,:@%=")] == '\0') {
		snprintf(buf, cap, "%s", path);
		return;
	}
	buf[len++] = '\'';
	for (const char *p = path; *p != '\0' && len + 6 < cap; p++) {
		if (*p == '\'') {
			memcpy(buf + len, "'\\''", 4);
			len += 4;
		} else {
			buf[len++] = *p;
		}
	}
	buf[len++] = '\'';
	buf[len] = '\0';
}

/* "localhost, 127.0.0.1 and ::1" */
static void name_list(const pl_x509_san_t *sans, size_t count, FILE *f)
{
	for (size_t i = 0; i < count; i++)
		fprintf(f, "%s%s", i == 0 ? "" : i + 1 == count ? " and " : ", ",
			sans[i].text);
}

static void date_text(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, cap, "?");
}

/* ---- the CA -------------------------------------------------------------------- */

static int ca_directory(char *dir, size_t cap)
{
	char err[ERR_MAX];

	if (pl_x509_ca_default_dir(dir, cap, err, sizeof err) != PL_OK)
		return failure(err);
	return PL_CLI_EXIT_OK;
}

static void print_created_ca(const pl_x509_ca_t *ca)
{
	pl_x509_info_t info;
	char until[32];

	if (pl_x509_chain_info(pl_x509_ca_chain(ca), 0, &info) != PL_OK)
		return;
	date_text(info.not_after, until, sizeof until);
	printf("Created a local CA in %s:\n  %s, valid until %s.\n"
	       "  Its key (ca-key.pem) can sign certificates for any site: keep "
	       "it private.\n\n", pl_x509_ca_dir(ca), info.subject, until);
}

/* Loads the CA; makes it first when create is true and there is none. */
static int open_ca(bool create, pl_x509_ca_t **ca, bool *created)
{
	char dir[4096], err[ERR_MAX];

	if (ca_directory(dir, sizeof dir) != PL_CLI_EXIT_OK)
		return PL_CLI_EXIT_FAILED;
	if (pl_x509_ca_open(dir, create, time(NULL), ca, created, err,
			    sizeof err) != PL_OK)
		return failure(err);
	return PL_CLI_EXIT_OK;
}

/* ---- issuing --------------------------------------------------------------------- */

struct issue_paths {
	char cert[4096], key[4096];   /* as written */
	char cert_shell[8192], key_shell[8192]; /* as a shell reads them */
};

static int make_paths(const struct cert_options *o, const pl_x509_san_t *sans,
		      size_t count, struct issue_paths *p)
{
	const char *dir = o->out_dir;
	char stem[320], ebuf[128];
	struct stat sb;
	int n, m;

	if (dir != NULL && stat(dir, &sb) != 0) {
		fprintf(stderr, "padlock cert: --out %s: %s\n", dir,
			strerror_r(errno, ebuf, sizeof ebuf));
		return PL_CLI_EXIT_FAILED;
	}
	if (dir != NULL && !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "padlock cert: --out %s: not a directory\n", dir);
		return PL_CLI_EXIT_FAILED;
	}
	if (access(dir != NULL ? dir : ".", W_OK) != 0) {
		fprintf(stderr, "padlock cert: cannot write to %s: %s\n",
			dir != NULL ? dir : "the current directory",
			strerror_r(errno, ebuf, sizeof ebuf));
		return PL_CLI_EXIT_FAILED;
	}
	file_stem(sans, count, stem, sizeof stem);
	n = snprintf(p->cert, sizeof p->cert, "%s%s%s.pem", dir ? dir : "",
		     dir && dir[strlen(dir) - 1] != '/' ? "/" : "", stem);
	m = snprintf(p->key, sizeof p->key, "%s%s%s-key.pem", dir ? dir : "",
		     dir && dir[strlen(dir) - 1] != '/' ? "/" : "", stem);
	if (n < 0 || m < 0 || (size_t)n >= sizeof p->cert ||
	    (size_t)m >= sizeof p->key)
		return failure("the output directory's name is too long");
	shell_word(p->cert, p->cert_shell, sizeof p->cert_shell);
	shell_word(p->key, p->key_shell, sizeof p->key_shell);
	return PL_CLI_EXIT_OK;
}

static void print_issued(const pl_x509_san_t *sans, size_t count,
			 const pl_x509_issued_t *issued,
			 const struct issue_paths *p)
{
	char until[32];
	int width = (int)strlen(p->key_shell);

	date_text(issued->not_after, until, sizeof until);
	printf("Issued a certificate for ");
	name_list(sans, count, stdout);
	printf(", valid until %s:\n", until);
	printf("  %-*s  the certificate (the whole chain a server sends: the "
	       "local CA is the root)\n", width, p->cert_shell);
	printf("  %-*s  its private key (mode 0600)\n", width, p->key_shell);
	if (issued->replaced)
		printf("  (files of the same names were there; they are "
		       "replaced)\n");
	printf("\nNext: padlock serve --cert %s --key %s\n", p->cert_shell,
	       p->key_shell);
}

/* Says which stores do not trust the CA yet, and what to run. */
static void print_trust_hint(const pl_x509_ca_t *ca)
{
	pl_cli_trust_t trusted = pl_cli_cert_trusted(ca);

	if (trusted.system && trusted.nss)
		return;
	printf("\nThe local CA is not trusted yet by %s: run 'padlock cert "
	       "--install' so that\n%s accept this certificate.\n",
	       !trusted.system && !trusted.nss ? "this machine"
	       : !trusted.system ? "the system trust store"
				 : "the browsers' NSS database",
	       !trusted.system && !trusted.nss ? "curl, Python and browsers"
	       : !trusted.system ? "curl and Python"
				 : "Chromium and Firefox");
}

static int issue(const struct cert_options *o, pl_x509_ca_t **ca,
		 bool ca_created)
{
	pl_x509_san_t *sans = calloc(PL_X509_SAN_MAX, sizeof *sans);
	struct issue_paths *paths = calloc(1, sizeof *paths);
	pl_x509_issued_t issued;
	char err[ERR_MAX];
	size_t count = 0;
	int rc = PL_CLI_EXIT_FAILED;

	if (sans == NULL || paths == NULL) {
		rc = failure("out of memory");
		goto out;
	}
	rc = parse_names(o, sans, &count);
	if (rc == PL_CLI_EXIT_OK)
		rc = make_paths(o, sans, count, paths);
	if (rc == PL_CLI_EXIT_OK && *ca == NULL)
		rc = open_ca(true, ca, &ca_created);
	if (rc != PL_CLI_EXIT_OK)
		goto out;
	if (pl_x509_ca_issue(*ca, sans, count, time(NULL), paths->cert,
			     paths->key, &issued, err, sizeof err) != PL_OK) {
		rc = failure(err);
		if (ca_created) {
			/* Nothing of this run stays behind, CA included. */
			pl_x509_ca_discard(*ca);
			*ca = NULL;
		}
		goto out;
	}
	if (ca_created)
		print_created_ca(*ca);
	print_issued(sans, count, &issued, paths);
	print_trust_hint(*ca);
out:
	free(paths);
	free(sans);
	return rc;
}

/* ---- the subcommand ---------------------------------------------------------------- */

/* `padlock cert check ...` belongs to the certificate checker (issue 3,
 * sections 1-2, certcheck.c): "check" is reserved, never a name. */
static int run_check(int argc, char **argv)
{
	return pl_cli_cert_check(argc, argv);
}

static int where(void)
{
	char dir[4096];

	if (ca_directory(dir, sizeof dir) != PL_CLI_EXIT_OK)
		return PL_CLI_EXIT_FAILED;
	printf("%s\n", dir);
	if (!pl_x509_ca_exists(dir))
		fprintf(stderr, "padlock cert: there is no local CA there yet "
			"('padlock cert NAME' makes one)\n");
	return PL_CLI_EXIT_OK;
}

static pl_cli_trust_t scope_of(const struct cert_options *o)
{
	pl_cli_trust_t scope = { .system = !o->nss_only,
				 .nss = !o->system_only };
	return scope;
}

static int uninstall(const struct cert_options *o)
{
	pl_x509_ca_t *ca = NULL;
	char dir[4096];
	int rc;

	if (ca_directory(dir, sizeof dir) != PL_CLI_EXIT_OK)
		return PL_CLI_EXIT_FAILED;
	if (!pl_x509_ca_exists(dir)) {
		printf("There is no local CA in %s: nothing to uninstall.\n", dir);
		return PL_CLI_EXIT_OK;
	}
	rc = open_ca(false, &ca, NULL);
	if (rc == PL_CLI_EXIT_OK)
		rc = pl_cli_cert_uninstall(ca, scope_of(o));
	pl_x509_ca_free(ca);
	return rc;
}

static int install_then_issue(const struct cert_options *o)
{
	pl_x509_ca_t *ca = NULL;
	bool created = false;
	int rc = PL_CLI_EXIT_OK;

	if (o->install) {
		/* Names are checked first, so a typo stops before anything is
		 * made or installed. */
		pl_x509_san_t *sans = calloc(PL_X509_SAN_MAX, sizeof *sans);
		size_t count;

		rc = sans == NULL ? failure("out of memory")
				  : parse_names(o, sans, &count);
		free(sans);
		if (rc == PL_CLI_EXIT_OK)
			rc = open_ca(true, &ca, &created);
		if (rc != PL_CLI_EXIT_OK)
			goto out;
		if (created)
			print_created_ca(ca);
		rc = pl_cli_cert_install(ca, scope_of(o));
		if (rc != PL_CLI_EXIT_OK && created) {
			fprintf(stderr, "padlock cert: removed the local CA made "
				"above again (%s)\n", pl_x509_ca_dir(ca));
			pl_x509_ca_discard(ca);
			ca = NULL;
		}
		if (rc != PL_CLI_EXIT_OK || o->name_count == 0)
			goto out;
		printf("\n");
	}
	rc = issue(o, &ca, false);
out:
	pl_x509_ca_free(ca);
	return rc;
}

int pl_cli_cert(int argc, char **argv)
{
	struct cert_options *o;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return run_check(argc - 1, argv + 1);
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--acme") == 0)
			return pl_cli_cert_acme(argc, argv);
	o = calloc(1, sizeof *o);
	if (o == NULL)
		return failure("out of memory");
	rc = parse_arguments(argc, argv, o);
	if (rc != PL_CLI_EXIT_OK)
		goto out;
	if (o->help)
		print_help();
	else if (o->where)
		rc = where();
	else if (o->uninstall)
		rc = uninstall(o);
	else
		rc = install_then_issue(o);
out:
	free(o);
	return rc;
}
