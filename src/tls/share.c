/*
 * Key shares of every group the engine negotiates, so the state machines
 * move bytes and never ask which kind of group they hold. A
 * Diffie-Hellman group (x25519, the NIST curves, x448, ffdhe) is a pl_kex_t
 * on both sides. The hybrid X25519MLKEM768 (RFC 10024) is a key
 * encapsulation: the client sends an encapsulation key, the server
 * encapsulates against it, so the server's side is one step
 * (pl_tls_share_respond) for every group.
 */
#include <string.h>

#include "tls/tls_int.h"

bool pl_tls_group_usable(uint16_t group)
{
	return group == PL_GROUP_X25519MLKEM768 || pl_kex_supported(group);
}

int pl_tls_share_new(pl_tls_conn_t *c, pl_tls_share_t *s, uint16_t group)
{
	memset(s, 0, sizeof(*s));
	s->group = group;
	if (group == PL_GROUP_X25519MLKEM768)
		s->hybrid = pl_hybrid_client_new();
	else
		s->kex = pl_tls_new_kex(c, group);
	return s->hybrid != NULL || s->kex != NULL ? PL_OK : PL_ERR_CRYPTO;
}

int pl_tls_share_public(const pl_tls_share_t *s, uint8_t *out, size_t cap,
			size_t *len)
{
	if (s->hybrid != NULL)
		return pl_hybrid_client_share(s->hybrid, out, cap, len);
	return pl_kex_public(s->kex, out, cap, len);
}

int pl_tls_share_finish(pl_tls_share_t *s, const uint8_t *peer,
			size_t peer_len, uint8_t *secret, size_t cap,
			size_t *secret_len)
{
	if (s->hybrid != NULL)
		return pl_hybrid_client_finish(s->hybrid, peer, peer_len, secret,
					       cap, secret_len);
	return pl_kex_derive(s->kex, peer, peer_len, secret, cap, secret_len);
}

void pl_tls_share_free(pl_tls_share_t *s)
{
	pl_hybrid_free(s->hybrid);
	pl_kex_free(s->kex);
	memset(s, 0, sizeof(*s));
}

/* A Diffie-Hellman group: a fresh key pair, its public key, the secret. */
static int dh_respond(pl_tls_conn_t *c, uint16_t group, const uint8_t *peer,
		      size_t peer_len, uint8_t *pub, size_t pub_cap,
		      size_t *pub_len, uint8_t *secret, size_t secret_cap,
		      size_t *secret_len)
{
	pl_kex_t *k = pl_tls_new_kex(c, group);
	int ret = k != NULL ? PL_OK : PL_ERR_CRYPTO;
	if (ret == PL_OK)
		ret = pl_kex_public(k, pub, pub_cap, pub_len);
	if (ret == PL_OK)
		ret = pl_kex_derive(k, peer, peer_len, secret, secret_cap,
				    secret_len);
	pl_kex_free(k);
	return ret;
}

int pl_tls_share_respond(pl_tls_conn_t *c, uint16_t group,
			 const uint8_t *peer, size_t peer_len, uint8_t *pub,
			 size_t pub_cap, size_t *pub_len, uint8_t *secret,
			 size_t secret_cap, size_t *secret_len)
{
	if (group == PL_GROUP_X25519MLKEM768)
		return pl_hybrid_server_respond(peer, peer_len, pub, pub_cap,
						pub_len, secret, secret_cap,
						secret_len);
	return dh_respond(c, group, peer, peer_len, pub, pub_cap, pub_len,
			  secret, secret_cap, secret_len);
}
