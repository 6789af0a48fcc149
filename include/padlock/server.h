/*
 * padlock server: `padlock serve`, the HTTPS server on port 443 that sends
 * port 80 to HTTPS.
 *
 * A master process reads the options, checks the certificates, binds the
 * listeners and forks one worker per core. Workers share the listening
 * sockets and each runs an edge-triggered epoll loop that drives the TLS
 * engine and the HTTP parser, non-blocking, with timers. SIGHUP reloads
 * (new workers take new connections while old ones finish theirs), SIGTERM
 * and SIGINT stop gracefully, SIGUSR1 reopens the log files.
 */
#ifndef PADLOCK_SERVER_H
#define PADLOCK_SERVER_H

#include <stdio.h>

#include "padlock/common.h"
#include "padlock/http.h"

#define PL_SRV_MAX_SITES 32
#define PL_SRV_MAX_NAMES 32
#define PL_SRV_MAX_LOCATIONS 16

/* One site: its names, its files, its certificate. */
typedef struct {
	char *names[PL_SRV_MAX_NAMES]; /* DNS names; the first is canonical */
	size_t n_names;
	char *root;      /* static files; NULL: the built-in welcome page */
	char *cert_file; /* full chain, leaf first */
	char *key_file;
	char *key_passphrase_file;
	bool acme;       /* names and no certificate: ACME (or the local CA
			    for names no public CA issues); cert_file and
			    key_file are then the state directory's, NULL
			    until the first certificate is there */
	/* a reverse proxy: upstream URLs, space- or comma-separated
	 * (http://host:port, http://unix:/path.sock); NULL: the global
	 * --proxy, else files */
	char *proxy;
	/* more pools by path prefix (config: location "/api/" { proxy =
	 * "URL" }): the longest prefix a request's path starts with picks
	 * its pool; a request no location matches goes to proxy, else is
	 * served from root */
	char *location_prefix[PL_SRV_MAX_LOCATIONS];
	char *location_proxy[PL_SRV_MAX_LOCATIONS];
	/* per pool (the site's, each location's): the CAs of its https
	 * upstreams and the Host they are sent; NULL: the global
	 * --proxy-ca / --proxy-host, else the system's CAs and the
	 * client's Host */
	char *proxy_ca, *proxy_host;
	char *location_ca[PL_SRV_MAX_LOCATIONS];
	char *location_host[PL_SRV_MAX_LOCATIONS];
	size_t n_locations;
} pl_srv_site_t;

/* ACME (src/server/acme/, docs/acme.md): certificates for the sites that
 * have names and no --cert. */
typedef struct {
	char *ca;                  /* the directory URL (Let's Encrypt) */
	char *email;               /* contact, or NULL */
	char *ca_root;             /* roots for the CA's HTTPS, or NULL:
				      the system's */
	bool agree_tos;            /* the CA's terms of service agreed */
	char *eab_kid;             /* external account binding */
	char *eab_hmac_key;
	char *state_dir;           /* NULL: the default */
	char *challenges;          /* "http-01,tls-alpn-01": preference */
	unsigned timeout_ms;       /* one order, at most */
	unsigned renew_percent;    /* renew at this part of the lifetime */
	unsigned check_interval_ms; /* how often renewal is considered */
} pl_srv_acme_options_t;

typedef enum {
	PL_SRV_LOG_COMBINED = 0,
	PL_SRV_LOG_JSON = 1,
} pl_srv_log_format_t;

typedef enum {
	PL_SRV_LOG_ERROR = 0,
	PL_SRV_LOG_WARN = 1,
	PL_SRV_LOG_INFO = 2,
	PL_SRV_LOG_DEBUG = 3,
} pl_srv_log_level_t;

/* A listener of the configuration file (listener "ADDR:PORT" { ... }),
 * bound beside the https-port and http-port ones. */
#define PL_SRV_MAX_EXTRA_LISTENERS 6
typedef struct {
	char *addr;          /* NULL: every address */
	int port;
	bool http;           /* plain HTTP (port 80's redirect), else HTTPS */
	bool proxy_protocol; /* every connection starts with a PROXY header */
} pl_srv_listen_opts_t;

/* What the configuration file says of one upstream, wherever a proxy list
 * names it (upstream "URL" { ... }). */
#define PL_SRV_MAX_UPSTREAM_SECTIONS 32
typedef struct {
	char *url;           /* as a proxy list spells it */
	bool proxy_protocol; /* its connections start with a PROXY v2 header
				carrying the client's address */
} pl_srv_upstream_opts_t;

