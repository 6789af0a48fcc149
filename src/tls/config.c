/* pl_tls_config_t: built once, then shared read-only by connections. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tls/tls_int.h"

/* Signature schemes offered by a client and accepted in CertificateVerify,
 * in preference order. rsa_pkcs1_* is offered for certificate signatures
 * only (RFC 8446 4.2.3) and never accepted in CertificateVerify. */
static const uint16_t default_schemes[] = {
	PL_SIG_ECDSA_SECP256R1_SHA256, PL_SIG_RSA_PSS_RSAE_SHA256,
	PL_SIG_ED25519,                PL_SIG_ECDSA_SECP384R1_SHA384,
	PL_SIG_RSA_PSS_RSAE_SHA384,    PL_SIG_RSA_PSS_RSAE_SHA512,
	PL_SIG_RSA_PKCS1_SHA256,       PL_SIG_RSA_PKCS1_SHA384,
	PL_SIG_RSA_PKCS1_SHA512,
};

/* Key exchange groups in preference order. */
static const uint16_t default_groups[] = {
	PL_GROUP_X25519MLKEM768, PL_GROUP_X25519,    PL_GROUP_SECP256R1,
	PL_GROUP_SECP384R1,      PL_GROUP_SECP521R1, PL_GROUP_X448,
	PL_GROUP_FFDHE2048,      PL_GROUP_FFDHE3072, PL_GROUP_FFDHE4096,
};

/* TLS 1.2 suites in preference order: ECDSA (smaller, faster to sign)
 * before RSA; AES-GCM or ChaCha20 first as for TLS 1.3. */
static const uint16_t default_suites12_aes[] = {
	PL_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256,
	PL_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384,
	PL_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256,
	PL_TLS_ECDHE_RSA_AES_128_GCM_SHA256,
	PL_TLS_ECDHE_RSA_AES_256_GCM_SHA384,
	PL_TLS_ECDHE_RSA_CHACHA20_POLY1305_SHA256,
};
static const uint16_t default_suites12_chacha[] = {
	PL_TLS_ECDHE_ECDSA_CHACHA20_POLY1305_SHA256,
	PL_TLS_ECDHE_ECDSA_AES_128_GCM_SHA256,
	PL_TLS_ECDHE_ECDSA_AES_256_GCM_SHA384,
	PL_TLS_ECDHE_RSA_CHACHA20_POLY1305_SHA256,
	PL_TLS_ECDHE_RSA_AES_128_GCM_SHA256,
	PL_TLS_ECDHE_RSA_AES_256_GCM_SHA384,
};

static void default_suites12(pl_tls_config_t *cfg)
{
	const uint16_t *v = pl_crypto_has_aes_hw() ? default_suites12_aes
						   : default_suites12_chacha;
	memcpy(cfg->suites12, v, sizeof(default_suites12_aes));
	cfg->n_suites12 = PL_TLS_MAX_SUITES12;
}

pl_tls_config_t *pl_tls_config_new(bool is_server)
{
	if (pl_crypto_init() != PL_OK)
		return NULL;
	pl_tls_config_t *cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return NULL;
	cfg->is_server = is_server;
	/* Prefer AES-GCM where the CPU accelerates it, ChaCha20 otherwise. */
	if (pl_crypto_has_aes_hw()) {
		cfg->suites[0] = PL_TLS_AES_128_GCM_SHA256;
		cfg->suites[1] = PL_TLS_AES_256_GCM_SHA384;
		cfg->suites[2] = PL_TLS_CHACHA20_POLY1305_SHA256;
	} else {
		cfg->suites[0] = PL_TLS_CHACHA20_POLY1305_SHA256;
		cfg->suites[1] = PL_TLS_AES_128_GCM_SHA256;
		cfg->suites[2] = PL_TLS_AES_256_GCM_SHA384;
	}
	cfg->n_suites = 3;
	default_suites12(cfg);
	cfg->min_version = PL_TLS_VERSION_12;
	cfg->max_version = PL_TLS_VERSION_13;
	/* A server takes every group padlock implements, the post-quantum
	 * hybrid X25519MLKEM768, x25519 and P-256 first; a client offers
	 * the first four (with shares for the first two, tls13_client.c). */
	cfg->n_groups = is_server ? sizeof(default_groups) /
					    sizeof(default_groups[0])
				  : 4;
	memcpy(cfg->groups, default_groups,
	       cfg->n_groups * sizeof(default_groups[0]));
	memcpy(cfg->schemes, default_schemes, sizeof(default_schemes));
	cfg->n_schemes = sizeof(default_schemes) / sizeof(default_schemes[0]);
	cfg->verify = true;
	cfg->record_size_limit = PL_TLS_MAX_PLAINTEXT + 1;
	cfg->tickets = 2;
	cfg->ticket_lifetime = 86400;
	/* A server seals its tickets under one random key of its own until
	 * the caller sets rotating or shared keys. */
	if (is_server) {
		uint8_t secret[1][32];
		if (pl_random(secret[0], 32) == PL_OK)
			cfg->ticket_keys = pl_tls_ticket_keys_list(
				(const uint8_t(*)[32])secret, 1);
		pl_cleanse(secret, sizeof(secret));
		if (cfg->ticket_keys == NULL) {
			pl_tls_config_free(cfg);
			return NULL;
		}
	}
	return cfg;
}

