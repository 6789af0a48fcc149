/*
 * padlock tls: the TLS 1.3 (RFC 8446) and TLS 1.2 (RFC 5246, ECDHE with
 * AEAD suites only) protocol engine, client and server, sans-I/O.
 *
 * The engine never touches a socket, a file or a clock. The caller moves
 * bytes: what arrives from the peer goes in with pl_tls_feed(); what the
 * engine wants sent comes out of pl_tls_output(). Application data goes
 * through pl_tls_write() and pl_tls_read(). The time used to check
 * certificates is passed in with pl_tls_conn_set_time().
 *
 * A pl_tls_config_t is built once, then shared read-only by any number of
 * connections (and threads). A pl_tls_conn_t is one connection; it is not
 * thread-safe. Freeing a connection wipes every secret it held.
 */
#ifndef PADLOCK_TLS_H
#define PADLOCK_TLS_H

#include <time.h>

#include "padlock/common.h"
#include "padlock/crypto.h"
#include "padlock/x509.h"

/* ---- code points ---------------------------------------------------------- */

/* Protocol versions (RFC 8446 4.2.1; the older ones a probe offers). */
#define PL_TLS_VERSION_SSL30 0x0300
#define PL_TLS_VERSION_10 0x0301
#define PL_TLS_VERSION_11 0x0302
#define PL_TLS_VERSION_12 0x0303
#define PL_TLS_VERSION_13 0x0304

/* Record content types (RFC 8446 5.1). */
#define PL_CT_CHANGE_CIPHER_SPEC 20
#define PL_CT_ALERT 21
#define PL_CT_HANDSHAKE 22
#define PL_CT_APPLICATION_DATA 23

/* TLS 1.3 cipher suites (RFC 8446 B.4); every suite's name and facts are
 * in pl_tls_suite_lookup(). */
#define PL_TLS_AES_128_GCM_SHA256 0x1301
#define PL_TLS_AES_256_GCM_SHA384 0x1302
#define PL_TLS_CHACHA20_POLY1305_SHA256 0x1303
/* The TLS 1.2 suites padlock speaks (RFC 5289, 7905): ECDHE with an AEAD,
 * nothing else (RFC 10015). */
#define PL_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256 0xc02b
#define PL_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384 0xc02c
#define PL_TLS_ECDHE_RSA_AES_128_GCM_SHA256 0xc02f
#define PL_TLS_ECDHE_RSA_AES_256_GCM_SHA384 0xc030
#define PL_TLS_ECDHE_RSA_CHACHA20_POLY1305_SHA256 0xcca8
#define PL_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256 0xcca9
/* Signalling values in the suite list (RFC 5746 3.3, RFC 7507). */
#define PL_TLS_EMPTY_RENEGOTIATION_INFO_SCSV 0x00ff
#define PL_TLS_FALLBACK_SCSV 0x5600

/* Alert descriptions (RFC 8446 6; the older ones of RFC 5246 7.2 and
 * 2246 that a probe meets). */
