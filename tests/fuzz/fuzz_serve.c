/*
 * libFuzzer harness: static files and the port-80 redirect, on whatever
 * request the parser accepts.
 *
 * Input: a control byte, then the bytes of one request. Bit 0 of the
 * control byte turns follow_symlinks on. The site's root is a directory
 * made at start-up with files, a subdirectory, dotfiles, symbolic links
 * that stay inside and links that leave it, next to a directory with a
 * secret.
 *
 * Beyond not crashing, each answer must keep the promises of the module:
 * no file outside the root (unless links are followed) and no dotfile is
 * ever handed out, whatever the encoding of the path; a file handed out
 * is regular and the slice is inside it; every answer has HSTS; the two
 * resolvers (openat2 and the walk) agree on every path the check lets
 * through; a redirect goes to https:// on the same path.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/serve_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW ((time_t)1798761600)

#define REQUIRE(cond)                                                        \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "fuzz_serve: %s:%d: %s\n", __FILE__, \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

static char base[64];
static char root[128];
static ino_t secret_ino, dotfile_ino, git_ino;
static int root_fd = -1;

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static ino_t inode(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		abort();
	return st.st_ino;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

static void cleanup(void)
{
	if (root_fd >= 0)
		close(root_fd);
	nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[512];

	snprintf(base, sizeof base, "/tmp/padlock-fuzz-serve-XXXXXX");
	if (mkdtemp(base) == NULL)
		abort();
	atexit(cleanup);
	snprintf(root, sizeof root, "%s/root", base);
#define AT(fmt, ...) (snprintf(p, sizeof p, fmt, __VA_ARGS__), p)
	if (mkdir(root, 0755) || mkdir(AT("%s/outside", base), 0755) ||
	    mkdir(AT("%s/sub", root), 0755) || mkdir(AT("%s/.git", root), 0755) ||
	    mkdir(AT("%s/empty", root), 0755))
		abort();
	put(AT("%s/outside/secret", base), "secret");
	secret_ino = inode(p);
	put(AT("%s/.env", root), "SECRET=1");
	dotfile_ino = inode(p);
	put(AT("%s/.git/config", root), "[core]");
	git_ino = inode(p);
	put(AT("%s/index.html", root), "<h1>home</h1>");
	put(AT("%s/a.txt", root), "0123456789");
	put(AT("%s/sub/index.html", root), "sub");
	put(AT("%s/sub/b.css", root), "b{}");
	if (symlink("a.txt", AT("%s/in", root)) ||
	    symlink("sub", AT("%s/dir", root)) ||
	    symlink("../a.txt", AT("%s/sub/up", root)) ||
	    symlink("../outside/secret", AT("%s/out", root)) ||
	    symlink("../../outside/secret", AT("%s/sub/out2", root)) ||
	    symlink("loop", AT("%s/loop", root)))
		abort();
	snprintf(p, sizeof p, "%s/outside/secret", base);
	if (symlink(p, AT("%s/abs", root)))
		abort();
	if (mkfifo(AT("%s/fifo", root), 0644))
		abort();
#undef AT
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		abort();
	return 0;
}

/* The reply's head as HTTP/1 writes it (the caller frees out). */
static void head_of(const pl_http_reply_t *reply, pl_http_buf_t *out)
{
	REQUIRE(pl_http_reply_head(reply, out) == PL_OK);
}

/* The file a reply hands out is one the site may show. */
static void check_file(const pl_http_reply_t *reply, bool follow)
{
	struct stat st;

	REQUIRE(fstat(reply->file_fd, &st) == 0);
	REQUIRE(S_ISREG(st.st_mode));
	REQUIRE(st.st_ino != dotfile_ino && st.st_ino != git_ino);
	if (!follow)
		REQUIRE(st.st_ino != secret_ino);
	REQUIRE(reply->file_len > 0);
	REQUIRE(reply->file_offset + reply->file_len <= (uint64_t)st.st_size);
	REQUIRE(reply->body_bytes == reply->file_len);
}

