/* The runtime a worker serves with: one TLS configuration holding every
 * site's chain (the engine picks by SNI), and the sites by name. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "padlock/x509.h"
#include "server/acme/acme.h"
#include "server/proxy.h"
#include "server/server_int.h"

/* Issue 3, section 3: these findings stop the server (unless
 * --allow-invalid-cert); every other one is logged and it starts. */
static bool refuses_code(const char *code)
{
	static const char *const codes[] = {
		"cert.expired", "cert.not-yet-valid", "key.mismatch",
		"chain.missing-intermediate", "name.none"};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

/* A missing intermediate refuses only when the leaf's own issuer is
 * missing: an intermediate whose issuer is a private root (not in the
 * system store) is a complete chain for that root's clients. */
static bool refuses(const pl_x509_finding_t *x)
{
	if (strcmp(x->code, "chain.missing-intermediate") == 0)
		return x->cert <= 0;
	return refuses_code(x->code);
}

/* Runs the certificate diagnostics on one site's chain. */
static int diagnose(const pl_srv_options_t *o, const pl_srv_site_t *s,
		    const pl_x509_chain_t *chain, const pl_pkey_t *key,
		    const pl_x509_store_t *store, char *err, size_t err_len)
{
	pl_x509_findings_t *f = pl_x509_findings_new();
	pl_x509_diagnose_opts_t d = {.store = store, .key = key,
				     .key_path = s->key_file,
				     .chain_path = s->cert_file};
	const char *name = s->n_names ? s->names[0] : s->cert_file;
	int ret = PL_OK;
	if (f == NULL) {
		snprintf(err, err_len, "out of memory");
		return PL_ERR_NOMEM;
	}
	if ((ret = pl_x509_diagnose(chain, &d, f, err, err_len)))
		goto out;
	for (size_t i = 0; i < pl_x509_findings_count(f); i++) {
		const pl_x509_finding_t *x = pl_x509_findings_get(f, i);
		if (x->severity == PL_X509_SEVERITY_INFO)
			continue;
		if (refuses(x) && !o->allow_invalid_cert) {
			if (ret == PL_OK)
				snprintf(err, err_len,
					 "site %s: %s (%s). Fix: %s", name,
					 x->message, x->code, x->fix);
			ret = PL_ERR_CERT;
			continue;
		}
		pl_srv_log(refuses(x) ? PL_SRV_LOG_ERROR : PL_SRV_LOG_WARN,
			   "site %s: %s (%s). Fix: %s%s", name, x->message,
			   x->code, x->fix,
			   refuses(x) ? " [served anyway: --allow-invalid-cert]"
					    : "");
	}
	/* Each name the site answers to must be on the certificate. */
	for (size_t i = 0; i < s->n_names; i++)
		if (!pl_x509_chain_covers(chain, s->names[i]))
			pl_srv_log(PL_SRV_LOG_WARN,
				   "site %s: the certificate in %s does not "
				   "cover the name %s; browsers will warn "
				   "visitors who use it",
				   name, s->cert_file, s->names[i]);
out:
	pl_x509_findings_free(f);
	return ret;
}

/* A certificate or key that cannot be read: the reason (in err) becomes one
 * sentence with the site, and the way out (issue 4, section 7). */
static int cannot_load(const pl_srv_site_t *s, const char *what, char *err,
		       size_t err_len)
{
	char why[512], site[300] = "";
	snprintf(why, sizeof(why), "%s", err);
	if (s->n_names)
		snprintf(site, sizeof(site), "site %s: ", s->names[0]);
	snprintf(err, err_len,
		 "%scannot load the %s: %s. Fix: give the site its chain in "
		 "PEM, leaf first (--cert), and the key of that leaf (--key); "
		 "for development, 'padlock cert NAME' makes both",
		 site, what, why);
	return PL_ERR_IO;
}

static int load_site(pl_srv_runtime_t *rt, const pl_srv_site_t *s,
		     const pl_x509_store_t *store, char *err, size_t err_len)
{
	int ret;
	pl_x509_chain_t *chain = pl_x509_chain_load_pem(s->cert_file, err,
							err_len);
	if (chain == NULL)
		return cannot_load(s, "certificate chain", err, err_len);
	pl_pkey_t *key = s->key_passphrase_file
				 ? pl_x509_key_load_pem_with_passphrase(
					   s->key_file, s->key_passphrase_file,
					   err, err_len)
				 : pl_x509_key_load_pem(s->key_file, err, err_len);
	if (key == NULL) {
		pl_x509_chain_free(chain);
		return cannot_load(s, "private key", err, err_len);
	}
	if ((ret = diagnose(rt->opts, s, chain, key, store, err, err_len))) {
		pl_x509_chain_free(chain);
		pl_pkey_free(key);
		return ret;
	}
	/* The config takes both, also on failure. */
	if (pl_tls_config_add_chain(rt->tls, chain, key) != PL_OK) {
		snprintf(err, err_len, "%s does not hold the private key of "
			 "the certificate in %s", s->key_file, s->cert_file);
		return PL_ERR_ARG;
	}
	return PL_OK;
}

/* The trust store chains are judged against: the one visitors have (the
 * system's), and the local development CA when there is one, so that a
 * leaf it issued is a whole chain (the CA is the root; `padlock cert`
 * writes the leaf alone). */
static pl_x509_store_t *judging_store(char *err, size_t err_len)
{
	char dir[PATH_MAX], why[256], ca[PATH_MAX + 8];
	const char *system_dir = getenv("SSL_CERT_DIR");

	if (pl_x509_ca_default_dir(dir, sizeof(dir), why, sizeof(why)) != PL_OK ||
	    !pl_x509_ca_exists(dir))
		return pl_x509_store_new(NULL, NULL, err, err_len);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	if (system_dir == NULL || access(system_dir, R_OK | X_OK) != 0)
		system_dir = access("/etc/ssl/certs", R_OK | X_OK) == 0
				     ? "/etc/ssl/certs" : NULL;
	pl_x509_store_t *store = pl_x509_store_new(ca, system_dir, why,
						   sizeof(why));
	/* A local CA this user cannot read is no reason not to serve. */
	return store != NULL ? store : pl_x509_store_new(NULL, NULL, err,
							 err_len);
}

/* The groups --tls-groups may name, as pl_tls_group_name spells them. */
static const uint16_t known_groups[] = {
	PL_GROUP_X25519MLKEM768, PL_GROUP_X25519,    PL_GROUP_SECP256R1,
	PL_GROUP_SECP384R1,      PL_GROUP_SECP521R1, PL_GROUP_X448,
	PL_GROUP_FFDHE2048,      PL_GROUP_FFDHE3072, PL_GROUP_FFDHE4096,
};
#define N_KNOWN_GROUPS (sizeof(known_groups) / sizeof(known_groups[0]))

/* The code point of the group named by len bytes of name (any case);
 * 0 when none. */
static uint16_t group_named(const char *name, size_t len)
{
	for (size_t i = 0; i < N_KNOWN_GROUPS; i++) {
		const char *known = pl_tls_group_name(known_groups[i]);
		if (strlen(known) == len && strncasecmp(known, name, len) == 0)
			return known_groups[i];
	}
	return 0;
}

/* --tls-groups: a comma-separated list of group names. */
static int set_groups(pl_tls_config_t *cfg, const char *list, char *err,
		      size_t err_len)
{
	uint16_t groups[N_KNOWN_GROUPS];
	size_t n = 0;
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");
		uint16_t g = group_named(p, len);
		if (g == 0 || n == N_KNOWN_GROUPS) {
			snprintf(err, err_len, "tls-groups: %s '%.*s' (known: "
				 "X25519MLKEM768, x25519, secp256r1, "
				 "secp384r1, secp521r1, x448, ffdhe2048, "
				 "ffdhe3072, ffdhe4096)",
				 g == 0 ? "unknown group" : "too many groups at",
				 (int)(len < 40 ? len : 40), p);
			return PL_ERR_ARG;
		}
		groups[n++] = g;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (pl_tls_config_set_groups(cfg, groups, n) != PL_OK) {
		snprintf(err, err_len, "tls-groups: '%s' names a group twice",
			 list);
		return PL_ERR_ARG;
	}
	return PL_OK;
}

/* A pool with its own CAs and Host, else the global ones. */
static int make_pool(const pl_srv_options_t *o, const char *urls,
		     const char *ca, const char *host, pl_srv_pool_t **out,
		     char *err, size_t err_len)
{
	int ret = pl_srv_pool_parse(urls, o->proxy_balance,
				    ca ? ca : o->proxy_ca, out, err, err_len);
	if (ret != PL_OK)
		return ret;
	ret = pl_srv_pool_apply_sections(*out, o, err, err_len);
	if (ret == PL_OK && (host || o->proxy_host))
		ret = pl_srv_pool_set_host(*out, host ? host : o->proxy_host, err,
					   err_len);
	if (ret != PL_OK) {
		pl_srv_pool_free(*out);
		*out = NULL;
	}
	return ret;
}

/* The ticket keys: from --ticket-key-file (refused when others may read
 * it), else rotating keys the master makes once and keeps across reloads
 * (each runtime, and so each worker forked with it, gets a copy that
 * ratchets with the clock). */
static int set_tickets(pl_tls_config_t *cfg, const pl_srv_options_t *o,
		       char *err, size_t err_len)
{
	static pl_tls_ticket_keys_t *master_keys;
	static uint32_t master_rotation, master_keep;
	pl_tls_ticket_keys_t *keys = NULL;
	char why[160];
	if (pl_tls_config_set_tickets(cfg, o->tickets, o->ticket_lifetime)) {
		snprintf(err, err_len, "tickets: out of range");
		return PL_ERR_ARG;
	}
	if (o->ticket_key_file != NULL) {
		struct stat st;
		uint8_t text[PL_TLS_TICKET_KEYS_MAX * 80 + 4096];
		int fd = open(o->ticket_key_file, O_RDONLY | O_CLOEXEC);
		ssize_t len = -1;
		if (fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 077)) {
			snprintf(err, err_len, "ticket-key-file: %s may be read "
				 "by others (mode %03o); chmod 600 it",
				 o->ticket_key_file, (unsigned)(st.st_mode & 0777));
			close(fd);
			return PL_ERR_ARG;
		}
		if (fd >= 0)
			len = read(fd, text, sizeof(text));
		if (fd >= 0)
			close(fd);
		if (len < 0 || (size_t)len == sizeof(text)) {
			snprintf(err, err_len, "ticket-key-file: cannot read %s%s",
				 o->ticket_key_file,
				 len > 0 ? " (too long)" : "");
			return PL_ERR_IO;
		}
		int ret = pl_tls_ticket_keys_parse(text, (size_t)len, &keys,
						   why, sizeof(why));
		pl_cleanse(text, sizeof(text));
		if (ret) {
			snprintf(err, err_len, "ticket-key-file: %s: %s",
				 o->ticket_key_file, why);
			return ret;
		}
	} else {
		if (master_keys == NULL || master_rotation != o->ticket_rotation ||
		    master_keep != o->ticket_lifetime) {
			pl_tls_ticket_keys_free(master_keys);
			master_rotation = o->ticket_rotation;
			master_keep = o->ticket_lifetime;
			master_keys = pl_tls_ticket_keys_new(
				o->ticket_rotation, o->ticket_lifetime,
				time(NULL));
		}
		if (pl_tls_ticket_keys_advance(master_keys, time(NULL)) ||
		    (keys = pl_tls_ticket_keys_dup(master_keys)) == NULL) {
			snprintf(err, err_len, "out of memory");
			return PL_ERR_NOMEM;
		}
	}
	pl_tls_config_set_ticket_keys(cfg, keys);
	return PL_OK;
}

