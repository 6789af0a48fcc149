/*
 * The TLS 1.3 key schedule (RFC 8446 7): HKDF-Expand-Label, Derive-Secret,
 * the handshake, application and resumption secrets, traffic keys and IVs,
 * KeyUpdate, Finished keys, and the NSS key log.
 */
#include <stdio.h>
#include <string.h>

#include "tls/tls_int.h"

int pl_tls_expand_label(pl_hash_alg_t hash, const uint8_t *secret,
			const char *label, const uint8_t *context,
			size_t context_len, uint8_t *out, size_t out_len)
{
	/* struct { uint16 length; opaque label<7..255> = "tls13 " + Label;
	 *          opaque context<0..255>; } HkdfLabel; */
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t label_len = strlen(label);
	if (label_len > 249 || context_len > 255 || out_len > 0xffff)
		return PL_ERR_ARG;
	size_t n = 0;
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)(6 + label_len);
	memcpy(info + n, "tls13 ", 6);
	n += 6;
	memcpy(info + n, label, label_len);
	n += label_len;
	info[n++] = (uint8_t)context_len;
	if (context_len)
		memcpy(info + n, context, context_len);
	n += context_len;
	return pl_hkdf_expand(hash, secret, pl_hash_len(hash), info, n, out,
			      out_len);
}

int pl_tls_derive_secret(pl_hash_alg_t hash, const uint8_t *secret,
			 const char *label, const uint8_t *transcript_hash,
			 uint8_t *out)
{
	size_t hl = pl_hash_len(hash);
	return pl_tls_expand_label(hash, secret, label, transcript_hash, hl,
				   out, hl);
}

/* Derive-Secret(secret, "derived", "") */
static int derive_empty(pl_hash_alg_t hash, const uint8_t *secret,
			uint8_t *out)
{
	uint8_t empty[PL_HASH_MAX];
	int ret = pl_hash_once(hash, NULL, 0, empty);
	if (ret == PL_OK)
		ret = pl_tls_derive_secret(hash, secret, "derived", empty, out);
	return ret;
}

