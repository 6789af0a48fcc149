/*
 * What the fuzz harnesses (tests/fuzz/fuzz_*.c) and the seed generator
 * (tests/tools/make_corpus.c) share: the fixture configurations, fixed key
 * pairs and randoms (through the configs' random and kex callbacks), so
 * that a handshake is the
 * same bytes every time; the way an input is cut into chunks; a sealer that
 * protects records the way a peer would; and the control byte layouts.
 *
 * Everything here is deterministic: the same input gives the same calls
 * into the engine. The one exception a harness cannot avoid is an ECDSA
 * signature (random nonce): a server that signs with P-256 sends different
 * bytes each time, so a recorded client Finished only replays against the
 * Ed25519 chain (a client that offers only ed25519).
 */
#ifndef PL_FUZZ_COMMON_H
#define PL_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "padlock/tls.h"

#define FUZZ_HOST "fuzz.padlock.test"
#define FUZZ_NOW ((time_t)1798761600) /* 2027-01-01, inside the fixtures */

/* ---- growable bytes ------------------------------------------------------ */

typedef struct {
	uint8_t *data;
	size_t len;
	size_t cap;
} fuzz_bytes_t;

/* Appends; aborts when out of memory (a harness has nothing better to do). */
void fuzz_bytes_add(fuzz_bytes_t *b, const void *p, size_t n);
void fuzz_bytes_u8(fuzz_bytes_t *b, uint8_t v);
void fuzz_bytes_u16(fuzz_bytes_t *b, uint16_t v);
void fuzz_bytes_free(fuzz_bytes_t *b);

/* ---- configurations ------------------------------------------------------ */

/* Server variants (fuzz_server's control byte, bits 3-4). All have the
 * chains P-256 then Ed25519 (fixtures/) and ALPN "h2,http/1.1".
 *   0  defaults otherwise
 *   1  groups x25519 and secp256r1 only (a secp384r1 client gets a
 *      HelloRetryRequest)
 *   2  require_cookie (every client gets a HelloRetryRequest; the cookie
 *      is random, so a recorded second ClientHello does not replay)
 *   3  suites AES-256-GCM and ChaCha20 only, record_size_limit 256,
 *      strict SNI (a name no chain covers is refused) */
#define FUZZ_SERVER_VARIANTS 4
/* Client variants (fuzz_client's control byte, bit 3; bit 5 for 2):
 *   0  groups x25519 (shared) then secp256r1
 *   1  groups secp384r1 (shared) then secp256r1
 *   2  groups X25519MLKEM768 then x25519 (both shared); the hybrid key
 *      pairs are fresh on every connection (the engine's kex callback
 *      covers only the Diffie-Hellman groups), so a recorded server
 *      flight that chose the hybrid reaches decapsulation (implicit
 *      rejection) but not what lies behind it
 * All offer ALPN "h2,http/1.1", verify against fixtures/trust.pem at
 * FUZZ_NOW (fuzz_client_config's verify=false turns that off) and ask
 * for FUZZ_HOST. A HelloRetryRequest can only ask for secp256r1, whose
 * key pair is fixed too. */
#define FUZZ_CLIENT_VARIANTS 3

/* The directory of the fixtures: FUZZ_FIXTURE_DIR when the harness was
 * built with it, else "tests/fuzz/fixtures" (relative to the repository
 * root). fuzz_set_fixture_dir overrides both. */
void fuzz_set_fixture_dir(const char *dir);

/* New configurations; abort() on failure (a broken fixture is not a
 * finding). The caller frees them (client ones with
 * fuzz_client_config_free). */
pl_tls_config_t *fuzz_server_config(int variant);
pl_tls_config_t *fuzz_client_config(int variant, bool verify);
/* A client config of variant with verification off that offers only
 * ed25519: the server answers with its Ed25519 chain, and its handshake
 * is the same bytes every time (make_corpus, fuzz_record). */
pl_tls_config_t *fuzz_client_config_ed25519(int variant);

/* ---- deterministic connections -------------------------------------------- */

/* The fixed key pair of group for one side (is_server picks which). */
pl_kex_t *fuzz_kex(uint16_t group, bool is_server);
/* The group of the server's fixed key pair for an index (fuzz_server's
 * control byte, bits 5-6): x25519, secp256r1, secp384r1, x25519. */
uint16_t fuzz_server_group(int index);

/* A server connection (its config fixes the random and the key pair of
 * each group; group is the one a seed expects it to pick). */
pl_tls_conn_t *fuzz_server_new(const pl_tls_config_t *cfg, uint16_t group);

/* A client connection whose ClientHello is the same bytes every time
 * (its config fixes the random, the session id and the key pairs), the
 * time set to FUZZ_NOW. The ClientHello comes out of the first
 * pl_tls_output. cfg must have been made for variant. */
pl_tls_conn_t *fuzz_client_new(const pl_tls_config_t *cfg, int variant);

/* Frees a client config. */
void fuzz_client_config_free(pl_tls_config_t *cfg);

/* Callbacks that read their arguments but keep nothing: set on every
 * config so that the trace and key-log code runs too. */
void fuzz_trace(void *arg, const pl_tls_conn_t *conn, pl_tls_step_t step,
		const char *text);
