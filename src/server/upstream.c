/*
 * Upstreams of the reverse proxy: pools parsed from URLs, the pick of an
 * upstream (round robin or least connections, skipping those marked down
 * by passive health), and the connections to them: non-blocking connects
 * in the worker's epoll loop, and a bounded per-worker pool of idle
 * keep-alive connections reused across requests.
 *
 * A connection belongs to one exchange while busy (proxy.c does the
 * HTTP); idle, it sits in its upstream's list with the idle timeout, and
 * any event on it (the upstream closed it, or sent bytes nobody asked
 * for) closes it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "padlock/x509.h"
#include "server/proxy.h"

#define READ_CHUNK 16384

/* ---- pools ---------------------------------------------------------------- */

static int parse_unix(pl_srv_upstream_t *up, const char *path, size_t len,
		      char *err, size_t err_len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&up->addr;
	if (len == 0 || len >= sizeof(sun->sun_path)) {
		snprintf(err, err_len, "proxy: the socket path of "
			 "http://unix:%.*s is empty or too long", (int)len, path);
		return PL_ERR_ARG;
	}
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len);
	up->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	snprintf(up->name, sizeof(up->name), "unix:%.*s", (int)len, path);
	return PL_OK;
}

static int parse_inet(pl_srv_upstream_t *up, const char *hp, size_t len,
		      char *err, size_t err_len)
{
	char host[100], port[8];
	const char *colon = NULL;
	size_t hlen;
	if (len > 0 && hp[0] == '[') {
		const char *close = memchr(hp, ']', len);
		if (close == NULL || close + 1 >= hp + len || close[1] != ':')
			goto bad;
		colon = close + 1;
		hlen = (size_t)(close - hp - 1);
		if (hlen >= sizeof(host))
			goto bad;
		memcpy(host, hp + 1, hlen);
	} else {
		for (size_t i = len; i > 0; i--)
			if (hp[i - 1] == ':') {
				colon = hp + i - 1;
				break;
			}
		if (colon == NULL)
			goto bad;
		hlen = (size_t)(colon - hp);
		if (hlen == 0 || hlen >= sizeof(host))
			goto bad;
		memcpy(host, hp, hlen);
	}
	host[hlen] = 0;
	size_t plen = len - (size_t)(colon + 1 - hp);
	if (plen == 0 || plen >= sizeof(port) ||
	    strspn(colon + 1, "0123456789") < plen)
		goto bad;
	memcpy(port, colon + 1, plen);
	port[plen] = 0;
	if (atoi(port) < 1 || atoi(port) > 65535)
		goto bad;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		snprintf(err, err_len, "proxy: cannot resolve %s: %s", host,
			 gai_strerror(rc));
		return PL_ERR_ARG;
	}
	memcpy(&up->addr, ai->ai_addr, ai->ai_addrlen);
	up->addr_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	snprintf(up->name, sizeof(up->name), "%.*s", (int)len, hp);
	snprintf(up->host, sizeof(up->host), "%s", host);
	return PL_OK;
bad:
	snprintf(err, err_len, "proxy: '%.*s' is not host:port", (int)len, hp);
	return PL_ERR_ARG;
}

/* One URL: http://host:port[/], http://unix:/path.sock, https://host:port */
static int parse_url(pl_srv_upstream_t *up, const char *url, size_t len,
		     bool *https, char *err, size_t err_len)
{
	static const char unix_[] = "unix:";
	memset(up, 0, sizeof(*up));
	*https = len > 8 && strncmp(url, "https://", 8) == 0;
	if (!*https && (len < 7 || strncmp(url, "http://", 7) != 0)) {
		snprintf(err, err_len, "proxy: '%.*s' is not an upstream URL "
			 "(http://host:port, http://unix:/path.sock or "
			 "https://host:port)", (int)(len < 100 ? len : 100), url);
		return PL_ERR_ARG;
	}
	url += *https ? 8 : 7;
	len -= *https ? 8 : 7;
	if (!*https && len > 5 && strncmp(url, unix_, 5) == 0)
		return parse_unix(up, url + 5, len - 5, err, err_len);
	if (len > 0 && url[len - 1] == '/')
		len--;
	if (memchr(url, '/', len)) {
		snprintf(err, err_len, "proxy: an upstream URL has no path "
			 "('%.*s')", (int)(len < 100 ? len : 100), url);
		return PL_ERR_ARG;
	}
	return parse_inet(up, url, len, err, err_len);
}