void pl_tls_config_free(pl_tls_config_t *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->n_chains; i++) {
		pl_x509_chain_free(cfg->chains[i].chain);
		pl_pkey_free(cfg->chains[i].key);
	}
	pl_x509_store_free(cfg->store);
	for (size_t i = 0; i < cfg->n_pending; i++)
		free(cfg->pending[i]);
	pl_tls_ticket_keys_free(cfg->ticket_keys);
	free(cfg);
}

void pl_tls_config_set_ticket_keys(pl_tls_config_t *cfg,
				   pl_tls_ticket_keys_t *keys)
{
	pl_tls_ticket_keys_free(cfg->ticket_keys);
	cfg->ticket_keys = keys;
}

pl_tls_ticket_keys_t *pl_tls_config_ticket_keys(pl_tls_config_t *cfg)
{
	return cfg->ticket_keys;
}

int pl_tls_config_set_tickets(pl_tls_config_t *cfg, unsigned count,
			      uint32_t lifetime)
{
	if (count > 8 || lifetime == 0 || lifetime > PL_TLS_TICKET_LIFETIME_MAX)
		return PL_ERR_ARG;
	cfg->tickets = count;
	cfg->ticket_lifetime = lifetime;
	return PL_OK;
}

void pl_tls_config_set_psk_ke(pl_tls_config_t *cfg, bool on)
{
	cfg->psk_ke = on;
}

void pl_tls_config_set_client_tickets12(pl_tls_config_t *cfg, bool on)
{
	cfg->no_tickets12 = !on;
}

int pl_tls_config_add_chain(pl_tls_config_t *cfg, pl_x509_chain_t *chain,
			    pl_pkey_t *key)
{
	if (cfg == NULL || chain == NULL || key == NULL ||
	    cfg->n_chains == PL_TLS_MAX_CHAINS ||
	    pl_x509_chain_count(chain) == 0 || !pl_pkey_is_private(key) ||
	    !pl_x509_key_matches(chain, key)) {
		pl_x509_chain_free(chain);
		pl_pkey_free(key);
		return PL_ERR_ARG;
	}
	cfg->chains[cfg->n_chains].chain = chain;
	cfg->chains[cfg->n_chains].key = key;
	cfg->n_chains++;
	return PL_OK;
}

void pl_tls_config_set_trust(pl_tls_config_t *cfg, pl_x509_store_t *store)
{
	pl_x509_store_free(cfg->store);
	cfg->store = store;
}

void pl_tls_config_set_verify(pl_tls_config_t *cfg, bool verify)
{
	cfg->verify = verify;
}

int pl_tls_config_set_alpn(pl_tls_config_t *cfg, const char *list)
{
	pl_buf_t b = PL_BUF_INIT;
	const char *p = list;
	int ret = PL_ERR_ARG;
	if (list == NULL || *list == 0) {
		cfg->alpn_len = 0;
		return PL_OK;
	}
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || n > 255)
			goto out;
		pl_push_u8(&b, (uint8_t)n);
		pl_push_bytes(&b, p, n);
		p += n;
		if (*p == ',')
			p++;
	}
	if (pl_buf_error(&b) || pl_buf_size(&b) > sizeof(cfg->alpn_wire))
		goto out;
	memcpy(cfg->alpn_wire, pl_buf_head(&b), pl_buf_size(&b));
	cfg->alpn_len = pl_buf_size(&b);
	ret = PL_OK;
out:
	pl_buf_free(&b);
	return ret;
}

static bool suite_ok(uint16_t v)
{
	return pl_tls_suite_params(v, NULL, NULL) ||
	       pl_tls12_suite_params(v, NULL, NULL, NULL);
}

