/*
 * Saved TLS sessions for padlock get: kept per (host, port, SNI) for the
 * life of the process, and across runs in a --sessions file that holds
 * secrets (each session carries its resumption key), so it is treated
 * like a private key: created 0600, refused when others can read it,
 * replaced atomically, bounded, and read by a parser that gives up on the
 * whole file at the first line it does not understand.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client_internal.h"
#include "padlock/crypto.h"

#define NAME_MAX_LEN 255
/* The longest line: host:port, SNI, two numbers, the session in hex. */
#define LINE_MAX_LEN (NAME_MAX_LEN * 2 + 16 + 48 + PL_CLIENT_SESSION_MAX * 2)
#define WRITE_BUFFER 16384
#define TEMPLATE_LEN 6   /* mkstemp's trailing characters */
#define FILE_MAX_LEN ((size_t)PL_CLIENT_SESSIONS_MAX * (LINE_MAX_LEN + 1) + 4096)

struct entry {
	char host[NAME_MAX_LEN + 1];
	char sni[NAME_MAX_LEN + 1];   /* "" for none */
	uint16_t port;
	time_t saved;
	uint32_t lifetime;
	bool from_file;
	uint8_t *data;
	size_t len;
};

struct pl_client_sessions {
	struct entry e[PL_CLIENT_SESSIONS_MAX];
	size_t n;
};

static const char file_header[] =
	"# padlock sessions: HOST:PORT SNI SAVED LIFETIME SESSION(hex)\n"
	"# TLS session tickets with their resumption secrets: keep this file "
	"0600\n";

pl_client_sessions_t *pl_client_sessions_new(void)
{
	return calloc(1, sizeof(pl_client_sessions_t));
}

static void entry_clear(struct entry *e)
{
	if (e->data != NULL) {
		pl_cleanse(e->data, e->len);
		free(e->data);
	}
	memset(e, 0, sizeof *e);
}

void pl_client_sessions_free(pl_client_sessions_t *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		entry_clear(&s->e[i]);
	free(s);
}

void pl_client_session_clear(pl_client_session_t *session)
{
	if (session->data != NULL) {
		pl_cleanse(session->data, session->len);
		free(session->data);
	}
	memset(session, 0, sizeof *session);
}

/* A host or SNI as the file can hold it: 1 to 255 printable ASCII bytes,
 * no space, no '#' (a host name or an address, never free text). */
static bool is_name(const char *s, size_t len)
{
	if (len == 0 || len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '#')
			return false;
	return true;
}

static bool expired(const struct entry *e, time_t now)
{
	return now >= e->saved && (uint64_t)(now - e->saved) >= e->lifetime;
}

static bool same_key(const struct entry *e, const char *host, uint16_t port,
		     const char *sni)
{
	return e->port == port && strcasecmp(e->host, host) == 0 &&
	       strcasecmp(e->sni, sni) == 0;
}

static void remove_at(pl_client_sessions_t *s, size_t i)
{
	entry_clear(&s->e[i]);
	memmove(&s->e[i], &s->e[i + 1], (s->n - i - 1) * sizeof s->e[0]);
	s->n--;
	memset(&s->e[s->n], 0, sizeof s->e[0]);
}

/* Room for one more: the one of the same key goes, else the oldest. */
static void make_room(pl_client_sessions_t *s, const char *host,
		      uint16_t port, const char *sni)
{
	size_t oldest = 0;

	for (size_t i = 0; i < s->n; i++)
		if (same_key(&s->e[i], host, port, sni)) {
			remove_at(s, i);
			return;
		}
	if (s->n < PL_CLIENT_SESSIONS_MAX)
		return;
	for (size_t i = 1; i < s->n; i++)
		if (s->e[i].saved < s->e[oldest].saved)
			oldest = i;
	remove_at(s, oldest);
}

