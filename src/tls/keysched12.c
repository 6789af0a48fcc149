/*
 * The TLS 1.2 key schedule (RFC 5246 5, 6.3, 7.4.9) for the ECDHE AEAD
 * suites: the PRF, the master secret (extended, RFC 7627 4, whenever
 * both sides offer it), the key block, the Finished verify_data, and the
 * NSS key log's CLIENT_RANDOM line.
 */
#include <string.h>

#include "tls/tls_int.h"

#define MASTER_LEN PL_TLS12_MASTER_LEN
#define PRF_SEED_MAX (32 + 2 * 32)

bool pl_tls12_suite_params(uint16_t suite, pl_hash_alg_t *hash,
			   pl_aead_alg_t *aead, bool *ecdsa)
{
	pl_hash_alg_t h = PL_HASH_SHA256;
	pl_aead_alg_t a;
	bool e;
	switch (suite) {
	case PL_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256:
		a = PL_AEAD_AES_128_GCM, e = true;
		break;
	case PL_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384:
		h = PL_HASH_SHA384, a = PL_AEAD_AES_256_GCM, e = true;
		break;
	case PL_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256:
		a = PL_AEAD_CHACHA20_POLY1305, e = true;
		break;
	case PL_TLS_ECDHE_RSA_AES_128_GCM_SHA256:
		a = PL_AEAD_AES_128_GCM, e = false;
		break;
	case PL_TLS_ECDHE_RSA_AES_256_GCM_SHA384:
		h = PL_HASH_SHA384, a = PL_AEAD_AES_256_GCM, e = false;
		break;
	case PL_TLS_ECDHE_RSA_CHACHA20_POLY1305_SHA256:
		a = PL_AEAD_CHACHA20_POLY1305, e = false;
		break;
	default:
		return false;
	}
	if (hash)
		*hash = h;
	if (aead)
		*aead = a;
	if (ecdsa)
		*ecdsa = e;
	return true;
}

bool pl_tls12_group_usable(uint16_t group)
{
	/* RFC 8422 5.1.1 and RFC 10015: elliptic curves only; the hybrid
	 * group is TLS 1.3's. */
	return pl_kex_supported(group) && !pl_kex_is_ffdhe(group);
}

int pl_tls12_prf(pl_hash_alg_t hash, const uint8_t *secret,
		 size_t secret_len, const char *label, const uint8_t *seed,
		 size_t seed_len, uint8_t *out, size_t out_len)
{
	/* RFC 5246 5: P_hash(secret, label + seed), where
	 * A(0) = label + seed, A(i) = HMAC(secret, A(i-1)), and the output
	 * is HMAC(secret, A(1) + label + seed) + HMAC(secret, A(2) + ...). */
	uint8_t a[PL_HASH_MAX + PRF_SEED_MAX], block[PL_HASH_MAX];
	size_t hl = pl_hash_len(hash), label_len = strlen(label);
	size_t ls_len = label_len + seed_len;
	uint8_t *ls = a + hl; /* label + seed, after A(i) */
	int ret = PL_OK;
	if (ls_len > PRF_SEED_MAX)
		return PL_ERR_ARG;
	memcpy(ls, label, label_len);
	memcpy(ls + label_len, seed, seed_len);
	/* A(1) = HMAC(secret, A(0)) */
	ret = pl_hmac(hash, secret, secret_len, ls, ls_len, a);
	for (size_t done = 0; ret == PL_OK && done < out_len; done += hl) {
		size_t n = out_len - done < hl ? out_len - done : hl;
		ret = pl_hmac(hash, secret, secret_len, a, hl + ls_len, block);
		if (ret == PL_OK)
			memcpy(out + done, block, n);
		/* A(i + 1), unless this was the last block */
		if (ret == PL_OK && done + n < out_len)
			ret = pl_hmac(hash, secret, secret_len, a, hl, a);
	}
	pl_cleanse(a, sizeof(a));
	pl_cleanse(block, sizeof(block));
	return ret;
}

/* RFC 5246 6.3 for AEAD suites: two keys and two IVs (no MAC keys). */
static size_t key_block_len(const pl_tls_conn_t *c)
{
	return 2 * pl_aead_key_len(c->aead) + 2 * pl_tls_protect_12.iv_len(c->aead);
}

int pl_tls12_master_secret(pl_tls_conn_t *c, const uint8_t *pms,
			   size_t pms_len)
{
	uint8_t seed[PRF_SEED_MAX];
	size_t seed_len;
	int ret;
	if (c->hs->ems) {
		/* RFC 7627 4: the session hash, the transcript through the
		 * ClientKeyExchange. */
		if ((ret = pl_tls_transcript_hash(c, seed)))
			return ret;
		seed_len = c->hash_len;
	} else {
		memcpy(seed, c->client_random, 32);
		memcpy(seed + 32, c->hs->server_random, 32);
		seed_len = 64;
	}
	ret = pl_tls12_prf(c->hash, pms, pms_len,
			   c->hs->ems ? "extended master secret"
				      : "master secret",
			   seed, seed_len, c->hs->master_secret, MASTER_LEN);
	pl_cleanse(seed, sizeof(seed));
	if (ret)
		return ret;
	return pl_tls12_key_block(c);
}

int pl_tls12_key_block(pl_tls_conn_t *c)
{
	uint8_t seed[64];
	pl_tls_keylog_n(c, "CLIENT_RANDOM", c->hs->master_secret, MASTER_LEN);
	/* RFC 5246 6.3: key_block = PRF(master_secret, "key expansion",
	 * server_random + client_random). */
	memcpy(seed, c->hs->server_random, 32);
	memcpy(seed + 32, c->client_random, 32);
	return pl_tls12_prf(c->hash, c->hs->master_secret, MASTER_LEN,
			    "key expansion", seed, 64, c->hs->key_block,
			    key_block_len(c));
}

int pl_tls12_set_keys(pl_tls_conn_t *c, pl_tls_dir_t *dir, bool client_keys)
{
	/* RFC 5246 6.3 for AEAD suites (no MAC keys): client_write_key,
	 * server_write_key, client_write_IV, server_write_IV; the IV is the
	 * 4-byte GCM salt (RFC 5288 3) or ChaCha20's 12 bytes (RFC 7905). */
	const uint8_t *kb = c->hs->key_block;
	size_t key_len = pl_aead_key_len(c->aead);
	size_t iv_len = pl_tls_protect_12.iv_len(c->aead);
	const uint8_t *key = kb + (client_keys ? 0 : key_len);
	const uint8_t *iv = kb + 2 * key_len + (client_keys ? 0 : iv_len);
	int ret;
	if (key_block_len(c) > sizeof(c->hs->key_block))
		return PL_ERR_ARG;
	if ((ret = pl_tls_protect_rekey(&dir->prot, &pl_tls_protect_12,
					c->aead, key, iv)))
		return ret;
	dir->epoch++;
	return PL_OK;
}

int pl_tls12_verify_data(pl_tls_conn_t *c, bool server, const uint8_t *th,
			 uint8_t out[PL_TLS12_VERIFY_LEN])
{
	/* RFC 5246 7.4.9: PRF(master_secret, finished_label,
	 * Hash(handshake_messages))[0..11]. */
	return pl_tls12_prf(c->hash, c->hs->master_secret, MASTER_LEN,
			    server ? "server finished" : "client finished", th,
			    c->hash_len, out, PL_TLS12_VERIFY_LEN);
}