enum pl_tls_alert {
	PL_ALERT_CLOSE_NOTIFY = 0,
	PL_ALERT_UNEXPECTED_MESSAGE = 10,
	PL_ALERT_BAD_RECORD_MAC = 20,
	PL_ALERT_DECRYPTION_FAILED = 21,
	PL_ALERT_RECORD_OVERFLOW = 22,
	PL_ALERT_DECOMPRESSION_FAILURE = 30,
	PL_ALERT_HANDSHAKE_FAILURE = 40,
	PL_ALERT_NO_CERTIFICATE = 41,
	PL_ALERT_BAD_CERTIFICATE = 42,
	PL_ALERT_UNSUPPORTED_CERTIFICATE = 43,
	PL_ALERT_CERTIFICATE_REVOKED = 44,
	PL_ALERT_CERTIFICATE_EXPIRED = 45,
	PL_ALERT_CERTIFICATE_UNKNOWN = 46,
	PL_ALERT_ILLEGAL_PARAMETER = 47,
	PL_ALERT_UNKNOWN_CA = 48,
	PL_ALERT_ACCESS_DENIED = 49,
	PL_ALERT_DECODE_ERROR = 50,
	PL_ALERT_DECRYPT_ERROR = 51,
	PL_ALERT_EXPORT_RESTRICTION = 60,
	PL_ALERT_PROTOCOL_VERSION = 70,
	PL_ALERT_INSUFFICIENT_SECURITY = 71,
	PL_ALERT_INTERNAL_ERROR = 80,
	PL_ALERT_INAPPROPRIATE_FALLBACK = 86,
	PL_ALERT_USER_CANCELED = 90,
	PL_ALERT_NO_RENEGOTIATION = 100,
	PL_ALERT_MISSING_EXTENSION = 109,
	PL_ALERT_UNSUPPORTED_EXTENSION = 110,
	PL_ALERT_UNRECOGNIZED_NAME = 112,
	PL_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE = 113,
	PL_ALERT_UNKNOWN_PSK_IDENTITY = 115,
	PL_ALERT_CERTIFICATE_REQUIRED = 116,
	PL_ALERT_NO_APPLICATION_PROTOCOL = 120,
};

/* Names as the RFCs spell them ("handshake_failure", "TLS_AES_128_GCM_SHA256",
 * "x25519", "ecdsa_secp256r1_sha256", "TLS 1.2"); "unknown(0x1234)"-style
 * text, in a per-thread buffer per function, for values they do not know
 * ("unknown (0x0305)" for a version). */
const char *pl_tls_alert_name(int alert);
const char *pl_tls_version_name(uint16_t version);
const char *pl_tls_suite_name(uint16_t suite);
const char *pl_tls_group_name(uint16_t group);
/* What kind of key exchange a group is, in words for people: "post-quantum
 * hybrid key exchange: X25519 + ML-KEM-768" for X25519MLKEM768,
 * "elliptic-curve Diffie-Hellman (ECDHE)" or "finite-field Diffie-Hellman
 * (DHE)" for the others, "key exchange" for one padlock does not know. */
const char *pl_tls_group_kind(uint16_t group);
/* True for a group that stays secret against a quantum computer (today,
 * X25519MLKEM768). */
bool pl_tls_group_is_post_quantum(uint16_t group);
const char *pl_tls_sigscheme_name(uint16_t scheme);

/* Cipher suite facts, for padlock check's grades. */
#define PL_SUITE_TLS13 0x001
#define PL_SUITE_FS 0x002      /* ECDHE or DHE key exchange (forward secrecy);
				* every TLS 1.3 suite; not the anonymous ones */
#define PL_SUITE_RSA_KX 0x004  /* RSA key transport */
#define PL_SUITE_CBC 0x008
#define PL_SUITE_3DES 0x010
#define PL_SUITE_RC4 0x020
#define PL_SUITE_NULL 0x040    /* no encryption */
#define PL_SUITE_EXPORT 0x080
#define PL_SUITE_ANON 0x100    /* no authentication (DH_anon, ECDH_anon) */
#define PL_SUITE_AEAD 0x200
#define PL_SUITE_SHA1 0x400    /* HMAC-SHA1 record MAC */
#define PL_SUITE_MD5 0x800     /* HMAC-MD5 record MAC */
#define PL_SUITE_SCSV 0x1000   /* a signalling value, not a suite */
#define PL_SUITE_ECDHE 0x2000  /* ECDHE key exchange (FS is also set) */
#define PL_SUITE_DHE 0x4000    /* finite-field DHE key exchange (FS too) */

typedef struct {
	uint16_t id;
	const char *name;  /* IANA name: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" */
	unsigned flags;    /* PL_SUITE_ */
} pl_tls_suite_info_t;

/* Every suite padlock knows (the IANA names of RFC 5246, 4492, 5288,
 * 5289, 7905, 8446 and the legacy ones), in a static table sorted by
 * code point; *n gets its length. */
