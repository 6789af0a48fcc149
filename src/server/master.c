/*
 * The master process: checks the configuration and certificates, binds the
 * listeners, forks the workers and supervises them. It keeps root (so a
 * reload can read root-only key files) while the workers drop to --user
 * (by default padlock, else nobody; privdrop.c) and their seccomp filter
 * (seccomp.c). It raises the descriptor limit and caps --max-connections
 * to it (fdlimit.c).
 *
 *   SIGCHLD          a worker that dies is logged and replaced
 *   SIGHUP           reload: a new configuration and certificates; new
 *                    workers take new connections on the same sockets while
 *                    the old ones finish theirs. A broken new configuration
 *                    keeps the old one serving.
 *   SIGTERM, SIGINT  graceful stop, bounded by the shutdown timeout
 *   SIGUSR1          reopen log files (and tell the workers)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "padlock/crypto.h"
#include "server/acme/acme.h"
#include "server/conn.h"
#include "server/server_int.h"

#define MAX_WORKERS 256

typedef struct {
	pid_t pid;
	unsigned gen;
} worker_slot_t;

typedef struct {
	pl_srv_options_t base; /* from the command line */
	pl_srv_options_t opts; /* base + config file, current */
	pl_srv_runtime_t rt;
	pl_srv_listeners_t ls;
	worker_slot_t workers[2 * MAX_WORKERS];
	unsigned gen;
	int n_workers;
	int sigfd;
	pl_srv_identity_t id; /* who the workers run as */
	unsigned long nofile; /* RLIMIT_NOFILE, raised to the hard limit */
	uint64_t deaths_window_start;
	int deaths_in_window;
} master_t;

static int worker_count(const pl_srv_options_t *o)
{
	long n = o->workers > 0 ? o->workers : sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

static void become_worker(master_t *m)
{
	pid_t parent = getppid();
	close(m->sigfd);
	if (pl_srv_identity_enter(&m->id) != PL_OK) {
		pl_srv_log(PL_SRV_LOG_ERROR,
			   "worker cannot drop privileges to %s: %s",
			   m->id.user, strerror(errno));
		_exit(1);
	}
	/* The worker dies with the master. Set after the uid changes, which
	 * clears it; a master already gone is seen by getppid(). */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
}

static int spawn(master_t *m)
{
	pid_t pid = fork();
	if (pid < 0) {
		pl_srv_log(PL_SRV_LOG_ERROR, "fork: %s", strerror(errno));
		return PL_ERR_IO;
	}
	if (pid == 0) {
		become_worker(m);
		_exit(pl_srv_worker_run(&m->rt, &m->ls));
	}
	for (size_t i = 0; i < sizeof(m->workers) / sizeof(m->workers[0]); i++)
		if (m->workers[i].pid == 0) {
			m->workers[i] = (worker_slot_t){pid, m->gen};
			return PL_OK;
		}
	return PL_OK;
}

static int spawn_generation(master_t *m)
{
	m->gen++;
	m->n_workers = worker_count(&m->opts);
	for (int i = 0; i < m->n_workers; i++)
		if (spawn(m) != PL_OK)
			return PL_ERR_IO;
	return PL_OK;
}

static void signal_workers(master_t *m, int sig, bool old_only)
{
	for (size_t i = 0; i < sizeof(m->workers) / sizeof(m->workers[0]); i++)
		if (m->workers[i].pid > 0 &&
		    (!old_only || m->workers[i].gen != m->gen))
			kill(m->workers[i].pid, sig);
}

static size_t live_workers(master_t *m)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof(m->workers) / sizeof(m->workers[0]); i++)
		n += m->workers[i].pid > 0;
	return n;
}

