/*
 * ML-KEM-768 (NIST FIPS 203): K-PKE (section 5), the internal algorithms
 * (section 6), the input checks and the API (section 7). Parameters of
 * ML-KEM-768 (Table 2): k = 3, eta1 = eta2 = 2, du = 10, dv = 4.
 *
 * Hashing (4.1) is libcrypto's SHA3 and SHAKE, whose assembly was four to
 * eight times faster here than a portable Keccak (bench/README.md, part
 * 6). OpenSSL 3.0 squeezes a XOF only once (EVP_DigestFinalXOF), so
 * SampleNTT takes three SHAKE128 blocks at once, enough in more than 99%
 * of cases, and in the others takes eight blocks from the start (SHAKE's
 * longer outputs begin with its shorter ones). The matrix seed is public,
 * so that choice leaks nothing.
 *
 * Secrets (d, z, s, e, m, r, the noise, K) are wiped before returning;
 * decapsulation compares and selects in constant time.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_internal.h"
#include "crypto/mlkem_internal.h"

#define ETA_BYTES 128            /* 64 eta, eta = 2 */
#define POLY_BYTES 384           /* ByteEncode_12 of one polynomial */
#define DU 10
#define DV 4
#define C1_BYTES (32 * DU * MLKEM_K)
#define SAMPLE_NTT_FIRST (3 * 168)  /* three SHAKE128 blocks */
#define SAMPLE_NTT_SECOND (8 * 168) /* 448 loop iterations, past the 280
				       that FIPS 203 Appendix B requires */

struct pl_mlkem {
	uint8_t dk[PL_MLKEM768_DK_LEN]; /* its ek is at MLKEM_DK_EK_OFFSET */
};

typedef pl_mlkem_poly_t vector_t[MLKEM_K];

void (*pl_mlkem_declassify_hook)(const void *p, size_t len);

/* Marks len bytes at p as public for the constant-time test. */
static void declassify(const void *p, size_t len)
{
	if (pl_mlkem_declassify_hook != NULL)
		pl_mlkem_declassify_hook(p, len);
}

/* One EVP_MD_CTX reused for every hash of an operation, with a sticky
 * failure: the algorithms read like the specification, and the caller
 * checks `failed` once at the end. */
typedef struct {
	const struct pl_crypto_algs *algs;
	EVP_MD_CTX *md;
	bool failed;
} work_t;

static int work_begin(work_t *w)
{
	w->algs = pl_crypto_algs();
	w->md = w->algs != NULL ? EVP_MD_CTX_new() : NULL;
	w->failed = false;
	return w->md != NULL ? PL_OK : pl_crypto_fail();
}

/* Frees the context (libcrypto wipes the Keccak state); PL_OK or
 * PL_ERR_CRYPTO when any hash failed. */
static int work_end(work_t *w)
{
	EVP_MD_CTX_free(w->md);
	if (w->failed)
		return pl_crypto_fail();
	return PL_OK;
}

/* out = md(a || b), out_len bytes (a XOF when xof). */
static void hash2(work_t *w, const EVP_MD *md, bool xof, const uint8_t *a,
		  size_t a_len, const uint8_t *b, size_t b_len, uint8_t *out,
		  size_t out_len)
{
	unsigned int len = 0;
	bool ok = EVP_DigestInit_ex2(w->md, md, NULL) == 1 &&
		  EVP_DigestUpdate(w->md, a, a_len) == 1 &&
		  (b_len == 0 || EVP_DigestUpdate(w->md, b, b_len) == 1);

	if (ok && xof)
		ok = EVP_DigestFinalXOF(w->md, out, out_len) == 1;
	else if (ok)
		ok = EVP_DigestFinal_ex(w->md, out, &len) == 1 && len == out_len;
	if (!ok) {
		w->failed = true;
		memset(out, 0, out_len);
		ERR_clear_error();
	}
}

/* H (4.4): SHA3-256. */
static void hash_h(work_t *w, const uint8_t *in, size_t len, uint8_t out[32])
{
	hash2(w, w->algs->sha3_256, false, in, len, NULL, 0, out, 32);
}

/* G (4.5): SHA3-512 of a || b, returned as its two halves. */
static void hash_g(work_t *w, const uint8_t *a, size_t a_len,
		   const uint8_t *b, size_t b_len, uint8_t out[64])
{
	hash2(w, w->algs->sha3_512, false, a, a_len, b, b_len, out, 64);
}

