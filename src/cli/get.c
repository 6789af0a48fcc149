/*
 * padlock get [options] URL...: fetch HTTPS URLs one after another, print
 * the bodies on stdout, and on failure say in one sentence on stderr why.
 * With -v, show the handshake step by step and what was negotiated
 * (verbose.c). Session tickets are kept for the run (and with --sessions
 * across runs), so a second connection to a place resumes.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "padlock/crypto.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_TIMEOUT_MS 30000
#define LIST_MAX 16
#define MAX_REDIRECTS 10 /* -L, as curl's default of 50 is more than sites need */
#define URL_MAX 100      /* URLs on one command line */

struct get_options {
	const char *urls[URL_MAX];
	size_t url_count;
	const char *sessions;    /* --sessions FILE, or NULL */
	const char *cacert, *capath, *output;
	const char *alpn;
	bool verbose, insecure, help;
	bool head;               /* -I: HEAD, the head on the output */
	bool follow;             /* -L: follow redirects */
	bool allow_http;         /* ... also to plain http:// */
	int connect_timeout_ms, timeout_ms;
	uint16_t suites[LIST_MAX], groups[LIST_MAX];
	size_t suite_count, group_count;
	uint16_t tls_min, tls_max; /* --tls-versions; 0: the default */
	/* Verification (issue 15): --at, --max-chain-depth, --crl. */
	time_t at;                 /* 0: now */
	unsigned max_depth;        /* 0: the default */
	const char *crl[LIST_MAX];
	size_t crl_count;
	/* --resolve HOST:PORT:ADDR: connect to ADDR for HOST:PORT. */
	char resolve_host[256], resolve_addr[64];
	uint16_t resolve_port;
};

/* Everything one run holds; freed in one place. */
struct get_run {
	struct get_options opt;
	pl_client_url_t url;
	char target[300];        /* "localhost:4433", for error messages */
	pl_cli_verbose_t verbose;
	pl_tls_config_t *cfg;
	pl_tls_conn_t *conn;
	pl_client_io_t io;
	FILE *out;
	int keylog_fd;
	bool keylog_failed;
	pl_client_response_t resp;
	bool redirecting;        /* -L and a redirect came: its body is not
				    the one asked for */
	bool plain;              /* this hop is plain http (--allow-http) */
	pl_client_sessions_t *sessions; /* tickets kept for this run */
	pl_client_session_t offered; /* the one offered on this connection */
	bool use_file;           /* --sessions, and the file may be used */
};

static const char short_usage[] =
	"usage: padlock get [options] https://HOST[:PORT][/PATH]...  "
	"(padlock get --help lists the options)\n";

static void print_help(void)
{
	printf("usage: padlock get [options] https://HOST[:PORT][/PATH]...\n\n"
	       "Fetches each URL over HTTPS, one after another, and writes "
	       "the response bodies\nto stdout. A second connection to the "
	       "same host and port resumes the TLS\nsession with a ticket "
	       "from the first.\n\n"
	       "  -v, --verbose            show the handshake step by step, "
	       "the certificates\n"
	       "                           and the response headers (on "
	       "stderr)\n"
	       "  -o, --output FILE        write the body to FILE instead of "
	       "stdout\n"
	       "      --cacert FILE        trust only the CA certificates in "
	       "FILE\n"
	       "      --capath DIR         trust the CA certificates in DIR "
	       "(hashed names)\n"
	       "  -k, --insecure           do not verify the server's "
	       "certificate (dangerous)\n"
	       "  -I, --head               send HEAD and write the response's "
	       "status line and\n"
	       "                           headers instead of a body\n"
	       "      --http1.1            speak HTTP/1.1 even when the server "
	       "offers HTTP/2\n"
	       "      --alpn LIST          application protocols to offer "
	       "(default h2,http/1.1;\n"
	       "                           HTTP/2 is spoken when the server "
	       "chooses h2)\n"
	       "      --tls-versions V     TLS versions to offer: 1.2, 1.3 or "
	       "1.2-1.3 (default)\n"
	       "      --tls-suites LIST    cipher suites, e.g. "
	       "TLS_AES_128_GCM_SHA256,\n"
	       "                           "
	       "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (TLS 1.2)\n"
	       "      --tls-groups LIST    key exchange groups: X25519MLKEM768, "
	       "x25519, secp256r1,\n"
	       "                           secp384r1, secp521r1, x448, "
	       "ffdhe2048, ffdhe3072, ffdhe4096\n"
	       "                           (default X25519MLKEM768,x25519,"
	       "secp256r1,secp384r1)\n"
	       "      --connect-timeout S  give up connecting after S seconds "
	       "(default 10)\n"
	       "      --timeout S          give up when the server is silent "
	       "for S seconds\n"
	       "                           (default 30)\n"
	       "  -L, --location           follow redirects (at most 10, to "
	       "https:// only)\n"
	       "      --allow-http         with -L, follow redirects to "
	       "plain http:// too\n"
	       "      --resolve HOST:PORT:ADDR  connect to ADDR for HOST:PORT, "
	       "still verifying\n"
	       "                           the certificate for HOST (as curl "
	       "does)\n"
	       "      --at YYYY-MM-DD[THH:MM:SS]  verify the certificate at "
	       "this time (UTC)\n"
	       "      --max-chain-depth N  refuse paths of more than N "
	       "certificates (default 8)\n"
	       "      --crl FILE           check revocation against the CRLs "
	       "in FILE\n"
	       "      --sessions FILE      keep session tickets in FILE across "
	       "runs (created 0600)\n"
	       "  -h, --help               show this help\n\n"
	       "Exit status: 0 when a response was received (whatever its "
	       "status), 1 on\nany failure, 2 on a bad command line. "
	       "SSLKEYLOGFILE=FILE appends the\nsession secrets to FILE "
	       "(for Wireshark).\n");
}

