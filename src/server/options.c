/*
 * pl_srv_options_t: the table of settings, defaults and freeing.
 *
 * Every global setting of `padlock serve` is one row of the table below:
 * the command line (src/cli/serve.c) and the configuration file (config.c)
 * both set it through pl_srv_option_set(), so a value one accepts the other
 * accepts too, with the same range and the same words in the error.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "server/acme/acme.h"
#include "server/server_int.h"

#define FIELD(f) offsetof(pl_srv_options_t, f), sizeof(((pl_srv_options_t *)0)->f)
#define BOTH (PL_SRV_OPT_CLI | PL_SRV_OPT_FILE)

static const char *const sni_choices[] = {"default", "reject", NULL};
static const char *const format_choices[] = {"combined", "json", NULL};
static const char *const onoff_choices[] = {"off", "on", NULL};
static const char *const balance_choices[] = {"round-robin", "least-conn",
					      NULL};
static const char *const level_choices[] = {"error", "warn", "info", "debug",
					    NULL};

static const pl_srv_opt_t table[] = {
	{"https-port", NULL, PL_SRV_OPT_NUMBER, BOTH | PL_SRV_OPT_PORT,
	 1, 65535, 1, NULL, "443", FIELD(https_port), "N", "the HTTPS port"},
	{"http-port", NULL, PL_SRV_OPT_NUMBER, BOTH | PL_SRV_OPT_PORT,
	 0, 65535, 1, NULL, "80", FIELD(http_port), "N",
	 "the redirect listener; 0: none"},
	{"listen", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(listen), "ADDR", "the address to bind (default: every address)"},
	{"unknown-sni", NULL, PL_SRV_OPT_CHOICE, BOTH, 0, 0, 0, sni_choices,
	 "default", FIELD(strict_sni), "default|reject",
	 "a name no site has: the default site, or unrecognized_name"},
	{"tls-groups", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(tls_groups), "LIST",
	 "key exchange groups in preference order (default: every "
	 "group padlock has, X25519MLKEM768 and x25519 first)"},
	{"tls-versions", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(tls_versions), "1.2-1.3|1.3|1.2",
	 "TLS versions spoken (default 1.2-1.3; 1.3 for a TLS 1.3-only site)"},
	{"tls12-require-ems", NULL, PL_SRV_OPT_FLAG, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(tls12_require_ems), NULL,
	 "refuse TLS 1.2 clients without the extended master secret"},
	{"tickets", NULL, PL_SRV_OPT_NUMBER, BOTH, 0, 8, 1, NULL, "2",
	 FIELD(tickets), "N",
	 "TLS 1.3 session tickets sent per handshake; 0: no resumption"},
	{"ticket-lifetime", NULL, PL_SRV_OPT_NUMBER, BOTH, 1, 604800, 1, NULL,
	 "86400", FIELD(ticket_lifetime), "S",
	 "seconds a session ticket resumes (at most 7 days)"},
	{"ticket-rotation", NULL, PL_SRV_OPT_NUMBER, BOTH, 60, 604800, 1, NULL,
	 "43200", FIELD(ticket_rotation), "S",
	 "seconds between ticket keys; an old key opens tickets for one "
	 "lifetime more, then is wiped"},
	{"ticket-key-file", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(ticket_key_file), "FILE",
	 "ticket keys shared by a fleet: one 64-hex-digit key per line, the "
	 "first seals, all open (mode 600; re-read on SIGHUP)"},
	{"workers", NULL, PL_SRV_OPT_NUMBER, BOTH, 1, 256, 1, NULL, NULL,
	 FIELD(workers), "N", "worker processes (default: one per core)"},
	{"user", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(user), "NAME", "the workers' user when started as root "
	 "(default: padlock, else nobody)"},
	{"unsafe-root-workers", NULL, PL_SRV_OPT_FLAG, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(unsafe_root_workers), NULL,
	 "allow --user root: the parsers then face the network as root"},
	{"pid-file", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(pid_file), "FILE", "write the master's pid here (default: none)"},
	{"hsts", "hsts-max-age", PL_SRV_OPT_NUMBER, BOTH | PL_SRV_OPT_OFF,
	 0, 1000000000, 1, NULL, "63072000", FIELD(hsts_max_age),
	 "SECONDS|off", "Strict-Transport-Security max-age"},
	{"follow-symlinks", NULL, PL_SRV_OPT_FLAG, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(follow_symlinks), NULL,
	 "follow symbolic links that leave the root"},
	{"max-request-line", NULL, PL_SRV_OPT_NUMBER, BOTH, 1,
	 (long)PL_HTTP_LIMIT_MAX, 1, NULL, "8192", FIELD(limits.max_request_line),
	 "N", "bytes of the request line; over it: 414"},
	{"max-header-bytes", NULL, PL_SRV_OPT_NUMBER, BOTH, 1,
	 (long)PL_HTTP_LIMIT_MAX, 1, NULL, "16384",
	 FIELD(limits.max_header_bytes), "N",
	 "bytes of the header fields; over it: 431"},
	{"max-header-count", NULL, PL_SRV_OPT_NUMBER, BOTH, 1,
	 (long)PL_HTTP_LIMIT_MAX, 1, NULL, "100",
	 FIELD(limits.max_header_count), "N", "header fields; over it: 431"},
	{"max-body", NULL, PL_SRV_OPT_NUMBER, BOTH, 0, LONG_MAX, 1, NULL,
	 "1048576", FIELD(limits.max_body), "N",
	 "bytes of a request body; over it: 413"},
	{"handshake-timeout", NULL, PL_SRV_OPT_NUMBER, BOTH, 1, 86400, 1000,
	 NULL, "10", FIELD(handshake_timeout_ms), "S",
	 "seconds from the accept to the end of the handshake"},
	{"header-timeout", NULL, PL_SRV_OPT_NUMBER, BOTH, 1, 86400, 1000, NULL,
	 "10", FIELD(header_timeout_ms), "S",
	 "seconds for a request's headers; then 408"},
	{"idle-timeout", NULL, PL_SRV_OPT_NUMBER, BOTH, 1, 86400, 1000, NULL,
	 "60", FIELD(idle_timeout_ms), "S",
	 "seconds between keep-alive requests, and for a stalled reader"},
	{"shutdown-timeout", NULL, PL_SRV_OPT_NUMBER, BOTH, 1, 86400, 1000,
	 NULL, "10", FIELD(shutdown_timeout_ms), "S",
	 "seconds a graceful stop waits for connections"},
	{"max-connections", NULL, PL_SRV_OPT_NUMBER, BOTH, 1, 1000000, 1, NULL,
	 "10000", FIELD(max_conns), "N", "connections per worker"},
	{"access-log", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(access_log), "FILE|off", "the access log (default: stderr)"},
	{"error-log", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(error_log), "FILE", "the error log (default: stderr)"},
	{"log-format", NULL, PL_SRV_OPT_CHOICE, BOTH, 0, 0, 0, format_choices,
	 "combined", FIELD(log_format), "combined|json",
	 "the access log's format"},
	{"log-level", NULL, PL_SRV_OPT_CHOICE, BOTH, 0, 0, 0, level_choices,
	 "info", FIELD(log_level), "error|warn|info|debug",
	 "what the error log says"},
	{"http2", NULL, PL_SRV_OPT_CHOICE, BOTH, 0, 0, 0, onoff_choices, "on",
	 FIELD(http2), "on|off", "offer HTTP/2 (ALPN h2) beside HTTP/1.1"},
	{"h2-max-streams", NULL, PL_SRV_OPT_NUMBER, BOTH, 1, 10000, 1, NULL,
	 "100", FIELD(h2_max_streams), "N",
	 "HTTP/2 streams open at once on a connection"},
	{"h2-max-header-list", NULL, PL_SRV_OPT_NUMBER, BOTH, 1024, 1048576, 1,
	 NULL, "32768", FIELD(h2_max_header_list), "N",
	 "bytes of a decoded HTTP/2 header list (RFC 9113 6.5.2); over it: 431"},
	{"h2-window", NULL, PL_SRV_OPT_NUMBER, BOTH, 1024, 2147483647, 1, NULL,
	 "65535", FIELD(h2_window), "N",
	 "the HTTP/2 initial flow-control window of a stream, in bytes"},
	{"h2-max-frame", NULL, PL_SRV_OPT_NUMBER, BOTH, 16384, 16777215, 1, NULL,
	 "16384", FIELD(h2_max_frame), "N",
	 "the largest HTTP/2 frame payload we accept, in bytes"},
	{"acme-ca", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(acme.ca), "URL", "the ACME directory of the CA for sites "
	 "without --cert (default: Let's Encrypt's production directory)"},
	{"acme-email", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(acme.email), "ADDR", "the ACME account's contact address"},
	{"acme-ca-root", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(acme.ca_root), "FILE",
	 "trust these roots for the ACME CA's HTTPS (a private CA)"},
	{"acme-agree-tos", NULL, PL_SRV_OPT_FLAG, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(acme.agree_tos), NULL, "agree to the ACME CA's terms of service"},
	{"acme-eab-kid", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(acme.eab_kid), "KID", "external account binding: the key id"},
	{"acme-eab-hmac-key", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(acme.eab_hmac_key), "KEY",
	 "external account binding: the MAC key (base64url)"},
	{"acme-challenges", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(acme.challenges), "LIST", "ACME challenge types in preference "
	 "order (default: http-01,tls-alpn-01)"},
	{"acme-timeout", NULL, PL_SRV_OPT_NUMBER, BOTH, 10, 86400, 1000, NULL,
	 "600", FIELD(acme.timeout_ms), "S", "seconds an ACME order may take"},
	{"acme-renew-at", NULL, PL_SRV_OPT_NUMBER, BOTH, 0, 99, 1, NULL, "67",
	 FIELD(acme.renew_percent), "PERCENT",
	 "renew a certificate once this much of its lifetime has passed"},
	{"acme-check-interval", NULL, PL_SRV_OPT_NUMBER, BOTH, 1, 86400, 1000,
	 NULL, "3600", FIELD(acme.check_interval_ms), "S",
	 "seconds between renewal checks"},
	{"state-dir", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(acme.state_dir), "DIR", "where ACME keeps its account and "
	 "certificates (default: /var/lib/padlock/acme as root)"},
	{"proxy", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(proxy), "URL[,URL]",
	 "forward requests to these upstreams (http://host:port, "
	 "http://unix:/path.sock) instead of serving files"},
	{"proxy-balance", NULL, PL_SRV_OPT_CHOICE, BOTH, 0, 0, 0,
	 balance_choices, "round-robin", FIELD(proxy_balance),
	 "round-robin|least-conn", "how a pool picks its upstream"},
	{"proxy-ca", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(proxy_ca), "FILE",
	 "the CAs https:// upstreams are verified with (default: the "
	 "system's)"},
	{"proxy-host", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(proxy_host), "HOST[:PORT]",
	 "the Host field upstreams get (default: the client's)"},
	{"trusted-proxies", NULL, PL_SRV_OPT_STRING, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(trusted_proxies), "ADDR[/BITS],...",
	 "clients whose X-Forwarded-* and Forwarded are kept (extended), "
	 "not replaced"},
	{"proxy-protocol", NULL, PL_SRV_OPT_FLAG, BOTH, 0, 0, 0, NULL, NULL,
	 FIELD(proxy_protocol), NULL,
	 "connections come from a load balancer in --trusted-proxies with a "
	 "PROXY protocol header (v1 or v2): its client address is the one "
	 "logged and forwarded"},
	{"proxy-connect-timeout", NULL, PL_SRV_OPT_NUMBER, BOTH, 1, 3600, 1000,
	 NULL, "5", FIELD(proxy_connect_timeout_ms), "S",
	 "seconds to connect to an upstream; then the next, or 504"},
	{"proxy-timeout", NULL, PL_SRV_OPT_NUMBER, BOTH, 1, 86400, 1000, NULL,
	 "60", FIELD(proxy_timeout_ms), "S",
	 "seconds an upstream may be silent (first byte included); then 504"},
	{"proxy-idle-timeout", NULL, PL_SRV_OPT_NUMBER, BOTH, 1, 86400, 1000,
	 NULL, "30", FIELD(proxy_idle_timeout_ms), "S",
	 "seconds an idle upstream connection is kept for reuse"},
	{"proxy-keepalive", NULL, PL_SRV_OPT_NUMBER, BOTH, 0, 10000, 1, NULL,
	 "256", FIELD(proxy_keepalive), "N",
	 "idle upstream connections a worker keeps for reuse"},
	{"allow-invalid-cert", NULL, PL_SRV_OPT_FLAG, PL_SRV_OPT_CLI, 0, 0, 0,
	 NULL, NULL, FIELD(allow_invalid_cert), NULL,
	 "FOR TESTS ONLY: serve a certificate that fails its checks"},
};

const pl_srv_opt_t *pl_srv_options_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const pl_srv_opt_t *pl_srv_option_find(const char *name, unsigned where)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const pl_srv_opt_t *t = &table[i];
		if (!(t->flags & where))
			continue;
		const char *key = where == PL_SRV_OPT_FILE && t->file_name
					  ? t->file_name
					  : t->name;
		if (strcmp(key, name) == 0)
			return t;
	}
	return NULL;
}

/* Stores an integer into a field of any integer width. */
static void store_int(pl_srv_options_t *o, const pl_srv_opt_t *t, long long v)
{
	char *dst = (char *)o + t->offset;
	switch (t->size) {
	case 1: { bool b = v != 0; memcpy(dst, &b, 1); break; }
	case 2: { int16_t x = (int16_t)v; memcpy(dst, &x, 2); break; }
	case 4: { int32_t x = (int32_t)v; memcpy(dst, &x, 4); break; }
	default: { int64_t x = (int64_t)v; memcpy(dst, &x, 8); break; }
	}
}

