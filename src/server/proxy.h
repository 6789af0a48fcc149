/* The reverse proxy (private to src/server): pools of upstreams and their
 * connections (upstream.c), and one proxied request, an exchange
 * (proxy.c). */
#ifndef PL_SRV_PROXY_H
#define PL_SRV_PROXY_H

#include <sys/socket.h>

#include "server/conn.h"

#define PL_SRV_MAX_UPSTREAMS 16
/* Failures in a row that mark an upstream down, and for how long. */
#define PL_SRV_UPSTREAM_MAX_FAILS 3
#define PL_SRV_UPSTREAM_DOWN_MS 10000

typedef struct pl_srv_uconn pl_srv_uconn_t;

/* One upstream: where it is, and this worker's view of its health (each
 * worker is its own process, so these counts are per worker). */
typedef struct {
	char name[120]; /* as logs say it: "127.0.0.1:8000", "unix:/app.sock" */
	char host[100]; /* https: the name verified and sent as SNI */
	const pl_tls_config_t *tls; /* https: the pool's client config */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	unsigned active;        /* exchanges on it now */
	unsigned fails;         /* failures in a row */
	uint64_t down_until_ms; /* passive health: not picked before then */
	bool proxy_protocol;    /* each connection starts with a PROXY v2
				   header: the client's address */
	pl_srv_uconn_t *idle;   /* kept-alive connections, newest first */
} pl_srv_upstream_t;

#define PL_SRV_BALANCE_ROUND_ROBIN 0
#define PL_SRV_BALANCE_LEAST_CONN 1

struct pl_srv_pool {
	pl_tls_config_t *tls; /* for https upstreams (verification, SNI) */
	char host[256];       /* the Host its upstreams get; "": the client's */
	pl_srv_upstream_t up[PL_SRV_MAX_UPSTREAMS];
	size_t n;
	int balance;
	size_t next; /* round robin */
};

/* Parses "URL[,URL...]" (commas or spaces between them): http://host:port
 * (the host resolved now), http://unix:/path.sock, https://host:port
 * (verified against ca_file, or the system store when NULL, with the
 * host as SNI). On failure writes one sentence to err. Free *out with
 * pl_srv_pool_free(). */
int pl_srv_pool_parse(const char *urls, int balance, const char *ca_file,
		      pl_srv_pool_t **out, char *err, size_t err_len);
/* Marks the pool's upstreams that a config file's upstream section names
 * (by the address its URL resolves to) with what the section says.
 * PL_ERR_ARG with a sentence in err for a section's URL that is not one. */
int pl_srv_pool_apply_sections(pl_srv_pool_t *pool, const pl_srv_options_t *o,
			       char *err, size_t err_len);
/* The Host the pool's upstreams get instead of the client's (checked as
 * host[:port]). PL_ERR_ARG with a sentence in err. */
int pl_srv_pool_set_host(pl_srv_pool_t *pool, const char *host, char *err,
			 size_t err_len);
void pl_srv_pool_free(pl_srv_pool_t *pool);

/* The upstream for the next exchange (skipping those marked down unless
 * all are, and avoid when there is another), or NULL for an empty pool. */
pl_srv_upstream_t *pl_srv_pool_pick(pl_srv_pool_t *pool,
				    const pl_srv_upstream_t *avoid);
/* Passive health: an exchange with up failed (connect, reset, timeout),
 * or one succeeded. */
void pl_srv_upstream_failed(pl_srv_upstream_t *up);
void pl_srv_upstream_ok(pl_srv_upstream_t *up);

/* Pushes onto b a version 2 PROXY header (section 2.2) for a TCP
 * connection from source (text) port source_port to dest: TCP over IPv4
 * or IPv6 (an IPv4 address mapped into IPv6 when the two differ), or
 * LOCAL when either address is neither. At most PL_SRV_PROXYPROTO_V2_OUT
 * bytes; errors are b's (pl_buf_error). proxyproto.c. */
#define PL_SRV_PROXYPROTO_V2_OUT 52
void pl_srv_proxyproto_write_v2(pl_buf_t *b, const char *source,
				uint16_t source_port,
				const struct sockaddr_storage *dest);

/* ---- upstream connections (upstream.c) ---------------------------------- */

typedef enum {
	PL_SRV_UC_CONNECTING, /* connect() under way */
	PL_SRV_UC_BUSY,       /* carrying an exchange */
	PL_SRV_UC_IDLE,       /* kept alive in its upstream's idle list */
	PL_SRV_UC_DEAD,       /* closed; freed after the event batch */
} pl_srv_uc_state_t;

struct pl_srv_uconn {
	pl_srv_tag_t tag; /* first: epoll data points here */
	pl_srv_timer_t timer;
	pl_srv_worker_t *w;
	int fd;
	pl_srv_upstream_t *up;
	pl_srv_uconn_t *next; /* in the idle list, or the dead list */
	pl_srv_uc_state_t state;
	bool readable;        /* the socket may hold bytes (edge-triggered) */
	bool reused;          /* came from the idle list */
	bool tcp_up;          /* connected; a TLS handshake may follow */
	pl_tls_conn_t *tls;   /* https: padlock's own TLS client */
	char why[300];        /* why the TLS handshake failed */
	/* the PROXY v2 header it began with (up->proxy_protocol): reused
	 * only for the same client connection */
	uint8_t pp[PL_SRV_PROXYPROTO_V2_OUT];
	size_t pp_len;
	struct pl_srv_exchange *x;
	/* bytes to the upstream (the request), bytes from it (the response)
	 * not yet parsed: both bounded, both wiped */
	pl_buf_t out;
	pl_buf_t in;
};