void fuzz_keylog(void *arg, const char *line);

/* ---- moving bytes --------------------------------------------------------- */

/* Takes all of c's output; appends it to rec if rec is not NULL. */
void fuzz_drain(pl_tls_conn_t *c, fuzz_bytes_t *rec);
/* Moves from's output into to (and into rec). Returns pl_tls_feed's
 * result. */
int fuzz_pump(pl_tls_conn_t *from, pl_tls_conn_t *to, fuzz_bytes_t *rec);
/* Reads and drops any application data c holds. */
void fuzz_read_all(pl_tls_conn_t *c);
/* Runs a handshake between client and server in memory, recording each
 * side's bytes when the buffers are not NULL. true when both are
 * connected. */
bool fuzz_handshake(pl_tls_conn_t *client, pl_tls_conn_t *server,
		    fuzz_bytes_t *client_rec, fuzz_bytes_t *server_rec);

/* Feeds data to c in chunks chosen by scheme (0-7): 0 all at once; 1-6
 * pieces of 1, 2, 3, 7, 100, 1000 bytes; 7 pseudo-random pieces of 1-32
 * bytes. After each piece c's output is drained and its application data
 * read, as an application would. Stops when c fails. */
void fuzz_feed_chunked(pl_tls_conn_t *c, const uint8_t *data, size_t len,
		       unsigned scheme);

/* What an application does at the end: asks every state query (touching
 * the strings it gets), and on a connected c writes, updates its keys and
 * closes; drains the output and shrinks c. With FUZZ_VERBOSE set in the
 * environment it first prints how far c got (for checking seeds). */
void fuzz_finish(pl_tls_conn_t *c);

/* ---- records as the peer would send them ------------------------------------
 * A sealer protects records for a receiver with the keys the receiver
 * reads with now: its current handshake or application read secret (test
 * hooks "s hs"/"c hs", "s ap"/"c ap") expanded into key and IV (RFC 8446
 * 7.3). When that secret changes (the handshake went on, or the receiver
 * processed a KeyUpdate) the sealer rekeys and restarts its sequence
 * number, as the sender would. It must be the only writer of records
 * under a key it uses (bytes recorded before the receiver has that key
 * are fine). */
typedef struct {
	uint8_t secret[64];
	size_t secret_len;
	pl_aead_t *aead;
	uint8_t iv[12];
	uint64_t seq;
} fuzz_sealer_t;

/* Appends one record to out: before the receiver reads with keys, a
 * plaintext record of type type holding data; after, a protected record
 * whose inner content type is type (any byte), followed by pad zero bytes
 * (RFC 8446 5.4). The length field is clamped to 65535. Returns 0, or -1
 * when the receiver has failed. */
int fuzz_seal(fuzz_sealer_t *s, const pl_tls_conn_t *receiver, uint8_t type,
	      const uint8_t *data, size_t len, size_t pad, fuzz_bytes_t *out);
void fuzz_sealer_free(fuzz_sealer_t *s);

/* Items: the input format of every harness's sealed mode. Each is
 *   flags u8, type u8, pad u8, length u16, data[length]
 * With FUZZ_ITEM_RAW, data is fed as it is (type and pad unused);
 * otherwise it becomes one record by fuzz_seal with content type type
 * and fuzz_item_pad(pad) bytes of padding. The other flags say what the
 * receiver does after the item. */
#define FUZZ_ITEM_RAW 0x01
#define FUZZ_ITEM_WRITE 0x02      /* pl_tls_write of a few bytes */
#define FUZZ_ITEM_KEY_UPDATE 0x04 /* pl_tls_key_update(.., REQUEST) */
#define FUZZ_ITEM_REQUEST 0x08
#define FUZZ_ITEM_CLOSE 0x10      /* pl_tls_close */
#define FUZZ_ITEM_SHRINK 0x20     /* pl_tls_conn_shrink */
/* Zero bytes of padding for a pad byte: 0-199 as is, then steps of 300
 * up to 16800 (past the 2^14 limit). */
size_t fuzz_item_pad(uint8_t pad);
/* Appends one item to b (make_corpus). */
void fuzz_item_add(fuzz_bytes_t *b, uint8_t flags, uint8_t type, uint8_t pad,
		   const void *data, size_t len);
/* Feeds the items in p to rx, one record each. After each, rx acts on the
 * item's flags, its application data is read, and its output goes to tx
 * (or is dropped when tx is NULL), whose output is dropped. Stops when rx
 * fails. */
void fuzz_feed_items(pl_tls_conn_t *rx, pl_tls_conn_t *tx, const uint8_t *p,
		     size_t len);

/* fuzz_record's control byte. */
#define FUZZ_RECORD_TO_CLIENT 0x01 /* the client receives (else the server) */
#define FUZZ_RECORD_SUITE(b) (((b) >> 1) & 3) /* fuzz_record_suite() */
#define FUZZ_RECORD_RAW 0x08 /* the rest is raw bytes, else items */
#define FUZZ_RECORD_CHUNKS(b) (((b) >> 4) & 7)
/* Suite index 0-3: AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305, and
 * AES-128-GCM with the P-256 chain (an ECDSA handshake). */
uint16_t fuzz_record_suite(int index);

#endif
