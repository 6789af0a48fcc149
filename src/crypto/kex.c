/*
 * Ephemeral (EC)DHE for TLS key_share (RFC 8446 4.2.8): X25519 and X448
 * (RFC 7748), ECDH on P-256 / P-384 / P-521 (SEC 1, shared secret =
 * x-coordinate), and finite-field DH in the RFC 7919 groups ffdhe2048,
 * ffdhe3072 and ffdhe4096 (public values and the shared secret padded to
 * the size of p, RFC 8446 4.2.8.1 and 7.4.1).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "crypto/crypto_internal.h"

struct pl_kex {
	uint16_t group;
	EVP_PKEY *pkey;
	size_t public_len;
	uint8_t public_key[PL_KEX_PUBLIC_MAX]; /* key_share encoding */
};

enum group_kind { KIND_ECX, KIND_EC, KIND_FFDHE };

/* Sizes per group: the key_share encoding and the shared secret. name is
 * libcrypto's name of the key type (ECX) or of the group (EC, FFDHE). */
struct group_info {
	uint16_t group;
	size_t public_len;
	size_t secret_len;
	int nid;
	enum group_kind kind;
	const char *name;
};

static const struct group_info groups[] = {
	{ PL_GROUP_X25519, 32, 32, NID_X25519, KIND_ECX, "X25519" },
	{ PL_GROUP_SECP256R1, 65, 32, NID_X9_62_prime256v1, KIND_EC, "P-256" },
	{ PL_GROUP_SECP384R1, 97, 48, NID_secp384r1, KIND_EC, "P-384" },
	{ PL_GROUP_SECP521R1, 133, 66, NID_secp521r1, KIND_EC, "P-521" },
	{ PL_GROUP_X448, 56, 56, NID_X448, KIND_ECX, "X448" },
	{ PL_GROUP_FFDHE2048, 256, 256, NID_ffdhe2048, KIND_FFDHE, "ffdhe2048" },
	{ PL_GROUP_FFDHE3072, 384, 384, NID_ffdhe3072, KIND_FFDHE, "ffdhe3072" },
	{ PL_GROUP_FFDHE4096, 512, 512, NID_ffdhe4096, KIND_FFDHE, "ffdhe4096" },
};

#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

static const struct group_info *group_info(uint16_t group)
{
	for (size_t i = 0; i < N_GROUPS; i++)
		if (groups[i].group == group)
			return &groups[i];
	return NULL;
}

/* Templates of the groups init.c does not make, built once per process
 * (like init.c's, so no key generation looks a group up by name): a key
 * holding only the group's parameters for P-521 and the ffdhe groups, the
 * base point (u = 5, RFC 7748 4.2) as a public key for X448. Indexed as
 * groups[]; NULL where init.c has the template or building failed. */
static EVP_PKEY *more_templates[N_GROUPS];
static pthread_once_t more_once = PTHREAD_ONCE_INIT;

static EVP_PKEY *params_template(const char *type, const char *group)
{
	EVP_PKEY *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);

	if (ctx == NULL || EVP_PKEY_paramgen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_group_name(ctx, group) != 1 ||
	    EVP_PKEY_paramgen(ctx, &params) != 1) {
		EVP_PKEY_free(params);
		params = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return params;
}

static void build_more_templates(void)
{
	static const uint8_t x448_base[56] = { 5 };

	for (size_t i = 0; i < N_GROUPS; i++) {
		const struct group_info *g = &groups[i];
		if (g->group == PL_GROUP_X448)
			more_templates[i] = EVP_PKEY_new_raw_public_key_ex(
				NULL, "X448", NULL, x448_base,
				sizeof(x448_base));
		else if (g->group == PL_GROUP_SECP521R1)
			more_templates[i] = params_template("EC", g->name);
		else if (g->kind == KIND_FFDHE)
			more_templates[i] = params_template("DH", g->name);
	}
	ERR_clear_error();
}

