/*
 * Replies (src/http/reply.c): init, free and reuse, and the error answer
 * for requests the parser refused, which over TLS carries HSTS too.
 */
#include <fcntl.h>

#include "http/serve_test.h"

#define NOW 1700000000

static void parser_error_over_tls_carries_hsts(void)
{
	pl_http_reply_t reply;
	const char *body;
	size_t body_len;

	pl_http_reply_init(&reply);
	CHECK(pl_http_reply_error(&reply, 431, "too many\r\nheader fields",
				  63072000, false, NOW, "padlock") == PL_OK);
	CHECK_EQ_INT(reply_status_line(&reply), 431);
	CHECK_EQ_INT(reply.status, 431);
	CHECK(reply.close);
	CHECK(reply.why == NULL);
	CHECK_EQ_INT(reply.file_fd, -1);
	CHECK_HEADER(&reply, "Strict-Transport-Security", "max-age=63072000");
	CHECK_HEADER(&reply, "Connection", "close");
	CHECK_HEADER(&reply, "Content-Type", "text/plain; charset=utf-8");
	CHECK_HEADER(&reply, "Server", "padlock");
	CHECK_HEADER(&reply, "Date", "Tue, 14 Nov 2023 22:13:20 GMT");
	body = reply_body(&reply, &body_len);
	/* the detail as text: CR and LF become spaces */
	CHECK(body != NULL && body_len == 61 &&
	      memcmp(body, "431 Request Header Fields Too Large: too many  header fields\n",
		     body_len) == 0);
	CHECK_EQ_INT(reply.body_bytes, body_len);
	CHECK_HEADER(&reply, "Content-Length", "61");

	/* no HSTS when turned off; no detail; HEAD: no body */
	CHECK(pl_http_reply_error(&reply, 400, NULL, -1, true, NOW, NULL) == PL_OK);
	CHECK_HEADER(&reply, "Strict-Transport-Security", NULL);
	CHECK_HEADER(&reply, "Server", NULL);
	CHECK_HEADER(&reply, "Content-Length", "16");
	CHECK(reply_body(&reply, &body_len) != NULL && body_len == 0);
	CHECK_EQ_INT(reply.body_bytes, 0);

	CHECK(pl_http_reply_error(&reply, 304, NULL, -1, false, NOW, NULL) == PL_ERR_ARG);
	CHECK(pl_http_reply_error(&reply, 204, NULL, -1, false, NOW, NULL) == PL_ERR_ARG);
	CHECK(pl_http_reply_error(&reply, 100, NULL, -1, false, NOW, NULL) == PL_ERR_ARG);
	CHECK(pl_http_reply_error(&reply, 400, NULL, -1, false, NOW, "bad\r\nvalue") ==
	      PL_ERR_ARG);
	pl_http_reply_free(&reply);
}

static void free_closes_the_file_and_empties_the_reply(void)
{
	pl_http_reply_t reply;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	pl_http_reply_init(&reply);
	CHECK_EQ_INT(reply.file_fd, -1);
	CHECK(reply.body.data == NULL && reply.text.data == NULL);
	reply.file_fd = fd;
	reply.file_len = 1;
	pl_http_reply_free(&reply);
	CHECK_EQ_INT(reply.file_fd, -1);
	CHECK_EQ_INT(reply.file_len, 0);
	/* the descriptor was closed */
	CHECK(fcntl(fd, F_GETFD) == -1);
	/* freed twice: harmless */
	pl_http_reply_free(&reply);
}

static void a_new_answer_replaces_the_last_one(void)
{
	pl_http_reply_t reply;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	pl_http_reply_init(&reply);
	reply.file_fd = fd;
	CHECK(pl_http_reply_error(&reply, 500, "x", -1, false, NOW, NULL) == PL_OK);
	CHECK_EQ_INT(reply.file_fd, -1);
	CHECK(fcntl(fd, F_GETFD) == -1);
	CHECK(pl_http_reply_error(&reply, 503, NULL, -1, false, NOW, NULL) == PL_OK);
	CHECK_EQ_INT(reply_status_line(&reply), 503);
	{
		char *text = reply_text(&reply);
		CHECK(strstr(text, "500") == NULL);
		free(text);
	}
	pl_http_reply_free(&reply);
}

int main(void)
{
	RUN(parser_error_over_tls_carries_hsts);
	RUN(free_closes_the_file_and_empties_the_reply);
	RUN(a_new_answer_replaces_the_last_one);
	return test_finish();
}
