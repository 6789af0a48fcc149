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
 *   listener "10.0.0.5:8443" {         # more listeners beside the ports
 *       proxy-protocol = true          # behind a load balancer
 *   }
 *   upstream "http://10.0.0.9:8000" {  # wherever a proxy list names it
 *       proxy-protocol = true          # send it PROXY v2 headers
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

/* Every global setting is checked by the table's own parser (options.c),
 * while libconfuse still knows the line: the file and the command line
 * accept the same values. */
static int check_setting(cfg_t *cfg, cfg_opt_t *opt)
{
	const pl_srv_opt_t *t = pl_srv_option_find(opt->name, PL_SRV_OPT_FILE);
	pl_srv_options_t scratch;
	char msg[200];
	if (t == NULL)
		return 0;
	pl_srv_options_default(&scratch);
	int ret = pl_srv_option_set(&scratch, t, PL_SRV_OPT_FILE,
				    cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1),
				    msg, sizeof(msg));
	pl_srv_options_free(&scratch);
	if (ret == PL_ERR_NOMEM)
		snprintf(msg, sizeof(msg), "out of memory");
	if (ret != PL_OK) {
		cfg_error(cfg, "%s", msg);
		return -1;
	}
	return 0;
}

static cfg_opt_t location_opts[] = {
	CFG_STR("proxy", NULL, CFGF_NODEFAULT),
	CFG_STR("proxy-ca", NULL, CFGF_NODEFAULT),
	CFG_STR("proxy-host", NULL, CFGF_NODEFAULT),
	CFG_END()};

