/*
 * Descriptor limits. At start the master raises its soft RLIMIT_NOFILE to
 * the hard limit (workers inherit it), and --max-connections is capped to
 * what that allows: one descriptor per connection, less a reserve for the
 * files being sent, the logs, the listeners and the worker's own (epoll,
 * signalfd, the spare descriptor of the accept back-off in worker.c).
 */
#include <sys/resource.h>

#include "server/server_int.h"

unsigned long pl_srv_nofile_raise(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = was;
	}
	/* RLIM_INFINITY cannot be: the kernel caps it at fs.nr_open. */
	return rl.rlim_cur > 1UL << 30 ? 1UL << 30 : (unsigned long)rl.rlim_cur;
}

unsigned pl_srv_conns_allowed(unsigned long nofile)
{
	/* A connection sending a file holds two descriptors while it does:
	 * an eighth of the limit is kept for files, and 32 for the rest. */
	unsigned long reserve = 32 + nofile / 8;
	unsigned long n = nofile > reserve + 1 ? nofile - reserve : 1;
	return n > 1000000 ? 1000000 : (unsigned)n;
}
