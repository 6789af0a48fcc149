/* The padlock command line: what the subcommands share. */
#ifndef PADLOCK_CLI_H
#define PADLOCK_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "padlock/check.h"
#include "padlock/client.h"
#include "padlock/tls.h"

#define PL_CLI_VERSION "0.1.0"

/* Exit codes of every subcommand. */
enum {
	PL_CLI_EXIT_OK = 0,     /* done (for get: a response was received) */
	PL_CLI_EXIT_FAILED = 1, /* the operation failed; stderr says why */
	PL_CLI_EXIT_USAGE = 2,  /* bad command line; stderr says what */
};

/* `padlock get [options] URL`; argv[0] is "get". Returns an exit code. */
int pl_cli_get(int argc, char **argv);

/* `padlock serve [options]`: the HTTPS server; argv[0] is "serve". */
int pl_cli_serve(int argc, char **argv);

/* `padlock cert [options] NAME...`, --install, --uninstall, --where: the
 * local development CA (cert.c, cert_install.c); argv[0] is "cert".
 * `padlock cert check ...` is passed on to the certificate checker: the
 * first argument "check" is reserved and never taken as a name. */
int pl_cli_cert(int argc, char **argv);

/* `padlock cert check CHAIN.pem [options]`: the chain diagnostics as text
 * (certcheck.c); argv[0] is "check". Returns 0 when no finding is an
 * error, 1 when one is (or a file cannot be read), 2 on a bad command
 * line. */
int pl_cli_cert_check(int argc, char **argv);

/* A time as --at takes it (certcheck.c): "2030-06-01",
 * "2030-06-01T12:00:00", with an optional fraction of a second (cut: a
 * certificate is valid through its notAfter second) and "Z"; UTC. Dates
 * that do not exist are refused. */
bool pl_cli_parse_utc_time(const char *s, time_t *out);

/* A --max-chain-depth value: 1 to PL_X509_MAX_DEPTH_LIMIT certificates. */
bool pl_cli_parse_chain_depth(const char *s, unsigned *out);

/* A --tls-versions value (get, check): "1.2", "1.3", "1.2-1.3" into
 * *min and *max. Returns NULL when taken, else the sentence of the usage
 * error (a static string). */
const char *pl_cli_tls_versions(const char *value, uint16_t *min,
				uint16_t *max);

/* The trust options get, check and cert check share (certcheck.c):
 * --crl FILE when is_crl (appended to crl, at most cap of them), else
 * --max-chain-depth N into *max_depth. Returns NULL when value is taken,
 * else the sentence of the usage error (valid until the next call). */
const char *pl_cli_take_trust_option(bool is_crl, const char *value,
				     const char **crl, size_t *crl_count,
				     size_t cap, unsigned *max_depth);

/* `padlock check [options] TARGET`: a site's HTTPS in seven steps and a
 * grade (check.c); argv[0] is "check". Returns 0 when the grade meets
 * --min-grade, 1 when not, 2 on a bad command line or an unreachable
 * site. */
int pl_cli_check(int argc, char **argv);

/* Prints a check's result for a person, grouped by step (check_print.c);
 * colour adds ANSI colours. */
void pl_cli_check_print(FILE *f, const pl_check_result_t *r,
			const char *min_grade, bool colour);

/* ---- the command line (args.c) ------------------------------------------- */

/* Who speaks in a usage error, and the usage that follows it. */
typedef struct {
	const char *name;        /* "padlock get": the start of each message */
	const char *short_usage; /* one or two lines, each ending in '\n' */
} pl_cli_command_t;

/* One option of a subcommand, named in full on the command line: no
 * prefixes ("--verb"), no bundled letters ("-vk"). */
typedef struct {
	const char *name; /* "output" for --output */
	char letter;      /* 'o' for -o; 0 when it has no short form */
	bool has_value;   /* "--output FILE", "--output=FILE", "-o FILE" */
	int id;           /* the subcommand's own number for it */
} pl_cli_option_t;

