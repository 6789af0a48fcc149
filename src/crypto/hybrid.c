/*
 * X25519MLKEM768 (RFC 10024): the hybrid key exchange of TLS 1.3 as two
 * crypto-level steps, so that the engine only moves key_share bytes.
 * ML-KEM comes first in every concatenation (RFC 10024 4.1-4.3: the order
 * is reversed from RFC 9954's convention, for historical reasons).
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_internal.h"

#define X25519_LEN 32

struct pl_hybrid {
	pl_mlkem_t *mlkem;
	pl_kex_t *x25519;
};

void pl_hybrid_free(pl_hybrid_t *h)
{
	if (h == NULL)
		return;
	pl_mlkem_free(h->mlkem);
	pl_kex_free(h->x25519);
	free(h);
}

/* Takes both key pairs; NULL (and both freed) when either is missing. */
static pl_hybrid_t *hybrid_wrap(pl_mlkem_t *mlkem, pl_kex_t *x25519)
{
	pl_hybrid_t *h = NULL;

	if (mlkem != NULL && x25519 != NULL)
		h = calloc(1, sizeof(*h));
	if (h == NULL) {
		pl_mlkem_free(mlkem);
		pl_kex_free(x25519);
		return NULL;
	}
	h->mlkem = mlkem;
	h->x25519 = x25519;
	return h;
}

pl_hybrid_t *pl_hybrid_client_new(void)
{
	return hybrid_wrap(pl_mlkem768_new(), pl_kex_new(PL_GROUP_X25519));
}

pl_hybrid_t *pl_hybrid_client_new_from(const uint8_t d[32],
				       const uint8_t z[32],
				       const uint8_t x25519_private[32])
{
	return hybrid_wrap(pl_mlkem768_new_from_seed(d, z),
			   pl_kex_new_from_private(PL_GROUP_X25519,
						   x25519_private, X25519_LEN));
}

int pl_hybrid_client_share(const pl_hybrid_t *h, uint8_t *out, size_t cap,
			   size_t *len)
{
	size_t ek_len = 0, x_len = 0;
	int err;

	if (cap < PL_HYBRID_CLIENT_SHARE_LEN)
		return PL_ERR_ARG;
	err = pl_mlkem768_public(h->mlkem, out, cap, &ek_len);
	if (err == PL_OK)
		err = pl_kex_public(h->x25519, out + ek_len, cap - ek_len, &x_len);
	if (err == PL_OK)
		*len = ek_len + x_len;
	return err;
}

int pl_hybrid_client_finish(pl_hybrid_t *h, const uint8_t *server_share,
			    size_t share_len, uint8_t *secret, size_t cap,
			    size_t *secret_len)
{
	size_t x_len = 0;
	int err;

	if (cap < PL_HYBRID_SECRET_LEN)
		return PL_ERR_ARG;
	/* RFC 10024 4.2: the client checks the ciphertext's length */
	if (server_share == NULL || share_len != PL_HYBRID_SERVER_SHARE_LEN)
		return PL_ERR_DECODE;
	err = pl_kex_derive(h->x25519, server_share + PL_MLKEM768_CT_LEN,
			    X25519_LEN, secret + PL_MLKEM_SS_LEN,
			    cap - PL_MLKEM_SS_LEN, &x_len);
	if (err == PL_OK)
		err = pl_mlkem768_decaps(h->mlkem, server_share,
					 PL_MLKEM768_CT_LEN, secret);
	if (err != PL_OK) {
		pl_cleanse(secret, PL_HYBRID_SECRET_LEN);
		return err;
	}
	*secret_len = PL_MLKEM_SS_LEN + x_len;
	return PL_OK;
}

/* The server's side; m and x25519_private, when not NULL, replace the
 * randomness of the encapsulation and of the X25519 key pair. */
static int server_respond(const uint8_t *client_share, size_t share_len,
			  const uint8_t *m, const uint8_t *x25519_private,
			  uint8_t *share, size_t share_cap,
			  size_t *share_out_len, uint8_t *secret,
			  size_t secret_cap, size_t *secret_len)
{
	uint8_t out_share[PL_HYBRID_SERVER_SHARE_LEN];
	uint8_t out_secret[PL_HYBRID_SECRET_LEN];
	size_t x_secret_len = 0, x_public_len = 0;
	pl_kex_t *x25519 = NULL;
	int err = PL_ERR_ARG;

	if (share_cap < PL_HYBRID_SERVER_SHARE_LEN ||
	    secret_cap < PL_HYBRID_SECRET_LEN)
		goto out;
	err = PL_ERR_DECODE;
	if (client_share == NULL || share_len != PL_HYBRID_CLIENT_SHARE_LEN)
		goto out;
	/* RFC 10024 4.2: the encapsulation key check (FIPS 203 7.2) comes
	 * with encapsulation, the X25519 checks with the derivation. */
	if (m != NULL)
		err = pl_mlkem768_encaps_with(client_share, PL_MLKEM768_EK_LEN,
					      m, out_share, out_secret);
	else
		err = pl_mlkem768_encaps(client_share, PL_MLKEM768_EK_LEN,
					 out_share, out_secret);
	if (err != PL_OK)
		goto out;
	x25519 = x25519_private != NULL
			 ? pl_kex_new_from_private(PL_GROUP_X25519,
						   x25519_private, X25519_LEN)
			 : pl_kex_new(PL_GROUP_X25519);
	err = x25519 != NULL ? PL_OK : PL_ERR_CRYPTO;
	if (err == PL_OK)
		err = pl_kex_derive(x25519, client_share + PL_MLKEM768_EK_LEN,
				    X25519_LEN, out_secret + PL_MLKEM_SS_LEN,
				    X25519_LEN, &x_secret_len);
	if (err == PL_OK)
		err = pl_kex_public(x25519, out_share + PL_MLKEM768_CT_LEN,
				    X25519_LEN, &x_public_len);
	if (err != PL_OK)
		goto out;
	memcpy(share, out_share, sizeof(out_share));
	memcpy(secret, out_secret, sizeof(out_secret));
	*share_out_len = sizeof(out_share);
	*secret_len = sizeof(out_secret);
out:
	pl_cleanse(out_secret, sizeof(out_secret));
	pl_kex_free(x25519);
	return err;
}

int pl_hybrid_server_respond(const uint8_t *client_share, size_t share_len,
			     uint8_t *share, size_t share_cap,
			     size_t *share_out_len, uint8_t *secret,
			     size_t secret_cap, size_t *secret_len)
{
	return server_respond(client_share, share_len, NULL, NULL, share,
			      share_cap, share_out_len, secret, secret_cap,
			      secret_len);
}

int pl_hybrid_server_respond_with(const uint8_t *client_share,
				  size_t share_len, const uint8_t m[32],
				  const uint8_t x25519_private[32],
				  uint8_t *share, size_t share_cap,
				  size_t *share_out_len, uint8_t *secret,
				  size_t secret_cap, size_t *secret_len)
{
	return server_respond(client_share, share_len, m, x25519_private,
			      share, share_cap, share_out_len, secret,
			      secret_cap, secret_len);
}
