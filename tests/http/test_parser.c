/*
 * The HTTP/1.1 request parser (src/http/parser.c, fields.c, chunked.c,
 * target.c): valid requests give the same events however the input is
 * split, pipelined requests continue from the remaining bytes, and every
 * smuggling defence and limit answers with its status code.
 *
 * Each input runs through a transcript: a text record of every event the
 * parser reported (heads, body bytes, trailers, done, the failure). The
 * transcript of the whole input at once must equal the one of the input
 * fed one byte at a time, split in two at every offset, and split in three
 * at many pairs of offsets.
 */
#include <stdarg.h>

#include "http/http_int.h"
#include "padlock/http.h"
#include "test.h"

/* ---- transcripts --------------------------------------------------------- */

/* A check run for every event of every split: counted only when it fails. */
#define CHECK_QUIET(cond)                                                     \
	do {                                                                  \
		if (!(cond))                                                  \
			CHECK(cond);                                          \
	} while (0)

struct run {
	pl_http_parser_t *p;
	char text[32768];
	size_t len;
	char body[65536];
	size_t body_len;
	bool stopped;   /* failed, or done with a request that closes */
	int ret;        /* the failure's return code, or PL_OK */
	int status;
	const char *reason;
	unsigned requests;
};

static void say(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct run *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->text + r->len, sizeof r->text - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n < sizeof r->text - r->len
				  ? (size_t)n
				  : sizeof r->text - r->len - 1;
}

static void say_fields(struct run *r, const pl_http_field_t *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* the slices are NUL-terminated where they end */
		CHECK_QUIET(f[i].name.ptr[f[i].name.len] == '\0');
		CHECK_QUIET(f[i].value.ptr[f[i].value.len] == '\0');
		say(r, "  [%.*s]: [%.*s]\n", (int)f[i].name.len, f[i].name.ptr,
		    (int)f[i].value.len, f[i].value.ptr);
	}
}

static void say_head(struct run *r, const pl_http_request_t *q)
{
	say(r, "HEAD %s %s v%d form%d host=[%s] framing%d cl%llu ka%d ec%d eu%d\n",
	    q->method.ptr, q->target.ptr, q->version, (int)q->target_form,
	    q->host.ptr, (int)q->framing, (unsigned long long)q->content_length,
	    q->keep_alive, q->expect_continue, q->expect_unknown);
	say_fields(r, q->fields, q->field_count);
}

static void say_body(struct run *r)
{
	say(r, "BODY %zu [%.*s]\n", r->body_len, (int)r->body_len, r->body);
	r->body_len = 0;
}

static void feed(struct run *r, const uint8_t *in, size_t len)
{
	while (!r->stopped) {
		pl_http_step_t st;
		const pl_http_request_t *q;
		int ret = pl_http_parse(r->p, in, len, &st);

		if (ret != PL_OK) {
			r->ret = ret;
			r->status = pl_http_parser_status(r->p);
			r->reason = pl_http_parser_reason(r->p);
			say_body(r);
			say(r, "ERROR %d %d %s\n", ret, r->status,
			    r->reason ? r->reason : "(none)");
			q = pl_http_parser_request(r->p);
			if (q)
				say(r, "  partial %s %s\n", q->method.ptr, q->target.ptr);
			r->stopped = true;
			return;
		}
		CHECK_QUIET(st.consumed <= len);
		in += st.consumed;
		len -= st.consumed;
		q = pl_http_parser_request(r->p);
		switch (st.event) {
		case PL_HTTP_NEED_MORE:
			CHECK_QUIET(len == 0);
			return;
		case PL_HTTP_HEAD:
			CHECK_QUIET(q != NULL);
			say_head(r, q);
			break;
		case PL_HTTP_BODY:
			CHECK_QUIET(st.body_len > 0);
			CHECK_QUIET(r->body_len + st.body_len <= sizeof r->body);
			memcpy(r->body + r->body_len, st.body, st.body_len);
			r->body_len += st.body_len;
			break;
		case PL_HTTP_DONE:
			say_body(r);
			say(r, "TRAILERS %zu\n", q->trailer_count);
			say_fields(r, q->trailers, q->trailer_count);
			say(r, "DONE received=%llu\n",
			    (unsigned long long)q->body_received);
			r->requests++;
			if (pl_http_parser_must_close(r->p)) {
				say(r, "CLOSE\n");
				r->stopped = true;
			}
			break;
		}
	}
}

/* Runs in[0..len) cut at the offsets cuts[0..n) (increasing). */
static void run_cut(struct run *r, const pl_http_limits_t *lim,
		    const char *in, size_t len, const size_t *cuts, size_t n)
{
	size_t at = 0;

	memset(r, 0, sizeof *r);
	r->p = pl_http_parser_new(lim);
	if (r->p == NULL)
		abort();
	for (size_t i = 0; i <= n; i++) {
		size_t end = i < n ? cuts[i] : len;
		feed(r, (const uint8_t *)in + at, end - at);
		at = end;
	}
	if (!r->stopped)
		say(r, "END\n");
	pl_http_parser_free(r->p);
	r->p = NULL;
}