/* J (4.4): SHAKE256 of a || b, 32 bytes. */
static void hash_j(work_t *w, const uint8_t *a, size_t a_len,
		   const uint8_t *b, size_t b_len, uint8_t out[32])
{
	hash2(w, w->algs->shake256, true, a, a_len, b, b_len, out, 32);
}

/* SamplePolyCBD_2(PRF_2(seed, n)) (4.3 and Algorithm 8). */
static void sample_cbd(work_t *w, pl_mlkem_poly_t *p, const uint8_t seed[32],
		       uint8_t n)
{
	uint8_t prf[ETA_BYTES];

	hash2(w, w->algs->shake256, true, seed, 32, &n, 1, prf, sizeof(prf));
	pl_mlkem_poly_cbd2(p, prf);
	pl_cleanse(prf, sizeof(prf));
}

/* Algorithm 7, SampleNTT(rho || j || i), from a public seed. Each
 * candidate is stored, then kept by advancing n only when it is below q:
 * about one in five is not, too often for a branch to predict. */
static void sample_ntt(work_t *w, pl_mlkem_poly_t *p, const uint8_t rho[32],
		       uint8_t j, uint8_t i)
{
	uint8_t seed[34], stream[SAMPLE_NTT_SECOND];
	uint16_t out[MLKEM_N + 1]; /* room for one candidate past the end */
	size_t have = SAMPLE_NTT_FIRST, pos = 0;
	unsigned n = 0;

	memcpy(seed, rho, 32);
	seed[32] = j;
	seed[33] = i;
	hash2(w, w->algs->shake128, true, seed, 34, NULL, 0, stream, have);
	while (n < MLKEM_N) {
		if (pos + 3 > have) {
			if (have == SAMPLE_NTT_SECOND) {
				/* Appendix B: past the limit, fail the same
				 * way every time (chance below 2^-261). */
				w->failed = true;
				memset(p, 0, sizeof(*p));
				return;
			}
			have = SAMPLE_NTT_SECOND;
			hash2(w, w->algs->shake128, true, seed, 34, NULL, 0,
			      stream, have);
		}
		uint16_t d1 = (uint16_t)(stream[pos] | (stream[pos + 1] & 15) << 8);
		uint16_t d2 = (uint16_t)(stream[pos + 1] >> 4 | stream[pos + 2] << 4);

		pos += 3;
		out[n] = d1;
		n += d1 < MLKEM_Q;
		out[n] = d2;
		n += (d2 < MLKEM_Q) & (n < MLKEM_N);
	}
	memcpy(p->c, out, sizeof(p->c));
}

/* A-hat of Algorithm 13 lines 3-7 (and Algorithm 14 lines 4-8); with
 * transpose, its transpose, for K-PKE.Encrypt. */
static void sample_matrix(work_t *w, vector_t a[MLKEM_K],
			  const uint8_t rho[32], bool transpose)
{
	for (uint8_t i = 0; i < MLKEM_K; i++)
		for (uint8_t j = 0; j < MLKEM_K; j++)
			sample_ntt(w, transpose ? &a[j][i] : &a[i][j], rho, j, i);
}

/* out = m v (matrix times vector in T_q). */
static void matrix_mul(vector_t out, vector_t m[MLKEM_K], const vector_t v)
{
	for (int i = 0; i < MLKEM_K; i++)
		pl_mlkem_poly_dot(&out[i], m[i], v, MLKEM_K);
}

/* Algorithm 13, K-PKE.KeyGen(d): ek_PKE (1184 bytes), dk_PKE (1152). */
static void kpke_keygen(work_t *w, const uint8_t d[32], uint8_t *ek,
			uint8_t *dk)
{
	uint8_t seeds[64], k = MLKEM_K;
	const uint8_t *rho = seeds, *sigma = seeds + 32;
	vector_t a[MLKEM_K], s, e, t;
	uint8_t n = 0;

	hash_g(w, d, 32, &k, 1, seeds);
	declassify(rho, 32); /* it goes into ek */
	sample_matrix(w, a, rho, false);
	for (int i = 0; i < MLKEM_K; i++)
		sample_cbd(w, &s[i], sigma, n++);
	for (int i = 0; i < MLKEM_K; i++)
		sample_cbd(w, &e[i], sigma, n++);
	for (int i = 0; i < MLKEM_K; i++) {
		pl_mlkem_poly_ntt(&s[i]);
		pl_mlkem_poly_ntt(&e[i]);
	}
	matrix_mul(t, a, s);
	for (int i = 0; i < MLKEM_K; i++) {
		pl_mlkem_poly_add(&t[i], &e[i]);
		pl_mlkem_poly_encode(&t[i], 12, ek + POLY_BYTES * i);
		pl_mlkem_poly_encode(&s[i], 12, dk + POLY_BYTES * i);
	}
	memcpy(ek + POLY_BYTES * MLKEM_K, rho, 32);
	pl_cleanse(seeds, sizeof(seeds));
	pl_cleanse(s, sizeof(s));
	pl_cleanse(e, sizeof(e));
}