static const pl_cli_command_t command = { "padlock get", short_usage };

static int usage_error(const char *sentence, const char *detail)
{
	return pl_cli_usage_error(&command, sentence, detail);
}

/* ---- options --------------------------------------------------------------- */

enum option_id {
	OPT_VERBOSE, OPT_OUTPUT, OPT_CACERT, OPT_CAPATH, OPT_INSECURE,
	OPT_ALPN, OPT_SUITES, OPT_GROUPS, OPT_CONNECT_TIMEOUT, OPT_TIMEOUT,
	OPT_RESOLVE, OPT_AT, OPT_MAX_DEPTH, OPT_CRL, OPT_HELP, OPT_LOCATION,
	OPT_ALLOW_HTTP, OPT_HEAD, OPT_HTTP11, OPT_VERSIONS, OPT_SESSIONS,
};

static const pl_cli_option_t option_specs[] = {
	{ "verbose", 'v', false, OPT_VERBOSE },
	{ "output", 'o', true, OPT_OUTPUT },
	{ "cacert", 0, true, OPT_CACERT },
	{ "capath", 0, true, OPT_CAPATH },
	{ "insecure", 'k', false, OPT_INSECURE },
	{ "alpn", 0, true, OPT_ALPN },
	{ "tls-suites", 0, true, OPT_SUITES },
	{ "tls-groups", 0, true, OPT_GROUPS },
	{ "tls-versions", 0, true, OPT_VERSIONS },
	{ "connect-timeout", 0, true, OPT_CONNECT_TIMEOUT },
	{ "timeout", 0, true, OPT_TIMEOUT },
	{ "resolve", 0, true, OPT_RESOLVE },
	{ "at", 0, true, OPT_AT },
	{ "max-chain-depth", 0, true, OPT_MAX_DEPTH },
	{ "crl", 0, true, OPT_CRL },
	{ "help", 'h', false, OPT_HELP },
	{ "location", 'L', false, OPT_LOCATION },
	{ "allow-http", 0, false, OPT_ALLOW_HTTP },
	{ "head", 'I', false, OPT_HEAD },
	{ "http1.1", 0, false, OPT_HTTP11 },
	{ "sessions", 0, true, OPT_SESSIONS },
};

/* Seconds (may have decimals) into milliseconds: 0.001 to 86400. */
static bool parse_seconds(const char *s, int *ms)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) ||
	    v < 0.001 || v > 86400)
		return false;
	*ms = (int)(v * 1000.0 + 0.5);
	return true;
}

/* "HOST:PORT:ADDR" (curl's --resolve); HOST and ADDR may be IPv6 in
 * brackets. */
static bool parse_resolve(const char *s, struct get_options *o)
{
	const char *colon, *addr;
	char *end = NULL;
	unsigned long port;
	size_t len;

	if (s[0] == '[') {
		colon = strchr(s, ']');
		if (colon == NULL || colon[1] != ':')
			return false;
		len = (size_t)(colon - s - 1);
		colon++;
		s++;
	} else {
		colon = strchr(s, ':');
		len = colon != NULL ? (size_t)(colon - s) : 0;
	}
	if (colon == NULL || len == 0 || len >= sizeof o->resolve_host)
		return false;
	memcpy(o->resolve_host, s, len);
	o->resolve_host[len] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != ':' || port == 0 ||
	    port > 65535)
		return false;
	o->resolve_port = (uint16_t)port;
	addr = end + 1;
	len = strlen(addr);
	if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
		addr++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof o->resolve_addr)
		return false;
	memcpy(o->resolve_addr, addr, len);
	o->resolve_addr[len] = '\0';
	return true;
}

