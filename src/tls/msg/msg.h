/*
 * Handshake message codecs (RFC 8446 4, RFC 5246 7.4): one typed struct
 * per message, a parse function that fills it from the message body and
 * a write function that appends the body to a buffer. Only the codecs
 * read handshake bytes; the state machines decide on the typed structs.
 *
 *   extensions.c            the extension registry (RFC 8446 4.2)
 *   client_hello.c          ClientHello, every version from SSL 3.0
 *   server_hello.c          ServerHello, HelloRetryRequest (1.3 and older)
 *   encrypted_extensions.c  EncryptedExtensions
 *   certificate.c           Certificate (1.3 entries with extensions; 1.2)
 *   certificate_request.c   CertificateRequest (1.3; 1.2)
 *   certificate_verify.c    CertificateVerify
 *   finished.c              Finished
 *   key_update.c            KeyUpdate
 *   new_session_ticket.c    NewSessionTicket (1.3; RFC 5077 for 1.2)
 *   server_key_exchange.c   ServerKeyExchange (1.2, ECDHE)
 *   client_key_exchange.c   ClientKeyExchange (1.2, ECDHE)
 *   empty.c                 ServerHelloDone, HelloRequest (1.2)
 *   certificate_status.c    CertificateStatus (1.2, RFC 6066 8)
 *
 * Parsed structs point into the message bytes (readers), which must
 * outlive them. A parse failure returns PL_ERR_DECODE and fills a
 * pl_msg_err_t with the alert RFC 8446 prescribes and one sentence, so
 * the engine and padlock check's probe report the same words.
 */
#ifndef PL_TLS_MSG_H
#define PL_TLS_MSG_H

#include "padlock/tls.h"
#include "tls/buf.h"

/* Handshake types (RFC 8446 4, RFC 5246 7.4, RFC 6066 8). */
#define PL_HS_HELLO_REQUEST 0
#define PL_HS_CLIENT_HELLO 1
#define PL_HS_SERVER_HELLO 2
#define PL_HS_NEW_SESSION_TICKET 4
#define PL_HS_END_OF_EARLY_DATA 5
#define PL_HS_ENCRYPTED_EXTENSIONS 8
#define PL_HS_CERTIFICATE 11
#define PL_HS_SERVER_KEY_EXCHANGE 12
#define PL_HS_CERTIFICATE_REQUEST 13
#define PL_HS_SERVER_HELLO_DONE 14
#define PL_HS_CERTIFICATE_VERIFY 15
#define PL_HS_CLIENT_KEY_EXCHANGE 16
#define PL_HS_FINISHED 20
#define PL_HS_CERTIFICATE_STATUS 22
#define PL_HS_KEY_UPDATE 24
#define PL_HS_MESSAGE_HASH 254

/* Extension types (RFC 8446 4.2, RFC 6066, 7301, 8449, 5746, 7627). */
#define PL_EXT_SERVER_NAME 0
#define PL_EXT_MAX_FRAGMENT_LENGTH 1
#define PL_EXT_STATUS_REQUEST 5
#define PL_EXT_SUPPORTED_GROUPS 10
#define PL_EXT_EC_POINT_FORMATS 11
#define PL_EXT_SIGNATURE_ALGORITHMS 13
#define PL_EXT_USE_SRTP 14
#define PL_EXT_HEARTBEAT 15
#define PL_EXT_ALPN 16
#define PL_EXT_SCT 18
#define PL_EXT_CLIENT_CERT_TYPE 19
#define PL_EXT_SERVER_CERT_TYPE 20
#define PL_EXT_PADDING 21
#define PL_EXT_EXTENDED_MASTER_SECRET 23
#define PL_EXT_RECORD_SIZE_LIMIT 28
#define PL_EXT_SESSION_TICKET 35
#define PL_EXT_PRE_SHARED_KEY 41
#define PL_EXT_EARLY_DATA 42
#define PL_EXT_SUPPORTED_VERSIONS 43
#define PL_EXT_COOKIE 44
#define PL_EXT_PSK_KEY_EXCHANGE_MODES 45
#define PL_EXT_CERTIFICATE_AUTHORITIES 47
#define PL_EXT_OID_FILTERS 48
#define PL_EXT_POST_HANDSHAKE_AUTH 49
#define PL_EXT_SIGNATURE_ALGORITHMS_CERT 50
#define PL_EXT_KEY_SHARE 51
#define PL_EXT_RENEGOTIATION_INFO 0xff01

/* "ClientHello", "handshake message type 99" for an unknown type (a
 * per-thread buffer); names.c. */