const pl_tls_suite_info_t *pl_tls_suite_table(size_t *n);

/* The entry for id, or NULL when padlock does not know it. */
const pl_tls_suite_info_t *pl_tls_suite_lookup(uint16_t id);

/* True for a suite the engine speaks (the TLS 1.3 suites and the TLS 1.2
 * ones above); the rest of the table only a probe offers. */
bool pl_tls_suite_spoken(uint16_t id);

/* ---- configuration -------------------------------------------------------- */

typedef struct pl_tls_config pl_tls_config_t;
typedef struct pl_tls_conn pl_tls_conn_t;

/* The steps of a handshake, reported to a trace callback as they happen. */
typedef enum {
	PL_STEP_CLIENT_HELLO,         /* sent (client) / received (server) */
	PL_STEP_HELLO_RETRY,          /* HelloRetryRequest sent / received */
	PL_STEP_SERVER_HELLO,         /* version, suite and group chosen */
	PL_STEP_KEY_EXCHANGE,         /* shared secret computed, handshake keys */
	PL_STEP_ENCRYPTED_EXTENSIONS, /* ALPN and other negotiated extensions */
	PL_STEP_CERTIFICATE,          /* the certificate chain, sent/received */
	PL_STEP_CERT_TRUSTED,         /* chain verified to a trusted root */
	PL_STEP_CERTIFICATE_VERIFY,   /* proof of the private key */
	PL_STEP_SERVER_FINISHED,
	PL_STEP_CLIENT_FINISHED,
	PL_STEP_APPLICATION_KEYS,     /* session keys in use */
	PL_STEP_SESSION_TICKET,
	PL_STEP_KEY_UPDATE,
	PL_STEP_ALERT,                /* an alert sent or received */
} pl_tls_step_t;

/* Called by the engine at each step with one line of text that describes it
 * in plain words. conn is the connection; text is valid during the call. */
typedef void (*pl_tls_trace_fn)(void *arg, const pl_tls_conn_t *conn,
				pl_tls_step_t step, const char *text);

/* Called with one NSS key-log line (without newline) per secret, for
 * SSLKEYLOGFILE. The caller writes it where it wants. */
typedef void (*pl_tls_keylog_fn)(void *arg, const char *line);

/* A new configuration with secure defaults: TLS 1.2 and 1.3, all three
 * TLS 1.3 suites and the six TLS 1.2 ECDHE AEAD suites (AES-GCM first
 * when the CPU has AES instructions, else ChaCha20 first),
 * groups X25519MLKEM768 (the post-quantum hybrid, RFC 10024), x25519,
 * secp256r1, secp384r1 (a server also takes secp521r1, x448, ffdhe2048,
 * ffdhe3072 and ffdhe4096, after those), and every signature scheme
 * padlock implements. NULL when out of memory. */
pl_tls_config_t *pl_tls_config_new(bool is_server);
void pl_tls_config_free(pl_tls_config_t *cfg);

/* Server: adds a certificate chain (leaf first) and its private key. The
 * config takes ownership of both, also on failure. Several chains may be
 * added (an ECDSA and an RSA one, or one per site); each connection gets
 * the first chain that covers the client's SNI and that it can verify
 * (signature_algorithms), preferring the order of addition. Returns
 * PL_ERR_ARG when the key does not match the leaf. */
int pl_tls_config_add_chain(pl_tls_config_t *cfg, pl_x509_chain_t *chain,
			    pl_pkey_t *key);

/* Client: the trust anchors to verify servers with (the config takes
 * ownership). Without a store, and with verification on, handshakes fail
 * with unknown_ca. */
void pl_tls_config_set_trust(pl_tls_config_t *cfg, pl_x509_store_t *store);

/* Client: verify the server's chain and name (default true). false is
 * --insecure: CertificateVerify is still checked, the chain is not. */
void pl_tls_config_set_verify(pl_tls_config_t *cfg, bool verify);

