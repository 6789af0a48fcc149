/*
 * The server's private header.
 *
 *   options.c  defaults and freeing of pl_srv_options_t
 *   runtime.c  what a worker serves with: TLS config, sites (built from
 *              options, rebuilt on reload)
 *   listen.c   binding the listeners, with errors that say the way out
 *   master.c   the master process: workers, signals, reload, stop
 *   worker.c   a worker's epoll loop, accept, timers
 *   conn.c     one connection: TLS or plain HTTP, requests, replies
 *   timer.c    a min-heap of deadlines
 *   log.c      access and error logs
 */
#ifndef PL_SRV_INT_H
#define PL_SRV_INT_H

#include <stdarg.h>
#include <sys/types.h>

#include "padlock/server.h"
#include "padlock/tls.h"

/* ---- options ---------------------------------------------------------------- */

/* A deep copy of src into dst. PL_ERR_NOMEM. */
int pl_srv_options_dup(pl_srv_options_t *dst, const pl_srv_options_t *src);
/* out = base + its config file, checked to have at least one site. */
int pl_srv_options_resolve(pl_srv_options_t *out, const pl_srv_options_t *base,
			   char *err, size_t err_len);

/* ---- runtime --------------------------------------------------------------- */

typedef struct {
	pl_http_site_t http;    /* what the http layer needs */
	char *names[PL_SRV_MAX_NAMES];
	size_t n_names;
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

/* ---- listeners ------------------------------------------------------------- */

typedef enum { PL_LISTEN_HTTPS, PL_LISTEN_HTTP } pl_srv_listen_kind_t;

#define PL_SRV_MAX_LISTENERS 8

typedef struct {
	int fd;
	pl_srv_listen_kind_t kind;
	int port;
	char addr[64];
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

/* ---- logs ------------------------------------------------------------------ */

/* Opens (or reopens, for SIGUSR1) the log files named in o. */
int pl_srv_log_open(const pl_srv_options_t *o, char *err, size_t err_len);
void pl_srv_log_close(void);
void pl_srv_log(pl_srv_log_level_t level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

typedef struct {
	const char *peer;
	const char *method;
	const char *target;
	int version;
	int status;
	uint64_t bytes;
	const char *referer;
	const char *user_agent;
	const char *host;
	const char *tls_version;
	const char *suite;
	uint32_t duration_us;
} pl_srv_access_t;

void pl_srv_log_access(const pl_srv_access_t *a);
/* false with --access-log off, so callers need not build an entry. */
bool pl_srv_log_access_enabled(void);

/* ---- timers ----------------------------------------------------------------
 * An intrusive binary min-heap: each owner embeds one node, so a deadline
 * is set, moved or removed in O(log n) and never outlives its owner. */

typedef struct {
	uint64_t when_ms;
	size_t idx; /* position in the heap + 1; 0: not in the heap */
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
 * it fails (NULL); the caller closes fd. */
pl_srv_conn_t *pl_srv_conn_new(pl_srv_worker_t *w, int fd,
			       pl_srv_listen_kind_t kind, int port,
			       const char *peer);
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