/* A pl_cli_parser_t on_option; ctx is the struct get_options. */
static int apply_option(void *ctx, const pl_cli_option_t *option,
			const char *value)
{
	struct get_options *o = ctx;
	char err[PL_CLIENT_ERR_MAX];

	switch ((enum option_id)option->id) {
	case OPT_VERBOSE: o->verbose = true; break;
	case OPT_INSECURE: o->insecure = true; break;
	case OPT_HELP: o->help = true; break;
	case OPT_LOCATION: o->follow = true; break;
	case OPT_ALLOW_HTTP: o->allow_http = true; break;
	case OPT_HEAD: o->head = true; break;
	case OPT_HTTP11: o->alpn = "http/1.1"; break;
	case OPT_OUTPUT: o->output = value; break;
	case OPT_CACERT: o->cacert = value; break;
	case OPT_CAPATH: o->capath = value; break;
	case OPT_SESSIONS: o->sessions = value; break;
	case OPT_ALPN: o->alpn = value; break;
	case OPT_SUITES:
		if (pl_client_parse_suites(value, o->suites, LIST_MAX,
					   &o->suite_count, err,
					   sizeof err) != PL_OK)
			return usage_error("--tls-suites", err);
		break;
	case OPT_GROUPS:
		if (pl_client_parse_groups(value, o->groups, LIST_MAX,
					   &o->group_count, err,
					   sizeof err) != PL_OK)
			return usage_error("--tls-groups", err);
		break;
	case OPT_VERSIONS: {
		const char *e = pl_cli_tls_versions(value, &o->tls_min,
						    &o->tls_max);
		if (e != NULL)
			return usage_error(e, NULL);
		break;
	}
	case OPT_CONNECT_TIMEOUT:
		if (!parse_seconds(value, &o->connect_timeout_ms))
			return usage_error("--connect-timeout wants a number of "
					   "seconds from 0.001 to 86400", NULL);
		break;
	case OPT_TIMEOUT:
		if (!parse_seconds(value, &o->timeout_ms))
			return usage_error("--timeout wants a number of seconds "
					   "from 0.001 to 86400", NULL);
		break;
	case OPT_RESOLVE:
		if (!parse_resolve(value, o))
			return usage_error("--resolve wants HOST:PORT:ADDR", value);
		break;
	case OPT_AT:
		if (!pl_cli_parse_utc_time(value, &o->at))
			return usage_error("--at wants a date as YYYY-MM-DD or "
					   "YYYY-MM-DDTHH:MM:SS (UTC)", value);
		break;
	case OPT_CRL:
	case OPT_MAX_DEPTH: {
		bool is_crl = option->id == OPT_CRL;
		const char *e = pl_cli_take_trust_option(
			is_crl, value, o->crl, &o->crl_count, LIST_MAX, &o->max_depth);
		if (e != NULL)
			return usage_error(e, is_crl ? NULL : value);
		break;
	}
	}
	return PL_CLI_EXIT_OK;
}

/* A pl_cli_parser_t on_argument: a URL. */
static int take_url(void *ctx, const char *arg)
{
	struct get_options *o = ctx;

	if (o->url_count == URL_MAX)
		return usage_error("give at most 100 URLs", NULL);
	o->urls[o->url_count++] = arg;
	return PL_CLI_EXIT_OK;
}

static const pl_cli_parser_t parser = {
	.command = &command,
	.options = option_specs,
	.option_count = sizeof option_specs / sizeof option_specs[0],
	.on_option = apply_option,
	.on_argument = take_url,
};

static int parse_arguments(int argc, char **argv, struct get_options *o)
{
	int rc;

	memset(o, 0, sizeof *o);
	o->alpn = "h2,http/1.1";
	o->connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	rc = pl_cli_parse_args(&parser, argc, argv, o);
	if (rc != PL_CLI_EXIT_OK || o->help)
		return rc;
	if (o->url_count == 0)
		return usage_error("no URL given", NULL);
	return PL_CLI_EXIT_OK;
}

/* ---- SSLKEYLOGFILE ----------------------------------------------------------- */

/* A pl_tls_keylog_fn: appends one line to the key log, at once, so that a
 * capture tool reading the file sees every secret as soon as it exists. */
static void write_keylog(void *arg, const char *line)
{
	struct get_run *run = arg;
	char buf[512];
	int len = snprintf(buf, sizeof buf, "%s\n", line);
	size_t off = 0;

	if (len < 0 || (size_t)len >= sizeof buf || run->keylog_failed)
		return;
	while (off < (size_t)len) {
		ssize_t n = write(run->keylog_fd, buf + off, (size_t)len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "padlock: warning: SSLKEYLOGFILE: cannot "
				"write: %s\n", strerror(errno));
			run->keylog_failed = true;
			return;
		}
		off += (size_t)n;
	}
}

/* Off unless SSLKEYLOGFILE is set; a file that cannot be opened is a
 * warning, not a failure: the fetch itself does not need it. */
static void open_keylog(struct get_run *run)
{
	const char *path = getenv("SSLKEYLOGFILE");

	if (path == NULL || path[0] == '\0')
		return;
	run->keylog_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			      0600);
	if (run->keylog_fd < 0) {
		fprintf(stderr, "padlock: warning: SSLKEYLOGFILE=%s: cannot "
			"open: %s; no secrets will be logged\n", path,
			strerror(errno));
		return;
	}
	pl_tls_config_set_keylog(run->cfg, write_keylog, run);
}

