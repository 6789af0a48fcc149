/*
 * ACME (RFC 8555): certificates that get and renew themselves. Private to
 * the server layer.
 *
 *   client.c     the order as a state machine: directory, nonce, account,
 *                order, authorizations, challenges, finalize, download
 *   ari.c        renewal information (RFC 9773): the CA's renewal window
 *   request.c    signed requests: JWS headers, nonces, badNonce retries
 *   problem.c    problem documents (RFC 7807) turned into one sentence
 *                with the fix
 *   names.c      which names a public CA can issue for
 *   http.c       the transport over padlock's own HTTPS client
 *   store.c      the state directory: account key, certificates
 *   board.c      the challenges being answered, shared with the workers
 *   manager.c    the master's side: obtain, check, renew, swap in
 *
 * The client only talks through a transport (pl_acme_transport_t), so the
 * unit tests drive every state with a fake CA, and only publishes
 * challenges through callbacks, so it never knows about workers.
 */
#ifndef PL_SRV_ACME_H
#define PL_SRV_ACME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "padlock/crypto.h"
#include "padlock/http.h"
#include "padlock/server.h"
#include "server/server_int.h"
#include "padlock/tls.h"
#include "padlock/x509.h"

#define PL_ACME_ERR_MAX 768
#define PL_ACME_URL_MAX 1024
#define PL_ACME_NONCE_MAX 256
#define PL_ACME_MAX_NAMES 32

