/*
 * padlock check: what a careful operator looks at on an HTTPS site, in
 * seven steps, each ending in findings (ok, info, warning or failure, each
 * with a stable code, one sentence and the fix), then a grade from the
 * rules of docs/padlock-check.md:
 *   1 name         A and AAAA records
 *   2 port         a TCP connect to each address: open, refused, filtered
 *   3 protocols    SSL 3.0 to TLS 1.2 by probes, TLS 1.3 by a probe and by
 *                  a real handshake with padlock's engine
 *   4 suites       TLS 1.2 suites one by one, forward secrecy, server
 *                  order; TLS 1.3 suites, groups and HelloRetryRequest
 *   5 certificate  the chain as clients get it, judged with the
 *                  certificate diagnostics (pl_x509_diagnose) and the trust
 *                  store; OCSP stapling
 *   6 http         the redirect from port 80, HSTS on the HTTPS answer
 *   7 grade        A+ to F, or T when clients cannot trust the certificate
 * Unlike client.h, a check allocates: its result lives until
 * pl_check_result_free(). (src/check/check*.c) */
#ifndef PADLOCK_CHECK_H
#define PADLOCK_CHECK_H

#include "padlock/client.h"

typedef enum {
	PL_CHECK_STEP_NAME = 0,
	PL_CHECK_STEP_PORT,
	PL_CHECK_STEP_PROTOCOLS,
	PL_CHECK_STEP_SUITES,
	PL_CHECK_STEP_CERTIFICATE,
	PL_CHECK_STEP_HTTP,
	PL_CHECK_STEP_GRADE,
	PL_CHECK_STEP_COUNT,
} pl_check_step_t;

typedef enum {
	PL_CHECK_OK = 0,      /* checked, and as it should be */
	PL_CHECK_INFO,        /* worth knowing; nothing to fix */
	PL_CHECK_WARNING,     /* works, but should be fixed; no A+ */
	PL_CHECK_FAILURE,     /* some clients fail, or security is at stake */
} pl_check_level_t;

/* "name", "port", "protocols", "suites", "certificate", "http", "grade"
 * (the JSON keys), and "Name", "Port", ... "Grade" for people. */
const char *pl_check_step_key(pl_check_step_t step);
const char *pl_check_step_title(pl_check_step_t step);
/* "ok", "info", "warning", "failure". */
const char *pl_check_level_name(pl_check_level_t level);

/* One finding; its strings belong to the result. */
typedef struct {
	pl_check_step_t step;
	pl_check_level_t level;
	const char *code;     /* stable: "port.filtered"; certificate
				 findings keep the diagnostics' codes
				 ("chain.missing-intermediate") */
	const char *message;  /* one sentence, no final period */
	const char *fix;      /* what to do; "" when nothing */
	int cert;             /* certificate findings: position in the chain
				 as served (0: the server's own); else -1 */
} pl_check_finding_t;

/* Called while the check runs: the step and what is being done ("TLS 1.1
 * probe"). For a progress line; text is valid during the call only. */
typedef void (*pl_check_progress_fn)(void *arg, pl_check_step_t step,
				     const char *text);

typedef struct {
	const char *host;       /* DNS name or IP literal (no brackets) */
	uint16_t port;          /* HTTPS port; 0: 443 */
	const char *path;       /* asked over HTTPS and on port 80; NULL: "/" */
	const char *ip;         /* test only this address (numeric); NULL:
				   every address of host */
	const char *sni;        /* server name sent and verified; NULL: host
				   (none sent when host is an IP literal) */
	const char *ca_file;    /* CA certificates trusted besides the
				   system store; NULL: none */
	const char *const *crl_files; /* CRL files (PEM or DER) the chain
				   is checked against for revocation */
	size_t crl_count;       /* entries of crl_files; 0: no CRL check */
	unsigned max_chain_depth; /* refuse paths of more certificates;
				   0: the store's default */
	uint16_t http_port;     /* the redirect listener; 0: 80 */
	bool skip_http;         /* no step 6 port-80 request */
	int timeout_ms;         /* each connect and each answer; 0: 5000 */
	int max_time_ms;        /* the whole run; 0: 120000. Past it, what is
				   left is not checked and the result says
				   so (run.incomplete) */
	time_t now;             /* judge certificates at; 0: time(NULL) */
	uint16_t tls_min, tls_max; /* the versions the real handshake offers
				   (PL_TLS_VERSION_12, _13); 0: both. The
				   probes try every version whatever these */
	pl_check_progress_fn progress; /* or NULL */
	void *progress_arg;
} pl_check_opts_t;

