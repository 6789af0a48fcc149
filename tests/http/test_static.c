/*
 * Static files (src/http/static.c and the files it stands on): a root made
 * here with files, index.html, dotfiles, a subdirectory, symbolic links
 * inside and out, a FIFO and a large file; every request goes through the
 * real parser, and each answer is checked to the status and header.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "http/serve_int.h"
#include "http/serve_test.h"

/* Tue, 14 Nov 2023 22:13:20 GMT, and some nanoseconds */
#define MTIME 1700000000
#define MTIME_NS 123456789
#define MTIME_TEXT "Tue, 14 Nov 2023 22:13:20 GMT"
#define NOW (MTIME + 86400)
#define BIG_SIZE (64u * 1024 * 1024 + 3)
#define HSTS "max-age=63072000"

static char base[64];      /* the test's directory */
static char root[128];     /* base/root: the site */
static char outside[128];  /* base/outside: not the site */

static pl_http_site_t site(void)
{
	pl_http_site_t s = {root, false, 63072000, "padlock", NULL};
	return s;
}

/* ---- the fixture ---------------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void set_mtime(const char *name, time_t sec, long nsec)
{
	char path[PATH_MAX * 2];
	struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};

	snprintf(path, sizeof path, "%s/%s", root, name);
	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) != 0)
		abort();
}

static void make_link(const char *target, const char *name)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof path, "%s/%s", root, name);
	if (symlink(target, path) != 0)
		abort();
}

static void make_dir(const char *name)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof path, "%s/%s", root, name);
	if (mkdir(path, 0755) != 0)
		abort();
}

static void fixture_make(void)
{
	static const char *const dated[] = {
		"hello.txt", "index.html", "sub/index.html", "sub/page.html",
		"style.css", "pic.png", "empty.txt", "big.bin", "sp ace.txt",
		"noext"};
	char path[PATH_MAX * 2];
	int fd;

	snprintf(base, sizeof base, "/tmp/padlock-test-static-XXXXXX");
	if (mkdtemp(base) == NULL)
		abort();
	snprintf(root, sizeof root, "%s/root", base);
	snprintf(outside, sizeof outside, "%s/outside", base);
	if (mkdir(root, 0755) != 0 || mkdir(outside, 0755) != 0)
		abort();
	write_file(outside, "secret.txt", "outside the root\n");

	write_file(root, "hello.txt", "hello, world\n"); /* 13 bytes */
	write_file(root, "index.html", "<h1>home</h1>\n");
	write_file(root, "style.css", "body{}\n");
	write_file(root, "pic.png", "\x89PNG");
	write_file(root, "empty.txt", "");
	write_file(root, "sp ace.txt", "space\n");
	write_file(root, "noext", "?\n");
	write_file(root, ".env", "SECRET=1\n");
	make_dir(".git");
	write_file(root, ".git/config", "[core]\n");
	make_dir("sub");
	write_file(root, "sub/index.html", "<h1>sub</h1>\n");
	write_file(root, "sub/page.html", "<p>page</p>\n");
	make_dir("empty");
	make_link("hello.txt", "link-in");
	make_link("sub", "link-dir");
	make_link("../hello.txt", "sub/link-up");
	make_link("../outside/secret.txt", "link-out");
	snprintf(path, sizeof path, "%s/secret.txt", outside);
	make_link(path, "link-abs");
	make_link("loop", "loop");
	snprintf(path, sizeof path, "%s/fifo", root);
	if (mkfifo(path, 0644) != 0)
		abort();
	/* a sparse 64 MiB file with a marker near its end */
	snprintf(path, sizeof path, "%s/big.bin", root);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, BIG_SIZE) != 0 ||
	    pwrite(fd, "MARK", 4, BIG_SIZE - 10) != 4 || close(fd) != 0)
		abort();
	for (size_t i = 0; i < sizeof dated / sizeof dated[0]; i++)
		set_mtime(dated[i], MTIME, MTIME_NS);
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

static void fixture_remove(void)
{
	if (base[0] != '\0')
		nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- asking ---------------------------------------------------------------------- */

/* Serves raw (a request) on s into reply; checks PL_OK. */
static void ask_site(const pl_http_site_t *s, const char *raw,
		     pl_http_reply_t *reply)
{
	request_t r = request_parse(raw);
	int ret = pl_http_serve(s, r.req, NULL, NOW, reply);

	CHECK_MSG(ret == PL_OK, "pl_http_serve: %d for %s", ret, raw);
	request_free(&r);
}

static void ask(const char *raw, pl_http_reply_t *reply)
{
	pl_http_site_t s = site();
	ask_site(&s, raw, reply);
}

/* "GET target HTTP/1.1" with Host and extra header lines. */
static void get(const char *target, const char *extra, pl_http_reply_t *reply)
{
	char raw[8192];

	snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: example.com\r\n%s\r\n",
		 target, extra ? extra : "");
	ask(raw, reply);
}

/* The file part of the reply equals text. */
static bool file_part_is(const pl_http_reply_t *reply, const char *text)
{
	char buf[256];
	size_t n = strlen(text);

	if (reply->file_fd < 0 || reply->file_len != n || n > sizeof buf)
		return false;
	if (pread(reply->file_fd, buf, n, (off_t)reply->file_offset) != (ssize_t)n)
		return false;
	return memcmp(buf, text, n) == 0;
}

/* The ETag this server gives a file of size bytes with the fixture's
 * mtime. */
static const char *fixture_etag(uint64_t size)
{
	static char etag[64];
	uint64_t ns = (uint64_t)MTIME * 1000000000u + MTIME_NS;

	snprintf(etag, sizeof etag, "\"%" PRIx64 "-%" PRIx64 "\"", ns, size);
	return etag;
}

/* ---- 200, HEAD, headers ------------------------------------------------------------ */

