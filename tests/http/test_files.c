/*
 * A worker's open files (src/http/files.c) with real files: what a site
 * with a cache answers after a file is modified, replaced by a rename,
 * deleted or chmod'ed, and after its root is swapped or removed, each
 * checked against a site without a cache asked at the same moment. The
 * cache's clock is the now given to pl_http_serve(): these tests step it
 * a second on, they never sleep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "http/serve_int.h"
#include "http/serve_test.h"

#define T0 1800000000 /* the first request's second */

static char base[64];      /* the test's directory */
static char root[128];     /* base/site: a symbolic link to a or b */
static char dir_a[128];    /* base/a */
static char dir_b[128];    /* base/b */

/* ---- the fixture ---------------------------------------------------------------- */

static void write_at(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void point_root_at(const char *dir)
{
	char tmp[PATH_MAX];

	/* the way a deploy swaps a site: a new link renamed over the old */
	snprintf(tmp, sizeof tmp, "%s/site.new", base);
	unlink(tmp);
	if (symlink(dir, tmp) != 0 || rename(tmp, root) != 0)
		abort();
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

static void fixture_make(void)
{
	snprintf(base, sizeof base, "/tmp/padlock-test-files-XXXXXX");
	if (mkdtemp(base) == NULL || chmod(base, 0755) != 0)
		abort();
	snprintf(root, sizeof root, "%s/site", base);
	snprintf(dir_a, sizeof dir_a, "%s/a", base);
	snprintf(dir_b, sizeof dir_b, "%s/b", base);
	if (mkdir(dir_a, 0755) != 0 || mkdir(dir_b, 0755) != 0)
		abort();
	write_at(dir_a, "index.html", "<p>a</p>\n");
	write_at(dir_a, "f.txt", "one\n");
	write_at(dir_b, "index.html", "<p>b, the new site</p>\n");
	write_at(dir_b, "only-b.txt", "b\n");
	point_root_at(dir_a);
}

static void fixture_remove(void)
{
	if (base[0] != '\0')
		nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- asking ---------------------------------------------------------------------- */

static pl_http_site_t site_with(pl_http_files_t *files)
{
	pl_http_site_t s = {root, false, -1, "padlock", files};
	return s;
}

/* GET target on s at now into reply. */
static void get_at(pl_http_files_t *files, const char *target, time_t now,
		   pl_http_reply_t *reply)
{
	pl_http_site_t s = site_with(files);
	char raw[512];
	request_t r;
	int ret;

	snprintf(raw, sizeof raw, "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", target);
	r = request_parse(raw);
	ret = pl_http_serve(&s, r.req, NULL, now, reply);
	CHECK_MSG(ret == PL_OK, "pl_http_serve: %d for %s", ret, target);
	request_free(&r);
}

/* The bytes the reply sends from its file, as a string (static), read
 * the way the server reads them (from a copy: the reply stays unread). */
static const char *file_part(const pl_http_reply_t *reply)
{
	static char buf[256];
	pl_http_reply_t copy = *reply;
	long n;

	buf[0] = '\0';
	if (reply->file_fd < 0 || reply->file_len >= sizeof buf)
		return buf;
	n = pl_http_reply_read_file(&copy, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* The cached site and a site without a cache answer target at now alike:
 * the same status, Content-Length, ETag, Last-Modified and bytes; the
 * cached answer's bytes are want (NULL: no file sent). */
static void same_as_uncached(pl_http_files_t *files, const char *target,
			     time_t now, int status, const char *want)
{
	pl_http_reply_t cached, plain;
	char etag[128] = "", last_modified[64] = "", length[32] = "";
	const char *v;

	pl_http_reply_init(&cached);
	pl_http_reply_init(&plain);
	get_at(files, target, now, &cached);
	get_at(NULL, target, now, &plain);
	CHECK_MSG(cached.status == status, "%s: status %d, want %d", target,
		  cached.status, status);
	CHECK_EQ_INT(plain.status, cached.status);
	if ((v = reply_header(&plain, "ETag")) != NULL)
		snprintf(etag, sizeof etag, "%s", v);
	if ((v = reply_header(&plain, "Last-Modified")) != NULL)
		snprintf(last_modified, sizeof last_modified, "%s", v);
	if ((v = reply_header(&plain, "Content-Length")) != NULL)
		snprintf(length, sizeof length, "%s", v);
	CHECK_HEADER(&cached, "ETag", etag[0] ? etag : NULL);
	CHECK_HEADER(&cached, "Last-Modified",
		     last_modified[0] ? last_modified : NULL);
	CHECK_HEADER(&cached, "Content-Length", length[0] ? length : NULL);
	if (want != NULL)
		CHECK_MSG(strcmp(file_part(&cached), want) == 0,
			  "%s: sent \"%s\", want \"%s\"", target,
			  file_part(&cached), want);
	else
		CHECK_EQ_INT(cached.file_fd, -1);
	pl_http_reply_free(&cached);
	pl_http_reply_free(&plain);
}

/* ---- the tests ------------------------------------------------------------------- */

static void file_is_kept_open_within_a_second(void)
{
	pl_http_files_t *files = pl_http_files_new(8);
	pl_http_reply_t one, two;
	int before;

	pl_http_reply_init(&one);
	pl_http_reply_init(&two);
	get_at(files, "/f.txt", T0, &one);
	before = open_descriptors();
	get_at(files, "/f.txt", T0, &two);
	CHECK_EQ_INT(one.status, 200);
	CHECK_EQ_INT(two.status, 200);
	/* the same open file, shared: no descriptor more for the second */
	CHECK(one.file_ref != NULL && one.file_ref == two.file_ref);
	CHECK_EQ_INT(one.file_fd, two.file_fd);
	CHECK_EQ_INT(open_descriptors(), before);
	CHECK(strcmp(file_part(&two), "one\n") == 0);
	pl_http_reply_free(&one);
	pl_http_reply_free(&two);
	pl_http_files_free(files);
}

static void modified_file_is_served_new_the_next_second(void)
{
	pl_http_files_t *files = pl_http_files_new(8);
	struct timespec later[2] = {{T0 - 5, 0}, {T0 - 5, 0}};
	char path[PATH_MAX];

	same_as_uncached(files, "/f.txt", T0, 200, "one\n");
	/* in place: the same inode, another size and mtime */
	write_at(dir_a, "f.txt", "two, longer\n");
	snprintf(path, sizeof path, "%s/f.txt", dir_a);
	if (utimensat(AT_FDCWD, path, later, 0) != 0)
		abort();
	same_as_uncached(files, "/f.txt", T0 + 1, 200, "two, longer\n");
	/* the same size, only the mtime moved: a new ETag all the same */
	later[0].tv_sec = later[1].tv_sec = T0 - 4;
	write_at(dir_a, "f.txt", "TWO, LONGER\n");
	if (utimensat(AT_FDCWD, path, later, 0) != 0)
		abort();
	same_as_uncached(files, "/f.txt", T0 + 2, 200, "TWO, LONGER\n");
	write_at(dir_a, "f.txt", "one\n");
	pl_http_files_free(files);
}

static void small_file_is_sent_from_memory_within_a_second(void)
{
	pl_http_files_t *files = pl_http_files_new(8);
	pl_http_reply_t one, two;

	pl_http_reply_init(&one);
	pl_http_reply_init(&two);
	get_at(files, "/f.txt", T0, &one);
	CHECK(one.file_ref != NULL && one.file_ref->data != NULL);
	/* rewritten in place within the second: the kept bytes are those of
	 * the file the stat (and so the ETag and length) describes */
	write_at(dir_a, "f.txt", "ONE\n");
	get_at(files, "/f.txt", T0, &two);
	CHECK(strcmp(file_part(&two), "one\n") == 0);
	pl_http_reply_free(&one);
	pl_http_reply_free(&two);
	write_at(dir_a, "f.txt", "one\n");
	pl_http_files_free(files);
}

static void large_file_is_read_as_it_is_sent(void)
{
	pl_http_files_t *files = pl_http_files_new(8);
	static char big[20001], got[20000];
	pl_http_reply_t r;
	long n;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 2] = 'y';
	write_at(dir_a, "big.txt", big);
	pl_http_reply_init(&r);
	get_at(files, "/big.txt", T0, &r);
	CHECK_EQ_INT(r.status, 200);
	CHECK(r.file_ref != NULL && r.file_ref->data == NULL);
	n = pl_http_reply_read_file(&r, got, sizeof got);
	CHECK_EQ_INT(n, 20000);
	CHECK(memcmp(got, big, sizeof got) == 0);
	CHECK_EQ_INT(r.file_len, 0);
	CHECK_EQ_INT(pl_http_reply_read_file(&r, got, sizeof got), 0);
	pl_http_reply_free(&r);
	pl_http_files_free(files);
}

static void replaced_file_is_served_new_and_old_replies_keep_theirs(void)
{
	pl_http_files_t *files = pl_http_files_new(8);
	pl_http_reply_t old;
	char tmp[PATH_MAX], path[PATH_MAX];

	pl_http_reply_init(&old);
	get_at(files, "/f.txt", T0, &old);
	CHECK(strcmp(file_part(&old), "one\n") == 0);
	write_at(dir_a, "f.txt.new", "replaced\n");
	snprintf(tmp, sizeof tmp, "%s/f.txt.new", dir_a);
	snprintf(path, sizeof path, "%s/f.txt", dir_a);
	if (rename(tmp, path) != 0)
		abort();
	same_as_uncached(files, "/f.txt", T0 + 1, 200, "replaced\n");
	/* a reply still sending the old file reads the old bytes */
	CHECK(strcmp(file_part(&old), "one\n") == 0);
	pl_http_reply_free(&old);
	write_at(dir_a, "f.txt", "one\n");
	pl_http_files_free(files);
}

static void deleted_file_is_404_the_next_second(void)
{
	pl_http_files_t *files = pl_http_files_new(8);
	char path[PATH_MAX];

	write_at(dir_a, "gone.txt", "soon gone\n");
	same_as_uncached(files, "/gone.txt", T0, 200, "soon gone\n");
	snprintf(path, sizeof path, "%s/gone.txt", dir_a);
	if (unlink(path) != 0)
		abort();
	same_as_uncached(files, "/gone.txt", T0 + 1, 404, NULL);
	/* and it stays gone */
	same_as_uncached(files, "/gone.txt", T0 + 1, 404, NULL);
	pl_http_files_free(files);
}

/* As a user who cannot read a file without its read bits: root can, so
 * as root the test runs as nobody (the workers' usual --user). */
static void unreadable_file_is_404_the_next_second(void)
{
	pl_http_files_t *files = pl_http_files_new(8);
	bool as_root = geteuid() == 0;
	pl_http_reply_t reply;
	char path[PATH_MAX];

	write_at(dir_a, "locked.txt", "private\n");
	snprintf(path, sizeof path, "%s/locked.txt", dir_a);
	if (as_root && seteuid(65534) != 0)
		abort();
	same_as_uncached(files, "/locked.txt", T0, 200, "private\n");
	if (as_root && seteuid(0) != 0)
		abort();
	if (chmod(path, 0) != 0)
		abort();
	if (as_root && seteuid(65534) != 0)
		abort();
	same_as_uncached(files, "/locked.txt", T0 + 1, 404, NULL);
	pl_http_reply_init(&reply);
	get_at(files, "/locked.txt", T0 + 1, &reply);
	CHECK(reply.why != NULL && strcmp(reply.why, "open: permission denied") == 0);
	pl_http_reply_free(&reply);
	if (as_root && seteuid(0) != 0)
		abort();
	unlink(path);
	pl_http_files_free(files);
}

static void swapped_root_is_seen_the_next_second(void)
{
	pl_http_files_t *files = pl_http_files_new(8);

	same_as_uncached(files, "/", T0, 200, "<p>a</p>\n");
	point_root_at(dir_b);
	same_as_uncached(files, "/", T0 + 1, 200, "<p>b, the new site</p>\n");
	point_root_at(dir_a);
	same_as_uncached(files, "/", T0 + 2, 200, "<p>a</p>\n");
	/* a file the old root lacks: the 404 it would be re-checks the root
	 * at once, within the same second */
	point_root_at(dir_b);
	same_as_uncached(files, "/only-b.txt", T0 + 2, 200, "b\n");
	point_root_at(dir_a);
	pl_http_files_free(files);
}

static void removed_root_is_503(void)
{
	pl_http_files_t *files = pl_http_files_new(8);
	pl_http_reply_t reply;
	char gone[PATH_MAX];

	same_as_uncached(files, "/", T0, 200, "<p>a</p>\n");
	/* the root's directory moved away (as by rm -r) */
	snprintf(gone, sizeof gone, "%s/a.gone", base);
	if (rename(dir_a, gone) != 0)
		abort();
	/* a file the cache has not met: its 404 re-checks the root at once */
	same_as_uncached(files, "/only-b.txt", T0, 503, NULL);
	pl_http_reply_init(&reply);
	get_at(files, "/index.html", T0 + 1, &reply);
	CHECK_EQ_INT(reply.status, 503);
	CHECK(reply.why && strstr(reply.why, "root directory is missing"));
	pl_http_reply_free(&reply);
	same_as_uncached(files, "/", T0 + 1, 503, NULL);
	/* back: served again */
	if (rename(gone, dir_a) != 0)
		abort();
	same_as_uncached(files, "/", T0 + 2, 200, "<p>a</p>\n");
	pl_http_files_free(files);
}

static void open_files_are_bounded_and_all_closed_when_freed(void)
{
	pl_http_files_t *files = pl_http_files_new(2);
	static const char *const names[] = {"c1.txt", "c2.txt", "c3.txt",
					    "c4.txt"};
	pl_http_reply_t reply;
	char path[PATH_MAX];
	int before = open_descriptors();

	pl_http_reply_init(&reply);
	for (size_t i = 0; i < 4; i++) {
		write_at(dir_a, names[i], names[i]);
		snprintf(path, sizeof path, "/%s", names[i]);
		get_at(files, path, T0, &reply);
		CHECK_EQ_INT(reply.status, 200);
		CHECK(strcmp(file_part(&reply), names[i]) == 0);
	}
	pl_http_reply_free(&reply);
	/* the root and two files */
	CHECK_EQ_INT(open_descriptors(), before + 3);
	/* the least recently used went first: c4 and c3 are kept */
	get_at(files, "/c3.txt", T0, &reply);
	CHECK_EQ_INT(open_descriptors(), before + 3);
	/* a reply outliving the cache keeps its file open until freed */
	pl_http_files_free(files);
	CHECK_EQ_INT(open_descriptors(), before + 1);
	CHECK(strcmp(file_part(&reply), "c3.txt") == 0);
	pl_http_reply_free(&reply);
	CHECK_EQ_INT(open_descriptors(), before);
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/%s", dir_a, names[i]);
		unlink(path);
	}
}

static void refused_paths_stay_refused_with_a_cache(void)
{
	pl_http_files_t *files = pl_http_files_new(8);
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/out.txt", base);
	write_at(base, "out.txt", "outside\n");
	snprintf(path, sizeof path, "%s/escape", dir_a);
	if (symlink("../out.txt", path) != 0)
		abort();
	same_as_uncached(files, "/escape", T0, 404, NULL);
	same_as_uncached(files, "/escape", T0, 404, NULL);
	same_as_uncached(files, "/%2e%2e/out.txt", T0, 404, NULL);
	/* a link made to point out after its target was served */
	write_at(dir_a, "turns.txt", "inside\n");
	same_as_uncached(files, "/turns.txt", T0, 200, "inside\n");
	snprintf(path, sizeof path, "%s/turns.txt", dir_a);
	if (unlink(path) != 0 || symlink("../out.txt", path) != 0)
		abort();
	same_as_uncached(files, "/turns.txt", T0 + 1, 404, NULL);
	unlink(path);
	snprintf(path, sizeof path, "%s/escape", dir_a);
	unlink(path);
	pl_http_files_free(files);
}

int main(void)
{
	int descriptors = open_descriptors();

	fixture_make();
	RUN(file_is_kept_open_within_a_second);
	RUN(modified_file_is_served_new_the_next_second);
	RUN(small_file_is_sent_from_memory_within_a_second);
	RUN(large_file_is_read_as_it_is_sent);
	RUN(replaced_file_is_served_new_and_old_replies_keep_theirs);
	RUN(deleted_file_is_404_the_next_second);
	RUN(unreadable_file_is_404_the_next_second);
	RUN(swapped_root_is_seen_the_next_second);
	RUN(removed_root_is_503);
	RUN(open_files_are_bounded_and_all_closed_when_freed);
	RUN(refused_paths_stay_refused_with_a_cache);
	/* every cache freed closed what it opened */
	CHECK_EQ_INT(open_descriptors(), descriptors);
	fixture_remove();
	return test_finish();
}