/* ALPN protocols in preference order, comma-separated ("h2,http/1.1").
 * A client offers them; a server picks the first of its list the client
 * offered, and answers no_application_protocol if none matches.
 * PL_ERR_ARG on an empty or over-long name. */
int pl_tls_config_set_alpn(pl_tls_config_t *cfg, const char *list);

/* Cipher suites / groups / signature schemes in preference order (a server
 * uses its own order). PL_ERR_UNSUPPORTED for a value padlock lacks. A
 * suite list may mix TLS 1.3 and TLS 1.2 suites; it replaces the suites
 * of each version it names, and a version it names none of keeps its
 * defaults (the six ECDHE AEAD suites for TLS 1.2, ECDSA first). TLS 1.2
 * never uses the finite-field or the post-quantum groups. A
 * client sends a key share for the first group, and when that is
 * X25519MLKEM768, for the second as well. A server takes a share of the
 * first group of its list the client sent one for; without one it asks
 * by HelloRetryRequest for its first group the client lists, the hybrid
 * group only when no other is in common. */
int pl_tls_config_set_suites(pl_tls_config_t *cfg, const uint16_t *suites,
			     size_t n);
int pl_tls_config_set_groups(pl_tls_config_t *cfg, const uint16_t *groups,
			     size_t n);
int pl_tls_config_set_sigschemes(pl_tls_config_t *cfg,
				 const uint16_t *schemes, size_t n);

/* The protocol versions spoken, from min to max (PL_TLS_VERSION_12 or
 * PL_TLS_VERSION_13; default both). A client offers them; a server picks
 * the highest the client offers and refuses the rest with
 * protocol_version. PL_ERR_UNSUPPORTED for SSL 3.0, TLS 1.0 and 1.1 (or
 * an unknown version), PL_ERR_ARG when min > max. */
int pl_tls_config_set_versions(pl_tls_config_t *cfg, uint16_t min,
			       uint16_t max);

/* Reads a version range as a user writes it: "1.3", "1.2", "1.2-1.3" or
 * a comma-separated list ("1.2,1.3"), into *min and *max. PL_ERR_UNSUPPORTED
 * names a version padlock refuses ("1.0", "1.1", "ssl3"), PL_ERR_ARG
 * anything else. */
int pl_tls_versions_parse(const char *text, uint16_t *min, uint16_t *max);

/* TLS 1.2: refuse a peer without the extended master secret (RFC 7627;
 * handshake_failure). Off by default: it is used whenever offered. */
void pl_tls_config_set_require_ems(pl_tls_config_t *cfg, bool on);

/* Server: demand a cookie round trip (a HelloRetryRequest) from every client
 * that has not sent one. Off by default; used by tests and by a server
 * under attack. */
void pl_tls_config_set_require_cookie(pl_tls_config_t *cfg, bool on);

/* Client: ask for the server's OCSP response (status_request, RFC 6066
 * 8); a stapled response is then kept (pl_tls_ocsp_response). Off by
 * default; when off, a stapled response is an unsupported_extension. */
void pl_tls_config_set_status_request(pl_tls_config_t *cfg, bool on);

/* Server: when the client names a server (SNI) that no chain covers,
 * refuse with unrecognized_name (RFC 6066 3) instead of answering with the
 * first chain. Off by default. */
void pl_tls_config_set_strict_sni(pl_tls_config_t *cfg, bool on);

/* Server: a name whose certificate is on its way (ACME's first order). A
 * ClientHello naming it while no chain covers it gets unrecognized_name
 * with the reason "no certificate for 'NAME' yet...", never another
 * site's chain. The name is copied. PL_ERR_ARG past the limit (as many
 * as chains), PL_ERR_NOMEM. */
int pl_tls_config_add_pending_name(pl_tls_config_t *cfg, const char *name);

