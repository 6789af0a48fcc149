/*
 * The polynomial arithmetic of ML-KEM (FIPS 203 sections 4.2 and 4.3):
 * reduction modulo q, the NTT and its inverse, multiplication in T_q,
 * the byte encodings, compression and centred binomial sampling.
 *
 * Coefficients are kept in [0, q). Everything here may see secrets (the
 * key s, the noise, the message), so nothing branches on or indexes by a
 * coefficient: reductions use multiplications and masks, never a division
 * (whose timing depends on its operands on many CPUs), and the only table
 * lookups (the zetas) are indexed by loop counters.
 */
#include "crypto/mlkem_internal.h"

/* zeta^BitRev7(i) mod q, zeta = 17 (FIPS 203 Appendix A, first table). */
static const uint16_t zetas[128] = {
	1, 1729, 2580, 3289, 2642, 630, 1897, 848,
	1062, 1919, 193, 797, 2786, 3260, 569, 1746,
	296, 2447, 1339, 1476, 3046, 56, 2240, 1333,
	1426, 2094, 535, 2882, 2393, 2879, 1974, 821,
	289, 331, 3253, 1756, 1197, 2304, 2277, 2055,
	650, 1977, 2513, 632, 2865, 33, 1320, 1915,
	2319, 1435, 807, 452, 1438, 2868, 1534, 2402,
	2647, 2617, 1481, 648, 2474, 3110, 1227, 910,
	17, 2761, 583, 2649, 1637, 723, 2288, 1100,
	1409, 2662, 3281, 233, 756, 2156, 3015, 3050,
	1703, 1651, 2789, 1789, 1847, 952, 1461, 2687,
	939, 2308, 2437, 2388, 733, 2337, 268, 641,
	1584, 2298, 2037, 3220, 375, 2549, 2090, 1645,
	1063, 319, 2773, 757, 2099, 561, 2466, 2594,
	2804, 1092, 403, 1026, 1143, 2150, 2775, 886,
	1722, 1212, 1874, 1029, 2110, 2935, 885, 2154,
};

/* floor(zetas[i] 2^16 / q): the quotient estimate of mul_const. */
static const uint16_t zetas_shoup[128] = {
	19, 34037, 50790, 64748, 52011, 12402, 37345, 16694,
	20906, 37778, 3799, 15690, 54846, 64177, 11201, 34372,
	5827, 48172, 26360, 29057, 59964, 1102, 44097, 26241,
	28072, 41223, 10532, 56736, 47109, 56677, 38860, 16162,
	5689, 6516, 64039, 34569, 23564, 45357, 44825, 40455,
	12796, 38919, 49471, 12441, 56401, 649, 25986, 37699,
	45652, 28249, 15886, 8898, 28309, 56460, 30198, 47286,
	52109, 51519, 29155, 12756, 48704, 61224, 24155, 17914,
	334, 54354, 11477, 52149, 32226, 14233, 45042, 21655,
	27738, 52405, 64591, 4586, 14882, 42443, 59354, 60043,
	33525, 32502, 54905, 35218, 36360, 18741, 28761, 52897,
	18485, 45436, 47975, 47011, 14430, 46007, 5275, 12618,
	31183, 45239, 40101, 63390, 7382, 50180, 41144, 32384,
	20926, 6279, 54590, 14902, 41321, 11044, 48546, 51066,
	55200, 21497, 7933, 20198, 22501, 42325, 54629, 17442,
	33899, 23859, 36892, 20257, 41538, 57779, 17422, 42404,
};

/* zeta^(2 BitRev7(i) + 1) mod q (FIPS 203 Appendix A, second table, with
 * its negative entries taken mod q). */
static const uint16_t gammas[128] = {
	17, 3312, 2761, 568, 583, 2746, 2649, 680,
	1637, 1692, 723, 2606, 2288, 1041, 1100, 2229,
	1409, 1920, 2662, 667, 3281, 48, 233, 3096,
	756, 2573, 2156, 1173, 3015, 314, 3050, 279,
	1703, 1626, 1651, 1678, 2789, 540, 1789, 1540,
	1847, 1482, 952, 2377, 1461, 1868, 2687, 642,
	939, 2390, 2308, 1021, 2437, 892, 2388, 941,
	733, 2596, 2337, 992, 268, 3061, 641, 2688,
	1584, 1745, 2298, 1031, 2037, 1292, 3220, 109,
	375, 2954, 2549, 780, 2090, 1239, 1645, 1684,
	1063, 2266, 319, 3010, 2773, 556, 757, 2572,
	2099, 1230, 561, 2768, 2466, 863, 2594, 735,
	2804, 525, 1092, 2237, 403, 2926, 1026, 2303,
	1143, 2186, 2150, 1179, 2775, 554, 886, 2443,
	1722, 1607, 1212, 2117, 1874, 1455, 1029, 2300,
	2110, 1219, 2935, 394, 885, 2444, 2154, 1175,
};