const char *pl_tls_handshake_name(uint8_t type);

/* RFC 8446 4.1.3: SHA-256("HelloRetryRequest"), a HelloRetryRequest's
 * ServerHello.random. */
extern const uint8_t pl_msg_hrr_random[32];

/* RFC 8446 4.1.3: whether a ServerHello.random ends with the sentinel a
 * TLS 1.3 server writes when it negotiates TLS 1.2 ("DOWNGRD" 01) or an
 * older version ("DOWNGRD" 00). */
bool pl_msg_downgrade_sentinel(const uint8_t random[32]);

/* Why a parse failed: the alert to send and one sentence. */
typedef struct {
	int alert;
	char text[200];
} pl_msg_err_t;

/* Fills err and returns PL_ERR_DECODE. */
int pl_msg_fail(pl_msg_err_t *err, int alert, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes bytes (NULL: none) as a block with a width-byte length. */
void pl_msg_write_vec(pl_buf_t *b, int width, const pl_reader_t *bytes);

/* ---- lists ----------------------------------------------------------------
 * A list of 16-bit code points (suites, groups, schemes, versions): parsed,
 * wire holds its bytes; to be written, v[0..n) (wire is then ignored). */
typedef struct {
	pl_reader_t wire;
	const uint16_t *v;
	size_t n;
} pl_u16_list_t;

bool pl_u16_list_has(const pl_u16_list_t *l, uint16_t value);
/* The i-th value (i < n). */
uint16_t pl_u16_list_at(const pl_u16_list_t *l, size_t i);
/* A list over an array, for writing. */
static inline pl_u16_list_t pl_u16_list(const uint16_t *v, size_t n)
{
	pl_u16_list_t l = {{0, 0}, v, n};
	return l;
}

/* A set of 16-bit code points that finds a repeat in constant time
 * whatever the count: the first few are compared directly, past them an
 * 8 KiB bitmap takes over. Start zeroed ({0}); free with
 * pl_u16_set_free. */
#define PL_U16_SET_FEW 16
typedef struct {
	uint16_t few[PL_U16_SET_FEW];
	size_t n;
	uint8_t *bits;
} pl_u16_set_t;

/* Adds v: 0 when it is new, 1 when it was there, PL_ERR_NOMEM. */
int pl_u16_set_add(pl_u16_set_t *s, uint16_t v);
bool pl_u16_set_has(const pl_u16_set_t *s, uint16_t v);
void pl_u16_set_free(pl_u16_set_t *s);

/* A key share (RFC 8446 4.2.8), for writing. */
typedef struct {
	uint16_t group;
	const uint8_t *key;
	size_t key_len;
} pl_msg_share_t;

/* ---- extensions ----------------------------------------------------------- */

/* The messages an extension may appear in (RFC 8446 4.2's table, plus
 * the TLS 1.2 ServerHello). */
enum {
	PL_MSG_CH = 1 << 0,   /* ClientHello */
	PL_MSG_SH = 1 << 1,   /* TLS 1.3 ServerHello */
	PL_MSG_HRR = 1 << 2,  /* HelloRetryRequest */
	PL_MSG_EE = 1 << 3,   /* EncryptedExtensions */
	PL_MSG_CT = 1 << 4,   /* a TLS 1.3 CertificateEntry */
	PL_MSG_CR = 1 << 5,   /* TLS 1.3 CertificateRequest */
	PL_MSG_NST = 1 << 6,  /* TLS 1.3 NewSessionTicket */
	PL_MSG_SH12 = 1 << 7, /* ServerHello of TLS 1.2 and older */
};

/* The extensions of one message, as typed values. Parsing sets the bit of
 * each extension present (pl_exts_has) and its value; the other fields
 * stay zero. To write, set values and call pl_exts_add() in the order
 * the extensions must appear. Which field a message uses is said beside
 * it. */
typedef struct {
	uint64_t present;  /* one bit per registry row */
	uint8_t order[40]; /* rows in wire order (parsed or to write) */
	size_t n_order;
	bool has_foreign;  /* an extension this message may not carry */
	uint16_t foreign;  /* the first such type (unknown ones included) */
	size_t n_unknown;  /* extensions the registry does not know */

	pl_reader_t server_name;     /* CH: host_name; EE, SH12: empty */
	uint8_t status_type;         /* CH: 1 (ocsp); CT: status_type */
	pl_reader_t ocsp;            /* CT: the OCSPResponse */
	pl_u16_list_t groups;        /* CH, EE: supported_groups */
	pl_reader_t point_formats;   /* CH, SH12: ec_point_formats */
	pl_u16_list_t schemes;       /* CH, CR: signature_algorithms */
	pl_u16_list_t schemes_cert;  /* CH, CR: signature_algorithms_cert */
	pl_reader_t alpn;            /* CH: ProtocolNameList body; EE, SH12:
				      * the one protocol name */
	uint16_t record_size_limit;  /* CH, EE */
	pl_u16_list_t versions;      /* CH: supported_versions */
	uint16_t version;            /* SH, HRR: selected_version */
	pl_reader_t shares;          /* CH parsed: KeyShareEntry list body */
	const pl_msg_share_t *share_v; /* CH to write */
	size_t n_share_v;
	uint16_t share_group;        /* SH, HRR */
	pl_reader_t share_key;       /* SH */
	pl_reader_t cookie;          /* CH, HRR */
	pl_reader_t psk_modes;       /* CH: psk_key_exchange_modes */
	pl_reader_t psk_identities;  /* CH: the identities list body */
	pl_reader_t psk_binders;     /* CH: the binders list body */
	const uint8_t *psk_binders_at; /* CH parsed: its length's first byte */
	uint16_t psk_selected;       /* SH */
	uint32_t max_early_data;     /* NST */
	pl_reader_t renegotiation;   /* CH, SH12: renegotiated_connection */
	pl_reader_t session_ticket;  /* CH: the ticket (RFC 5077 3.2), maybe
				      * empty; SH12: empty */
	size_t padding;              /* CH: zero bytes (to write) */
} pl_tls_exts_t;

/* The registry row of type, or -1 when the registry does not know it. */
int pl_exts_row(uint16_t type);
/* The type of registry row row. */
uint16_t pl_exts_type(int row);
/* The extension's name ("key_share"), "unknown" when not in the registry. */
const char *pl_exts_name(uint16_t type);
/* What the absence of type means, in words ("" when nothing is said). */
const char *pl_exts_if_missing(uint16_t type);
/* The messages that may carry type (PL_MSG_ bits), 0 when unknown. */
unsigned pl_exts_allowed_in(uint16_t type);
static inline bool pl_exts_has(const pl_tls_exts_t *e, uint16_t type)
{
	int row = pl_exts_row(type);
	return row >= 0 && (e->present >> row & 1);
}
/* Marks type present, to be written after those added before. */
void pl_exts_add(pl_tls_exts_t *e, uint16_t type);

/* Parses an extension block body (without its length) of message msg
 * (one PL_MSG_ bit) into e: each extension at most once (RFC 8446 4.2,
 * refused in time linear in their count, with no cap on it), every
 * known one the message may carry parsed; others counted and the first
 * noted as foreign, for the caller to judge. what names the message in
 * the sentence. */
int pl_exts_parse(pl_reader_t *block, unsigned msg, pl_tls_exts_t *e,
		  const char *what, pl_msg_err_t *err);
/* Writes e's extensions as a block with its 2-byte length. When binders
 * is not NULL it gets the buffer offset (b->len) where a pre_shared_key's
 * binders list starts. */
void pl_exts_write(pl_buf_t *b, unsigned msg, const pl_tls_exts_t *e,
		   size_t *binders);
/* The first registry-required extension of msg missing from e (RFC 8446
 * 9.2 for a ClientHello without a PSK, 4.2.8 and 4.3.2), or -1. Types
 * whose absence means something else (supported_versions) are not
 * required. */
int pl_exts_missing(unsigned msg, const pl_tls_exts_t *e);

/* Walks a parsed ClientHello's key_share list: *it starts as ext.shares;
 * false after the last entry (the codec checked every entry). */
bool pl_msg_share_next(pl_reader_t *it, uint16_t *group, pl_reader_t *key);

/* Walks a ProtocolNameList body (RFC 7301 3.1, checked by the codec, or
 * the config's own): false after the last name. */
bool pl_msg_alpn_next(pl_reader_t *it, pl_reader_t *name);

/* ---- ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2) ------------------- */

typedef struct {
	uint16_t legacy_version;
	uint8_t random[32];
	pl_reader_t session_id;
	pl_u16_list_t suites;
	pl_reader_t compression;
	bool has_extensions; /* SSL 3.0 hellos have no extension block */
	pl_tls_exts_t ext;
	/* Where the PSK binders list (its 2-byte length) starts, counted
	 * from the first byte of the handshake message (its 4-byte header
	 * included): the transcript of RFC 8446 4.2.11.2 stops there. Set
	 * by parse and by write; 0 without pre_shared_key. */
	size_t binders_offset;
} pl_msg_client_hello_t;

/* body is the message body; the handshake header is the 4 bytes before
 * it (binders_offset counts them). */
int pl_msg_client_hello_parse(pl_reader_t *body, pl_msg_client_hello_t *m,
			      pl_msg_err_t *err);
/* Writes the body at the end of b, whose last 4 bytes before it are the
 * message header. */
void pl_msg_client_hello_write(pl_buf_t *b, pl_msg_client_hello_t *m);

/* ---- ServerHello, HelloRetryRequest (RFC 8446 4.1.3, 4.1.4; RFC 5246
 * 7.4.1.3) ------------------------------------------------------------------
 * Version-aware: with supported_versions the extensions are read as TLS
 * 1.3's (HelloRetryRequest when random says so), without it as TLS 1.2's
 * and older. */
typedef struct {
	uint16_t legacy_version;
	uint8_t random[32];
	pl_reader_t session_id;
	uint16_t suite;
	uint8_t compression;
	bool hrr;            /* parsed: the HelloRetryRequest random */
	bool tls13;          /* parsed: supported_versions is present */
	bool has_extensions; /* TLS 1.2 and older may omit the block */
	pl_tls_exts_t ext;
} pl_msg_server_hello_t;

int pl_msg_server_hello_parse(pl_reader_t *body, pl_msg_server_hello_t *m,
			      pl_msg_err_t *err);
/* hrr: write a HelloRetryRequest (its random is set here). */
void pl_msg_server_hello_write(pl_buf_t *b, const pl_msg_server_hello_t *m);

/* ---- EncryptedExtensions (RFC 8446 4.3.1) ------------------------------- */

typedef struct {
	pl_tls_exts_t ext;
} pl_msg_encrypted_extensions_t;

int pl_msg_encrypted_extensions_parse(pl_reader_t *body,
				      pl_msg_encrypted_extensions_t *m,
				      pl_msg_err_t *err);
void pl_msg_encrypted_extensions_write(pl_buf_t *b,
				       const pl_msg_encrypted_extensions_t *m);

/* ---- Certificate (RFC 8446 4.4.2; RFC 5246 7.4.2) ----------------------- */

typedef struct {
	pl_reader_t cert;   /* DER */
	pl_tls_exts_t ext;  /* TLS 1.3 */
	bool has_ext;       /* TLS 1.3: the entry's extension block is not
			     * empty */
} pl_msg_cert_entry_t;

typedef struct {
	uint16_t version;     /* PL_TLS_VERSION_13, or 1.2 (no context, no
			       * entry extensions) */
	pl_reader_t context;  /* TLS 1.3 certificate_request_context */
	pl_reader_t list;     /* parsed: the entries */
	size_t n;             /* parsed: how many */
	/* to write: the chain (leaf first) */
	const pl_x509_chain_t *chain;
} pl_msg_certificate_t;

int pl_msg_certificate_parse(pl_reader_t *body, uint16_t version,
			     pl_msg_certificate_t *m, pl_msg_err_t *err);
/* Walks the entries of a parsed Certificate: *it starts as m->list;
 * false after the last. */
bool pl_msg_certificate_next(pl_reader_t *it, uint16_t version,
			     pl_msg_cert_entry_t *e);
/* Writes m->context and m->chain (none when chain is NULL). */
void pl_msg_certificate_write(pl_buf_t *b, const pl_msg_certificate_t *m);

/* ---- CertificateRequest (RFC 8446 4.3.2; RFC 5246 7.4.4) ----------------- */

typedef struct {
	uint16_t version;
	pl_reader_t context;      /* TLS 1.3 */
	pl_tls_exts_t ext;        /* TLS 1.3 */
	pl_reader_t cert_types;   /* TLS 1.2 and older */
	pl_u16_list_t schemes;    /* TLS 1.2 */
	pl_reader_t authorities;  /* TLS 1.2 and older */
} pl_msg_certificate_request_t;

int pl_msg_certificate_request_parse(pl_reader_t *body, uint16_t version,
				     pl_msg_certificate_request_t *m,
				     pl_msg_err_t *err);
void pl_msg_certificate_request_write(pl_buf_t *b,
				      const pl_msg_certificate_request_t *m);

/* ---- CertificateVerify (RFC 8446 4.4.3) --------------------------------- */

typedef struct {
	uint16_t scheme;
	pl_reader_t signature;
} pl_msg_certificate_verify_t;

int pl_msg_certificate_verify_parse(pl_reader_t *body,
				    pl_msg_certificate_verify_t *m,
				    pl_msg_err_t *err);
void pl_msg_certificate_verify_write(pl_buf_t *b,
				     const pl_msg_certificate_verify_t *m);

/* ---- Finished (RFC 8446 4.4.4) -------------------------------------------- */

typedef struct {
	pl_reader_t verify_data;
} pl_msg_finished_t;

/* verify_data must be exactly len bytes (the hash length). */
int pl_msg_finished_parse(pl_reader_t *body, size_t len, pl_msg_finished_t *m,
			  pl_msg_err_t *err);
void pl_msg_finished_write(pl_buf_t *b, const pl_msg_finished_t *m);

/* ---- KeyUpdate (RFC 8446 4.6.3) ------------------------------------------- */

typedef struct {
	uint8_t request_update; /* 0 or 1; other values are parsed, for the
				 * state machine to refuse */
} pl_msg_key_update_t;

int pl_msg_key_update_parse(pl_reader_t *body, pl_msg_key_update_t *m,
			    pl_msg_err_t *err);
void pl_msg_key_update_write(pl_buf_t *b, const pl_msg_key_update_t *m);

/* ---- NewSessionTicket (RFC 8446 4.6.1; RFC 5077 3.3 for TLS 1.2) ------- */

typedef struct {
	uint16_t version;
	uint32_t lifetime;   /* ticket_lifetime (1.2: the lifetime hint) */
	uint32_t age_add;    /* TLS 1.3 */
	pl_reader_t nonce;   /* TLS 1.3 */
	pl_reader_t ticket;
	pl_tls_exts_t ext;   /* TLS 1.3 */
} pl_msg_new_session_ticket_t;

int pl_msg_new_session_ticket_parse(pl_reader_t *body, uint16_t version,
				    pl_msg_new_session_ticket_t *m,
				    pl_msg_err_t *err);
void pl_msg_new_session_ticket_write(pl_buf_t *b,
				     const pl_msg_new_session_ticket_t *m);

/* ---- ServerKeyExchange, ECDHE (RFC 8422 5.4; RFC 5246 7.4.3) ------------ */

#define PL_EC_NAMED_CURVE 3

typedef struct {
	uint8_t curve_type;    /* parsed: named_curve (anything else is
				* refused by the codec) */
	uint16_t group;        /* the named curve */
	pl_reader_t point;     /* the server's ephemeral public key */
	pl_reader_t params;    /* parsed: ServerECDHParams as sent (signed) */
	uint16_t scheme;       /* SignatureAndHashAlgorithm */
	pl_reader_t signature;
} pl_msg_server_key_exchange_t;

int pl_msg_server_key_exchange_parse(pl_reader_t *body,
				     pl_msg_server_key_exchange_t *m,
				     pl_msg_err_t *err);
/* ServerECDHParams alone (what the signature covers after the randoms). */
void pl_msg_ecdh_params_write(pl_buf_t *b, uint16_t group,
			      const pl_reader_t *point);
void pl_msg_server_key_exchange_write(pl_buf_t *b,
				      const pl_msg_server_key_exchange_t *m);

/* ---- ClientKeyExchange, ECDHE (RFC 8422 5.7) ------------------------------ */

typedef struct {
	pl_reader_t point; /* the client's ephemeral public key */
} pl_msg_client_key_exchange_t;

int pl_msg_client_key_exchange_parse(pl_reader_t *body,
				     pl_msg_client_key_exchange_t *m,
				     pl_msg_err_t *err);
void pl_msg_client_key_exchange_write(pl_buf_t *b,
				      const pl_msg_client_key_exchange_t *m);

/* ---- ServerHelloDone, HelloRequest (RFC 5246 7.4.5, 7.4.1.1) ------------- */

/* decode_error unless body is empty; type names the message. Written as
 * a header alone. */
int pl_msg_empty_parse(pl_reader_t *body, uint8_t type, pl_msg_err_t *err);

/* ---- CertificateStatus (RFC 6066 8) --------------------------------------- */

typedef struct {
	uint8_t status_type;  /* 1: ocsp */
	pl_reader_t response; /* the DER OCSPResponse */
} pl_msg_certificate_status_t;

int pl_msg_certificate_status_parse(pl_reader_t *body,
				    pl_msg_certificate_status_t *m,
				    pl_msg_err_t *err);
void pl_msg_certificate_status_write(pl_buf_t *b,
				     const pl_msg_certificate_status_t *m);

#endif