static bool scheme_ok(uint16_t v)
{
	for (size_t i = 0; i < sizeof(default_schemes) / sizeof(default_schemes[0]); i++)
		if (default_schemes[i] == v)
			return true;
	return false;
}

static int set_list(uint16_t *dst, size_t *n_dst, size_t max,
		    const uint16_t *src, size_t n, bool (*ok)(uint16_t))
{
	if (n == 0 || n > max)
		return PL_ERR_ARG;
	for (size_t i = 0; i < n; i++) {
		if (!ok(src[i]))
			return PL_ERR_UNSUPPORTED;
		for (size_t j = 0; j < i; j++)
			if (src[j] == src[i])
				return PL_ERR_ARG;
	}
	memcpy(dst, src, n * sizeof(*src));
	*n_dst = n;
	return PL_OK;
}

static bool is_tls13_suite(uint16_t v)
{
	return pl_tls_suite_params(v, NULL, NULL);
}

static bool is_tls12_suite(uint16_t v)
{
	return pl_tls12_suite_params(v, NULL, NULL, NULL);
}

bool pl_tls_suite_spoken(uint16_t id)
{
	return is_tls13_suite(id) || is_tls12_suite(id);
}

/* The suites of one version out of a mixed list, in its order. */
static size_t pick_suites(const uint16_t *src, size_t n, bool (*ok)(uint16_t),
			  uint16_t *dst)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (ok(src[i]))
			dst[k++] = src[i];
	return k;
}

int pl_tls_config_set_suites(pl_tls_config_t *cfg, const uint16_t *suites,
			     size_t n)
{
	uint16_t v13[PL_TLS_MAX_SUITES + PL_TLS_MAX_SUITES12];
	uint16_t v12[PL_TLS_MAX_SUITES + PL_TLS_MAX_SUITES12];
	uint16_t check[PL_TLS_MAX_SUITES + PL_TLS_MAX_SUITES12];
	size_t n_check;
	int ret = set_list(check, &n_check, PL_TLS_MAX_SUITES +
			   PL_TLS_MAX_SUITES12, suites, n, suite_ok);
	if (ret)
		return ret;
	size_t n13 = pick_suites(suites, n, is_tls13_suite, v13);
	size_t n12 = pick_suites(suites, n, is_tls12_suite, v12);
	if (n13 > PL_TLS_MAX_SUITES)
		return PL_ERR_ARG;
	memcpy(cfg->suites, v13, n13 * sizeof(v13[0]));
	cfg->n_suites = n13;
	memcpy(cfg->suites12, v12, n12 * sizeof(v12[0]));
	cfg->n_suites12 = n12;
	return PL_OK;
}

bool pl_tls_config_speaks(const pl_tls_config_t *cfg, uint16_t version)
{
	size_t suites = version == PL_TLS_VERSION_13 ? cfg->n_suites
						     : cfg->n_suites12;
	return cfg->min_version <= version && version <= cfg->max_version &&
	       suites > 0;
}

int pl_tls_config_set_versions(pl_tls_config_t *cfg, uint16_t min,
			       uint16_t max)
{
	bool min_ok = min == PL_TLS_VERSION_12 || min == PL_TLS_VERSION_13;
	bool max_ok = max == PL_TLS_VERSION_12 || max == PL_TLS_VERSION_13;
	if (!min_ok || !max_ok)
		return PL_ERR_UNSUPPORTED;
	if (min > max)
		return PL_ERR_ARG;
	cfg->min_version = min;
	cfg->max_version = max;
	return PL_OK;
}

/* One version's number, as "1.2" or "TLS1.2" (any case). */
static int version_word(const char *w, size_t n, uint16_t *v)
{
	static const struct {
		const char *name;
		uint16_t version;
	} words[] = {{"1.3", PL_TLS_VERSION_13}, {"1.2", PL_TLS_VERSION_12},
		     {"1.1", PL_TLS_VERSION_11}, {"1.0", PL_TLS_VERSION_10},
		     {"ssl3", PL_TLS_VERSION_SSL30}};
	if (n > 3 && strncasecmp(w, "tls", 3) == 0) {
		w += 3;
		n -= 3;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].name) == n &&
		    strncasecmp(w, words[i].name, n) == 0) {
			*v = words[i].version;
			return *v >= PL_TLS_VERSION_12 ? PL_OK
						       : PL_ERR_UNSUPPORTED;
		}
	return PL_ERR_ARG;
}

