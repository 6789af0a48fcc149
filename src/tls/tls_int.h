/*
 * The engine's private header: the connection and configuration objects
 * and the functions the engine's files share.
 *
 *   buf.c        reader and writer
 *   names.c      code points to names
 *   suites.c     every IANA cipher suite, its name and facts
 *   config.c     pl_tls_config_t (and the injected callbacks)
 *   keysched.c   RFC 8446 7: HKDF-Expand-Label, the secrets, traffic keys
 *   record.c     RFC 8446 5: records in and out, protection, alerts
 *   conn.c       the public connection API, input framing, failures,
 *                the error boundary
 *   msg/         the message codecs and the extension registry (msg.h)
 *   handshake.c  handshake framing, transcript, shared messages
 *                (Certificate, CertificateVerify, Finished, KeyUpdate)
 *   extensions.c what the engine accepts of parsed extensions
 *   machine.c    the state machines' driver (tables, unexpected_message)
 *   negotiate.c  the server's version negotiation
 *   share.c      key shares of every group (DH groups, X25519MLKEM768)
 *   tls13_client.c, tls13_server.c   the TLS 1.3 machines' tables and
 *                handlers
 *   tls12_client.c, tls12_server.c   the TLS 1.2 machines' tables and
 *                handlers; keysched12.c their PRF, master secret, keys
 *                and Finished
 *   client_hello.c  the client's ClientHello (every version it offers)
 *                and its version negotiation
 *   server_common.c, client_common.c  what both versions' servers
 *                (SNI, ALPN) and clients (ALPN, the chain) share
 */
#ifndef PL_TLS_INT_H
#define PL_TLS_INT_H

#include <stdarg.h>

#include "padlock/tls.h"
#include "tls/buf.h"
#include "tls/protect.h"
#include "tls/msg/msg.h"

#define PL_TLS_MAX_PLAINTEXT 16384            /* 2^14 */
#define PL_TLS_MAX_CIPHERTEXT (16384 + 256)   /* RFC 8446 5.2 */
#define PL_TLS_RECORD_HEADER 5
#define PL_TLS_MAX_HANDSHAKE (64 * 1024)      /* any other handshake message */
/* A ClientHello may be as long as its syntax allows (RFC 8446 4.1.2:
 * every length field full): legacy_version 2, random 32, session id 1+32,
 * cipher suites 2+65534, compression 1+255, extensions 2+65535. A server
 * buffers at most this much of one before it decides. */
#define PL_TLS_MAX_CLIENT_HELLO 131396
#define PL_TLS_MAX_SUITES 4
#define PL_TLS_MAX_SUITES12 6
#define PL_TLS_MAX_GROUPS 16
#define PL_TLS_MAX_SCHEMES 16
#define PL_TLS_MAX_CHAINS 8
#define PL_TLS_MAX_TICKETS 2
#define PL_TLS_MAX_PEER_CHAIN 10 /* certificates a client takes */
#define PL_TLS12_VERIFY_LEN 12   /* RFC 5246 7.4.9 */
#define PL_TLS12_PMS_MAX 66      /* a secp521r1 x-coordinate */
#define PL_TLS_COOKIE_LEN 32
/* The largest key_share key of a group padlock negotiates: a client's
 * X25519MLKEM768 share; and the largest shared secret (ffdhe4096's). */
#define PL_TLS_SHARE_MAX PL_HYBRID_CLIENT_SHARE_LEN
#define PL_TLS_SECRET_MAX PL_KEX_SECRET_MAX
/* A client sends at most two key shares: its first group's, and when that
 * is the hybrid group, the next group's, so that a server without it
 * needs no HelloRetryRequest. */
#define PL_TLS_MAX_SHARES 2

/* ---- configuration ------------------------------------------------------ */

typedef struct {
	pl_x509_chain_t *chain;
	pl_pkey_t *key;
} pl_tls_chain_entry_t;

struct pl_tls_session_state; /* ticket_keys.c */

