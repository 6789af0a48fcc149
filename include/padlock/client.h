/*
 * padlock client: the layer between the command line and the TLS engine.
 *
 * It does what the engine never does: name resolution, TCP connects with a
 * timeout, moving bytes between a socket and a pl_tls_conn_t, and a small
 * HTTP client (HTTP/1.1, and HTTP/2 through libnghttp2 when ALPN says h2). Every function that can fail leaves one English sentence
 * that names the cause in an err buffer the caller passes in (or in
 * pl_client_io_t.err), ready to print after "padlock: HOST:PORT: ".
 *
 * Nothing here allocates memory that outlives a call: every object is the
 * caller's, on its stack or wherever it likes.
 */
#ifndef PADLOCK_CLIENT_H
#define PADLOCK_CLIENT_H

#include "padlock/common.h"
#include "padlock/tls.h"

#define PL_CLIENT_ERR_MAX 512

/* ---- URLs ---------------------------------------------------------------- */

/* The parts of an https:// URL that a GET needs. */
typedef struct {
	char host[256];       /* "example.com", "127.0.0.1", "::1" (no brackets) */
	uint16_t port;        /* 443 unless the URL names one */
	char authority[272];  /* Host header: "example.com", "[::1]:4433" */
	char path[4096];      /* request target: "/", "/a/b?q=1" (never empty) */
	bool host_is_ip;      /* host is an IPv4 or IPv6 literal */
} pl_client_url_t;

/* Parses url ("https://host[:port][/path][?query][#fragment]"; a URL
 * without a scheme is taken as https://) into out. IPv6 literals are
 * written in brackets ("https://[::1]:4433/"). The fragment is dropped.
 * Returns PL_OK, or PL_ERR_ARG with one sentence in err (an http:// URL,
 * credentials in the URL, a bad port, spaces or control characters). */
int pl_client_parse_url(const char *url, pl_client_url_t *out, char *err,
			size_t err_len);

/* ---- names of TLS parameters --------------------------------------------- */

/* Parses a comma-separated list of cipher suite names
 * ("TLS_AES_128_GCM_SHA256,TLS_CHACHA20_POLY1305_SHA256") into code points.
 * Writes at most cap entries to out and their number to *n. Returns PL_OK,
 * or PL_ERR_ARG with a sentence in err that names the unknown entry and the
 * known ones. */
int pl_client_parse_suites(const char *list, uint16_t *out, size_t cap,
			   size_t *n, char *err, size_t err_len);

/* The same for key exchange groups: "X25519MLKEM768" (the post-quantum
 * hybrid), "x25519", "secp256r1" (alias "P-256"), "secp384r1" (alias
 * "P-384"), "secp521r1", "x448", "ffdhe2048", "ffdhe3072", "ffdhe4096". */
int pl_client_parse_groups(const char *list, uint16_t *out, size_t cap,
			   size_t *n, char *err, size_t err_len);

/* ---- TCP connect ---------------------------------------------------------- */

/* Called with one line of progress ("trying 127.0.0.1 port 4433"). The text
 * is valid during the call only. */
typedef void (*pl_client_note_fn)(void *arg, const char *text);

typedef struct {
	int timeout_ms;          /* for the whole connect, every address; > 0 */
	pl_client_note_fn note;  /* optional progress lines, or NULL */
	void *note_arg;
} pl_client_connect_opts_t;

/* Resolves host (a DNS name, or an IPv4/IPv6 literal without brackets) and
 * connects to port over TCP, trying each address (IPv6 and IPv4) in the
 * order the resolver gives until one answers, all within opts->timeout_ms.
 * On success *fd is a connected, non-blocking socket the caller closes, and
 * peer (if not NULL) holds the address used ("127.0.0.1:4433",
 * "[::1]:4433"). Returns PL_OK, or PL_ERR_IO with one sentence in err that
 * tells apart "name not found", "connection refused (nothing listens on
 * ADDR:PORT)" and "timed out (a firewall may drop packets to port N)". */
int pl_client_connect(const char *host, uint16_t port,
		      const pl_client_connect_opts_t *opts, int *fd,
		      char *peer, size_t peer_len, char *err, size_t err_len);

/* ---- a TLS connection over a socket ------------------------------------- */

/* Moves bytes between a connected socket and a TLS connection. The caller
 * fills fd, tls and timeout_ms; both fd and tls stay the caller's (it
 * closes and frees them). err holds the sentence of the last failure. */