/* ---- the TLS configuration ------------------------------------------------- */

static const char *trust_source(const struct get_options *o)
{
	if (o->cacert != NULL && o->capath != NULL)
		return "--cacert and --capath";
	if (o->cacert != NULL)
		return o->cacert;
	if (o->capath != NULL)
		return o->capath;
	return "the system trust store";
}

static int configure_trust(struct get_run *run)
{
	const struct get_options *o = &run->opt;
	char err[PL_CLIENT_ERR_MAX] = "";
	pl_x509_store_t *store;

	if (o->insecure) {
		fprintf(stderr, "padlock: WARNING: certificate verification "
			"disabled (--insecure): anyone on the path can pose as "
			"%s\n", run->url.host);
		pl_tls_config_set_verify(run->cfg, false);
		return PL_CLI_EXIT_OK;
	}
	store = pl_x509_store_new(o->cacert, o->capath, err, sizeof err);
	if (store == NULL) {
		fprintf(stderr, "padlock: %s\n",
			err[0] != '\0' ? err : "cannot load the trust store");
		return PL_CLI_EXIT_FAILED;
	}
	pl_tls_config_set_trust(run->cfg, store);
	if (o->max_depth != 0)
		pl_x509_store_set_max_depth(store, o->max_depth);
	for (size_t i = 0; i < o->crl_count; i++) {
		if (pl_x509_store_add_crl_file(store, o->crl[i], err,
					       sizeof err) != PL_OK) {
			fprintf(stderr, "padlock: %s\n", err);
			return PL_CLI_EXIT_FAILED;
		}
	}
	return PL_CLI_EXIT_OK;
}

/* Suites for none of the versions offered: a bad command line. */
static bool speaks_any(const struct get_options *o)
{
	uint16_t lo = o->tls_min ? o->tls_min : PL_TLS_VERSION_12;
	uint16_t hi = o->tls_max ? o->tls_max : PL_TLS_VERSION_13;

	for (size_t i = 0; i < o->suite_count; i++) {
		const pl_tls_suite_info_t *s = pl_tls_suite_lookup(o->suites[i]);
		uint16_t v = s != NULL && (s->flags & PL_SUITE_TLS13)
			     ? PL_TLS_VERSION_13 : PL_TLS_VERSION_12;
		if (lo <= v && v <= hi)
			return true;
	}
	return o->suite_count == 0;
}

/* Versions, ALPN, suites and groups: a refusal is a bad command line. */
static int configure_lists(struct get_run *run)
{
	const struct get_options *o = &run->opt;
	int rc;

	if (o->tls_min != 0 &&
	    pl_tls_config_set_versions(run->cfg, o->tls_min, o->tls_max) != PL_OK)
		return usage_error("--tls-versions wants 1.2, 1.3 or 1.2-1.3",
				   NULL);
	if (!speaks_any(o))
		return usage_error("--tls-suites names no suite of the TLS "
				   "versions offered (see --tls-versions)", NULL);

	rc = pl_tls_config_set_alpn(run->cfg, o->alpn);
	if (rc != PL_OK)
		return usage_error("--alpn wants names separated by commas, "
				   "each 1 to 255 characters", NULL);
	if (o->suite_count > 0) {
		rc = pl_tls_config_set_suites(run->cfg, o->suites,
					      o->suite_count);
		if (rc != PL_OK)
			return usage_error("--tls-suites", pl_strerror(rc));
	}
	if (o->group_count > 0) {
		rc = pl_tls_config_set_groups(run->cfg, o->groups,
					      o->group_count);
		if (rc != PL_OK)
			return usage_error("--tls-groups", pl_strerror(rc));
	}
	return PL_CLI_EXIT_OK;
}

static int configure(struct get_run *run)
{
	int rc;

	run->cfg = pl_tls_config_new(false);
	if (run->cfg == NULL) {
		fprintf(stderr, "padlock: out of memory\n");
		return PL_CLI_EXIT_FAILED;
	}
	rc = configure_lists(run);
	if (rc != PL_CLI_EXIT_OK)
		return rc;
	rc = configure_trust(run);
	if (rc != PL_CLI_EXIT_OK)
		return rc;
	if (run->opt.verbose)
		pl_tls_config_set_trace(run->cfg, pl_cli_trace, &run->verbose);
	open_keylog(run);
	return PL_CLI_EXIT_OK;
}

/* ---- session tickets ------------------------------------------------------------ */

/* The server name sent, part of a ticket's key: none for an address. */
static const char *sni_of(const struct get_run *run)
{
	return run->url.host_is_ip ? "" : run->url.host;
}

/* Before the handshake: offers the ticket kept for this host, port and
 * name, if one is. */