/* The TLS client of a pool's https upstreams: verification against
 * ca_file (or the system store), HTTP/1.1 by ALPN. */
static int pool_tls(pl_srv_pool_t *pool, const char *ca_file, char *err,
		    size_t err_len)
{
	char why[256];
	pl_x509_store_t *store = pl_x509_store_new(ca_file, NULL, why,
						   sizeof(why));
	if (store == NULL) {
		snprintf(err, err_len, "proxy: the upstreams' CAs%s%s: %s",
			 ca_file ? " in " : "", ca_file ? ca_file : "", why);
		return PL_ERR_ARG;
	}
	pool->tls = pl_tls_config_new(false);
	if (pool->tls == NULL ||
	    pl_tls_config_set_alpn(pool->tls, "http/1.1") != PL_OK) {
		pl_x509_store_free(store);
		snprintf(err, err_len, "out of memory");
		return PL_ERR_NOMEM;
	}
	pl_tls_config_set_trust(pool->tls, store);
	return PL_OK;
}

int pl_srv_pool_set_host(pl_srv_pool_t *pool, const char *host, char *err,
			 size_t err_len)
{
	/* what a Host field may hold (RFC 9110 7.2), nothing that would end
	 * the line or add a field */
	size_t n = strlen(host);
	bool ok = n > 0 && n < sizeof(pool->host);
	for (size_t i = 0; ok && i < n; i++)
		ok = host[i] > 0x20 && host[i] < 0x7f && !strchr("/?#@\\", host[i]);
	if (!ok) {
		snprintf(err, err_len, "proxy-host: '%.60s' is not host[:port]",
			 host);
		return PL_ERR_ARG;
	}
	memcpy(pool->host, host, n + 1);
	return PL_OK;
}

void pl_srv_pool_free(pl_srv_pool_t *pool)
{
	if (pool == NULL)
		return;
	pl_tls_config_free(pool->tls);
	free(pool);
}

int pl_srv_pool_parse(const char *urls, int balance, const char *ca_file,
		      pl_srv_pool_t **out, char *err, size_t err_len)
{
	pl_srv_pool_t *pool = calloc(1, sizeof(*pool));
	if (pool == NULL) {
		snprintf(err, err_len, "out of memory");
		return PL_ERR_NOMEM;
	}
	pool->balance = balance;
	const char *p = urls;
	for (;;) {
		p += strspn(p, ", \t");
		if (*p == 0)
			break;
		size_t len = strcspn(p, ", \t");
		if (pool->n == PL_SRV_MAX_UPSTREAMS) {
			snprintf(err, err_len, "proxy: more than %d upstreams "
				 "in one pool", PL_SRV_MAX_UPSTREAMS);
			pl_srv_pool_free(pool);
			return PL_ERR_ARG;
		}
		bool https = false;
		int ret = parse_url(&pool->up[pool->n], p, len, &https, err,
				    err_len);
		if (ret == PL_OK && https && pool->tls == NULL)
			ret = pool_tls(pool, ca_file, err, err_len);
		if (ret) {
			pl_srv_pool_free(pool);
			return ret;
		}
		if (https)
			pool->up[pool->n].tls = pool->tls;
		pool->n++;
		p += len;
	}
	if (pool->n == 0) {
		snprintf(err, err_len, "proxy: no upstream URL given");
		pl_srv_pool_free(pool);
		return PL_ERR_ARG;
	}
	*out = pool;
	return PL_OK;
}

int pl_srv_pool_apply_sections(pl_srv_pool_t *pool, const pl_srv_options_t *o,
			       char *err, size_t err_len)
{
	for (size_t i = 0; i < o->n_upstreams; i++) {
		const pl_srv_upstream_opts_t *u = &o->upstreams[i];
		pl_srv_upstream_t named;
		bool https = false;
		char why[200];
		if (parse_url(&named, u->url, strlen(u->url), &https, why,
			      sizeof(why)) != PL_OK) {
			snprintf(err, err_len, "upstream \"%.100s\": %s", u->url,
				 why);
			return PL_ERR_ARG;
		}
		for (size_t k = 0; k < pool->n; k++) {
			pl_srv_upstream_t *up = &pool->up[k];
			if (up->addr_len == named.addr_len &&
			    memcmp(&up->addr, &named.addr, named.addr_len) == 0 &&
			    (up->tls != NULL) == https)
				up->proxy_protocol = u->proxy_protocol;
		}
	}
	return PL_OK;
}

