/*
 * A worker: one edge-triggered epoll loop over the shared listeners, its
 * connections and a signalfd, with a heap of deadlines. SIGTERM/SIGINT
 * drain it: it stops accepting, lets each connection finish its current
 * response, and exits when none is left or the shutdown bound passes.
 *
 * Out of descriptors (accept4 fails with EMFILE or ENFILE), the listening
 * socket stays readable, and retrying at once would spin. Instead the
 * worker sheds what waits in the queue (it closes its spare descriptor,
 * accepts and closes at once, and opens the spare again), takes the
 * listeners out of epoll, and puts them back after a back-off (100 ms,
 * doubling to 1 s while it lasts) or as soon as one of its connections
 * closes. It says so once per log interval, with counts.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/conn.h"
#include "server/proxy.h"
#include "server/server_int.h"

struct pl_srv_worker {
	const pl_srv_runtime_t *rt;
	const pl_srv_listeners_t *ls;
	int epfd;
	int sigfd;
	pl_srv_timers_t timers;
	pl_srv_conn_t *conns;   /* live connections */
	pl_srv_conn_t *dead;    /* released, freed after the event batch */
	size_t n_conns;
	bool draining;
	uint64_t drain_deadline;
	/* the accept back-off */
	int spare_fd;           /* /dev/null, given up to shed a connection */
	bool accept_paused;
	uint64_t resume_ms;     /* when the listeners go back into epoll */
	unsigned backoff_ms;    /* the next pause */
	unsigned long nofile;   /* RLIMIT_NOFILE when it last ran out */
	/* counted between two log lines: pauses, connections shed, and
	 * connections refused at --max-connections */
	uint64_t pauses, shed, refused;
	int pause_errno;
	uint64_t exhausted_log_ms, full_log_ms; /* next line allowed */
	uint64_t exhausted_since_ms, full_since_ms;
	pl_srv_tag_t listen_tags[PL_SRV_MAX_LISTENERS];
	pl_srv_tag_t signal_tag;
};

const pl_srv_runtime_t *pl_srv_worker_runtime(pl_srv_worker_t *w)
{
	return w->rt;
}

int pl_srv_worker_epoll(pl_srv_worker_t *w)
{
	return w->epfd;
}

bool pl_srv_worker_draining(pl_srv_worker_t *w)
{
	return w->draining;
}

pl_srv_timers_t *pl_srv_worker_timers(pl_srv_worker_t *w)
{
	return &w->timers;
}

void pl_srv_worker_link(pl_srv_worker_t *w, pl_srv_conn_t *c)
{
	c->next = w->conns;
	c->prev = NULL;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->n_conns++;
}

void pl_srv_worker_release(pl_srv_worker_t *w, pl_srv_conn_t *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->n_conns--;
	pl_srv_timer_del(&w->timers, &c->timer);
	/* A descriptor is free again: no need to wait out the back-off. */
	if (w->accept_paused)
		w->resume_ms = 0;
	c->next = w->dead;
	w->dead = c;
}

static void peer_name(const struct sockaddr_storage *sa, char *out, size_t cap)
{
	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		/* An IPv4 client on the dual-stack socket reads as ::ffff:a.b.c.d */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out,
				  (socklen_t)cap);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)cap);
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)cap);
	}
}

static unsigned peer_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
}

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 1000

static int listeners_watch(pl_srv_worker_t *w, bool on)
{
	int ret = PL_OK;
	for (size_t i = 0; i < w->ls->n; i++) {
		/* Level-triggered and exclusive: one worker wakes per
		 * connection, and none misses a queued one. */
		struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE,
					 .data.ptr = &w->listen_tags[i]};
		if (epoll_ctl(w->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
			      w->ls->l[i].fd, on ? &ev : NULL) < 0)
			ret = PL_ERR_IO;
	}
	return ret;
}

/* The counts since the last line, once per log interval. */
static void log_exhaustion(pl_srv_worker_t *w, uint64_t now)
{
	char pauses[32], open_now[32], limit[32], shed[32];
	if (w->pauses == 0 || now < w->exhausted_log_ms)
		return;
	pl_srv_log_thousands(w->pauses, pauses, sizeof(pauses));
	pl_srv_log_thousands(w->n_conns, open_now, sizeof(open_now));
	pl_srv_log_thousands(w->nofile, limit, sizeof(limit));
	pl_srv_log_thousands(w->shed, shed, sizeof(shed));
	pl_srv_log(PL_SRV_LOG_ERROR,
		   "accept paused %s time(s) in the last %.1f s: %s; %s "
		   "connection(s) open, limit %s descriptors; %s "
		   "connection(s) shed",
		   pauses, (double)(now - w->exhausted_since_ms) / 1000.0,
		   strerror(w->pause_errno), open_now, limit, shed);
	w->pauses = w->shed = 0;
	w->exhausted_since_ms = now;
	w->exhausted_log_ms = now + PL_SRV_LOG_INTERVAL_MS;
}