static bool same(const struct run *a, const struct run *b)
{
	return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

static struct run whole_run, split_run;

/* Runs the input whole into whole_run and checks that every way of
 * splitting it gives the same transcript. */
static void run_all(const pl_http_limits_t *lim, const char *in, size_t len)
{
	size_t cuts[2];
	unsigned bad = 0;

	run_cut(&whole_run, lim, in, len, NULL, 0);
	/* one byte at a time */
	{
		size_t *all = malloc((len + 1) * sizeof *all);
		for (size_t i = 0; i < len; i++)
			all[i] = i;
		run_cut(&split_run, lim, in, len, all, len);
		free(all);
		if (!same(&whole_run, &split_run)) {
			bad++;
			fprintf(stderr, "byte by byte differs:\n--- whole\n%s--- split\n%s",
				whole_run.text, split_run.text);
		}
	}
	for (size_t i = 0; i <= len && !bad; i++) {
		cuts[0] = i;
		run_cut(&split_run, lim, in, len, cuts, 1);
		if (!same(&whole_run, &split_run)) {
			bad++;
			fprintf(stderr, "split at %zu differs:\n--- whole\n%s--- split\n%s",
				i, whole_run.text, split_run.text);
		}
	}
	for (size_t i = 1; i < len && !bad; i += 1 + len / 40) {
		for (size_t j = i; j <= len && !bad; j++) {
			cuts[0] = i;
			cuts[1] = j;
			run_cut(&split_run, lim, in, len, cuts, 2);
			if (!same(&whole_run, &split_run)) {
				bad++;
				fprintf(stderr, "split at %zu,%zu differs:\n--- whole\n%s--- split\n%s",
					i, j, whole_run.text, split_run.text);
			}
		}
	}
	CHECK_MSG(bad == 0, "splitting changed the events");
}

#define RUN_INPUT(lit) run_all(NULL, lit, sizeof(lit) - 1)
#define RUN_LIM(lim, lit) run_all(lim, lit, sizeof(lit) - 1)

/* The whole input must fail with status, the same however it is split. */
#define EXPECT_REJECT(lit, code)                                              \
	do {                                                                  \
		RUN_INPUT(lit);                                               \
		CHECK_EQ_INT(whole_run.status, code);                         \
		CHECK(whole_run.ret == (code == 500 ? PL_ERR_NOMEM : PL_ERR_DECODE)); \
		CHECK(whole_run.reason != NULL && whole_run.reason[0] != '\0'); \
		if (whole_run.status != code)                                 \
			fprintf(stderr, "%s", whole_run.text);                \
	} while (0)

#define EXPECT_REJECT_LIM(lim, lit, code)                                     \
	do {                                                                  \
		run_all(lim, lit, sizeof(lit) - 1);                           \
		CHECK_EQ_INT(whole_run.status, code);                         \
		if (whole_run.status != code)                                 \
			fprintf(stderr, "%s", whole_run.text);                \
	} while (0)

/* The transcript must contain text. */
#define EXPECT_TEXT(text_)                                                    \
	CHECK_MSG(strstr(whole_run.text, text_) != NULL,                      \
		  "no \"%s\" in:\n%s", text_, whole_run.text)

#define H11 " HTTP/1.1\r\nHost: example.com\r\n"

/* ---- valid requests ------------------------------------------------------ */

static void parses_simple_get(void)
{
	RUN_INPUT("GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\n"
		  "User-Agent: test\r\nAccept: */*\r\n\r\n");
	CHECK_EQ_INT(whole_run.requests, 1);
	CHECK_EQ_INT(whole_run.ret, PL_OK);
	CHECK_EQ_INT(whole_run.status, 0);
	EXPECT_TEXT("HEAD GET /index.html?x=1 v11 form0 host=[example.com] framing0 cl0 ka1 ec0 eu0\n");
	EXPECT_TEXT("  [User-Agent]: [test]\n  [Accept]: [*/*]\n");
	EXPECT_TEXT("BODY 0 []\nTRAILERS 0\nDONE received=0\nEND\n");
}

static void parses_http10_without_host(void)
{
	RUN_INPUT("GET / HTTP/1.0\r\n\r\n");
	EXPECT_TEXT("HEAD GET / v10 form0 host=[] framing0 cl0 ka0");
	EXPECT_TEXT("DONE received=0\nCLOSE\n");
}

static void trims_whitespace_around_field_values(void)
{
	RUN_INPUT("GET /" H11 "A: \t spaced out \t \r\nB:tight\r\nC:\r\nD:   \r\n\r\n");
	EXPECT_TEXT("  [A]: [spaced out]\n  [B]: [tight]\n  [C]: []\n  [D]: []\n");
}

static void accepts_obs_text_in_field_values(void)
{
	RUN_INPUT("GET /" H11 "X-Name: caf\xc3\xa9 \"q\" (c)\r\n\r\n");
	EXPECT_TEXT("  [X-Name]: [caf\xc3\xa9 \"q\" (c)]\n");
	CHECK_EQ_INT(whole_run.requests, 1);
}

static void ignores_a_few_empty_lines_before_the_request(void)
{
	RUN_INPUT("\r\n\r\nGET /" H11 "\r\n");
	CHECK_EQ_INT(whole_run.requests, 1);
	EXPECT_TEXT("HEAD GET / v11");
}

static void reads_content_length_body(void)
{
	RUN_INPUT("POST /form" H11 "Content-Length: 11\r\n\r\nhello world");
	EXPECT_TEXT("framing1 cl11 ka1");
	EXPECT_TEXT("BODY 11 [hello world]\nTRAILERS 0\nDONE received=11\nEND\n");
}

static void reads_content_length_zero(void)
{
	RUN_INPUT("POST /" H11 "Content-Length: 000\r\n\r\n");
	EXPECT_TEXT("framing1 cl0");
	EXPECT_TEXT("BODY 0 []\nTRAILERS 0\nDONE received=0\n");
}

static void reads_chunked_body(void)
{
	RUN_INPUT("POST /up" H11 "Transfer-Encoding: chunked\r\n\r\n"
		  "5\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\n\r\n");
	EXPECT_TEXT("framing2 cl0 ka1");
	EXPECT_TEXT("BODY 16 [hello 0123456789]\nTRAILERS 0\nDONE received=16\nEND\n");
}

static void reads_chunk_sizes_in_any_case_with_leading_zeros(void)
{
	RUN_INPUT("POST /" H11 "Transfer-Encoding: ChUnKeD\r\n\r\n"
		  "0000a\r\nabcdefghij\r\n0F\r\n0123456789abcde\r\n000\r\n\r\n");
	EXPECT_TEXT("BODY 25 [abcdefghij0123456789abcde]\n");
	EXPECT_TEXT("DONE received=25\n");
}

static void tolerates_chunk_extensions(void)
{
	RUN_INPUT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
		  "3;name\r\nabc\r\n"
		  "3 ; a=b ;c = \"quoted; \\\"value\\\" \"\r\ndef\r\n"
		  "3;x=\"\";y=tok\r\nghi\r\n"
		  "0;last\r\n\r\n");
	EXPECT_TEXT("BODY 9 [abcdefghi]\n");
	EXPECT_TEXT("DONE received=9\n");
}

static void keeps_trailers_apart_from_headers(void)
{
	RUN_INPUT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
		  "4\r\nbody\r\n0\r\nChecksum: abc123\r\nX-Late:  v  \r\n\r\n");
	EXPECT_TEXT("BODY 4 [body]\nTRAILERS 2\n  [Checksum]: [abc123]\n  [X-Late]: [v]\nDONE received=4\n");
	/* the trailer did not become a header */
	CHECK(strstr(whole_run.text, "  [Checksum]: [abc123]\nBODY") == NULL);
}

