/*
 * The server's private header.
 *
 *   options.c  defaults and freeing of pl_srv_options_t
 *   runtime.c  what a worker serves with: TLS config, sites (built from
 *              options, rebuilt on reload)
 *   listen.c   binding the listeners, with errors that say the way out
 *   master.c   the master process: workers, signals, reload, stop
 *   privdrop.c who the workers run as, without capabilities
 *   seccomp.c  the workers' system call filter
 *   fdlimit.c  the descriptor limit, and the connections it allows
 *   host.c     which host a request names; port 80's redirect policy
 *   worker.c   a worker's epoll loop, accept (and its back-off), timers
 *   conn.c     one connection: TLS or plain HTTP, requests, replies
 *   timer.c    a min-heap of deadlines
 *   log.c      access and error logs, rate-limited where clients can
 *              make lines
 */
#ifndef PL_SRV_INT_H
#define PL_SRV_INT_H

#include <stdarg.h>
#include <sys/types.h>
#include <time.h>

#include "padlock/server.h"
#include "padlock/tls.h"

/* ---- options ---------------------------------------------------------------- */

/* A deep copy of src into dst. PL_ERR_NOMEM. */
int pl_srv_options_dup(pl_srv_options_t *dst, const pl_srv_options_t *src);
/* out = base + its config file, checked to have at least one site. */
int pl_srv_options_resolve(pl_srv_options_t *out, const pl_srv_options_t *base,
			   char *err, size_t err_len);

/* ---- runtime --------------------------------------------------------------- */

typedef struct pl_srv_pool pl_srv_pool_t;

/* Files a worker keeps open per site (pl_http_files_new). */
#define PL_SRV_OPEN_FILES 64

typedef struct {
	pl_http_site_t http;    /* what the http layer needs */
	char *names[PL_SRV_MAX_NAMES];
	size_t n_names;
	/* the reverse proxy: the pool of the longest location prefix a
	 * path starts with, else pool (NULL: files); each worker's copy
	 * keeps its own counts */
	pl_srv_pool_t *pool;
	const char *location_prefix[PL_SRV_MAX_LOCATIONS];
	pl_srv_pool_t *location_pool[PL_SRV_MAX_LOCATIONS];
	size_t n_locations;
} pl_srv_rsite_t;

/* What workers serve with; immutable once built, shared after fork. */
typedef struct {
	const pl_srv_options_t *opts;
	pl_tls_config_t *tls;
	pl_srv_rsite_t sites[PL_SRV_MAX_SITES];
	size_t n_sites;
	bool capture_steps; /* record handshake steps (the welcome page) */
} pl_srv_runtime_t;

/* Builds the runtime: loads every site's chain and key into one TLS
 * config. On failure writes one sentence to err. */
int pl_srv_runtime_load(pl_srv_runtime_t *rt, const pl_srv_options_t *o,
			char *err, size_t err_len);
void pl_srv_runtime_free(pl_srv_runtime_t *rt);
/* The site for a host name (Host header without port, or SNI). */
const pl_srv_rsite_t *pl_srv_site_for(const pl_srv_runtime_t *rt,
				      const char *host, size_t len);
/* The site that has host among its names, or NULL. */
const pl_srv_rsite_t *pl_srv_site_named(const pl_srv_runtime_t *rt,
					const char *host, size_t len);

/* ---- the host a request names (host.c) ------------------------------------- */

/* The site for req: by the host it names (pl_http_request_host: an
 * absolute-form target first, RFC 9112 3.2.2), else by sni (may be
 * NULL), else the default site. */
const pl_srv_rsite_t *pl_srv_site_of_request(const pl_srv_runtime_t *rt,
					     const pl_http_request_t *req,
					     const char *sni);
/* The host req names as a C string into out (for the logs); "" when
 * none. */
void pl_srv_request_host_str(const pl_http_request_t *req, char *out,
			     size_t cap);
/* Port 80's answer: a redirect to https on https_port. With site names
 * configured, only a host some site serves is kept; any other (an IP
 * address, a stranger's name) goes to the default site's first name.
 * Without names, the request's own host (today's behaviour). */
int pl_srv_redirect(const pl_srv_runtime_t *rt, const pl_http_request_t *req,
		    int https_port, time_t now, pl_http_reply_t *reply);

/* ---- the PROXY protocol (proxyproto.c) ------------------------------------ */

/* Bounds: a v1 line with its CRLF (the spec's worst case), a whole v2
 * header (16 bytes, the addresses and TLVs), the TLVs of one header. */
#define PL_SRV_PROXYPROTO_V1_MAX 107
#define PL_SRV_PROXYPROTO_V2_MAX 1024
#define PL_SRV_PROXYPROTO_MAX_TLVS 32

typedef struct {
	int version;          /* 1 or 2 */
	bool local;           /* LOCAL, UNKNOWN, or a family padlock does not
				 take: the connection's own address stands */
	char source[46];      /* the client's address, as text */
	uint16_t source_port;
	char authority[256];  /* v2 PP2_TYPE_AUTHORITY, "" without */
	size_t tlv_count;
} pl_srv_proxyproto_t;

