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
	PL_SRV_TAG_UPSTREAM, /* a connection to an upstream (upstream.c) */
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
	PL_SRV_PHASE_PROXY_HEADER, /* --proxy-protocol: the load balancer's
				      PROXY header is not all in yet */
	PL_SRV_PHASE_SNIFF,     /* TLS port, first byte not seen yet */
	PL_SRV_PHASE_HANDSHAKE, /* the TLS handshake is under way */
	PL_SRV_PHASE_FIRST,     /* ready, waiting for the first request */
	PL_SRV_PHASE_IDLE,      /* between keep-alive requests */
	PL_SRV_PHASE_HEAD,      /* a request has begun, its head is not done */
	PL_SRV_PHASE_BODY,      /* its body is being read (into the
				   handler's sink, or discarded) */
	PL_SRV_PHASE_UPSTREAM,  /* the request is all in; its handler (an
				   upstream) has not answered yet */
	PL_SRV_PHASE_REPLY,     /* a reply is going out */
	PL_SRV_PHASE_TUNNEL,    /* after a 101: bytes pass both ways (a
				   proxied WebSocket); idle timeout */
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

/* ---- transports: how bytes cross the socket (plain or TLS) ----------------
 * Like nginx's c->recv and redis's connection type: the connection code
 * calls these and never asks which one it has. transport.c. */
typedef struct {
	const char *name;
	bool secure; /* HTTPS: requests are served, not redirected */
	/* Wire bytes in; the application bytes they carry are appended to
	 * c->in. PL_OK; PL_ERR_CLOSED when the peer will send no more
	 * (close_notify); another error when the transport failed (it has
	 * logged why and may have queued an alert to send). */
	int (*receive)(pl_srv_conn_t *c, const uint8_t *p, size_t n);
	/* True once application bytes can flow (the handshake is done). */
	bool (*ready)(const pl_srv_conn_t *c);
	/* Queues application bytes to send. PL_OK or an error. */
	int (*send)(pl_srv_conn_t *c, const void *p, size_t n);
	/* The wire bytes waiting to go out ... */
	const uint8_t *(*output)(pl_srv_conn_t *c, size_t *len);
	/* ... of which n went. */
	void (*sent)(pl_srv_conn_t *c, size_t n);
	/* Our side sends no more (close_notify), after what is queued. */
	void (*shutdown)(pl_srv_conn_t *c);
	/* Between requests: give back what an idle connection need not keep. */
	void (*shrink)(pl_srv_conn_t *c);
	/* The connection as the welcome page and the access log show it
	 * (TLS version, suite, SNI, ...; "" where there is none). */
	void (*describe)(const pl_srv_conn_t *c, pl_http_conninfo_t *info);
	void (*free)(pl_srv_conn_t *c);
} pl_srv_transport_t;

extern const pl_srv_transport_t pl_srv_transport_plain;
extern const pl_srv_transport_t pl_srv_transport_tls;

/* ---- protocols: what the bytes mean (HTTP/1 now) -----------------------------
 * A protocol reads c->in, answers through the transport and moves the
 * connection between FIRST/IDLE, HEAD and REPLY. http1.c. */
typedef struct {
	const char *name;
	/* A new connection: its state starts empty. */
	void (*init)(pl_srv_conn_t *c);
	/* Request bytes may wait in c->in: parse and answer what is
	 * complete (in FIRST, IDLE or HEAD). */
	void (*on_data)(pl_srv_conn_t *c);
	/* REPLY: queues more of the reply while the transport's output is
	 * small; true once all of it is queued. */
	bool (*produce)(pl_srv_conn_t *c);
	/* REPLY: every byte of the reply is on the wire. */
	void (*reply_sent)(pl_srv_conn_t *c);
	/* HEAD or BODY: the request did not arrive in time (408); for a
	 * protocol with drain (HTTP/2), FIRST or IDLE timed out (GOAWAY). */
	void (*timed_out)(pl_srv_conn_t *c);
	/* BODY: the peer's stream ended inside the body (400, then close). */
	void (*cut_short)(pl_srv_conn_t *c);
	/* A handler that answers later (the proxy) has filled c->reply: send
	 * it (the request is all in, or the reply closes). */
	void (*reply_ready)(pl_srv_conn_t *c);
	void (*free)(pl_srv_conn_t *c);
	/* Optional, for a protocol that multiplexes (HTTP/2): it stays in
	 * FIRST/IDLE, on_data also sends, and these say it has more to send
	 * once the output drains, and how it stops gracefully (GOAWAY). */
	bool (*wants_write)(pl_srv_conn_t *c);
	void (*drain)(pl_srv_conn_t *c);
	/* Optional, with wants_write: all that was queued is on the wire and
	 * the protocol has nothing more to send; it gives back what it need
	 * not keep while nothing happens. */
	void (*quiet)(pl_srv_conn_t *c);
} pl_srv_protocol_t;

extern const pl_srv_protocol_t pl_srv_http1;
extern const pl_srv_protocol_t pl_srv_h2;
/* After a proxied 101: the client's bytes go to the upstream and back,
 * untouched (proxy.c). */
extern const pl_srv_protocol_t pl_srv_tunnel;

/* The protocol the TLS handshake negotiated (ALPN "h2", else HTTP/1.1);
 * h2.c. */
const pl_srv_protocol_t *pl_srv_protocol_for_alpn(const char *alpn);

