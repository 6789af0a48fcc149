/* Binding the listeners, and saying the way out when it fails. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/server_int.h"

/* The inode of the socket listening on port, from /proc/net/tcp{,6}. */
static unsigned long listening_inode(int port)
{
	const char *files[] = {"/proc/net/tcp6", "/proc/net/tcp"};
	for (size_t f = 0; f < 2; f++) {
		FILE *fp = fopen(files[f], "r");
		char line[512];
		if (fp == NULL)
			continue;
		while (fgets(line, sizeof(line), fp)) {
			char local[128];
			unsigned state;
			unsigned long inode;
			/* sl local rem st tx:rx tr:when retr uid timeout inode */
			if (sscanf(line, "%*s %127s %*s %x %*s %*s %*s %*s %*s %lu",
				   local, &state, &inode) != 3)
				continue;
			char *colon = strrchr(local, ':');
			if (colon && state == 0x0A &&
			    strtol(colon + 1, NULL, 16) == port) {
				fclose(fp);
				return inode;
			}
		}
		fclose(fp);
	}
	return 0;
}

/* "nginx (pid 1234)" for the process holding the socket inode. */
static bool socket_owner(unsigned long inode, char *out, size_t cap)
{
	char want[64];
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	DIR *proc = opendir("/proc");
	struct dirent *p;
	bool found = false;
	if (proc == NULL)
		return false;
	while (!found && (p = readdir(proc)) != NULL) {
		char path[600], link[64];
		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		DIR *fds = opendir(path);
		struct dirent *fd;
		if (fds == NULL)
			continue;
		while ((fd = readdir(fds)) != NULL) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name,
				 fd->d_name);
			ssize_t n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = 0;
			if (strcmp(link, want) != 0)
				continue;
			char comm[64] = "?";
			snprintf(path, sizeof(path), "/proc/%s/comm", p->d_name);
			FILE *fp = fopen(path, "r");
			if (fp) {
				if (fgets(comm, sizeof(comm), fp))
					comm[strcspn(comm, "\n")] = 0;
				fclose(fp);
			}
			found = snprintf(out, cap, "%s (pid %s)", comm,
					 p->d_name) > 0;
			break;
		}
		closedir(fds);
	}
	closedir(proc);
	return found;
}

static void explain(char *err, size_t err_len, int e, const char *where,
		    int port, pl_srv_listen_kind_t kind)
{
	const char *flag = kind == PL_LISTEN_HTTPS ? "--https-port" : "--http-port";
	int alt = kind == PL_LISTEN_HTTPS ? 8443 : 8080;
	if (e == EACCES) {
		snprintf(err, err_len,
			 "cannot listen on %s port %d: ports below 1024 need "
			 "privileges. Either run as root with --user NAME (padlock "
			 "binds, then drops root), or allow this binary: setcap "
			 "cap_net_bind_service=+ep $(command -v padlock), or lower "
			 "the limit: sysctl net.ipv4.ip_unprivileged_port_start=%d, "
			 "or use %s %d",
			 where, port, port, flag, alt);
		return;
	}
	if (e == EADDRINUSE) {
		char owner[128];
		unsigned long inode = listening_inode(port);
		if (inode && socket_owner(inode, owner, sizeof(owner)))
			snprintf(err, err_len,
				 "cannot listen on %s port %d: it is in use by "
				 "%s; stop it or choose another port with %s",
				 where, port, owner, flag);
		else
			snprintf(err, err_len,
				 "cannot listen on %s port %d: another program "
				 "already listens there (see `ss -ltnp 'sport = "
				 ":%d'`); stop it or choose another port with %s",
				 where, port, port, flag);
		return;
	}
	if (e == EADDRNOTAVAIL) {
		snprintf(err, err_len,
			 "cannot listen on %s port %d: that address is not on "
			 "this machine (check --listen)",
			 where, port);
		return;
	}
	snprintf(err, err_len, "cannot listen on %s port %d: %s", where, port,
		 strerror(e));
}

static int bind_one(const struct sockaddr *sa, socklen_t len, bool dual,
		    int *fd_out)
{
	int one = 1, zero = 0;
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (fd < 0)
		return errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &zero : &one,
			   sizeof(one));
	if (bind(fd, sa, len) < 0 || listen(fd, 4096) < 0) {
		int e = errno;
		close(fd);
		return e;
	}
	*fd_out = fd;
	return 0;
}

int pl_srv_listen(pl_srv_listeners_t *ls, const char *addr, int port,
		  pl_srv_listen_kind_t kind, char *err, size_t err_len,
		  int *err_no)
{
	int fd = -1, e;
	char where[64];
	if (ls->n == PL_SRV_MAX_LISTENERS)
		return PL_ERR_ARG;
	if (addr == NULL) {
		struct sockaddr_in6 s6 = {.sin6_family = AF_INET6,
					  .sin6_port = htons((uint16_t)port),
					  .sin6_addr = IN6ADDR_ANY_INIT};
		snprintf(where, sizeof(where), "every address");
		e = bind_one((struct sockaddr *)&s6, sizeof(s6), true, &fd);
		if (e == EAFNOSUPPORT) { /* no IPv6 on this machine */
			struct sockaddr_in s4 = {.sin_family = AF_INET,
						 .sin_port = htons((uint16_t)port),
						 .sin_addr.s_addr = INADDR_ANY};
			e = bind_one((struct sockaddr *)&s4, sizeof(s4), false,
				     &fd);
		}
	} else {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
					 .ai_flags = AI_NUMERICHOST | AI_PASSIVE},
				*ai;
		char service[16];
		snprintf(service, sizeof(service), "%d", port);
		snprintf(where, sizeof(where), "%s", addr);
		if (getaddrinfo(addr, service, &hints, &ai) != 0) {
			snprintf(err, err_len,
				 "--listen %s is not an IP address", addr);
			*err_no = EINVAL;
			return PL_ERR_ARG;
		}
		e = bind_one(ai->ai_addr, ai->ai_addrlen, false, &fd);
		freeaddrinfo(ai);
	}
	if (e) {
		explain(err, err_len, e, where, port, kind);
		*err_no = e;
		return PL_ERR_IO;
	}
	pl_srv_listener_t *l = &ls->l[ls->n++];
	l->fd = fd;
	l->kind = kind;
	l->port = port;
	l->extra = -1;
	l->proxy_protocol = false;
	snprintf(l->addr, sizeof(l->addr), "%s", addr ? addr : "*");
	return PL_OK;
}

void pl_srv_listeners_close(pl_srv_listeners_t *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		close(ls->l[i].fd);
	ls->n = 0;
}
