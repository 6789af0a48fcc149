/*
 * The configuration file (`padlock serve --config FILE`), parsed with
 * libconfuse. It holds the global settings and any number of sites:
 *
 *   https-port = 443
 *   http-port = 80
 *   hsts-max-age = 63072000
 *   unknown-sni = "default"            # or "reject": unrecognized_name
 *   site "example.com" {
 *       names = {"example.com", "www.example.com"}
 *       root = "/var/www/example"
 *       cert = "/etc/padlock/example.pem"   # full chain, leaf first
 *       key = "/etc/padlock/example-key.pem"
 *       default = true
 *   }
 *
 * docs/padlock-serve.md lists every setting. Errors come out as
 * "FILE:LINE: what is wrong".
 */
#include <confuse.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

typedef struct {
	char *err;
	size_t err_len;
	bool reported;
} error_sink_t;

static error_sink_t *sink;

__attribute__((format(printf, 2, 0)))
static void on_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[256];
	if (sink == NULL || sink->reported)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(sink->err, sink->err_len, "%s:%d: %s",
		 cfg && cfg->filename ? cfg->filename : "?", cfg ? cfg->line : 0,
		 msg);
	sink->reported = true;
}

static int check_port(cfg_t *cfg, cfg_opt_t *opt)
{
	long v = cfg_opt_getnint(opt, cfg_opt_size(opt) - 1);
	bool zero_ok = strcmp(opt->name, "http-port") == 0;
	if (v < (zero_ok ? 0 : 1) || v > 65535) {
		cfg_error(cfg, "%s must be a port number (1-65535%s), not %ld",
			  opt->name, zero_ok ? ", or 0 for none" : "", v);
		return -1;
	}
	return 0;
}

static int check_positive(cfg_t *cfg, cfg_opt_t *opt)
{
	long v = cfg_opt_getnint(opt, cfg_opt_size(opt) - 1);
	if (v <= 0) {
		cfg_error(cfg, "%s must be positive, not %ld", opt->name, v);
		return -1;
	}
	return 0;
}

static int check_choice(cfg_t *cfg, cfg_opt_t *opt)
{
	static const char *const choices[][4] = {
		{"log-format", "combined", "json", NULL},
		{"log-level", "error", "warn", "info"},
		{"unknown-sni", "default", "reject", NULL},
	};
	const char *v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
		if (strcmp(choices[i][0], opt->name) != 0)
			continue;
		for (size_t j = 1; j < 4 && choices[i][j]; j++)
			if (strcmp(v, choices[i][j]) == 0)
				return 0;
		if (strcmp(opt->name, "log-level") == 0 && strcmp(v, "debug") == 0)
			return 0;
		cfg_error(cfg, "%s cannot be \"%s\"", opt->name, v);
		return -1;
	}
	return 0;
}

static cfg_opt_t site_opts[] = {
	CFG_STR_LIST("names", NULL, CFGF_NODEFAULT),
	CFG_STR("root", NULL, CFGF_NODEFAULT),
	CFG_STR("cert", NULL, CFGF_NODEFAULT),
	CFG_STR("key", NULL, CFGF_NODEFAULT),
	CFG_STR("key-passphrase-file", NULL, CFGF_NODEFAULT),
	CFG_BOOL("default", cfg_false, CFGF_NONE),
	CFG_END()};

