/*
 * post_tool: one pl_client_fetch() with a request body, for tests.
 *
 *   post_tool URL CAFILE ALPN METHOD CONTENT_TYPE BODY_FILE
 *
 * Connects to the URL's host and port, verifies the server's certificate
 * against CAFILE, offers ALPN (a comma-separated list), sends METHOD with
 * the bytes of BODY_FILE as its body (CONTENT_TYPE "-": no body), and
 * writes the response body to stdout. On stderr one line:
 *   protocol=h2 status=200
 * Exit 0 when a response came, 1 with the client's sentence on stderr
 * otherwise, 2 on a bad command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "padlock/client.h"
#include "padlock/x509.h"

static int write_body(void *arg, const uint8_t *data, size_t len, char *err,
		      size_t err_len)
{
	(void)arg;
	if (fwrite(data, 1, len, stdout) != len) {
		snprintf(err, err_len, "stdout: write failed");
		return PL_ERR_IO;
	}
	return PL_OK;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (f == NULL)
		return NULL;
	for (;;) {
		if (*len == cap) {
			uint8_t *more = realloc(buf, cap * 2 + 65536);
			if (more == NULL)
				break;
			buf = more;
			cap = cap * 2 + 65536;
		}
		size_t n = fread(buf + *len, 1, cap - *len, f);
		if (n == 0)
			break;
		*len += n;
	}
	fclose(f);
	return buf;
}

static int fetch(const char *url_text, pl_tls_config_t *cfg,
		 pl_client_request_t *req)
{
	pl_client_connect_opts_t copts = { .timeout_ms = 10000 };
	pl_client_io_t io = { .fd = -1, .timeout_ms = 30000 };
	pl_client_response_t *resp = malloc(sizeof *resp);
	pl_client_url_t url;
	char err[PL_CLIENT_ERR_MAX];
	int rc;

	if (resp == NULL)
		return PL_ERR_NOMEM;
	rc = pl_client_parse_url(url_text, &url, err, sizeof err);
	if (rc == PL_OK)
		rc = pl_client_connect(url.host, url.port, &copts, &io.fd, NULL,
				       0, err, sizeof err);
	if (rc != PL_OK) {
		fprintf(stderr, "post_tool: %s\n", err);
		free(resp);
		return rc;
	}
	io.tls = pl_tls_conn_new(cfg, url.host);
	rc = io.tls != NULL ? pl_client_handshake(&io) : PL_ERR_NOMEM;
	if (rc == PL_OK)
		rc = pl_client_fetch(&io, &url, req, resp);
	if (rc == PL_OK) {
		fflush(stdout);
		fprintf(stderr, "protocol=%s status=%d\n",
			pl_client_protocol(&io), resp->status);
		pl_client_close(&io);
	} else {
		fprintf(stderr, "post_tool: %s\n", io.err);
	}
	pl_tls_conn_free(io.tls);
	close(io.fd);
	free(resp);
	return rc;
}

int main(int argc, char **argv)
{
	pl_client_request_t req = { .on_body = write_body };
	pl_x509_store_t *store;
	pl_tls_config_t *cfg;
	char err[512];
	uint8_t *body = NULL;
	int rc;

	if (argc != 7) {
		fprintf(stderr, "usage: post_tool URL CAFILE ALPN METHOD "
			"CONTENT_TYPE BODY_FILE\n");
		return 2;
	}
	req.method = argv[4];
	if (strcmp(argv[5], "-") != 0) {
		req.content_type = argv[5];
		body = slurp(argv[6], &req.body_len);
		if (body == NULL && req.body_len == 0 &&
		    access(argv[6], R_OK) != 0) {
			fprintf(stderr, "post_tool: cannot read %s\n", argv[6]);
			return 2;
		}
		req.body = body;
	}
	store = pl_x509_store_new(argv[2], NULL, err, sizeof err);
	cfg = pl_tls_config_new(false);
	if (store == NULL || cfg == NULL ||
	    pl_tls_config_set_alpn(cfg, argv[3]) != PL_OK) {
		fprintf(stderr, "post_tool: %s\n", store ? "bad ALPN" : err);
		return 2;
	}
	pl_tls_config_set_trust(cfg, store);
	rc = fetch(argv[1], cfg, &req);
	pl_tls_config_free(cfg);
	free(body);
	return rc == PL_OK ? 0 : 1;
}