static void offer_session(struct get_run *run)
{
	pl_client_session_t *s = &run->offered;

	pl_client_session_clear(s);
	if (run->plain ||
	    !pl_client_sessions_take(run->sessions, run->url.host,
				     run->url.port, sni_of(run), time(NULL), s))
		return;
	/* Bytes of another engine version: a full handshake, nothing worse. */
	if (pl_tls_session_load(run->conn, s->data, s->len) != PL_OK)
		pl_client_session_clear(s);
}

/* After the response: the newest ticket the server sent, for the next
 * connection to the same place. */
static void keep_session(struct get_run *run)
{
	uint32_t lifetime = 0, early_data = 0;
	uint8_t *data = NULL;
	size_t len = 0;

	if (run->conn == NULL)
		return;
	if (pl_tls_session_save(run->conn, &data, &len) != PL_OK) {
		/* RFC 5077 3.3: a TLS 1.2 server that resumes may send no new
		 * ticket, and the one offered stays good; a TLS 1.3 ticket is
		 * used once (RFC 8446 C.4). */
		if (run->offered.data != NULL && pl_tls_resumed(run->conn) &&
		    pl_tls_version(run->conn) == PL_TLS_VERSION_12)
			(void)pl_client_sessions_put(run->sessions,
				run->url.host, run->url.port, sni_of(run),
				run->offered.saved, run->offered.lifetime,
				run->offered.data, run->offered.len);
		return;
	}
	if (!pl_tls_ticket_info(run->conn, &lifetime, &early_data))
		lifetime = 0;
	(void)pl_client_sessions_put(run->sessions, run->url.host, run->url.port,
				     sni_of(run), time(NULL), lifetime, data,
				     len);
	pl_cleanse(data, len);
	free(data);
}

/* "3 s ago", "12 min ago", "5 h ago". */
static void ago(time_t seconds, char *out, size_t cap)
{
	long long s = seconds > 0 ? (long long)seconds : 0;

	if (s < 120)
		snprintf(out, cap, "%lld s ago", s);
	else if (s < 7200)
		snprintf(out, cap, "%lld min ago", s / 60);
	else
		snprintf(out, cap, "%lld h ago", s / 3600);
}

/* -v: whether the handshake resumed, and if not, why. */
static void say_resumption(struct get_run *run)
{
	const pl_client_session_t *s = &run->offered;
	char line[400], when[80];
	struct tm tm;

	if (!run->verbose.on)
		return;
	if (pl_tls_resumed(run->conn)) {
		if (!s->from_file || gmtime_r(&s->saved, &tm) == NULL ||
		    strftime(when, sizeof when, "a previous run at %Y-%m-%d "
			     "%H:%M:%S UTC", &tm) == 0)
			ago(time(NULL) - s->saved, when, sizeof when);
		snprintf(line, sizeof line, "resumed with a ticket from %s",
			 when);
	} else if (s->data != NULL)
		snprintf(line, sizeof line, "full handshake (the server did "
			 "not accept the ticket)");
	else
		snprintf(line, sizeof line, "full handshake (no ticket for %s)",
			 run->target);
	pl_cli_verbose_line(&run->verbose, "resumption", line);
}

/* --sessions FILE: the tickets of earlier runs. A file that must not
 * hold secrets is refused; one that cannot be read as sessions is
 * ignored with a warning (and rewritten at the end). */
static int read_sessions(struct get_run *run)
{
	const char *path = run->opt.sessions;
	char err[PL_CLIENT_ERR_MAX + 200] = "";
	int rc;

	run->sessions = pl_client_sessions_new();
	if (run->sessions == NULL) {
		fprintf(stderr, "padlock: out of memory\n");
		return PL_CLI_EXIT_FAILED;
	}
	if (path == NULL)
		return PL_CLI_EXIT_OK;
	if (run->opt.insecure) {
		fprintf(stderr, "padlock: warning: --sessions is not used with "
			"--insecure, so that a ticket from an unverified server "
			"never lets a later run skip verification\n");
		return PL_CLI_EXIT_OK;
	}
	rc = pl_client_sessions_read(run->sessions, path, time(NULL), err,
				     sizeof err);
	if (rc == PL_ERR_DECODE)
		fprintf(stderr, "padlock: warning: --sessions: %s\n", err);
	else if (rc != PL_OK) {
		fprintf(stderr, "padlock: --sessions: %s\n",
			err[0] != '\0' ? err : pl_strerror(rc));
		return PL_CLI_EXIT_FAILED;
	}
	run->use_file = true;
	return PL_CLI_EXIT_OK;
}

/* At the end: the tickets for the next run; a failure costs only them. */
static void write_sessions(struct get_run *run)
{
	char err[PL_CLIENT_ERR_MAX + 200] = "";

	if (!run->use_file)
		return;
	if (pl_client_sessions_write(run->sessions, run->opt.sessions,
				     time(NULL), err, sizeof err) != PL_OK)
		fprintf(stderr, "padlock: warning: --sessions: %s; the tickets "
			"of this run are not kept\n",
			err[0] != '\0' ? err : "out of memory");
}