static int put(pl_client_sessions_t *s, const char *host, uint16_t port,
	       const char *sni, time_t saved, uint32_t lifetime,
	       const uint8_t *data, size_t len, bool from_file)
{
	struct entry *e;

	if (sni == NULL)
		sni = "";
	if (!is_name(host, strlen(host)) ||
	    (sni[0] != '\0' && !is_name(sni, strlen(sni))) || len == 0 ||
	    len > PL_CLIENT_SESSION_MAX)
		return PL_ERR_ARG;
	if (lifetime == 0 || lifetime > PL_CLIENT_SESSION_LIFETIME_MAX)
		lifetime = PL_CLIENT_SESSION_LIFETIME_MAX;
	make_room(s, host, port, sni);
	e = &s->e[s->n];
	if ((e->data = malloc(len)) == NULL)
		return PL_ERR_NOMEM;
	memcpy(e->data, data, len);
	e->len = len;
	snprintf(e->host, sizeof e->host, "%s", host);
	snprintf(e->sni, sizeof e->sni, "%s", sni);
	e->port = port;
	e->saved = saved;
	e->lifetime = lifetime;
	e->from_file = from_file;
	s->n++;
	return PL_OK;
}

int pl_client_sessions_put(pl_client_sessions_t *s, const char *host,
			   uint16_t port, const char *sni, time_t saved,
			   uint32_t lifetime, const uint8_t *data, size_t len)
{
	return put(s, host, port, sni, saved, lifetime, data, len, false);
}

bool pl_client_sessions_take(pl_client_sessions_t *s, const char *host,
			     uint16_t port, const char *sni, time_t now,
			     pl_client_session_t *out)
{
	memset(out, 0, sizeof *out);
	if (sni == NULL)
		sni = "";
	for (size_t i = 0; i < s->n; i++) {
		struct entry *e = &s->e[i];
		if (!same_key(e, host, port, sni))
			continue;
		if (expired(e, now)) {
			remove_at(s, i);
			return false;
		}
		out->data = e->data;
		out->len = e->len;
		out->saved = e->saved;
		out->lifetime = e->lifetime;
		out->from_file = e->from_file;
		e->data = NULL; /* now the caller's */
		remove_at(s, i);
		return true;
	}
	return false;
}

/* ---- the file: reading ---------------------------------------------------- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A decimal number of at most max, all of the len bytes at s. */
static bool parse_number(const char *s, size_t len, unsigned long long max,
			 unsigned long long *out)
{
	unsigned long long v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (max - (unsigned long long)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* "host:port" or "[v6]:port" into host (no brackets) and port. */
static bool parse_host_port(const char *s, size_t len, char *host,
			    uint16_t *port)
{
	const char *colon = NULL;
	unsigned long long p;
	size_t host_len;
	const char *h = s;

	for (size_t i = len; i > 0; i--)
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	if (colon == NULL ||
	    !parse_number(colon + 1, len - (size_t)(colon + 1 - s), 65535, &p) ||
	    p == 0)
		return false;
	host_len = (size_t)(colon - s);
	if (host_len >= 2 && s[0] == '[' && s[host_len - 1] == ']') {
		h = s + 1;
		host_len -= 2;
	} else if (memchr(s, ':', host_len) != NULL)
		return false; /* an IPv6 address wants its brackets */
	if (!is_name(h, host_len))
		return false;
	memcpy(host, h, host_len);
	host[host_len] = '\0';
	*port = (uint16_t)p;
	return true;
}

/* Splits the line (len bytes) into exactly n fields at single spaces. */
static bool split_fields(const char *line, size_t len, const char **field,
			 size_t *field_len, size_t n)
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (k == n || i == start)
			return false;
		field[k] = line + start;
		field_len[k] = i - start;
		k++;
		start = i + 1;
	}
	return k == n;
}

