/* `padlock serve --check-config`: everything the server checks before it
 * starts, without binding or forking. */
#include <string.h>
#include <time.h>

#include "padlock/x509.h"
#include "server/acme/acme.h"
#include "server/server_int.h"

static void print_site(FILE *out, const pl_srv_site_t *s)
{
	char err[320];
	pl_x509_chain_t *chain = pl_x509_chain_load_pem(s->cert_file, err,
							sizeof(err));
	pl_x509_info_t info;
	if (chain == NULL || pl_x509_chain_info(chain, 0, &info) != PL_OK) {
		pl_x509_chain_free(chain);
		return;
	}
	long days = (long)((info.not_after - time(NULL)) / 86400);
	fprintf(out, "ok: site %s: %s, %zu certificate(s), for %s, %ld days left\n",
		s->n_names ? s->names[0] : "(no name)", s->cert_file,
		pl_x509_chain_count(chain), info.names, days);
	pl_x509_chain_free(chain);
}

static void print_listener(FILE *out, const char *addr, int port, bool http,
			   bool proxy_protocol)
{
	bool v6 = addr && strchr(addr, ':');
	fprintf(out, "ok: listener %s%s%s:%d: %s, %s\n", v6 ? "[" : "",
		addr ? addr : "*", v6 ? "]" : "", port,
		http ? "HTTP (redirect)" : "HTTPS",
		proxy_protocol ? "PROXY protocol header required from "
				 "trusted-proxies"
			       : "no PROXY protocol header");
}

/* Each socket a start would bind, and whether it expects PROXY headers. */
static void print_listeners(FILE *out, const pl_srv_options_t *o)
{
	print_listener(out, o->listen, o->https_port, false, o->proxy_protocol);
	if (o->http_port)
		print_listener(out, o->listen, o->http_port, true,
			       o->proxy_protocol);
	for (size_t i = 0; i < o->n_listeners; i++)
		print_listener(out, o->listeners[i].addr, o->listeners[i].port,
			       o->listeners[i].http,
			       o->listeners[i].proxy_protocol);
}

int pl_srv_check(const pl_srv_options_t *o, FILE *out)
{
	pl_srv_options_t resolved;
	pl_srv_runtime_t rt;
	char err[512];
	if (pl_srv_options_resolve(&resolved, o, err, sizeof(err)) != PL_OK) {
		fprintf(out, "error: %s\n", err);
		return PL_ERR_ARG;
	}
	if (pl_srv_runtime_load(&rt, &resolved, err, sizeof(err)) != PL_OK) {
		fprintf(out, "error: %s\n", err);
		pl_srv_options_free(&resolved);
		return PL_ERR_ARG;
	}
	pl_srv_identity_t id;
	if (pl_srv_identity_resolve(&resolved, &id, err, sizeof(err)) != PL_OK) {
		fprintf(out, "error: %s\n", err);
		pl_srv_runtime_free(&rt);
		pl_srv_options_free(&resolved);
		return PL_ERR_ARG;
	}
	for (size_t i = 0; i < resolved.n_sites; i++) {
		if (resolved.sites[i].acme)
			pl_srv_acme_status(&resolved, &resolved.sites[i], out);
		else
			print_site(out, &resolved.sites[i]);
	}
	print_listeners(out, &resolved);
	fprintf(out, "ok: workers run as %s:%s%s\n", id.user, id.group,
		id.uid == 0 ? " (--unsafe-root-workers)" : "");
	fprintf(out, "ok: the configuration is valid (%zu site%s, HTTPS port "
		"%d, %s)\n",
		resolved.n_sites, resolved.n_sites == 1 ? "" : "s",
		resolved.https_port,
		resolved.http_port ? "HTTP redirect on" : "no HTTP redirect");
	pl_srv_runtime_free(&rt);
	pl_srv_options_free(&resolved);
	return PL_OK;
}