/* ---- the fetch ---------------------------------------------------------------- */

static void format_target(struct get_run *run);

static int fail(struct get_run *run, const char *sentence)
{
	fprintf(stderr, "padlock: %s: %s\n", run->target, sentence);
	return PL_CLI_EXIT_FAILED;
}

/* A failed handshake; an alert that needs explaining gets its sentence. */
static int fail_handshake(struct get_run *run)
{
	char sentence[sizeof run->io.err + sizeof run->target + 200];

	/* RFC 8446 6.2: protocol_version means the server speaks none of
	 * the versions offered. */
	if (pl_tls_alert_received(run->conn) &&
	    pl_tls_alert(run->conn) == PL_ALERT_PROTOCOL_VERSION) {
		snprintf(sentence, sizeof sentence,
			 "%s: the server does not speak the TLS version padlock "
			 "offered (%s), only older ones ('padlock check %s' "
			 "lists the versions it accepts)", run->io.err,
			 pl_tls_version_name(PL_TLS_VERSION_13), run->target);
		return fail(run, sentence);
	}
	return fail(run, run->io.err);
}

static void connect_note(void *arg, const char *text)
{
	pl_cli_verbose_line(arg, text, "");
}

static int open_connection(struct get_run *run)
{
	pl_client_connect_opts_t copts = {
		.timeout_ms = run->opt.connect_timeout_ms,
		.note = run->opt.verbose ? connect_note : NULL,
		.note_arg = &run->verbose,
	};
	const struct get_options *o = &run->opt;
	const char *address = run->url.host;
	char err[PL_CLIENT_ERR_MAX] = "";
	int fd = -1;

	/* --resolve: another address, the same name to verify and send. */
	if (o->resolve_port == run->url.port &&
	    strcasecmp(o->resolve_host, run->url.host) == 0)
		address = o->resolve_addr;
	pl_cli_verbose_start(&run->verbose);
	if (pl_client_connect(address, run->url.port, &copts, &fd, NULL,
			      0, err, sizeof err) != PL_OK)
		return fail(run, err);
	run->io.fd = fd;
	run->io.timeout_ms = run->opt.timeout_ms;
	if (run->plain)
		return PL_CLI_EXIT_OK;
	run->conn = pl_tls_conn_new(run->cfg, run->url.host);
	if (run->conn == NULL)
		return fail(run, "out of memory");
	pl_tls_conn_set_time(run->conn, o->at != 0 ? o->at : time(NULL));
	run->io.tls = run->conn;
	offer_session(run);
	return PL_CLI_EXIT_OK;
}

static bool is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 ||
	       status == 307 || status == 308;
}

/* -I: the head as the server sent it, one field a line (curl's -I). */
static void write_head(struct get_run *run, const pl_client_response_t *resp)
{
	fprintf(run->out, "%s %d%s%s\r\n", resp->version, resp->status,
		resp->reason[0] != '\0' ? " " : "", resp->reason);
	for (size_t i = 0; i < resp->header_count; i++)
		fprintf(run->out, "%s: %s\r\n", resp->headers[i].name,
			resp->headers[i].value);
	fputs("\r\n", run->out);
}

static void on_head(void *arg, const pl_client_response_t *resp)
{
	struct get_run *run = arg;

	pl_cli_print_head(&run->verbose, resp);
	run->redirecting = run->opt.follow && is_redirect(resp->status) &&
			   pl_client_header(resp, "Location") != NULL;
	if (run->opt.head && !run->redirecting)
		write_head(run, resp);
}

static int on_body(void *arg, const uint8_t *data, size_t len, char *err,
		   size_t err_len)
{
	struct get_run *run = arg;

	if (run->redirecting)
		return PL_OK;
	if (fwrite(data, 1, len, run->out) != len) {
		snprintf(err, err_len, "cannot write the body to %s: %s",
			 run->opt.output != NULL ? run->opt.output : "stdout",
			 strerror(errno));
		return PL_ERR_IO;
	}
	return PL_OK;
}

/* The request, in the protocol the handshake chose (-v says which). */
static int request(struct get_run *run)
{
	pl_client_request_t req = {
		.method = run->opt.head ? "HEAD" : "GET",
		.on_head = on_head, .on_body = on_body, .arg = run,
		.on_frame = run->opt.verbose ? pl_cli_h2_frame : NULL,
		.frame_arg = &run->verbose,
	};
	const char *protocol = pl_client_protocol(&run->io);
	char line[sizeof run->url.path + 32];

	pl_cli_print_protocol(&run->verbose, run->conn, protocol);
	if (strcmp(protocol, "h2") != 0) {
		snprintf(line, sizeof line, "%s %s HTTP/1.1", req.method,
			 run->url.path);
		pl_cli_verbose_line(&run->verbose, "HTTP request →", line);
	}
	return pl_client_fetch(&run->io, &run->url, &req, &run->resp);
}