struct pl_tls_config {
	bool is_server;
	uint16_t suites[PL_TLS_MAX_SUITES];   /* TLS 1.3 */
	size_t n_suites;
	uint16_t suites12[PL_TLS_MAX_SUITES12]; /* TLS 1.2 */
	size_t n_suites12;
	uint16_t min_version; /* PL_TLS_VERSION_12 or _13 */
	uint16_t max_version;
	bool require_ems;
	uint16_t groups[PL_TLS_MAX_GROUPS];
	size_t n_groups;
	uint16_t schemes[PL_TLS_MAX_SCHEMES];
	size_t n_schemes;
	pl_tls_chain_entry_t chains[PL_TLS_MAX_CHAINS];
	size_t n_chains;
	pl_x509_store_t *store;
	bool verify;
	bool require_cookie;
	bool strict_sni;
	char *pending[PL_TLS_MAX_CHAINS]; /* names whose certificate is on
					     its way (config.c) */
	size_t n_pending;
	bool status_request;
	uint8_t alpn_wire[256]; /* ProtocolNameList body (RFC 7301 3.1) */
	size_t alpn_len;
	uint16_t record_size_limit;
	pl_tls_trace_fn trace;
	void *trace_arg;
	pl_tls_keylog_fn keylog;
	void *keylog_arg;
	pl_tls_random_fn random;
	void *random_arg;
	pl_tls_kex_fn kex;
	void *kex_arg;
	pl_tls_hello_fn client_hello;
	void *client_hello_arg;
	pl_tls_ticket_keys_t *ticket_keys; /* server: owned */
	unsigned tickets;                 /* NewSessionTickets per handshake */
	uint32_t ticket_lifetime;
	bool psk_ke;
	bool no_tickets12; /* client: no session_ticket in the ClientHello */
	pl_tls_challenge_fn challenge; /* RFC 8737, server */
	void *challenge_arg;
	/* Tests replaying a published trace (RFC 8448 section 4): opens
	 * the tickets another server sealed, in place of ticket_keys. */
	int (*ticket_open)(void *arg, const uint8_t *ticket, size_t len,
			   struct pl_tls_session_state *s);
	void *ticket_open_arg;
};

/* ---- ticket_keys.c: the state a ticket seals ------------------------------ */

#define PL_TLS_CHAIN_TAG_LEN 8

typedef struct pl_tls_session_state {
	uint16_t version;
	uint16_t suite;
	uint64_t created;  /* seconds since the epoch */
	uint32_t lifetime; /* seconds */
	uint32_t age_add;
	bool ems;
	uint8_t secret[PL_HASH_MAX]; /* 1.3: the PSK; 1.2: the master secret */
	size_t secret_len;
	char sni[256];  /* "" without one */
	char alpn[256]; /* "" without one */
	/* The certificate the session was authenticated with, as a short
	 * hash of its leaf (pl_tls_chain_tag), never the certificate. */
	uint8_t cert_tag[PL_TLS_CHAIN_TAG_LEN];
	bool old_key; /* opened: sealed under a key that no longer seals */
} pl_tls_session_state_t;

#define PL_TLS_TICKET_STATE_MAX (1 + 2 + 2 + 8 + 4 + 4 + 1 + 1 + PL_HASH_MAX + \
				 2 * (1 + 255) + PL_TLS_CHAIN_TAG_LEN)

/* Appends to out a ticket sealing s under the first key of k with nonce.
 * PL_ERR_STATE without keys. */
int pl_tls_ticket_seal(const pl_tls_ticket_keys_t *k,
		       const pl_tls_session_state_t *s,
		       const uint8_t nonce[PL_AEAD_NONCE_LEN], pl_buf_t *out);
/* Opens a ticket into *s: PL_ERR_DECRYPT for an unknown key id or a
 * forged or damaged ticket, PL_ERR_DECODE for a malformed one. *s is
 * wiped on failure. */
int pl_tls_ticket_open(const pl_tls_ticket_keys_t *k, const uint8_t *ticket,
		       size_t len, pl_tls_session_state_t *s);

/* ---- connection --------------------------------------------------------- */

/* Where a connection is, whatever its version; the state machine of the
 * negotiated version keeps its own state beside it (machine.c). */
typedef enum {
	ST_CLIENT_START, /* a client that has not sent its ClientHello */
	ST_HANDSHAKE,
	ST_CONNECTED,
	ST_FAILED,
} pl_tls_state_t;

typedef struct pl_tls_machine pl_tls_machine_t;

/* Protection of one direction. */
typedef struct {
	pl_tls_protect_t prot; /* key, IV and sequence number (protect.h) */
	uint8_t secret[PL_HASH_MAX]; /* the current traffic secret */
	bool application;            /* application (not handshake) keys */
	uint32_t epoch;              /* counts key changes */
} pl_tls_dir_t;

/* A client's key pair for one group it sends a share for (share.c). */
typedef struct {
	uint16_t group;
	pl_kex_t *kex;       /* a Diffie-Hellman group */
	pl_hybrid_t *hybrid; /* X25519MLKEM768 */
} pl_tls_share_t;

typedef struct {
	uint8_t *ticket;
	size_t ticket_len;
	uint32_t lifetime;
	uint32_t age_add;
	uint32_t max_early_data; /* its early_data extension; 0: none */
	uint8_t psk[PL_HASH_MAX];
	uint16_t version;  /* PL_TLS_VERSION_13, or _12 (psk: the master
			    * secret, PL_TLS12_MASTER_LEN bytes) */
	bool ems;          /* 1.2: the session used the extended master
			    * secret */
	uint16_t suite;    /* of the connection that got it */
	uint64_t received; /* the connection's time when it came */
	char *server_name; /* the name it was for (NULL: none) */
} pl_tls_ticket_t;