static void get_file_answers_200_with_every_header(void)
{
	pl_http_reply_t reply;
	char date[PL_HTTP_DATE_LEN + 1];
	size_t body_len;

	pl_http_reply_init(&reply);
	get("/hello.txt", NULL, &reply);
	pl_http_format_date(NOW, date);
	CHECK_EQ_INT(reply_status_line(&reply), 200);
	CHECK_EQ_INT(reply.status, 200);
	CHECK_HEADER(&reply, "Content-Length", "13");
	CHECK_HEADER(&reply, "Content-Type", "text/plain; charset=utf-8");
	CHECK_HEADER(&reply, "Last-Modified", MTIME_TEXT);
	CHECK_HEADER(&reply, "ETag", fixture_etag(13));
	CHECK_HEADER(&reply, "Accept-Ranges", "bytes");
	CHECK_HEADER(&reply, "Date", date);
	CHECK_HEADER(&reply, "Server", "padlock");
	CHECK_HEADER(&reply, "Strict-Transport-Security", HSTS);
	CHECK_HEADER(&reply, "X-Content-Type-Options", "nosniff");
	CHECK_HEADER(&reply, "Cache-Control", NULL);
	CHECK_HEADER(&reply, "Connection", NULL);
	CHECK(reply_body(&reply, &body_len) != NULL && body_len == 0);
	CHECK(file_part_is(&reply, "hello, world\n"));
	CHECK_EQ_INT(reply.file_offset, 0);
	CHECK_EQ_INT(reply.body_bytes, 13);
	CHECK(!reply.close);
	CHECK(reply.why == NULL);
	pl_http_reply_free(&reply);
	CHECK_EQ_INT(reply.file_fd, -1);
}

