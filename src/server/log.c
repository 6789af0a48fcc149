/*
 * Logs: the error log (levels, one line per event) and the access log
 * (combined format, or JSON through jansson). Each line is one write() on
 * an O_APPEND descriptor, so lines from several workers never interleave.
 *
 * Nothing a client can repeat at will may write a line each time: such
 * lines go through a limit (pl_srv_log_limited), which writes the first
 * and then at most one per PL_SRV_LOG_INTERVAL_MS, with the count of
 * those left out. An access log that cannot be written (a full disk, an
 * I/O error) is said on the error log the same way, with the number of
 * entries lost, and when it can be written again.
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

/* Limits with lines left out, to be summed up when their interval ends
 * even if no new line comes (pl_srv_log_flush). */
static pl_srv_log_limit_t *pending;

/* Access-log entries that could not be written since the last report. */
static struct {
	uint64_t lost;      /* since the failure began */
	uint64_t reported;  /* of lost, already said */
	uint64_t next_ms;   /* when the next report may be written */
	int err;            /* errno of the last failure */
} access_fail;

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

int pl_srv_log_chown(uid_t uid, gid_t gid)
{
	if (error_fd > 2 && fchown(error_fd, uid, gid) < 0)
		return PL_ERR_IO;
	if (access_fd > 2 && !access_off && fchown(access_fd, uid, gid) < 0)
		return PL_ERR_IO;
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

/* 0, or the errno of a write that failed (the rest of the line is lost). */
static int write_line(int fd, const char *line, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return EIO;
		line += n;
		len -= (size_t)n;
	}
	return 0;
}

static void vlog(pl_srv_log_level_t level, const char *suffix,
		 const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void vlog(pl_srv_log_level_t level, const char *suffix,
		 const char *fmt, va_list ap)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	char line[1024];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	int n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n += snprintf(line + n, sizeof(line) - (size_t)n, " [%s] %d: ",
		      names[level], (int)getpid());
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (suffix)
		n += snprintf(line + n, sizeof(line) - (size_t)n - 1, "%s",
			      suffix);
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)write_line(error_fd, line, (size_t)n);
}

void pl_srv_log(pl_srv_log_level_t level, const char *fmt, ...)
{
	if (level > max_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(level, NULL, fmt, ap);
	va_end(ap);
}

void pl_srv_log_thousands(uint64_t v, char *out, size_t cap)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < cap; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = 0;
}

/* The line that says how many were left out, in the limit's own words. */
static void say_left_out(pl_srv_log_limit_t *l, uint64_t now)
{
	char count[32];
	pl_srv_log_thousands(l->left_out, count, sizeof(count));
	pl_srv_log(l->level, "%s (%s lines like this one left out in the "
		   "last %.1f s)", l->last, count,
		   (double)(now - l->since_ms) / 1000.0);
	l->left_out = 0;
}

void pl_srv_log_limited(pl_srv_log_limit_t *l, pl_srv_log_level_t level,
			const char *fmt, ...)
{
	if (level > max_level)
		return;
	uint64_t now = pl_srv_now_ms();
	va_list ap;
	if (now >= l->next_ms) { /* a new interval */
		l->since_ms = now;
		l->next_ms = now + PL_SRV_LOG_INTERVAL_MS;
		l->written = 0;
	}
	if (l->written < PL_SRV_LOG_BURST) {
		char suffix[96] = "";
		if (l->left_out) {
			char count[32];
			pl_srv_log_thousands(l->left_out, count, sizeof(count));
			snprintf(suffix, sizeof(suffix),
				 " (%s lines like it left out before)",
				 count);
			l->left_out = 0;
		}
		va_start(ap, fmt);
		vlog(level, suffix, fmt, ap);
		va_end(ap);
		l->written++;
		return;
	}
	/* Kept for the summary: the last of the lines left out. */
	va_start(ap, fmt);
	vsnprintf(l->last, sizeof(l->last), fmt, ap);
	va_end(ap);
	l->level = level;
	if (l->left_out++ == 0 && !l->pending) {
		l->pending = true;
		l->next_pending = pending;
		pending = l;
	}
}