static cfg_opt_t top_opts[] = {
	CFG_INT("https-port", 0, CFGF_NODEFAULT),
	CFG_INT("http-port", 0, CFGF_NODEFAULT),
	CFG_STR("listen", NULL, CFGF_NODEFAULT),
	CFG_INT("workers", 0, CFGF_NODEFAULT),
	CFG_STR("user", NULL, CFGF_NODEFAULT),
	CFG_INT("hsts-max-age", 0, CFGF_NODEFAULT),
	CFG_BOOL("follow-symlinks", cfg_false, CFGF_NODEFAULT),
	CFG_STR("unknown-sni", NULL, CFGF_NODEFAULT),
	CFG_STR("access-log", NULL, CFGF_NODEFAULT),
	CFG_STR("error-log", NULL, CFGF_NODEFAULT),
	CFG_STR("log-format", NULL, CFGF_NODEFAULT),
	CFG_STR("log-level", NULL, CFGF_NODEFAULT),
	CFG_STR("pid-file", NULL, CFGF_NODEFAULT),
	CFG_INT("max-connections", 0, CFGF_NODEFAULT),
	CFG_INT("handshake-timeout", 0, CFGF_NODEFAULT),
	CFG_INT("header-timeout", 0, CFGF_NODEFAULT),
	CFG_INT("idle-timeout", 0, CFGF_NODEFAULT),
	CFG_INT("shutdown-timeout", 0, CFGF_NODEFAULT),
	CFG_INT("max-request-line", 0, CFGF_NODEFAULT),
	CFG_INT("max-header-bytes", 0, CFGF_NODEFAULT),
	CFG_INT("max-header-count", 0, CFGF_NODEFAULT),
	CFG_INT("max-body", 0, CFGF_NODEFAULT),
	CFG_SEC("site", site_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END()};

static void validate(cfg_t *cfg)
{
	static const char *ports[] = {"https-port", "http-port"};
	static const char *positive[] = {
		"workers", "max-connections", "handshake-timeout",
		"header-timeout", "idle-timeout", "shutdown-timeout",
		"max-request-line", "max-header-bytes", "max-header-count"};
	static const char *choices[] = {"log-format", "log-level",
					"unknown-sni"};
	for (size_t i = 0; i < 2; i++)
		cfg_set_validate_func(cfg, ports[i], check_port);
	for (size_t i = 0; i < sizeof(positive) / sizeof(positive[0]); i++)
		cfg_set_validate_func(cfg, positive[i], check_positive);
	for (size_t i = 0; i < 3; i++)
		cfg_set_validate_func(cfg, choices[i], check_choice);
}

static bool has(cfg_t *cfg, const char *name)
{
	return cfg_size(cfg, name) > 0;
}

static int set_str(char **dst, cfg_t *cfg, const char *name)
{
	if (!has(cfg, name))
		return PL_OK;
	free(*dst);
	*dst = strdup(cfg_getstr(cfg, name));
	return *dst ? PL_OK : PL_ERR_NOMEM;
}

static void set_ms(unsigned *dst, cfg_t *cfg, const char *name)
{
	if (has(cfg, name))
		*dst = (unsigned)cfg_getint(cfg, name) * 1000u;
}

static int load_site(pl_srv_options_t *o, cfg_t *s, const char *path,
		     char *err, size_t err_len)
{
	pl_srv_site_t *site = &o->sites[o->n_sites];
	const char *title = cfg_title(s);
	int ret = PL_OK;
	if (o->n_sites == PL_SRV_MAX_SITES) {
		snprintf(err, err_len, "%s:%d: more than %d sites", path,
			 s->line, PL_SRV_MAX_SITES);
		return PL_ERR_DECODE;
	}
	if (!has(s, "cert") || !has(s, "key")) {
		snprintf(err, err_len,
			 "%s:%d: site \"%s\" needs both cert and key", path,
			 s->line, title);
		return PL_ERR_DECODE;
	}
	memset(site, 0, sizeof(*site));
	o->n_sites++;
	size_t n = has(s, "names") ? cfg_size(s, "names") : 0;
	if (n >= PL_SRV_MAX_NAMES) {
		snprintf(err, err_len, "%s:%d: site \"%s\" has more than %d names",
			 path, s->line, title, PL_SRV_MAX_NAMES - 1);
		return PL_ERR_DECODE;
	}
	/* The title is the first name; names adds more. */
	if ((site->names[site->n_names++] = strdup(title)) == NULL)
		return PL_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *name = cfg_getnstr(s, "names", (unsigned)i);
		if (strcmp(name, title) == 0)
			continue;
		if ((site->names[site->n_names++] = strdup(name)) == NULL)
			return PL_ERR_NOMEM;
	}
	if ((ret = set_str(&site->root, s, "root")) ||
	    (ret = set_str(&site->cert_file, s, "cert")) ||
	    (ret = set_str(&site->key_file, s, "key")) ||
	    (ret = set_str(&site->key_passphrase_file, s, "key-passphrase-file")))
		return ret;
	if (cfg_getbool(s, "default"))
		o->default_site = o->n_sites - 1;
	return PL_OK;
}