static void parses_pipelined_requests_in_order(void)
{
	RUN_INPUT("GET /one" H11 "\r\n"
		  "POST /two" H11 "Content-Length: 3\r\n\r\nabc"
		  "POST /three" H11 "Transfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
		  "GET /four" H11 "Connection: close\r\n\r\n"
		  "GET /ignored" H11 "\r\n");
	CHECK_EQ_INT(whole_run.requests, 4);
	EXPECT_TEXT("HEAD GET /one v11");
	EXPECT_TEXT("HEAD POST /two v11");
	EXPECT_TEXT("BODY 3 [abc]");
	EXPECT_TEXT("HEAD POST /three v11");
	EXPECT_TEXT("BODY 2 [xy]");
	EXPECT_TEXT("HEAD GET /four v11 form0 host=[example.com] framing0 cl0 ka0");
	EXPECT_TEXT("CLOSE\n");
	CHECK(strstr(whole_run.text, "/ignored") == NULL);
	CHECK(strstr(whole_run.text, "/one") < strstr(whole_run.text, "/two"));
	CHECK(strstr(whole_run.text, "/two") < strstr(whole_run.text, "/three"));
}

/* A server answers in order: it stops at DONE and keeps the rest. */
static void leaves_the_next_request_unconsumed_after_done(void)
{
	static const char in[] = "GET /a" H11 "\r\nGET /b" H11 "\r\n";
	pl_http_parser_t *p = pl_http_parser_new(NULL);
	const uint8_t *at = (const uint8_t *)in;
	size_t left = sizeof in - 1;
	pl_http_step_t st;

	CHECK_EQ_INT(pl_http_parse(p, at, left, &st), PL_OK);
	CHECK_EQ_INT(st.event, PL_HTTP_HEAD);
	at += st.consumed;
	left -= st.consumed;
	CHECK_EQ_INT(left, strlen("GET /b" H11 "\r\n"));
	CHECK_EQ_INT(pl_http_parse(p, at, left, &st), PL_OK);
	CHECK_EQ_INT(st.event, PL_HTTP_DONE);
	CHECK_EQ_INT(st.consumed, 0);
	/* the request stays readable until the next call */
	CHECK(strcmp(pl_http_parser_request(p)->target.ptr, "/a") == 0);
	CHECK(!pl_http_parser_must_close(p));
	CHECK_EQ_INT(pl_http_parse(p, at, left, &st), PL_OK);
	CHECK_EQ_INT(st.event, PL_HTTP_HEAD);
	CHECK_EQ_INT(st.consumed, left);
	CHECK(strcmp(pl_http_parser_request(p)->target.ptr, "/b") == 0);
	pl_http_parser_free(p);
}

static void refuses_input_after_a_closing_request(void)
{
	static const char in[] = "GET /a" H11 "Connection: close\r\n\r\n";
	pl_http_parser_t *p = pl_http_parser_new(NULL);
	pl_http_step_t st;

	CHECK_EQ_INT(pl_http_parse(p, (const uint8_t *)in, sizeof in - 1, &st), PL_OK);
	CHECK_EQ_INT(st.event, PL_HTTP_HEAD);
	CHECK_EQ_INT(pl_http_parse(p, NULL, 0, &st), PL_OK);
	CHECK_EQ_INT(st.event, PL_HTTP_DONE);
	CHECK(pl_http_parser_must_close(p));
	CHECK_EQ_INT(pl_http_parse(p, (const uint8_t *)"GET", 3, &st), PL_ERR_STATE);
	pl_http_parser_free(p);
}

static void refuses_null_arguments(void)
{
	pl_http_parser_t *p = pl_http_parser_new(NULL);
	pl_http_step_t st;

	CHECK_EQ_INT(pl_http_parse(p, NULL, 1, &st), PL_ERR_ARG);
	CHECK_EQ_INT(pl_http_parse(p, (const uint8_t *)"G", 1, NULL), PL_ERR_ARG);
	CHECK_EQ_INT(pl_http_parse(NULL, (const uint8_t *)"G", 1, &st), PL_ERR_ARG);
	/* nothing was taken: the parser still works */
	CHECK_EQ_INT(pl_http_parse(p, NULL, 0, &st), PL_OK);
	CHECK_EQ_INT(st.event, PL_HTTP_NEED_MORE);
	CHECK_EQ_INT(pl_http_parser_status(p), 0);
	CHECK(pl_http_parser_reason(p) == NULL);
	pl_http_parser_free(p);
	pl_http_parser_free(NULL);
}

static void reads_http12_as_http11(void)
{
	RUN_INPUT("GET / HTTP/1.2\r\nHost: h\r\n\r\n");
	EXPECT_TEXT("HEAD GET / v11");
}