static cfg_opt_t site_opts[] = {
	CFG_STR_LIST("names", NULL, CFGF_NODEFAULT),
	CFG_STR("root", NULL, CFGF_NODEFAULT),
	CFG_STR("cert", NULL, CFGF_NODEFAULT),
	CFG_STR("key", NULL, CFGF_NODEFAULT),
	CFG_STR("key-passphrase-file", NULL, CFGF_NODEFAULT),
	CFG_STR("proxy", NULL, CFGF_NODEFAULT),
	CFG_STR("proxy-ca", NULL, CFGF_NODEFAULT),
	CFG_STR("proxy-host", NULL, CFGF_NODEFAULT),
	CFG_SEC("location", location_opts,
		CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_BOOL("default", cfg_false, CFGF_NONE),
	CFG_END()};

static cfg_opt_t listener_opts[] = {
	CFG_BOOL("proxy-protocol", cfg_false, CFGF_NONE),
	CFG_STR("kind", "https", CFGF_NONE),
	CFG_END()};

static cfg_opt_t upstream_opts[] = {
	CFG_BOOL("proxy-protocol", cfg_false, CFGF_NONE),
	CFG_END()};

/* The file's settings: one string per row of the table (its parser reads
 * numbers and words alike), then the sites. */
static cfg_opt_t *file_opts(void)
{
	size_t n, k = 0;
	const pl_srv_opt_t *t = pl_srv_options_table(&n);
	cfg_opt_t *opts = calloc(n + 4, sizeof(*opts));
	if (opts == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!(t[i].flags & PL_SRV_OPT_FILE))
			continue;
		cfg_opt_t o = CFG_STR(t[i].file_name ? t[i].file_name
						     : t[i].name,
				      NULL, CFGF_NODEFAULT);
		o.validcb = check_setting;
		opts[k++] = o;
	}
	cfg_opt_t site = CFG_SEC("site", site_opts,
				 CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES);
	cfg_opt_t listener = CFG_SEC("listener", listener_opts,
				     CFGF_MULTI | CFGF_TITLE |
					     CFGF_NO_TITLE_DUPES);
	cfg_opt_t upstream = CFG_SEC("upstream", upstream_opts,
				     CFGF_MULTI | CFGF_TITLE |
					     CFGF_NO_TITLE_DUPES);
	cfg_opt_t end = CFG_END();
	opts[k++] = upstream;
	opts[k++] = listener;
	opts[k++] = site;
	opts[k] = end;
	return opts;
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

/* location "/api/" { proxy = "URL" }: a pool for a path prefix. */
static int load_locations(pl_srv_site_t *site, cfg_t *s, const char *path,
			  char *err, size_t err_len)
{
	for (unsigned i = 0; i < cfg_size(s, "location"); i++) {
		cfg_t *l = cfg_getnsec(s, "location", i);
		const char *prefix = cfg_title(l);
		if (site->n_locations == PL_SRV_MAX_LOCATIONS) {
			snprintf(err, err_len, "%s:%d: more than %d locations "
				 "in a site", path, l->line, PL_SRV_MAX_LOCATIONS);
			return PL_ERR_DECODE;
		}
		if (prefix[0] != '/' || !has(l, "proxy")) {
			snprintf(err, err_len, "%s:%d: location \"%s\" needs a "
				 "path that starts with / and a proxy = \"URL\"",
				 path, l->line, prefix);
			return PL_ERR_DECODE;
		}
		size_t k = site->n_locations++;
		int ret;
		if ((site->location_prefix[k] = strdup(prefix)) == NULL ||
		    (site->location_proxy[k] = strdup(cfg_getstr(l, "proxy"))) ==
			    NULL)
			return PL_ERR_NOMEM;
		if ((ret = set_str(&site->location_ca[k], l, "proxy-ca")) ||
		    (ret = set_str(&site->location_host[k], l, "proxy-host")))
			return ret;
	}
	return PL_OK;
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
	/* neither: ACME (or the local CA) for the site's names */
	if (has(s, "cert") != has(s, "key")) {
		snprintf(err, err_len,
			 "%s:%d: site \"%s\" needs both cert and key (or "
			 "neither, for ACME)", path, s->line, title);
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
	    (ret = set_str(&site->key_passphrase_file, s, "key-passphrase-file")) ||
	    (ret = set_str(&site->proxy, s, "proxy")) ||
	    (ret = set_str(&site->proxy_ca, s, "proxy-ca")) ||
	    (ret = set_str(&site->proxy_host, s, "proxy-host")))
		return ret;
	if ((ret = load_locations(site, s, path, err, err_len)))
		return ret;
	site->acme = site->cert_file == NULL;
	if (cfg_getbool(s, "default"))
		o->default_site = o->n_sites - 1;
	return PL_OK;
}

/* "ADDR:PORT", "[ADDR6]:PORT" or ":PORT" (every address) into l:
 * PL_ERR_ARG when it is none of them, PL_ERR_NOMEM. */
static int parse_listen_address(const char *text, pl_srv_listen_opts_t *l)
{
	const char *colon = strrchr(text, ':');
	char *end;
	if (colon == NULL || colon[1] == 0)
		return PL_ERR_ARG;
	long port = strtol(colon + 1, &end, 10);
	if (*end != 0 || port < 1 || port > 65535)
		return PL_ERR_ARG;
	const char *a = text;
	size_t len = (size_t)(colon - text);
	if (len >= 2 && a[0] == '[' && a[len - 1] == ']') {
		a++;
		len -= 2;
	} else if (memchr(a, ':', len) != NULL) {
		return PL_ERR_ARG; /* an IPv6 address wants its brackets */
	}
	l->port = (int)port;
	l->addr = NULL;
	if (len > 0 && (l->addr = strndup(a, len)) == NULL)
		return PL_ERR_NOMEM;
	return PL_OK;
}

/* listener "ADDR:PORT" { proxy-protocol = true  kind = "https" }: one
 * more listening socket, which says whether its connections start with
 * a PROXY protocol header (the global proxy-protocol says it for the
 * https-port and http-port listeners). */
static int load_listener(pl_srv_options_t *o, cfg_t *s, const char *path,
			 char *err, size_t err_len)
{
	pl_srv_listen_opts_t l = {0};
	int ret;
	const char *kind = cfg_getstr(s, "kind");
	if (o->n_listeners == PL_SRV_MAX_EXTRA_LISTENERS) {
		snprintf(err, err_len, "%s:%d: more than %d listeners", path,
			 s->line, PL_SRV_MAX_EXTRA_LISTENERS);
		return PL_ERR_DECODE;
	}
	if (strcmp(kind, "https") != 0 && strcmp(kind, "http") != 0) {
		snprintf(err, err_len, "%s:%d: listener kind wants \"https\" "
			 "or \"http\" (the redirect), not \"%s\"", path,
			 s->line, kind);
		return PL_ERR_DECODE;
	}
	if ((ret = parse_listen_address(cfg_title(s), &l)) == PL_ERR_NOMEM)
		return ret;
	if (ret != PL_OK) {
		snprintf(err, err_len, "%s:%d: listener \"%s\" wants "
			 "ADDR:PORT, [IPV6]:PORT or :PORT", path, s->line,
			 cfg_title(s));
		return PL_ERR_DECODE;
	}
	l.http = strcmp(kind, "http") == 0;
	l.proxy_protocol = cfg_getbool(s, "proxy-protocol");
	o->listeners[o->n_listeners++] = l;
	return PL_OK;
}

/* upstream "URL" { proxy-protocol = true }: what one upstream gets,
 * in whichever pool a proxy list names it (runtime.c matches them). */
static int load_upstream(pl_srv_options_t *o, cfg_t *s, const char *path,
			 char *err, size_t err_len)
{
	if (o->n_upstreams == PL_SRV_MAX_UPSTREAM_SECTIONS) {
		snprintf(err, err_len, "%s:%d: more than %d upstream sections",
			 path, s->line, PL_SRV_MAX_UPSTREAM_SECTIONS);
		return PL_ERR_DECODE;
	}
	pl_srv_upstream_opts_t *u = &o->upstreams[o->n_upstreams];
	if ((u->url = strdup(cfg_title(s))) == NULL)
		return PL_ERR_NOMEM;
	u->proxy_protocol = cfg_getbool(s, "proxy-protocol");
	o->n_upstreams++;
	return PL_OK;
}

static int apply(pl_srv_options_t *o, cfg_t *cfg, const char *path, char *err,
		 size_t err_len)
{
	size_t n;
	const pl_srv_opt_t *t = pl_srv_options_table(&n);
	int ret;
	for (size_t i = 0; i < n; i++) {
		const char *key = t[i].file_name ? t[i].file_name : t[i].name;
		if (!(t[i].flags & PL_SRV_OPT_FILE) || !has(cfg, key))
			continue;
		/* check_setting() accepted it: only memory can fail now. */
		if ((ret = pl_srv_option_set(o, &t[i], PL_SRV_OPT_FILE,
					     cfg_getstr(cfg, key), err,
					     err_len)))
			return ret;
	}
	for (unsigned i = 0; i < cfg_size(cfg, "upstream"); i++)
		if ((ret = load_upstream(o, cfg_getnsec(cfg, "upstream", i),
					 path, err, err_len)))
			return ret;
	for (unsigned i = 0; i < cfg_size(cfg, "listener"); i++)
		if ((ret = load_listener(o, cfg_getnsec(cfg, "listener", i),
					 path, err, err_len)))
			return ret;
	for (unsigned i = 0; i < cfg_size(cfg, "site"); i++)
		if ((ret = load_site(o, cfg_getnsec(cfg, "site", i), path, err,
				     err_len)))
			return ret;
	return PL_OK;
}

/* libconfuse reports a string that is never closed at the end of the
 * file; the line to fix is where it began. 0: every string is closed. */
static int unclosed_string_line(const char *path)
{
	FILE *f = fopen(path, "r");
	int c, line = 1, began = 0, quote = 0;
	bool line_comment = false, block_comment = false;
	if (f == NULL)
		return 0;
	while ((c = getc(f)) != EOF) {
		if (c == '\n')
			line++;
		if (quote) {
			if (c == '\\' && quote == '"' && (c = getc(f)) == '\n')
				line++;
			else if (c == quote)
				quote = 0;
		} else if (line_comment) {
			line_comment = c != '\n';
		} else if (block_comment) {
			if (c == '*' && (c = getc(f)) == '/')
				block_comment = false;
			else if (c != EOF && ungetc(c, f) == EOF)
				break;
		} else if (c == '#') {
			line_comment = true;
		} else if (c == '/') {
			int d = getc(f);
			if (d == '/')
				line_comment = true;
			else if (d == '*')
				block_comment = true;
			else if (d != EOF && ungetc(d, f) == EOF)
				break;
		} else if (c == '"' || c == '\'') {
			quote = c;
			began = line;
		}
	}
	fclose(f);
	return quote ? began : 0;
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
	cfg_opt_t *opts = file_opts();
	cfg_t *cfg = opts ? cfg_init(opts, CFGF_NONE) : NULL;
	if (cfg == NULL) {
		free(opts);
		snprintf(err, err_len, "out of memory");
		return PL_ERR_NOMEM;
	}
	sink = &s;
	cfg_set_error_function(cfg, on_error);
	ret = cfg_parse(cfg, path);
	sink = NULL;
	if (ret != CFG_SUCCESS) {
		int line = unclosed_string_line(path);
		if (line)
			snprintf(err, err_len, "%s:%d: this string is never "
				 "closed (a quote is missing)", path, line);
		else if (!s.reported)
			snprintf(err, err_len, "%s: cannot be parsed", path);
		ret = PL_ERR_DECODE;
		goto out;
	}
	ret = apply(o, cfg, path, err, err_len);
	if (ret == PL_ERR_NOMEM)
		snprintf(err, err_len, "out of memory");
out:
	cfg_free(cfg);
	free(opts);
	return ret;
}