/* A subcommand's options and what to do with what the command line holds.
 * Each callback gets the ctx given to pl_cli_parse_args and returns
 * PL_CLI_EXIT_OK to go on, or the exit code that ends the reading (having
 * said why, as with pl_cli_usage_error). */
typedef struct {
	const pl_cli_command_t *command;
	const pl_cli_option_t *options;
	size_t option_count;
	/* An option, in command-line order. value is NULL for an option
	 * without one, else it points into argv (and may be ""). */
	int (*on_option)(void *ctx, const pl_cli_option_t *option,
			 const char *value);
	/* An argument that is not an option, in order: one that does not
	 * start with '-', "-" itself, and each one after "--". */
	int (*on_argument)(void *ctx, const char *arg);
} pl_cli_parser_t;

/* Reads argv[1] to argv[argc - 1]: options and arguments may come in any
 * order; "--" ends the options. An unknown option, a value given to an
 * option without one, or a missing value is a usage error that names the
 * option as typed ("padlock get: unknown option: '--bogus'"). Returns
 * PL_CLI_EXIT_OK, or the first exit code that is not (PL_CLI_EXIT_USAGE
 * for those errors, else what a callback returned). */
int pl_cli_parse_args(const pl_cli_parser_t *p, int argc, char **argv,
		      void *ctx);

/* Prints "NAME: SENTENCE: DETAIL" (detail may be NULL: "NAME: SENTENCE")
 * and the short usage on stderr; returns PL_CLI_EXIT_USAGE. */
int pl_cli_usage_error(const pl_cli_command_t *command, const char *sentence,
		       const char *detail);

/* ---- verbose output (verbose.c) ------------------------------------------ */

/* The clock and switches of -v output, which goes to stderr. */
typedef struct {
	bool on;
	struct timespec start; /* when the connect began */
	/* The server's close_notify, held back: the engine reads it with the
	 * last record of the response, before the response is parsed, so it
	 * is printed after the response it follows (pl_cli_verbose_flush). */
	char held[256];
	double held_ms;
} pl_cli_verbose_t;

/* Starts the elapsed-time clock every verbose line is prefixed with. */
void pl_cli_verbose_start(pl_cli_verbose_t *v);

/* Prints "  12.3 ms  HEAD  TEXT" on stderr when v->on. head may be "". */
void pl_cli_verbose_line(pl_cli_verbose_t *v, const char *head,
			 const char *text);

/* A pl_tls_trace_fn: arg is a pl_cli_verbose_t. Prints the step with a
 * header saying what it is and which way it went ("ClientHello →"). */
void pl_cli_trace(void *arg, const pl_tls_conn_t *conn, pl_tls_step_t step,
		  const char *text);

/* After the handshake: version, suite, group, signature scheme, ALPN, the
 * chain as received with validity, the trusted root (trust_source says
 * where the roots came from), and what became of the premaster secret. */
void pl_cli_print_summary(pl_cli_verbose_t *v, const pl_tls_conn_t *conn,
			  const char *trust_source, bool insecure);

/* Prints the line pl_cli_trace held back (the server's close_notify), if
 * any: after the response it follows. */
void pl_cli_verbose_flush(pl_cli_verbose_t *v);

/* The status line and headers of a response. */
void pl_cli_print_head(pl_cli_verbose_t *v, const pl_client_response_t *r);

/* After the handshake: which protocol the requests go in ("h2" or
 * "http/1.1", pl_client_protocol) and why (the ALPN the server chose);
 * conn is NULL for plain HTTP. */
void pl_cli_print_protocol(pl_cli_verbose_t *v, const pl_tls_conn_t *conn,
			   const char *protocol);

/* A pl_client_frame_fn: arg is a pl_cli_verbose_t. One line per HTTP/2
 * frame ("SETTINGS →", "← HEADERS"). */
void pl_cli_h2_frame(void *arg, bool sent, const char *frame,
		     const char *text);

/* Writes text from the network to f with control characters and invalid
 * UTF-8 escaped as \xNN, so a server cannot drive the terminal. */
void pl_cli_print_safe(FILE *f, const char *text);

#endif
