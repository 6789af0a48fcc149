/*
 * padlock crypto: the only layer that calls libcrypto (OpenSSL 3).
 *
 * Every algorithm is fetched once, by pl_crypto_init(), and reused: OpenSSL
 * 3.0 is slow when it looks algorithms up per call. Contexts returned here
 * (pl_hash_t, pl_aead_t, pl_kex_t, pl_pkey_t) are owned by the caller and
 * freed with their _free function; freeing wipes any secret they hold.
 *
 * Algorithms are named by their TLS code points where TLS has one:
 * groups (RFC 8446 4.2.7) and signature schemes (RFC 8446 4.2.3).
 * No OpenSSL type appears in this header.
 */
#ifndef PADLOCK_CRYPTO_H
#define PADLOCK_CRYPTO_H

#include "padlock/common.h"

/* Fetches every algorithm padlock uses. Idempotent and thread-safe; every
 * other function here calls it implicitly, so calling it is optional, but
 * a server calls it before forking. Returns PL_OK or PL_ERR_CRYPTO. */
int pl_crypto_init(void);

/* True when the CPU has AES instructions (x86 AES-NI, ARMv8 AES), the
 * condition under which servers prefer AES-GCM over ChaCha20-Poly1305. */
bool pl_crypto_has_aes_hw(void);

/* ---- utilities ---------------------------------------------------------- */

/* Overwrites len bytes at p with zeros in a way the compiler keeps. */
void pl_cleanse(void *p, size_t len);

/* Constant-time comparison: true when the len bytes at a and b are equal. */
bool pl_ct_equal(const void *a, const void *b, size_t len);

/* Fills out with len bytes from the CSPRNG. PL_OK or PL_ERR_CRYPTO. */
int pl_random(uint8_t *out, size_t len);

/* ---- hashes ------------------------------------------------------------- */

typedef enum { PL_HASH_SHA256 = 1, PL_HASH_SHA384 = 2 } pl_hash_alg_t;

#define PL_HASH_MAX 48 /* the largest digest, SHA-384 */

/* Digest length in bytes: 32 or 48. */
size_t pl_hash_len(pl_hash_alg_t alg);

/* An incremental hash (the TLS transcript). */
typedef struct pl_hash pl_hash_t;

pl_hash_t *pl_hash_new(pl_hash_alg_t alg);
/* A copy of h with the same state (a new object the caller frees). */
pl_hash_t *pl_hash_dup(const pl_hash_t *h);
int pl_hash_update(pl_hash_t *h, const uint8_t *data, size_t len);
/* Writes the digest of everything hashed so far into out (pl_hash_len
 * bytes) without ending h: more data can follow. */
int pl_hash_peek(const pl_hash_t *h, uint8_t *out);
void pl_hash_free(pl_hash_t *h);

/* out = hash(data). */
int pl_hash_once(pl_hash_alg_t alg, const uint8_t *data, size_t len, uint8_t *out);

/* ---- HMAC and HKDF (RFC 2104, RFC 5869) --------------------------------- */

/* out (pl_hash_len bytes) = HMAC-hash(key, data). */
int pl_hmac(pl_hash_alg_t alg, const uint8_t *key, size_t key_len,
	    const uint8_t *data, size_t data_len, uint8_t *out);

/* prk (pl_hash_len bytes) = HKDF-Extract(salt, ikm). A NULL salt or a
 * salt_len of 0 means a string of hash-length zeros (RFC 5869 2.2). */
int pl_hkdf_extract(pl_hash_alg_t alg, const uint8_t *salt, size_t salt_len,
		    const uint8_t *ikm, size_t ikm_len, uint8_t *prk);

/* out (out_len bytes, at most 255 * hash length) = HKDF-Expand(prk, info). */
int pl_hkdf_expand(pl_hash_alg_t alg, const uint8_t *prk, size_t prk_len,
		   const uint8_t *info, size_t info_len, uint8_t *out,
		   size_t out_len);

/* ---- AEAD ---------------------------------------------------------------- */

typedef enum {
	PL_AEAD_AES_128_GCM = 1,
	PL_AEAD_AES_256_GCM = 2,
	PL_AEAD_CHACHA20_POLY1305 = 3,
} pl_aead_alg_t;