int pl_tls_ks_handshake(pl_tls_conn_t *c, const uint8_t *dhe, size_t dhe_len)
{
	uint8_t zeros[PL_HASH_MAX] = {0};
	uint8_t early[PL_HASH_MAX], derived[PL_HASH_MAX], th[PL_HASH_MAX];
	size_t hl = c->hash_len;
	int ret;
	/* Early Secret = HKDF-Extract(0, PSK), zeros without a PSK. */
	const uint8_t *psk = c->hs->psk_len ? c->hs->psk : zeros;
	if ((ret = pl_hkdf_extract(c->hash, NULL, 0, psk, hl, early)) ||
	    (ret = derive_empty(c->hash, early, derived)) ||
	    (ret = pl_hkdf_extract(c->hash, derived, hl, dhe, dhe_len,
				   c->hs->handshake_secret)) ||
	    (ret = pl_tls_transcript_hash(c, th)) ||
	    (ret = pl_tls_derive_secret(c->hash, c->hs->handshake_secret,
					"c hs traffic", th, c->hs->client_hs)) ||
	    (ret = pl_tls_derive_secret(c->hash, c->hs->handshake_secret,
					"s hs traffic", th, c->hs->server_hs)))
		goto out;
	pl_tls_keylog(c, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", c->hs->client_hs);
	pl_tls_keylog(c, "SERVER_HANDSHAKE_TRAFFIC_SECRET", c->hs->server_hs);
out:
	pl_cleanse(early, sizeof(early));
	pl_cleanse(derived, sizeof(derived));
	return ret;
}

int pl_tls_ks_application(pl_tls_conn_t *c, uint8_t *client_ap,
			  uint8_t *server_ap)
{
	uint8_t zeros[PL_HASH_MAX] = {0};
	uint8_t derived[PL_HASH_MAX], th[PL_HASH_MAX], exporter[PL_HASH_MAX];
	int ret;
	if ((ret = derive_empty(c->hash, c->hs->handshake_secret, derived)) ||
	    (ret = pl_hkdf_extract(c->hash, derived, c->hash_len, zeros,
				   c->hash_len, c->hs->master_secret)) ||
	    (ret = pl_tls_transcript_hash(c, th)) ||
	    (ret = pl_tls_derive_secret(c->hash, c->hs->master_secret,
					"c ap traffic", th, client_ap)) ||
	    (ret = pl_tls_derive_secret(c->hash, c->hs->master_secret,
					"s ap traffic", th, server_ap)))
		goto out;
	pl_tls_keylog(c, "CLIENT_TRAFFIC_SECRET_0", client_ap);
	pl_tls_keylog(c, "SERVER_TRAFFIC_SECRET_0", server_ap);
	if (c->cfg->keylog &&
	    (ret = pl_tls_derive_secret(c->hash, c->hs->master_secret,
					"exp master", th, exporter)) == PL_OK)
		pl_tls_keylog(c, "EXPORTER_SECRET", exporter);
	/* The handshake secret is no longer needed. */
	pl_cleanse(c->hs->handshake_secret, sizeof(c->hs->handshake_secret));
out:
	pl_cleanse(derived, sizeof(derived));
	pl_cleanse(exporter, sizeof(exporter));
	return ret;
}

int pl_tls_ks_resumption(pl_tls_conn_t *c)
{
	uint8_t th[PL_HASH_MAX];
	int ret = pl_tls_transcript_hash(c, th);
	if (ret == PL_OK)
		ret = pl_tls_derive_secret(c->hash, c->hs->master_secret,
					   "res master", th,
					   c->resumption_secret);
	pl_cleanse(c->hs->master_secret, sizeof(c->hs->master_secret));
	return ret;
}

int pl_tls_set_keys(pl_tls_conn_t *c, pl_tls_dir_t *dir,
		    const uint8_t *secret, bool application)
{
	uint8_t key[PL_AEAD_KEY_MAX], iv[PL_AEAD_NONCE_LEN];
	size_t key_len = pl_aead_key_len(c->aead);
	int ret;
	if (secret != dir->secret)
		memcpy(dir->secret, secret, c->hash_len);
	if ((ret = pl_tls_expand_label(c->hash, secret, "key", NULL, 0, key,
				       key_len)) ||
	    (ret = pl_tls_expand_label(c->hash, secret, "iv", NULL, 0, iv,
				       PL_AEAD_NONCE_LEN)) ||
	    (ret = pl_tls_protect_rekey(&dir->prot, &pl_tls_protect_13,
					c->aead, key, iv)))
		goto out;
	dir->epoch++;
	dir->application = application;
out:
	pl_cleanse(key, sizeof(key));
	pl_cleanse(iv, sizeof(iv));
	return ret;
}

int pl_tls_update_keys(pl_tls_conn_t *c, pl_tls_dir_t *dir)
{
	uint8_t next[PL_HASH_MAX];
	int ret = pl_tls_expand_label(c->hash, dir->secret, "traffic upd",
				      NULL, 0, next, c->hash_len);
	if (ret == PL_OK)
		ret = pl_tls_set_keys(c, dir, next, true);
	pl_cleanse(next, sizeof(next));
	return ret;
}

int pl_tls_finished_mac(pl_tls_conn_t *c, const uint8_t *base_key,
			uint8_t *out)
{
	uint8_t finished_key[PL_HASH_MAX];
	int ret = pl_tls_expand_label(c->hash, base_key, "finished", NULL, 0,
				      finished_key, c->hash_len);
	if (ret == PL_OK)
		ret = pl_hmac(c->hash, finished_key, c->hash_len, c->hs->pre_hash,
			      c->hash_len, out);
	pl_cleanse(finished_key, sizeof(finished_key));
	return ret;
}

void pl_tls_keylog(pl_tls_conn_t *c, const char *label,
		   const uint8_t *secret)
{
	pl_tls_keylog_n(c, label, secret, c->hash_len);
}

void pl_tls_keylog_n(pl_tls_conn_t *c, const char *label,
		     const uint8_t *secret, size_t len)
{
	/* NSS key log format: LABEL <client_random hex> <secret hex> */
	char line[64 + 1 + 64 + 1 + 2 * PL_HASH_MAX + 1];
	static const char hex[] = "0123456789abcdef";
	if (c->cfg->keylog == NULL)
		return;
	int n = snprintf(line, sizeof(line), "%s ", label);
	if (n < 0 || len > PL_HASH_MAX ||
	    (size_t)n + 64 + 1 + 2 * len >= sizeof(line))
		return;
	char *p = line + n;
	for (size_t i = 0; i < 32; i++) {
		*p++ = hex[c->client_random[i] >> 4];
		*p++ = hex[c->client_random[i] & 15];
	}
	*p++ = ' ';
	for (size_t i = 0; i < len; i++) {
		*p++ = hex[secret[i] >> 4];
		*p++ = hex[secret[i] & 15];
	}
	*p = 0;
	c->cfg->keylog(c->cfg->keylog_arg, line);
	pl_cleanse(line, sizeof(line));
}