/* One session line into s (expired ones are skipped). */
static bool parse_line(pl_client_sessions_t *s, const char *line, size_t len,
		       time_t now)
{
	const char *f[5];
	size_t fl[5], n;
	char host[NAME_MAX_LEN + 1], sni[NAME_MAX_LEN + 1];
	unsigned long long saved, lifetime;
	uint16_t port;
	uint8_t *data;
	struct entry probe;
	bool ok = true;

	if (!split_fields(line, len, f, fl, 5) ||
	    !parse_host_port(f[0], fl[0], host, &port) ||
	    (!(fl[1] == 1 && f[1][0] == '-') && !is_name(f[1], fl[1])) ||
	    !parse_number(f[2], fl[2], (unsigned long long)LLONG_MAX / 2,
			  &saved) ||
	    !parse_number(f[3], fl[3], PL_CLIENT_SESSION_LIFETIME_MAX,
			  &lifetime) ||
	    lifetime == 0 || fl[4] % 2 != 0 || fl[4] == 0 ||
	    fl[4] / 2 > PL_CLIENT_SESSION_MAX)
		return false;
	if (fl[1] == 1 && f[1][0] == '-')
		sni[0] = '\0';
	else {
		memcpy(sni, f[1], fl[1]);
		sni[fl[1]] = '\0';
	}
	n = fl[4] / 2;
	if ((data = malloc(n)) == NULL)
		return false;
	for (size_t i = 0; i < n && ok; i++) {
		int hi = hex_value(f[4][2 * i]), lo = hex_value(f[4][2 * i + 1]);
		ok = hi >= 0 && lo >= 0;
		if (ok)
			data[i] = (uint8_t)(hi << 4 | lo);
	}
	probe.saved = (time_t)saved;
	probe.lifetime = (uint32_t)lifetime;
	if (ok && !expired(&probe, now))
		ok = put(s, host, port, sni, (time_t)saved, (uint32_t)lifetime,
			 data, n, true) == PL_OK;
	pl_cleanse(data, n);
	free(data);
	return ok;
}

static void drop_from_file(pl_client_sessions_t *s)
{
	for (size_t i = s->n; i > 0; i--)
		if (s->e[i - 1].from_file)
			remove_at(s, i - 1);
}

size_t pl_client_sessions_count(const pl_client_sessions_t *s)
{
	return s->n;
}

int pl_client_sessions_parse(pl_client_sessions_t *s, const char *path,
			     const char *text, size_t len, time_t now,
			     char *err, size_t err_len)
{
	size_t line_no = 0, at = 0;

	while (at < len) {
		const char *end = memchr(text + at, '\n', len - at);
		size_t line_len = end != NULL ? (size_t)(end - (text + at))
					      : len - at;
		line_no++;
		if (line_len > 0 && text[at] != '#' &&
		    !parse_line(s, text + at, line_len, now)) {
			drop_from_file(s);
			return pl_client_fail(err, err_len, PL_ERR_DECODE,
				"%s: line %zu is not a saved session "
				"(HOST:PORT SNI SAVED LIFETIME SESSION), so "
				"the file is ignored and will be rewritten",
				path, line_no);
		}
		at += line_len + 1;
	}
	return PL_OK;
}

/* Secrets live in the file: refuse one that others can read or that is
 * not a plain file of this user's (a symlink could point anywhere). */
static int check_file(const char *path, const struct stat *st, char *err,
		      size_t err_len)
{
	if (!S_ISREG(st->st_mode))
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"%s is not a regular file, and padlock keeps session "
			"tickets (secrets) only in a regular file of its own",
			path);
	if (st->st_uid != geteuid())
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"%s belongs to another user, and its session tickets "
			"are secrets only its owner should hold", path);
	if (st->st_mode & 077)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"%s can be read or written by group or others (mode "
			"%04o), and it holds secrets: run 'chmod 600 %s'",
			path, (unsigned)(st->st_mode & 07777), path);
	return PL_OK;
}