/* The setting's name as the user wrote it. */
static void spelled(const pl_srv_opt_t *t, unsigned where, char *out,
		    size_t cap)
{
	if (where == PL_SRV_OPT_FILE)
		snprintf(out, cap, "%s", t->file_name ? t->file_name : t->name);
	else
		snprintf(out, cap, "--%s", t->name);
}

static int set_number(pl_srv_options_t *o, const pl_srv_opt_t *t,
		      const char *name, const char *value, char *err,
		      size_t err_len)
{
	char *end;
	if ((t->flags & PL_SRV_OPT_OFF) && strcmp(value, "off") == 0) {
		store_int(o, t, -1);
		return PL_OK;
	}
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < t->min || v > t->max) {
		snprintf(err, err_len, "%s wants a number from %ld to %ld%s, "
			 "not '%s'", name, t->min, t->max,
			 (t->flags & PL_SRV_OPT_OFF) ? " or off" : "", value);
		return PL_ERR_ARG;
	}
	/* The ranges keep v * scale far inside the field: 86400 s is
	 * 86,400,000 ms, well inside an unsigned. */
	store_int(o, t, (long long)v * t->scale);
	if (t->flags & PL_SRV_OPT_PORT)
		o->ports_given = true;
	return PL_OK;
}

static int set_choice(pl_srv_options_t *o, const pl_srv_opt_t *t,
		      const char *name, const char *value, char *err,
		      size_t err_len)
{
	size_t n = 0;
	for (; t->choices[n]; n++)
		if (strcmp(value, t->choices[n]) == 0) {
			store_int(o, t, (long long)n);
			return PL_OK;
		}
	char list[128] = "";
	for (size_t i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s'%s'", i == 0 ? "" : i + 1 == n ? " or " : ", ",
			 t->choices[i]);
	snprintf(err, err_len, "%s is %s, not '%s'", name, list, value);
	return PL_ERR_ARG;
}