/* Algorithm 14, K-PKE.Encrypt(ek_PKE, m, r): the 1088-byte ciphertext. */
static void kpke_encrypt(work_t *w, const uint8_t *ek, const uint8_t m[32],
			 const uint8_t r[32], uint8_t *ct)
{
	vector_t at[MLKEM_K], t, y, u;
	pl_mlkem_poly_t e2, v, mu;
	uint8_t n = 0;

	for (int i = 0; i < MLKEM_K; i++)
		pl_mlkem_poly_decode(&t[i], 12, ek + POLY_BYTES * i);
	sample_matrix(w, at, ek + POLY_BYTES * MLKEM_K, true);
	for (int i = 0; i < MLKEM_K; i++)
		sample_cbd(w, &y[i], r, n++);
	for (int i = 0; i < MLKEM_K; i++)
		sample_cbd(w, &u[i], r, n++); /* e1, u added to it below */
	sample_cbd(w, &e2, r, n++);
	for (int i = 0; i < MLKEM_K; i++)
		pl_mlkem_poly_ntt(&y[i]);

	/* u = NTT^-1(A^T y) + e1 */
	vector_t aty;
	matrix_mul(aty, at, y);
	for (int i = 0; i < MLKEM_K; i++) {
		pl_mlkem_poly_inverse_ntt(&aty[i]);
		pl_mlkem_poly_add(&u[i], &aty[i]);
	}
	/* v = NTT^-1(t^T y) + e2 + Decompress_1(ByteDecode_1(m)) */
	pl_mlkem_poly_dot(&v, t, y, MLKEM_K);
	pl_mlkem_poly_inverse_ntt(&v);
	pl_mlkem_poly_add(&v, &e2);
	pl_mlkem_poly_decode(&mu, 1, m);
	pl_mlkem_poly_decompress(&mu, 1);
	pl_mlkem_poly_add(&v, &mu);

	for (int i = 0; i < MLKEM_K; i++) {
		pl_mlkem_poly_compress(&u[i], DU);
		pl_mlkem_poly_encode(&u[i], DU, ct + 32 * DU * i);
	}
	pl_mlkem_poly_compress(&v, DV);
	pl_mlkem_poly_encode(&v, DV, ct + C1_BYTES);
	pl_cleanse(y, sizeof(y));
	pl_cleanse(u, sizeof(u));
	pl_cleanse(aty, sizeof(aty));
	pl_cleanse(&e2, sizeof(e2));
	pl_cleanse(&v, sizeof(v));
	pl_cleanse(&mu, sizeof(mu));
}

/* Algorithm 15, K-PKE.Decrypt(dk_PKE, c): the 32-byte message. */
static void kpke_decrypt(const uint8_t *dk, const uint8_t *ct, uint8_t m[32])
{
	vector_t s, u;
	pl_mlkem_poly_t v, w;

	for (int i = 0; i < MLKEM_K; i++) {
		pl_mlkem_poly_decode(&u[i], DU, ct + 32 * DU * i);
		pl_mlkem_poly_decompress(&u[i], DU);
		pl_mlkem_poly_ntt(&u[i]);
		pl_mlkem_poly_decode(&s[i], 12, dk + POLY_BYTES * i);
	}
	pl_mlkem_poly_dot(&w, s, u, MLKEM_K);
	pl_mlkem_poly_inverse_ntt(&w);
	pl_mlkem_poly_decode(&v, DV, ct + C1_BYTES);
	pl_mlkem_poly_decompress(&v, DV);
	pl_mlkem_poly_sub(&v, &w); /* w = v' - NTT^-1(s^T NTT(u')) */
	pl_mlkem_poly_compress(&v, 1);
	pl_mlkem_poly_encode(&v, 1, m);
	pl_cleanse(s, sizeof(s));
	pl_cleanse(&v, sizeof(v));
	pl_cleanse(&w, sizeof(w));
}