/* Writes one sentence (printf format) into err and returns code. */
int pl_acme_say(char *err, size_t err_len, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- the transport ---------------------------------------------------------- */

/* One HTTP response, as the client needs it. body is the transport's
 * (malloc'd, NUL-terminated), freed by pl_acme_response_clear. */
typedef struct {
	int status;
	char *body;
	size_t body_len;
	char content_type[128];
	char location[PL_ACME_URL_MAX];
	char nonce[PL_ACME_NONCE_MAX];  /* Replay-Nonce, "" when none */
	char retry_after[64];           /* Retry-After as sent, "" when none */
} pl_acme_response_t;

void pl_acme_response_clear(pl_acme_response_t *r);

typedef struct {
	/* Sends one request (method "GET" or "POST"; body NULL for a GET,
	 * else with content_type) and fills resp. PL_OK when a response came
	 * (whatever its status); otherwise a negative code with one sentence
	 * in err (the CA cannot be reached). */
	int (*request)(void *arg, const char *method, const char *url,
		       const char *content_type, const char *body,
		       size_t body_len, pl_acme_response_t *resp, char *err,
		       size_t err_len);
	/* Waits ms milliseconds (polling, Retry-After). Returns false when the
	 * wait was cut short and the order must stop (the server stops). */
	bool (*sleep_ms)(void *arg, unsigned ms);
	/* Seconds since the epoch (Retry-After dates). */
	time_t (*now)(void *arg);
	void *arg;
	/* Milliseconds on a clock that only goes forward (the order's
	 * --acme-timeout deadline), or NULL to count only the sleeps. */
	uint64_t (*monotonic_ms)(void *arg);
} pl_acme_transport_t;

/* The transport over padlock's HTTPS client (http.c). */
typedef struct {
	pl_tls_config_t *cfg; /* a client config trusting the CA's root */
	const char *protocol; /* what the CA chose in the last exchange:
				 "h2" or "http/1.1" (NULL before one) */
} pl_acme_http_t;

/* Trusts the roots in ca_root (a PEM file: --acme-ca-root), or the
 * system's when NULL. PL_ERR_IO with one sentence in err. */
int pl_acme_http_init(pl_acme_http_t *h, const char *ca_root, char *err,
		      size_t err_len);
void pl_acme_http_free(pl_acme_http_t *h);
/* Fills t to send through h (which must outlive t). */
void pl_acme_http_transport(pl_acme_http_t *h, pl_acme_transport_t *t);

/* ---- challenges ------------------------------------------------------------- */

typedef enum {
	PL_ACME_HTTP01 = 0,   /* RFC 8555 8.3, port 80 */
	PL_ACME_TLSALPN01 = 1 /* RFC 8737, port 443 */
} pl_acme_challenge_t;

const char *pl_acme_challenge_name(pl_acme_challenge_t c);

/* Where the client puts the answers the CA will fetch. publish returns
 * PL_OK or a negative code with a sentence in err; withdraw cannot fail. */
typedef struct {
	int (*publish)(void *arg, pl_acme_challenge_t type, const char *name,
		       const char *token, const char *key_authorization,
		       char *err, size_t err_len);
	void (*withdraw)(void *arg, pl_acme_challenge_t type,
			 const char *name, const char *token);
	void *arg;
} pl_acme_responder_t;

/* ---- an order --------------------------------------------------------------- */

typedef struct {
	const char *directory;       /* the CA's directory URL */
	const char *email;           /* contact, or NULL */
	bool agree_tos;              /* --acme-agree-tos */
	const char *eab_kid;         /* external account binding, or NULL */
	const char *eab_hmac_key;    /* base64url, with eab_kid */
	const char *const *names;    /* DNS names or IP addresses */
	size_t n_names;
	pl_acme_challenge_t prefer[2]; /* in order of preference */
	size_t n_prefer;             /* 1 or 2: the second is the fallback */
	unsigned poll_max_ms;        /* the longest wait between polls */
	unsigned timeout_ms;         /* the whole order; 0: no bound */
	const char *replaces;        /* the certificate this order renews
					(pl_x509_acme_cert_id), sent as
					"replaces" when the CA offers renewal
					information (RFC 9773 5); or NULL */
	/* One line for the operator while the order runs (an order the CA
	 * lost, placed again), or NULL. */
	void (*note)(void *arg, const char *line);
	/* One line of information with note_arg (the terms of service
	 * agreed), or NULL. */
	void (*info)(void *arg, const char *line);
	void *note_arg;
} pl_acme_order_opts_t;

/* What an order gives: the chain as the CA sent it (PEM, leaf first) and
 * the new certificate key, both the caller's. */
typedef struct {
	char *chain_pem;
	size_t chain_len;
	pl_pkey_t *key;
	char account_url[PL_ACME_URL_MAX];
	unsigned orders;             /* new orders created (1, 2 on fallback) */
	unsigned bad_nonces;         /* badNonce answers retried */
	unsigned restarts;           /* orders the CA lost, placed again */
	long retry_after;            /* on failure: seconds the CA asked to
					wait (Retry-After), 0 when none */
} pl_acme_result_t;

void pl_acme_result_free(pl_acme_result_t *r);

/* Obtains a certificate for opts->names with the account key account (a
 * P-256 private key): the whole of RFC 8555 7.1-7.4. Challenges are
 * published through resp and withdrawn before returning. Returns PL_OK
 * with out filled, or a negative code with one sentence in err that says
 * what failed and how to fix it: PL_ERR_IO when the CA cannot be reached,
 * PL_ERR_STATE when it refused (a problem document), PL_ERR_DECODE when
 * its answer makes no sense, PL_ERR_ARG for what the options lack (the
 * terms of service not agreed). out->retry_after is set on failure too;
 * pl_acme_result_free is called in every case. When the preferred
 * challenge failed and the fallback succeeded, PL_OK comes with the
 * first failure's sentence left in err (for a warning). An order the CA
 * loses on the way (it becomes unreachable, or forgets the account or
 * the order: a restarted CA) is placed again from the directory, a few
 * times, said through opts->note. */
int pl_acme_obtain(const pl_acme_transport_t *t, const pl_acme_responder_t *resp,
		   const pl_acme_order_opts_t *opts, pl_pkey_t *account,
		   pl_acme_result_t *out, char *err, size_t err_len);

/* ---- renewal information (ari.c, RFC 9773) ---------------------------------- */

typedef struct {
	bool offered;        /* the directory names a renewalInfo URL */
	time_t start, end;   /* the suggested window (start < end) */
	long retry_after;    /* seconds until the next look: the CA's
				Retry-After within a minute and a day; six
				hours when it sent none or on a long-term
				error (RFC 9773 4.3) */
	bool temporary;      /* on failure: the CA was unreachable or
				answered 5xx, so back off and ask sooner */
	char explanation[PL_ACME_URL_MAX]; /* explanationURL, or "" */
} pl_acme_ari_t;

/* Asks the CA at directory for the renewal window of cert_id (from
 * pl_x509_acme_cert_id). PL_OK with out->offered false when the CA offers
 * no renewal information; PL_OK with the window; or a negative code with
 * one sentence in err (unreachable, an HTTP error, a window that ends
 * before it starts), out->retry_after and out->temporary saying when to
 * ask again. */
int pl_acme_renewal_info(const pl_acme_transport_t *t, const char *directory,
			 const char *cert_id, pl_acme_ari_t *out, char *err,
			 size_t err_len);

/* When to renew inside a's window (RFC 9773 4.2): start plus random/2^32
 * of the window, or now when that time has passed. */
time_t pl_acme_ari_renew_at(const pl_acme_ari_t *a, uint32_t random, time_t now);

/* After a failed order (the failures-th in a row, from 0): the seconds to
 * wait before the next try (15 s doubling to an hour, or the CA's
 * retry_after when longer) and whether the failure is logged as an error
 * rather than a warning: when the certificate served expires (expires,
 * 0 when there is none) within 7 days of now. */
long pl_acme_retry_wait(unsigned failures, long retry_after);
bool pl_acme_failure_urgent(time_t expires, time_t now);

/* An RFC 3339 date-time ("2025-01-02T04:00:00Z", with an optional
 * fraction and a Z or +hh:mm offset) as seconds since the epoch. */
bool pl_acme_rfc3339(const char *text, time_t *out);

/* ---- problem documents (problem.c) ------------------------------------------ */

/* What the failing request was about, for the sentence. */
typedef struct {
	const char *name;             /* the identifier, or NULL */
	const char *token;            /* the challenge token, or NULL */
	pl_acme_challenge_t challenge; /* with token */
	const char *retry_after;      /* the header, or NULL */
	const char *terms;            /* the directory's termsOfService */
	time_t now;
} pl_acme_problem_ctx_t;

/* One sentence with the fix for a problem document (the JSON of an
 * application/problem+json body or of a challenge's "error"). Unknown
 * types still give "the CA refused: TYPE: DETAIL". The detail is the
 * CA's text, quoted safely (no control characters). */
void pl_acme_problem_sentence(const char *json, const pl_acme_problem_ctx_t *ctx,
			      char *out, size_t cap);

/* The type's last part ("badNonce" for urn:ietf:params:acme:error:
 * badNonce) of a problem document, or "" when it is none. */
const char *pl_acme_problem_type(const char *json, char *out, size_t cap);

/* When a Retry-After value (delta-seconds or an HTTP-date) falls, as
 * seconds from now (0 when unparsable or past). */
long pl_acme_retry_after_seconds(const char *value, time_t now);

/* ---- names (names.c) --------------------------------------------------------- */

/* True when a public CA can issue for name: not localhost or below it,
 * not under .local, .internal, .test, .example, .invalid, .localhost, not
 * a single label, not a private, loopback or link-local address. */
bool pl_acme_publicly_issuable(const char *name);

/* ---- the board of challenges (board.c) --------------------------------------- */

/* Maps the board, shared with every process forked after. Idempotent. */
int pl_acme_board_init(void);

/* Puts an answer up / takes it down (the ACME process). */
int pl_acme_board_publish(pl_acme_challenge_t type, const char *name,
			  const char *token, const char *keyauth, char *err,
			  size_t err_len);
void pl_acme_board_withdraw(pl_acme_challenge_t type, const char *name,
			    const char *token);

/* The key authorization for type, name (NULL: any) and token (NULL: any);
 * false when none is up. */
bool pl_acme_board_find(pl_acme_challenge_t type, const char *name,
			size_t name_len, const char *token, size_t token_len,
			char *keyauth, size_t cap);

/* ---- the server's side (server.c) -------------------------------------------- */

/* Port 80: when req asks for /.well-known/acme-challenge/TOKEN that the
 * board holds for the host it names, fills reply with 200 and the key
 * authorization (RFC 8555 8.3), *ret the result of building it, and
 * returns true; false leaves reply alone. */
bool pl_srv_acme_http01(const pl_http_request_t *req, time_t now,
			pl_http_reply_t *reply, int *ret);

/* Port 443, the engine's TLS-ALPN-01 callback (pl_tls_challenge_fn):
 * the challenge certificate for server_name while the board holds its
 * key authorization, else PL_ERR_STATE. */
int pl_srv_acme_tlsalpn01(void *arg, const char *server_name,
			  pl_x509_chain_t **chain, pl_pkey_t **key);

#define PL_SRV_ACME_DEFAULT_CA "https://acme-v02.api.letsencrypt.org/directory"

/* --acme-ca, or Let's Encrypt's production directory. */
const char *pl_srv_acme_ca(const pl_srv_options_t *o);

/* --check-config's line for an ACME site (after pl_srv_acme_resolve):
 * names, issuer, expiry and renewal, or that none is there yet. */
void pl_srv_acme_status(const pl_srv_options_t *o, const pl_srv_site_t *s,
			FILE *out);

void pl_srv_acme_options_free(pl_srv_acme_options_t *a);
/* dst is a shallow copy of src: its strings become its own. */
int pl_srv_acme_options_dup(pl_srv_acme_options_t *dst,
			    const pl_srv_acme_options_t *src);

/* For every ACME site of o (start and reload): names no public CA issues
 * for get a local CA certificate; the others the stored certificate
 * while it is usable, else none yet (the site waits, its HTTPS refused).
 * PL_ERR_ARG/PL_ERR_IO with one sentence (a state directory that cannot
 * be written, an unknown challenge type). */
int pl_srv_acme_resolve(pl_srv_options_t *o, char *err, size_t err_len);

/* The master, once its logs are open and before its workers: maps the
 * board and forks the ACME process (root, like the master, and never a
 * worker) that obtains and renews the certificates and sends the master
 * SIGHUP when one is new. Nothing to do without ACME sites. */
int pl_srv_acme_start(const pl_srv_options_t *o, pl_srv_listeners_t *ls,
		      char *err, size_t err_len);

/* The master's reload, before it drops old for o: when the ACME sites or
 * settings changed, the ACME process is replaced by one for o (o must
 * stay valid in the master until the next reload). */
int pl_srv_acme_reload(const pl_srv_options_t *old, const pl_srv_options_t *o,
		       pl_srv_listeners_t *ls, char *err, size_t err_len);

/* The ACME process's pid, 0 when none. */
pid_t pl_srv_acme_pid(void);

/* --acme-challenges ("http-01,tls-alpn-01"): the types in preference
 * order, one or both. */
int pl_acme_parse_challenges(const char *list, pl_acme_challenge_t prefer[2],
			     size_t *n, char *err, size_t err_len);

/* The names of s a public CA can issue for, in order, into out. */
size_t pl_acme_public_names(const pl_srv_site_t *s, const char **out);

/* ---- the state directory (store.c) ------------------------------------------ */

/* The state directory: given (--state-dir), else /var/lib/padlock/acme
 * as root, else $XDG_DATA_HOME/padlock/acme or
 * ~/.local/share/padlock/acme. PL_ERR_ARG with a sentence. */
int pl_acme_state_dir(const char *given, char *out, size_t cap, char *err,
		      size_t err_len);

/* Creates dir (0700) if needed and checks that it can be written; the
 * sentence of PL_ERR_IO names the directory, the reason and the fix. */
int pl_acme_state_prepare(const char *dir, char *err, size_t err_len);

/* The CA's own subdirectory of state: STATE/HOST or STATE/HOST-PORT. */
int pl_acme_ca_dir(const char *state, const char *directory_url, char *out,
		   size_t cap);

/* Where a site's chain and key are kept, by its first name. PL_ERR_ARG
 * for a name that cannot be a file name. */
int pl_acme_cert_paths(const char *ca_dir, const char *first_name,
		       char *chain, char *key, size_t cap);

/* The account key of ca_dir: loaded, or made once (ECDSA P-256, mode
 * 0600; *created is then true). NULL with a sentence in err. */
pl_pkey_t *pl_acme_account_key(const char *ca_dir, bool *created, char *err,
			       size_t err_len);

/* Writes an order's chain and key to their paths, both or neither. */
int pl_acme_store(const char *chain_path, const char *key_path,
		  const pl_acme_result_t *r, char *err, size_t err_len);

/* What is stored for a site. */
typedef struct {
	bool usable;           /* loads, key matches, valid now, covers
				  every name */
	time_t renew_at;       /* not_before + renew_percent of the lifetime */
	char cert_id[192];     /* the leaf's RFC 9773 identifier, "" when
				  it has no Authority Key Identifier */
	pl_x509_info_t leaf;
	pl_x509_info_t issuer; /* the first intermediate; zero when none */
} pl_acme_stored_t;

/* Reads the stored chain and key. PL_OK when usable; PL_ERR_IO when there
 * is none; PL_ERR_CERT when it cannot serve (out says what there is). */
int pl_acme_stored(const char *chain_path, const char *key_path,
		   const char *const *names, size_t n_names, int renew_percent,
		   time_t now, pl_acme_stored_t *out);

#endif