/* The template key for group; NULL if unsupported or init failed. */
static EVP_PKEY *group_template(uint16_t group)
{
	const struct pl_crypto_algs *a = pl_crypto_algs();

	if (a == NULL)
		return NULL;
	switch (group) {
	case PL_GROUP_X25519: return a->x25519;
	case PL_GROUP_SECP256R1: return a->p256;
	case PL_GROUP_SECP384R1: return a->p384;
	default: break;
	}
	if (pthread_once(&more_once, build_more_templates) != 0)
		return NULL;
	for (size_t i = 0; i < N_GROUPS; i++)
		if (groups[i].group == group)
			return more_templates[i];
	return NULL;
}

bool pl_kex_supported(uint16_t group)
{
	return group_info(group) != NULL && group_template(group) != NULL;
}

bool pl_kex_is_ffdhe(uint16_t group)
{
	const struct group_info *info = group_info(group);

	return info != NULL && info->kind == KIND_FFDHE;
}

uint16_t pl_kex_group(const pl_kex_t *k)
{
	return k->group;
}

/* Wraps pkey (taking it) into a pl_kex_t and caches its public encoding.
 * NULL on failure, pkey then freed. */
static pl_kex_t *kex_wrap(uint16_t group, EVP_PKEY *pkey)
{
	const struct group_info *info = group_info(group);
	pl_kex_t *k = NULL;
	size_t len = 0;
	int ok;

	if (pkey == NULL || info == NULL)
		goto fail;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		goto fail;
	k->group = group;
	k->pkey = pkey;
	pkey = NULL;
	if (info->kind == KIND_ECX) {
		len = sizeof(k->public_key);
		ok = EVP_PKEY_get_raw_public_key(k->pkey, k->public_key, &len);
	} else {
		/* The provider encodes points uncompressed by default, which is
		 * what RFC 8446 4.2.8.2 requires, and DH public values padded
		 * to the size of p, as 4.2.8.1 does. */
		ok = EVP_PKEY_get_octet_string_param(
			k->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
			k->public_key, sizeof(k->public_key), &len);
	}
	if (ok != 1 || len != info->public_len ||
	    (info->kind == KIND_EC && k->public_key[0] != 0x04))
		goto fail;
	k->public_len = len;
	return k;
fail:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	pl_kex_free(k);
	return NULL;
}

pl_kex_t *pl_kex_new(uint16_t group)
{
	EVP_PKEY *tmpl = group_template(group);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	pl_kex_t *k = NULL;

	if (tmpl == NULL)
		goto out;
	/* A context made from the template reuses its key manager (no
	 * lookup by name) and, for EC, its curve. */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, tmpl, NULL);
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_keygen(ctx, &pkey) != 1) {
		ERR_clear_error();
		goto out;
	}
	k = kex_wrap(group, pkey);
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* A key pair in tmpl's group (named group) from the private and public
 * keys bld holds. NULL when libcrypto refuses them. */
static EVP_PKEY *import_key_pair(EVP_PKEY *tmpl, OSSL_PARAM_BLD *bld,
				 const char *group)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    group, 0) != 1)
		return NULL;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, tmpl, NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	/* A private key from secure memory was copied by the builder into
	 * the secure block that OSSL_PARAM_free wipes. */
	OSSL_PARAM_free(params);
	return pkey;
}

/* An EC key pair from the big-endian scalar priv: Q = priv * G computed
 * here, then both imported. NULL on failure or a scalar out of [1, n-1]. */
