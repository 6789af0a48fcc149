/* Tests that ML-KEM-768 (src/crypto/mlkem.c, mlkem_poly.c) runs in
 * constant time with respect to its secrets: no branch and no memory
 * index depends on them. The ctgrind technique: under valgrind's memcheck
 * the secret inputs are marked undefined (VALGRIND_MAKE_MEM_UNDEFINED);
 * memcheck then reports every conditional jump and every address computed
 * from them, i.e. from anything derived from a secret. Outputs that are
 * public by design (ek, the ciphertext, the shared secret handed to the
 * caller) are marked defined again before the test looks at them.
 *
 * The test re-executes itself under valgrind. A control proves that the
 * method catches a leak: a comparison that branches on a secret byte must
 * add a memcheck error, and nothing else may. Under ASan (valgrind and
 * ASan exclude each other) it runs the same operations without valgrind,
 * checking only their results; the release build of `make test` runs the
 * constant-time check. */
#include <errno.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <valgrind/memcheck.h>

#include "crypto/mlkem_internal.h"
#include "padlock/crypto.h"
#include "test.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define SECRET(p, n) (void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) (void)VALGRIND_MAKE_MEM_DEFINED((p), (n))

static void declassify(const void *p, size_t len)
{
	PUBLIC(p, len);
}

static unsigned long errors(void)
{
	return (unsigned long)VALGRIND_COUNT_ERRORS;
}

/* The leak the control must catch: returns at the first difference. */
static __attribute__((noinline)) int leaky_compare(const uint8_t *a,
						   const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 1;
	return 0;
}

static void memcheck_reports_a_branch_on_a_secret(void)
{
	uint8_t secret[32] = { 1 }, other[32] = { 2 };
	unsigned long before = errors();
	volatile int r;

	if (!RUNNING_ON_VALGRIND)
		return;
	printf("(the next memcheck report is the control, expected)\n");
	fflush(stdout);
	SECRET(secret, sizeof(secret));
	r = leaky_compare(secret, other, sizeof(secret));
	PUBLIC(secret, sizeof(secret));
	(void)r;
	CHECK(errors() > before);
}

/* Key generation, encapsulation, and decapsulation of a valid and of a
 * tampered ciphertext, with every secret input undefined. */
static void mlkem768_has_no_secret_dependent_branch_or_index(void)
{
	uint8_t d[32], z[32], m[32], ek[PL_MLKEM768_EK_LEN];
	uint8_t dk[PL_MLKEM768_DK_LEN], ct[PL_MLKEM768_CT_LEN];
	uint8_t ss[PL_MLKEM_SS_LEN], ss2[PL_MLKEM_SS_LEN], ss3[PL_MLKEM_SS_LEN];
	uint8_t z_c[32 + PL_MLKEM768_CT_LEN], j[32];
	unsigned long before = errors();

	CHECK_EQ_INT(pl_random(d, sizeof(d)), PL_OK);
	CHECK_EQ_INT(pl_random(z, sizeof(z)), PL_OK);
	CHECK_EQ_INT(pl_random(m, sizeof(m)), PL_OK);

	/* KeyGen: d and z secret; ek is public once made. */
	SECRET(d, sizeof(d));
	SECRET(z, sizeof(z));
	CHECK_EQ_INT(pl_mlkem768_keygen_internal(d, z, ek, dk), PL_OK);
	PUBLIC(ek, sizeof(ek));
	/* dk's public parts: its copy of ek and H(ek) */
	PUBLIC(dk + MLKEM_DK_EK_OFFSET, MLKEM_DK_Z_OFFSET - MLKEM_DK_EK_OFFSET);
	CHECK_EQ_INT(pl_mlkem768_dk_check(dk), PL_OK);

	/* Encaps: m secret. */
	SECRET(m, sizeof(m));
	CHECK_EQ_INT(pl_mlkem768_encaps_with(ek, sizeof(ek), m, ct, ss), PL_OK);
	PUBLIC(ct, sizeof(ct));
	PUBLIC(ss, sizeof(ss));

	/* Decaps: dk_PKE and z secret (still undefined from KeyGen). */
	CHECK_EQ_INT(pl_mlkem768_decaps_internal(dk, ct, ss2), PL_OK);
	PUBLIC(ss2, sizeof(ss2));
	CHECK_MEM(ss, ss2, sizeof(ss));

	/* Implicit rejection: the same path, a different selection. */
	ct[100] ^= 0x10;
	CHECK_EQ_INT(pl_mlkem768_decaps_internal(dk, ct, ss3), PL_OK);
	PUBLIC(ss3, sizeof(ss3));
	PUBLIC(dk, sizeof(dk));
	memcpy(z_c, dk + MLKEM_DK_Z_OFFSET, 32);
	memcpy(z_c + 32, ct, sizeof(ct));
	CHECK(EVP_Digest(z_c, sizeof(z_c), j, NULL, EVP_shake256(), NULL) == 1);
	CHECK_MEM(ss3, j, sizeof(j));

	/* Compression of secret coefficients, on its own. */
	for (uint16_t x = 0; x < MLKEM_Q; x += 97) {
		uint16_t s = x, c;

		SECRET(&s, sizeof(s));
		c = pl_mlkem_compress(s, 1);
		c = (uint16_t)(c + pl_mlkem_compress(s, 10));
		c = (uint16_t)(c + pl_mlkem_decompress(s & 15, 4));
		PUBLIC(&c, sizeof(c));
	}
	CHECK_EQ_INT(errors(), before);
	pl_cleanse(dk, sizeof(dk));
}

#ifndef UNDER_ASAN
/* Runs this program again under valgrind; returns only when it cannot. */
static int run_under_valgrind(char **argv)
{
	char *args[] = { "valgrind", "--quiet", "--tool=memcheck",
			 "--track-origins=yes", argv[0], NULL };

	execvp(args[0], args);
	fprintf(stderr, "cannot run valgrind (%s): scripts/deps.sh installs it\n",
		strerror(errno));
	return 1;
}
#endif

int main(int argc, char **argv)
{
	(void)argc;
#ifndef UNDER_ASAN
	if (!RUNNING_ON_VALGRIND)
		return run_under_valgrind(argv);
#else
	printf("ASan build: checking results only; the constant-time check "
	       "runs under valgrind in the release build\n");
#endif
	pl_mlkem_declassify_hook = declassify;
	RUN(memcheck_reports_a_branch_on_a_secret);
	RUN(mlkem768_has_no_secret_dependent_branch_or_index);
	return test_finish();
}