typedef struct {
	int fd;                  /* connected socket (non-blocking or not) */
	pl_tls_conn_t *tls;      /* a client connection from pl_tls_conn_new;
				    NULL: plain HTTP (no handshake; read,
				    write and close go to the socket, and
				    the end of TCP ends the data) */
	int timeout_ms;          /* the longest wait for the peer; <= 0: none */
	bool tcp_closed;         /* the peer closed TCP (read side) */
	/* Optional, or NULL: called with the bytes received while the
	 * handshake runs, before the engine reads them (padlock check reads
	 * TLS 1.2's plaintext ServerHello for its session ID). */
	void (*on_handshake_bytes)(void *arg, const uint8_t *data, size_t len);
	void *bytes_arg;
	char err[PL_CLIENT_ERR_MAX];
} pl_client_io_t;

/* Runs the handshake: sends what the engine has to send, waits for the
 * peer, feeds what arrives, until the handshake is done or fails. When the
 * engine fails, the alert it queued is sent before returning. Returns
 * PL_OK, PL_ERR_TLS (io->err: the engine's reason and the alert name),
 * or PL_ERR_IO (timeout, reset, the peer closing TCP). */
int pl_client_handshake(pl_client_io_t *io);

/* Encrypts and sends all len bytes of buf, waiting for the socket as
 * needed. Returns PL_OK, PL_ERR_TLS or PL_ERR_IO with io->err set. */
int pl_client_write(pl_client_io_t *io, const uint8_t *buf, size_t len);

/* Reads application data into buf (at most cap bytes), waiting up to
 * io->timeout_ms for some to arrive. On PL_OK, *n > 0. Returns
 * PL_ERR_CLOSED once the peer's close_notify has been read (the end of the
 * data, proven); PL_ERR_IO with io->err set when the peer closed TCP
 * without close_notify (the data may be truncated: io->tcp_closed is then
 * true), on a timeout or a socket error; PL_ERR_TLS on a TLS failure. */
int pl_client_read(pl_client_io_t *io, uint8_t *buf, size_t cap, size_t *n);

/* Sends close_notify (RFC 8446 6.1) and flushes it. It does not wait for
 * the peer's. Returns PL_OK or the error of the flush, io->err set. */
int pl_client_close(pl_client_io_t *io);

/* ---- HTTP/1.1 and HTTP/2 requests ------------------------------------------- */

#define PL_CLIENT_HEAD_MAX 16384  /* status line + headers, bytes */
#define PL_CLIENT_HEADERS_MAX 128 /* header fields */

typedef struct {
	const char *name;   /* as received ("Content-Type") */
	const char *value;  /* without surrounding spaces */
} pl_client_header_t;

/* A response: status and headers. Pointers point into head, so the struct
 * is self-contained (it may be large: keep it off small stacks). */
typedef struct {
	int status;                        /* 200 */
	const char *version;               /* "HTTP/1.1", "HTTP/2" */
	const char *reason;                /* "OK" (may be "") */
	size_t header_count;
	pl_client_header_t headers[PL_CLIENT_HEADERS_MAX];
	uint64_t body_bytes;               /* body bytes delivered so far */
	char head[PL_CLIENT_HEAD_MAX + 1]; /* storage for the strings above */
} pl_client_response_t;

/* Called once when the status line and headers have been read. */
typedef void (*pl_client_head_fn)(void *arg, const pl_client_response_t *r);

/* Called with each piece of the body, in order. Returns PL_OK to go on, or
 * a negative PL_ERR_ code with one sentence in err to stop the transfer. */
typedef int (*pl_client_body_fn)(void *arg, const uint8_t *data, size_t len,
				 char *err, size_t err_len);

/* Called for each HTTP/2 frame sent (sent true) or received, for -v:
 * frame is its type ("SETTINGS", "HEADERS", "DATA", "GOAWAY"...), text
 * one readable line about it ("stream 1: :status 200, 4 header fields").
 * WINDOW_UPDATE frames are not reported, and of a body's DATA frames only
 * the first and the one that ends it. Strings are valid during the call. */
typedef void (*pl_client_frame_fn)(void *arg, bool sent, const char *frame,
				   const char *text);

/* One request: what to send and where the response goes. */
typedef struct {
	const char *method;          /* "GET", "HEAD", "POST"...: an HTTP
					token; NULL: "GET" */
	const char *content_type;    /* with a body (RFC 9110 8.3); NULL:
					no body, body_len must be 0 */
	const uint8_t *body;         /* body_len bytes sent as the request's
					content; the caller's */
	size_t body_len;
	pl_client_head_fn on_head;   /* or NULL */
	pl_client_body_fn on_body;   /* or NULL */
	void *arg;                   /* for on_head and on_body */
	pl_client_frame_fn on_frame; /* HTTP/2 only; or NULL */
	void *frame_arg;
} pl_client_request_t;

