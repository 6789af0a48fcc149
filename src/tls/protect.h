/*
 * Record protection: one direction's AEAD key, the fixed part of its
 * nonce and its sequence number, and the three things done with them:
 * seal a record, open a record, install a new key (rekey).
 *
 * Two implementations sit behind the same calls, because TLS 1.3 and
 * TLS 1.2 build the nonce and the additional data differently:
 *   protect13.c  RFC 8446 5.2-5.4: nonce = iv XOR seq, AAD = the record
 *                header, the content type and padding inside the
 *                ciphertext (TLSInnerPlaintext), outer type 23;
 *   protect12.c  RFC 5246 6.2.3.3 with RFC 5288 (AES-GCM: a 4-byte
 *                implicit salt and an 8-byte explicit nonce carried in
 *                the record) and RFC 7905 (ChaCha20-Poly1305: nonce = iv
 *                XOR seq); AAD = seq || type || version || length.
 * This code only turns a plaintext into a protected record and back; what
 * the content means is record.c's concern. Sequence numbers never wrap:
 * the record that would need 2^64 - 1 is refused.
 */
#ifndef PL_TLS_PROTECT_H
#define PL_TLS_PROTECT_H

#include "padlock/crypto.h"
#include "tls/buf.h"

/* What pl_tls_protect_open found in an authentic record, or why it
 * refused it. */
typedef struct {
	uint8_t type;     /* the content type */
	uint8_t *data;    /* the content, decrypted in place in the record */
	size_t len;       /* its length */
	size_t inner_len; /* what a record size limit counts (RFC 8449 4):
			     TLSInnerPlaintext in 1.3, the content in 1.2 */
	int alert;        /* on failure: the alert to send */
	char why[96];     /* on failure: the reason, one sentence */
} pl_tls_opened_t;

typedef struct pl_tls_protect pl_tls_protect_t;

/* One version's record format. */
typedef struct {
	const char *name;
	/* Bytes of the fixed IV taken by rekey for alg. */
	size_t (*iv_len)(pl_aead_alg_t alg);
	/* Bytes a protected record adds to its content (header excluded). */
	size_t (*overhead)(const pl_tls_protect_t *p);
	int (*seal)(pl_tls_protect_t *p, uint8_t type, const uint8_t *data,
		    size_t len, pl_buf_t *out);
	int (*open)(pl_tls_protect_t *p, uint8_t *rec, size_t len,
		    size_t limit, pl_tls_opened_t *out);
} pl_tls_protect_ops_t;

extern const pl_tls_protect_ops_t pl_tls_protect_13;
extern const pl_tls_protect_ops_t pl_tls_protect_12;

struct pl_tls_protect {
	const pl_tls_protect_ops_t *ops; /* NULL: records are plaintext */
	pl_aead_alg_t alg;
	pl_aead_t *aead;
	uint8_t iv[PL_AEAD_NONCE_LEN]; /* the fixed part of the nonce */
	uint64_t seq;                  /* the next record's number */
};

/* Installs a new key (pl_aead_key_len(alg) bytes) and fixed IV
 * (ops->iv_len(alg) bytes) in p, replacing and wiping the old ones, and
 * restarts the sequence at 0 (RFC 8446 5.3, RFC 5246 6.1). Both inputs
 * are copied. PL_ERR_ARG for an unknown alg, PL_ERR_CRYPTO when libcrypto
 * fails (p is then cleared). */
int pl_tls_protect_rekey(pl_tls_protect_t *p, const pl_tls_protect_ops_t *ops,
			 pl_aead_alg_t alg, const uint8_t *key,
			 const uint8_t *iv);

/* Wipes and frees the key; p protects nothing afterwards. */
void pl_tls_protect_clear(pl_tls_protect_t *p);

/* True once a key is installed. */
static inline bool pl_tls_protect_on(const pl_tls_protect_t *p)
{
	return p->ops != NULL;
}

/* Appends to out one protected record holding len bytes of content type
 * type (at most 2^14; the caller fragments). data may point anywhere but
 * into out. PL_ERR_STATE when the sequence number is exhausted, a buffer
 * or libcrypto error otherwise; out is unchanged on failure (nothing of
 * the plaintext left behind). */
static inline int pl_tls_protect_seal(pl_tls_protect_t *p, uint8_t type,
				      const uint8_t *data, size_t len,
				      pl_buf_t *out)
{
	return p->ops->seal(p, type, data, len, out);
}

/* Opens the whole record at rec (header included, len bytes of body after
 * it) in place. limit is the largest plaintext accepted as RFC 8449 counts
 * it for this version (0: the version's own maximum). PL_OK with out's
 * type, data and len set; otherwise out->alert and out->why say what to
 * send: PL_ERR_DECRYPT when the record is not authentic (too short for
 * the tag, or the tag does not verify: bad_record_mac), PL_ERR_DECODE when
 * it is authentic but malformed (record_overflow, unexpected_message),
 * PL_ERR_STATE when the sequence number is exhausted. */
static inline int pl_tls_protect_open(pl_tls_protect_t *p, uint8_t *rec,
				      size_t len, size_t limit,
				      pl_tls_opened_t *out)
{
	return p->ops->open(p, rec, len, limit, out);
}

/* ---- shared by the implementations -------------------------------------- */

/* nonce = p->iv XOR the sequence number, left-padded to 12 bytes
 * (RFC 8446 5.3, RFC 7905 2). */
void pl_tls_protect_xor_nonce(const pl_tls_protect_t *p,
			      uint8_t nonce[PL_AEAD_NONCE_LEN]);

/* Starts a record of body bytes (after the header) at the end of out,
 * for len bytes of content: checks the sequence number (PL_ERR_STATE when
 * exhausted) and len, makes room and writes the header (type, version
 * 0x0303, length). *rec points to the header. Nothing is counted in out
 * until pl_tls_protect_end. */
int pl_tls_protect_begin(pl_tls_protect_t *p, pl_buf_t *out, uint8_t type,
			 size_t len, size_t body, uint8_t **rec);

/* Ends the record begun at rec with the sealing's result ret: on success
 * adds it to out and advances the sequence number; on failure wipes it.
 * Returns ret. */
int pl_tls_protect_end(pl_tls_protect_t *p, pl_buf_t *out, uint8_t *rec,
		       size_t body, int ret);

/* Fills out->alert and out->why and returns err. */
int pl_tls_protect_refuse(pl_tls_opened_t *out, int err, int alert,
			  const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