static void reap(master_t *m, bool stopping)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < sizeof(m->workers) / sizeof(m->workers[0]); i++) {
			if (m->workers[i].pid != pid)
				continue;
			bool current = m->workers[i].gen == m->gen;
			m->workers[i].pid = 0;
			if (!current || stopping)
				break;
			if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
				pl_srv_log(PL_SRV_LOG_ERROR,
					   "worker %d was killed by signal %d "
					   "(SIGSYS): it made a system call its "
					   "seccomp filter forbids (the kernel's "
					   "audit log names it); starting a new one",
					   (int)pid, WTERMSIG(status));
			else if (WIFSIGNALED(status))
				pl_srv_log(PL_SRV_LOG_ERROR,
					   "worker %d was killed by signal %d; "
					   "starting a new one",
					   (int)pid, WTERMSIG(status));
			else
				pl_srv_log(PL_SRV_LOG_ERROR,
					   "worker %d exited with status %d; "
					   "starting a new one",
					   (int)pid, WEXITSTATUS(status));
			uint64_t now = pl_srv_now_ms();
			if (now - m->deaths_window_start > 10000) {
				m->deaths_window_start = now;
				m->deaths_in_window = 0;
			}
			if (++m->deaths_in_window > 20) {
				pl_srv_log(PL_SRV_LOG_ERROR,
					   "workers keep dying; waiting before "
					   "the next one");
				sleep(1);
			}
			spawn(m);
			break;
		}
	}
}

static int resolve_user(master_t *m)
{
	char err[512];
	if (pl_srv_identity_resolve(&m->opts, &m->id, err, sizeof(err))) {
		fprintf(stderr, "padlock: %s\n", err);
		return PL_ERR_ARG;
	}
	return PL_OK;
}

/* A site root the workers' user cannot read would answer every request
 * with 500: said once at start (and on reload), with the way out. */
static void check_roots(master_t *m)
{
	for (size_t i = 0; i < m->opts.n_sites; i++) {
		const pl_srv_site_t *s = &m->opts.sites[i];
		int e = s->root ? pl_srv_identity_can_read(&m->id, s->root) : 0;
		if (e == 0 || e == ENOENT)
			continue; /* a missing root is said per request (503) */
		pl_srv_log(PL_SRV_LOG_ERROR,
			   "site %s: the workers' user %s cannot read %s (%s); "
			   "every request would fail: give it read access "
			   "(chmod o+rX on the root and the directories above "
			   "it, or a group), or choose another --user",
			   s->n_names ? s->names[0] : s->root, m->id.user,
			   s->root, strerror(e));
	}
}

/* Opens the logs and gives the files to the workers' user, so that a
 * worker can reopen them on SIGUSR1 (as nginx does). */
static int open_logs(master_t *m, char *err, size_t err_len)
{
	int ret = pl_srv_log_open(&m->opts, err, err_len);
	if (ret == PL_OK && m->id.drop &&
	    pl_srv_log_chown(m->id.uid, m->id.gid) != PL_OK)
		pl_srv_log(PL_SRV_LOG_WARN,
			   "cannot give the log files to %s (%s): workers will "
			   "not reopen them on SIGUSR1",
			   m->id.user, strerror(errno));
	return ret;
}

/* --max-connections within what the descriptor limit allows; said once
 * per start or reload when it binds. */
static void cap_connections(master_t *m)
{
	unsigned allowed = pl_srv_conns_allowed(m->nofile);
	if (m->opts.max_conns <= allowed)
		return;
	pl_srv_log(PL_SRV_LOG_WARN,
		   "--max-connections %u is more than the descriptor limit "
		   "allows (%lu open files, ulimit -n); capped at %u per worker",
		   m->opts.max_conns, m->nofile, allowed);
	m->opts.max_conns = allowed;
}