/* Server, TLS-ALPN-01 (RFC 8737): called when a ClientHello's ALPN offers
 * exactly one protocol, "acme-tls/1", with its SNI name (NULL without
 * one). PL_OK with *chain and *key (the connection takes both) answers
 * that handshake with them and ALPN acme-tls/1; an error leaves it to the
 * configured chains and ALPN list (no_application_protocol). TLS 1.3
 * handshakes only. The callback must be safe to call from every thread
 * that uses the config. */
typedef int (*pl_tls_challenge_fn)(void *arg, const char *server_name,
				   pl_x509_chain_t **chain, pl_pkey_t **key);
void pl_tls_config_set_challenge(pl_tls_config_t *cfg, pl_tls_challenge_fn fn,
				 void *arg);

/* The record size limit advertised (RFC 8449), 64..16385. Default 16385. */
int pl_tls_config_set_record_size_limit(pl_tls_config_t *cfg, uint16_t limit);

void pl_tls_config_set_trace(pl_tls_config_t *cfg, pl_tls_trace_fn fn,
			     void *arg);
void pl_tls_config_set_keylog(pl_tls_config_t *cfg, pl_tls_keylog_fn fn,
			      void *arg);

/* ---- session tickets (RFC 8446 2.2, 4.6.1; RFC 5077 for TLS 1.2) -----------
 * A server seals each ticket (the state to resume: version, suite,
 * resumption secret or TLS 1.2 master secret, SNI, ALPN, creation time,
 * EMS flag, a short hash of the certificate served; never the
 * certificate) with AES-256-GCM under a key named by an 8-byte key id;
 * the client gives it back and the server needs no session cache (a TLS
 * 1.2 session id alone gets a full handshake). */

typedef struct pl_tls_ticket_keys pl_tls_ticket_keys_t;

#define PL_TLS_TICKET_KEYS_MAX 16
#define PL_TLS_TICKET_LIFETIME_MAX 604800 /* RFC 8446 4.6.1: seven days */

/* Rotating keys for one server or for the processes forked from the one
 * that makes them: a fresh random secret ratcheted forward every rotation
 * seconds (state' = HKDF-Expand(state, "padlock ticket ratchet"); the key
 * of an epoch derives from its state), the epoch being now / rotation.
 * Keys of the epochs within keep seconds still open tickets; older ones,
 * and every earlier state, are wiped. Every process that inherits the
 * object and calls pl_tls_ticket_keys_advance() with the same clock holds
 * the same keys. NULL when out of memory, rotation is 0 or the CSPRNG
 * fails. Free with pl_tls_ticket_keys_free(). */
pl_tls_ticket_keys_t *pl_tls_ticket_keys_new(uint32_t rotation, uint32_t keep,
					     time_t now);
/* Moves rotating keys to the epoch of now (a no-op for a key list and
 * when now is not in a later epoch). Not thread-safe: call it where no
 * handshake uses the keys at the same time (a worker's timer). */
int pl_tls_ticket_keys_advance(pl_tls_ticket_keys_t *k, time_t now);
/* An explicit list of n 32-byte secrets (1..PL_TLS_TICKET_KEYS_MAX): the
 * first seals, all open. Copied. NULL on a bad n or out of memory. */
pl_tls_ticket_keys_t *pl_tls_ticket_keys_list(const uint8_t (*secrets)[32],
					      size_t n);
/* Reads a ticket key file (--ticket-key-file): text, one key per line as
 * 64 hex digits (32 random bytes: `openssl rand -hex 32`), blank lines and
 * lines starting with '#' ignored, spaces around a key allowed; the first
 * key seals, every key opens; 1..PL_TLS_TICKET_KEYS_MAX keys. *out gets
 * the list. PL_ERR_DECODE with one sentence in why (naming the line) for
 * a malformed file, PL_ERR_NOMEM. */
int pl_tls_ticket_keys_parse(const uint8_t *text, size_t len,
			     pl_tls_ticket_keys_t **out, char *why,
			     size_t why_cap);
/* A copy of k (what a forked worker holds), to hand to a config that
 * takes ownership while the maker keeps its own. NULL when out of memory. */
