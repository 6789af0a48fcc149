/* What the files of padlock check (src/check/check*.c) share; not part of
 * the public API. */
#ifndef PADLOCK_CHECK_INTERNAL_H
#define PADLOCK_CHECK_INTERNAL_H

#include <stdio.h>

#include "padlock/check.h"
#include "padlock/x509.h"

/* One run: the options with their defaults filled in, the result being
 * built, and what steps hand to later steps. */
struct check_run {
	pl_check_opts_t opt;
	pl_check_result_t *r;
	long long deadline;          /* monotonic ms: the end of the run */
	bool out_of_time;            /* the deadline passed; the rest skipped */
	bool nomem;                  /* an allocation failed: findings lost */
	size_t findings_cap;
	pl_x509_store_t *store;      /* system store + opt.ca_file */
	const char *verify_name;     /* the name the certificate must cover */

	/* Handed from step 3 to step 5: the chain of a TLS <= 1.2 answer. */
	uint8_t **legacy_certs;
	size_t *legacy_cert_lens;
	size_t legacy_cert_count;
	uint16_t legacy_cert_version;
	bool legacy_ocsp_stapled;

	/* Handed from the engine handshake (step 3) to steps 5 and 6. */
	pl_x509_chain_t *engine_chain;
	bool engine_ocsp;
	uint16_t engine_version; /* of the engine's handshake */
	bool https_answered;
	int https_status;
	char hsts[512];              /* the first Strict-Transport-Security */
	bool hsts_seen;
	char https_error[320];       /* why the GET got no answer, or "" */
	uint8_t *session13;          /* its newest TLS 1.3 ticket as the
					engine saved it (a secret), or NULL */
	size_t session13_len;

	/* Step 3's first probe got no answer at all: the server accepts TCP
	 * and says nothing, so what needs an answer is skipped. */
	bool silent;
};

/* Appends a finding; message and fix are printf formats (fix "" for
 * none). Text that came from the network must be quoted by the caller
 * (pl_client_quote). An allocation failure sets run->nomem. */
void check_add(struct check_run *run, pl_check_step_t step,
	       pl_check_level_t level, const char *code, int cert,
	       const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* Frees the legacy chain kept from a probe. */
void check_free_legacy_certs(struct check_run *run);

/* Reports progress through opt.progress, if set. */
void check_progress(struct check_run *run, pl_check_step_t step,
		    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The timeout for the next connect or answer: opt.timeout_ms, cut to what
 * is left of the run; 0 once the run's time is over (then out_of_time is
 * set and the caller skips the probe). */
int check_timeout(struct check_run *run);

/* Runs n independent probes of the tested address at once, each on its
 * own thread, all within one timeout (check_timeout), so that a batch
 * takes as long as its slowest probe. res[i] gets the answer to offers[i]
 * (the caller frees each with pl_probe_result_free). False when they
 * could not run: the run's time is over (out_of_time) or an offer could
 * not be made (nomem); res is then zeroed. */
bool check_probe_batch(struct check_run *run, const pl_probe_offer_t *offers,
		       pl_probe_result_t *res, size_t n);

/* Why a step that needs a TLS answer found nothing to look at: "the
 * server answered no ClientHello", "the run's time ran out first", "the
 * server accepted no version of TLS". */
const char *check_skip_reason(const struct check_run *run);

/* Whether the target's address is an IPv6 literal. */
bool check_is_ipv6(const char *ip);

/* "127.0.0.1:443" or "[::1]:443" into out. */
void check_format_address(const char *ip, uint16_t port, char *out,
			  size_t cap);

/* A TCP connect to ip:port within timeout_ms. Returns the port state;
 * *fd (when not NULL) gets the connected socket on OPEN (the caller
 * closes it), else the socket is closed. *elapsed_ms how long it took. */
pl_check_port_t check_connect(const char *ip, uint16_t port, int timeout_ms,
			      int *fd, int *elapsed_ms);

/* The suites padlock knows for TLS <= 1.2 (no TLS 1.3 suite, no
 * signalling value), in the table's order, into out (cap entries). */
#define LEGACY_SUITES_MAX 256
size_t check_legacy_suites(uint16_t *out, size_t cap);

/* "SSL 3.0" .. "TLS 1.3". */
const char *check_version_name(uint16_t version);

/* The steps, in order. Each reads and fills run->r. */
void check_step_name(struct check_run *run);
void check_step_port(struct check_run *run);
void check_step_protocols(struct check_run *run);
void check_step_suites(struct check_run *run);
void check_step_certificate(struct check_run *run);
void check_step_http(struct check_run *run);
void check_step_grade(struct check_run *run);

/* The findings of step 4 from what its probes found (check_report.c). */
void check_report_suites(struct check_run *run);

/* The engine handshake of step 3 (check_engine.c): a TLS 1.3 handshake
 * and a GET of opt.path, whose answer steps 5 and 6 judge. */
void check_engine_handshake(struct check_run *run);

/* The configuration of the engine's handshakes: the versions of
 * --tls-versions, no verification (step 5 judges the chain), OCSP asked
 * for, ALPN h2,http/1.1. *out is the caller's to free, also on failure. */
int check_engine_config(const pl_check_opts_t *o, pl_tls_config_t **out);

/* After the engine handshake (check_resume.c): reconnects to prove
 * resumption with TLS 1.3 tickets, TLS 1.2 tickets and TLS 1.2 session
 * IDs, and reports it with the ticket lifetime and early data. */
void check_resumption(struct check_run *run);

/* Parses a Strict-Transport-Security value (RFC 6797 6.1) into the
 * result's hsts_ fields; false when it is malformed. */
bool check_parse_hsts(const char *value, long long *max_age,
		      bool *include_subdomains, bool *preload);

#endif