static void accepts_the_four_target_forms(void)
{
	RUN_INPUT("GET http://example.com:8080/p?q HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
	EXPECT_TEXT("HEAD GET http://example.com:8080/p?q v11 form1 host=[example.com:8080]");
	RUN_INPUT("OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n");
	EXPECT_TEXT("HEAD OPTIONS * v11 form3");
	RUN_INPUT("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
	EXPECT_TEXT("HEAD CONNECT example.com:443 v11 form2");
	RUN_INPUT("GET /a/b//c;p?x=%20&y=[]!$'()*+,;=:@~ HTTP/1.1\r\nHost: h\r\n\r\n");
	EXPECT_TEXT("form0");
	CHECK_EQ_INT(whole_run.requests, 1);
}

static void accepts_host_forms(void)
{
	RUN_INPUT("GET / HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n");
	EXPECT_TEXT("host=[[::1]:8443]");
	RUN_INPUT("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
	EXPECT_TEXT("host=[127.0.0.1]");
	RUN_INPUT("GET / HTTP/1.1\r\nHost: xn--bcher-kva.example%41\r\n\r\n");
	EXPECT_TEXT("host=[xn--bcher-kva.example%41]");
	CHECK_EQ_INT(whole_run.requests, 1);
}

/* RFC 9112 3.2: an empty Host only when the target URI has no authority;
 * an http or https target URI always has one. */
static void empty_host_is_400(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost:\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.0\r\nHost: \r\n\r\n", 400);
	EXPECT_REJECT("GET http://a.example/ HTTP/1.1\r\nHost:\r\n\r\n", 400);
}

/* ---- keep-alive and Expect ----------------------------------------------- */

static void http11_keeps_alive_by_default(void)
{
	RUN_INPUT("GET /" H11 "Connection: upgrade, Keep-Alive\r\n\r\n");
	EXPECT_TEXT("ka1");
	EXPECT_TEXT("END\n");
}

static void http11_closes_on_connection_close(void)
{
	RUN_INPUT("GET /" H11 "Connection: keep-alive, CLOSE\r\n\r\n");
	EXPECT_TEXT("ka0");
	RUN_INPUT("GET /" H11 "Connection: foo\r\nConnection: close\r\n\r\n");
	EXPECT_TEXT("ka0");
}

static void http10_keeps_alive_only_when_asked(void)
{
	RUN_INPUT("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
		  "GET /2 HTTP/1.0\r\nConnection: Keep-Alive, close\r\n\r\n");
	CHECK_EQ_INT(whole_run.requests, 2);
	EXPECT_TEXT("HEAD GET / v10 form0 host=[] framing0 cl0 ka1");
	EXPECT_TEXT("HEAD GET /2 v10 form0 host=[] framing0 cl0 ka0");
	EXPECT_TEXT("CLOSE\n");
}

static void reports_expect_100_continue(void)
{
	RUN_INPUT("PUT /f" H11 "Expect: 100-Continue\r\nContent-Length: 2\r\n\r\nok");
	EXPECT_TEXT("ka1 ec1 eu0");
	EXPECT_TEXT("BODY 2 [ok]");
	RUN_INPUT("PUT /f HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n");
	EXPECT_TEXT("ec0 eu0");
	RUN_INPUT("PUT /f" H11 "Expect: something-else\r\n\r\n");
	EXPECT_TEXT("ec0 eu1");
}

/* ---- helpers --------------------------------------------------------------- */

static void finds_fields_case_insensitively(void)
{
	static const char in[] = "GET /" H11 "Accept: a\r\nX-One: 1\r\naccept: b\r\n\r\n";
	pl_http_parser_t *p = pl_http_parser_new(NULL);
	const pl_http_request_t *q;
	const pl_http_field_t *f;
	pl_http_step_t st;
	size_t pos = 0;

	CHECK_EQ_INT(pl_http_parse(p, (const uint8_t *)in, sizeof in - 1, &st), PL_OK);
	q = pl_http_parser_request(p);
	CHECK(q != NULL && q->field_count == 4);
	CHECK(strcmp(pl_http_header(q, "HOST")->ptr, "example.com") == 0);
	CHECK(strcmp(pl_http_header(q, "x-one")->ptr, "1") == 0);
	CHECK(pl_http_header(q, "x-on") == NULL);
	CHECK(pl_http_header(q, "x-one-more") == NULL);
	f = pl_http_fields_find(q->fields, q->field_count, "ACCEPT", &pos);
	CHECK(f && strcmp(f->value.ptr, "a") == 0);
	f = pl_http_fields_find(q->fields, q->field_count, "ACCEPT", &pos);
	CHECK(f && strcmp(f->value.ptr, "b") == 0);
	CHECK(pl_http_fields_find(q->fields, q->field_count, "ACCEPT", &pos) == NULL);
	pl_http_parser_free(p);
}

static void splits_targets_into_path_and_query(void)
{
	pl_http_str_t path, query, auth;
	pl_http_str_t t1 = {"/a/b?x=1&y", 10};
	pl_http_str_t t2 = {"/plain", 6};
	pl_http_str_t t3 = {"https://h.example:8443?q", 24};
	pl_http_str_t t4 = {"http://h/x/y?", 13};

	pl_http_target_split(t1, PL_HTTP_TARGET_ORIGIN, &path, &query, &auth);
	CHECK(path.len == 4 && memcmp(path.ptr, "/a/b", 4) == 0);
	CHECK(query.len == 5 && memcmp(query.ptr, "x=1&y", 5) == 0);
	CHECK(auth.len == 0);
	pl_http_target_split(t2, PL_HTTP_TARGET_ORIGIN, &path, &query, NULL);
	CHECK(path.len == 6 && query.len == 0);
	pl_http_target_split(t3, PL_HTTP_TARGET_ABSOLUTE, &path, &query, &auth);
	CHECK(auth.len == 14 && memcmp(auth.ptr, "h.example:8443", 14) == 0);
	CHECK(path.len == 0);
	CHECK(query.len == 1 && query.ptr[0] == 'q');
	pl_http_target_split(t4, PL_HTTP_TARGET_ABSOLUTE, &path, &query, &auth);
	CHECK(auth.len == 1 && auth.ptr[0] == 'h');
	CHECK(path.len == 4 && memcmp(path.ptr, "/x/y", 4) == 0);
	CHECK(query.len == 0);
}

static void percent_decodes_strictly(void)
{
	char out[64];
	size_t n;
	unsigned flags;
	const char *s;

	s = "/a%20b/%C3%A9";
	CHECK_EQ_INT(pl_http_percent_decode(s, strlen(s), out, sizeof out, &n, &flags), PL_OK);
	CHECK(n == 7 && strcmp(out, "/a b/\xc3\xa9") == 0);
	CHECK_EQ_INT(flags, PL_HTTP_PCT_NONASCII);
	s = "%2e%2E/%2f%5c\\%25+";
	CHECK_EQ_INT(pl_http_percent_decode(s, strlen(s), out, sizeof out, &n, &flags), PL_OK);
	CHECK(strcmp(out, "..//\\\\%+") == 0);
	CHECK_EQ_INT(flags, PL_HTTP_PCT_DOT | PL_HTTP_PCT_SLASH |
				    PL_HTTP_PCT_BACKSLASH | PL_HTTP_PCT_PERCENT);
	s = "%0a";
	CHECK_EQ_INT(pl_http_percent_decode(s, 3, out, sizeof out, &n, &flags), PL_OK);
	CHECK_EQ_INT(flags, PL_HTTP_PCT_CONTROL);
}

static void percent_decode_reports_nul_and_bad_escapes(void)
{
	static const char *const bad[] = {"%00", "/a%00b", "%", "%4", "%G1",
					  "%1G", "/x%", "%%41", "% 41"};
	static const size_t where[] = {0, 2, 0, 0, 0, 0, 2, 0, 0};
	char out[64];
	size_t n;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_EQ_INT(pl_http_percent_decode(bad[i], strlen(bad[i]), out,
						    sizeof out, &n, NULL),
			     PL_ERR_DECODE);
		CHECK_EQ_INT(n, where[i]);
	}
	/* a raw NUL inside the slice */
	CHECK_EQ_INT(pl_http_percent_decode("a\0b", 3, out, sizeof out, &n, NULL),
		     PL_ERR_DECODE);
	CHECK_EQ_INT(n, 1);
	/* the output must hold in_len + 1 bytes */
	CHECK_EQ_INT(pl_http_percent_decode("abc", 3, out, 3, &n, NULL), PL_ERR_ARG);
}

static void percent_decodes_in_place(void)
{
	char s[] = "%2Fetc%2fpasswd%41";
	size_t n;

	CHECK_EQ_INT(pl_http_percent_decode(s, strlen(s), s, sizeof s, &n, NULL), PL_OK);
	CHECK(n == 12 && strcmp(s, "/etc/passwdA") == 0);
}

static void keeps_the_request_line_after_a_failure(void)
{
	RUN_INPUT("GET /logged" H11 "Bad Name: x\r\n\r\n");
	CHECK_EQ_INT(whole_run.status, 400);
	EXPECT_TEXT("  partial GET /logged\n");
}

static void shrinks_between_requests(void)
{
	static const char in[] = "GET /a" H11 "\r\n";
	pl_http_parser_t *p = pl_http_parser_new(NULL);
	pl_http_step_t st;

	for (int round = 0; round < 3; round++) {
		CHECK_EQ_INT(pl_http_parse(p, (const uint8_t *)in, sizeof in - 1, &st), PL_OK);
		CHECK_EQ_INT(st.event, PL_HTTP_HEAD);
		/* mid-request, shrinking must keep the request */
		pl_http_parser_shrink(p);
		CHECK(strcmp(pl_http_parser_request(p)->target.ptr, "/a") == 0);
		CHECK_EQ_INT(pl_http_parse(p, NULL, 0, &st), PL_OK);
		CHECK_EQ_INT(st.event, PL_HTTP_DONE);
		pl_http_parser_shrink(p);
		CHECK(pl_http_parser_request(p) == NULL);
	}
	pl_http_parser_free(p);
}

static void refuses_invalid_limits(void)
{
	pl_http_limits_t lim;

	pl_http_limits_default(&lim);
	CHECK_EQ_INT(lim.max_request_line, 8192);
	CHECK_EQ_INT(lim.max_header_bytes, 16384);
	CHECK_EQ_INT(lim.max_header_count, 100);
	CHECK_EQ_INT(lim.max_body, 1048576);
	lim.max_header_count = 0;
	CHECK(pl_http_parser_new(&lim) == NULL);
	pl_http_limits_default(&lim);
	lim.max_request_line = PL_HTTP_LIMIT_MAX + 1;
	CHECK(pl_http_parser_new(&lim) == NULL);
}

/* The table in chars.c, against the grammar written out as sets. */
static void char_classes_match_the_grammar(void)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned bad = 0;

	for (int c = 0; c < 256; c++) {
		bool is_alnum = c && strchr(alnum, c) != NULL;
		bool tchar = is_alnum || (c && strchr("!#$%&'*+-.^_`|~", c));
		bool vchar = (c >= 0x21 && c <= 0x7e) || c >= 0x80;
		bool ws = c == ' ' || c == '\t';
		bool qdtext = c == '\t' || c == ' ' || c == 0x21 ||
			      (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) ||
			      c >= 0x80;
		bool regname = is_alnum || (c && strchr("-._~!$&'()*+,;=", c));

		if (pl_http_is_tchar((uint8_t)c) != tchar ||
		    pl_http_is_field_vchar((uint8_t)c) != vchar ||
		    pl_http_is_ws((uint8_t)c) != ws ||
		    pl_http_is_field_content((uint8_t)c) != (vchar || ws) ||
		    pl_http_is_qdtext((uint8_t)c) != qdtext ||
		    pl_http_is_regname_char((uint8_t)c) != regname) {
			fprintf(stderr, "class of 0x%02x is wrong\n", c);
			bad++;
		}
	}
	CHECK_EQ_INT(bad, 0);
}

/* ---- limits at and over the edge ------------------------------------------- */

static void accepts_limits_exactly_and_rejects_one_over(void)
{
	pl_http_limits_t lim;

	pl_http_limits_default(&lim);
	/* request line "GET /aaaa HTTP/1.1": 18 bytes */
	lim.max_request_line = 18;
	RUN_LIM(&lim, "GET /aaaa HTTP/1.1\r\nHost: h\r\n\r\n");
	CHECK_EQ_INT(whole_run.requests, 1);
	EXPECT_REJECT_LIM(&lim, "GET /aaaaa HTTP/1.1\r\nHost: h\r\n\r\n", 414);

	/* field lines "Host: h\r\n" + "A: 12345\r\n" = 19 bytes */
	pl_http_limits_default(&lim);
	lim.max_header_bytes = 19;
	RUN_LIM(&lim, "GET / HTTP/1.1\r\nHost: h\r\nA: 12345\r\n\r\n");
	CHECK_EQ_INT(whole_run.requests, 1);
	EXPECT_REJECT_LIM(&lim, "GET / HTTP/1.1\r\nHost: h\r\nA: 123456\r\n\r\n", 431);

	pl_http_limits_default(&lim);
	lim.max_header_count = 2;
	RUN_LIM(&lim, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n");
	CHECK_EQ_INT(whole_run.requests, 1);
	EXPECT_REJECT_LIM(&lim, "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", 431);

	pl_http_limits_default(&lim);
	lim.max_body = 5;
	RUN_LIM(&lim, "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n12345");
	CHECK_EQ_INT(whole_run.requests, 1);
	EXPECT_REJECT_LIM(&lim, "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\n123456", 413);
	RUN_LIM(&lim, "PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "2\r\n12\r\n3\r\n345\r\n0\r\n\r\n");
	CHECK_EQ_INT(whole_run.requests, 1);
}

/* ---- rejections: 400 --------------------------------------------------------- */

static void rejects_bare_cr_in_request_line(void)
{
	EXPECT_REJECT("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", 400);
}

static void rejects_bare_cr_in_field_line(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n", 400);
}

static void rejects_bare_lf_after_request_line(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\nHost: h\r\n\r\n", 400);
}

static void rejects_bare_lf_after_field_line(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400);
}

static void rejects_bare_lf_ending_the_head(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\r\n\n", 400);
	EXPECT_REJECT("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void rejects_obs_fold(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n\ttwo\r\n\r\n", 400);
}

static void rejects_whitespace_before_the_first_field(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400);
}

static void rejects_whitespace_before_colon(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\r\nContent-Length\t: 5\r\n\r\nhello", 400);
}

static void rejects_field_name_that_is_not_a_token(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\r\nX(y): z\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\r\nX\xc3\xa9: z\r\n\r\n", 400);
}

static void rejects_empty_field_name(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\r\n: z\r\n\r\n", 400);
}

static void rejects_field_line_without_colon(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\r\nJustAName\r\n\r\n", 400);
}

static void rejects_nul_in_field_value(void)
{
	static const char in[] = "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";
	run_all(NULL, in, sizeof in - 1);
	CHECK_EQ_INT(whole_run.status, 400);
	EXPECT_TEXT("NUL");
}

static void rejects_control_characters_in_field_value(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fz\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h\r\nX: a\x0bz\r\n\r\n", 400);
}

static void rejects_extra_spaces_in_request_line(void)
{
	EXPECT_REJECT("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET /  HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void rejects_tab_as_separator(void)
{
	EXPECT_REJECT("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET /\tHTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void rejects_method_that_is_not_a_token(void)
{
	EXPECT_REJECT("G@T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET/ / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void rejects_tls_sent_to_plain_http_at_once(void)
{
	/* the first bytes of a ClientHello: answered without waiting for a
	 * line end */
	pl_http_parser_t *p = pl_http_parser_new(NULL);
	static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x02, 0x00};
	pl_http_step_t st;

	CHECK_EQ_INT(pl_http_parse(p, hello, sizeof hello, &st), PL_ERR_DECODE);
	CHECK_EQ_INT(pl_http_parser_status(p), 400);
	CHECK(pl_http_parser_must_close(p));
	CHECK(pl_http_parser_request(p) == NULL);
	/* failed is failed */
	CHECK_EQ_INT(pl_http_parse(p, (const uint8_t *)"GET", 3, &st), PL_ERR_DECODE);
	pl_http_parser_free(p);
}

static void rejects_target_with_controls_or_non_ascii(void)
{
	EXPECT_REJECT("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void rejects_target_with_fragment(void)
{
	EXPECT_REJECT("GET /page#frag HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void rejects_target_in_no_known_form(void)
{
	EXPECT_REJECT("GET index.html HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET example.com:80 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void rejects_connect_without_host_and_port(void)
{
	EXPECT_REJECT("CONNECT /path HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void rejects_absolute_target_with_userinfo_or_no_host(void)
{
	EXPECT_REJECT("GET http://user@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void rejects_malformed_version(void)
{
	EXPECT_REJECT("GET / http/1.1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/11\r\nHost: h\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTPS/1.1\r\nHost: h\r\n\r\n", 400);
}

static void rejects_request_line_without_version(void)
{
	/* HTTP/0.9's "GET /" */
	EXPECT_REJECT("GET /\r\n\r\n", 400);
}

static void rejects_http11_without_host(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400);
}

static void rejects_duplicate_host(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
}

static void rejects_duplicate_host_in_http10(void)
{
	EXPECT_REJECT("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400);
}

static void rejects_invalid_host(void)
{
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: user@h\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h:80x\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: [zz::1]\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400);
	EXPECT_REJECT("GET / HTTP/1.1\r\nHost: h%zz\r\n\r\n", 400);
}

static void rejects_signed_content_length(void)
{
	EXPECT_REJECT("POST /" H11 "Content-Length: +5\r\n\r\nhello", 400);
	EXPECT_REJECT("POST /" H11 "Content-Length: -1\r\n\r\n", 400);
}

static void rejects_content_length_that_is_not_digits(void)
{
	EXPECT_REJECT("POST /" H11 "Content-Length: 5a\r\n\r\nhello", 400);
	EXPECT_REJECT("POST /" H11 "Content-Length: 0x10\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Content-Length: 1 2\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Content-Length: 1.0\r\n\r\n", 400);
}

static void rejects_empty_content_length(void)
{
	EXPECT_REJECT("POST /" H11 "Content-Length:\r\n\r\n", 400);
}

static void rejects_content_length_list(void)
{
	EXPECT_REJECT("POST /" H11 "Content-Length: 5, 5\r\n\r\nhello", 400);
	EXPECT_REJECT("POST /" H11 "Content-Length: 5,5\r\n\r\nhello", 400);
}

static void rejects_duplicate_content_length_with_same_value(void)
{
	EXPECT_REJECT("POST /" H11 "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400);
}

static void rejects_duplicate_content_length_with_different_values(void)
{
	EXPECT_REJECT("POST /" H11 "Content-Length: 5\r\ncontent-length: 0\r\n\r\nhello", 400);
}

static void rejects_content_length_overflow(void)
{
	EXPECT_REJECT("POST /" H11 "Content-Length: 18446744073709551616\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Content-Length: 99999999999999999999999999\r\n\r\n", 400);
}

static void rejects_content_length_with_transfer_encoding(void)
{
	EXPECT_REJECT("POST /" H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
		      "5\r\nhello\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"
		      "0\r\n\r\n", 400);
}

static void rejects_transfer_encoding_in_http10(void)
{
	EXPECT_REJECT("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
}

static void rejects_chunked_that_is_not_final(void)
{
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked, gzip\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400);
	/* RFC 9112 6.3: without chunked last, the length is unknowable */
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: gzip\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding:\r\n\r\n", 400);
}

static void rejects_chunked_twice(void)
{
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked, chunked\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
}

static void rejects_transfer_coding_parameters(void)
{
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n", 400);
}

static void rejects_chunk_size_that_is_not_hex(void)
{
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\nz\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5g\r\nhello\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n\r\n", 400);
}

static void rejects_chunk_size_overflow(void)
{
	/* 2^64 + 5 would wrap to 5 in a careless parser */
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
		      "10000000000000005\r\nhello\r\n0\r\n\r\n", 400);
}

static void rejects_chunk_data_without_crlf(void)
{
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\rX0\r\n\r\n", 400);
}

static void rejects_bare_lf_in_chunk_size_line(void)
{
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5;a=b\nhello\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5\rhello\r\n0\r\n\r\n", 400);
}

static void rejects_malformed_chunk_extensions(void)
{
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5; =x\r\nhello\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5;a=\r\nhello\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5;a=\"open\r\nhello\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n5;a=b c\r\nhello\r\n0\r\n\r\n", 400);
}

static void rejects_oversized_chunk_extensions(void)
{
	/* each line is under PL_HTTP_CHUNK_LINE_MAX, all of them over
	 * PL_HTTP_CHUNK_EXT_TOTAL_MAX */
	char *in = malloc(64 * 1024);
	size_t n = 0;
	const char *head = "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n";

	n += (size_t)sprintf(in, "%s", head);
	for (int c = 0; c < 6; c++) {
		n += (size_t)sprintf(in + n, "1;x=");
		memset(in + n, 'a', 3000);
		n += 3000;
		n += (size_t)sprintf(in + n, "\r\nZ\r\n");
	}
	n += (size_t)sprintf(in + n, "0\r\n\r\n");
	run_cut(&whole_run, NULL, in, n, NULL, 0);
	CHECK_EQ_INT(whole_run.status, 400);
	EXPECT_TEXT("BODY 5 [ZZZZZ]\nERROR");
	free(in);
}

static void rejects_overlong_chunk_size_line(void)
{
	char *in = malloc(8192);
	size_t n = (size_t)sprintf(in, "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n");

	/* leading zeros do not change the value but do cost bytes */
	memset(in + n, '0', PL_HTTP_CHUNK_LINE_MAX);
	n += PL_HTTP_CHUNK_LINE_MAX;
	n += (size_t)sprintf(in + n, "1\r\nA\r\n0\r\n\r\n");
	run_cut(&whole_run, NULL, in, n, NULL, 0);
	CHECK_EQ_INT(whole_run.status, 400);
	free(in);
}

static void rejects_malformed_trailers(void)
{
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n folded\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\nX : y\r\n\r\n", 400);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\r\n", 400);
}

static void rejects_too_many_empty_lines_before_request(void)
{
	EXPECT_REJECT("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
}

static void reads_exactly_content_length_bytes(void)
{
	/* a Content-Length shorter than what follows: the rest is the next
	 * request, whatever it looks like ("cGET" is a valid method token,
	 * which the server then refuses as unknown) */
	RUN_INPUT("POST /" H11 "Content-Length: 2\r\n\r\nabcGET /next" H11 "\r\n");
	CHECK_EQ_INT(whole_run.requests, 2);
	EXPECT_TEXT("BODY 2 [ab]\n");
	EXPECT_TEXT("HEAD cGET /next v11");
}

/* ---- rejections: 501, 505 ------------------------------------------------------ */

static void rejects_unsupported_transfer_coding_with_501(void)
{
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n", 501);
}

static void rejects_other_http_versions_with_505(void)
{
	EXPECT_REJECT("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
	EXPECT_REJECT("GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505);
	EXPECT_REJECT("GET / HTTP/3.1\r\n\r\n", 505);
	EXPECT_TEXT("  partial GET /\n");
}

/* ---- rejections: 413, 414, 431 ------------------------------------------------- */

static void rejects_content_length_over_body_limit_with_413(void)
{
	EXPECT_REJECT("POST /" H11 "Content-Length: 1048577\r\n\r\n", 413);
	EXPECT_REJECT("POST /" H11 "Content-Length: 18446744073709551615\r\n\r\n", 413);
	/* the HEAD was never reported: nothing of the body was read */
	CHECK(strstr(whole_run.text, "HEAD") == NULL);
}

static void rejects_chunked_body_over_limit_with_413(void)
{
	pl_http_limits_t lim;

	pl_http_limits_default(&lim);
	lim.max_body = 8;
	EXPECT_REJECT_LIM(&lim, "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
			  "5\r\nhello\r\n4\r\nabcd\r\n0\r\n\r\n", 413);
	/* the first chunk was delivered, the second never */
	EXPECT_TEXT("BODY 5 [hello]\nERROR");
	EXPECT_REJECT("POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
		      "FFFFFFFFFFFFFFFF\r\n", 413);
}

static void rejects_long_request_line_with_414(void)
{
	char *in = malloc(PL_HTTP_DEFAULT_MAX_REQUEST_LINE + 64);
	size_t n = (size_t)sprintf(in, "GET /");

	memset(in + n, 'a', PL_HTTP_DEFAULT_MAX_REQUEST_LINE);
	n += PL_HTTP_DEFAULT_MAX_REQUEST_LINE;
	n += (size_t)sprintf(in + n, " HTTP/1.1\r\nHost: h\r\n\r\n");
	run_cut(&whole_run, NULL, in, n, NULL, 0);
	CHECK_EQ_INT(whole_run.status, 414);
	/* without a line end at all, too */
	run_cut(&whole_run, NULL, in, PL_HTTP_DEFAULT_MAX_REQUEST_LINE + 3, NULL, 0);
	CHECK_EQ_INT(whole_run.status, 414);
	free(in);
}

static void rejects_large_header_section_with_431(void)
{
	char *in = malloc(PL_HTTP_DEFAULT_MAX_HEADER_BYTES + 256);
	size_t n = (size_t)sprintf(in, "GET / HTTP/1.1\r\nHost: h\r\n");

	while (n < PL_HTTP_DEFAULT_MAX_HEADER_BYTES + 64)
		n += (size_t)sprintf(in + n, "X-Filler: 0123456789012345678901234567890123456789\r\n");
	n += (size_t)sprintf(in + n, "\r\n");
	run_cut(&whole_run, NULL, in, n, NULL, 0);
	CHECK_EQ_INT(whole_run.status, 431);
	free(in);
}

static void rejects_one_huge_field_line_with_431(void)
{
	char *in = malloc(PL_HTTP_DEFAULT_MAX_HEADER_BYTES + 256);
	size_t n = (size_t)sprintf(in, "GET / HTTP/1.1\r\nHost: h\r\nX-Big: ");

	/* no line end: refused as soon as the limit is passed */
	memset(in + n, 'b', PL_HTTP_DEFAULT_MAX_HEADER_BYTES);
	n += PL_HTTP_DEFAULT_MAX_HEADER_BYTES;
	run_cut(&whole_run, NULL, in, n, NULL, 0);
	CHECK_EQ_INT(whole_run.status, 431);
	free(in);
}

static void rejects_too_many_fields_with_431(void)
{
	char *in = malloc(4096);
	size_t n = (size_t)sprintf(in, "GET / HTTP/1.1\r\nHost: h\r\n");

	for (int i = 0; i < PL_HTTP_DEFAULT_MAX_HEADER_COUNT; i++)
		n += (size_t)sprintf(in + n, "X%d: y\r\n", i);
	n += (size_t)sprintf(in + n, "\r\n");
	run_cut(&whole_run, NULL, in, n, NULL, 0);
	CHECK_EQ_INT(whole_run.status, 431);
	free(in);
}

static void rejects_too_many_trailers_with_431(void)
{
	pl_http_limits_t lim;

	pl_http_limits_default(&lim);
	lim.max_header_count = 3;
	/* two header fields, then two trailers: four in all */
	EXPECT_REJECT_LIM(&lim, "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
			  "0\r\nA: 1\r\nB: 2\r\n\r\n", 431);
	pl_http_limits_default(&lim);
	lim.max_header_bytes = 64;
	EXPECT_REJECT_LIM(&lim, "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n"
			  "0\r\nA: 0123456789012345678901234567890123456789\r\n\r\n", 431);
}

int main(void)
{
	RUN(parses_simple_get);
	RUN(parses_http10_without_host);
	RUN(trims_whitespace_around_field_values);
	RUN(accepts_obs_text_in_field_values);
	RUN(ignores_a_few_empty_lines_before_the_request);
	RUN(reads_content_length_body);
	RUN(reads_content_length_zero);
	RUN(reads_chunked_body);
	RUN(reads_chunk_sizes_in_any_case_with_leading_zeros);
	RUN(tolerates_chunk_extensions);
	RUN(keeps_trailers_apart_from_headers);
	RUN(parses_pipelined_requests_in_order);
	RUN(leaves_the_next_request_unconsumed_after_done);
	RUN(refuses_input_after_a_closing_request);
	RUN(refuses_null_arguments);
	RUN(reads_http12_as_http11);
	RUN(accepts_the_four_target_forms);
	RUN(accepts_host_forms);
	RUN(empty_host_is_400);
	RUN(http11_keeps_alive_by_default);
	RUN(http11_closes_on_connection_close);
	RUN(http10_keeps_alive_only_when_asked);
	RUN(reports_expect_100_continue);
	RUN(finds_fields_case_insensitively);
	RUN(splits_targets_into_path_and_query);
	RUN(percent_decodes_strictly);
	RUN(percent_decode_reports_nul_and_bad_escapes);
	RUN(percent_decodes_in_place);
	RUN(keeps_the_request_line_after_a_failure);
	RUN(shrinks_between_requests);
	RUN(refuses_invalid_limits);
	RUN(char_classes_match_the_grammar);
	RUN(accepts_limits_exactly_and_rejects_one_over);

	RUN(rejects_bare_cr_in_request_line);
	RUN(rejects_bare_cr_in_field_line);
	RUN(rejects_bare_lf_after_request_line);
	RUN(rejects_bare_lf_after_field_line);
	RUN(rejects_bare_lf_ending_the_head);
	RUN(rejects_obs_fold);
	RUN(rejects_whitespace_before_the_first_field);
	RUN(rejects_whitespace_before_colon);
	RUN(rejects_field_name_that_is_not_a_token);
	RUN(rejects_empty_field_name);
	RUN(rejects_field_line_without_colon);
	RUN(rejects_nul_in_field_value);
	RUN(rejects_control_characters_in_field_value);
	RUN(rejects_extra_spaces_in_request_line);
	RUN(rejects_tab_as_separator);
	RUN(rejects_method_that_is_not_a_token);
	RUN(rejects_tls_sent_to_plain_http_at_once);
	RUN(rejects_target_with_controls_or_non_ascii);
	RUN(rejects_target_with_fragment);
	RUN(rejects_target_in_no_known_form);
	RUN(rejects_connect_without_host_and_port);
	RUN(rejects_absolute_target_with_userinfo_or_no_host);
	RUN(rejects_malformed_version);
	RUN(rejects_request_line_without_version);
	RUN(rejects_http11_without_host);
	RUN(rejects_duplicate_host);
	RUN(rejects_duplicate_host_in_http10);
	RUN(rejects_invalid_host);
	RUN(rejects_signed_content_length);
	RUN(rejects_content_length_that_is_not_digits);
	RUN(rejects_empty_content_length);
	RUN(rejects_content_length_list);
	RUN(rejects_duplicate_content_length_with_same_value);
	RUN(rejects_duplicate_content_length_with_different_values);
	RUN(rejects_content_length_overflow);
	RUN(rejects_content_length_with_transfer_encoding);
	RUN(rejects_transfer_encoding_in_http10);
	RUN(rejects_chunked_that_is_not_final);
	RUN(rejects_chunked_twice);
	RUN(rejects_transfer_coding_parameters);
	RUN(rejects_chunk_size_that_is_not_hex);
	RUN(rejects_chunk_size_overflow);
	RUN(rejects_chunk_data_without_crlf);
	RUN(rejects_bare_lf_in_chunk_size_line);
	RUN(rejects_malformed_chunk_extensions);
	RUN(rejects_oversized_chunk_extensions);
	RUN(rejects_overlong_chunk_size_line);
	RUN(rejects_malformed_trailers);
	RUN(rejects_too_many_empty_lines_before_request);
	RUN(reads_exactly_content_length_bytes);

	RUN(rejects_unsupported_transfer_coding_with_501);
	RUN(rejects_other_http_versions_with_505);

	RUN(rejects_content_length_over_body_limit_with_413);
	RUN(rejects_chunked_body_over_limit_with_413);
	RUN(rejects_long_request_line_with_414);
	RUN(rejects_large_header_section_with_431);
	RUN(rejects_one_huge_field_line_with_431);
	RUN(rejects_too_many_fields_with_431);
	RUN(rejects_too_many_trailers_with_431);
	return test_finish();
}