/* What only the handshake needs: allocated with the connection, wiped and
 * freed when the handshake completes, so an idle connection stays small. */
typedef struct {
	/* transcript: raw bytes until the suite (and so the hash) is known */
	pl_buf_t transcript_raw;
	pl_hash_t *transcript;
	/* transcript hash before the CertificateVerify or Finished being read */
	uint8_t pre_hash[PL_HASH_MAX];
	uint8_t server_random[32];
	uint8_t session_id[32];
	uint8_t session_id_len;
	bool hrr_asked_share; /* server: the HRR named a group */
	bool early_data_offered;
	pl_tls_share_t shares[PL_TLS_MAX_SHARES]; /* client: the shares sent */
	size_t n_shares;
	uint8_t cookie[PL_TLS_COOKIE_LEN + 256];
	size_t cookie_len;
	uint8_t *cert_request_context;
	size_t cert_request_context_len;
	/* the key schedule */
	uint8_t handshake_secret[PL_HASH_MAX];
	uint8_t master_secret[PL_HASH_MAX];
	uint8_t client_hs[PL_HASH_MAX];
	uint8_t server_hs[PL_HASH_MAX];
	uint8_t client_ap_pending[PL_HASH_MAX]; /* server: until client Finished */
	/* resumption (resume13.c) */
	uint8_t psk[PL_HASH_MAX]; /* the PSK in use; psk_len 0: none */
	size_t psk_len;
	bool psk_ke;           /* server: resumed without a key exchange */
	uint16_t psk_index;    /* server: the identity chosen */
	bool tickets_wanted;   /* server: the client takes a mode we use */
	bool psk_offered;      /* client: the ClientHello offers c->offer */
	pl_buf_t psk_identity; /* client: the identities list body */
	uint8_t psk_binders[1 + PL_HASH_MAX];
	int hellos_sent; /* client: ClientHellos so far */
	/* TLS 1.2 */
	bool ems;                /* the extended master secret (RFC 7627) */
	bool secure_reneg;       /* the peer signalled RFC 5746 */
	bool offered_tls13;      /* client: 1.3 was offered (sentinel check) */
	uint8_t pms[PL_TLS12_PMS_MAX]; /* client: the premaster secret */
	size_t pms_len;
	bool status_acked;       /* client: a CertificateStatus may follow */
	uint8_t key_block[2 * PL_AEAD_KEY_MAX + 2 * PL_AEAD_NONCE_LEN];
	/* TLS 1.2 tickets (resume12.c) */
	bool ticket_ext;         /* the ServerHello's session_ticket: a
				  * NewSessionTicket is due */
	bool ticket12_offered;   /* client: c->offer's ticket is offered */
	uint64_t ticket_created; /* server: a renewed ticket's state */
	uint32_t ticket_lifetime;
} pl_tls_hs_t;

struct pl_tls_conn {
	const pl_tls_config_t *cfg;
	pl_tls_state_t state;
	const pl_tls_machine_t *machine; /* NULL: a server before ClientHello */
	int machine_state;               /* the machine's own enum */
	bool is_server;
	time_t now;
	void *user;
	pl_tls_hs_t *hs; /* NULL once the handshake is over */

	/* I/O */
	pl_buf_t in;      /* the record being received */
	pl_buf_t out;     /* records to send */
	pl_buf_t app_in;  /* decrypted application data not yet read */
	pl_buf_t hs_in;   /* handshake bytes not yet a whole message */
	pl_buf_t hs_out;  /* handshake messages not yet put in records */
	size_t hs_msg_start; /* where the message being written begins */
	pl_tls_dir_t rd;
	pl_tls_dir_t wr;
	uint16_t peer_record_limit; /* the largest plaintext the peer accepts */
	uint16_t own_record_limit;  /* the largest we accept (after EE) */
	bool peer_closed;
	bool sent_close;
	bool ccs_sent;
	bool ccs_allowed; /* a dummy CCS may arrive (RFC 8446 5) */
	bool hrr;
	bool send_sni;
	bool cert_requested;
	size_t early_skip; /* bytes of rejected 0-RTT data we may drop */

	/* negotiation */
	uint16_t version;
	uint16_t suite;
	pl_hash_alg_t hash;
	size_t hash_len;
	pl_aead_alg_t aead;
	uint16_t group;
	uint16_t scheme;
	uint8_t client_random[32]; /* kept for the key log */
	char *server_name; /* client: the name asked for; server: SNI */
	char *alpn;
	char *trusted_root;
	uint8_t *ocsp; /* client: the stapled OCSP response */
	size_t ocsp_len;
	const pl_tls_chain_entry_t *own;   /* server: the chain sent */
	pl_tls_chain_entry_t challenge_chain; /* server: a TLS-ALPN-01 answer */
	pl_x509_chain_t *peer_chain;       /* client: the chain received */

