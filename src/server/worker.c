/*
 * A worker: one edge-triggered epoll loop over the shared listeners, its
 * connections and a signalfd, with a heap of deadlines. SIGTERM/SIGINT
 * drain it: it stops accepting, lets each connection finish its current
 * response, and exits when none is left or the shutdown bound passes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/conn.h"
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
	uint64_t last_full_log;
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

static void accept_some(pl_srv_worker_t *w, const pl_srv_listener_t *l)
{
	for (int i = 0; i < 64 && !w->draining; i++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int fd = accept4(l->fd, (struct sockaddr *)&sa, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				pl_srv_log(PL_SRV_LOG_ERROR, "accept: %s",
					   strerror(errno));
			return;
		}
		if (w->n_conns >= w->rt->opts->max_conns) {
			uint64_t now = pl_srv_now_ms();
			if (now - w->last_full_log > 1000) {
				pl_srv_log(PL_SRV_LOG_WARN,
					   "connection limit (%u per worker) "
					   "reached: refusing new connections",
					   w->rt->opts->max_conns);
				w->last_full_log = now;
			}
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		char peer[INET6_ADDRSTRLEN];
		peer_name(&sa, peer, sizeof(peer));
		pl_srv_conn_t *c = pl_srv_conn_new(w, fd, l->kind, l->port, peer);
		if (c == NULL)
			close(fd); /* pl_srv_conn_new() logged why */
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
		pl_srv_conn_timeout(pl_srv_conn_of_timer(t));
	}
}

static int next_timeout(pl_srv_worker_t *w)
{
	pl_srv_timer_t *t = pl_srv_timer_first(&w->timers);
	uint64_t now = pl_srv_now_ms();
	uint64_t until = t ? t->when_ms : UINT64_MAX;
	if (w->draining && w->drain_deadline < until)
		until = w->drain_deadline;
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
	for (size_t i = 0; i < w->ls->n; i++) {
		w->listen_tags[i].kind = PL_SRV_TAG_LISTENER;
		w->listen_tags[i].index = i;
		/* Level-triggered and exclusive: one worker wakes per
		 * connection, and none misses a queued one. */
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.ptr = &w->listen_tags[i];
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->ls->l[i].fd, &ev) < 0)
			return PL_ERR_IO;
	}
	return PL_OK;
}

int pl_srv_worker_run(const pl_srv_runtime_t *rt, const pl_srv_listeners_t *ls)
{
	pl_srv_worker_t w;
	struct epoll_event evs[256];
	memset(&w, 0, sizeof(w));
	w.rt = rt;
	w.ls = ls;
	w.epfd = w.sigfd = -1;
	if (setup(&w) != PL_OK) {
		pl_srv_log(PL_SRV_LOG_ERROR, "worker setup failed: %s",
			   strerror(errno));
		return 1;
	}
	pl_srv_log(PL_SRV_LOG_DEBUG, "worker ready");
	for (;;) {
		if (w.draining &&
		    (w.n_conns == 0 || pl_srv_now_ms() >= w.drain_deadline))
			break;
		int n = epoll_wait(w.epfd, evs, 256, next_timeout(&w));
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
			else
				pl_srv_conn_event(pl_srv_conn_of_tag(tag),
						  evs[i].events);
		}
		run_timers(&w);
		free_dead(&w);
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
	return 0;
}