/* Parses the PROXY header at the start of in[0..len): its length when it
 * is complete; 0 when more bytes are needed (never beyond the bounds
 * above); PL_ERR_DECODE with *why (one sentence) when it is not a valid
 * header. */
long pl_srv_proxyproto_parse(const uint8_t *in, size_t len,
			     pl_srv_proxyproto_t *out, const char **why);

/* PL_OK when every item of list is ADDR or ADDR/BITS, else one sentence
 * in err and PL_ERR_ARG. */
int pl_srv_addr_list_check(const char *list, char *err, size_t err_len);
/* Whether addr (text) is in list ("ADDR[/BITS],..."; NULL: none). */
bool pl_srv_addr_trusted(const char *list, const char *addr);

/* ---- listeners ------------------------------------------------------------- */

typedef enum { PL_LISTEN_HTTPS, PL_LISTEN_HTTP } pl_srv_listen_kind_t;

#define PL_SRV_MAX_LISTENERS 8

typedef struct {
	int fd;
	pl_srv_listen_kind_t kind;
	int port;
	char addr[64];
	int extra;           /* its index in options' listeners[]; -1: the
				https-port or http-port listener */
	bool proxy_protocol; /* its connections start with a PROXY header */
} pl_srv_listener_t;

typedef struct {
	pl_srv_listener_t l[PL_SRV_MAX_LISTENERS];
	size_t n;
} pl_srv_listeners_t;

/* Binds port on the configured address (or every address: [::] dual
 * stack, else 0.0.0.0). On failure writes the reason and the ways out to
 * err and returns PL_ERR_IO; *err_no gets errno. */
int pl_srv_listen(pl_srv_listeners_t *ls, const char *addr, int port,
		  pl_srv_listen_kind_t kind, char *err, size_t err_len,
		  int *err_no);
void pl_srv_listeners_close(pl_srv_listeners_t *ls);

/* ---- the workers' user and sandbox (privdrop.c, seccomp.c) ----------------- */

typedef struct {
	bool drop;      /* started as root: become uid/gid in each worker */
	bool chosen;    /* the default user, not --user */
	uid_t uid;
	gid_t gid;
	char user[64];
	char group[64];
} pl_srv_identity_t;

/* Who the workers run as: --user, or when started as root without it,
 * padlock if that user exists, else nobody. Refuses root (unless
 * --unsafe-root-workers) and --user without root, with one sentence in
 * err. */
int pl_srv_identity_resolve(const pl_srv_options_t *o, pl_srv_identity_t *id,
			    char *err, size_t err_len);
/* In a new worker: becomes id (no supplementary groups), drops every
 * capability and sets PR_SET_NO_NEW_PRIVS. PL_ERR_IO with errno. */
int pl_srv_identity_enter(const pl_srv_identity_t *id);

/* 0 when id can list and read dir (or nothing is dropped), else the
 * errno that id would meet (checked in a short-lived child as id). */
int pl_srv_identity_can_read(const pl_srv_identity_t *id, const char *dir);

/* Installs the worker's seccomp filter: the system calls a worker makes
 * (its loop, OpenSSL, the file server, logs; socket and connect only
 * when connects: a proxying worker), and any other kills the
 * process (SIGSYS). Needs PR_SET_NO_NEW_PRIVS. PL_ERR_IO with a sentence
 * in err. */
int pl_srv_seccomp_enter(bool connects, char *err, size_t err_len);

/* ---- descriptor limits (fdlimit.c) ---------------------------------------- */

/* Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit
 * now in force. */
unsigned long pl_srv_nofile_raise(void);
/* How many connections a worker may hold under a limit of nofile
 * descriptors, a reserve kept for files, logs and its own. */
unsigned pl_srv_conns_allowed(unsigned long nofile);

/* ---- logs ------------------------------------------------------------------ */

/* Opens (or reopens, for SIGUSR1) the log files named in o. */
int pl_srv_log_open(const pl_srv_options_t *o, char *err, size_t err_len);
/* Gives the open log files to uid:gid (the workers' user, so that they
 * can reopen them). PL_ERR_IO with errno. */