/* The protocol a request over io goes in: "h2" when the TLS handshake
 * (done) chose h2 in ALPN, else "http/1.1" (no ALPN, http/1.1, plain
 * HTTP). */
const char *pl_client_protocol(const pl_client_io_t *io);

/* Sends req->method for url->path over io (handshake done) in the protocol
 * pl_client_protocol() names, reads the response (interim 1xx responses
 * skipped), calls on_head, then passes the body to on_body as it arrives.
 * HTTP/1.1: "GET /path HTTP/1.1" with Host, User-Agent padlock/0.1,
 * Accept (any type) and Connection: close, and with a request body its
 * Content-Type and Content-Length, then the body; the response's body framed by
 * Transfer-Encoding: chunked, by Content-Length, or by the end of the
 * connection (which must then be a close_notify). HTTP/2 (RFC 9113, on
 * libnghttp2): the connection preface and SETTINGS, one stream with
 * :method, :scheme https, :authority and :path (with a request body,
 * content-type and content-length, the body in DATA frames), the response's
 * :status as resp->status, resp->version "HTTP/2", resp->reason "",
 * the header fields as received (lower case); GOAWAY NO_ERROR once the
 * stream ends. A HEAD response has no body in either. resp is the
 * caller's and is filled in. Returns PL_OK when a complete response was
 * read; otherwise a negative code with io->err set (PL_ERR_DECODE for a
 * malformed response, a reset stream, a GOAWAY before the answer). Does
 * not close the connection (no close_notify). */
int pl_client_fetch(pl_client_io_t *io, const pl_client_url_t *url,
		    const pl_client_request_t *req, pl_client_response_t *resp);

/* pl_client_fetch of a GET with these callbacks and no frame trace. */
int pl_client_get(pl_client_io_t *io, const pl_client_url_t *url,
		  pl_client_response_t *resp, pl_client_head_fn on_head,
		  pl_client_body_fn on_body, void *arg);

/* The value of the first header named name (case-insensitive), or NULL. */
const char *pl_client_header(const pl_client_response_t *r, const char *name);

/* ---- saved TLS sessions (padlock get --sessions) ---------------------------
 * Tickets the engine received (pl_tls_session_save: TLS 1.3 or TLS 1.2,
 * opaque bytes here), kept per (host, port, SNI) so that the next
 * connection to the same place resumes, never another host's. The store
 * is the exception to this layer's rule: it owns heap memory (the
 * sessions, which hold secrets and are wiped when dropped) until
 * pl_client_sessions_free().
 *
 * The file (--sessions FILE) is text, one session a line:
 *     HOST:PORT SNI SAVED LIFETIME SESSION
 * HOST:PORT as in a URL ("example.com:443", "[::1]:4433"), SNI the server
 * name sent ("-" for none, as for an IP address), SAVED the Unix time the
 * ticket came, LIFETIME its lifetime in seconds, SESSION the engine's
 * bytes in lower-case hex. Lines starting with '#' are comments. */

#define PL_CLIENT_SESSIONS_MAX 64      /* sessions kept, the newest */
#define PL_CLIENT_SESSION_MAX 8192     /* bytes of one session */
#define PL_CLIENT_SESSION_LIFETIME_MAX (7 * 86400) /* RFC 8446 4.6.1 */

typedef struct pl_client_sessions pl_client_sessions_t;

/* A session taken from the store: the caller's, released with
 * pl_client_session_clear(). */
typedef struct {
	uint8_t *data;      /* the engine's saved session */
	size_t len;
	time_t saved;       /* when its ticket came */
	uint32_t lifetime;  /* seconds it resumes for, from saved */
	bool from_file;     /* read from the file: an earlier run's */
} pl_client_session_t;

/* An empty store, or NULL when out of memory. */
pl_client_sessions_t *pl_client_sessions_new(void);
/* Wipes and frees every session; NULL is ignored. */
void pl_client_sessions_free(pl_client_sessions_t *s);

/* Keeps a copy of the session (len bytes at data, at most
 * PL_CLIENT_SESSION_MAX) for (host, port, sni; sni NULL or "" for none),
 * replacing the one kept for them; it expires lifetime seconds after
 * saved (at most PL_CLIENT_SESSION_LIFETIME_MAX; 0 means that maximum).
 * When the store is full the oldest session goes. Returns PL_OK,
 * PL_ERR_ARG (a host or SNI that is no name, a session too long) or
 * PL_ERR_NOMEM. */