static bool same_addr(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Whether a and b bind the same sockets (what each expects of its
 * connections may differ: a reload changes that). */
static bool same_listeners(const pl_srv_options_t *a, const pl_srv_options_t *b)
{
	if (a->https_port != b->https_port || a->http_port != b->http_port ||
	    !same_addr(a->listen, b->listen) || a->n_listeners != b->n_listeners)
		return false;
	for (size_t i = 0; i < a->n_listeners; i++)
		if (a->listeners[i].port != b->listeners[i].port ||
		    a->listeners[i].http != b->listeners[i].http ||
		    !same_addr(a->listeners[i].addr, b->listeners[i].addr))
			return false;
	return true;
}

/* Which listeners expect a PROXY protocol header: the global option for
 * the https-port and http-port ones, each config listener its own. The
 * workers forked next inherit it. */
static void mark_proxy_protocol(master_t *m)
{
	for (size_t i = 0; i < m->ls.n; i++) {
		pl_srv_listener_t *l = &m->ls.l[i];
		l->proxy_protocol =
			l->extra < 0 ? m->opts.proxy_protocol
			: (size_t)l->extra < m->opts.n_listeners &&
				  m->opts.listeners[l->extra].proxy_protocol;
	}
}

static void reload(master_t *m)
{
	pl_srv_options_t opts;
	pl_srv_runtime_t rt;
	char err[512];
	sd_notify(0, "RELOADING=1");
	pl_srv_log(PL_SRV_LOG_INFO, "reloading the configuration");
	if (pl_srv_options_resolve(&opts, &m->base, err, sizeof(err)) != PL_OK) {
		pl_srv_log(PL_SRV_LOG_ERROR,
			   "reload failed, still serving the previous "
			   "configuration: %s",
			   err);
		goto out;
	}
	if (pl_srv_runtime_load(&rt, &opts, err, sizeof(err)) != PL_OK) {
		pl_srv_log(PL_SRV_LOG_ERROR,
			   "reload failed, still serving the previous "
			   "certificates: %s",
			   err);
		pl_srv_options_free(&opts);
		goto out;
	}
	bool same = same_listeners(&opts, &m->opts);
	if (!same) {
		/* the bound listeners keep what they expected, PROXY headers
		 * included */
		pl_srv_log(PL_SRV_LOG_WARN,
			   "the new configuration changes ports or addresses; "
			   "that needs a restart (keeping the current ones)");
		opts.https_port = m->opts.https_port;
		opts.http_port = m->opts.http_port;
	}
	if (pl_srv_acme_reload(&m->opts, &opts, &m->ls, err, sizeof(err)))
		pl_srv_log(PL_SRV_LOG_ERROR, "%s", err);
	pl_srv_runtime_free(&m->rt);
	pl_srv_options_free(&m->opts);
	m->opts = opts;
	m->rt = rt;
	m->rt.opts = &m->opts;
	if (same)
		mark_proxy_protocol(m);
	cap_connections(m);
	check_roots(m);
	if (m->rt.capture_steps)
		pl_tls_config_set_trace(m->rt.tls, pl_srv_trace_step, NULL);
	if (open_logs(m, err, sizeof(err)) != PL_OK)
		pl_srv_log(PL_SRV_LOG_ERROR, "%s", err);
	spawn_generation(m);
	signal_workers(m, SIGTERM, true);
	pl_srv_log(PL_SRV_LOG_INFO,
		   "reloaded: %zu site(s); %d new worker(s) take new "
		   "connections, the old ones finish theirs",
		   m->opts.n_sites, m->n_workers);
out:
	sd_notify(0, "READY=1");
}

static void stop(master_t *m)
{
	uint64_t bound = pl_srv_now_ms() + m->opts.shutdown_timeout_ms + 2000;
	sd_notify(0, "STOPPING=1");
	pl_srv_log(PL_SRV_LOG_INFO, "stopping: letting connections finish");
	/* No new connections: with the workers' copies closed too (they close
	 * them when they start draining), connecting is refused at once. */
	pl_srv_listeners_close(&m->ls);
	signal_workers(m, SIGTERM, false);
	while (live_workers(m) > 0) {
		if (pl_srv_now_ms() > bound) {
			pl_srv_log(PL_SRV_LOG_WARN, "workers did not stop in "
				   "time; killing them");
			signal_workers(m, SIGKILL, false);
			bound = UINT64_MAX;
		}
		struct pollfd p = {.fd = m->sigfd, .events = POLLIN};
		poll(&p, 1, 100);
		struct signalfd_siginfo si;
		while (read(m->sigfd, &si, sizeof(si)) == sizeof(si))
			;
		reap(m, true);
	}
}

/* How many ports from 8443 (8080) a start without privileges tries. */
#define FALLBACK_TRIES 10

/* A start without privileges and without ports given: the first free port
 * from first on, so that a second local server (or anything else on 8443)
 * does not stop it. Says which port it took and why. */
static int listen_fallback(master_t *m, int wanted, int first,
			   pl_srv_listen_kind_t kind, int *port)
{
	const char *what = kind == PL_LISTEN_HTTPS ? "serving HTTPS on"
						   : "redirecting from";
	char err[512], busy[48] = "";
	int e;
	for (int p = first; p < first + FALLBACK_TRIES; p++) {
		if (pl_srv_listen(&m->ls, m->opts.listen, p, kind, err,
				  sizeof(err), &e) == PL_OK) {
			if (p == first + 1)
				snprintf(busy, sizeof(busy), " and %d is in use",
					 first);
			else if (p > first)
				snprintf(busy, sizeof(busy),
					 " and %d to %d are in use", first, p - 1);
			fprintf(stderr, "padlock: port %d needs privileges%s; "
				"%s %d instead\n", wanted, busy, what, p);
			*port = p;
			return PL_OK;
		}
		if (e != EADDRINUSE)
			break;
	}
	fprintf(stderr, "padlock: %s\n", err);
	return PL_ERR_IO;
}

static int bind_all(master_t *m)
{
	pl_srv_options_t *o = &m->opts;
	char err[512];
	int e;
	if (pl_srv_listen(&m->ls, o->listen, o->https_port, PL_LISTEN_HTTPS,
			  err, sizeof(err), &e) != PL_OK) {
		if (e != EACCES || o->ports_given) {
			fprintf(stderr, "padlock: %s\n", err);
			return PL_ERR_IO;
		}
		if (listen_fallback(m, o->https_port, 8443, PL_LISTEN_HTTPS,
				    &o->https_port) != PL_OK)
			return PL_ERR_IO;
	}
	if (o->http_port == 0)
		return PL_OK;
	if (pl_srv_listen(&m->ls, o->listen, o->http_port, PL_LISTEN_HTTP, err,
			  sizeof(err), &e) != PL_OK) {
		if (e != EACCES || o->ports_given) {
			fprintf(stderr, "padlock: %s\n", err);
			return PL_ERR_IO;
		}
		if (listen_fallback(m, o->http_port, 8080, PL_LISTEN_HTTP,
				    &o->http_port) != PL_OK)
			return PL_ERR_IO;
	}
	return PL_OK;
}

/* The config file's listener sections, after the ports. */
static int bind_extra(master_t *m)
{
	char err[512];
	int e;
	for (size_t i = 0; i < m->opts.n_listeners; i++) {
		const pl_srv_listen_opts_t *x = &m->opts.listeners[i];
		if (pl_srv_listen(&m->ls, x->addr, x->port,
				  x->http ? PL_LISTEN_HTTP : PL_LISTEN_HTTPS,
				  err, sizeof(err), &e) != PL_OK) {
			fprintf(stderr, "padlock: listener %s:%d: %s\n",
				x->addr ? x->addr : "*", x->port, err);
			return PL_ERR_IO;
		}
		m->ls.l[m->ls.n - 1].extra = (int)i;
	}
	mark_proxy_protocol(m);
	return PL_OK;
}

static int write_pid_file(const char *path)
{
	char buf[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "padlock: cannot write the pid file %s: %s\n",
			path, strerror(errno));
		return PL_ERR_IO;
	}
	int n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	bool ok = write(fd, buf, (size_t)n) == n;
	close(fd);
	return ok ? PL_OK : PL_ERR_IO;
}