static bool is_down(const pl_srv_upstream_t *up, uint64_t now)
{
	return up->down_until_ms > now;
}

pl_srv_upstream_t *pl_srv_pool_pick(pl_srv_pool_t *pool,
				    const pl_srv_upstream_t *avoid)
{
	uint64_t now = pl_srv_now_ms();
	pl_srv_upstream_t *best = NULL;
	/* Two passes: the upstreams that are up (and not avoid), then, when
	 * none is, any but avoid, then avoid itself. */
	for (int pass = 0; pass < 3 && best == NULL; pass++) {
		for (size_t k = 0; k < pool->n; k++) {
			size_t i = (pool->next + k) % pool->n;
			pl_srv_upstream_t *up = &pool->up[i];
			if (pass < 2 && up == avoid)
				continue;
			if (pass == 0 && is_down(up, now))
				continue;
			if (pool->balance == PL_SRV_BALANCE_ROUND_ROBIN) {
				best = up;
				break;
			}
			if (best == NULL || up->active < best->active)
				best = up;
		}
	}
	if (best)
		pool->next = (size_t)(best - pool->up) + 1;
	return best;
}

void pl_srv_upstream_failed(pl_srv_upstream_t *up)
{
	if (++up->fails >= PL_SRV_UPSTREAM_MAX_FAILS) {
		if (!is_down(up, pl_srv_now_ms()))
			pl_srv_log(PL_SRV_LOG_WARN, "upstream %s: %u failures in "
				   "a row: not used for %d s", up->name,
				   up->fails, PL_SRV_UPSTREAM_DOWN_MS / 1000);
		up->down_until_ms = pl_srv_now_ms() + PL_SRV_UPSTREAM_DOWN_MS;
	}
}

void pl_srv_upstream_ok(pl_srv_upstream_t *up)
{
	up->fails = 0;
	up->down_until_ms = 0;
}

/* ---- connections ------------------------------------------------------------ */

static pl_srv_uconn_t *dead;   /* closed, freed after the event batch */
static unsigned idle_count;    /* this worker's idle connections */

/* Buffers of connections gone idle, wiped, for the next busy ones: a
 * kept-alive connection's request and response then cost no malloc and
 * free of a 16 KiB buffer each. Bounded in number and in size. */
#define SPARE_BUFS 16
#define SPARE_MAX_CAP (2 * READ_CHUNK + 1024)
static pl_buf_t spare[SPARE_BUFS];
static size_t n_spare;

/* b's memory, wiped, into the spares (or freed). */
static void buf_retire(pl_buf_t *b)
{
	if (b->data == NULL || b->cap > SPARE_MAX_CAP || n_spare == SPARE_BUFS ||
	    pl_buf_error(b)) {
		pl_buf_free(b);
		return;
	}
	pl_buf_reset(b);
	spare[n_spare++] = *b;
	*b = (pl_buf_t)PL_BUF_INIT;
}

/* A spare buffer for an empty b. */
static void buf_take(pl_buf_t *b)
{
	if (b->data == NULL && n_spare > 0) {
		*b = spare[--n_spare];
		spare[n_spare] = (pl_buf_t)PL_BUF_INIT;
	}
}

static pl_srv_uconn_t *uc_of_tag(pl_srv_tag_t *t)
{
	return (pl_srv_uconn_t *)((char *)t - offsetof(pl_srv_uconn_t, tag));
}

static pl_srv_uconn_t *uc_of_timer(pl_srv_timer_t *t)
{
	return (pl_srv_uconn_t *)((char *)t - offsetof(pl_srv_uconn_t, timer));
}

static const pl_srv_options_t *opts_of(pl_srv_uconn_t *uc)
{
	return pl_srv_worker_runtime(uc->w)->opts;
}

void pl_srv_uconn_deadline(pl_srv_uconn_t *uc, unsigned ms)
{
	(void)pl_srv_timer_set(pl_srv_worker_timers(uc->w), &uc->timer,
			       pl_srv_now_ms() + ms);
}

static void idle_unlink(pl_srv_uconn_t *uc)
{
	for (pl_srv_uconn_t **p = &uc->up->idle; *p; p = &(*p)->next)
		if (*p == uc) {
			*p = uc->next;
			idle_count--;
			break;
		}
	uc->next = NULL;
}