static void head_answers_the_same_head_without_a_file(void)
{
	pl_http_reply_t reply;
	size_t body_len;

	pl_http_reply_init(&reply);
	ask("HEAD /hello.txt HTTP/1.1\r\nHost: example.com\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK_HEADER(&reply, "Content-Length", "13");
	CHECK_HEADER(&reply, "ETag", fixture_etag(13));
	CHECK_HEADER(&reply, "Last-Modified", MTIME_TEXT);
	CHECK_HEADER(&reply, "Strict-Transport-Security", HSTS);
	CHECK_EQ_INT(reply.file_fd, -1);
	CHECK_EQ_INT(reply.body_bytes, 0);
	CHECK(reply_body(&reply, &body_len) != NULL && body_len == 0);
	pl_http_reply_free(&reply);
}

static void connection_close_follows_the_request(void)
{
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	ask("GET /hello.txt HTTP/1.0\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK(reply.close);
	CHECK_HEADER(&reply, "Connection", "close");
	ask("GET /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &reply);
	CHECK(reply.close);
	ask("GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &reply);
	CHECK(!reply.close);
	CHECK_HEADER(&reply, "Connection", "keep-alive");
	/* errors keep the connection too */
	get("/missing", NULL, &reply);
	CHECK_EQ_INT(reply.status, 404);
	CHECK(!reply.close);
	pl_http_reply_free(&reply);
}

static void reply_reused_holds_only_the_new_answer(void)
{
	pl_http_reply_t reply;
	char *text;

	pl_http_reply_init(&reply);
	get("/hello.txt", NULL, &reply);
	CHECK(reply.file_fd >= 0);
	get("/missing", NULL, &reply);
	CHECK_EQ_INT(reply.status, 404);
	CHECK_EQ_INT(reply.file_fd, -1);
	text = reply_text(&reply);
	CHECK(strstr(text, "200 OK") == NULL);
	CHECK(strncmp(text, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	free(text);
	pl_http_reply_free(&reply);
}

static void hsts_is_configurable_and_on_every_answer(void)
{
	pl_http_site_t s = site();
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	s.hsts_max_age = 300;
	ask_site(&s, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_HEADER(&reply, "Strict-Transport-Security", "max-age=300");
	ask_site(&s, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 404);
	CHECK_HEADER(&reply, "Strict-Transport-Security", "max-age=300");
	ask_site(&s, "DELETE /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_HEADER(&reply, "Strict-Transport-Security", "max-age=300");
	ask_site(&s, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nIf-None-Match: *\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 304);
	CHECK_HEADER(&reply, "Strict-Transport-Security", "max-age=300");
	s.hsts_max_age = 0; /* RFC 6797 6.1.1: 0 tells browsers to forget */
	ask_site(&s, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_HEADER(&reply, "Strict-Transport-Security", "max-age=0");
	s.hsts_max_age = -1;
	ask_site(&s, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_HEADER(&reply, "Strict-Transport-Security", NULL);
	ask_site(&s, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_HEADER(&reply, "Strict-Transport-Security", NULL);
	s.server = NULL;
	ask_site(&s, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_HEADER(&reply, "Server", NULL);
	pl_http_reply_free(&reply);
}

static void mime_types_of_common_files(void)
{
	static const struct {
		const char *name, *type;
	} cases[] = {
		{"a.html", "text/html; charset=utf-8"},
		{"a.htm", "text/html; charset=utf-8"},
		{"a.css", "text/css; charset=utf-8"},
		{"a.js", "text/javascript; charset=utf-8"},
		{"a.mjs", "text/javascript; charset=utf-8"},
		{"a.json", "application/json; charset=utf-8"},
		{"a.svg", "image/svg+xml; charset=utf-8"},
		{"a.xml", "application/xml; charset=utf-8"},
		{"a.txt", "text/plain; charset=utf-8"},
		{"a.md", "text/markdown; charset=utf-8"},
		{"a.csv", "text/csv; charset=utf-8"},
		{"a.png", "image/png"},
		{"a.jpg", "image/jpeg"},
		{"a.jpeg", "image/jpeg"},
		{"a.gif", "image/gif"},
		{"a.webp", "image/webp"},
		{"a.avif", "image/avif"},
		{"a.ico", "image/vnd.microsoft.icon"},
		{"a.pdf", "application/pdf"},
		{"a.wasm", "application/wasm"},
		{"a.woff", "font/woff"},
		{"a.woff2", "font/woff2"},
		{"a.ttf", "font/ttf"},
		{"a.otf", "font/otf"},
		{"a.mp4", "video/mp4"},
		{"a.webm", "video/webm"},
		{"a.mp3", "audio/mpeg"},
		{"a.ogg", "audio/ogg"},
		{"a.wav", "audio/wav"},
		{"a.zip", "application/zip"},
		{"a.tar.gz", "application/gzip"},
		{"a.tar", "application/x-tar"},
		{"dir/INDEX.HTML", "text/html; charset=utf-8"},
		{"a.Css", "text/css; charset=utf-8"},
		{"a.exe", "application/octet-stream"},
		{"Makefile", "application/octet-stream"},
		{"dir.d/noext", "application/octet-stream"},
		{"a.", "application/octet-stream"},
		{"a.htmlx", "application/octet-stream"},
	};
	pl_http_reply_t reply;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_MSG(strcmp(pl_http_mime_type(cases[i].name), cases[i].type) == 0,
			  "%s: %s", cases[i].name, pl_http_mime_type(cases[i].name));
	pl_http_reply_init(&reply);
	get("/style.css", NULL, &reply);
	CHECK_HEADER(&reply, "Content-Type", "text/css; charset=utf-8");
	get("/pic.png", NULL, &reply);
	CHECK_HEADER(&reply, "Content-Type", "image/png");
	get("/noext", NULL, &reply);
	CHECK_HEADER(&reply, "Content-Type", "application/octet-stream");
	get("/", NULL, &reply);
	CHECK_HEADER(&reply, "Content-Type", "text/html; charset=utf-8");
	pl_http_reply_free(&reply);
}

/* ---- directories ------------------------------------------------------------------- */

static void directories_serve_index_html(void)
{
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	get("/", NULL, &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK(file_part_is(&reply, "<h1>home</h1>\n"));
	get("/sub/", NULL, &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK(file_part_is(&reply, "<h1>sub</h1>\n"));
	get("/sub/?q=1", NULL, &reply);
	CHECK(file_part_is(&reply, "<h1>sub</h1>\n"));
	get("/sub/page.html", NULL, &reply);
	CHECK(file_part_is(&reply, "<p>page</p>\n"));
	/* absolute-form: its path; an empty one is "/" */
	ask("GET http://example.com/sub/page.html HTTP/1.1\r\nHost: example.com\r\n\r\n", &reply);
	CHECK(file_part_is(&reply, "<p>page</p>\n"));
	ask("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", &reply);
	CHECK(file_part_is(&reply, "<h1>home</h1>\n"));
	ask("GET http://example.com?x HTTP/1.1\r\nHost: example.com\r\n\r\n", &reply);
	CHECK(file_part_is(&reply, "<h1>home</h1>\n"));
	pl_http_reply_free(&reply);
}

static void directory_without_slash_redirects_keeping_the_query(void)
{
	pl_http_reply_t reply;
	const char *body;
	size_t body_len;

	pl_http_reply_init(&reply);
	get("/sub", NULL, &reply);
	CHECK_EQ_INT(reply.status, 301);
	CHECK_HEADER(&reply, "Location", "/sub/");
	CHECK_HEADER(&reply, "Strict-Transport-Security", HSTS);
	CHECK_EQ_INT(reply.file_fd, -1);
	body = reply_body(&reply, &body_len);
	CHECK(body != NULL && memmem(body, body_len, "<a href=\"/sub/\">", 16) != NULL);
	get("/sub?a=1&b=%20x", NULL, &reply);
	CHECK_HEADER(&reply, "Location", "/sub/?a=1&b=%20x");
	get("/empty", NULL, &reply);
	CHECK_HEADER(&reply, "Location", "/empty/");
	get("/link-dir", NULL, &reply);
	CHECK_HEADER(&reply, "Location", "/link-dir/");
	/* 13.2.1: the redirect comes before the preconditions */
	get("/sub", "If-Match: \"nothing\"\r\n", &reply);
	CHECK_EQ_INT(reply.status, 301);
	ask("HEAD /sub HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 301);
	CHECK(reply_body(&reply, &body_len) != NULL && body_len == 0);
	CHECK(reply_header(&reply, "Content-Length") != NULL &&
	      strcmp(reply_header(&reply, "Content-Length"), "0") != 0);
	pl_http_reply_free(&reply);
}

static void directory_without_index_is_404_not_a_listing(void)
{
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	get("/empty/", NULL, &reply);
	CHECK_EQ_INT(reply.status, 404);
	CHECK_EQ_INT(reply.file_fd, -1);
	pl_http_reply_free(&reply);
}

/* ---- what is refused ----------------------------------------------------------------- */

static void refused_paths_are_404_whatever_the_encoding(void)
{
	static const char *const targets[] = {
		"/../outside/secret.txt",
		"/..",
		"/sub/../hello.txt",
		"/%2e%2e/outside/secret.txt",
		"/%2E%2e/",
		"/sub/%2e%2e/hello.txt",
		"/.%2e/outside/secret.txt",
		"/sub/..%2fhello.txt",
		"/sub%2fpage.html",
		"/sub%2Fpage.html",
		"/sub\\page.html",
		"/sub%5cpage.html",
		"/..\\outside\\secret.txt",
		"/hello.txt%00",
		"/hello.txt%00.png",
		"/%252e%252e/outside/secret.txt",
		"/hello%252etxt",
		"/%25",
		"/.env",
		"/%2eenv",
		"/.git/config",
		"/.git/",
		"/%2Egit/config",
		"/sub/./page.html",
		"/./hello.txt",
		"/.",
		"//hello.txt",
		"//example.org/",
		"/sub//page.html",
		"/hello.txt/",
		"/hello.txt/.",
		"/hello%0a.txt",
		"/hello%7f.txt",
		"/hello.txt%zz",
		"/hello.txt%2",
		"/link-out",
		"/link-abs",
		"/loop",
		"/fifo",
		"/missing.txt",
		"/sub/missing/",
	};
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		size_t body_len;
		const char *body;

		get(targets[i], NULL, &reply);
		CHECK_MSG(reply.status == 404, "%s: %d", targets[i], reply.status);
		CHECK_MSG(reply.file_fd == -1, "%s: a file", targets[i]);
		CHECK_MSG(reply.why != NULL, "%s: no why", targets[i]);
		CHECK_HEADER(&reply, "Strict-Transport-Security", HSTS);
		body = reply_body(&reply, &body_len);
		/* the status, nothing about why */
		CHECK_MSG(body != NULL && body_len == 14 &&
				  memcmp(body, "404 Not Found\n", 14) == 0,
			  "%s: body", targets[i]);
	}
	pl_http_reply_free(&reply);
}

static void fifo_is_refused_without_waiting_for_a_writer(void)
{
	pl_http_reply_t reply;

	/* an open() without O_NONBLOCK would hang this test */
	pl_http_reply_init(&reply);
	get("/fifo", NULL, &reply);
	CHECK_EQ_INT(reply.status, 404);
	CHECK(strcmp(reply.why, "not a regular file") == 0);
	pl_http_reply_free(&reply);
}

static void path_check_refuses_raw_nul_and_keeps_encoded_names(void)
{
	char out[64];
	bool dir_slash;
	const char *why;

	/* the parser refuses a raw NUL; the check refuses it too */
	CHECK(pl_http_path_to_relative("/a\0b", 4, out, sizeof out, &dir_slash,
				       &why) == PL_ERR_DECODE);
	CHECK(pl_http_path_to_relative("a", 1, out, sizeof out, &dir_slash,
				       &why) == PL_ERR_DECODE);
	CHECK(pl_http_path_to_relative("/a%20b/c%C3%A9", 14, out, sizeof out,
				       &dir_slash, &why) == PL_OK);
	CHECK(strcmp(out, "a b/c\xc3\xa9") == 0);
	CHECK(!dir_slash);
	CHECK(pl_http_path_to_relative("/a/b/", 5, out, sizeof out, &dir_slash,
				       &why) == PL_OK);
	CHECK(strcmp(out, "a/b") == 0 && dir_slash);
	CHECK(pl_http_path_to_relative("/", 1, out, sizeof out, &dir_slash,
				       &why) == PL_OK);
	CHECK(strcmp(out, ".") == 0 && dir_slash);
	/* a dot inside a name is fine; encoded too */
	CHECK(pl_http_path_to_relative("/a.b%2Ec", 8, out, sizeof out,
				       &dir_slash, &why) == PL_OK);
	CHECK(strcmp(out, "a.b.c") == 0);
	/* out too small for the decoder's contract */
	CHECK(pl_http_path_to_relative("/abc", 4, out, 4, &dir_slash, &why) ==
	      PL_ERR_DECODE);
}

static void encoded_names_are_served(void)
{
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	get("/sp%20ace.txt", NULL, &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK(file_part_is(&reply, "space\n"));
	get("/hello%2etxt", NULL, &reply);
	CHECK_EQ_INT(reply.status, 200);
	get("/%68ello.txt", NULL, &reply);
	CHECK_EQ_INT(reply.status, 200);
	pl_http_reply_free(&reply);
}

static void symlinks_inside_the_root_are_followed(void)
{
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	get("/link-in", NULL, &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK(file_part_is(&reply, "hello, world\n"));
	get("/link-dir/page.html", NULL, &reply);
	CHECK(file_part_is(&reply, "<p>page</p>\n"));
	get("/link-dir/", NULL, &reply);
	CHECK(file_part_is(&reply, "<h1>sub</h1>\n"));
	get("/sub/link-up", NULL, &reply);
	CHECK(file_part_is(&reply, "hello, world\n"));
	pl_http_reply_free(&reply);
}

static void symlinks_leaving_the_root_are_followed_only_when_allowed(void)
{
	pl_http_site_t s = site();
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	get("/link-out", NULL, &reply);
	CHECK_EQ_INT(reply.status, 404);
	CHECK(strcmp(reply.why, "open: a symbolic link leaves the root") == 0);
	s.follow_symlinks = true;
	ask_site(&s, "GET /link-out HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK(file_part_is(&reply, "outside the root\n"));
	ask_site(&s, "GET /link-abs HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* the URL still cannot climb, nor reach dotfiles */
	ask_site(&s, "GET /../outside/secret.txt HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 404);
	ask_site(&s, "GET /%2e%2e/outside/secret.txt HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 404);
	ask_site(&s, "GET /.env HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 404);
	ask_site(&s, "GET /loop HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 404);
	pl_http_reply_free(&reply);
}

/* Both resolvers, openat2 and the walk, give the same answers. */
static void open_beneath_walk_and_openat2_agree(void)
{
	static const struct {
		const char *rel;
		int err; /* 0: opens */
	} cases[] = {
		{"hello.txt", 0},
		{".", 0},
		{"sub", 0},
		{"link-in", 0},
		{"link-dir", 0},
		{"link-dir/page.html", 0},
		{"sub/link-up", 0},
		{"fifo", 0}, /* opens (non-blocking); the caller refuses it */
		{"link-out", EXDEV},
		{"link-abs", EXDEV},
		{"loop", ELOOP},
		{"missing", ENOENT},
		{"hello.txt/x", ENOTDIR},
		{"link-in/x", ENOTDIR},
	};
	int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	CHECK(root_fd >= 0);
	for (int mode = 0; mode < 2; mode++) {
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			int fd = pl_http_open_beneath(root_fd, cases[i].rel, false,
						      (pl_http_resolve_mode_t)mode);
			if (cases[i].err == 0)
				CHECK_MSG(fd >= 0, "mode %d %s: %d", mode,
					  cases[i].rel, fd);
			else
				CHECK_MSG(fd == -cases[i].err, "mode %d %s: %d",
					  mode, cases[i].rel, fd);
			if (fd >= 0)
				close(fd);
		}
		/* following every link */
		int fd = pl_http_open_beneath(root_fd, "link-out", true,
					      (pl_http_resolve_mode_t)mode);
		CHECK_MSG(fd >= 0, "mode %d follow: %d", mode, fd);
		if (fd >= 0)
			close(fd);
	}
	close(root_fd);
}

static void open_walk_resolves_links_by_hand(void)
{
	char path[PATH_MAX * 2];
	int root_fd, fd;
	struct stat a, b;

	/* links through links, with ".." that stays beneath */
	make_link("sub/../link-dir/./page.html", "chain");
	make_link("../../hello.txt", "sub/link-2up");
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(root_fd >= 0);
	fd = pl_http_open_beneath(root_fd, "chain", false, PL_HTTP_RESOLVE_WALK);
	CHECK(fd >= 0);
	snprintf(path, sizeof path, "%s/sub/page.html", root);
	CHECK(fd >= 0 && fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	      a.st_ino == b.st_ino);
	if (fd >= 0)
		close(fd);
	CHECK_EQ_INT(pl_http_open_beneath(root_fd, "sub/link-2up", false,
					  PL_HTTP_RESOLVE_WALK), -EXDEV);
	CHECK_EQ_INT(pl_http_open_beneath(root_fd, "sub/link-2up", false,
					  PL_HTTP_RESOLVE_AUTO), -EXDEV);
	close(root_fd);
	snprintf(path, sizeof path, "%s/chain", root);
	unlink(path);
	snprintf(path, sizeof path, "%s/sub/link-2up", root);
	unlink(path);
}

/* A root that is gone (deleted, not mounted) makes the site unavailable:
 * 503, not a 500 that reads like a bug. */
static void missing_root_is_503(void)
{
	pl_http_site_t s = site();
	pl_http_reply_t reply;

	s.root = "/nonexistent/padlock/root";
	pl_http_reply_init(&reply);
	ask_site(&s, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 503);
	CHECK(reply.why && strstr(reply.why, "root directory is missing"));
	CHECK_HEADER(&reply, "Strict-Transport-Security", HSTS);
	pl_http_reply_free(&reply);
}

/* ---- methods ------------------------------------------------------------------------ */

static void other_methods_are_405_with_allow(void)
{
	static const char *const requests[] = {
		"POST /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
		"PUT /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
		"DELETE /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n",
		"OPTIONS /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
		"get /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /missing HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
	};
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
		ask(requests[i], &reply);
		CHECK_MSG(reply.status == 405, "%s: %d", requests[i], reply.status);
		CHECK_HEADER(&reply, "Allow", "GET, HEAD");
		CHECK_HEADER(&reply, "Strict-Transport-Security", HSTS);
		CHECK_EQ_INT(reply.file_fd, -1);
		CHECK(!reply.close);
	}
	pl_http_reply_free(&reply);
}

/* ---- preconditions ------------------------------------------------------------------ */

static void if_none_match_answers_304(void)
{
	pl_http_reply_t reply;
	char extra[256];
	size_t body_len;
	const char *etag = fixture_etag(13);

	pl_http_reply_init(&reply);
	snprintf(extra, sizeof extra, "If-None-Match: %s\r\n", etag);
	get("/hello.txt", extra, &reply);
	CHECK_EQ_INT(reply.status, 304);
	CHECK_HEADER(&reply, "ETag", etag);
	CHECK_HEADER(&reply, "Last-Modified", MTIME_TEXT);
	CHECK_HEADER(&reply, "Strict-Transport-Security", HSTS);
	CHECK(reply_header(&reply, "Date") != NULL);
	CHECK_HEADER(&reply, "Content-Length", NULL);
	CHECK_HEADER(&reply, "Content-Type", NULL);
	CHECK(reply_body(&reply, &body_len) != NULL && body_len == 0);
	CHECK_EQ_INT(reply.file_fd, -1);
	CHECK_EQ_INT(reply.body_bytes, 0);

	/* weak comparison, lists, several lines, "*" */
	snprintf(extra, sizeof extra, "If-None-Match: W/%s\r\n", etag);
	get("/hello.txt", extra, &reply);
	CHECK_EQ_INT(reply.status, 304);
	snprintf(extra, sizeof extra, "If-None-Match: \"a\", ,W/\"b\",%s\r\n", etag);
	get("/hello.txt", extra, &reply);
	CHECK_EQ_INT(reply.status, 304);
	snprintf(extra, sizeof extra,
		 "If-None-Match: \"a\"\r\nIf-None-Match: %s\r\n", etag);
	get("/hello.txt", extra, &reply);
	CHECK_EQ_INT(reply.status, 304);
	get("/hello.txt", "If-None-Match: *\r\n", &reply);
	CHECK_EQ_INT(reply.status, 304);
	ask("HEAD /hello.txt HTTP/1.1\r\nHost: a\r\nIf-None-Match: *\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 304);

	/* no match: 200 */
	get("/hello.txt", "If-None-Match: \"other\"\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* malformed: no match */
	get("/hello.txt", "If-None-Match: nonsense\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* a 404 stays a 404 */
	get("/missing", "If-None-Match: *\r\n", &reply);
	CHECK_EQ_INT(reply.status, 404);
	pl_http_reply_free(&reply);
}

static void if_modified_since_answers_304(void)
{
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	get("/hello.txt", "If-Modified-Since: " MTIME_TEXT "\r\n", &reply);
	CHECK_EQ_INT(reply.status, 304);
	CHECK_HEADER(&reply, "ETag", fixture_etag(13));
	/* later than the file, and in the two obsolete formats */
	get("/hello.txt", "If-Modified-Since: Wed, 15 Nov 2023 00:00:00 GMT\r\n", &reply);
	CHECK_EQ_INT(reply.status, 304);
	get("/hello.txt", "If-Modified-Since: Tuesday, 14-Nov-23 22:13:20 GMT\r\n", &reply);
	CHECK_EQ_INT(reply.status, 304);
	get("/hello.txt", "If-Modified-Since: Tue Nov 14 22:13:20 2023\r\n", &reply);
	CHECK_EQ_INT(reply.status, 304);
	/* earlier: modified since */
	get("/hello.txt", "If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* an invalid date is ignored */
	get("/hello.txt", "If-Modified-Since: yesterday\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	get("/hello.txt", "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 UTC\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* a date after now is ignored */
	get("/hello.txt", "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* two lines: a list, ignored */
	get("/hello.txt", "If-Modified-Since: " MTIME_TEXT "\r\nIf-Modified-Since: " MTIME_TEXT "\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* If-None-Match present (not matching): If-Modified-Since ignored */
	get("/hello.txt", "If-None-Match: \"other\"\r\nIf-Modified-Since: " MTIME_TEXT "\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	pl_http_reply_free(&reply);
}

static void failed_preconditions_answer_412(void)
{
	pl_http_reply_t reply;
	char extra[256];
	const char *etag = fixture_etag(13);

	pl_http_reply_init(&reply);
	get("/hello.txt", "If-Match: \"other\"\r\n", &reply);
	CHECK_EQ_INT(reply.status, 412);
	CHECK_HEADER(&reply, "Strict-Transport-Security", HSTS);
	CHECK_EQ_INT(reply.file_fd, -1);
	/* strong comparison: a weak tag never matches */
	snprintf(extra, sizeof extra, "If-Match: W/%s\r\n", etag);
	get("/hello.txt", extra, &reply);
	CHECK_EQ_INT(reply.status, 412);
	snprintf(extra, sizeof extra, "If-Match: \"x\", %s\r\n", etag);
	get("/hello.txt", extra, &reply);
	CHECK_EQ_INT(reply.status, 200);
	get("/hello.txt", "If-Match: *\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	get("/hello.txt", "If-Unmodified-Since: Tue, 14 Nov 2023 22:13:19 GMT\r\n", &reply);
	CHECK_EQ_INT(reply.status, 412);
	get("/hello.txt", "If-Unmodified-Since: " MTIME_TEXT "\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	get("/hello.txt", "If-Unmodified-Since: garbage\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* If-Match wins over If-Unmodified-Since */
	snprintf(extra, sizeof extra,
		 "If-Match: %s\r\nIf-Unmodified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\n",
		 etag);
	get("/hello.txt", extra, &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* 13.2.2: If-Match is checked before If-None-Match */
	get("/hello.txt", "If-Match: \"other\"\r\nIf-None-Match: *\r\n", &reply);
	CHECK_EQ_INT(reply.status, 412);
	/* a 412 for HEAD has no body */
	ask("HEAD /hello.txt HTTP/1.1\r\nHost: a\r\nIf-Match: \"x\"\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 412);
	CHECK_EQ_INT(reply.body_bytes, 0);
	pl_http_reply_free(&reply);
}

static void fresh_file_gets_weak_validators(void)
{
	pl_http_site_t s = site();
	pl_http_reply_t reply;
	request_t r;
	char path[PATH_MAX * 2];
	char date[PL_HTTP_DATE_LEN + 1];
	const char *etag;
	char extra[512];
	time_t now = time(NULL);

	/* changed during the current second: it could change again with
	 * the same timestamp, so its ETag is weak and If-Range never holds */
	write_file(root, "fresh.txt", "0123456789");
	snprintf(path, sizeof path, "%s/fresh.txt", root);
	pl_http_reply_init(&reply);
	r = request_parse("GET /fresh.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK(pl_http_serve(&s, r.req, NULL, now, &reply) == PL_OK);
	request_free(&r);
	etag = reply_header(&reply, "ETag");
	CHECK(etag != NULL && strncmp(etag, "W/\"", 3) == 0);
	pl_http_format_date(now, date);
	CHECK_HEADER(&reply, "Last-Modified", date);
	snprintf(extra, sizeof extra,
		 "GET /fresh.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\nIf-Range: %s\r\n\r\n",
		 etag + 2);
	r = request_parse(extra);
	CHECK(pl_http_serve(&s, r.req, NULL, now, &reply) == PL_OK);
	request_free(&r);
	CHECK_EQ_INT(reply.status, 200);
	/* a second later it is strong */
	r = request_parse("GET /fresh.txt HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK(pl_http_serve(&s, r.req, NULL, now + 2, &reply) == PL_OK);
	request_free(&r);
	etag = reply_header(&reply, "ETag");
	CHECK(etag != NULL && etag[0] == '"');
	pl_http_reply_free(&reply);
	unlink(path);
}

/* ---- ranges ---------------------------------------------------------------------------- */

static void single_ranges_answer_206(void)
{
	static const struct {
		const char *range;
		uint64_t first, last;
	} cases[] = {
		{"bytes=0-4", 0, 4},
		{"bytes=7-", 7, 12},
		{"bytes=-6", 7, 12},
		{"bytes=5-100", 5, 12},
		{"bytes=-100", 0, 12},
		{"bytes=12-12", 12, 12},
		{"bytes=0-", 0, 12},
		{"BYTES=1-2", 1, 2},
		{"bytes= 1-2 ", 1, 2},
		{"bytes=,1-2,", 1, 2},
		{"bytes=3-99999999999999999999999999", 3, 12},
		{"bytes=-99999999999999999999999999", 0, 12},
	};
	pl_http_reply_t reply;
	char extra[256], want[64];

	pl_http_reply_init(&reply);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(extra, sizeof extra, "Range: %s\r\n", cases[i].range);
		get("/hello.txt", extra, &reply);
		CHECK_MSG(reply.status == 206, "%s: %d", cases[i].range, reply.status);
		snprintf(want, sizeof want, "bytes %" PRIu64 "-%" PRIu64 "/13",
			 cases[i].first, cases[i].last);
		CHECK_HEADER(&reply, "Content-Range", want);
		snprintf(want, sizeof want, "%" PRIu64,
			 cases[i].last - cases[i].first + 1);
		CHECK_HEADER(&reply, "Content-Length", want);
		CHECK_EQ_INT(reply.file_offset, cases[i].first);
		CHECK_EQ_INT(reply.file_len, cases[i].last - cases[i].first + 1);
		CHECK_EQ_INT(reply.body_bytes, cases[i].last - cases[i].first + 1);
		CHECK_HEADER(&reply, "ETag", fixture_etag(13));
		CHECK_HEADER(&reply, "Content-Type", "text/plain; charset=utf-8");
		CHECK_HEADER(&reply, "Strict-Transport-Security", HSTS);
	}
	get("/hello.txt", "Range: bytes=7-11\r\n", &reply);
	CHECK(file_part_is(&reply, "world"));
	pl_http_reply_free(&reply);
}

static void unsatisfiable_range_answers_416(void)
{
	static const char *const ranges[] = {
		"bytes=13-", "bytes=13-20", "bytes=-0", "bytes=99999999999999999999-",
	};
	pl_http_reply_t reply;
	char extra[256];

	pl_http_reply_init(&reply);
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		snprintf(extra, sizeof extra, "Range: %s\r\n", ranges[i]);
		get("/hello.txt", extra, &reply);
		CHECK_MSG(reply.status == 416, "%s: %d", ranges[i], reply.status);
		CHECK_HEADER(&reply, "Content-Range", "bytes */13");
		CHECK_HEADER(&reply, "Strict-Transport-Security", HSTS);
		CHECK_EQ_INT(reply.file_fd, -1);
	}
	pl_http_reply_free(&reply);
}

static void ranges_ignored_give_the_whole_file(void)
{
	static const char *const extras[] = {
		"Range: bytes=0-1,3-4\r\n",      /* several: whole file */
		"Range: bytes=0-1, -2\r\n",
		"Range: bytes=20-30,40-50\r\n",  /* several, none satisfiable */
		"Range: bytes=abc\r\n",          /* malformed */
		"Range: bytes=5-1\r\n",          /* last < first: invalid */
		"Range: bytes=1-2x\r\n",
		"Range: bytes=\r\n",
		"Range: bytes 0-1\r\n",
		"Range: items=0-1\r\n",          /* another unit */
		"Range: bytes=0-1\r\nRange: bytes=2-3\r\n",
	};
	pl_http_reply_t reply;

	pl_http_reply_init(&reply);
	for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
		get("/hello.txt", extras[i], &reply);
		CHECK_MSG(reply.status == 200, "%s: %d", extras[i], reply.status);
		CHECK_HEADER(&reply, "Content-Range", NULL);
		CHECK(file_part_is(&reply, "hello, world\n"));
	}
	/* HEAD: no ranges (14.2) */
	ask("HEAD /hello.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK_HEADER(&reply, "Content-Length", "13");
	/* an empty file: no range describes a part of it */
	get("/empty.txt", "Range: bytes=0-1\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK_HEADER(&reply, "Content-Length", "0");
	CHECK_EQ_INT(reply.file_fd, -1);
	get("/empty.txt", "Range: bytes=-1\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* a 304 wins over a range */
	get("/hello.txt", "Range: bytes=0-1\r\nIf-None-Match: *\r\n", &reply);
	CHECK_EQ_INT(reply.status, 304);
	pl_http_reply_free(&reply);
}

static void if_range_decides_between_206_and_200(void)
{
	pl_http_reply_t reply;
	char extra[256];
	const char *etag = fixture_etag(13);

	pl_http_reply_init(&reply);
	snprintf(extra, sizeof extra, "Range: bytes=0-4\r\nIf-Range: %s\r\n", etag);
	get("/hello.txt", extra, &reply);
	CHECK_EQ_INT(reply.status, 206);
	get("/hello.txt", "Range: bytes=0-4\r\nIf-Range: \"other\"\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	CHECK_EQ_INT(reply.file_len, 13);
	/* a weak tag never matches strongly */
	snprintf(extra, sizeof extra, "Range: bytes=0-4\r\nIf-Range: W/%s\r\n", etag);
	get("/hello.txt", extra, &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* a date: exactly Last-Modified */
	get("/hello.txt", "Range: bytes=0-4\r\nIf-Range: " MTIME_TEXT "\r\n", &reply);
	CHECK_EQ_INT(reply.status, 206);
	get("/hello.txt", "Range: bytes=0-4\r\nIf-Range: Wed, 15 Nov 2023 00:00:00 GMT\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	get("/hello.txt", "Range: bytes=0-4\r\nIf-Range: garbage\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* If-Range false also saves a 416 */
	get("/hello.txt", "Range: bytes=50-\r\nIf-Range: \"other\"\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	/* If-Range without Range: nothing to decide */
	get("/hello.txt", "If-Range: \"other\"\r\n", &reply);
	CHECK_EQ_INT(reply.status, 200);
	pl_http_reply_free(&reply);
}

static void large_file_is_streamed_not_read(void)
{
	pl_http_reply_t reply;
	char want[64];

	pl_http_reply_init(&reply);
	get("/big.bin", NULL, &reply);
	CHECK_EQ_INT(reply.status, 200);
	snprintf(want, sizeof want, "%u", BIG_SIZE);
	CHECK_HEADER(&reply, "Content-Length", want);
	CHECK_EQ_INT(reply.file_len, BIG_SIZE);
	/* the head only: the file stays in the file */
	CHECK_EQ_INT(reply.body.len, 0);
	get("/big.bin", "Range: bytes=-10\r\n", &reply);
	CHECK_EQ_INT(reply.status, 206);
	CHECK_EQ_INT(reply.file_offset, BIG_SIZE - 10);
	CHECK(reply.file_len == 10);
	{
		char buf[4];
		CHECK(pread(reply.file_fd, buf, 4, (off_t)reply.file_offset) == 4 &&
		      memcmp(buf, "MARK", 4) == 0);
	}
	pl_http_reply_free(&reply);
}

/* ---- the parsers underneath --------------------------------------------------------------- */

static void http_dates_in_three_formats(void)
{
	static const struct {
		const char *text;
		bool valid;
		time_t t;
	} cases[] = {
		{"Sun, 06 Nov 1994 08:49:37 GMT", true, 784111777},
		{"Sunday, 06-Nov-94 08:49:37 GMT", true, 784111777},
		{"Sun Nov  6 08:49:37 1994", true, 784111777},
		{"Sun Nov 06 08:49:37 1994", true, 784111777},
		{"Thu, 01 Jan 1970 00:00:00 GMT", true, 0},
		{"Wed, 31 Dec 1969 23:59:59 GMT", true, -1},
		{"Tue, 29 Feb 2000 12:00:00 GMT", true, 951825600},
		{"Thu, 29 Feb 2001 12:00:00 GMT", false, 0},
		{"Sun, 31 Apr 1994 08:49:37 GMT", false, 0},
		{"Sun, 06 Nov 1994 24:00:00 GMT", false, 0},
		{"Sun, 06 Nov 1994 08:60:00 GMT", false, 0},
		{"Sun, 06 Nov 1994 08:49:37 UTC", false, 0},
		{"sun, 06 Nov 1994 08:49:37 GMT", false, 0},
		{"Sun, 06 nov 1994 08:49:37 GMT", false, 0},
		{"Sun, 6 Nov 1994 08:49:37 GMT", false, 0},
		{"Sun,  06 Nov 1994 08:49:37 GMT", false, 0},
		{"Sun, 06 Nov 1994 08:49:37 GMT ", false, 0},
		{" Sun, 06 Nov 1994 08:49:37 GMT", false, 0},
		{"Sun Nov 6 08:49:37 1994", false, 0},
		{"Sunday, 06-Nov-1994 08:49:37 GMT", false, 0},
		{"Sun, 06 Nov 1994", false, 0},
		{"", false, 0},
	};
	time_t t;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int ret = pl_http_parse_date(cases[i].text, strlen(cases[i].text),
					     NOW, &t);
		if (cases[i].valid)
			CHECK_MSG(ret == PL_OK && t == cases[i].t, "%s: %d %lld",
				  cases[i].text, ret, (long long)t);
		else
			CHECK_MSG(ret == PL_ERR_DECODE, "%s", cases[i].text);
	}
	/* rfc850's two-digit year, now being 2023: up to 50 years ahead is
	 * the future, more is the past */
	CHECK(pl_http_parse_date("Sunday, 01-Jan-73 00:00:00 GMT", 30, NOW, &t) == PL_OK);
	CHECK_EQ_INT(t, 3250454400LL); /* 2073 */
	CHECK(pl_http_parse_date("Tuesday, 01-Jan-74 00:00:00 GMT", 31, NOW, &t) == PL_OK);
	CHECK_EQ_INT(t, 126230400); /* 1974 */
	CHECK(pl_http_parse_date("Tuesday, 01-Jan-30 00:00:00 GMT", 31, NOW, &t) == PL_OK);
	CHECK_EQ_INT(t, 1893456000); /* 2030 */
}

static void range_parser_edge_cases(void)
{
	uint64_t first, last;

	CHECK(pl_http_range_parse("bytes=0-0", 9, 1, &first, &last) == PL_HTTP_RANGE_PARTIAL);
	CHECK(first == 0 && last == 0);
	CHECK(pl_http_range_parse("bytes=1-", 8, 1, &first, &last) == PL_HTTP_RANGE_UNSATISFIABLE);
	CHECK(pl_http_range_parse("bytes=-1", 8, 0, &first, &last) == PL_HTTP_RANGE_IGNORE);
	CHECK(pl_http_range_parse("bytes=--1", 9, 10, &first, &last) == PL_HTTP_RANGE_IGNORE);
	CHECK(pl_http_range_parse("bytes=1--2", 10, 10, &first, &last) == PL_HTTP_RANGE_IGNORE);
	CHECK(pl_http_range_parse("bytes=-", 7, 10, &first, &last) == PL_HTTP_RANGE_IGNORE);
	CHECK(pl_http_range_parse("bytes=1-2,", 10, 10, &first, &last) == PL_HTTP_RANGE_PARTIAL);
	CHECK(pl_http_range_parse("bytes=,", 7, 10, &first, &last) == PL_HTTP_RANGE_IGNORE);
	CHECK(pl_http_range_parse("bytes=1 -2", 10, 10, &first, &last) == PL_HTTP_RANGE_IGNORE);
	CHECK(pl_http_range_parse("bytes=18446744073709551615-", 27, UINT64_MAX,
				  &first, &last) == PL_HTTP_RANGE_UNSATISFIABLE);
	CHECK(pl_http_range_parse("bytes=18446744073709551614-", 27, UINT64_MAX,
				  &first, &last) == PL_HTTP_RANGE_PARTIAL);
	CHECK(first == UINT64_MAX - 1 && last == UINT64_MAX - 1);
}

/* Descriptors this process has open. */
int main(void)
{
	int descriptors = open_descriptors();

	fixture_make();
	RUN(get_file_answers_200_with_every_header);
	RUN(head_answers_the_same_head_without_a_file);
	RUN(connection_close_follows_the_request);
	RUN(reply_reused_holds_only_the_new_answer);
	RUN(hsts_is_configurable_and_on_every_answer);
	RUN(mime_types_of_common_files);
	RUN(directories_serve_index_html);
	RUN(directory_without_slash_redirects_keeping_the_query);
	RUN(directory_without_index_is_404_not_a_listing);
	RUN(refused_paths_are_404_whatever_the_encoding);
	RUN(fifo_is_refused_without_waiting_for_a_writer);
	RUN(path_check_refuses_raw_nul_and_keeps_encoded_names);
	RUN(encoded_names_are_served);
	RUN(symlinks_inside_the_root_are_followed);
	RUN(symlinks_leaving_the_root_are_followed_only_when_allowed);
	RUN(open_beneath_walk_and_openat2_agree);
	RUN(open_walk_resolves_links_by_hand);
	RUN(missing_root_is_503);
	RUN(other_methods_are_405_with_allow);
	RUN(if_none_match_answers_304);
	RUN(if_modified_since_answers_304);
	RUN(failed_preconditions_answer_412);
	RUN(fresh_file_gets_weak_validators);
	RUN(single_ranges_answer_206);
	RUN(unsatisfiable_range_answers_416);
	RUN(ranges_ignored_give_the_whole_file);
	RUN(if_range_decides_between_206_and_200);
	RUN(large_file_is_streamed_not_read);
	RUN(http_dates_in_three_formats);
	RUN(range_parser_edge_cases);
	/* every answer, errors included, closed what it opened */
	CHECK_EQ_INT(open_descriptors(), descriptors);
	fixture_remove();
	return test_finish();
}
