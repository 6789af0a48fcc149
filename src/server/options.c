/* pl_srv_options_t: defaults and freeing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

void pl_srv_options_default(pl_srv_options_t *o)
{
	memset(o, 0, sizeof(*o));
	o->https_port = 443;
	o->http_port = 80;
	pl_http_limits_default(&o->limits);
	o->handshake_timeout_ms = 10000;
	o->header_timeout_ms = 10000;
	o->idle_timeout_ms = 60000;
	o->shutdown_timeout_ms = 10000;
	o->max_conns = 10000;
	o->hsts_max_age = 63072000; /* two years */
	o->log_level = PL_SRV_LOG_INFO;
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
	}
	free(o->listen);
	free(o->user);
	free(o->access_log);
	free(o->error_log);
	free(o->pid_file);
	free(o->config_file);
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
	}
	ret |= dup_str(&dst->listen, src->listen);
	ret |= dup_str(&dst->user, src->user);
	ret |= dup_str(&dst->access_log, src->access_log);
	ret |= dup_str(&dst->error_log, src->error_log);
	ret |= dup_str(&dst->pid_file, src->pid_file);
	ret |= dup_str(&dst->config_file, src->config_file);
	if (ret) {
		pl_srv_options_free(dst);
		return PL_ERR_NOMEM;
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
	return PL_OK;
}