static int fetch(struct get_run *run)
{
	int rc;

	if (!run->plain) {
		rc = pl_client_handshake(&run->io);
		if (rc != PL_OK)
			return fail_handshake(run);
		say_resumption(run);
		pl_cli_print_summary(&run->verbose, run->conn,
				     trust_source(&run->opt), run->opt.insecure);
	}
	rc = request(run);
	keep_session(run);
	pl_cli_verbose_flush(&run->verbose);
	if (rc != PL_OK)
		return fail(run, run->io.err);
	if (pl_client_close(&run->io) != PL_OK)
		/* The response is complete; a close that fails costs nothing. */
		pl_cli_verbose_line(&run->verbose, "close_notify →",
				    run->io.err);
	else
		pl_cli_verbose_line(&run->verbose, "close_notify →",
				    "the connection is closed");
	return PL_CLI_EXIT_OK;
}

/* The absolute https:// URL a Location names, relative to the URL just
 * fetched (RFC 9110 10.2.2, RFC 3986 5.2: an absolute URL, "//host/path",
 * "/path", or a path relative to the current one), into out. */
static void resolve_location(const pl_client_url_t *base, const char *location,
			     char *out, size_t cap)
{
	size_t dir;

	if (strstr(location, "://") != NULL &&
	    strcspn(location, "/?#") > strcspn(location, ":"))
		snprintf(out, cap, "%s", location);
	else if (strncmp(location, "//", 2) == 0)
		snprintf(out, cap, "https:%s", location);
	else if (location[0] == '/')
		snprintf(out, cap, "https://%s%s", base->authority, location);
	else {
		dir = strcspn(base->path, "?");
		while (dir > 0 && base->path[dir - 1] != '/')
			dir--;
		snprintf(out, cap, "https://%s%.*s%s", base->authority,
			 (int)dir, base->path, location);
	}
}

/* Whether the authority of url (after "scheme://") names a port. */
static bool names_port(const char *url)
{
	const char *a = strstr(url, "://") + 3;
	size_t len = strcspn(a, "/?#");
	const char *bracket = memchr(a, ']', len);
	const char *from = bracket != NULL ? bracket : a;

	return memchr(from, ':', len - (size_t)(from - a)) != NULL;
}

/* The next URL into run->url: https, or plain http (parsed as https, its
 * port 80 unless it names one) after the warning --allow-http owes. */
static int parse_hop(struct get_run *run, const char *next, char *err,
		     size_t err_len)
{
	char as_https[sizeof run->url.path + 608];

	if (!run->plain)
		return pl_client_parse_url(next, &run->url, err, err_len);
	snprintf(as_https, sizeof as_https, "https://%s", next + 7);
	if (pl_client_parse_url(as_https, &run->url, err, err_len) != PL_OK)
		return PL_ERR_ARG;
	if (!names_port(next))
		run->url.port = 80;
	fprintf(stderr, "padlock: WARNING: following a redirect to plain %s "
		"(--allow-http): anyone on the path can read and change it\n",
		next);
	return PL_OK;
}

/* Frees what one connection held, for the next. */
static void end_connection(struct get_run *run)
{
	pl_tls_conn_free(run->conn);
	run->conn = NULL;
	run->io.tls = NULL;
	if (run->io.fd >= 0)
		close(run->io.fd);
	run->io.fd = -1;
	run->io.tcp_closed = false;
	run->io.err[0] = '\0';
	pl_client_session_clear(&run->offered);
}

/* After a redirect with -L: the next URL in run->url, the connection
 * closed. PL_CLI_EXIT_OK to fetch again, else a failure said. */
static int next_hop(struct get_run *run, int hops)
{
	const char *location = pl_client_header(&run->resp, "Location");
	char next[sizeof run->url.path + 600], err[PL_CLIENT_ERR_MAX];
	char sentence[sizeof next + PL_CLIENT_ERR_MAX + 100];

	for (const char *c = location; *c != '\0'; c++)
		if ((unsigned char)*c < 0x21 || (unsigned char)*c >= 0x7f)
			return fail(run, "the server redirects to a Location "
				    "with spaces, control characters or "
				    "non-ASCII bytes, which padlock get does "
				    "not follow");
	if (hops == MAX_REDIRECTS) {
		snprintf(sentence, sizeof sentence, "stopped after %d redirects "
			 "(the last to %s): a redirect loop?", MAX_REDIRECTS,
			 location);
		return fail(run, sentence);
	}
	resolve_location(&run->url, location, next, sizeof next);
	run->plain = strncasecmp(next, "http://", 7) == 0;
	if (run->plain && !run->opt.allow_http) {
		snprintf(sentence, sizeof sentence, "the server redirects (%d) "
			 "to %s; padlock get follows only https:// redirects "
			 "(--allow-http allows plain http)", run->resp.status,
			 next);
		return fail(run, sentence);
	}
	if (parse_hop(run, next, err, sizeof err) != PL_OK) {
		snprintf(sentence, sizeof sentence, "the server redirects to "
			 "'%s', which padlock get cannot follow: %s", next, err);
		return fail(run, sentence);
	}
	pl_cli_verbose_line(&run->verbose, "redirect →", next);
	end_connection(run);
	format_target(run);
	return PL_CLI_EXIT_OK;
}