int pl_srv_runtime_load(pl_srv_runtime_t *rt, const pl_srv_options_t *o,
			char *err, size_t err_len)
{
	int ret;
	memset(rt, 0, sizeof(*rt));
	rt->opts = o;
	if (o->n_sites == 0) {
		snprintf(err, err_len, "no site is configured");
		return PL_ERR_ARG;
	}
	rt->tls = pl_tls_config_new(true);
	/* http/1.0 last: an HTTP/1.0 client that says so (curl --http1.0)
	 * is answered as HTTP/1.0 is, instead of no_application_protocol */
	if (rt->tls == NULL ||
	    pl_tls_config_set_alpn(rt->tls, o->http2 ? "h2,http/1.1,http/1.0"
						     : "http/1.1,http/1.0") !=
		    PL_OK) {
		snprintf(err, err_len, "out of memory");
		pl_srv_runtime_free(rt);
		return PL_ERR_NOMEM;
	}
	pl_tls_config_set_strict_sni(rt->tls, o->strict_sni);
	pl_tls_config_set_challenge(rt->tls, pl_srv_acme_tlsalpn01, NULL);
	pl_tls_config_set_require_ems(rt->tls, o->tls12_require_ems);
	uint16_t lo, hi;
	if (o->tls_versions != NULL &&
	    (pl_tls_versions_parse(o->tls_versions, &lo, &hi) != PL_OK ||
	     pl_tls_config_set_versions(rt->tls, lo, hi) != PL_OK)) {
		snprintf(err, err_len, "tls-versions: '%s' is not 1.2, 1.3 or "
			 "1.2-1.3 (SSL 3.0, TLS 1.0 and 1.1 are never spoken)",
			 o->tls_versions);
		pl_srv_runtime_free(rt);
		return PL_ERR_ARG;
	}
	if ((ret = set_tickets(rt->tls, o, err, err_len)) ||
	    (o->tls_groups != NULL &&
	     (ret = set_groups(rt->tls, o->tls_groups, err, err_len)))) {
		pl_srv_runtime_free(rt);
		return ret;
	}
	pl_x509_store_t *store = judging_store(err, err_len);
	if (store == NULL) {
		pl_srv_runtime_free(rt);
		return PL_ERR_IO;
	}
	for (size_t i = 0; i < o->n_sites; i++) {
		const pl_srv_site_t *s = &o->sites[i];
		pl_srv_rsite_t *r = &rt->sites[i];
		/* an ACME site without its first certificate yet is not
		 * in the TLS config: its handshakes fail until it is, with
		 * their own alert, never another site's certificate */
		for (size_t j = 0; s->cert_file == NULL && j < s->n_names; j++)
			(void)pl_tls_config_add_pending_name(rt->tls,
							     s->names[j]);
		/* and a name added to a live ACME site, while the stored
		 * certificate serves the names it covers */
		const char *pub[PL_SRV_MAX_NAMES];
		size_t n_pub = s->acme && s->cert_file != NULL
				       ? pl_acme_public_names(s, pub) : 0;
		for (size_t j = 0; j < n_pub; j++)
			(void)pl_tls_config_add_pending_name(rt->tls, pub[j]);
		if (s->cert_file != NULL &&
		    (ret = load_site(rt, s, store, err, err_len))) {
			pl_x509_store_free(store);
			pl_srv_runtime_free(rt);
			return ret;
		}
		r->http.root = s->root;
		r->http.follow_symlinks = o->follow_symlinks;
		r->http.hsts_max_age = o->hsts_max_age;
		r->http.server = "padlock";
		/* empty here; each worker fills its own copy after fork */
		if (s->root != NULL &&
		    (r->http.files = pl_http_files_new(PL_SRV_OPEN_FILES)) == NULL) {
			pl_x509_store_free(store);
			rt->n_sites = i + 1;
			snprintf(err, err_len, "out of memory");
			pl_srv_runtime_free(rt);
			return PL_ERR_NOMEM;
		}
		for (size_t j = 0; j < s->n_names; j++)
			r->names[j] = s->names[j];
		r->n_names = s->n_names;
		const char *urls = s->proxy ? s->proxy : o->proxy;
		if (urls && (ret = make_pool(o, urls, s->proxy_ca, s->proxy_host,
					     &r->pool, err, err_len))) {
			pl_x509_store_free(store);
			rt->n_sites = i + 1;
			pl_srv_runtime_free(rt);
			return ret;
		}
		for (size_t j = 0; j < s->n_locations; j++) {
			r->location_prefix[j] = s->location_prefix[j];
			r->n_locations = j + 1;
			if ((ret = make_pool(o, s->location_proxy[j],
					     s->location_ca[j], s->location_host[j],
					     &r->location_pool[j], err,
					     err_len))) {
				pl_x509_store_free(store);
				rt->n_sites = i + 1;
				pl_srv_runtime_free(rt);
				return ret;
			}
		}
		if (s->root == NULL)
			rt->capture_steps = true;
	}
	pl_x509_store_free(store);
	rt->n_sites = o->n_sites;
	return PL_OK;
}

