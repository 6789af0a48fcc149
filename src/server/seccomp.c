/*
 * The workers' seccomp filter (libseccomp). A worker needs few system
 * calls once its epoll loop is set up: accept and talk on sockets, open
 * and read the files it serves beneath a root, write its logs (and reopen
 * them on SIGUSR1), keep time, allocate memory, and whatever OpenSSL's
 * libcrypto and glibc do under those (getrandom, futex, the time zone
 * file on the first local time). Anything else (execve, ptrace, socket,
 * connect, mount, ...) kills the whole worker with SIGSYS; the master logs
 * that death and starts a new one. The list is by name so that it reads
 * the same on every architecture; a name a kernel does not have is
 * skipped.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "server/server_int.h"

static const char *const allowed[] = {
	/* the loop, sockets, signals (signalfd is read) */
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl",
	"accept", "accept4", "recvfrom", "recvmsg", "sendto", "sendmsg",
	"setsockopt", "getsockopt", "getsockname", "getpeername", "shutdown",
	"read", "readv", "write", "writev", "close",
	"rt_sigprocmask", "rt_sigreturn", "rt_sigaction", "sigaltstack",
	"restart_syscall",
	/* files: the static file server (openat2 or a walk with
	 * readlinkat), the log files, the time zone */
	"openat", "openat2", "open", "pread64", "lseek", "fstat",
	"newfstatat", "statx", "stat", "lstat", "readlinkat", "fcntl",
	"getdents64",
	/* time, randomness, memory, locks */
	"clock_gettime", "clock_getres", "gettimeofday", "time",
	"clock_nanosleep", "nanosleep", "getrandom",
	"brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
	"futex", "sched_yield", "rseq", "set_robust_list",
	/* who we are, limits; exiting; abort() */
	"getpid", "gettid", "getuid", "geteuid", "getgid", "getegid",
	"prlimit64", "getrlimit", "uname", "sysinfo",
	"exit", "exit_group", "tgkill",
};

/* A reverse proxy's worker also makes connections (to its upstreams). */
static const char *const connecting[] = {"socket", "connect"};

int pl_srv_seccomp_enter(bool connects, char *err, size_t err_len)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc = 0;
	if (ctx == NULL) {
		snprintf(err, err_len, "seccomp: cannot make a filter");
		return PL_ERR_IO;
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a system call of this architecture */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0 &&
		    rc != -EDOM) {
			snprintf(err, err_len, "seccomp: cannot allow %s: %s",
				 allowed[i], strerror(-rc));
			goto out;
		}
	}
	for (size_t i = 0; connects && i < 2; i++) {
		int nr = seccomp_syscall_resolve_name(connecting[i]);
		if (nr != __NR_SCMP_ERROR &&
		    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0 &&
		    rc != -EDOM) {
			snprintf(err, err_len, "seccomp: cannot allow %s: %s",
				 connecting[i], strerror(-rc));
			goto out;
		}
	}
	if ((rc = seccomp_load(ctx)) < 0)
		snprintf(err, err_len, "seccomp: cannot load the filter: %s",
			 strerror(-rc));
out:
	seccomp_release(ctx);
	return rc < 0 && rc != -EDOM ? PL_ERR_IO : PL_OK;
}