int pl_client_sessions_put(pl_client_sessions_t *s, const char *host,
			   uint16_t port, const char *sni, time_t saved,
			   uint32_t lifetime, const uint8_t *data, size_t len);

/* Takes out the session kept for exactly (host, port, sni) if it has not
 * expired at now: a ticket is offered once (RFC 8446 C.4), the connection
 * that uses it gets new ones. Returns true with *out filled, else false. */
bool pl_client_sessions_take(pl_client_sessions_t *s, const char *host,
			     uint16_t port, const char *sni, time_t now,
			     pl_client_session_t *out);

/* Wipes and frees what *session holds. */
void pl_client_session_clear(pl_client_session_t *session);

/* Adds the unexpired sessions of the file at path to s. A missing file is
 * an empty one (PL_OK). PL_ERR_ARG with one sentence in err when the file
 * must not be used: not a regular file, readable or writable by group or
 * others, owned by another user. PL_ERR_DECODE with a sentence when a
 * line is not a session (nothing of the file is kept); PL_ERR_IO when it
 * cannot be read. */
int pl_client_sessions_read(pl_client_sessions_t *s, const char *path,
			    time_t now, char *err, size_t err_len);

/* Writes the unexpired sessions to path atomically: a new file (mode
 * 0600) in the same directory, flushed, then renamed over path. Returns
 * PL_OK, or PL_ERR_IO / PL_ERR_NOMEM with one sentence in err. */
int pl_client_sessions_write(const pl_client_sessions_t *s, const char *path,
			     time_t now, char *err, size_t err_len);

/* ---- probes ---------------------------------------------------------------
 * One ClientHello, one answer: what `padlock check` needs to learn which
 * versions, suites and groups a server accepts without ever completing a
 * handshake (no keys are derived, nothing is encrypted). A probe can offer
 * what padlock's engine never speaks (SSL 3.0, TLS 1.0/1.1, RSA key
 * transport, CBC, RC4, EXPORT...) because it only reads the server's
 * plaintext answer. */

/* What a probe offers: exactly one protocol version. The arrays stay the
 * caller's. The extensions are those real clients send for the version:
 * TLS 1.0-1.2 server_name, status_request, supported_groups,
 * ec_point_formats (uncompressed), signature_algorithms (1.2),
 * extended_master_secret, an empty session_ticket, an empty
 * renegotiation_info, padding (RFC 7685); all with an empty session id;
 * TLS 1.3 legacy_version 0x0303, a 32-byte session id, supported_versions
 * [0x0304], key_share, signature_algorithms, server_name, supported_groups;
 * SSL 3.0 none, the TLS_EMPTY_RENEGOTIATION_INFO_SCSV suite instead. */
typedef struct {
	uint16_t version;   /* 0x0300 SSL 3.0, 0x0301 TLS 1.0, 0x0302 TLS 1.1,
			     * 0x0303 TLS 1.2, 0x0304 TLS 1.3 */
	const uint16_t *suites;     /* offered in this order */
	size_t n_suites;
	const uint16_t *groups;     /* supported_groups (TLS 1.0-1.3); for
				     * 0 groups, no supported_groups and no
				     * ec_point_formats are sent. In TLS
				     * 1.2 they also bound the curve of an
				     * ECDSA certificate (RFC 8422 5.1.1) */
	size_t n_groups;
	const uint16_t *key_shares; /* TLS 1.3: groups to send a key share
				     * for (x25519, secp256r1, secp384r1:
				     * real public keys; each must also be
				     * in groups, RFC 8446 4.2.8); may be 0
				     * to provoke a HelloRetryRequest */
	size_t n_key_shares;
	const char *sni;            /* NULL: no server_name */
	bool status_request;        /* ask for OCSP stapling */
	const uint8_t *session_id;  /* TLS <= 1.2: a session ID to offer
				     * (RFC 5246 7.4.1.2), at most 32
				     * bytes, to see whether the server
				     * resumes it; NULL: an empty one */
	size_t session_id_len;
} pl_probe_offer_t;

typedef enum {
	PL_PROBE_ACCEPTED,       /* a ServerHello (or HelloRetryRequest) came */
	PL_PROBE_ALERT,          /* the server answered with an alert */
	PL_PROBE_CLOSED,         /* it closed (or reset) TCP without a word */
	PL_PROBE_TIMEOUT,        /* no complete answer within timeout_ms */
	PL_PROBE_MALFORMED,      /* the answer is not TLS as offered; after
				  * a ServerHello, version and suite stay
				  * filled in */
	PL_PROBE_CONNECT_FAILED, /* the TCP connect failed (refused, timeout) */
} pl_probe_outcome_t;