int pl_srv_log_chown(uid_t uid, gid_t gid);
void pl_srv_log_close(void);
void pl_srv_log(pl_srv_log_level_t level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A line a client can trigger is written at most PL_SRV_LOG_BURST times
 * per PL_SRV_LOG_INTERVAL_MS (once: the next says how many were left out
 * meanwhile); the access log's failures are said once per interval. */
#define PL_SRV_LOG_INTERVAL_MS 5000
#define PL_SRV_LOG_BURST 1

/* One call site's limit: static, zeroed, one per line that a client can
 * repeat at will (see PL_SRV_LOG_LIMITED). */
typedef struct pl_srv_log_limit {
	uint64_t next_ms;   /* when the next line may be written */
	uint64_t since_ms;  /* when the last line was written */
	uint64_t left_out;  /* lines not written since */
	unsigned written;   /* lines written in this interval */
	pl_srv_log_level_t level;
	bool pending;       /* in the list pl_srv_log_flush walks */
	struct pl_srv_log_limit *next_pending;
	char last[200];     /* the last line left out, for the summary */
} pl_srv_log_limit_t;

/* Writes the line while l's interval has room (adding how many were
 * left out before it), else counts it. */
void pl_srv_log_limited(pl_srv_log_limit_t *l, pl_srv_log_level_t level,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* pl_srv_log for a line a client can trigger at will: each call site gets
 * its own limit. */
#define PL_SRV_LOG_LIMITED(level, ...)                                     \
	do {                                                               \
		static pl_srv_log_limit_t pl_srv_limit_;                   \
		pl_srv_log_limited(&pl_srv_limit_, level, __VA_ARGS__);    \
	} while (0)

/* v as people read counts: "1,873". */
void pl_srv_log_thousands(uint64_t v, char *out, size_t cap);

/* Writes the summaries of limits whose interval has ended with lines
 * left out, and the access log's losses; returns when it next has one to
 * write (UINT64_MAX: none). The worker loop calls it. */
uint64_t pl_srv_log_flush(void);

/* The access log's version of an HTTP/2 request (beside PL_HTTP_10/11). */
#define PL_SRV_HTTP_20 20

typedef struct {
	const char *peer;
	unsigned peer_port; /* the client's TCP port: one per connection */
	const char *method;
	const char *target;
	int version; /* PL_HTTP_10, PL_HTTP_11 or PL_SRV_HTTP_20 */
	int status;
	uint64_t bytes;
	const char *referer;
	const char *user_agent;
	const char *host;
	const char *tls_version;
	const char *suite;
	const char *group; /* the key exchange group ("X25519MLKEM768") */
	uint32_t duration_us;
	const char *upstream; /* a proxied request's upstream, else NULL */
	uint64_t upstream_us; /* from its connect (or reuse) to the end */
} pl_srv_access_t;

void pl_srv_log_access(const pl_srv_access_t *a);
/* false with --access-log off, so callers need not build an entry. */
bool pl_srv_log_access_enabled(void);

/* ---- timers ----------------------------------------------------------------
 * An intrusive binary min-heap: each owner embeds one node, so a deadline
 * is set, moved or removed in O(log n) and never outlives its owner. */

typedef enum {
	PL_SRV_TIMER_CONN,     /* a client connection's (conn.c) */
	PL_SRV_TIMER_UPSTREAM, /* an upstream connection's (upstream.c) */
} pl_srv_timer_kind_t;

typedef struct {
	uint64_t when_ms;
	size_t idx; /* position in the heap + 1; 0: not in the heap */
	pl_srv_timer_kind_t kind;
} pl_srv_timer_t;

typedef struct {
	pl_srv_timer_t **t;
	size_t n;
	size_t cap;
} pl_srv_timers_t;

/* Sets (or moves) node's deadline. PL_ERR_NOMEM. */
int pl_srv_timer_set(pl_srv_timers_t *h, pl_srv_timer_t *node,
		     uint64_t when_ms);
/* Removes node if it is in the heap. */
void pl_srv_timer_del(pl_srv_timers_t *h, pl_srv_timer_t *node);
/* The earliest node, or NULL. */
pl_srv_timer_t *pl_srv_timer_first(const pl_srv_timers_t *h);
void pl_srv_timers_free(pl_srv_timers_t *h);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t pl_srv_now_ms(void);

/* ---- workers and connections ----------------------------------------------- */

typedef struct pl_srv_worker pl_srv_worker_t;
typedef struct pl_srv_conn pl_srv_conn_t;

/* Runs one worker until it is told to stop and its connections are done;
 * returns the exit status. */
int pl_srv_worker_run(const pl_srv_runtime_t *rt,
		      const pl_srv_listeners_t *ls);

/* Connection life, called by the worker loop. pl_srv_conn_new() logs why
 * it fails (NULL); the caller closes fd. l: the listener it came from. */
pl_srv_conn_t *pl_srv_conn_new(pl_srv_worker_t *w, int fd,
			       const pl_srv_listener_t *l, const char *peer);
void pl_srv_conn_event(pl_srv_conn_t *c, uint32_t events);
void pl_srv_conn_timeout(pl_srv_conn_t *c);
/* Graceful stop: close if idle, else finish the current response and
 * close. */
void pl_srv_conn_drain(pl_srv_conn_t *c);
void pl_srv_conn_free(pl_srv_conn_t *c);

/* What connections need from their worker. */
const pl_srv_runtime_t *pl_srv_worker_runtime(pl_srv_worker_t *w);
int pl_srv_worker_epoll(pl_srv_worker_t *w);
bool pl_srv_worker_draining(pl_srv_worker_t *w);
pl_srv_timers_t *pl_srv_worker_timers(pl_srv_worker_t *w);
/* Unlinks c from the worker; it is freed at the end of the event batch. */
void pl_srv_worker_release(pl_srv_worker_t *w, pl_srv_conn_t *c);

#endif