/* What a probe or connect learned, for one question. */
typedef enum {
	PL_CHECK_NOT_TESTED = 0, /* skipped (an earlier step failed, or the
				    run ran out of time) */
	PL_CHECK_YES,            /* accepted / open */
	PL_CHECK_NO,             /* refused (an alert, a reset) */
	PL_CHECK_UNCLEAR,        /* a timeout or an answer that is not TLS */
} pl_check_answer_t;

/* "not tested", "yes", "no", "unclear". */
const char *pl_check_answer_name(pl_check_answer_t a);

typedef enum {
	PL_CHECK_PORT_NOT_TESTED = 0,
	PL_CHECK_PORT_OPEN,
	PL_CHECK_PORT_REFUSED,     /* a RST: nothing listens */
	PL_CHECK_PORT_FILTERED,    /* no answer: a firewall drops packets */
	PL_CHECK_PORT_UNREACHABLE, /* no route (or an ICMP reject) */
	PL_CHECK_PORT_ERROR,       /* another errno */
} pl_check_port_t;

/* "not tested", "open", "refused", "filtered", "unreachable", "error". */
const char *pl_check_port_name(pl_check_port_t p);

typedef struct {
	char ip[64];            /* numeric, no brackets */
	bool ipv6;
	pl_check_port_t https;  /* the HTTPS port */
	int connect_ms;         /* when open: how long the connect took */
} pl_check_address_t;

/* One protocol version as probed. */
typedef struct {
	uint16_t version;       /* 0x0300 .. 0x0304 */
	pl_check_answer_t accepted;
	char detail[200];       /* the probe's sentence */
} pl_check_protocol_t;

/* A TLS <= 1.2 suite the server accepted. */
typedef struct {
	uint16_t id;
	const char *name;       /* IANA name (static) */
	unsigned flags;         /* PL_SUITE_ */
	uint16_t group;         /* ECDHE curve chosen; 0 otherwise */
	uint16_t dhe_bits;      /* DHE prime size; 0 otherwise */
} pl_check_suite_t;

typedef enum {
	PL_CHECK_ORDER_NOT_TESTED = 0,
	PL_CHECK_ORDER_SERVER,  /* the server picks by its own preference */
	PL_CHECK_ORDER_CLIENT,  /* the server takes the client's first */
	PL_CHECK_ORDER_ONE,     /* one suite only: order does not matter */
} pl_check_order_t;

#define PL_CHECK_SUITES_MAX 128
#define PL_CHECK_GROUPS_MAX 8
#define PL_CHECK_CAPS_MAX 16

/* A reason the grade is no better than `grade`. */
typedef struct {
	char grade[3];          /* "B" */
	const char *code;       /* the finding that caps it */
	const char *reason;     /* "TLS 1.0 is accepted" (static) */
} pl_check_cap_t;