pl_tls_ticket_keys_t *pl_tls_ticket_keys_dup(const pl_tls_ticket_keys_t *k);
/* Keys held now (0 for NULL). */
size_t pl_tls_ticket_keys_count(const pl_tls_ticket_keys_t *k);
/* Wipes and frees. NULL is ignored. */
void pl_tls_ticket_keys_free(pl_tls_ticket_keys_t *k);

/* Server: the keys tickets are sealed with (the config takes ownership and
 * frees the keys it held). Without keys no ticket is sent. NULL removes
 * them. */
void pl_tls_config_set_ticket_keys(pl_tls_config_t *cfg,
				   pl_tls_ticket_keys_t *keys);
/* The config's ticket keys (to advance them), or NULL. */
pl_tls_ticket_keys_t *pl_tls_config_ticket_keys(pl_tls_config_t *cfg);
/* Server: NewSessionTickets sent after each full TLS 1.3 handshake
 * (default 2, as browsers open parallel connections; at most 1 after a
 * resumed one, which replaces the ticket used; 0 sends none and resumes
 * none, in TLS 1.2 too, where any other count sends one RFC 5077 ticket
 * to a session with the extended master secret) and their lifetime in
 * seconds (default 86400, 1..PL_TLS_TICKET_LIFETIME_MAX; TLS 1.2's
 * lifetime hint). PL_ERR_ARG out of range (count above 8). */
int pl_tls_config_set_tickets(pl_tls_config_t *cfg, unsigned count,
			      uint32_t lifetime);
/* Server: also resume with psk_ke (RFC 8446 4.2.9: no new key exchange,
 * so no forward secrecy for the resumed session). Off by default: only
 * psk_dhe_ke. */
void pl_tls_config_set_psk_ke(pl_tls_config_t *cfg, bool on);
/* Client: offer the session_ticket extension in a ClientHello that offers
 * TLS 1.2 (RFC 5077 3.2: empty, or a saved session's ticket). On by
 * default; off, the ClientHello asks for no ticket and offers none, so a
 * server names the session with an ID (RFC 5077 3.4 lets a server that
 * sends a ticket leave it empty). TLS 1.3 is unchanged. */
void pl_tls_config_set_client_tickets12(pl_tls_config_t *cfg, bool on);

/* ---- injection -------------------------------------------------------------
 * What is normally random, supplied by the caller instead: tests replay
 * published traces (RFC 8448) and fuzzers make a handshake the same bytes
 * every time. Unset, the engine uses libcrypto's CSPRNG and fresh key
 * pairs. A callback must be safe to call from every thread that uses the
 * config. */

/* What a random value is for. */
typedef enum {
	PL_TLS_RANDOM_HELLO,      /* ClientHello.random / ServerHello.random */
	PL_TLS_RANDOM_SESSION_ID, /* a client's legacy_session_id */
	PL_TLS_RANDOM_COOKIE,     /* a server's HelloRetryRequest cookie */
	PL_TLS_RANDOM_TICKET,     /* a ticket's nonce and ticket_age_add */
} pl_tls_random_use_t;

/* Fills buf with len bytes for use; PL_OK or a negative PL_ERR_ code
 * (the handshake then fails with internal_error). */
typedef int (*pl_tls_random_fn)(void *arg, const pl_tls_conn_t *conn,
				pl_tls_random_use_t use, uint8_t *buf,
				size_t len);
void pl_tls_config_set_random(pl_tls_config_t *cfg, pl_tls_random_fn fn,
			      void *arg);

/* Returns a new ephemeral key pair in group (the engine frees it), or
 * NULL (the handshake fails with internal_error). Called for the
 * Diffie-Hellman groups; X25519MLKEM768's key pairs are always fresh. */
typedef pl_kex_t *(*pl_tls_kex_fn)(void *arg, const pl_tls_conn_t *conn,
				   uint16_t group);
void pl_tls_config_set_kex(pl_tls_config_t *cfg, pl_tls_kex_fn fn, void *arg);

