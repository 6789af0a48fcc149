/*
 * Which host a request names, one answer for site selection, the logs and
 * the redirect from port 80: an absolute-form target's authority wins over
 * Host (RFC 9112 3.2.2), the port is dropped, and SNI stands in when a
 * request names none (HTTP/1.0 without Host).
 *
 * The redirect keeps a host only when the server serves it. Copying any
 * Host into Location would have port 80 send visitors wherever a request
 * says (Host: evil.com -> https://evil.com/): harmless on its own, but an
 * open redirect for a cache or proxy in front that is fooled about Host.
 * A stranger's host goes to the site's own first name rather than a 421
 * or 400, because the usual stranger is a person who typed the server's
 * IP address, or an old name pointed here, and should land on the site.
 */
#include <string.h>

#include "server/acme/acme.h"
#include "server/server_int.h"

const pl_srv_rsite_t *pl_srv_site_of_request(const pl_srv_runtime_t *rt,
					     const pl_http_request_t *req,
					     const char *sni)
{
	pl_http_str_t host = pl_http_request_host(req);
	if (host.len == 0 && sni)
		host = (pl_http_str_t){sni, strlen(sni)};
	return pl_srv_site_for(rt, host.ptr, host.len);
}

void pl_srv_request_host_str(const pl_http_request_t *req, char *out,
			     size_t cap)
{
	pl_http_str_t host = pl_http_request_host(req);
	size_t n = host.len < cap - 1 ? host.len : cap - 1;
	memcpy(out, host.ptr, n);
	out[n] = 0;
}

/* The first name of the default site that can be a URL's host (not a
 * wildcard); NULL when there is none. */
static const char *canonical_name(const pl_srv_runtime_t *rt)
{
	const pl_srv_rsite_t *def = pl_srv_site_for(rt, NULL, 0);
	for (size_t i = 0; i < def->n_names; i++)
		if (def->names[i][0] != '*')
			return def->names[i];
	return NULL;
}

static bool any_names(const pl_srv_runtime_t *rt)
{
	for (size_t i = 0; i < rt->n_sites; i++)
		if (rt->sites[i].n_names)
			return true;
	return false;
}

int pl_srv_redirect(const pl_srv_runtime_t *rt, const pl_http_request_t *req,
		    int https_port, time_t now, pl_http_reply_t *reply)
{
	const char *canonical = canonical_name(rt);
	int ret;
	if (pl_srv_acme_http01(req, now, reply, &ret))
		return ret;
	if (!any_names(rt))
		return pl_http_redirect(req, NULL, https_port, now, "padlock",
					reply);
	pl_http_str_t host = pl_http_request_host(req);
	if (host.len && pl_srv_site_named(rt, host.ptr, host.len))
		return pl_http_redirect(req, canonical, https_port, now,
					"padlock", reply);
	if (canonical == NULL) /* only wildcards: nowhere to send it */
		return pl_http_redirect_to(req, "", https_port, now, "padlock",
					   reply);
	return pl_http_redirect_to(req, canonical, https_port, now, "padlock",
				   reply);
}