static int read_all(int fd, const char *path, char **out, size_t *len,
		    char *err, size_t err_len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return PL_ERR_NOMEM;
	for (;;) {
		ssize_t got;
		if (n == cap) {
			char *bigger = cap < FILE_MAX_LEN ? malloc(cap * 2) : NULL;
			if (bigger == NULL) {
				pl_cleanse(buf, n);
				free(buf);
				return pl_client_fail(err, err_len, PL_ERR_DECODE,
					"%s is larger than a sessions file can "
					"be, so it is ignored and will be "
					"rewritten", path);
			}
			memcpy(bigger, buf, n);
			pl_cleanse(buf, n);
			free(buf);
			buf = bigger;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;
			pl_cleanse(buf, n);
			free(buf);
			return pl_client_fail(err, err_len, PL_ERR_IO,
					      "cannot read %s: %s", path,
					      strerror(e));
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*out = buf;
	*len = n;
	return PL_OK;
}

int pl_client_sessions_read(pl_client_sessions_t *s, const char *path,
			    time_t now, char *err, size_t err_len)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return PL_OK;
	if (fd < 0 && errno == ELOOP)
		return pl_client_fail(err, err_len, PL_ERR_ARG,
			"%s is a symbolic link, and padlock keeps session "
			"tickets (secrets) only in a regular file of its own",
			path);
	if (fd < 0)
		return pl_client_fail(err, err_len, PL_ERR_IO,
				      "cannot open %s: %s", path,
				      strerror(errno));
	if (fstat(fd, &st) != 0)
		rc = pl_client_fail(err, err_len, PL_ERR_IO, "cannot read %s: "
				    "%s", path, strerror(errno));
	else
		rc = check_file(path, &st, err, err_len);
	if (rc == PL_OK)
		rc = read_all(fd, path, &text, &len, err, err_len);
	close(fd);
	if (rc != PL_OK)
		return rc;
	rc = pl_client_sessions_parse(s, path, text, len, now, err, err_len);
	pl_cleanse(text, len);
	free(text);
	return rc;
}

/* ---- the file: writing ------------------------------------------------- */

static int write_entry(FILE *f, const struct entry *e)
{
	bool v6 = strchr(e->host, ':') != NULL;

	if (fprintf(f, "%s%s%s:%u %s %lld %u ", v6 ? "[" : "", e->host,
		    v6 ? "]" : "", (unsigned)e->port,
		    e->sni[0] != '\0' ? e->sni : "-", (long long)e->saved,
		    (unsigned)e->lifetime) < 0)
		return PL_ERR_IO;
	for (size_t i = 0; i < e->len; i++)
		if (fprintf(f, "%02x", e->data[i]) < 0)
			return PL_ERR_IO;
	return fputc('\n', f) == EOF ? PL_ERR_IO : PL_OK;
}

static int write_entries(FILE *f, const pl_client_sessions_t *s, time_t now)
{
	if (fputs(file_header, f) == EOF)
		return PL_ERR_IO;
	for (size_t i = 0; i < s->n; i++)
		if (!expired(&s->e[i], now) && write_entry(f, &s->e[i]) != PL_OK)
			return PL_ERR_IO;
	return fflush(f) == 0 && fsync(fileno(f)) == 0 ? PL_OK : PL_ERR_IO;
}

int pl_client_sessions_write(const pl_client_sessions_t *s, const char *path,
			     time_t now, char *err, size_t err_len)
{
	size_t len = strlen(path);
	/* path, '.', then the six template characters mkstemp replaces */
	char *tmp = malloc(len + 1 + TEMPLATE_LEN + 1);
	/* stdio's buffer would keep the secrets unwiped: lend it ours */
	char *buf = malloc(WRITE_BUFFER);
	FILE *f = NULL;
	int fd, rc, e;

	if (tmp == NULL || buf == NULL) {
		free(tmp);
		free(buf);
		return PL_ERR_NOMEM;
	}
	memcpy(tmp, path, len);
	tmp[len] = '.';
	memset(tmp + len + 1, 'X', TEMPLATE_LEN);
	tmp[len + 1 + TEMPLATE_LEN] = '\0';
	/* mkstemp creates the file 0600 whatever the umask */
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = pl_client_fail(err, err_len, PL_ERR_IO, "cannot create a "
				    "file beside %s: %s", path, strerror(errno));
		free(tmp);
		free(buf);
		return rc;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		rc = PL_ERR_IO;
	} else {
		rc = setvbuf(f, buf, _IOFBF, WRITE_BUFFER) == 0
			? write_entries(f, s, now) : PL_ERR_IO;
		if (fclose(f) != 0)
			rc = PL_ERR_IO;
	}
	e = errno;
	if (rc == PL_OK && rename(tmp, path) != 0) {
		e = errno;
		rc = PL_ERR_IO;
	}
	if (rc != PL_OK) {
		unlink(tmp);
		pl_client_fail(err, err_len, rc, "cannot write %s: %s", path,
			       strerror(e));
	}
	pl_cleanse(buf, WRITE_BUFFER);
	free(buf);
	free(tmp);
	return rc;
}
