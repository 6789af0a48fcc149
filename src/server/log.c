/*
 * Logs: the error log (levels, one line per event) and the access log
 * (combined format, or JSON through jansson). Each line is one write() on
 * an O_APPEND descriptor, so lines from several workers never interleave.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/server_int.h"

static int error_fd = 2;
static int access_fd = 2;
static bool access_off;
static pl_srv_log_level_t max_level = PL_SRV_LOG_INFO;
static pl_srv_log_format_t access_format = PL_SRV_LOG_COMBINED;

static int open_log(const char *path, int *fd, char *err, size_t err_len)
{
	if (path == NULL) {
		*fd = 2;
		return PL_OK;
	}
	int nfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (nfd < 0) {
		snprintf(err, err_len, "cannot open log file %s: %s", path,
			 strerror(errno));
		return PL_ERR_IO;
	}
	if (*fd > 2)
		close(*fd);
	*fd = nfd;
	return PL_OK;
}

int pl_srv_log_open(const pl_srv_options_t *o, char *err, size_t err_len)
{
	int ret;
	max_level = o->log_level;
	access_format = o->log_format;
	access_off = o->access_log && strcmp(o->access_log, "off") == 0;
	if ((ret = open_log(o->error_log, &error_fd, err, err_len)))
		return ret;
	if (!access_off &&
	    (ret = open_log(o->access_log, &access_fd, err, err_len)))
		return ret;
	return PL_OK;
}

void pl_srv_log_close(void)
{
	if (error_fd > 2)
		close(error_fd);
	if (access_fd > 2 && access_fd != error_fd)
		close(access_fd);
	error_fd = access_fd = 2;
}

static void write_line(int fd, const char *line, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line += n;
		len -= (size_t)n;
	}
}

void pl_srv_log(pl_srv_log_level_t level, const char *fmt, ...)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	char line[1024];
	if (level > max_level)
		return;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	int n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n += snprintf(line + n, sizeof(line) - (size_t)n, " [%s] %d: ",
		      names[level], (int)getpid());
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	write_line(error_fd, line, (size_t)n);
}

/* A field of the combined format: quotes, backslashes and controls are
 * escaped as \xHH so a request cannot forge log lines. */
static size_t put_escaped(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	if (s == NULL || *s == 0)
		s = "-";
	for (; *s && n + 5 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch < 0x20 || ch == '"' || ch == '\\' || ch >= 0x7f)
			n += (size_t)snprintf(out + n, cap - n, "\\x%02X", ch);
		else
			out[n++] = (char)ch;
	}
	out[n] = 0;
	return n;
}

static void log_combined(const pl_srv_access_t *a)
{
	char line[4096], date[64], req[1200], ref[512], ua[512];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%d/%b/%Y:%H:%M:%S %z", &tm);
	char reqline[1100];
	snprintf(reqline, sizeof(reqline), "%s %s HTTP/1.%d",
		 a->method ? a->method : "-", a->target ? a->target : "-",
		 a->version == PL_HTTP_10 ? 0 : 1);
	put_escaped(req, sizeof(req), a->method ? reqline : NULL);
	put_escaped(ref, sizeof(ref), a->referer);
	put_escaped(ua, sizeof(ua), a->user_agent);
	int n = snprintf(line, sizeof(line),
			 "%s - - [%s] \"%s\" %d %llu \"%s\" \"%s\"\n", a->peer,
			 date, req, a->status, (unsigned long long)a->bytes, ref,
			 ua);
	if (n > 0)
		write_line(access_fd, line,
			   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void log_json(const pl_srv_access_t *a)
{
	char date[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *o = json_pack(
		"{s:s, s:s, s:s?, s:s?, s:s, s:i, s:I, s:s?, s:s?, s:s?, s:s?, "
		"s:s?, s:I}",
		"time", date, "peer", a->peer, "method", a->method, "target",
		a->target, "protocol", a->version == PL_HTTP_10 ? "HTTP/1.0" : "HTTP/1.1",
		"status", a->status, "bytes", (json_int_t)a->bytes, "host",
		a->host, "referer", a->referer, "user_agent", a->user_agent,
		"tls_version", a->tls_version, "tls_suite", a->suite,
		"duration_us", (json_int_t)a->duration_us);
	if (o == NULL)
		return;
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (s == NULL)
		return;
	size_t len = strlen(s);
	char *line = malloc(len + 1);
	if (line) { /* one write per line: workers share the file */
		memcpy(line, s, len);
		line[len] = '\n';
		write_line(access_fd, line, len + 1);
		free(line);
	}
	free(s);
}

bool pl_srv_log_access_enabled(void)
{
	return !access_off;
}

void pl_srv_log_access(const pl_srv_access_t *a)
{
	if (access_off)
		return;
	if (access_format == PL_SRV_LOG_JSON)
		log_json(a);
	else
		log_combined(a);
}