static void check_serve(const pl_http_request_t *req, bool follow)
{
	pl_http_site_t site = {root, follow, 31536000, "padlock", NULL};
	pl_http_reply_t reply;
	const char *hsts = "Strict-Transport-Security: max-age=31536000\r\n";

	pl_http_buf_t head = PL_HTTP_BUF_INIT;

	pl_http_reply_init(&reply);
	REQUIRE(pl_http_serve(&site, req, NULL, NOW, &reply) == PL_OK);
	head_of(&reply, &head);
	REQUIRE(head.len > 12 && memcmp(head.data, "HTTP/1.1 ", 9) == 0);
	REQUIRE(memmem(head.data, head.len, hsts, strlen(hsts)) != NULL);
	pl_http_buf_free(&head);
	switch (reply.status) {
	case 200: case 206: case 301: case 304: case 400: case 404: case 405:
	case 412: case 416:
		break;
	default:
		REQUIRE(!"unexpected status");
	}
	if (reply.file_fd >= 0)
		check_file(&reply, follow);
	if (reply.status == 200 && reply.file_fd < 0)
		REQUIRE(pl_http_method_is(req, "HEAD") || reply.file_len == 0);
	REQUIRE(reply.close == !req->keep_alive);
	pl_http_reply_free(&reply);
}

/* The path check, then both resolvers: same answer, same file. */
static void check_resolvers(const pl_http_request_t *req)
{
	pl_http_str_t path, query;
	char rel[PATH_MAX + 1];
	const char *why;
	bool dir_slash;
	int a, b;
	struct stat sa, sb;

	pl_http_target_split(req->target, req->target_form, &path, &query, NULL);
	if (pl_http_path_to_relative(path.ptr, path.len, rel, sizeof rel,
				     &dir_slash, &why) != PL_OK)
		return;
	REQUIRE(rel[0] != '/' && strstr(rel, "//") == NULL);
	REQUIRE(rel[0] != '.' || rel[1] == '\0');
	REQUIRE(strstr(rel, "/.") == NULL && strchr(rel, '\\') == NULL);
	a = pl_http_open_beneath(root_fd, rel, false, PL_HTTP_RESOLVE_AUTO);
	b = pl_http_open_beneath(root_fd, rel, false, PL_HTTP_RESOLVE_WALK);
	REQUIRE((a >= 0) == (b >= 0));
	if (a >= 0) {
		REQUIRE(fstat(a, &sa) == 0 && fstat(b, &sb) == 0);
		REQUIRE(sa.st_ino == sb.st_ino);
		REQUIRE(sa.st_ino != secret_ino && sa.st_ino != dotfile_ino &&
			sa.st_ino != git_ino);
	}
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

static void check_redirect(const pl_http_request_t *req)
{
	pl_http_reply_t reply;
	const char *loc = "\r\nLocation: https://";

	pl_http_reply_init(&reply);
	REQUIRE(pl_http_redirect(req, "default.test", 8443, NOW, NULL, &reply) ==
		PL_OK);
	REQUIRE(reply.close && reply.file_fd < 0);
	switch (reply.status) {
	case 301: case 308: {
		pl_http_buf_t head = PL_HTTP_BUF_INIT;
		head_of(&reply, &head);
		REQUIRE(memmem(head.data, head.len, loc, strlen(loc)));
		pl_http_buf_free(&head);
		break;
	}
	case 400: case 404:
		break;
	default:
		REQUIRE(!"unexpected status");
	}
	pl_http_reply_free(&reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pl_http_parser_t *p;
	pl_http_step_t step;
	const pl_http_request_t *req;

	if (size < 1)
		return 0;
	p = pl_http_parser_new(NULL);
	REQUIRE(p != NULL);
	if (pl_http_parse(p, data + 1, size - 1, &step) == PL_OK &&
	    step.event == PL_HTTP_HEAD) {
		req = pl_http_parser_request(p);
		check_serve(req, data[0] & 1);
		check_resolvers(req);
		check_redirect(req);
	}
	pl_http_parser_free(p);
	return 0;
}
