/*
 * libFuzzer harness: a hostile server's HTTP/2 frames into the client's
 * response mapping (src/client/h2.c): nghttp2's client session, the
 * response head kept in pl_client_response_t, interim responses and
 * trailers, the body handed on, and every way the stream can end early.
 *
 * Input: one control byte, then the bytes the server sends after the TLS
 * handshake (its SETTINGS first, as RFC 9113 3.4 wants). Control bits:
 * 0 the request is HEAD (else GET); 1 the -v frame trace is on; 2 the body
 * sink refuses the first piece (a full disk). The client runs over one end
 * of a socketpair without TLS (fuzzed elsewhere); the input is written to
 * the other end, which is then shut for writing, so the end of the input
 * is the server closing the connection.
 *
 * Beyond not crashing or leaking: a fetch that succeeds has a final status
 * (200-599), header strings inside resp->head, as many body bytes as the
 * sink was given and none for HEAD; a fetch that fails says why in one
 * line. FUZZ_VERBOSE=1 in the environment prints how each input ended.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "padlock/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX (64 * 1024)  /* fits the socketpair's buffers */

#define REQUIRE(cond)                                                        \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "fuzz_get_h2: %s:%d: %s\n", __FILE__, \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

struct sink {
	bool refuse;
	bool heads;         /* on_head was called */
	uint64_t body;      /* bytes given to on_body */
	uint8_t last;       /* touches every byte */
};

static void on_head(void *arg, const pl_client_response_t *r)
{
	struct sink *s = arg;

	REQUIRE(!s->heads);
	REQUIRE(r->status >= 200 && r->status <= 599);
	s->heads = true;
}

static int on_body(void *arg, const uint8_t *data, size_t len, char *err,
		   size_t err_len)
{
	struct sink *s = arg;

	REQUIRE(s->heads && len > 0);
	if (s->refuse) {
		snprintf(err, err_len, "the disk is full");
		return PL_ERR_IO;
	}
	for (size_t i = 0; i < len; i++)
		s->last ^= data[i];
	s->body += len;
	return PL_OK;
}

static void on_frame(void *arg, bool sent, const char *frame, const char *text)
{
	REQUIRE(frame[0] != '\0' && strchr(text, '\n') == NULL);
	(void)arg;
	(void)sent;
}

static bool inside(const pl_client_response_t *r, const char *p)
{
	return p >= r->head && p < r->head + sizeof r->head &&
	       memchr(p, '\0', (size_t)(r->head + sizeof r->head - p)) != NULL;
}

static void check_response(const pl_client_response_t *r, const struct sink *s,
			   bool head)
{
	REQUIRE(s->heads);
	REQUIRE(r->status >= 200 && r->status <= 599);
	REQUIRE(strcmp(r->version, "HTTP/2") == 0 && r->reason[0] == '\0');
	REQUIRE(r->header_count <= PL_CLIENT_HEADERS_MAX);
	for (size_t i = 0; i < r->header_count; i++)
		REQUIRE(inside(r, r->headers[i].name) &&
			inside(r, r->headers[i].value));
	REQUIRE(r->body_bytes == s->body);
	REQUIRE(!head || r->body_bytes == 0);
}

static void write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		REQUIRE(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pl_client_response_t resp;
	pl_client_url_t url = { .host = "fuzz.padlock.test", .port = 443,
				.authority = "fuzz.padlock.test",
				.path = "/fuzz?x=1" };
	pl_client_io_t io = { .fd = -1, .timeout_ms = 20 };
	struct sink s = { 0 };
	int fds[2];

	if (size < 1)
		return 0;
	uint8_t control = data[0];
	bool head = control & 1;
	pl_client_request_t req = {
		.method = head ? "HEAD" : "GET",
		.on_head = on_head, .on_body = on_body, .arg = &s,
		.on_frame = control & 2 ? on_frame : NULL,
	};
	s.refuse = control & 4;
	data++;
	size--;
	if (size > INPUT_MAX)
		size = INPUT_MAX;
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
	write_all(fds[1], data, size);
	REQUIRE(shutdown(fds[1], SHUT_WR) == 0);
	REQUIRE(fcntl(fds[0], F_SETFL, O_NONBLOCK) == 0);
	io.fd = fds[0];
	memset(&resp, 0, sizeof resp);
	int rc = pl_client_h2_fetch(&io, &url, &req, &resp);
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_get_h2: %s: status %d, %zu header fields, "
			"%llu body bytes\n", rc == PL_OK ? "complete" : io.err,
			resp.status, resp.header_count,
			(unsigned long long)resp.body_bytes);
	if (rc == PL_OK)
		check_response(&resp, &s, head);
	else
		REQUIRE(rc < 0 && io.err[0] != '\0' &&
			strchr(io.err, '\n') == NULL);
	close(fds[0]);
	close(fds[1]);
	return 0;
}