	uint8_t resumption_secret[PL_HASH_MAX];
	pl_tls_ticket_t tickets[PL_TLS_MAX_TICKETS];
	size_t n_tickets;
	size_t tickets_seen;
	pl_tls_ticket_t offer; /* client: the session to resume (ticket set) */
	bool resumed;          /* the handshake used a ticket's PSK */

	/* failure */
	int alert;
	bool alert_received;
	char *reason; /* allocated on failure */
};

/* True when cfg speaks version: in its range, with suites for it. */
bool pl_tls_config_speaks(const pl_tls_config_t *cfg, uint16_t version);

/* Sets *dst to a copy of n bytes of src plus a NUL. PL_ERR_NOMEM. */
int pl_tls_set_string(char **dst, const void *src, size_t n);

/* ---- conn.c ---------------------------------------------------------------- */

/* Fails the connection: keeps alert and the reason, queues the alert
 * (protected if keys are in use) and returns PL_ERR_TLS. Only the first
 * failure is kept. */
int pl_tls_fail(pl_tls_conn_t *c, int alert, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Keeps the reason text of a failure (allocated). */
void pl_tls_set_reason(pl_tls_conn_t *c, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Reports a step to the trace callback, formatting its text. */
void pl_tls_trace(pl_tls_conn_t *c, pl_tls_step_t step, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Frees what only the handshake needed (transcript, key share, buffers). */
void pl_tls_handshake_cleanup(pl_tls_conn_t *c);
/* Fills buf with len random bytes for use (the config's random callback
 * when one is set). */
int pl_tls_random(pl_tls_conn_t *c, pl_tls_random_use_t use, uint8_t *buf,
		  size_t len);
/* A new ephemeral key pair in group (the config's kex callback's when one
 * is set). */
pl_kex_t *pl_tls_new_kex(pl_tls_conn_t *c, uint16_t group);

/* ---- share.c: key shares of every group ----------------------------------- */

/* True for the groups the engine negotiates (pl_kex_supported's and
 * X25519MLKEM768). */
bool pl_tls_group_usable(uint16_t group);

/* Client: a new key pair in group into *s. PL_ERR_CRYPTO on failure. */
int pl_tls_share_new(pl_tls_conn_t *c, pl_tls_share_t *s, uint16_t group);
/* Client: the key_share key of *s (at most PL_TLS_SHARE_MAX bytes). */
int pl_tls_share_public(const pl_tls_share_t *s, uint8_t *out, size_t cap,
			size_t *len);
/* Client: the shared secret from the server's key_share key. PL_ERR_DECODE
 * when that key is malformed or invalid (illegal_parameter). */
int pl_tls_share_finish(pl_tls_share_t *s, const uint8_t *peer,
			size_t peer_len, uint8_t *secret, size_t cap,
			size_t *secret_len);
/* Wipes and frees both key pairs; *s may be zeroed or freed twice. */
void pl_tls_share_free(pl_tls_share_t *s);
/* Server, one step for every group: from the client's key_share key peer,
 * the server's key_share key (pub) and the shared secret. A DH group
 * makes a key pair and derives; X25519MLKEM768 encapsulates against the
 * client's encapsulation key. PL_ERR_DECODE for a malformed or invalid
 * client key (illegal_parameter), another error for a local failure. */
int pl_tls_share_respond(pl_tls_conn_t *c, uint16_t group,
			 const uint8_t *peer, size_t peer_len, uint8_t *pub,
			 size_t pub_cap, size_t *pub_len, uint8_t *secret,
			 size_t secret_cap, size_t *secret_len);

/* ---- keysched.c ------------------------------------------------------------ */

/* HKDF-Expand-Label(secret, label, context, length) (RFC 8446 7.1);
 * label without the "tls13 " prefix. */
int pl_tls_expand_label(pl_hash_alg_t hash, const uint8_t *secret,
			const char *label, const uint8_t *context,
			size_t context_len, uint8_t *out, size_t out_len);
/* Derive-Secret(secret, label, transcript hash) (RFC 8446 7.1). */
int pl_tls_derive_secret(pl_hash_alg_t hash, const uint8_t *secret,
			 const char *label, const uint8_t *transcript_hash,
			 uint8_t *out);
/* Handshake Secret from the (EC)DHE shared secret; then the client and
 * server handshake traffic secrets from the transcript so far. */
int pl_tls_ks_handshake(pl_tls_conn_t *c, const uint8_t *dhe, size_t dhe_len);
/* Master Secret and both application traffic secrets (transcript through
 * the server Finished). Results in out_client / out_server. */
int pl_tls_ks_application(pl_tls_conn_t *c, uint8_t *client_ap,
			  uint8_t *server_ap);
/* The resumption master secret (transcript through the client Finished). */
int pl_tls_ks_resumption(pl_tls_conn_t *c);
/* Installs traffic keys for secret in dir (RFC 8446 7.3). */
int pl_tls_set_keys(pl_tls_conn_t *c, pl_tls_dir_t *dir,
		    const uint8_t *secret, bool application);
/* Next generation application secret for dir (RFC 8446 7.2). */
int pl_tls_update_keys(pl_tls_conn_t *c, pl_tls_dir_t *dir);
/* verify_data for a Finished message from base_key (RFC 8446 4.4.4). */
int pl_tls_finished_mac(pl_tls_conn_t *c, const uint8_t *base_key,
			uint8_t *out);
/* Emits an NSS key-log line when a key-log callback is set. */
void pl_tls_keylog(pl_tls_conn_t *c, const char *label,
		   const uint8_t *secret);
/* The same for a secret of len bytes (TLS 1.2's master secret). */
void pl_tls_keylog_n(pl_tls_conn_t *c, const char *label,
		     const uint8_t *secret, size_t len);

/* ---- record.c -------------------------------------------------------------- */

/* Writes data as records of type (fragmented, protected when a key is
 * installed; change_cipher_spec is never protected). */
int pl_tls_record_write(pl_tls_conn_t *c, uint8_t type, const uint8_t *data,
			size_t len);
/* Processes the complete record in c->in (header included): unprotects it
 * and hands its content to conn.c. */
int pl_tls_record_read(pl_tls_conn_t *c);
/* Queues an alert record. */
int pl_tls_send_alert(pl_tls_conn_t *c, uint8_t alert);

/* ---- handshake.c ----------------------------------------------------------- */

/* The transcript's part in a received message: the hash before a
 * CertificateVerify or Finished (kept in hs->pre_hash), then the message
 * itself (the hellos add themselves; post-handshake messages are not
 * part of it). */
int pl_tls_transcript_message(pl_tls_conn_t *c, uint8_t type,
			      const uint8_t *msg, size_t len);
/* Adds handshake bytes to the transcript. */
int pl_tls_transcript_add(pl_tls_conn_t *c, const uint8_t *msg, size_t len);
/* The suite is known: start hashing (turning a HelloRetryRequest's first
 * ClientHello into message_hash when hrr is set, RFC 8446 4.4.1). */
int pl_tls_transcript_start(pl_tls_conn_t *c, bool hrr);
/* Transcript-Hash of everything so far into out (hash_len bytes). */
int pl_tls_transcript_hash(pl_tls_conn_t *c, uint8_t *out);
/* Starts a handshake message of type in c->hs_out; finish with
 * pl_tls_hs_end, which adds it to the transcript. */
void pl_tls_hs_begin(pl_tls_conn_t *c, uint8_t type);
int pl_tls_hs_end(pl_tls_conn_t *c);
/* Moves queued handshake messages into records. */
int pl_tls_hs_flush(pl_tls_conn_t *c);
/* Handles handshake bytes (content of a handshake record). */
int pl_tls_handshake_input(pl_tls_conn_t *c, const uint8_t *data, size_t len);
/* Shared message writers and readers. */
int pl_tls_send_certificate(pl_tls_conn_t *c);
int pl_tls_send_certificate_verify(pl_tls_conn_t *c);
int pl_tls_send_finished(pl_tls_conn_t *c, const uint8_t *base_key);
/* Checks a received Finished against c->pre_hash (the transcript before
 * it); decrypt_error when it does not match. */
int pl_tls_recv_finished(pl_tls_conn_t *c, const uint8_t *base_key,
			 const pl_msg_finished_t *fin);

int pl_tls_send_key_update(pl_tls_conn_t *c, bool request);
/* The content signed in CertificateVerify (RFC 8446 4.4.3). */
int pl_tls_cv_content(pl_tls_conn_t *c, bool server, const uint8_t *th,
		      uint8_t *out, size_t *len);
#define PL_TLS_CV_CONTENT_MAX (64 + 34 + PL_HASH_MAX)

/* Server (config.c): PL_OK, or the failure of a ClientHello whose SNI
 * names a pending name (pl_tls_config_add_pending_name) no chain covers. */
int pl_tls_refuse_pending(pl_tls_conn_t *c);

/* ---- extensions.c ---------------------------------------------------------- */

/* Fails the connection with a codec's alert and sentence. */
int pl_tls_fail_msg(pl_tls_conn_t *c, int ret, const pl_msg_err_t *err);
/* Fails (illegal_parameter / unsupported_extension) if e holds an
 * extension outside accepted[] (RFC 8446 4.2: an answer to something
 * never offered is unsupported_extension). what names the message. */
int pl_tls_exts_check(pl_tls_conn_t *c, const pl_tls_exts_t *e,
		      const uint16_t *accepted, size_t n_accepted,
		      const char *what);

/* ---- resume13.c: TLS 1.3 tickets and PSK resumption ------------------------ */

/* Transcript-Hash of the transcript so far followed by prefix (a
 * ClientHello cut before its binders), under hash, into out. */
int pl_tls_binder_hash(pl_tls_conn_t *c, pl_hash_alg_t hash,
		       const uint8_t *prefix, size_t len, uint8_t *out);
/* The binder of psk over transcript hash th (RFC 8446 4.2.11.2). */
int pl_tls_psk_binder(pl_hash_alg_t hash, const uint8_t *psk,
		      const uint8_t *th, uint8_t *out);
/* Server: judges the ClientHello's pre_shared_key (raw is the message,
 * header included). A ticket that opens, fits this connection (suite
 * hash, SNI, ALPN, lifetime, age window) and whose binder verifies sets
 * hs->psk; any ticket that does not fit leaves a full handshake; a wrong
 * binder fails with decrypt_error. */
int pl_tls13_server_psk(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch,
			const uint8_t *raw);
/* Server: the NewSessionTickets after the client's Finished. */
int pl_tls13_send_tickets(pl_tls_conn_t *c);
/* Client: sets e's pre_shared_key (last) when a session is to be offered. */
int pl_tls13_client_psk_ext(pl_tls_conn_t *c, pl_tls_exts_t *e);
/* Client: fills the binder into the ClientHello just written (msg, with
 * binders_offset from its codec). */
int pl_tls13_client_binder(pl_tls_conn_t *c, uint8_t *msg,
			   size_t binders_offset);
/* Client: the ServerHello's pre_shared_key (RFC 8446 4.2.11). */
int pl_tls13_client_take_psk(pl_tls_conn_t *c,
			     const pl_msg_server_hello_t *sh);
/* Frees what a ticket holds. */
void pl_tls_ticket_clear(pl_tls_ticket_t *t);
/* Server, both versions: why the opened ticket s does not fit this
 * connection (SNI, ALPN, expired by the connection's clock, a
 * certificate no longer served), or NULL. */
const char *pl_tls_ticket_misfit(const pl_tls_conn_t *c,
				 const pl_tls_session_state_t *s);
/* Client, both versions: keeps a received ticket (the newest
 * PL_TLS_MAX_TICKETS) with this connection's suite, name and clock;
 * NULL when out of memory. */
pl_tls_ticket_t *pl_tls_keep_ticket(pl_tls_conn_t *c, uint16_t version,
				    const pl_reader_t *ticket,
				    uint32_t lifetime);

/* ---- machine.c: the state machines' driver --------------------------------
 * A machine is a table: state -> accepted message -> handler -> next
 * state. The driver decodes each message with its codec, runs the row's
 * handler on the typed message and moves to the row's next state (or alt,
 * when the handler returns PL_TLS_ALT). A message no row accepts is
 * unexpected_message, from one place (pl_tls_unexpected). */

#define PL_TLS_ALT 1

/* A decoded handshake message: its type, its bytes (header included, for
 * the transcript) and its parsed form. */
typedef struct {
	uint8_t type;
	const uint8_t *raw;
	size_t raw_len;
	union {
		pl_msg_client_hello_t client_hello;
		pl_msg_server_hello_t server_hello;
		pl_msg_encrypted_extensions_t encrypted_extensions;
		pl_msg_certificate_t certificate;
		pl_msg_certificate_request_t certificate_request;
		pl_msg_certificate_verify_t certificate_verify;
		pl_msg_finished_t finished;
		pl_msg_key_update_t key_update;
		pl_msg_new_session_ticket_t new_session_ticket;
		pl_msg_server_key_exchange_t server_key_exchange;
		pl_msg_client_key_exchange_t client_key_exchange;
		pl_msg_certificate_status_t certificate_status;
	} u;
} pl_tls_msg_t;

typedef int (*pl_tls_handler_fn)(pl_tls_conn_t *c, pl_tls_msg_t *m);

/* hrr: for a ServerHello row, 1 accepts only a HelloRetryRequest, 0 only
 * a real ServerHello. */
typedef struct {
	int state;
	uint8_t type;
	int8_t hrr;
	pl_tls_handler_fn handle;
	int next;
	int alt;
} pl_tls_row_t;

struct pl_tls_machine {
	const char *name;            /* "TLS 1.3 client" */
	uint16_t version;            /* the codecs' version */
	const pl_tls_row_t *rows;
	size_t n_rows;
	const char *const *state_names;
	int connected;               /* the state after the handshake */
	/* TLS 1.2: a change_cipher_spec record arrived (its body is
	 * checked); NULL where the version has none (1.3: record.c drops
	 * the compatibility one). */
	int (*ccs)(pl_tls_conn_t *c, const uint8_t *p, size_t len);
};

/* The KeyUpdate row of both TLS 1.3 machines (handshake.c). */
int pl_tls_handle_key_update(pl_tls_conn_t *c, pl_tls_msg_t *m);

extern const pl_tls_machine_t pl_tls13_client_machine;
extern const pl_tls_machine_t pl_tls13_server_machine;
extern const pl_tls_machine_t pl_tls12_client_machine;
extern const pl_tls_machine_t pl_tls12_server_machine;

/* Fails with unexpected_message: type is not accepted now. */
int pl_tls_unexpected(pl_tls_conn_t *c, uint8_t type);
/* Judges a handshake message from its header, before its body is
 * buffered: unexpected_message when no row accepts type now, decode_error
 * when len is not what the type can be (a Finished is the hash length, a
 * KeyUpdate one byte, a ClientHello at most PL_TLS_MAX_CLIENT_HELLO, any
 * other message at most PL_TLS_MAX_HANDSHAKE). */
int pl_tls_machine_header(pl_tls_conn_t *c, uint8_t type, size_t len);
/* Decodes one whole handshake message (raw, header included) and runs the
 * machine on it. */
int pl_tls_machine_input(pl_tls_conn_t *c, const uint8_t *raw, size_t len);
/* Runs the machine on a decoded message (the server's negotiation hands
 * over the ClientHello this way). */
int pl_tls_machine_run(pl_tls_conn_t *c, pl_tls_msg_t *m);

/* ---- tls13_client.c / negotiate.c -------------------------------------------- */

/* Sends the client's first flight (ClientHello). */
int pl_tls_client_start(pl_tls_conn_t *c);
/* Server: picks the version for a parsed first ClientHello and hands it
 * to that version's machine. */
int pl_tls_server_negotiate(pl_tls_conn_t *c, pl_tls_msg_t *m);
/* The version this server speaks with the client of ch (RFC 8446 4.2.1),
 * or a protocol_version failure. */
int pl_tls_server_pick_version(pl_tls_conn_t *c,
			       const pl_msg_client_hello_t *ch,
			       uint16_t *version);

/* Client: picks the machine for the first ServerHello (TLS 1.3 when it
 * says so, or when 1.2 was not offered; 1.2 otherwise) and runs it. */
int pl_tls_client_negotiate(pl_tls_conn_t *c, pl_tls_msg_t *m);
/* Client: writes the ClientHello (index 0, or 1 after a
 * HelloRetryRequest) into hs_out and the transcript, offering every
 * version of the config (client_hello.c). */
int pl_tls_send_client_hello(pl_tls_conn_t *c);

/* The TLS 1.2 machines' states. */
enum {
	CL12_WAIT_SH,
	CL12_WAIT_CERT,
	CL12_WAIT_SKE,
	CL12_WAIT_SHD_CR,
	CL12_WAIT_SHD,
	CL12_WAIT_CCS,
	CL12_WAIT_FINISHED,
	CL12_CONNECTED,
};
enum {
	SV12_START,
	SV12_WAIT_CKE,
	SV12_WAIT_CCS,
	SV12_WAIT_FINISHED,
	SV12_CONNECTED,
};

/* ---- keysched12.c ----------------------------------------------------------- */

/* A TLS 1.2 suite padlock speaks: its PRF hash, its AEAD, and whether
 * it is ECDSA's (else RSA's). false for any other suite. */
bool pl_tls12_suite_params(uint16_t suite, pl_hash_alg_t *hash,
			   pl_aead_alg_t *aead, bool *ecdsa);
/* A group TLS 1.2 negotiates: the elliptic curves (no ffdhe, no hybrid). */
bool pl_tls12_group_usable(uint16_t group);
/* PRF(secret, label, seed) of RFC 5246 5 with hash, out_len bytes. */
int pl_tls12_prf(pl_hash_alg_t hash, const uint8_t *secret,
		 size_t secret_len, const char *label, const uint8_t *seed,
		 size_t seed_len, uint8_t *out, size_t out_len);
/* The master secret from the premaster secret (extended when hs->ems;
 * the transcript must then end with the ClientKeyExchange), its key-log
 * line, and the key block. */
int pl_tls12_master_secret(pl_tls_conn_t *c, const uint8_t *pms,
			   size_t pms_len);
/* The key block from hs->master_secret and both randoms (and the
 * master secret's key-log line): after pl_tls12_master_secret, or for a
 * resumed session whose master secret is restored. */
int pl_tls12_key_block(pl_tls_conn_t *c);
#define PL_TLS12_MASTER_LEN 48
/* Installs the client's (or the server's) write keys from the key block
 * in dir. */
int pl_tls12_set_keys(pl_tls_conn_t *c, pl_tls_dir_t *dir, bool client_keys);
/* Finished verify_data over transcript hash th. */
int pl_tls12_verify_data(pl_tls_conn_t *c, bool server, const uint8_t *th,
			 uint8_t out[PL_TLS12_VERIFY_LEN]);

/* ---- tls12_common.c: what both TLS 1.2 machines share --------------------- */

/* Sends change_cipher_spec and switches to our write keys. */
int pl_tls12_send_ccs(pl_tls_conn_t *c);
/* Checks a change_cipher_spec record's body and that no handshake
 * message is half received, then switches to the peer's write keys. */
int pl_tls12_recv_ccs(pl_tls_conn_t *c, const uint8_t *p, size_t len);
/* Sends our Finished (over the transcript so far). */
int pl_tls12_send_finished(pl_tls_conn_t *c);
/* Checks the peer's Finished against hs->pre_hash (decrypt_error). */
int pl_tls12_recv_finished(pl_tls_conn_t *c, const pl_msg_finished_t *fin);
/* Answers a renegotiation request (a ClientHello or HelloRequest once
 * connected) with a no_renegotiation warning (RFC 5746 4.2, 4.4). */
int pl_tls12_refuse_renegotiation(pl_tls_conn_t *c, pl_tls_msg_t *m);
/* The signed content of a ServerKeyExchange: client_random +
 * server_random + params (RFC 8422 5.4). *len gets its length. */
int pl_tls12_ske_content(pl_tls_conn_t *c, const pl_reader_t *params,
			 uint8_t *out, size_t cap, size_t *len);
#define PL_TLS12_SKE_CONTENT_MAX (64 + 4 + 255)
/* RFC 8446 4.1.3 (RFC 9846 4.1.3): the last eight bytes of a TLS 1.2
 * ServerHello.random from a server that also speaks TLS 1.3. */
extern const uint8_t pl_tls12_downgrade_sentinel[8];

/* ---- resume12.c: TLS 1.2 tickets (RFC 5077, RFC 7627 5.3) ------------------ */

/* Server, after the suite (and so the chain) is chosen: whether a
 * NewSessionTicket will be sent (hs->ticket_ext), and whether the
 * ClientHello's ticket resumes (c->resumed, hs->master_secret). A ticket
 * that does not fit gives a full handshake, never an error. */
int pl_tls12_server_ticket(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch);
/* Server: the NewSessionTicket (RFC 5077 3.3) when hs->ticket_ext. */
int pl_tls12_send_ticket(pl_tls_conn_t *c);
/* Client: sets e's session_ticket (the saved 1.2 session's ticket, or
 * empty to ask for one). */
void pl_tls12_client_ticket_ext(pl_tls_conn_t *c, pl_tls_exts_t *e);
/* Client: the ServerHello resumes the offered session (its session id
 * echoed): checks the suite and the extended master secret against the
 * session (RFC 7627 5.3, handshake_failure) and restores its master
 * secret and keys. */
int pl_tls12_client_resume(pl_tls_conn_t *c, const pl_msg_server_hello_t *sh);
/* Client: a NewSessionTicket row (only after a ServerHello that carried
 * session_ticket, once). */
int pl_tls12_handle_ticket(pl_tls_conn_t *c, pl_tls_msg_t *m);
/* Server: the tag of the chain c->own (the first PL_TLS_CHAIN_TAG_LEN
 * bytes of the SHA-256 of its leaf), zeros without one. */
void pl_tls_chain_tag(const pl_tls_conn_t *c,
		      uint8_t out[PL_TLS_CHAIN_TAG_LEN]);

/* ---- server_common.c / client_common.c ---------------------------------------- */

/* Server: keeps the client's SNI (checked as a host name). */
int pl_tls_take_sni(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch);
/* Server: the ALPN protocol (server preference), or
 * no_application_protocol. */
int pl_tls_choose_alpn(pl_tls_conn_t *c, const pl_msg_client_hello_t *ch);
/* True for an IPv4 or IPv6 literal (never sent as SNI). */
bool pl_tls_is_ip_literal(const char *name);
/* Client: keeps the ALPN protocol the server selected in message what
 * (one we offered, else a failure). */
int pl_tls_client_take_alpn(pl_tls_conn_t *c, const pl_reader_t *name,
			    const char *what);
/* Client: parses the server's chain (n DER certificates, leaf first),
 * traces it and verifies it (unless verification is off). */
int pl_tls_client_take_chain(pl_tls_conn_t *c, const uint8_t *const *der,
			     const size_t *lens, size_t n);

/* The TLS 1.3 machines' states. */
enum {
	CL13_WAIT_SH,
	CL13_WAIT_SH_AFTER_HRR,
	CL13_WAIT_EE,
	CL13_WAIT_CERT_CR,
	CL13_WAIT_CERT,
	CL13_WAIT_CV,
	CL13_WAIT_FINISHED,
	CL13_CONNECTED,
};
enum {
	SV13_START,
	SV13_WAIT_CH2,
	SV13_WAIT_FINISHED,
	SV13_CONNECTED,
};

/* ---- names.c ---------------------------------------------------------------- */

/* Suite parameters; false for a suite padlock does not implement. */
bool pl_tls_suite_params(uint16_t suite, pl_hash_alg_t *hash,
			 pl_aead_alg_t *aead);
/* "hex" of len bytes, shortened with "..." past max bytes, into buf. */
const char *pl_tls_hex(const uint8_t *p, size_t len, size_t max, char *buf,
		       size_t cap);

#endif