static int set_flag(pl_srv_options_t *o, const pl_srv_opt_t *t,
		    const char *name, const char *value, char *err,
		    size_t err_len)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; value && i < 4; i++) {
		if (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0) {
			store_int(o, t, strcmp(value, yes[i]) == 0);
			return PL_OK;
		}
	}
	if (value == NULL) {
		store_int(o, t, 1);
		return PL_OK;
	}
	snprintf(err, err_len, "%s is true or false, not '%s'", name, value);
	return PL_ERR_ARG;
}

int pl_srv_option_set(pl_srv_options_t *o, const pl_srv_opt_t *t,
		      unsigned where, const char *value, char *err,
		      size_t err_len)
{
	char name[64];
	spelled(t, where, name, sizeof(name));
	if (t->kind == PL_SRV_OPT_FLAG)
		return set_flag(o, t, name, value, err, err_len);
	if (value == NULL) {
		snprintf(err, err_len, "%s wants a value", name);
		return PL_ERR_ARG;
	}
	if (t->kind == PL_SRV_OPT_NUMBER)
		return set_number(o, t, name, value, err, err_len);
	if (t->kind == PL_SRV_OPT_CHOICE)
		return set_choice(o, t, name, value, err, err_len);
	char **dst = (char **)(void *)((char *)o + t->offset);
	char *copy = strdup(value);
	if (copy == NULL)
		return PL_ERR_NOMEM;
	free(*dst);
	*dst = copy;
	return PL_OK;
}

