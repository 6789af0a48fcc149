/*
 * What every protocol (http1.c, h2.c) does with a request over HTTPS:
 * the site it names answers through the http layer, and the access log
 * gets one line for it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/conn.h"

int pl_srv_serve_https(pl_srv_conn_t *c, const pl_http_request_t *req,
		       const pl_http_conninfo_t *conninfo,
		       pl_http_reply_t *reply)
{
	const pl_srv_runtime_t *rt = pl_srv_conn_runtime(c);
	const pl_srv_rsite_t *site =
		pl_srv_site_of_request(rt, req, conninfo->sni);
	char *chain_text[8];
	size_t chain_len = 0;
	pl_http_conninfo_t info = *conninfo;
	/* The welcome page shows the chain: made only for it. */
	if (site->http.root == NULL)
		chain_len = pl_http_chain_text(pl_tls_peer_chain(c->tls),
					       chain_text, 8);
	info.chain_text = (const char *const *)chain_text;
	info.chain_len = chain_len;
	int ret = pl_http_serve(&site->http, req, &info, time(NULL), reply);
	for (size_t i = 0; i < chain_len; i++)
		free(chain_text[i]);
	return ret;
}

void pl_srv_log_reply(pl_srv_conn_t *c, const pl_http_request_t *req,
		      int version, const pl_http_conninfo_t *info,
		      const pl_http_reply_t *reply, uint64_t start_us)
{
	pl_srv_log_reply_with(c, req, version, info, reply, start_us, NULL);
}

void pl_srv_log_reply_with(pl_srv_conn_t *c, const pl_http_request_t *req,
			   int version, const pl_http_conninfo_t *info,
			   const pl_http_reply_t *reply, uint64_t start_us,
			   const pl_srv_access_t *extra)
{
	pl_srv_access_t a;
	char host[256];
	memset(&a, 0, sizeof(a));
	if (extra) {
		a.upstream = extra->upstream;
		a.upstream_us = extra->upstream_us;
	}
	a.peer = c->peer;
	a.peer_port = c->peer_port;
	a.version = version;
	if (req) {
		const pl_http_str_t *ref = pl_http_header(req, "Referer");
		const pl_http_str_t *ua = pl_http_header(req, "User-Agent");
		a.method = req->method.ptr;
		a.target = req->target.ptr;
		pl_srv_request_host_str(req, host, sizeof(host));
		a.host = host[0] ? host : NULL;
		a.referer = ref ? ref->ptr : NULL;
		a.user_agent = ua ? ua->ptr : NULL;
	}
	a.status = reply->status;
	a.bytes = reply->body_bytes;
	if (c->transport->secure) {
		a.tls_version = info->tls_version;
		a.suite = info->suite;
		a.group = info->group;
	}
	a.duration_us = (uint32_t)(pl_srv_now_us() - start_us);
	pl_srv_log_access(&a);
}
