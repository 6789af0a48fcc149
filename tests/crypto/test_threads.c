/*
 * The crypto layer under several threads at once, as server workers use
 * it: the first calls race into pl_crypto_init(), and a key shared by a
 * config is used, referenced and released by every thread.
 */
#include <pthread.h>

#include "padlock/crypto.h"
#include "test.h"

#define THREADS 4
#define ROUNDS 50

static pl_pkey_t *shared_key;
static uint8_t want_hmac[32];

/* The first crypto call of each thread: nothing was initialized before. */
static void *first_use(void *arg)
{
	uint8_t out[32];
	long failures = 0;

	(void)arg;
	if (pl_hmac(PL_HASH_SHA256, (const uint8_t *)"key", 3,
		    (const uint8_t *)"data", 4, out) != PL_OK ||
	    memcmp(out, want_hmac, sizeof(out)) != 0)
		failures++;
	return (void *)failures;
}

static long one_round(uint16_t group)
{
	static const uint8_t msg[] = "signed by every worker";
	uint8_t pub[PL_KEX_PUBLIC_MAX], secret_a[PL_KEX_SECRET_MAX];
	uint8_t secret_b[PL_KEX_SECRET_MAX], sig[PL_SIG_MAX];
	size_t pub_len, la, lb, sig_len;
	pl_pkey_t *mine = pl_pkey_ref(shared_key);
	pl_kex_t *a = pl_kex_new(group), *b = pl_kex_new(group);
	long failures = 0;

	if (a == NULL || b == NULL ||
	    pl_kex_public(b, pub, sizeof(pub), &pub_len) != PL_OK ||
	    pl_kex_derive(a, pub, pub_len, secret_a, sizeof(secret_a), &la) != PL_OK ||
	    pl_kex_public(a, pub, sizeof(pub), &pub_len) != PL_OK ||
	    pl_kex_derive(b, pub, pub_len, secret_b, sizeof(secret_b), &lb) != PL_OK ||
	    la != lb || memcmp(secret_a, secret_b, la) != 0)
		failures++;
	if (pl_pkey_sign(mine, PL_SIG_ECDSA_SECP256R1_SHA256, msg, sizeof(msg), sig,
			 sizeof(sig), &sig_len) != PL_OK ||
	    pl_pkey_verify(mine, PL_SIG_ECDSA_SECP256R1_SHA256, msg, sizeof(msg), sig,
			   sig_len) != PL_OK)
		failures++;
	pl_kex_free(a);
	pl_kex_free(b);
	pl_pkey_free(mine);
	return failures;
}

static void *worker(void *arg)
{
	long failures = 0;

	(void)arg;
	for (int i = 0; i < ROUNDS; i++)
		failures += one_round(i % 2 ? PL_GROUP_X25519 : PL_GROUP_SECP256R1);
	return (void *)failures;
}

/* Starts THREADS threads on fn and returns their summed failures, or -1
 * when a thread could not be started. */
static long run_threads(void *(*fn)(void *))
{
	pthread_t t[THREADS];
	long total = 0;
	int started = 0;

	for (; started < THREADS; started++)
		if (pthread_create(&t[started], NULL, fn, NULL) != 0)
			break;
	for (int i = 0; i < started; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		total += (long)ret;
	}
	return started == THREADS ? total : -1;
}

static void first_calls_race_into_init(void)
{
	/* RFC 4231 has no such case; the value is HMAC-SHA256("key",
	 * "data") as computed by `openssl dgst -sha256 -hmac key`. */
	test_unhex("5031fe3d989c6d1537a013fa6e739da23463fdaec3b70137d828e36ace221bd0",
		   want_hmac, sizeof(want_hmac));
	CHECK_EQ_INT(run_threads(first_use), 0);
}

static void workers_share_one_key(void)
{
	shared_key = pl_pkey_generate(PL_PKEY_EC_P256, 0);
	CHECK(shared_key != NULL);
	if (shared_key == NULL)
		return;
	CHECK_EQ_INT(run_threads(worker), 0);
	pl_pkey_free(shared_key);
}

int main(void)
{
	RUN(first_calls_race_into_init);
	RUN(workers_share_one_key);
	return test_finish();
}