static EVP_PKEY *ec_from_private(const struct group_info *info,
				 EVP_PKEY *tmpl, const uint8_t *priv,
				 size_t len)
{
	uint8_t point[PL_KEX_PUBLIC_MAX];
	const char *name = OBJ_nid2sn(info->nid);
	EC_GROUP *group = NULL;
	BN_CTX *bn_ctx = NULL;
	BIGNUM *scalar = NULL;
	EC_POINT *q = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	size_t point_len;

	if (len != info->secret_len || name == NULL)
		goto out;
	group = EC_GROUP_new_by_curve_name_ex(NULL, NULL, info->nid);
	bn_ctx = BN_CTX_secure_new();
	scalar = BN_secure_new();
	q = group != NULL ? EC_POINT_new(group) : NULL;
	if (group == NULL || bn_ctx == NULL || scalar == NULL || q == NULL ||
	    BN_bin2bn(priv, (int)len, scalar) == NULL)
		goto out;
	if (BN_is_zero(scalar) ||
	    BN_cmp(scalar, EC_GROUP_get0_order(group)) >= 0)
		goto out;
	if (EC_POINT_mul(group, q, scalar, NULL, NULL, bn_ctx) != 1)
		goto out;
	point_len = EC_POINT_point2oct(group, q, POINT_CONVERSION_UNCOMPRESSED,
				       point, sizeof(point), bn_ctx);
	if (point_len != info->public_len)
		goto out;

	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, scalar) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					     point, point_len) != 1)
		goto out;
	pkey = import_key_pair(tmpl, bld, name);
out:
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(q);
	BN_clear_free(scalar);
	BN_CTX_free(bn_ctx);
	EC_GROUP_free(group);
	return pkey;
}

/* A DH key pair in tmpl's group from the big-endian exponent priv, its
 * public value g^priv mod p computed here (in constant time). NULL on
 * failure or an exponent outside 1..p-1. */
static EVP_PKEY *dh_from_private(EVP_PKEY *tmpl, const uint8_t *priv,
				 size_t len)
{
	BN_CTX *bn_ctx = BN_CTX_secure_new();
	BIGNUM *x = BN_secure_new(), *y = BN_new(), *p = NULL, *g = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	char group[32];

	if (bn_ctx == NULL || x == NULL || y == NULL || len == 0 ||
	    BN_bin2bn(priv, (int)len, x) == NULL || BN_is_zero(x))
		goto out;
	BN_set_flags(x, BN_FLG_CONSTTIME);
	if (EVP_PKEY_get_bn_param(tmpl, OSSL_PKEY_PARAM_FFC_P, &p) != 1 ||
	    EVP_PKEY_get_bn_param(tmpl, OSSL_PKEY_PARAM_FFC_G, &g) != 1 ||
	    EVP_PKEY_get_utf8_string_param(tmpl, OSSL_PKEY_PARAM_GROUP_NAME,
					   group, sizeof(group), NULL) != 1 ||
	    BN_cmp(x, p) >= 0 || BN_mod_exp(y, g, x, p, bn_ctx) != 1)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) != 1)
		goto out;
	pkey = import_key_pair(tmpl, bld, group);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(g);
	BN_free(y);
	BN_clear_free(x);
	BN_CTX_free(bn_ctx);
	return pkey;
}

pl_kex_t *pl_kex_new_from_private(uint16_t group, const uint8_t *priv,
				  size_t len)
{
	const struct group_info *info = group_info(group);
	EVP_PKEY *tmpl = group_template(group);
	EVP_PKEY *pkey = NULL;

	if (info == NULL || tmpl == NULL)
		return NULL;
	if (info->kind == KIND_ECX) {
		if (len == info->secret_len)
			pkey = EVP_PKEY_new_raw_private_key_ex(NULL, info->name,
							       NULL, priv, len);
	} else if (info->kind == KIND_EC) {
		pkey = ec_from_private(info, tmpl, priv, len);
	} else {
		pkey = dh_from_private(tmpl, priv, len);
	}
	if (pkey == NULL) {
		ERR_clear_error();
		return NULL;
	}
	return kex_wrap(group, pkey);
}

int pl_kex_public(const pl_kex_t *k, uint8_t *out, size_t cap, size_t *len)
{
	if (cap < k->public_len)
		return PL_ERR_ARG;
	memcpy(out, k->public_key, k->public_len);
	*len = k->public_len;
	return PL_OK;
}