/* x - q when x >= q, else x; for x < 2q. The mask comes from the sign bit
 * of x - q, not from a comparison the compiler could turn into a branch. */
static inline uint16_t reduce_once(uint32_t x)
{
	uint32_t d = x - MLKEM_Q;

	return (uint16_t)(d + (MLKEM_Q & (0u - (d >> 31))));
}

/* x mod q for any 32-bit x (Barrett): floor(2^32 / q) = 1290167 makes the
 * quotient estimate at most one too small, so x - t q lies in [0, 2q). */
static inline uint16_t reduce(uint32_t x)
{
	uint32_t t = (uint32_t)(((uint64_t)x * 1290167u) >> 32);

	return reduce_once(x - t * MLKEM_Q);
}

/* a w mod q, up to one q, for a public constant w with w_shoup =
 * floor(w 2^16 / q) (Shoup): for a < 2^16 the estimate of floor(a w / q)
 * is at most one too small, so the result lies in [0, 2q). 32-bit
 * arithmetic only. */
static inline uint32_t mul_const_lazy(uint32_t a, uint16_t w, uint16_t w_shoup)
{
	uint32_t estimate = (a * w_shoup) >> 16;

	return a * w - estimate * MLKEM_Q;
}

/* x - 2q when x >= 2q, else x; for x < 4q. */
static inline uint32_t reduce_once_2q(uint32_t x)
{
	uint32_t d = x - 2 * MLKEM_Q;

	return d + ((2 * MLKEM_Q) & (0u - (d >> 31)));
}

static inline uint16_t add_mod(uint16_t a, uint16_t b)
{
	return reduce_once((uint32_t)a + b);
}

static inline uint16_t sub_mod(uint16_t a, uint16_t b)
{
	return reduce_once((uint32_t)a + MLKEM_Q - b);
}

/* Compress_d(x) = round(2^d x / q) mod 2^d (4.7). q is odd, so no value
 * lies half-way and round(a / q) = floor((a + (q - 1) / 2) / q); the
 * division by q is a multiplication by ceil(2^35 / q) = 10321340, exact
 * for every numerator below 2^11 q + q (tests/crypto/test_mlkem.c checks
 * all x and d). */
uint16_t pl_mlkem_compress(uint16_t x, unsigned d)
{
	uint32_t numerator = ((uint32_t)x << d) + (MLKEM_Q - 1) / 2;
	uint32_t quotient = (uint32_t)(((uint64_t)numerator * 10321340u) >> 35);

	return (uint16_t)(quotient & ((1u << d) - 1));
}

/* Decompress_d(y) = round(q y / 2^d) (4.8): the half to round up is added
 * before the shift. */
uint16_t pl_mlkem_decompress(uint16_t y, unsigned d)
{
	return (uint16_t)(((uint32_t)y * MLKEM_Q + (1u << (d - 1))) >> d);
}

void pl_mlkem_poly_compress(pl_mlkem_poly_t *p, unsigned d)
{
	for (int i = 0; i < MLKEM_N; i++)
		p->c[i] = pl_mlkem_compress(p->c[i], d);
}

void pl_mlkem_poly_decompress(pl_mlkem_poly_t *p, unsigned d)
{
	for (int i = 0; i < MLKEM_N; i++)
		p->c[i] = pl_mlkem_decompress(p->c[i], d);
}

/* Algorithm 5, ByteEncode_d: the d low bits of each coefficient, least
 * significant first, packed into 32 d bytes. */
void pl_mlkem_poly_encode(const pl_mlkem_poly_t *p, unsigned d, uint8_t *out)
{
	uint32_t bits = 0;
	unsigned have = 0;

	for (int i = 0; i < MLKEM_N; i++) {
		bits |= (uint32_t)p->c[i] << have;
		have += d;
		while (have >= 8) {
			*out++ = (uint8_t)bits;
			bits >>= 8;
			have -= 8;
		}
	}
}

/* Algorithm 6, ByteDecode_d. For d = 12 the value is reduced mod q (one
 * conditional subtraction: 4095 < 2q). */
void pl_mlkem_poly_decode(pl_mlkem_poly_t *p, unsigned d, const uint8_t *in)
{
	uint32_t bits = 0, mask = (1u << d) - 1;
	unsigned have = 0;

	for (int i = 0; i < MLKEM_N; i++) {
		while (have < d) {
			bits |= (uint32_t)*in++ << have;
			have += 8;
		}
		p->c[i] = (uint16_t)(bits & mask);
		if (d == 12)
			p->c[i] = reduce_once(p->c[i]);
		bits >>= d;
		have -= d;
	}
}

/* Algorithm 8, SamplePolyCBD_2, from the 128 bytes of PRF_2: coefficient
 * i is (b[4i] + b[4i+1]) - (b[4i+2] + b[4i+3]) over the input's bits.
 * Adding the word to itself shifted by one sums each pair of bits in
 * place, so every 4 bits of `pairs` hold x (low 2) and y (high 2). */