int pl_mlkem768_keygen_internal(const uint8_t d[32], const uint8_t z[32],
				uint8_t ek[PL_MLKEM768_EK_LEN],
				uint8_t dk[PL_MLKEM768_DK_LEN])
{
	work_t w;
	int err = work_begin(&w);

	if (err == PL_OK) {
		/* Algorithm 16: dk = dk_PKE || ek || H(ek) || z */
		kpke_keygen(&w, d, ek, dk);
		memcpy(dk + MLKEM_DK_EK_OFFSET, ek, PL_MLKEM768_EK_LEN);
		hash_h(&w, ek, PL_MLKEM768_EK_LEN, dk + MLKEM_DK_HASH_OFFSET);
		memcpy(dk + MLKEM_DK_Z_OFFSET, z, 32);
		err = work_end(&w);
	}
	if (err != PL_OK) {
		pl_cleanse(dk, PL_MLKEM768_DK_LEN);
		memset(ek, 0, PL_MLKEM768_EK_LEN);
	}
	return err;
}

int pl_mlkem768_encaps_internal(const uint8_t ek[PL_MLKEM768_EK_LEN],
				const uint8_t m[32],
				uint8_t ct[PL_MLKEM768_CT_LEN],
				uint8_t ss[PL_MLKEM_SS_LEN])
{
	uint8_t ek_hash[32], kr[64]; /* (K, r) = G(m || H(ek)) */
	work_t w;
	int err = work_begin(&w);

	if (err == PL_OK) {
		hash_h(&w, ek, PL_MLKEM768_EK_LEN, ek_hash);
		hash_g(&w, m, 32, ek_hash, 32, kr);
		kpke_encrypt(&w, ek, m, kr + 32, ct);
		memcpy(ss, kr, PL_MLKEM_SS_LEN);
		err = work_end(&w);
	}
	pl_cleanse(kr, sizeof(kr));
	if (err != PL_OK) {
		pl_cleanse(ss, PL_MLKEM_SS_LEN);
		memset(ct, 0, PL_MLKEM768_CT_LEN);
	}
	return err;
}

/* All ones when the len bytes at a and b differ, else zero; constant time
 * (the implicit-rejection flag of Algorithm 18, line 9). */
static uint8_t differ_mask(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint32_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= (uint32_t)(a[i] ^ b[i]);
	/* acc in [0, 255]: acc - 1 has its top bit set only when acc is 0. */
	return (uint8_t)(((acc - 1) >> 31) - 1);
}

int pl_mlkem768_decaps_internal(const uint8_t dk[PL_MLKEM768_DK_LEN],
				const uint8_t ct[PL_MLKEM768_CT_LEN],
				uint8_t ss[PL_MLKEM_SS_LEN])
{
	const uint8_t *ek = dk + MLKEM_DK_EK_OFFSET;
	uint8_t m[32], kr[64], rejected[32], reencrypted[PL_MLKEM768_CT_LEN];
	uint8_t reject;
	work_t w;
	int err = work_begin(&w);

	if (err == PL_OK) {
		kpke_decrypt(dk, ct, m);
		hash_g(&w, m, 32, dk + MLKEM_DK_HASH_OFFSET, 32, kr);
		hash_j(&w, dk + MLKEM_DK_Z_OFFSET, 32, ct, PL_MLKEM768_CT_LEN,
		       rejected);
		kpke_encrypt(&w, ek, m, kr + 32, reencrypted);
		reject = differ_mask(ct, reencrypted, PL_MLKEM768_CT_LEN);
		for (int i = 0; i < PL_MLKEM_SS_LEN; i++)
			ss[i] = (uint8_t)((kr[i] & ~reject) | (rejected[i] & reject));
		/* FIPS 203 6.3: the flag is destroyed before returning. */
		pl_cleanse(&reject, sizeof(reject));
		err = work_end(&w);
	}
	pl_cleanse(m, sizeof(m));
	pl_cleanse(kr, sizeof(kr));
	pl_cleanse(rejected, sizeof(rejected));
	pl_cleanse(reencrypted, sizeof(reencrypted));
	if (err != PL_OK)
		pl_cleanse(ss, PL_MLKEM_SS_LEN);
	return err;
}

bool pl_mlkem768_ek_check(const uint8_t ek[PL_MLKEM768_EK_LEN])
{
	/* ByteEncode_12(ByteDecode_12(x)) == x exactly when no 12-bit value
	 * of x is q or more: compare the values themselves. */
	for (size_t i = 0; i < POLY_BYTES * MLKEM_K; i += 3) {
		uint16_t lo = (uint16_t)(ek[i] | (ek[i + 1] & 15) << 8);
		uint16_t hi = (uint16_t)(ek[i + 1] >> 4 | ek[i + 2] << 4);

		if (lo >= MLKEM_Q || hi >= MLKEM_Q)
			return false;
	}
	return true;
}