static void log_refused(pl_srv_worker_t *w, uint64_t now)
{
	char refused[32];
	if (w->refused == 0 || now < w->full_log_ms)
		return;
	pl_srv_log_thousands(w->refused, refused, sizeof(refused));
	pl_srv_log(PL_SRV_LOG_WARN,
		   "connection limit (%u per worker) reached: %s connection(s) "
		   "refused in the last %.1f s",
		   w->rt->opts->max_conns, refused,
		   (double)(now - w->full_since_ms) / 1000.0);
	w->refused = 0;
	w->full_since_ms = now;
	w->full_log_ms = now + PL_SRV_LOG_INTERVAL_MS;
}

/* accept4 failed for want of descriptors: shed what waits, pause. */
static void out_of_descriptors(pl_srv_worker_t *w, const pl_srv_listener_t *l,
			       int err)
{
	uint64_t now = pl_srv_now_ms();
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		w->nofile = (unsigned long)rl.rlim_cur;
	if (w->spare_fd >= 0) {
		close(w->spare_fd);
		for (int i = 0; i < 64; i++) {
			int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				break;
			close(fd);
			w->shed++;
		}
		w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (w->pauses++ == 0 && now >= w->exhausted_log_ms)
		w->exhausted_since_ms = now;
	w->pause_errno = err;
	w->accept_paused = true;
	w->resume_ms = now + w->backoff_ms;
	w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
							    : w->backoff_ms * 2;
	(void)listeners_watch(w, false);
	log_exhaustion(w, now);
}

static void resume_accepting(pl_srv_worker_t *w)
{
	if (!w->accept_paused || w->draining || pl_srv_now_ms() < w->resume_ms)
		return;
	w->accept_paused = false;
	if (listeners_watch(w, true) != PL_OK)
		PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "cannot watch the listeners "
				   "again: %s", strerror(errno));
}

static void refuse(pl_srv_worker_t *w, int fd)
{
	uint64_t now = pl_srv_now_ms();
	close(fd);
	if (w->refused++ == 0 && now >= w->full_log_ms)
		w->full_since_ms = now;
	log_refused(w, now);
}

static void accept_some(pl_srv_worker_t *w, const pl_srv_listener_t *l)
{
	for (int i = 0; i < 64 && !w->draining && !w->accept_paused; i++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int fd = accept4(l->fd, (struct sockaddr *)&sa, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				out_of_descriptors(w, l, errno);
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				PL_SRV_LOG_LIMITED(PL_SRV_LOG_ERROR, "accept: %s",
						   strerror(errno));
			return;
		}
		w->backoff_ms = BACKOFF_FIRST_MS;
		if (w->n_conns >= w->rt->opts->max_conns) {
			refuse(w, fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		char peer[INET6_ADDRSTRLEN];
		peer_name(&sa, peer, sizeof(peer));
		pl_srv_conn_t *c = pl_srv_conn_new(w, fd, l, peer);
		if (c == NULL)
			close(fd); /* pl_srv_conn_new() logged why */
		else
			c->peer_port = peer_port(&sa);
	}
}

static void start_drain(pl_srv_worker_t *w)
{
	if (w->draining)
		return;
	w->draining = true;
	w->drain_deadline = pl_srv_now_ms() + w->rt->opts->shutdown_timeout_ms;
	/* Our copies of the listening sockets go: once every process has
	 * closed its own (the master does on stop), new connections are
	 * refused instead of waiting in a queue nobody accepts from. On a
	 * reload the master and the new workers keep the sockets open. */
	for (size_t i = 0; i < w->ls->n; i++) {
		if (!w->accept_paused)
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->ls->l[i].fd, NULL);
		close(w->ls->l[i].fd);
	}
	for (pl_srv_conn_t *c = w->conns, *next; c; c = next) {
		next = c->next;
		pl_srv_conn_drain(c);
	}
}

static void on_signal(pl_srv_worker_t *w)
{
	struct signalfd_siginfo si;
	while (read(w->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			start_drain(w);
			break;
		case SIGUSR1: {
			char err[256];
			if (pl_srv_log_open(w->rt->opts, err, sizeof(err)))
				pl_srv_log(PL_SRV_LOG_ERROR, "%s", err);
			break;
		}
		default:
			break; /* SIGHUP is the master's */
		}
	}
}

static void free_dead(pl_srv_worker_t *w)
{
	while (w->dead) {
		pl_srv_conn_t *c = w->dead;
		w->dead = c->next;
		pl_srv_conn_free(c);
	}
}

static void run_timers(pl_srv_worker_t *w)
{
	uint64_t now = pl_srv_now_ms();
	pl_srv_timer_t *t;
	while ((t = pl_srv_timer_first(&w->timers)) && t->when_ms <= now) {
		pl_srv_timer_del(&w->timers, t);
		if (t->kind == PL_SRV_TIMER_UPSTREAM)
			pl_srv_upstream_timeout(t);
		else
			pl_srv_conn_timeout(pl_srv_conn_of_timer(t));
	}
}

/* The log's own deadlines: summaries of lines left out, and the counts
 * of the accept back-off and of refused connections. */
static uint64_t log_housekeeping(pl_srv_worker_t *w)
{
	uint64_t now = pl_srv_now_ms(), next = pl_srv_log_flush();
	log_exhaustion(w, now);
	log_refused(w, now);
	if (w->pauses && w->exhausted_log_ms < next)
		next = w->exhausted_log_ms;
	if (w->refused && w->full_log_ms < next)
		next = w->full_log_ms;
	return next;
}

static int next_timeout(pl_srv_worker_t *w, uint64_t log_next)
{
	pl_srv_timer_t *t = pl_srv_timer_first(&w->timers);
	uint64_t now = pl_srv_now_ms();
	uint64_t until = t ? t->when_ms : UINT64_MAX;
	if (w->draining && w->drain_deadline < until)
		until = w->drain_deadline;
	if (w->accept_paused && !w->draining && w->resume_ms < until)
		until = w->resume_ms;
	if (log_next < until)
		until = log_next;
	if (until == UINT64_MAX)
		return -1;
	return until <= now ? 0 : (int)(until - now < 60000 ? until - now : 60000);
}

static int setup(pl_srv_worker_t *w)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	w->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->sigfd < 0 || w->epfd < 0)
		return PL_ERR_IO;
	w->signal_tag.kind = PL_SRV_TAG_SIGNAL;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->signal_tag};
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->sigfd, &ev) < 0)
		return PL_ERR_IO;
	w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	w->backoff_ms = BACKOFF_FIRST_MS;
	for (size_t i = 0; i < w->ls->n; i++) {
		w->listen_tags[i].kind = PL_SRV_TAG_LISTENER;
		w->listen_tags[i].index = i;
	}
	return listeners_watch(w, true);
}

