/* One server connection (private to src/server). */
#ifndef PL_SRV_CONN_H
#define PL_SRV_CONN_H

#include <stddef.h>

#include "padlock/http.h"
#include "padlock/tls.h"
#include "server/server_int.h"
#include "tls/buf.h"

/* What an epoll event points at: the first member of each owner. */
typedef enum {
	PL_SRV_TAG_LISTENER,
	PL_SRV_TAG_SIGNAL,
	PL_SRV_TAG_CONN,
} pl_srv_tag_kind_t;

typedef struct {
	pl_srv_tag_kind_t kind;
	size_t index;
} pl_srv_tag_t;

/* Where a connection is. Each phase has its own timeout (the table in
 * conn.c) and one way out on a timeout; set_phase() is the only place a
 * phase changes. Whether bytes are TLS or plain is the transport's
 * business (tls is NULL for plain HTTP), not a phase. */
typedef enum {
	PL_SRV_PHASE_SNIFF,     /* TLS port, first byte not seen yet */
	PL_SRV_PHASE_HANDSHAKE, /* the TLS handshake is under way */
	PL_SRV_PHASE_FIRST,     /* ready, waiting for the first request */
	PL_SRV_PHASE_IDLE,      /* between keep-alive requests */
	PL_SRV_PHASE_HEAD,      /* a request has begun, its head is not done */
	PL_SRV_PHASE_REPLY,     /* a reply is going out */
	PL_SRV_PHASE_CLOSING,   /* our last bytes (close_notify, an alert)
				   are going out; then the write side shuts */
	PL_SRV_PHASE_LINGER,    /* write side shut; reading until the peer
				   closes, so unread bytes cannot reset it */
	PL_SRV_PHASE_DEAD,      /* closed; freed after the event batch */
	PL_SRV_PHASE_COUNT
} pl_srv_phase_t;

#define PL_SRV_MAX_STEPS 16

typedef struct {
	char *text[PL_SRV_MAX_STEPS];
	uint32_t us[PL_SRV_MAX_STEPS];
	size_t n;
} pl_srv_steps_t;

struct pl_srv_conn {
	pl_srv_tag_t tag; /* first: epoll data points here */
	pl_srv_worker_t *w;
	pl_srv_conn_t *prev, *next;
	pl_srv_timer_t timer;
	int fd;
	pl_srv_listen_kind_t kind;
	int port;
	char peer[46];
	pl_srv_phase_t phase;
	pl_tls_conn_t *tls; /* NULL: plain HTTP (the redirect listener, or
			       HTTP sent to the TLS port) */
	pl_http_parser_t *http;
	/* request bytes (decrypted) not yet parsed; the engine's buffer, so
	 * they are wiped when consumed space is reused and when it is freed */
	pl_buf_t in;
	/* plain-mode bytes to send */
	pl_http_buf_t out;
	size_t out_sent;
	/* the reply being sent (PL_SRV_PHASE_REPLY) */
	pl_http_reply_t reply;
	bool close_after;   /* no more requests: close once the reply is sent */
	bool draining;      /* the worker is stopping */
	bool input_pending; /* the socket may hold unread bytes */
	uint64_t accepted_us;
	uint64_t request_us;
	/* handshake steps for the welcome page; NULL until the first one
	 * (a site with files never records any) */
	pl_srv_steps_t *steps;
};

static inline pl_srv_conn_t *pl_srv_conn_of_tag(pl_srv_tag_t *t)
{
	return (pl_srv_conn_t *)((char *)t - offsetof(pl_srv_conn_t, tag));
}

static inline pl_srv_conn_t *pl_srv_conn_of_timer(pl_srv_timer_t *t)
{
	return (pl_srv_conn_t *)((char *)t - offsetof(pl_srv_conn_t, timer));
}

/* Links a new connection into its worker. */
void pl_srv_worker_link(pl_srv_worker_t *w, pl_srv_conn_t *c);

/* The TLS trace callback that records steps for the welcome page. */
void pl_srv_trace_step(void *arg, const pl_tls_conn_t *tls,
		       pl_tls_step_t step, const char *text);

#endif