#define PL_AEAD_TAG_LEN 16
#define PL_AEAD_NONCE_LEN 12
#define PL_AEAD_KEY_MAX 32

/* Key length in bytes: 16 or 32. */
size_t pl_aead_key_len(pl_aead_alg_t alg);

/* An AEAD context bound to one key, reused for every record. */
typedef struct pl_aead pl_aead_t;

/* A new context for alg with the given key (pl_aead_key_len bytes, copied).
 * NULL when out of memory or libcrypto fails. */
pl_aead_t *pl_aead_new(pl_aead_alg_t alg, const uint8_t *key);

/* Encrypts len bytes of in into out and appends the 16-byte tag: out must
 * hold len + PL_AEAD_TAG_LEN bytes. out may equal in (in place). */
int pl_aead_seal(pl_aead_t *a, const uint8_t nonce[PL_AEAD_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *in,
		 size_t len, uint8_t *out);

/* Decrypts in (len bytes: ciphertext followed by the tag) into out
 * (len - 16 bytes; out may equal in). Returns PL_ERR_DECRYPT when the tag
 * does not verify (out's contents are then unspecified), PL_ERR_DECODE when
 * len < 16. */
int pl_aead_open(pl_aead_t *a, const uint8_t nonce[PL_AEAD_NONCE_LEN],
		 const uint8_t *aad, size_t aad_len, const uint8_t *in,
		 size_t len, uint8_t *out);

/* Wipes the key and frees the context. NULL is ignored. */
void pl_aead_free(pl_aead_t *a);

/* ---- (EC)DHE key exchange ------------------------------------------------ */

#define PL_GROUP_SECP256R1 0x0017
#define PL_GROUP_SECP384R1 0x0018
#define PL_GROUP_SECP521R1 0x0019
#define PL_GROUP_X25519 0x001d
#define PL_GROUP_X448 0x001e
#define PL_GROUP_FFDHE2048 0x0100 /* RFC 7919 */
#define PL_GROUP_FFDHE3072 0x0101
#define PL_GROUP_FFDHE4096 0x0102

#define PL_KEX_PUBLIC_MAX 512 /* an ffdhe4096 public value */
#define PL_KEX_SECRET_MAX 512

/* True for the groups padlock implements: x25519, secp256r1, secp384r1,
 * secp521r1, x448, ffdhe2048, ffdhe3072, ffdhe4096. */
bool pl_kex_supported(uint16_t group);

/* True for the finite-field groups (ffdhe*), which TLS 1.3 negotiates as
 * key_share groups but padlock never offers in TLS 1.2 (RFC 10015: no
 * finite-field DHE there). */
bool pl_kex_is_ffdhe(uint16_t group);

/* One ephemeral key pair. */
typedef struct pl_kex pl_kex_t;

/* Generates a fresh key pair in group. NULL if unsupported or on failure. */
pl_kex_t *pl_kex_new(uint16_t group);

/* A key pair from a given private key (raw 32 or 56 bytes for x25519 and
 * x448; the big-endian scalar for the NIST curves; the big-endian
 * exponent, 1 <= x < p, for ffdhe). Used by tests that replay published
 * traces (RFC 8448) or compare with another implementation. */
pl_kex_t *pl_kex_new_from_private(uint16_t group, const uint8_t *priv,
				  size_t len);

uint16_t pl_kex_group(const pl_kex_t *k);

/* Writes the public key in its TLS key_share encoding (RFC 8446 4.2.8:
 * raw 32 / 56 bytes for x25519 / x448, the uncompressed point 0x04||X||Y
 * for the NIST curves, Y padded to the size of p for ffdhe). */
int pl_kex_public(const pl_kex_t *k, uint8_t *out, size_t cap, size_t *len);

/* Computes the shared secret with the peer's public key (same encoding):
 * the x-coordinate for the NIST curves, Z padded to the size of p for
 * ffdhe (RFC 8446 7.4.1). Returns PL_ERR_DECODE when the peer's key is
 * malformed (empty, of the wrong length), off the curve, outside 2..p-2
 * for ffdhe, or gives an all-zero x25519 / x448 result (the TLS alert is
 * illegal_parameter). */
int pl_kex_derive(pl_kex_t *k, const uint8_t *peer, size_t peer_len,
		  uint8_t *secret, size_t cap, size_t *len);

/* Wipes and frees. NULL is ignored. */
void pl_kex_free(pl_kex_t *k);

/* ---- ML-KEM-768 (NIST FIPS 203) --------------------------------------------
 * The key-encapsulation mechanism of the post-quantum hybrid group
 * X25519MLKEM768. Written in padlock (OpenSSL 3.0 has no ML-KEM), in
 * constant time where secrets are involved. A client makes a key pair and
 * sends the encapsulation key; the server encapsulates against it and
 * sends the ciphertext; both end with the same 32-byte shared secret. */

#define PL_MLKEM768_EK_LEN 1184 /* encapsulation key */
#define PL_MLKEM768_DK_LEN 2400 /* decapsulation key, FIPS 203's 768k+96 */
#define PL_MLKEM768_CT_LEN 1088 /* ciphertext */
#define PL_MLKEM_SS_LEN 32      /* shared secret */

/* One ML-KEM-768 key pair; the decapsulation key is wiped when freed. */
typedef struct pl_mlkem pl_mlkem_t;

/* ML-KEM.KeyGen (FIPS 203 Algorithm 19) with seeds from the CSPRNG. NULL
 * when out of memory or the CSPRNG fails. */
pl_mlkem_t *pl_mlkem768_new(void);

/* The key pair ML-KEM.KeyGen_internal(d, z) gives (Algorithm 16): for
 * known-answer tests; everything else uses pl_mlkem768_new. */
pl_mlkem_t *pl_mlkem768_new_from_seed(const uint8_t d[32],
				      const uint8_t z[32]);

/* A key pair from an expanded decapsulation key (dk_len must be
 * PL_MLKEM768_DK_LEN), after the decapsulation key checks of FIPS 203 7.3
 * (length, and the hash of the encapsulation key it holds). NULL when a
 * check fails or out of memory. For tests that replay published keys. */
pl_mlkem_t *pl_mlkem768_new_from_private(const uint8_t *dk, size_t dk_len);

/* Writes the encapsulation key (PL_MLKEM768_EK_LEN bytes) into out.
 * PL_ERR_ARG when cap is too small. */
int pl_mlkem768_public(const pl_mlkem_t *k, uint8_t *out, size_t cap,
		       size_t *len);

/* ML-KEM.Encaps (Algorithm 20) against the peer's encapsulation key ek:
 * writes the ciphertext (PL_MLKEM768_CT_LEN bytes) and the shared secret
 * (PL_MLKEM_SS_LEN). PL_ERR_DECODE, outputs untouched, when ek fails the
 * encapsulation key check of FIPS 203 7.2 (its length, or a coefficient
 * not below q): in TLS that is illegal_parameter (RFC 10024 4.2).
 * PL_ERR_CRYPTO when the CSPRNG fails. */
int pl_mlkem768_encaps(const uint8_t *ek, size_t ek_len,
		       uint8_t ct[PL_MLKEM768_CT_LEN],
		       uint8_t ss[PL_MLKEM_SS_LEN]);

/* The same with the randomness m given: ML-KEM.Encaps_internal (Algorithm
 * 17) behind the same check. For known-answer tests. */
int pl_mlkem768_encaps_with(const uint8_t *ek, size_t ek_len,
			    const uint8_t m[32],
			    uint8_t ct[PL_MLKEM768_CT_LEN],
			    uint8_t ss[PL_MLKEM_SS_LEN]);

/* ML-KEM.Decaps (Algorithm 21): the shared secret (PL_MLKEM_SS_LEN bytes)
 * for ciphertext ct. PL_ERR_DECODE when ct_len is not PL_MLKEM768_CT_LEN
 * (illegal_parameter in TLS). Any ciphertext of the right length gives a
 * secret: one that was not made for this key gives the implicit-rejection
 * secret, which the peer cannot know, and the handshake fails later at
 * Finished, without telling anyone which case occurred. */
int pl_mlkem768_decaps(const pl_mlkem_t *k, const uint8_t *ct, size_t ct_len,
		       uint8_t ss[PL_MLKEM_SS_LEN]);

/* Wipes and frees. NULL is ignored. */
void pl_mlkem_free(pl_mlkem_t *k);

/* ---- X25519MLKEM768 (RFC 10024) ---------------------------------------------
 * The hybrid TLS 1.3 group: ML-KEM-768 and X25519 together, so that the
 * shared secret stays secret unless both are broken. Shares and secret in
 * RFC 10024's order (4.1-4.3), ML-KEM first:
 *   client share = ML-KEM-768 ek (1184) || X25519 public key (32)
 *   server share = ML-KEM-768 ciphertext (1088) || X25519 public key (32)
 *   shared secret = ML-KEM shared secret (32) || X25519 shared secret (32)
 * Failures the peer caused return PL_ERR_DECODE, for which TLS sends
 * illegal_parameter (RFC 10024 4.2). */

#define PL_GROUP_X25519MLKEM768 0x11ec
#define PL_HYBRID_CLIENT_SHARE_LEN (PL_MLKEM768_EK_LEN + 32) /* 1216 */
#define PL_HYBRID_SERVER_SHARE_LEN (PL_MLKEM768_CT_LEN + 32) /* 1120 */
#define PL_HYBRID_SECRET_LEN 64

/* A client's two key pairs; wiped when freed. */
typedef struct pl_hybrid pl_hybrid_t;

/* Generates the client's ML-KEM-768 and X25519 key pairs. NULL on failure. */
pl_hybrid_t *pl_hybrid_client_new(void);

/* The same from given seeds: ML-KEM.KeyGen_internal(d, z) and the raw
 * X25519 private key x25519_private. For known-answer tests. */
pl_hybrid_t *pl_hybrid_client_new_from(const uint8_t d[32],
				       const uint8_t z[32],
				       const uint8_t x25519_private[32]);

/* Writes the client's key_share (PL_HYBRID_CLIENT_SHARE_LEN bytes).
 * PL_ERR_ARG when cap is too small. */
int pl_hybrid_client_share(const pl_hybrid_t *h, uint8_t *out, size_t cap,
			   size_t *len);

/* The client's shared secret (PL_HYBRID_SECRET_LEN bytes into secret) from
 * the server's key_share. PL_ERR_DECODE when the share has the wrong
 * length or its X25519 part is invalid (a small-order point), PL_ERR_ARG
 * when cap is too small, PL_ERR_CRYPTO when libcrypto fails (TLS:
 * internal_error). secret is wiped on failure. */
int pl_hybrid_client_finish(pl_hybrid_t *h, const uint8_t *server_share,
			    size_t share_len, uint8_t *secret, size_t cap,
			    size_t *secret_len);

void pl_hybrid_free(pl_hybrid_t *h);

/* The server's side in one step: checks the client's key_share (length,
 * the ML-KEM encapsulation key check, X25519 validity), encapsulates and
 * makes an X25519 key pair, and writes the server's key_share
 * (PL_HYBRID_SERVER_SHARE_LEN bytes into share) and the shared secret
 * (PL_HYBRID_SECRET_LEN into secret). PL_ERR_DECODE for a bad client share
 * (illegal_parameter), PL_ERR_ARG when a buffer is too small,
 * PL_ERR_CRYPTO when libcrypto fails. Nothing is written on failure but
 * wiped bytes. */
int pl_hybrid_server_respond(const uint8_t *client_share, size_t share_len,
			     uint8_t *share, size_t share_cap,
			     size_t *share_out_len, uint8_t *secret,
			     size_t secret_cap, size_t *secret_len);

/* The same with the randomness given: the ML-KEM encapsulation's m and the
 * raw X25519 private key. For known-answer tests. */
int pl_hybrid_server_respond_with(const uint8_t *client_share,
				  size_t share_len, const uint8_t m[32],
				  const uint8_t x25519_private[32],
				  uint8_t *share, size_t share_cap,
				  size_t *share_out_len, uint8_t *secret,
				  size_t secret_cap, size_t *secret_len);

/* ---- signatures ---------------------------------------------------------- */

/* TLS SignatureScheme code points (RFC 8446 4.2.3). */
#define PL_SIG_RSA_PKCS1_SHA256 0x0401
#define PL_SIG_RSA_PKCS1_SHA384 0x0501
#define PL_SIG_RSA_PKCS1_SHA512 0x0601
#define PL_SIG_ECDSA_SECP256R1_SHA256 0x0403
#define PL_SIG_ECDSA_SECP384R1_SHA384 0x0503
#define PL_SIG_ECDSA_SECP521R1_SHA512 0x0603
#define PL_SIG_RSA_PSS_RSAE_SHA256 0x0804
#define PL_SIG_RSA_PSS_RSAE_SHA384 0x0805
#define PL_SIG_RSA_PSS_RSAE_SHA512 0x0806
#define PL_SIG_ED25519 0x0807
#define PL_SIG_RSA_PSS_PSS_SHA256 0x0809
#define PL_SIG_RSA_PSS_PSS_SHA384 0x080a
#define PL_SIG_RSA_PSS_PSS_SHA512 0x080b

#define PL_SIG_MAX 512 /* an RSA-4096 signature */

typedef enum {
	PL_PKEY_OTHER = 0,
	PL_PKEY_RSA,
	PL_PKEY_EC_P256,
	PL_PKEY_EC_P384,
	PL_PKEY_ED25519,
} pl_pkey_kind_t;

/* A public key, or a key pair (private + public). Reference counted. */
typedef struct pl_pkey pl_pkey_t;

pl_pkey_kind_t pl_pkey_kind(const pl_pkey_t *k);
/* Key size in bits (2048 for RSA-2048, 256 for P-256 and Ed25519). */
int pl_pkey_bits(const pl_pkey_t *k);
bool pl_pkey_is_private(const pl_pkey_t *k);
/* "RSA 2048", "ECDSA P-256", "Ed25519": for humans. */
const char *pl_pkey_describe(const pl_pkey_t *k, char *buf, size_t cap);

/* True when k's type and size can make (or check) signatures of scheme:
 * RSA keys for rsa_pss_rsae_* and rsa_pkcs1_*, a P-256 key for
 * ecdsa_secp256r1_sha256, a P-384 key for ecdsa_secp384r1_sha384, an
 * Ed25519 key for ed25519. */
bool pl_pkey_supports(const pl_pkey_t *k, uint16_t scheme);

/* Signs msg with scheme. k must hold a private key. Writes at most cap
 * bytes (PL_SIG_MAX is always enough). rsa_pkcs1_* is refused
 * (PL_ERR_UNSUPPORTED): RFC 8446 4.2.3 allows it only for certificates. */
int pl_pkey_sign(const pl_pkey_t *k, uint16_t scheme, const uint8_t *msg,
		 size_t len, uint8_t *sig, size_t cap, size_t *sig_len);

/* The same for a TLS 1.2 ServerKeyExchange, which may also be signed with
 * rsa_pkcs1_* (RFC 5246 7.4.1.4.1: clients that stop at TLS 1.2 often
 * verify nothing else). */
int pl_pkey_sign_tls12(const pl_pkey_t *k, uint16_t scheme,
		       const uint8_t *msg, size_t len, uint8_t *sig,
		       size_t cap, size_t *sig_len);

/* Verifies sig over msg with scheme. PL_OK, PL_ERR_DECRYPT when the
 * signature is wrong, PL_ERR_UNSUPPORTED when the key cannot do scheme. */
int pl_pkey_verify(const pl_pkey_t *k, uint16_t scheme, const uint8_t *msg,
		   size_t len, const uint8_t *sig, size_t sig_len);

/* Generates a new key pair (tests and benchmarks; the CA has its own). */
pl_pkey_t *pl_pkey_generate(pl_pkey_kind_t kind, int rsa_bits);

/* Adds a reference and returns k. */
pl_pkey_t *pl_pkey_ref(pl_pkey_t *k);
/* Drops a reference; the last one frees (and wipes a private key). */
void pl_pkey_free(pl_pkey_t *k);

/* ---- JOSE: JWS and JWK for ACME (RFC 7515, 7517, 7518, 7638) -------------- */

#define PL_JWS_ES256_LEN 64        /* R || S, 32 bytes each (RFC 7518 3.4) */
#define PL_JWK_THUMBPRINT_LEN 43   /* base64url of a SHA-256 digest */

/* The length of the unpadded base64url encoding of len bytes (RFC 7515
 * 2), without the terminating NUL. */
size_t pl_base64url_len(size_t len);

/* Writes the unpadded base64url of in into out, NUL-terminated.
 * PL_ERR_ARG when cap < pl_base64url_len(len) + 1. */
int pl_base64url_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/* Decodes len characters of unpadded base64url into out (at most cap
 * bytes), *out_len the bytes written. PL_ERR_DECODE for a character
 * outside the alphabet, padding, an impossible length or non-zero
 * leftover bits; PL_ERR_ARG when out is too small. */
int pl_base64url_decode(const char *in, size_t len, uint8_t *out, size_t cap,
			size_t *out_len);

/* A P-256 key from its JWK members (RFC 7518 6.2.1): the coordinates x
 * and y, 32 big-endian bytes each, and d (the private scalar, 32 bytes)
 * or NULL for a public key. NULL when the point is not on the curve. */
pl_pkey_t *pl_pkey_p256_from_coords(const uint8_t x[32], const uint8_t y[32],
				    const uint8_t *d);

/* An RSA public key from its modulus and exponent, big-endian bytes
 * (RFC 7518 6.3.1). NULL on failure. */
pl_pkey_t *pl_pkey_rsa_from_public(const uint8_t *n, size_t n_len,
				   const uint8_t *e, size_t e_len);

/* Writes the public JWK of k (a P-256 or RSA key) in the canonical form
 * of RFC 7638 3.2: required members only, sorted, no white space:
 * {"crv":"P-256","kty":"EC","x":"...","y":"..."} or
 * {"e":"...","kty":"RSA","n":"..."}. PL_ERR_UNSUPPORTED for other keys,
 * PL_ERR_ARG when cap is too small (400 bytes hold any P-256 JWK). */
int pl_jwk_public(const pl_pkey_t *k, char *out, size_t cap);

/* The RFC 7638 thumbprint of k: base64url(SHA-256(canonical JWK)), 43
 * characters and a NUL. */
int pl_jwk_thumbprint(const pl_pkey_t *k, char out[PL_JWK_THUMBPRINT_LEN + 1]);

/* The key authorization of RFC 8555 8.1: "TOKEN.THUMBPRINT" for the
 * account key. PL_ERR_ARG when cap is too small. */
int pl_jws_key_authorization(const pl_pkey_t *account, const char *token,
			     char *out, size_t cap);

/* ES256 (RFC 7518 3.4): ECDSA P-256 with SHA-256 over msg, the signature
 * as R || S. k must be a private P-256 key (PL_ERR_UNSUPPORTED
 * otherwise). Randomized: two signatures of one message differ. */
int pl_jws_es256_sign(const pl_pkey_t *k, const uint8_t *msg, size_t len,
		      uint8_t sig[PL_JWS_ES256_LEN]);

/* Verifies an ES256 signature (R || S). PL_OK, PL_ERR_DECRYPT when it is
 * wrong (or not 64 bytes), PL_ERR_UNSUPPORTED when k is not P-256. */
int pl_jws_es256_verify(const pl_pkey_t *k, const uint8_t *msg, size_t len,
			const uint8_t *sig, size_t sig_len);

/* A JWS in the flattened JSON serialization (RFC 7515 7.2.2) that RFC
 * 8555 6.2 requires: {"protected":B64(protected_json),"payload":
 * B64(payload),"signature":B64(sig)}, signed with ES256 by k, or with
 * HS256 (HMAC-SHA-256, RFC 7518 3.2) under key for external account
 * binding. protected_json is used as given (the caller builds it). A new
 * string the caller frees, or NULL on failure. */
char *pl_jws_flattened_es256(const pl_pkey_t *k, const char *protected_json,
			     const uint8_t *payload, size_t payload_len);
char *pl_jws_flattened_hs256(const uint8_t *key, size_t key_len,
			     const char *protected_json, const uint8_t *payload,
			     size_t payload_len);

#endif