void pl_mlkem_poly_cbd2(pl_mlkem_poly_t *p, const uint8_t in[128])
{
	for (int w = 0; w < MLKEM_N / 8; w++) {
		uint32_t bits = (uint32_t)in[4 * w] | (uint32_t)in[4 * w + 1] << 8 |
				(uint32_t)in[4 * w + 2] << 16 |
				(uint32_t)in[4 * w + 3] << 24;
		uint32_t pairs = (bits & 0x55555555u) + ((bits >> 1) & 0x55555555u);

		for (int i = 0; i < 8; i++) {
			uint32_t x = (pairs >> (4 * i)) & 3;
			uint32_t y = (pairs >> (4 * i + 2)) & 3;

			p->c[8 * w + i] = reduce_once(x + MLKEM_Q - y);
		}
	}
}

/* Algorithm 9, in place. The sums are left unreduced: each layer adds
 * less than 2q to a coefficient (t < 2q, and the difference is taken plus
 * 2q to stay positive), so after the seven layers every value is below
 * q + 14 q < 2^16, in range for mul_const_lazy, and one reduction at the
 * end makes them canonical. */
void pl_mlkem_poly_ntt(pl_mlkem_poly_t *p)
{
	unsigned k = 1;

	for (unsigned len = 128; len >= 2; len /= 2) {
		for (unsigned start = 0; start < MLKEM_N; start += 2 * len) {
			uint16_t zeta = zetas[k], shoup = zetas_shoup[k];

			k++;
			for (unsigned j = start; j < start + len; j++) {
				uint32_t t = mul_const_lazy(p->c[j + len], zeta,
							    shoup);

				p->c[j + len] = (uint16_t)(p->c[j] + 2 * MLKEM_Q - t);
				p->c[j] = (uint16_t)(p->c[j] + t);
			}
		}
	}
	for (int i = 0; i < MLKEM_N; i++)
		p->c[i] = reduce(p->c[i]);
}

/* Algorithm 10, in place. Values stay below 2q: the sum (below 4q) loses
 * 2q when it reaches it, and the difference, taken plus 2q, goes through
 * mul_const_lazy. */
void pl_mlkem_poly_inverse_ntt(pl_mlkem_poly_t *p)
{
	unsigned k = 127;

	for (unsigned len = 2; len <= 128; len *= 2) {
		for (unsigned start = 0; start < MLKEM_N; start += 2 * len) {
			uint16_t zeta = zetas[k], shoup = zetas_shoup[k];

			k--;
			for (unsigned j = start; j < start + len; j++) {
				uint32_t lo = p->c[j], hi = p->c[j + len];

				p->c[j] = (uint16_t)reduce_once_2q(lo + hi);
				p->c[j + len] = (uint16_t)mul_const_lazy(
					hi + 2 * MLKEM_Q - lo, zeta, shoup);
			}
		}
	}
	for (int i = 0; i < MLKEM_N; i++) /* times 128^-1 mod q */
		p->c[i] = reduce_once(mul_const_lazy(p->c[i], 3303, 65024));
}

/* out = sum of f[i] g[i] for i < k, in T_q (Algorithms 11 and 12: each
 * product of two degree-one residues modulo X^2 - gamma_i). Inputs are
 * canonical; each term adds less than 2 q^2 < 2^25 to a 32-bit sum, so
 * the sums are reduced once, at the end. */
void pl_mlkem_poly_dot(pl_mlkem_poly_t *out, const pl_mlkem_poly_t *f,
		       const pl_mlkem_poly_t *g, int k)
{
	for (int i = 0; i < MLKEM_N / 2; i++) {
		uint32_t c0 = 0, c1 = 0;

		for (int v = 0; v < k; v++) {
			uint32_t a0 = f[v].c[2 * i], a1 = f[v].c[2 * i + 1];
			uint32_t b0 = g[v].c[2 * i], b1 = g[v].c[2 * i + 1];

			c0 += a0 * b0 + (uint32_t)reduce(a1 * b1) * gammas[i];
			c1 += a0 * b1 + a1 * b0;
		}
		out->c[2 * i] = reduce(c0);
		out->c[2 * i + 1] = reduce(c1);
	}
}

void pl_mlkem_poly_add(pl_mlkem_poly_t *p, const pl_mlkem_poly_t *q)
{
	for (int i = 0; i < MLKEM_N; i++)
		p->c[i] = add_mod(p->c[i], q->c[i]);
}

void pl_mlkem_poly_sub(pl_mlkem_poly_t *p, const pl_mlkem_poly_t *q)
{
	for (int i = 0; i < MLKEM_N; i++)
		p->c[i] = sub_mod(p->c[i], q->c[i]);
}