/* The fetch, and with -L the fetches of the redirects after it. */
static int fetch_following(struct get_run *run)
{
	int rc = PL_CLI_EXIT_OK;

	for (int hops = 0; rc == PL_CLI_EXIT_OK; hops++) {
		rc = open_connection(run);
		if (rc == PL_CLI_EXIT_OK)
			rc = fetch(run);
		if (rc != PL_CLI_EXIT_OK || !run->redirecting)
			break;
		rc = next_hop(run, hops);
	}
	return rc;
}

static int open_output(struct get_run *run)
{
	if (run->opt.output == NULL) {
		run->out = stdout;
		return PL_CLI_EXIT_OK;
	}
	run->out = fopen(run->opt.output, "wb");
	if (run->out == NULL) {
		fprintf(stderr, "padlock: %s: cannot open for writing: %s\n",
			run->opt.output, strerror(errno));
		return PL_CLI_EXIT_FAILED;
	}
	return PL_CLI_EXIT_OK;
}

static int close_output(struct get_run *run)
{
	const char *name = run->opt.output != NULL ? run->opt.output : "stdout";
	int rc = run->out == stdout ? fflush(stdout) : fclose(run->out);

	run->out = NULL;
	if (rc != 0) {
		fprintf(stderr, "padlock: cannot write the body to %s: %s\n",
			name, strerror(errno));
		return PL_CLI_EXIT_FAILED;
	}
	return PL_CLI_EXIT_OK;
}

static void format_target(struct get_run *run)
{
	bool v6 = strchr(run->url.host, ':') != NULL;

	snprintf(run->target, sizeof run->target, "%s%s%s:%u", v6 ? "[" : "",
		 run->url.host, v6 ? "]" : "", (unsigned)run->url.port);
}

/* URL i of the command line into run->url (checked by prepare). */
static int start_url(struct get_run *run, size_t i)
{
	char err[PL_CLIENT_ERR_MAX];

	run->plain = false;
	run->redirecting = false;
	if (pl_client_parse_url(run->opt.urls[i], &run->url, err, sizeof err) !=
	    PL_OK)
		return usage_error(err, NULL);
	format_target(run);
	return PL_CLI_EXIT_OK;
}

static int prepare(struct get_run *run, int argc, char **argv)
{
	int rc;

	rc = parse_arguments(argc, argv, &run->opt);
	if (rc != PL_CLI_EXIT_OK || run->opt.help)
		return rc;
	/* Every URL is checked before the first fetch: a typo in the third
	 * is a bad command line, not a failure after two downloads. */
	for (size_t i = run->opt.url_count; i > 0; i--)
		if ((rc = start_url(run, i - 1)) != PL_CLI_EXIT_OK)
			return rc;
	run->verbose.on = run->opt.verbose;
	rc = configure(run);
	if (rc != PL_CLI_EXIT_OK)
		return rc;
	rc = read_sessions(run);
	if (rc != PL_CLI_EXIT_OK)
		return rc;
	return open_output(run);
}

/* Each URL in turn; a failure is said and the next one is still fetched
 * (as curl does), the exit status says one failed. */
static int fetch_all(struct get_run *run)
{
	int rc = PL_CLI_EXIT_OK;

	for (size_t i = 0; i < run->opt.url_count; i++) {
		if (start_url(run, i) != PL_CLI_EXIT_OK ||
		    fetch_following(run) != PL_CLI_EXIT_OK)
			rc = PL_CLI_EXIT_FAILED;
		end_connection(run);
	}
	write_sessions(run);
	return rc;
}

int pl_cli_get(int argc, char **argv)
{
	struct get_run *run = calloc(1, sizeof *run);
	int rc;

	if (run == NULL) {
		fprintf(stderr, "padlock: out of memory\n");
		return PL_CLI_EXIT_FAILED;
	}
	run->keylog_fd = -1;
	run->io.fd = -1;
	rc = prepare(run, argc, argv);
	if (rc != PL_CLI_EXIT_OK || run->opt.help) {
		if (rc == PL_CLI_EXIT_OK)
			print_help();
		goto out;
	}
	rc = fetch_all(run);
	if (run->out != NULL && close_output(run) != PL_CLI_EXIT_OK)
		rc = PL_CLI_EXIT_FAILED;
out:
	if (run->out != NULL && run->out != stdout && fclose(run->out) != 0)
		rc = PL_CLI_EXIT_FAILED;
	end_connection(run);
	pl_client_sessions_free(run->sessions);
	if (run->cfg != NULL)
		pl_tls_config_free(run->cfg);
	if (run->keylog_fd >= 0)
		close(run->keylog_fd);
	free(run);
	return rc;
}