/* A connection to up for an exchange: an idle one, or a new one
 * (non-blocking connect; PL_SRV_UC_CONNECTING). NULL with errno when a
 * socket cannot even be made. pp[0..pp_len): the PROXY header a new
 * connection starts with (pp_len 0: none); an idle one is taken only
 * when it began with the same. check: an idle one is first checked to be
 * still open (for a request that could not be retried if it was not). */
pl_srv_uconn_t *pl_srv_uconn_get(pl_srv_worker_t *w, pl_srv_upstream_t *up,
				 const uint8_t *pp, size_t pp_len, bool check);
/* The exchange is over: keep uc for reuse (bounded by --proxy-keepalive)
 * or close it. */
void pl_srv_uconn_done(pl_srv_uconn_t *uc, bool reusable);
/* Closes uc now; freed after the event batch. */
void pl_srv_uconn_close(pl_srv_uconn_t *uc);
/* Arms uc's timer ms from now. */
void pl_srv_uconn_deadline(pl_srv_uconn_t *uc, unsigned ms);
/* Sends what uc->out holds (through TLS for https) until the socket is
 * full. PL_OK (all sent or the socket is full) or PL_ERR_IO (the
 * connection failed; errno). */
int pl_srv_uconn_flush(pl_srv_uconn_t *uc);
/* Reads what the socket holds (decrypted for https) into uc->in: 1 bytes
 * came, 0 none now, -1 the upstream closed, -2 an error. */
int pl_srv_uconn_read(pl_srv_uconn_t *uc);
/* A plain upstream's (not https) bytes straight into buf[0..cap): n > 0
 * bytes, 0 the upstream closed, -1 none now, -2 an error. */
long pl_srv_uconn_recv(pl_srv_uconn_t *uc, uint8_t *buf, size_t cap);

/* The worker loop's calls. */
void pl_srv_upstream_event(pl_srv_tag_t *tag, uint32_t events);
void pl_srv_upstream_timeout(pl_srv_timer_t *t);
void pl_srv_upstream_reap(void);

/* ---- an exchange (proxy.c) ------------------------------------------------ */

/* Who an exchange answers: an HTTP/1 connection, or one HTTP/2 stream.
 * The exchange fills *reply, feeds on nothing but what arrives through
 * *sink (which it sets), and sets *body_blocked while its buffer toward
 * the upstream is full; *px points back at it while it lives. The owner's
 * calls, with arg: reply_ready (reply holds the head, or a 502/504, and
 * the request is all in), wake (room in the sink, bytes for the reply's
 * source; never from inside the owner's own calls), cut (the response
 * cannot be finished). duplex: the reply may go out while the request
 * body still comes (HTTP/2's streams; an HTTP/1 connection answers once
 * the request is all in). */
typedef struct {
	pl_srv_conn_t *c;
	bool duplex;
	pl_http_reply_t *reply;
	pl_http_body_sink_t *sink;
	bool *body_blocked;
	struct pl_srv_exchange **px;
	void (*reply_ready)(void *arg); /* once */
	void (*wake)(void *arg);
	void (*cut)(void *arg);
	void *arg;
} pl_srv_proxy_owner_t;

/* The pool that answers req on site, or NULL (files answer it). */
pl_srv_pool_t *pl_srv_proxy_pool_for(const pl_srv_rsite_t *site,
				     const pl_http_request_t *req);
/* Starts forwarding req (its head complete) to pool for c: c->px is set
 * and c->sink takes the request body. Answers itself when it cannot
 * start (502, or 400 for a request it will not forward). */
void pl_srv_proxy_start(pl_srv_conn_t *c, const pl_http_request_t *req,
			const pl_srv_rsite_t *site, pl_srv_pool_t *pool);
/* The same for any owner (an HTTP/2 stream): *owner is copied. */
void pl_srv_proxy_start_for(const pl_srv_proxy_owner_t *owner,
			    const pl_http_request_t *req, pl_srv_pool_t *pool);
/* The client's reply is all sent (or the connection is going): frees the
 * exchange. */
void pl_srv_proxy_free(pl_srv_conn_t *c);
/* The same for any owner's exchange x (NULL: nothing). */
void pl_srv_proxy_end(struct pl_srv_exchange *x);
/* The access log's upstream fields for c's exchange (NULL when none). */
const char *pl_srv_proxy_upstream(const pl_srv_conn_t *c, uint64_t *us);
/* The same for an exchange (NULL: none). */
const char *pl_srv_proxy_upstream_of(const struct pl_srv_exchange *x,
				     uint64_t *us);

/* upstream.c's calls into the exchange that owns a busy connection
 * (connected's err: an errno; EPROTO when TLS failed, uc->why says why). */
void pl_srv_proxy_connected(struct pl_srv_exchange *x, int err);
void pl_srv_proxy_io(struct pl_srv_exchange *x, bool writable);
void pl_srv_proxy_timeout(struct pl_srv_exchange *x);

#endif
