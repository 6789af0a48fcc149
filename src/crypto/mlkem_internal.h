/*
 * ML-KEM-768 (NIST FIPS 203) inside src/crypto: the deterministic
 * algorithms of FIPS 203 section 6 and the input checks of section 7
 * (mlkem.c). Private to src/crypto and its tests; everything else uses the
 * pl_mlkem768_* functions of crypto.h.
 *
 * Byte arrays are the FIPS 203 encodings: ek (1184 bytes), dk (the
 * 2400-byte dk_PKE || ek || H(ek) || z), ciphertext (1088 bytes), shared
 * secret (32). The functions that hash return PL_OK, or PL_ERR_CRYPTO when
 * libcrypto failed (outputs then zeroed).
 */
#ifndef PADLOCK_MLKEM_INTERNAL_H
#define PADLOCK_MLKEM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "padlock/crypto.h"

#define MLKEM_Q 3329
#define MLKEM_N 256
#define MLKEM_K 3

/* Where the parts of ML-KEM-768's dk start (FIPS 203 Algorithm 18, 1-4). */
#define MLKEM_DK_EK_OFFSET (384 * MLKEM_K)
#define MLKEM_DK_HASH_OFFSET (768 * MLKEM_K + 32)
#define MLKEM_DK_Z_OFFSET (768 * MLKEM_K + 64)

/* A polynomial of R_q or T_q: 256 coefficients in [0, q). */
typedef struct {
	uint16_t c[MLKEM_N];
} pl_mlkem_poly_t;

/* mlkem_poly.c: the arithmetic of FIPS 203 4.2 and 4.3, constant time. */
void pl_mlkem_poly_ntt(pl_mlkem_poly_t *p);                 /* Algorithm 9 */
void pl_mlkem_poly_inverse_ntt(pl_mlkem_poly_t *p);         /* Algorithm 10 */
/* out = sum of f[i] g[i] over i < k, in T_q (Algorithms 11 and 12). */
void pl_mlkem_poly_dot(pl_mlkem_poly_t *out, const pl_mlkem_poly_t *f,
		       const pl_mlkem_poly_t *g, int k);
void pl_mlkem_poly_add(pl_mlkem_poly_t *p, const pl_mlkem_poly_t *q);
void pl_mlkem_poly_sub(pl_mlkem_poly_t *p, const pl_mlkem_poly_t *q);
/* ByteEncode_d / ByteDecode_d (Algorithms 5, 6): 32 d bytes. */
void pl_mlkem_poly_encode(const pl_mlkem_poly_t *p, unsigned d, uint8_t *out);
void pl_mlkem_poly_decode(pl_mlkem_poly_t *p, unsigned d, const uint8_t *in);
void pl_mlkem_poly_compress(pl_mlkem_poly_t *p, unsigned d);
void pl_mlkem_poly_decompress(pl_mlkem_poly_t *p, unsigned d);
/* SamplePolyCBD_2 (Algorithm 8) from 128 bytes. */
void pl_mlkem_poly_cbd2(pl_mlkem_poly_t *p, const uint8_t in[128]);

/* Called, when set, on values computed from secrets that are public by
 * design (the matrix seed rho, part of ek): the constant-time test
 * (tests/crypto/test_mlkem_ct.c) sets it to tell valgrind that they may be
 * branched on. NULL otherwise. */
extern void (*pl_mlkem_declassify_hook)(const void *p, size_t len);

/* Compress_d and Decompress_d of FIPS 203 4.2.1 (4.7, 4.8) for 1 <= d <= 11,
 * without division: x in [0, q), y in [0, 2^d). */
uint16_t pl_mlkem_compress(uint16_t x, unsigned d);
uint16_t pl_mlkem_decompress(uint16_t y, unsigned d);

/* ML-KEM.KeyGen_internal(d, z) (Algorithm 16). */
int pl_mlkem768_keygen_internal(const uint8_t d[32], const uint8_t z[32],
				uint8_t ek[PL_MLKEM768_EK_LEN],
				uint8_t dk[PL_MLKEM768_DK_LEN]);

/* ML-KEM.Encaps_internal(ek, m) (Algorithm 17). ek must have passed
 * pl_mlkem768_ek_check. */
int pl_mlkem768_encaps_internal(const uint8_t ek[PL_MLKEM768_EK_LEN],
				const uint8_t m[32],
				uint8_t ct[PL_MLKEM768_CT_LEN],
				uint8_t ss[PL_MLKEM_SS_LEN]);

/* ML-KEM.Decaps_internal(dk, c) (Algorithm 18), implicit rejection
 * included: a ciphertext that does not re-encrypt gives J(z || c), chosen
 * in constant time. dk must have passed pl_mlkem768_dk_check. */
int pl_mlkem768_decaps_internal(const uint8_t dk[PL_MLKEM768_DK_LEN],
				const uint8_t ct[PL_MLKEM768_CT_LEN],
				uint8_t ss[PL_MLKEM_SS_LEN]);

/* The modulus check of FIPS 203 7.2: every 12-bit coefficient of ek's
 * first 1152 bytes is below q. ek is public: this may branch. */
bool pl_mlkem768_ek_check(const uint8_t ek[PL_MLKEM768_EK_LEN]);

/* The hash check of FIPS 203 7.3 (check 3): H(dk[1152:2336]) equals
 * dk[2336:2368]. PL_OK, PL_ERR_DECODE when it does not, PL_ERR_CRYPTO. */
int pl_mlkem768_dk_check(const uint8_t dk[PL_MLKEM768_DK_LEN]);

#endif