void pl_srv_runtime_free(pl_srv_runtime_t *rt)
{
	for (size_t i = 0; i < PL_SRV_MAX_SITES; i++) {
		pl_srv_pool_free(rt->sites[i].pool);
		pl_http_files_free(rt->sites[i].http.files);
		for (size_t j = 0; j < rt->sites[i].n_locations; j++)
			pl_srv_pool_free(rt->sites[i].location_pool[j]);
	}
	pl_tls_config_free(rt->tls);
	memset(rt, 0, sizeof(*rt));
}

/* RFC 6125 6.4.3-style: "*.example.com" matches exactly one label. */
static bool name_matches(const char *name, const char *host, size_t len)
{
	if (name[0] == '*' && name[1] == '.') {
		const char *dot = memchr(host, '.', len);
		if (dot == NULL || dot == host)
			return false;
		size_t rest = len - (size_t)(dot - host);
		return strlen(name + 1) == rest &&
		       strncasecmp(name + 1, dot, rest) == 0;
	}
	return strlen(name) == len && strncasecmp(name, host, len) == 0;
}

const pl_srv_rsite_t *pl_srv_site_named(const pl_srv_runtime_t *rt,
					const char *host, size_t len)
{
	if (len > 0 && host[len - 1] == '.') /* absolute form "example.com." */
		len--;
	for (size_t i = 0; host && len && i < rt->n_sites; i++)
		for (size_t j = 0; j < rt->sites[i].n_names; j++)
			if (name_matches(rt->sites[i].names[j], host, len))
				return &rt->sites[i];
	return NULL;
}

const pl_srv_rsite_t *pl_srv_site_for(const pl_srv_runtime_t *rt,
				      const char *host, size_t len)
{
	const pl_srv_rsite_t *named = pl_srv_site_named(rt, host, len);
	if (named)
		return named;
	return &rt->sites[rt->opts->default_site < rt->n_sites
				  ? rt->opts->default_site
				  : 0];
}