static int start(master_t *m)
{
	char err[512];
	if (pl_crypto_init() != PL_OK) {
		fprintf(stderr, "padlock: the crypto library failed to start\n");
		return PL_ERR_CRYPTO;
	}
	if (pl_srv_options_resolve(&m->opts, &m->base, err, sizeof(err)) ||
	    pl_srv_runtime_load(&m->rt, &m->opts, err, sizeof(err))) {
		fprintf(stderr, "padlock: %s\n", err);
		return PL_ERR_ARG;
	}
	m->rt.opts = &m->opts;
	if (resolve_user(m) || bind_all(m) || bind_extra(m))
		return PL_ERR_IO;
	if (open_logs(m, err, sizeof(err)) != PL_OK) {
		fprintf(stderr, "padlock: %s\n", err);
		return PL_ERR_IO;
	}
	m->nofile = pl_srv_nofile_raise();
	cap_connections(m);
	check_roots(m);
	if (m->opts.pid_file && write_pid_file(m->opts.pid_file))
		return PL_ERR_IO;
	if (m->rt.capture_steps)
		pl_tls_config_set_trace(m->rt.tls, pl_srv_trace_step, NULL);
	if (pl_srv_acme_start(&m->opts, &m->ls, err, sizeof(err)) != PL_OK) {
		fprintf(stderr, "padlock: %s\n", err);
		return PL_ERR_IO;
	}
	sigset_t set;
	sigemptyset(&set);
	int sigs[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGCHLD};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	m->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->sigfd < 0)
		return PL_ERR_IO;
	return spawn_generation(m);
}