void pl_srv_uconn_close(pl_srv_uconn_t *uc)
{
	if (uc->state == PL_SRV_UC_DEAD)
		return;
	if (uc->state == PL_SRV_UC_IDLE)
		idle_unlink(uc);
	uc->state = PL_SRV_UC_DEAD;
	uc->x = NULL;
	pl_srv_timer_del(pl_srv_worker_timers(uc->w), &uc->timer);
	close(uc->fd); /* also takes it out of the epoll set */
	uc->next = dead;
	dead = uc;
}

void pl_srv_upstream_reap(void)
{
	while (dead) {
		pl_srv_uconn_t *uc = dead;
		dead = uc->next;
		buf_retire(&uc->in);
		buf_retire(&uc->out);
		pl_tls_conn_free(uc->tls);
		free(uc);
	}
}

/* An idle connection the upstream has not closed: nothing to read yet. */
static bool still_open(pl_srv_uconn_t *uc)
{
	uint8_t b;
	ssize_t n = recv(uc->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* The newest idle connection that began with pp (a PROXY header says
 * whose connection it is: another client's cannot carry this request).
 * An idle connection whose upstream closed it is closed by its event;
 * one closed by an event not yet read fails its exchange before any
 * response byte, which is then retried on a new connection: only a
 * request that cannot be retried (check) pays a recv to be sure first. */
static pl_srv_uconn_t *take_idle(pl_srv_upstream_t *up, const uint8_t *pp,
				 size_t pp_len, bool check)
{
	pl_srv_uconn_t *uc = up->idle;
	while (uc) {
		pl_srv_uconn_t *next = uc->next;
		if (uc->pp_len != pp_len ||
		    (pp_len && memcmp(uc->pp, pp, pp_len) != 0)) {
			uc = next;
			continue;
		}
		idle_unlink(uc);
		uc->state = PL_SRV_UC_BUSY;
		if (!check || still_open(uc)) {
			uc->reused = true;
			uc->readable = false;
			buf_take(&uc->in);
			buf_take(&uc->out);
			return uc;
		}
		pl_srv_uconn_close(uc);
		uc = next;
	}
	return NULL;
}

/* The PROXY header, raw on the socket before anything else (the TLS
 * handshake too): a new connection's buffer always has room for it. */
static int send_proxy_header(pl_srv_uconn_t *uc)
{
	if (uc->pp_len == 0)
		return 0;
	ssize_t n;
	do
		n = send(uc->fd, uc->pp, uc->pp_len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)uc->pp_len)
		return 0;
	return n < 0 ? errno : EIO;
}

pl_srv_uconn_t *pl_srv_uconn_get(pl_srv_worker_t *w, pl_srv_upstream_t *up,
				 const uint8_t *pp, size_t pp_len, bool check)
{
	pl_srv_uconn_t *uc = take_idle(up, pp, pp_len, check);
	if (uc)
		return uc;
	if (pp_len > sizeof(uc->pp)) {
		errno = EINVAL;
		return NULL;
	}
	int fd = socket(up->addr.ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if ((uc = calloc(1, sizeof(*uc))) == NULL) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	uc->tag.kind = PL_SRV_TAG_UPSTREAM;
	uc->timer.kind = PL_SRV_TIMER_UPSTREAM;
	uc->w = w;
	uc->fd = fd;
	uc->up = up;
	buf_take(&uc->in);
	buf_take(&uc->out);
	memcpy(uc->pp, pp, pp_len);
	uc->pp_len = pp_len;
	if (up->addr.ss_family != AF_UNIX) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = &uc->tag};
	if (epoll_ctl(pl_srv_worker_epoll(w), EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		close(fd);
		free(uc);
		errno = e;
		return NULL;
	}
	uc->state = PL_SRV_UC_CONNECTING;
	if (up->tls) {
		/* padlock's own TLS client: verification and SNI */
		uc->tls = pl_tls_conn_new(up->tls, up->host);
		if (uc->tls == NULL) {
			uc->state = PL_SRV_UC_BUSY;
			pl_srv_uconn_close(uc);
			errno = ENOMEM;
			return NULL;
		}
		pl_tls_conn_set_time(uc->tls, time(NULL));
	}
	if (connect(fd, (const struct sockaddr *)&up->addr, up->addr_len) == 0) {
		int e = send_proxy_header(uc);
		if (e) {
			uc->state = PL_SRV_UC_BUSY;
			pl_srv_uconn_close(uc);
			errno = e;
			return NULL;
		}
		uc->tcp_up = true;
		if (uc->tls == NULL)
			uc->state = PL_SRV_UC_BUSY;
	} else if (errno != EINPROGRESS && errno != EAGAIN) {
		/* refused at once (a unix socket nobody listens on): the
		 * exchange hears it through the event */
		uc->state = PL_SRV_UC_BUSY;
		int e = errno;
		pl_srv_uconn_close(uc);
		errno = e;
		return NULL;
	}
	pl_srv_uconn_deadline(uc, opts_of(uc)->proxy_connect_timeout_ms);
	return uc;
}

void pl_srv_uconn_done(pl_srv_uconn_t *uc, bool reusable)
{
	uc->x = NULL;
	if (!reusable || pl_buf_size(&uc->in) > 0 ||
	    idle_count >= opts_of(uc)->proxy_keepalive ||
	    pl_srv_worker_draining(uc->w)) {
		pl_srv_uconn_close(uc);
		return;
	}
	buf_retire(&uc->in);
	buf_retire(&uc->out);
	uc->state = PL_SRV_UC_IDLE;
	uc->next = uc->up->idle;
	uc->up->idle = uc;
	idle_count++;
	pl_srv_uconn_deadline(uc, opts_of(uc)->proxy_idle_timeout_ms);
}

/* The TLS engine's output onto the socket: PL_OK when all went, 1 when
 * the socket is full, PL_ERR_IO. */
static int send_tls_output(pl_srv_uconn_t *uc)
{
	for (;;) {
		size_t len = 0;
		const uint8_t *p = pl_tls_output(uc->tls, &len);
		if (len == 0)
			return PL_OK;
		ssize_t n = send(uc->fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			return PL_ERR_IO;
		}
		pl_tls_output_consumed(uc->tls, (size_t)n);
	}
}

/* https: plaintext in records of at most 16 KiB, each written only when
 * the last went, so the engine's output stays one record deep. */
static int flush_tls(pl_srv_uconn_t *uc)
{
	for (;;) {
		int ret = send_tls_output(uc);
		if (ret != PL_OK)
			return ret == 1 ? PL_OK : ret;
		size_t n = pl_buf_size(&uc->out);
		if (n == 0 || !pl_tls_handshake_done(uc->tls))
			return PL_OK;
		if (n > READ_CHUNK)
			n = READ_CHUNK;
		if (pl_tls_write(uc->tls, pl_buf_head(&uc->out), n) != PL_OK) {
			errno = EPROTO;
			return PL_ERR_IO;
		}
		pl_buf_consume(&uc->out, n);
	}
}

int pl_srv_uconn_flush(pl_srv_uconn_t *uc)
{
	if (uc->tls)
		return flush_tls(uc);
	while (pl_buf_size(&uc->out) > 0) {
		ssize_t n = send(uc->fd, pl_buf_head(&uc->out),
				 pl_buf_size(&uc->out), MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return PL_OK;
			return PL_ERR_IO;
		}
		pl_buf_consume(&uc->out, (size_t)n);
	}
	return PL_OK;
}

/* Raw bytes off the socket: n > 0, 0 at the close, -1 none now, -2 an
 * error. */
static ssize_t recv_some(pl_srv_uconn_t *uc, uint8_t *buf, size_t cap)
{
	ssize_t n;
	do
		n = recv(uc->fd, buf, cap, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return n;
	if (n == 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		uc->readable = false;
		return -1;
	}
	return -2;
}

long pl_srv_uconn_recv(pl_srv_uconn_t *uc, uint8_t *buf, size_t cap)
{
	if (!uc->readable)
		return -1;
	return (long)recv_some(uc, buf, cap);
}

/* https: what the engine has decrypted, into uc->in. */
static int drain_tls(pl_srv_uconn_t *uc)
{
	for (;;) {
		size_t n = 0;
		if (pl_buf_reserve(&uc->in, READ_CHUNK) != PL_OK)
			return -2;
		int ret = pl_tls_read(uc->tls, uc->in.data + uc->in.len,
				      READ_CHUNK, &n);
		uc->in.len += n;
		pl_buf_grew(&uc->in);
		if (ret == PL_ERR_CLOSED)
			return -1;
		if (ret != PL_OK)
			return -2;
		if (n == 0)
			return PL_OK;
	}
}

int pl_srv_uconn_read(pl_srv_uconn_t *uc)
{
	uint8_t raw[READ_CHUNK];
	if (!uc->readable)
		return 0;
	if (uc->tls == NULL) {
		if (pl_buf_reserve(&uc->in, READ_CHUNK) != PL_OK)
			return -2;
		ssize_t n = recv_some(uc, uc->in.data + uc->in.len, READ_CHUNK);
		if (n > 0) {
			uc->in.len += (size_t)n;
			pl_buf_grew(&uc->in);
			return 1;
		}
		return n == 0 ? -1 : n == -1 ? 0 : -2;
	}
	/* Until plaintext comes: a record may carry only a ticket. */
	for (;;) {
		size_t before = pl_buf_size(&uc->in);
		ssize_t n = recv_some(uc, raw, sizeof(raw));
		if (n == 0)
			return -1;
		if (n < 0)
			return n == -1 ? 0 : -2;
		int ret = pl_tls_feed(uc->tls, raw, (size_t)n);
		int got = ret == PL_OK ? drain_tls(uc) : -2;
		(void)send_tls_output(uc); /* an alert, a KeyUpdate's answer */
		if (got < 0 && pl_buf_size(&uc->in) == before)
			return got;
		if (pl_buf_size(&uc->in) > before)
			return 1;
	}
}

/* https: the handshake's next steps; true once it is done or failed
 * (then the exchange hears it). */
static bool handshake(pl_srv_uconn_t *uc, uint32_t events)
{
	uint8_t raw[READ_CHUNK];
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		uc->readable = true;
	int ret = PL_OK;
	while (ret == PL_OK && uc->readable && !pl_tls_handshake_done(uc->tls)) {
		ssize_t n = recv_some(uc, raw, sizeof(raw));
		if (n == -1)
			break;
		if (n <= 0) {
			snprintf(uc->why, sizeof(uc->why), "%s",
				 n == 0 ? "the upstream closed the connection "
					  "during the handshake"
					: strerror(errno));
			return true;
		}
		ret = pl_tls_feed(uc->tls, raw, (size_t)n);
	}
	int sent = send_tls_output(uc);
	if (ret != PL_OK || pl_tls_failed(uc->tls)) {
		snprintf(uc->why, sizeof(uc->why), "%s: %s",
			 pl_tls_alert_name(pl_tls_alert(uc->tls)),
			 pl_tls_reason(uc->tls));
		return true;
	}
	if (sent == PL_ERR_IO) {
		snprintf(uc->why, sizeof(uc->why), "%s", strerror(errno));
		return true;
	}
	return pl_tls_handshake_done(uc->tls);
}

static void connecting(pl_srv_uconn_t *uc, uint32_t events)
{
	int err = 0;
	if (!uc->tcp_up) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		socklen_t len = sizeof(err);
		if (getsockopt(uc->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err == 0)
			err = send_proxy_header(uc);
		uc->tcp_up = err == 0;
	}
	if (err == 0 && uc->tls) {
		if (!handshake(uc, events))
			return;
		if (!pl_tls_handshake_done(uc->tls))
			err = EPROTO;
	}
	if (err == 0)
		uc->state = PL_SRV_UC_BUSY;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		uc->readable = true;
	if (uc->x)
		pl_srv_proxy_connected(uc->x, err);
	else if (err)
		pl_srv_uconn_close(uc);
}

void pl_srv_upstream_event(pl_srv_tag_t *tag, uint32_t events)
{
	pl_srv_uconn_t *uc = uc_of_tag(tag);
	switch (uc->state) {
	case PL_SRV_UC_DEAD:
		return;
	case PL_SRV_UC_IDLE:
		/* closed by the upstream, or bytes nobody asked for */
		if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			pl_srv_uconn_close(uc);
		return;
	case PL_SRV_UC_CONNECTING:
		connecting(uc, events);
		return;
	case PL_SRV_UC_BUSY:
		if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			uc->readable = true;
		if (uc->x)
			pl_srv_proxy_io(uc->x, (events & EPOLLOUT) != 0);
		return;
	}
}

void pl_srv_upstream_timeout(pl_srv_timer_t *t)
{
	pl_srv_uconn_t *uc = uc_of_timer(t);
	if (uc->state == PL_SRV_UC_IDLE || uc->x == NULL) {
		pl_srv_uconn_close(uc);
		return;
	}
	pl_srv_proxy_timeout(uc->x);
}