/* Client: called with each ClientHello the engine built (index 0, and 1
 * for the one answering a HelloRetryRequest; the handshake message,
 * header included) before it is sent. It may point *msg and *len at other
 * bytes, which are sent instead and must outlive the handshake; the
 * engine takes its random and session id from them. Returns PL_OK, or an
 * error that fails the handshake with internal_error. */
typedef int (*pl_tls_hello_fn)(void *arg, const pl_tls_conn_t *conn,
			       int index, const uint8_t **msg, size_t *len);
void pl_tls_config_set_client_hello(pl_tls_config_t *cfg, pl_tls_hello_fn fn,
				    void *arg);

/* ---- connections ---------------------------------------------------------- */

/* A new connection using cfg (which must outlive it). A client passes the
 * server's name: sent as SNI when it is a DNS name, and verified against
 * the certificate (DNS name or IP literal). NULL when out of memory. */
pl_tls_conn_t *pl_tls_conn_new(const pl_tls_config_t *cfg,
			       const char *server_name);

/* Wipes every secret and frees the connection. NULL is ignored. */
void pl_tls_conn_free(pl_tls_conn_t *c);

/* The time (seconds since the epoch) certificates are checked against.
 * Until it is called, the current time as libcrypto reads it is used. */
void pl_tls_conn_set_time(pl_tls_conn_t *c, time_t now);

/* A pointer the caller keeps with the connection (for trace callbacks,
 * which receive the connection). NULL until set. */
void pl_tls_conn_set_user(pl_tls_conn_t *c, void *user);
void *pl_tls_conn_user(const pl_tls_conn_t *c);

/* Gives the engine bytes received from the peer. All len bytes are taken
 * (a partial record is kept until the rest arrives). Returns PL_OK, or
 * PL_ERR_TLS once the connection has failed: the alert to send is then
 * queued in the output, and pl_tls_alert()/pl_tls_reason() say why. An
 * internal failure (out of memory, a buffer error) fails the connection
 * the same way, with internal_error: no other error code comes out of
 * this or the calls below that act on a connection (write, close,
 * key_update, output), except PL_ERR_STATE and PL_ERR_CLOSED where they
 * say so. */
int pl_tls_feed(pl_tls_conn_t *c, const uint8_t *data, size_t len);

/* Bytes the engine wants sent to the peer, or NULL with *len = 0. A client
 * produces its ClientHello on the first call. The pointer is valid until
 * the next call into the engine. */
const uint8_t *pl_tls_output(pl_tls_conn_t *c, size_t *len);

/* Marks n bytes of the output as sent. */
void pl_tls_output_consumed(pl_tls_conn_t *c, size_t n);

/* Reads up to cap bytes of application data into buf; *n = 0 when none is
 * waiting. Returns PL_ERR_CLOSED once the peer's close_notify has been read
 * and all data before it delivered, PL_ERR_TLS after a failure. */
int pl_tls_read(pl_tls_conn_t *c, uint8_t *buf, size_t cap, size_t *n);

/* Encrypts len bytes of application data into the output. Allowed once the
 * handshake is done; PL_ERR_STATE before or after close (the connection
 * stays as it was); PL_ERR_TLS once it has failed. */
int pl_tls_write(pl_tls_conn_t *c, const uint8_t *buf, size_t len);

/* Queues a close_notify alert. Further writes are refused. */
int pl_tls_close(pl_tls_conn_t *c);

/* Sends a KeyUpdate (RFC 8446 4.6.3) and switches to new sending keys;
 * with request_peer, asks the peer to update its keys too. PL_ERR_STATE
 * on a TLS 1.2 connection, which has no KeyUpdate. */
int pl_tls_key_update(pl_tls_conn_t *c, bool request_peer);

/* ---- state ---------------------------------------------------------------- */

bool pl_tls_handshake_done(const pl_tls_conn_t *c);
bool pl_tls_failed(const pl_tls_conn_t *c);
bool pl_tls_peer_closed(const pl_tls_conn_t *c);
bool pl_tls_is_server(const pl_tls_conn_t *c);