struct pl_srv_conn {
	pl_srv_tag_t tag; /* first: epoll data points here */
	pl_srv_worker_t *w;
	pl_srv_conn_t *prev, *next;
	pl_srv_timer_t timer;
	int fd;
	pl_srv_listen_kind_t kind;
	int port;
	char peer[46];          /* the client (a PROXY header's, if any) */
	unsigned peer_port;     /* its TCP port (the access log's peer_port) */
	pl_srv_phase_t phase;
	/* PROXY_HEADER: the header's bytes so far (bounded) */
	uint8_t *pp;
	size_t pp_len;
	/* NULL while sniffing the first byte of the TLS port */
	const pl_srv_transport_t *transport;
	const pl_srv_protocol_t *proto;
	/* request bytes (decrypted) not yet parsed; the engine's buffer, so
	 * they are wiped when consumed space is reused and when it is freed */
	pl_buf_t in;
	bool close_after;   /* no more requests: close once the reply is sent */
	bool draining;      /* the worker is stopping */
	bool input_pending; /* the socket may hold unread bytes */
	uint64_t accepted_us;
	/* the TLS transport's state */
	pl_tls_conn_t *tls;
	/* handshake steps for the welcome page; NULL until the first one
	 * (a site with files never records any) */
	pl_srv_steps_t *steps;
	/* the plain transport's bytes to send */
	pl_buf_t out;
	/* HTTP/1's state */
	pl_http_parser_t *http;
	pl_http_reply_t reply; /* the reply being sent (REPLY) */
	uint64_t request_us;
	/* where the request body goes (write NULL: discarded) */
	pl_http_body_sink_t sink;
	bool body_blocked;  /* the sink is full: read nothing until woken */
	bool reply_waiting; /* the reply's source has nothing now */
	/* the proxied request in progress (proxy.c), or NULL */
	struct pl_srv_exchange *px;
	/* HTTP/2's state (h2.c) */
	struct pl_srv_h2 *h2;
};

/* Between requests, inside a request, or tunnelling: the protocol may
 * take input. */
static inline bool pl_srv_conn_accepts_request(const pl_srv_conn_t *c)
{
	return c->phase == PL_SRV_PHASE_FIRST || c->phase == PL_SRV_PHASE_IDLE ||
	       c->phase == PL_SRV_PHASE_HEAD || c->phase == PL_SRV_PHASE_BODY ||
	       c->phase == PL_SRV_PHASE_TUNNEL;
}

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

/* ---- what conn.c offers its transports and protocols ---------------------- */

/* Moves c to phase and arms that phase's timeout (the one place a phase
 * changes). */
void pl_srv_conn_set_phase(pl_srv_conn_t *c, pl_srv_phase_t phase);
/* Closes at once (no close_notify); c is freed after the event batch. */
void pl_srv_conn_close_now(pl_srv_conn_t *c);
/* A handler (the proxy) has news for c: its sink has room again, its
 * source has bytes, or its reply is ready. Reads what waits and moves the
 * connection on. Never called from inside c's own protocol calls. */
void pl_srv_conn_wake(pl_srv_conn_t *c);
/* A reply that cannot be finished: what is queued goes out as far as the
 * socket takes it now, then the connection closes without close_notify
 * (so a body delimited by the close is not taken for complete). */
void pl_srv_conn_cut(pl_srv_conn_t *c);
/* Stopping: the phase's timeout becomes the drain grace (1 s, or the
 * idle timeout if shorter), for a connection between requests. */
void pl_srv_conn_drain_grace(pl_srv_conn_t *c);
/* Bytes the transport still has to put on the wire. */
size_t pl_srv_conn_pending(pl_srv_conn_t *c);
const pl_srv_runtime_t *pl_srv_conn_runtime(pl_srv_conn_t *c);
/* Microseconds of CLOCK_MONOTONIC. */
uint64_t pl_srv_now_us(void);

/* ---- what every protocol does with a request (respond.c) ------------------ */

/* Answers req over HTTPS: the site it names (Host or :authority, else
 * SNI, else the default) serves it through the http layer into reply
 * (the welcome page gets the presented chain). pl_http_serve()'s
 * returns. */
int pl_srv_serve_https(pl_srv_conn_t *c, const pl_http_request_t *req,
		       const pl_http_conninfo_t *conninfo,
		       pl_http_reply_t *reply);
/* The access log's line for req (NULL: refused before it was parsed)
 * and its reply; version is PL_HTTP_10, PL_HTTP_11 or PL_SRV_HTTP_20. */
void pl_srv_log_reply(pl_srv_conn_t *c, const pl_http_request_t *req,
		      int version, const pl_http_conninfo_t *info,
		      const pl_http_reply_t *reply, uint64_t start_us);

/* pl_srv_log_reply with more of the entry (a proxied request's upstream
 * fields, from extra's upstream and upstream_us). */
void pl_srv_log_reply_with(pl_srv_conn_t *c, const pl_http_request_t *req,
			   int version, const pl_http_conninfo_t *info,
			   const pl_http_reply_t *reply, uint64_t start_us,
			   const pl_srv_access_t *extra);

/* The TLS trace callback that records steps for the welcome page. */
void pl_srv_trace_step(void *arg, const pl_tls_conn_t *tls,
		       pl_tls_step_t step, const char *text);

#endif