static int apply(pl_srv_options_t *o, cfg_t *cfg, const char *path, char *err,
		 size_t err_len)
{
	int ret;
	if (has(cfg, "https-port"))
		o->https_port = (int)cfg_getint(cfg, "https-port");
	if (has(cfg, "http-port"))
		o->http_port = (int)cfg_getint(cfg, "http-port");
	if (has(cfg, "https-port") || has(cfg, "http-port"))
		o->ports_given = true;
	if (has(cfg, "workers"))
		o->workers = (int)cfg_getint(cfg, "workers");
	if (has(cfg, "hsts-max-age"))
		o->hsts_max_age = cfg_getint(cfg, "hsts-max-age");
	if (has(cfg, "follow-symlinks"))
		o->follow_symlinks = cfg_getbool(cfg, "follow-symlinks");
	if (has(cfg, "unknown-sni"))
		o->strict_sni = strcmp(cfg_getstr(cfg, "unknown-sni"), "reject") == 0;
	if (has(cfg, "log-format"))
		o->log_format = strcmp(cfg_getstr(cfg, "log-format"), "json") == 0
					? PL_SRV_LOG_JSON
					: PL_SRV_LOG_COMBINED;
	if (has(cfg, "log-level")) {
		static const char *levels[] = {"error", "warn", "info", "debug"};
		for (int i = 0; i < 4; i++)
			if (strcmp(cfg_getstr(cfg, "log-level"), levels[i]) == 0)
				o->log_level = (pl_srv_log_level_t)i;
	}
	if (has(cfg, "max-connections"))
		o->max_conns = (unsigned)cfg_getint(cfg, "max-connections");
	set_ms(&o->handshake_timeout_ms, cfg, "handshake-timeout");
	set_ms(&o->header_timeout_ms, cfg, "header-timeout");
	set_ms(&o->idle_timeout_ms, cfg, "idle-timeout");
	set_ms(&o->shutdown_timeout_ms, cfg, "shutdown-timeout");
	if (has(cfg, "max-request-line"))
		o->limits.max_request_line = (size_t)cfg_getint(cfg, "max-request-line");
	if (has(cfg, "max-header-bytes"))
		o->limits.max_header_bytes = (size_t)cfg_getint(cfg, "max-header-bytes");
	if (has(cfg, "max-header-count"))
		o->limits.max_header_count = (size_t)cfg_getint(cfg, "max-header-count");
	if (has(cfg, "max-body"))
		o->limits.max_body = (uint64_t)cfg_getint(cfg, "max-body");
	if ((ret = set_str(&o->listen, cfg, "listen")) ||
	    (ret = set_str(&o->user, cfg, "user")) ||
	    (ret = set_str(&o->access_log, cfg, "access-log")) ||
	    (ret = set_str(&o->error_log, cfg, "error-log")) ||
	    (ret = set_str(&o->pid_file, cfg, "pid-file")))
		return ret;
	for (unsigned i = 0; i < cfg_size(cfg, "site"); i++)
		if ((ret = load_site(o, cfg_getnsec(cfg, "site", i), path, err,
				     err_len)))
			return ret;
	return PL_OK;
}

int pl_srv_options_load_file(pl_srv_options_t *o, const char *path,
			     char *err, size_t err_len)
{
	error_sink_t s = {err, err_len, false};
	int ret;
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		snprintf(err, err_len, "%s: cannot read: %m", path);
		return PL_ERR_IO;
	}
	fclose(fp);
	cfg_t *cfg = cfg_init(top_opts, CFGF_NONE);
	if (cfg == NULL) {
		snprintf(err, err_len, "out of memory");
		return PL_ERR_NOMEM;
	}
	sink = &s;
	cfg_set_error_function(cfg, on_error);
	validate(cfg);
	ret = cfg_parse(cfg, path);
	sink = NULL;
	if (ret != CFG_SUCCESS) {
		if (!s.reported)
			snprintf(err, err_len, "%s: cannot be parsed", path);
		cfg_free(cfg);
		return PL_ERR_DECODE;
	}
	ret = apply(o, cfg, path, err, err_len);
	if (ret == PL_ERR_NOMEM)
		snprintf(err, err_len, "out of memory");
	cfg_free(cfg);
	return ret;
}