int pl_mlkem768_dk_check(const uint8_t dk[PL_MLKEM768_DK_LEN])
{
	uint8_t ek_hash[32];
	work_t w;
	int err = work_begin(&w);

	if (err != PL_OK)
		return err;
	hash_h(&w, dk + MLKEM_DK_EK_OFFSET, PL_MLKEM768_EK_LEN, ek_hash);
	err = work_end(&w);
	if (err == PL_OK &&
	    !pl_ct_equal(ek_hash, dk + MLKEM_DK_HASH_OFFSET, sizeof(ek_hash)))
		err = PL_ERR_DECODE;
	return err;
}

/* ---- the API of crypto.h -------------------------------------------------- */

static pl_mlkem_t *mlkem_from_seed(const uint8_t d[32], const uint8_t z[32])
{
	uint8_t ek[PL_MLKEM768_EK_LEN];
	pl_mlkem_t *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	if (pl_mlkem768_keygen_internal(d, z, ek, k->dk) != PL_OK) {
		pl_mlkem_free(k);
		return NULL;
	}
	return k;
}

pl_mlkem_t *pl_mlkem768_new(void)
{
	uint8_t seed[64]; /* d || z (Algorithm 19, lines 1-2) */
	pl_mlkem_t *k = NULL;

	if (pl_random(seed, sizeof(seed)) == PL_OK)
		k = mlkem_from_seed(seed, seed + 32);
	pl_cleanse(seed, sizeof(seed));
	return k;
}

pl_mlkem_t *pl_mlkem768_new_from_seed(const uint8_t d[32],
				      const uint8_t z[32])
{
	return mlkem_from_seed(d, z);
}

pl_mlkem_t *pl_mlkem768_new_from_private(const uint8_t *dk, size_t dk_len)
{
	pl_mlkem_t *k;

	/* FIPS 203 7.3, checks 2 and 3 */
	if (dk == NULL || dk_len != PL_MLKEM768_DK_LEN ||
	    pl_mlkem768_dk_check(dk) != PL_OK)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (k != NULL)
		memcpy(k->dk, dk, PL_MLKEM768_DK_LEN);
	return k;
}

int pl_mlkem768_public(const pl_mlkem_t *k, uint8_t *out, size_t cap,
		       size_t *len)
{
	if (cap < PL_MLKEM768_EK_LEN)
		return PL_ERR_ARG;
	memcpy(out, k->dk + MLKEM_DK_EK_OFFSET, PL_MLKEM768_EK_LEN);
	*len = PL_MLKEM768_EK_LEN;
	return PL_OK;
}

int pl_mlkem768_encaps_with(const uint8_t *ek, size_t ek_len,
			    const uint8_t m[32],
			    uint8_t ct[PL_MLKEM768_CT_LEN],
			    uint8_t ss[PL_MLKEM_SS_LEN])
{
	/* FIPS 203 7.2: the type check, then the modulus check */
	if (ek == NULL || ek_len != PL_MLKEM768_EK_LEN ||
	    !pl_mlkem768_ek_check(ek))
		return PL_ERR_DECODE;
	return pl_mlkem768_encaps_internal(ek, m, ct, ss);
}

int pl_mlkem768_encaps(const uint8_t *ek, size_t ek_len,
		       uint8_t ct[PL_MLKEM768_CT_LEN],
		       uint8_t ss[PL_MLKEM_SS_LEN])
{
	uint8_t m[32]; /* Algorithm 20, line 1 */
	int err = pl_random(m, sizeof(m));

	if (err == PL_OK)
		err = pl_mlkem768_encaps_with(ek, ek_len, m, ct, ss);
	pl_cleanse(m, sizeof(m));
	return err;
}

int pl_mlkem768_decaps(const pl_mlkem_t *k, const uint8_t *ct, size_t ct_len,
		       uint8_t ss[PL_MLKEM_SS_LEN])
{
	/* FIPS 203 7.3, check 1; the key was checked when it was made */
	if (ct == NULL || ct_len != PL_MLKEM768_CT_LEN)
		return PL_ERR_DECODE;
	return pl_mlkem768_decaps_internal(k->dk, ct, ss);
}

void pl_mlkem_free(pl_mlkem_t *k)
{
	if (k == NULL)
		return;
	pl_cleanse(k, sizeof(*k));
	free(k);
}