int pl_srv_worker_run(const pl_srv_runtime_t *rt, const pl_srv_listeners_t *ls)
{
	pl_srv_worker_t w;
	struct epoll_event evs[256];
	memset(&w, 0, sizeof(w));
	w.rt = rt;
	w.ls = ls;
	w.epfd = w.sigfd = w.spare_fd = -1;
	if (setup(&w) != PL_OK) {
		pl_srv_log(PL_SRV_LOG_ERROR, "worker setup failed: %s",
			   strerror(errno));
		return 1;
	}
	/* From here on, only the system calls the loop needs. */
	char err[256];
	bool proxies = false;
	for (size_t i = 0; i < rt->n_sites; i++)
		proxies |= rt->sites[i].pool != NULL ||
			   rt->sites[i].n_locations > 0;
	if (pl_srv_seccomp_enter(proxies, err, sizeof(err)) != PL_OK) {
		pl_srv_log(PL_SRV_LOG_ERROR, "worker: %s", err);
		return 1;
	}
	pl_srv_log(PL_SRV_LOG_DEBUG, "worker ready");
	for (;;) {
		if (w.draining &&
		    (w.n_conns == 0 || pl_srv_now_ms() >= w.drain_deadline))
			break;
		int n = epoll_wait(w.epfd, evs, 256,
				   next_timeout(&w, log_housekeeping(&w)));
		if (n < 0 && errno != EINTR) {
			pl_srv_log(PL_SRV_LOG_ERROR, "epoll_wait: %s",
				   strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			pl_srv_tag_t *tag = evs[i].data.ptr;
			if (tag->kind == PL_SRV_TAG_LISTENER)
				accept_some(&w, &ls->l[tag->index]);
			else if (tag->kind == PL_SRV_TAG_SIGNAL)
				on_signal(&w);
			else if (tag->kind == PL_SRV_TAG_UPSTREAM)
				pl_srv_upstream_event(tag, evs[i].events);
			else
				pl_srv_conn_event(pl_srv_conn_of_tag(tag),
						  evs[i].events);
		}
		run_timers(&w);
		free_dead(&w);
		pl_srv_upstream_reap();
		resume_accepting(&w);
	}
	if (w.n_conns)
		pl_srv_log(PL_SRV_LOG_WARN,
			   "shutdown bound reached: closing %zu connection(s)",
			   w.n_conns);
	while (w.conns) {
		pl_srv_conn_t *c = w.conns;
		pl_srv_worker_release(&w, c);
	}
	free_dead(&w);
	pl_srv_timers_free(&w.timers);
	close(w.epfd);
	close(w.sigfd);
	if (w.spare_fd >= 0)
		close(w.spare_fd);
	return 0;
}