static void report_access_loss(uint64_t now, bool recovered)
{
	char count[32];
	pl_srv_log_thousands(access_fail.lost - access_fail.reported, count,
			     sizeof(count));
	if (recovered)
		pl_srv_log(PL_SRV_LOG_ERROR,
			   "the access log is written again; %s entr%s lost "
			   "since the last report",
			   count, access_fail.lost - access_fail.reported == 1
					  ? "y was" : "ies were");
	else
		pl_srv_log(PL_SRV_LOG_ERROR,
			   "cannot write the access log (%s): %s entr%s lost",
			   strerror(access_fail.err), count,
			   access_fail.lost - access_fail.reported == 1
				   ? "y" : "ies");
	access_fail.reported = access_fail.lost;
	access_fail.next_ms = now + PL_SRV_LOG_INTERVAL_MS;
}

uint64_t pl_srv_log_flush(void)
{
	uint64_t now = pl_srv_now_ms(), next = UINT64_MAX;
	pl_srv_log_limit_t **p = &pending;
	while (*p) {
		pl_srv_log_limit_t *l = *p;
		if (l->left_out && now >= l->next_ms) {
			say_left_out(l, now);
			l->since_ms = now;
			l->next_ms = now + PL_SRV_LOG_INTERVAL_MS;
			l->written = 1;
		}
		if (l->left_out == 0) {
			l->pending = false;
			*p = l->next_pending;
			continue;
		}
		if (l->next_ms < next)
			next = l->next_ms;
		p = &l->next_pending;
	}
	if (access_fail.lost > access_fail.reported) {
		if (now >= access_fail.next_ms)
			report_access_loss(now, false);
		else if (access_fail.next_ms < next)
			next = access_fail.next_ms;
	}
	return next;
}

/* One access-log line: a failure loses it and is counted; the first
 * success after failures says so. */
static void write_access(const char *line, size_t len)
{
	int e = write_line(access_fd, line, len);
	uint64_t now;
	if (e == 0) {
		if (access_fail.lost) {
			report_access_loss(pl_srv_now_ms(), true);
			access_fail.lost = access_fail.reported = 0;
		}
		return;
	}
	access_fail.err = e;
	access_fail.lost++;
	now = pl_srv_now_ms();
	if (now >= access_fail.next_ms)
		report_access_loss(now, false);
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

static const char *protocol_name(int version)
{
	return version == PL_HTTP_10 ? "HTTP/1.0"
	       : version == PL_SRV_HTTP_20 ? "HTTP/2.0" : "HTTP/1.1";
}

static void log_combined(const pl_srv_access_t *a)
{
	char line[4096], date[64], req[1200], ref[512], ua[512];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%d/%b/%Y:%H:%M:%S %z", &tm);
	char reqline[1100];
	snprintf(reqline, sizeof(reqline), "%s %s %s",
		 a->method ? a->method : "-", a->target ? a->target : "-",
		 protocol_name(a->version));
	put_escaped(req, sizeof(req), a->method ? reqline : NULL);
	put_escaped(ref, sizeof(ref), a->referer);
	put_escaped(ua, sizeof(ua), a->user_agent);
	/* A proxied request adds its upstream and the upstream's time. */
	char up[200] = "";
	if (a->upstream)
		snprintf(up, sizeof(up), " upstream=%s upstream_time=%.3f",
			 a->upstream, (double)a->upstream_us / 1e6);
	int n = snprintf(line, sizeof(line),
			 "%s - - [%s] \"%s\" %d %llu \"%s\" \"%s\"%s\n",
			 a->peer, date, req, a->status,
			 (unsigned long long)a->bytes, ref, ua, up);
	if (n > 0)
		write_access(line, (size_t)n < sizeof(line) ? (size_t)n
							     : sizeof(line) - 1);
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
		"s:s?, s:s?, s:I, s:s?, s:o?, s:i}",
		"time", date, "peer", a->peer, "method", a->method, "target",
		a->target, "protocol", protocol_name(a->version),
		"status", a->status, "bytes", (json_int_t)a->bytes, "host",
		a->host, "referer", a->referer, "user_agent", a->user_agent,
		"tls_version", a->tls_version, "tls_suite", a->suite,
		"tls_group", a->group != NULL && a->group[0] != '\0' ? a->group
								  : NULL,
		"duration_us", (json_int_t)a->duration_us,
		"upstream", a->upstream,
		"upstream_us", a->upstream ? json_integer((json_int_t)a->upstream_us)
					   : NULL,
		"peer_port", (int)a->peer_port);
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
		write_access(line, len + 1);
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