/* Everything a check found. Arrays and strings belong to the result. */
typedef struct {
	/* the target */
	char host[256];
	char sni[256];          /* "" when none is sent */
	uint16_t port, http_port;
	char path[1024];
	time_t started;         /* wall clock */
	long long duration_ms;
	bool complete;          /* false: the run's time ran out */
	bool reachable;         /* the name resolved and an address answered */

	/* 1-2 */
	pl_check_address_t *addresses;
	size_t address_count;
	char tested_ip[64];     /* the address steps 3-6 used; "" if none */

	/* 3 */
	pl_check_protocol_t protocols[5]; /* SSL 3.0, TLS 1.0, 1.1, 1.2, 1.3 */
	bool engine_handshake;  /* padlock's engine completed TLS 1.3 */
	char engine_detail[320]; /* what it negotiated, or why it failed */
	uint16_t engine_suite, engine_group, engine_sigscheme;
	size_t engine_tickets;  /* NewSessionTickets the server sent after
				   the engine's handshake (TLS 1.3
				   resumption) */
	uint32_t ticket_lifetime; /* with tickets: the newest one's lifetime
				   hint, seconds (RFC 8446 4.6.1) */
	uint32_t ticket_max_early_data; /* its max_early_data_size: 0-RTT
				   data it allows, bytes; 0: none */
	/* TLS 1.2 resumption as its probe's ServerHello announced it (the
	 * probe offers an empty session id and an empty session_ticket):
	 * YES a session id / the session_ticket extension came, NO none,
	 * NOT_TESTED TLS 1.2 not accepted; the id is UNCLEAR when empty
	 * beside a ticket (a server issuing a ticket may leave it empty). Whether the server then
	 * resumes needs a full TLS 1.2 handshake, which is not made. */
	pl_check_answer_t tls12_session_id, tls12_session_ticket;
	/* Resumption proven by reconnecting (check_resume.c): with a TLS
	 * 1.3 ticket (RFC 8446 2.2), a TLS 1.2 ticket (RFC 5077), a TLS 1.2
	 * session ID (RFC 5246 7.3). YES a second connection resumed, NO it
	 * got a full handshake or the server gave nothing to resume with,
	 * UNCLEAR the second connection failed or the server's answer does
	 * not tell, NOT_TESTED not tried (the version refused or left out,
	 * the engine's handshake failed). Each detail is one sentence. */
	pl_check_answer_t resume13, resume12_ticket, resume12_id;
	char resume13_detail[400], resume12_ticket_detail[400],
		resume12_id_detail[400];
	bool tls12_ticket_received; /* the engine's TLS 1.2 handshake got a
				       ticket (RFC 5077 3.3) */
	uint32_t tls12_ticket_lifetime; /* its lifetime hint, seconds; 0:
					   none given or no ticket */

	/* 4 */
	uint16_t legacy_version; /* the version TLS <= 1.2 suites were listed
				    at (0x0303 normally); 0: none */
	pl_check_suite_t suites[PL_CHECK_SUITES_MAX];
	size_t suite_count;
	bool suites_truncated;  /* the enumeration stopped early */
	pl_check_order_t order;
	bool secure_renegotiation;
	uint16_t legacy_groups[PL_CHECK_GROUPS_MAX]; /* the ECDHE groups the
				   server accepts at legacy_version, each
				   probed alone */
	size_t legacy_group_count;
	uint16_t tls13_suites[PL_CHECK_GROUPS_MAX];
	size_t tls13_suite_count;
	uint16_t tls13_groups[PL_CHECK_GROUPS_MAX];
	size_t tls13_group_count;
	pl_check_answer_t hrr;  /* an empty key_share answered with a
				   HelloRetryRequest */
	uint16_t hrr_group;     /* the group it asked for */

	/* 5 */
	char cert_source[64];   /* "TLS 1.3 handshake", "TLS 1.2 probe", "" */
	pl_x509_info_t *chain;  /* as served, leaf first */
	size_t chain_count;
	bool trusted;           /* pl_x509_verify against the store */
	char trust_reason[320]; /* why not, or the root it chains to */
	bool ocsp_checked, ocsp_stapled;

	/* 6 */
	pl_check_port_t http_state;
	int http_status;        /* 0: no answer */
	char location[1024];    /* "" when none */
	char expected_location[1024];
	bool hsts_checked;      /* an HTTPS response was read */
	int https_status;
	bool hsts_present;
	long long hsts_max_age; /* -1 when absent or unreadable */
	bool hsts_include_subdomains, hsts_preload;
	/* HTTP/2 as the engine's handshake (which offers h2,http/1.1) found
	 * it: YES the server chose h2, NO it chose http/1.1 or nothing,
	 * NOT_TESTED no handshake completed. */
	pl_check_answer_t h2;
	char alpn[32];          /* the protocol it chose; "" when none */
	bool h2_answered;       /* with h2: a GET over HTTP/2 was answered */

	/* 7 */
	char grade[3];          /* "A+", "A", "A-", "B", "C", "F", "T";
				   "" when the target was not reachable */
	char grade_if_trusted[3]; /* with T: the grade without the trust
				     problem */
	pl_check_cap_t caps[PL_CHECK_CAPS_MAX];
	size_t cap_count;

	pl_check_finding_t *findings;
	size_t finding_count;
} pl_check_result_t;

/* Runs the check of opts->host. On PL_OK, *out is a result the caller
 * frees with pl_check_result_free, whatever the site's state (an
 * unreachable site is a result: reachable false, grade ""). Returns
 * PL_ERR_ARG (a missing host, a --ip that is not an address, an
 * unreadable ca_file) or PL_ERR_NOMEM, with one sentence in err. */
int pl_check_run(const pl_check_opts_t *opts, pl_check_result_t **out,
		 char *err, size_t err_len);

void pl_check_result_free(pl_check_result_t *r);

/* How many findings of r have level. */
size_t pl_check_count(const pl_check_result_t *r, pl_check_level_t level);

/* Whether grade is one of "A+", "A", "A-", "B", "C", "D", "E", "F", "T". */
bool pl_check_grade_valid(const char *grade);

/* Whether grade is at least min in the order A+ > A > A- > B > C > D >
 * E > F > T. An empty or unknown grade meets no minimum. */
bool pl_check_grade_at_least(const char *grade, const char *min);

/* The result as JSON (the schema of docs/padlock-check.md), with
 * "min_grade" and "passed" when min_grade is not NULL. A NUL-terminated
 * string the caller frees with free(), or NULL when out of memory. */
char *pl_check_to_json(const pl_check_result_t *r, const char *min_grade);

#endif