/* The answer. Strings and arrays are owned by the result: release them with
 * pl_probe_result_free(). */
typedef struct {
	pl_probe_outcome_t outcome;
	uint16_t version;  /* ACCEPTED: the version the server chose
			    * (supported_versions for TLS 1.3) */
	uint16_t suite;    /* ACCEPTED: the suite chosen */
	uint16_t group;    /* TLS 1.3: the key_share group of ServerHello or
			    * the group a HelloRetryRequest asks for;
			    * TLS 1.2: the ECDHE curve of ServerKeyExchange
			    * (0xff01/0xff02 for explicit curves, RFC 8422),
			    * 0 for RSA and DHE key exchange */
	bool hrr;          /* TLS 1.3: the answer was a HelloRetryRequest */
	int alert;         /* ALERT: its description (70 protocol_version,
			    * 40 handshake_failure, ...); otherwise the
			    * last alert seen (a warning before ServerHello,
			    * an alert that cut the flight short) or -1 */
	int alert_level;   /* 1 warning, 2 fatal, with alert */
	bool complete;     /* ACCEPTED: the whole answer came (TLS <= 1.2:
			    * up to ServerHelloDone); false when the server
			    * closed, timed out or sent an alert after its
			    * ServerHello (detail says which) */
	bool secure_renegotiation; /* TLS <= 1.2: renegotiation_info in
				    * ServerHello */
	bool ocsp_stapled; /* TLS <= 1.2: a CertificateStatus came (only when
			    * asked) */
	uint8_t *ocsp;     /* its OCSPResponse DER, or NULL */
	size_t ocsp_len;
	uint8_t **certs;   /* TLS <= 1.2: the plaintext Certificate message,
			    * leaf first, each a DER certificate */
	size_t *cert_lens;
	size_t n_certs;
	bool extended_master_secret; /* TLS <= 1.2: the server echoed it */
	bool session_ticket; /* TLS <= 1.2: the server echoed session_ticket
			      * (RFC 5077 3.2): it will issue a ticket */
	uint8_t session_id_len; /* ServerHello's session id (0-32 bytes;
				 * TLS <= 1.2: non-zero when the server
				 * keeps the session for resumption by ID) */
	uint8_t session_id[32]; /* its bytes */
	bool resumed;      /* TLS <= 1.2: the ServerHello echoes the session
			    * ID offered: the server resumes that session
			    * (an abbreviated handshake, RFC 5246 7.3); the
			    * probe ends at the ServerHello, complete */
	bool cert_requested;         /* TLS <= 1.2: a CertificateRequest came */
	bool downgrade_sentinel;     /* RFC 8446 4.1.3: ServerHello.random
				      * ends with "DOWNGRD" 01 or 00 (a TLS
				      * 1.3 server answering an older offer) */
	uint16_t dhe_bits; /* TLS <= 1.2, DHE suites: the size in bits of the
			    * server's prime p; 0 otherwise */
	char detail[200];  /* one sentence: what happened ("ServerHello: TLS
			    * 1.2, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256") */
} pl_probe_result_t;

/* Connects to ip (a numeric IPv4 or IPv6 address, no brackets) port, sends
 * one ClientHello built from offer, and reads the server's answer up to
 * ServerHelloDone (TLS <= 1.2) or ServerHello/HelloRetryRequest (TLS 1.3),
 * an alert, a close or timeout_ms (for the connect and the answer each) -
 * never completing the handshake; closes the socket. Returns PL_OK with
 * *out filled (whatever the outcome; call pl_probe_result_free() after),
 * or PL_ERR_ARG (bad arguments, an offer that cannot be written: a version
 * outside SSL 3.0-TLS 1.3, no suites, a key share padlock cannot make),
 * PL_ERR_NOMEM, PL_ERR_CRYPTO (no random bytes), each with out->detail
 * saying why and nothing to free. */
int pl_probe_hello(const char *ip, uint16_t port, const pl_probe_offer_t *offer,
		   int timeout_ms, pl_probe_result_t *out);

/* Frees what r owns and leaves it zeroed. Safe on a zeroed result. */
void pl_probe_result_free(pl_probe_result_t *r);

/* "accepted", "alert", "closed", "timeout", "malformed", "connect failed". */
const char *pl_probe_outcome_name(pl_probe_outcome_t o);

/* Cipher suite facts (PL_SUITE_, pl_tls_suite_lookup) are in
 * padlock/tls.h, with every other TLS name and number. */

#endif