uint16_t pl_tls_version(const pl_tls_conn_t *c);   /* 0 before ServerHello */
uint16_t pl_tls_suite(const pl_tls_conn_t *c);
uint16_t pl_tls_group(const pl_tls_conn_t *c);
/* The server's signature scheme: CertificateVerify's (TLS 1.3) or
 * ServerKeyExchange's (TLS 1.2). */
uint16_t pl_tls_sigscheme(const pl_tls_conn_t *c);
bool pl_tls_did_hello_retry(const pl_tls_conn_t *c);
const char *pl_tls_alpn(const pl_tls_conn_t *c);   /* "" if none */
const char *pl_tls_sni(const pl_tls_conn_t *c);    /* server: "" if none */
/* Client: the server's chain as received (until pl_tls_conn_shrink);
 * server: the chain it sent. */
const pl_x509_chain_t *pl_tls_peer_chain(const pl_tls_conn_t *c);
/* Client: the OCSP response the server stapled (DER), or NULL with *len
 * 0. Valid while the connection lives. */
const uint8_t *pl_tls_ocsp_response(const pl_tls_conn_t *c, size_t *len);
/* Client, after a verified handshake: the trusted root's subject. */
const char *pl_tls_trusted_root(const pl_tls_conn_t *c);
/* Client: NewSessionTickets received and kept (for resumption). */
size_t pl_tls_ticket_count(const pl_tls_conn_t *c);
/* Client: the newest NewSessionTicket's lifetime in seconds (RFC 8446
 * 4.6.1; TLS 1.2: the lifetime hint, RFC 5077 3.3, 0 when unspecified)
 * and its max_early_data_size (4.2.10; 0 when it allows no 0-RTT
 * data). false when no ticket came. */
bool pl_tls_ticket_info(const pl_tls_conn_t *c, uint32_t *lifetime,
			uint32_t *max_early_data);

/* The handshake resumed a session with a ticket (RFC 8446 2.2): no
 * certificate was sent, so pl_tls_peer_chain() is NULL on a client. */
bool pl_tls_resumed(const pl_tls_conn_t *c);

/* Client: the newest ticket as a session to keep (with its PSK: a
 * secret, store it as one), in *out (malloc'd, the caller frees it after
 * wiping) of *len bytes. PL_ERR_STATE when no ticket came. */
int pl_tls_session_save(const pl_tls_conn_t *c, uint8_t **out, size_t *len);
/* Client, before the first pl_tls_output(): offers the saved session
 * (TLS 1.3: psk_dhe_ke; TLS 1.2: its ticket in session_ticket beside a
 * random session id, RFC 5077 3.4). A server that resumes a 1.2 session
 * with another suite or extended master secret state is refused with
 * handshake_failure (RFC 7627 5.3). PL_ERR_DECODE for bytes that are no saved
 * session, PL_ERR_ARG for a session of another server name,
 * PL_ERR_STATE once the handshake started. An expired one is not
 * offered (PL_OK). */
int pl_tls_session_load(pl_tls_conn_t *c, const uint8_t *data, size_t len);

/* After a failure: the alert sent (or received, see pl_tls_alert_received)
 * and one sentence that says what went wrong. "" / -1 while all is well. */
int pl_tls_alert(const pl_tls_conn_t *c);
bool pl_tls_alert_received(const pl_tls_conn_t *c);
const char *pl_tls_reason(const pl_tls_conn_t *c);

/* Bytes of heap this connection holds now (engine state, buffers, crypto
 * contexts as far as they are known). */
size_t pl_tls_conn_memory(const pl_tls_conn_t *c);

/* Frees buffers that hold nothing, and (client, after the handshake) the
 * server's parsed chain, so pl_tls_peer_chain() is NULL afterwards; call
 * when a connection goes idle. */
void pl_tls_conn_shrink(pl_tls_conn_t *c);

#endif