void pl_srv_options_default(pl_srv_options_t *o)
{
	char err[160];
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].fallback)
			(void)pl_srv_option_set(o, &table[i], PL_SRV_OPT_CLI,
						table[i].fallback, err,
						sizeof(err));
	/* Defaults are not a choice of ports (the zero-argument start may
	 * fall back to 8443/8080). */
	o->ports_given = false;
}

void pl_srv_options_free(pl_srv_options_t *o)
{
	for (size_t i = 0; i < o->n_sites; i++) {
		pl_srv_site_t *s = &o->sites[i];
		for (size_t j = 0; j < s->n_names; j++)
			free(s->names[j]);
		free(s->root);
		free(s->cert_file);
		free(s->key_file);
		free(s->key_passphrase_file);
		free(s->proxy);
		for (size_t j = 0; j < s->n_locations; j++) {
			free(s->location_prefix[j]);
			free(s->location_proxy[j]);
			free(s->location_ca[j]);
			free(s->location_host[j]);
		}
		free(s->proxy_ca);
		free(s->proxy_host);
	}
	free(o->proxy);
	free(o->proxy_ca);
	free(o->proxy_host);
	free(o->trusted_proxies);
	free(o->listen);
	for (size_t i = 0; i < o->n_listeners; i++)
		free(o->listeners[i].addr);
	for (size_t i = 0; i < o->n_upstreams; i++)
		free(o->upstreams[i].url);
	free(o->tls_groups);
	free(o->tls_versions);
	free(o->ticket_key_file);
	free(o->user);
	free(o->access_log);
	free(o->error_log);
	free(o->pid_file);
	free(o->config_file);
	pl_srv_acme_options_free(&o->acme);
	pl_srv_options_default(o);
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (src && (*dst = strdup(src)) == NULL)
		return PL_ERR_NOMEM;
	return PL_OK;
}