int pl_tls_versions_parse(const char *text, uint16_t *min, uint16_t *max)
{
	uint16_t lo = 0xffff, hi = 0;
	bool range = strchr(text, '-') != NULL;
	const char *p = text;
	if (*p == 0)
		return PL_ERR_ARG;
	while (*p) {
		size_t n = strcspn(p, range ? "-" : ",");
		uint16_t v;
		int ret = version_word(p, n, &v);
		if (ret)
			return ret;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		p += n;
		if (*p && *++p == 0)
			return PL_ERR_ARG;
	}
	*min = lo;
	*max = hi;
	return PL_OK;
}

void pl_tls_config_set_require_ems(pl_tls_config_t *cfg, bool on)
{
	cfg->require_ems = on;
}

int pl_tls_config_set_groups(pl_tls_config_t *cfg, const uint16_t *groups,
			     size_t n)
{
	return set_list(cfg->groups, &cfg->n_groups, PL_TLS_MAX_GROUPS, groups,
			n, pl_tls_group_usable);
}

int pl_tls_config_set_sigschemes(pl_tls_config_t *cfg,
				 const uint16_t *schemes, size_t n)
{
	return set_list(cfg->schemes, &cfg->n_schemes, PL_TLS_MAX_SCHEMES,
			schemes, n, scheme_ok);
}

void pl_tls_config_set_status_request(pl_tls_config_t *cfg, bool on)
{
	cfg->status_request = on;
}

int pl_tls_config_add_pending_name(pl_tls_config_t *cfg, const char *name)
{
	if (cfg->n_pending == PL_TLS_MAX_CHAINS || name == NULL ||
	    name[0] == '\0')
		return PL_ERR_ARG;
	cfg->pending[cfg->n_pending] = strdup(name);
	if (cfg->pending[cfg->n_pending] == NULL)
		return PL_ERR_NOMEM;
	cfg->n_pending++;
	return PL_OK;
}

int pl_tls_refuse_pending(pl_tls_conn_t *c)
{
	const pl_tls_config_t *cfg = c->cfg;
	bool pending = false;

	for (size_t i = 0; c->server_name && i < cfg->n_pending; i++)
		pending |= strcasecmp(cfg->pending[i], c->server_name) == 0;
	for (size_t i = 0; pending && i < cfg->n_chains; i++)
		if (pl_x509_chain_covers(cfg->chains[i].chain, c->server_name))
			return PL_OK;
	if (!pending || c->challenge_chain.chain != NULL)
		return PL_OK;
	/* RFC 6066 3: rather than another site's certificate */
	return pl_tls_fail(c, PL_ALERT_UNRECOGNIZED_NAME, "no certificate for "
			   "'%s' yet: the server is still obtaining it from "
			   "its ACME CA", c->server_name);
}

void pl_tls_config_set_strict_sni(pl_tls_config_t *cfg, bool on)
{
	cfg->strict_sni = on;
}

void pl_tls_config_set_require_cookie(pl_tls_config_t *cfg, bool on)
{
	cfg->require_cookie = on;
}

int pl_tls_config_set_record_size_limit(pl_tls_config_t *cfg, uint16_t limit)
{
	if (limit < 64 || limit > PL_TLS_MAX_PLAINTEXT + 1)
		return PL_ERR_ARG;
	cfg->record_size_limit = limit;
	return PL_OK;
}

void pl_tls_config_set_trace(pl_tls_config_t *cfg, pl_tls_trace_fn fn,
			     void *arg)
{
	cfg->trace = fn;
	cfg->trace_arg = arg;
}

void pl_tls_config_set_keylog(pl_tls_config_t *cfg, pl_tls_keylog_fn fn,
			      void *arg)
{
	cfg->keylog = fn;
	cfg->keylog_arg = arg;
}

void pl_tls_config_set_random(pl_tls_config_t *cfg, pl_tls_random_fn fn,
			      void *arg)
{
	cfg->random = fn;
	cfg->random_arg = arg;
}

void pl_tls_config_set_kex(pl_tls_config_t *cfg, pl_tls_kex_fn fn, void *arg)
{
	cfg->kex = fn;
	cfg->kex_arg = arg;
}

void pl_tls_config_set_client_hello(pl_tls_config_t *cfg, pl_tls_hello_fn fn,
				    void *arg)
{
	cfg->client_hello = fn;
	cfg->client_hello_arg = arg;
}

void pl_tls_config_set_challenge(pl_tls_config_t *cfg, pl_tls_challenge_fn fn,
				 void *arg)
{
	cfg->challenge = fn;
	cfg->challenge_arg = arg;
}