/* Everything `padlock serve` can be told, from flags or a config file. */
typedef struct {
	pl_srv_site_t sites[PL_SRV_MAX_SITES];
	size_t n_sites;
	size_t default_site;     /* for a request whose host no site names */
	bool strict_sni;         /* unknown SNI: unrecognized_name */
	char *tls_groups;        /* key exchange groups, comma-separated, in
				    preference order; NULL: the engine's */
	char *tls_versions;      /* "1.2-1.3" (NULL), "1.3" or "1.2" */
	bool tls12_require_ems;  /* refuse TLS 1.2 without RFC 7627 */
	unsigned tickets;        /* TLS 1.3 NewSessionTickets; 0: off */
	unsigned ticket_lifetime; /* seconds */
	unsigned ticket_rotation; /* seconds per ticket key */
	char *ticket_key_file;   /* shared keys (a fleet); NULL: rotating */
	char *listen;            /* address to bind; NULL: every address */
	int https_port;          /* 443 */
	int http_port;           /* 80; 0: no redirect listener */
	bool ports_given;        /* false: fall back to 8443/8080 if needed */
	pl_srv_listen_opts_t listeners[PL_SRV_MAX_EXTRA_LISTENERS];
	size_t n_listeners;      /* the config file's listener sections */
	int workers;             /* 0: one per core */
	char *user;              /* workers' user when started as root;
				    NULL: padlock, else nobody */
	bool unsafe_root_workers; /* let --user root be */
	pl_http_limits_t limits;
	unsigned handshake_timeout_ms; /* 10 s */
	unsigned header_timeout_ms;    /* 10 s */
	unsigned idle_timeout_ms;      /* 60 s, between keep-alive requests */
	unsigned shutdown_timeout_ms;  /* 10 s, graceful stop bound */
	unsigned max_conns;            /* per worker */
	long hsts_max_age;             /* seconds; < 0: no HSTS header */
	bool follow_symlinks;
	bool http2;                    /* offer h2 in ALPN (default) */
	unsigned h2_max_streams;       /* SETTINGS_MAX_CONCURRENT_STREAMS */
	unsigned h2_max_header_list;   /* SETTINGS_MAX_HEADER_LIST_SIZE */
	unsigned h2_window;            /* SETTINGS_INITIAL_WINDOW_SIZE */
	unsigned h2_max_frame;         /* SETTINGS_MAX_FRAME_SIZE */
	bool allow_invalid_cert;       /* tests only */
	char *access_log;              /* NULL: stderr; "off": none */
	char *error_log;               /* NULL: stderr */
	pl_srv_log_format_t log_format;
	pl_srv_log_level_t log_level;
	char *pid_file;
	char *config_file;             /* re-read on SIGHUP */
	pl_srv_acme_options_t acme;
	/* the reverse proxy (proxy.c) */
	char *proxy;                   /* upstream URLs for every site
					  without its own; NULL: none */
	int proxy_balance;             /* 0 round robin, 1 least connections */
	char *proxy_ca;                /* CAs of https upstreams; NULL: the
					  system store */
	char *proxy_host;              /* the Host upstreams get; NULL: the
					  client's */
	char *trusted_proxies;         /* addresses/prefixes whose
					  X-Forwarded-* and Forwarded we keep,
					  and whose PROXY headers we take */
	bool proxy_protocol;           /* every connection to the https-port
					  and http-port listeners starts
					  with a PROXY protocol header (v1
					  or v2); listeners[] say their own */
	unsigned proxy_connect_timeout_ms; /* 5 s */
	unsigned proxy_timeout_ms;     /* 60 s: first byte, and silences */
	unsigned proxy_idle_timeout_ms; /* 30 s: an idle upstream connection */
	unsigned proxy_keepalive;      /* idle upstream connections kept per
					  worker (bound of the pool) */
	pl_srv_upstream_opts_t upstreams[PL_SRV_MAX_UPSTREAM_SECTIONS];
	size_t n_upstreams;            /* the config file's upstream
					  sections */
} pl_srv_options_t;

/* ---- the table of settings --------------------------------------------------
 * One row per setting drives the command line (--NAME), the configuration
 * file (NAME = value), the defaults and --help, so the two ways of setting
 * a value accept exactly the same values. */

typedef enum {
	PL_SRV_OPT_NUMBER, /* an integer in [min, max], times scale */
	PL_SRV_OPT_STRING, /* a string, copied */
	PL_SRV_OPT_FLAG,   /* a flag without a value; true/false in a file */
	PL_SRV_OPT_CHOICE, /* one of choices; its index is stored */
} pl_srv_opt_kind_t;