int pl_srv_options_dup(pl_srv_options_t *dst, const pl_srv_options_t *src)
{
	int ret = PL_OK;
	*dst = *src;
	for (size_t i = 0; i < src->n_sites; i++) {
		const pl_srv_site_t *s = &src->sites[i];
		pl_srv_site_t *d = &dst->sites[i];
		for (size_t j = 0; j < s->n_names; j++)
			ret |= dup_str(&d->names[j], s->names[j]);
		ret |= dup_str(&d->root, s->root);
		ret |= dup_str(&d->cert_file, s->cert_file);
		ret |= dup_str(&d->key_file, s->key_file);
		ret |= dup_str(&d->key_passphrase_file, s->key_passphrase_file);
		ret |= dup_str(&d->proxy, s->proxy);
		for (size_t j = 0; j < s->n_locations; j++) {
			ret |= dup_str(&d->location_prefix[j],
				       s->location_prefix[j]);
			ret |= dup_str(&d->location_proxy[j], s->location_proxy[j]);
			ret |= dup_str(&d->location_ca[j], s->location_ca[j]);
			ret |= dup_str(&d->location_host[j], s->location_host[j]);
		}
		ret |= dup_str(&d->proxy_ca, s->proxy_ca);
		ret |= dup_str(&d->proxy_host, s->proxy_host);
	}
	ret |= dup_str(&dst->proxy, src->proxy);
	ret |= dup_str(&dst->proxy_ca, src->proxy_ca);
	ret |= dup_str(&dst->proxy_host, src->proxy_host);
	ret |= dup_str(&dst->trusted_proxies, src->trusted_proxies);
	ret |= dup_str(&dst->listen, src->listen);
	for (size_t i = 0; i < src->n_listeners; i++)
		ret |= dup_str(&dst->listeners[i].addr, src->listeners[i].addr);
	for (size_t i = 0; i < src->n_upstreams; i++)
		ret |= dup_str(&dst->upstreams[i].url, src->upstreams[i].url);
	ret |= dup_str(&dst->tls_groups, src->tls_groups);
	ret |= dup_str(&dst->tls_versions, src->tls_versions);
	ret |= dup_str(&dst->ticket_key_file, src->ticket_key_file);
	ret |= dup_str(&dst->user, src->user);
	ret |= dup_str(&dst->access_log, src->access_log);
	ret |= dup_str(&dst->error_log, src->error_log);
	ret |= dup_str(&dst->pid_file, src->pid_file);
	ret |= dup_str(&dst->config_file, src->config_file);
	ret |= pl_srv_acme_options_dup(&dst->acme, &src->acme);
	if (ret) {
		pl_srv_options_free(dst);
		return PL_ERR_NOMEM;
	}
	return PL_OK;
}