/* The peer's key_share as a key, checked to be a valid point; NULL when it
 * is not (the error queue is then cleared). */
static EVP_PKEY *peer_key(const pl_kex_t *k, const struct group_info *info,
			  const uint8_t *peer, size_t peer_len)
{
	EVP_PKEY_CTX *check = NULL;
	EVP_PKEY *pkey = NULL;
	int ok = 0;

	/* RFC 8446 4.2.8.1-2: every group's share has one length (DH values
	 * padded to the size of p). */
	if (peer_len != info->public_len)
		goto out;
	/* RFC 8446 4.2.8.2: NIST points are sent uncompressed, nothing else. */
	if (info->kind == KIND_EC && peer[0] != 0x04)
		goto out;
	/* A copy of the group's template takes the peer's public key; for EC,
	 * decoding the point already checks that it lies on the curve. */
	pkey = EVP_PKEY_dup(group_template(k->group));
	if (pkey == NULL ||
	    EVP_PKEY_set1_encoded_public_key(pkey, peer, peer_len) != 1)
		goto out;
	if (info->kind != KIND_ECX) {
		/* SP 800-56A 5.6.2.3.4 partial validation (on the curve, not
		 * the point at infinity, coordinates in range) is enough on
		 * these cofactor-1 curves; for DH it is RFC 8446 4.2.8.1's
		 * 1 < Y < p - 1 (SP 800-56A 5.6.2.3.2). */
		check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		if (check == NULL || EVP_PKEY_public_check_quick(check) != 1)
			goto out;
	}
	ok = 1;
out:
	EVP_PKEY_CTX_free(check);
	if (!ok) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
		ERR_clear_error();
	}
	return pkey;
}

/* True when the len bytes at p are all zero, in constant time. */
static bool all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

int pl_kex_derive(pl_kex_t *k, const uint8_t *peer, size_t peer_len,
		  uint8_t *secret, size_t cap, size_t *len)
{
	const struct group_info *info = group_info(k->group);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *peer_pkey = NULL;
	size_t secret_len;
	int err = PL_ERR_ARG;

	if (info == NULL || cap < info->secret_len)
		goto out;
	err = PL_ERR_DECODE;
	peer_pkey = peer_key(k, info, peer, peer_len);
	if (peer_pkey == NULL)
		goto out;
	err = PL_ERR_CRYPTO;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	/* The peer was validated above: no second check in set_peer. */
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, peer_pkey, 0) != 1)
		goto out;
	/* RFC 8446 7.4.1: Z left-padded with zeros to the size of p. */
	if (info->kind == KIND_FFDHE && EVP_PKEY_CTX_set_dh_pad(ctx, 1) != 1)
		goto out;
	secret_len = info->secret_len;
	if (EVP_PKEY_derive(ctx, secret, &secret_len) != 1) {
		/* RFC 7748 6: libcrypto refuses an all-zero X25519 or X448
		 * result (a small-order peer key); that is the peer's fault. */
		if (info->kind == KIND_ECX)
			err = PL_ERR_DECODE;
		goto out;
	}
	if (secret_len != info->secret_len)
		goto out;
	if (info->kind == KIND_ECX && all_zero(secret, secret_len)) {
		err = PL_ERR_DECODE;
		goto out;
	}
	*len = secret_len;
	err = PL_OK;
out:
	if (err != PL_OK && err != PL_ERR_ARG)
		pl_cleanse(secret, info->secret_len);
	if (err != PL_OK)
		ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer_pkey);
	return err;
}

void pl_kex_free(pl_kex_t *k)
{
	if (k == NULL)
		return;
	/* libcrypto wipes the private key when the key is freed. */
	EVP_PKEY_free(k->pkey);
	pl_cleanse(k, sizeof(*k));
	free(k);
}
