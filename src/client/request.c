/*
 * Any HTTP/1.1 request with a body (POST for ACME, RFC 8555 6.2), the
 * response read whole into memory.
 *
 * One parser reads every response padlock's client receives: the one of
 * fetch.c. Here the request goes out as given, the response is read to
 * the end of the connection (Connection: close; at most
 * PL_CLIENT_REQUEST_MAX bytes), and those bytes are handed to
 * pl_client_get over a local socket pair, whose own request is written to
 * the pair and never read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "padlock/client.h"

struct body {
	uint8_t *data;
	size_t len;
};

static int send_head(pl_client_io_t *io, const pl_client_url_t *url,
		     const pl_client_post_t *req)
{
	char head[sizeof url->path + sizeof url->authority + 512];
	int len;

	if (strpbrk(url->path, " \r\n") != NULL ||
	    strpbrk(req->method, " \r\n") != NULL ||
	    (req->content_type != NULL && strpbrk(req->content_type, "\r\n") != NULL))
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_ARG,
			"the request contains a space or a line break where it "
			"cannot");
	len = snprintf(head, sizeof head,
		       "%s %s HTTP/1.1\r\n"
		       "Host: %s\r\n"
		       "User-Agent: padlock/0.1\r\n"
		       "Accept: */*\r\n"
		       "Connection: close\r\n",
		       req->method, url->path[0] ? url->path : "/", url->authority);
	if (len > 0 && req->content_type != NULL)
		len += snprintf(head + len, sizeof head - (size_t)len,
				"Content-Type: %s\r\nContent-Length: %zu\r\n",
				req->content_type, req->body_len);
	if (len < 0 || (size_t)len + 3 > sizeof head)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_ARG,
				      "the request is too long");
	memcpy(head + len, "\r\n", 3);
	return pl_client_write(io, (const uint8_t *)head, (size_t)len + 2);
}

/* The whole response, to the end of the connection. */
static int read_all(pl_client_io_t *io, uint8_t *buf, size_t cap, size_t *len)
{
	*len = 0;
	for (;;) {
		size_t n = 0;
		int rc;

		if (*len == cap)
			return pl_client_fail(io->err, sizeof io->err, PL_ERR_DECODE,
				"the response is larger than %zu bytes", cap);
		rc = pl_client_read(io, buf + *len, cap - *len, &n);
		if (rc == PL_ERR_CLOSED || (rc == PL_ERR_IO && io->tcp_closed && *len > 0))
			return PL_OK; /* framing errors are the parser's to find */
		if (rc != PL_OK)
			return rc;
		*len += n;
	}
}

static int keep_body(void *arg, const uint8_t *data, size_t len, char *err,
		     size_t err_len)
{
	struct body *b = arg;
	uint8_t *more = realloc(b->data, b->len + len + 1);

	if (more == NULL)
		return pl_client_fail(err, err_len, PL_ERR_NOMEM, "out of memory");
	memcpy(more + b->len, data, len);
	b->data = more;
	b->len += len;
	b->data[b->len] = '\0';
	return PL_OK;
}

/* Parses raw (a whole response) with fetch.c's parser. */
static int parse(pl_client_io_t *io, const pl_client_url_t *url,
		 const uint8_t *raw, size_t raw_len, pl_client_response_t *resp,
		 struct body *body)
{
	pl_client_io_t local = { .fd = -1, .timeout_ms = 1000 };
	int sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_IO,
				      "socketpair: out of descriptors");
	/* a local stream socket buffers far more than PL_CLIENT_REQUEST_MAX
	 * (net.core.wmem_default, 208 KiB), so this write never waits */
	if (write(sv[0], raw, raw_len) != (ssize_t)raw_len) {
		close(sv[0]);
		close(sv[1]);
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_IO,
				      "the response does not fit the local "
				      "socket buffer");
	}
	shutdown(sv[0], SHUT_WR);
	local.fd = sv[1];
	rc = pl_client_get(&local, url, resp, NULL, keep_body, body);
	if (rc != PL_OK)
		memcpy(io->err, local.err, sizeof io->err);
	close(sv[0]);
	close(sv[1]);
	return rc;
}

int pl_client_request(pl_client_io_t *io, const pl_client_url_t *url,
		      const pl_client_post_t *req,
		      pl_client_response_t *resp, uint8_t **body,
		      size_t *body_len)
{
	uint8_t *raw = malloc(PL_CLIENT_REQUEST_MAX);
	struct body b = { NULL, 0 };
	size_t raw_len = 0;
	int rc;

	*body = NULL;
	*body_len = 0;
	if (raw == NULL)
		return pl_client_fail(io->err, sizeof io->err, PL_ERR_NOMEM,
				      "out of memory");
	rc = send_head(io, url, req);
	if (rc == PL_OK && req->body_len > 0)
		rc = pl_client_write(io, req->body, req->body_len);
	if (rc == PL_OK)
		rc = read_all(io, raw, PL_CLIENT_REQUEST_MAX, &raw_len);
	if (rc == PL_OK)
		rc = parse(io, url, raw, raw_len, resp, &b);
	free(raw);
	if (rc != PL_OK) {
		free(b.data);
		return rc;
	}
	*body = b.data != NULL ? b.data : calloc(1, 1);
	*body_len = b.len;
	return *body != NULL ? PL_OK : PL_ERR_NOMEM;
}
