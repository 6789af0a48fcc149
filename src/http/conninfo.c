/*
 * What the http layer decides about a connection for the server: which
 * host a request names (to choose its site), and the welcome page's text
 * for the certificate chain the visitor was shown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "padlock/http.h"
#include "padlock/x509.h"

const char *pl_http_host_name(const pl_http_request_t *req, size_t *len)
{
	pl_http_str_t host = pl_http_request_host(req);
	*len = host.len;
	return host.len ? host.ptr : NULL;
}

static char *one_certificate(const pl_x509_info_t *info)
{
	char nb[32], na[32], *text;
	struct tm tm;
	gmtime_r(&info->not_before, &tm);
	strftime(nb, sizeof(nb), "%Y-%m-%d", &tm);
	gmtime_r(&info->not_after, &tm);
	strftime(na, sizeof(na), "%Y-%m-%d", &tm);
	if (asprintf(&text,
		     "subject: %s\nissuer: %s\nnames: %s\nkey: %s, signed with "
		     "%s\nvalid: %s to %s",
		     info->subject, info->issuer,
		     info->names[0] ? info->names : "(none)", info->key,
		     info->sig_alg, nb, na) < 0)
		return NULL;
	return text;
}

size_t pl_http_chain_text(const pl_x509_chain_t *chain, char **text,
			  size_t max)
{
	size_t n = 0;
	for (size_t i = 0; chain && i < pl_x509_chain_count(chain) && n < max;
	     i++) {
		pl_x509_info_t info;
		if (pl_x509_chain_info(chain, i, &info) != PL_OK ||
		    (text[n] = one_certificate(&info)) == NULL)
			break;
		n++;
	}
	return n;
}