static void say_identity(master_t *m)
{
	const pl_srv_identity_t *id = &m->id;
	if (id->uid == 0)
		pl_srv_log(PL_SRV_LOG_WARN,
			   "workers run as root (--unsafe-root-workers): a flaw "
			   "in a parser would give the whole machine away");
	pl_srv_log(PL_SRV_LOG_INFO,
		   "workers run as %s:%s (uid %u, gid %u), without "
		   "capabilities, under a seccomp filter%s",
		   id->user, id->group, (unsigned)id->uid, (unsigned)id->gid,
		   id->chosen ? "; --user NAME picks another user" : "");
}

static void announce(master_t *m)
{
	const pl_srv_site_t *s = &m->opts.sites[0];
	const char *name = s->n_names ? s->names[0] : "localhost";
	char port[16] = "";
	if (m->opts.https_port != 443)
		snprintf(port, sizeof(port), ":%d", m->opts.https_port);
	say_identity(m);
	pl_srv_log(PL_SRV_LOG_INFO, "serving https://%s%s/ with %d worker(s)",
		   name, port, m->n_workers);
	if (m->opts.http_port)
		pl_srv_log(PL_SRV_LOG_INFO,
			   "http://%s:%d/ redirects to HTTPS", name,
			   m->opts.http_port);
	sd_notify(0, "READY=1");
}

int pl_srv_run(const pl_srv_options_t *o)
{
	master_t *m = calloc(1, sizeof(*m));
	int status = 1;
	if (m == NULL || pl_srv_options_dup(&m->base, o) != PL_OK) {
		fprintf(stderr, "padlock: out of memory\n");
		free(m);
		return 1;
	}
	m->sigfd = -1;
	if (start(m) != PL_OK)
		goto out;
	announce(m);
	for (;;) {
		struct pollfd p = {.fd = m->sigfd, .events = POLLIN};
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		struct signalfd_siginfo si;
		bool stopping = false;
		while (read(m->sigfd, &si, sizeof(si)) == sizeof(si)) {
			/* A stop signal sent to the whole process group (systemd's
			 * default KillMode) also stops the workers: after it, a
			 * worker's exit is no death to replace. */
			if (si.ssi_signo == SIGCHLD)
				reap(m, stopping);
			else if (si.ssi_signo == SIGHUP)
				reload(m);
			else if (si.ssi_signo == SIGUSR1) {
				char err[256];
				if (open_logs(m, err, sizeof(err)))
					pl_srv_log(PL_SRV_LOG_ERROR, "%s", err);
				signal_workers(m, SIGUSR1, false);
			} else
				stopping = true;
		}
		if (stopping)
			break;
	}
	stop(m);
	pl_srv_log(PL_SRV_LOG_INFO, "stopped");
	status = 0;
out:
	if (m->opts.pid_file && status == 0)
		unlink(m->opts.pid_file);
	pl_srv_listeners_close(&m->ls);
	pl_srv_runtime_free(&m->rt);
	pl_srv_options_free(&m->opts);
	pl_srv_options_free(&m->base);
	if (m->sigfd >= 0)
		close(m->sigfd);
	pl_srv_log_close();
	free(m);
	return status;
}