/* What a start would trip over, found before it: the user to run as and
 * every site's root directory (a missing root would answer every request
 * with 500). */
static int check_places(const pl_srv_options_t *o, char *err, size_t err_len)
{
	int ret;
	if ((ret = pl_srv_addr_list_check(o->trusted_proxies, err, err_len)))
		return ret;
	/* a PROXY header is believed only from a trusted address: with none,
	 * every connection would be refused */
	bool pp = o->proxy_protocol;
	for (size_t i = 0; i < o->n_listeners; i++)
		pp = pp || o->listeners[i].proxy_protocol;
	if (pp && o->trusted_proxies == NULL) {
		snprintf(err, err_len, "proxy-protocol needs trusted-proxies: "
			 "the load balancers' addresses");
		return PL_ERR_ARG;
	}
	if (o->user) {
		if (getpwnam(o->user) == NULL) {
			snprintf(err, err_len, "user %s: no such user (the "
				 "workers would run as it)", o->user);
			return PL_ERR_ARG;
		}
	}
	for (size_t i = 0; i < o->n_sites; i++) {
		const pl_srv_site_t *s = &o->sites[i];
		const char *name = s->n_names ? s->names[0] : s->cert_file;
		struct stat st;
		if (s->root == NULL)
			continue;
		if (stat(s->root, &st) != 0) {
			snprintf(err, err_len, "site %s: root %s: %s", name,
				 s->root, strerror(errno));
			return PL_ERR_ARG;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, err_len, "site %s: root %s is not a "
				 "directory", name, s->root);
			return PL_ERR_ARG;
		}
	}
	return PL_OK;
}

int pl_srv_options_resolve(pl_srv_options_t *out, const pl_srv_options_t *base,
			   char *err, size_t err_len)
{
	int ret = pl_srv_options_dup(out, base);
	if (ret) {
		snprintf(err, err_len, "out of memory");
		return ret;
	}
	if (base->config_file &&
	    (ret = pl_srv_options_load_file(out, base->config_file, err,
					    err_len))) {
		pl_srv_options_free(out);
		return ret;
	}
	if (out->n_sites == 0) {
		snprintf(err, err_len,
			 "no site is configured: give --cert and --key (or "
			 "--config FILE)");
		pl_srv_options_free(out);
		return PL_ERR_ARG;
	}
	if ((ret = check_places(out, err, err_len)) ||
	    (ret = pl_srv_acme_resolve(out, err, err_len))) {
		pl_srv_options_free(out);
		return ret;
	}
	return PL_OK;
}