#define PL_SRV_OPT_CLI 0x01   /* a command-line flag */
#define PL_SRV_OPT_FILE 0x02  /* a setting of the configuration file */
#define PL_SRV_OPT_PORT 0x04  /* setting it means ports were chosen */
#define PL_SRV_OPT_OFF 0x08   /* NUMBER: "off" stores -1 */

typedef struct {
	const char *name;      /* the flag without "--", and the file's key */
	const char *file_name; /* the file's key when it differs, else NULL */
	pl_srv_opt_kind_t kind;
	unsigned flags;        /* PL_SRV_OPT_* */
	long min, max;         /* NUMBER: the range of what is written */
	long scale;            /* NUMBER: stored = written * scale */
	const char *const *choices; /* CHOICE: NULL-terminated */
	const char *fallback;  /* the default as written; NULL: none */
	size_t offset, size;   /* the destination in pl_srv_options_t */
	const char *arg;       /* --help: what the value is ("N", "FILE") */
	const char *help;      /* --help: one line */
} pl_srv_opt_t;

/* The table: *n gets the number of rows. */
const pl_srv_opt_t *pl_srv_options_table(size_t *n);
/* The row whose flag name is name (PL_SRV_OPT_CLI) or whose file key is
 * name (PL_SRV_OPT_FILE), or NULL. */
const pl_srv_opt_t *pl_srv_option_find(const char *name, unsigned where);
/* Sets one setting from its text (value NULL for a flag). On a bad value
 * writes "NAME wants ..., not 'VALUE'" into err (NAME as where spells it:
 * "--hsts" on the command line, "hsts-max-age" in a file) and returns
 * PL_ERR_ARG; PL_ERR_NOMEM. */
int pl_srv_option_set(pl_srv_options_t *o, const pl_srv_opt_t *opt,
		      unsigned where, const char *value, char *err,
		      size_t err_len);

/* Fills o with the defaults (no sites yet). */
void pl_srv_options_default(pl_srv_options_t *o);

/* Frees the strings o holds; o can be filled again. */
void pl_srv_options_free(pl_srv_options_t *o);

/* Reads a configuration file into o (adding its sites and settings to what
 * is there). On error writes "FILE:LINE: what is wrong" into err and
 * returns PL_ERR_DECODE (PL_ERR_IO when the file cannot be read). */
int pl_srv_options_load_file(pl_srv_options_t *o, const char *path,
			     char *err, size_t err_len);

/* Checks the options and every site's certificate and key, printing what
 * it finds to out (one line each). Returns PL_OK when the server can
 * start, PL_ERR_ARG otherwise (`padlock serve --check-config`). */
int pl_srv_check(const pl_srv_options_t *o, FILE *out);

/* Runs the server until it is stopped. Returns the process exit status:
 * 0 after a graceful stop, 1 when it cannot start (the reason is on
 * stderr). */
int pl_srv_run(const pl_srv_options_t *o);

/* ---- padlock cert --acme ----------------------------------------------------- */

typedef struct {
	const char *directory;       /* the CA's directory URL */
	const char *ca_root;         /* --acme-ca-root, or NULL */
	const char *email, *eab_kid, *eab_hmac_key; /* or NULL */
	bool agree_tos;
	const char *state_dir;       /* --state-dir, or NULL: the default */
	const char *const *names;
	size_t n_names;
	const char *listen;          /* the challenge listener's address;
					NULL: 0.0.0.0 */
	uint16_t http_port;          /* where the CA's HTTP-01 requests come */
	bool tls_alpn;               /* TLS-ALPN-01 on tls_port instead */
	uint16_t tls_port;           /* where the CA's TLS-ALPN-01
					handshakes come */
	unsigned timeout_ms;         /* the whole order; 0: no bound */
} pl_srv_acme_cert_t;

/* Obtains a certificate for o->names by HTTP-01 (or TLS-ALPN-01 with
 * o->tls_alpn), answered by a listener on o->http_port (o->tls_port)
 * (a child process) that lives as long as the order, and
 * stores the chain and key (0600) in the state directory. On PL_OK chain
 * and key (cap bytes each) hold their paths. Otherwise one sentence in
 * err: what the CA said, with the fix, or why the port cannot be
 * listened on. The ACME engine of padlock serve (src/server/acme). */
int pl_srv_acme_certificate(const pl_srv_acme_cert_t *o, char *chain,
			     char *key, size_t cap, char *err, size_t err_len);

#endif
