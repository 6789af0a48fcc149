/* One server connection (private to src/server). */
#ifndef PL_SRV_CONN_H
#define PL_SRV_CONN_H

#include <stddef.h>

#include "padlock/http.h"
#include "padlock/tls.h"
#include "server/server_int.h"

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

typedef enum {
	CONN_SNIFF,  /* TLS port, first byte not seen yet */
	CONN_TLS,    /* TLS */
	CONN_PLAIN,  /* plain HTTP: the redirect listener, or HTTP sent to
			the TLS port */
	CONN_LINGER, /* our side is done; reading until the peer closes */
} pl_srv_conn_mode_t;

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
	pl_srv_conn_mode_t mode;
	pl_tls_conn_t *tls;
	pl_http_parser_t *http;
	/* request bytes (decrypted) not yet parsed */
	uint8_t *in;
	size_t in_len, in_cap;
	/* plain-mode bytes to send */
	pl_http_buf_t out;
	size_t out_sent;
	/* the reply being sent; file_left bytes of its file still to go */
	pl_http_reply_t reply;
	bool replying;
	/* state */
	bool dead;
	bool in_request;   /* a request has begun but its head is not done */
	bool close_after;  /* close once the current reply is sent */
	bool draining;
	bool handshake_logged;
	bool wr_shut;      /* shutdown(SHUT_WR) done */
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
