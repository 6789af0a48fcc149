/*
 * pl_http_serve(): what a site answers over HTTPS. GET and HEAD only;
 * the files under the site's root, or the welcome page when it has none.
 */
#include "http/serve_int.h"

int pl_http_serve(const pl_http_site_t *site, const pl_http_request_t *req,
		  const pl_http_conninfo_t *info, time_t now,
		  pl_http_reply_t *reply)
{
	pl_http_answer_t a;

	if (site == NULL || req == NULL || reply == NULL)
		return PL_ERR_ARG;
	pl_http_answer_start(&a, req, now, site->server, site->hsts_max_age,
			     req->keep_alive, reply);

	/* RFC 9110 15.5.6: 405 lists what the resource supports. OPTIONS
	 * is not among them: a static site has nothing to say to it that
	 * Allow does not (and "OPTIONS *" lands here too). */
	if (!pl_http_method_is(req, "GET") && !pl_http_method_is(req, "HEAD")) {
		pl_http_answer_field(&a, "Allow", "GET, HEAD");
		return pl_http_answer_error(&a, 405, "method other than GET or HEAD");
	}
	/* GET and HEAD only ever come in origin or absolute form (the parser
	 * keeps "*" for OPTIONS and authority-form for CONNECT) */
	if (req->target_form != PL_HTTP_TARGET_ORIGIN &&
	    req->target_form != PL_HTTP_TARGET_ABSOLUTE)
		return pl_http_answer_error(&a, 400, "request-target form");
	if (site->root == NULL)
		return pl_http_serve_welcome(info, &a);
	return pl_http_serve_file(site, &a);
}
