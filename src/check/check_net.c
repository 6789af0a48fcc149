/*
 * Steps 1 and 2 of padlock check: the addresses of the name (A and AAAA),
 * then a TCP connect to the port on each one, told apart as open, refused
 * (a RST: the host is up, nothing listens), filtered (no answer at all: a
 * firewall drops the packets) and unreachable (no route, or an ICMP
 * reject).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check/check_internal.h"
#include "client/client_internal.h"

#define ADDRESSES_MAX 16

/* ---- TCP connect ------------------------------------------------------------ */

static pl_check_port_t port_state(int e)
{
	switch (e) {
	case 0: return PL_CHECK_PORT_OPEN;
	case ECONNREFUSED: return PL_CHECK_PORT_REFUSED;
	case ETIMEDOUT: return PL_CHECK_PORT_FILTERED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENETDOWN: return PL_CHECK_PORT_UNREACHABLE;
	default: return PL_CHECK_PORT_ERROR;
	}
}

/* Waits for a non-blocking connect; 0 or the errno (ETIMEDOUT). */
static int wait_connect(int s, long long deadline)
{
	struct pollfd pfd = { .fd = s, .events = POLLOUT };
	int so_error = 0;
	socklen_t len = sizeof so_error;

	for (;;) {
		long long left = deadline - pl_client_now_ms();
		int rc;

		if (left <= 0)
			return ETIMEDOUT;
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			break;
		if (rc < 0 && errno != EINTR)
			return errno;
	}
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0)
		return errno;
	return so_error;
}

static int fill_sockaddr(const char *ip, uint16_t port,
			 struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		*len = sizeof *v4;
		return AF_INET;
	}
	if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		*len = sizeof *v6;
		return AF_INET6;
	}
	return -1;
}

pl_check_port_t check_connect(const char *ip, uint16_t port, int timeout_ms,
			      int *fd, int *elapsed_ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long long start = pl_client_now_ms();
	int family = fill_sockaddr(ip, port, &ss, &len);
	int s, e;

	if (fd != NULL)
		*fd = -1;
	if (elapsed_ms != NULL)
		*elapsed_ms = 0;
	if (family < 0)
		return PL_CHECK_PORT_ERROR;
	s = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return PL_CHECK_PORT_ERROR;
	if (connect(s, (struct sockaddr *)&ss, len) == 0)
		e = 0;
	else if (errno == EINPROGRESS)
		e = wait_connect(s, start + timeout_ms);
	else
		e = errno;
	if (elapsed_ms != NULL)
		*elapsed_ms = (int)(pl_client_now_ms() - start);
	if (e == 0 && fd != NULL)
		*fd = s;
	else
		close(s);
	return port_state(e);
}

/* ---- step 1: the name -------------------------------------------------------- */

static void add_address(struct check_run *run, const char *ip)
{
	pl_check_result_t *r = run->r;

	for (size_t i = 0; i < r->address_count; i++)
		if (strcmp(r->addresses[i].ip, ip) == 0)
			return;
	if (r->address_count == ADDRESSES_MAX)
		return;
	pl_check_address_t *a = &r->addresses[r->address_count++];
	memset(a, 0, sizeof *a);
	snprintf(a->ip, sizeof a->ip, "%s", ip);
	a->ipv6 = check_is_ipv6(ip);
}

/* The numeric addresses of host, in the resolver's order; a getaddrinfo
 * error code (0 on success). */
static int resolve(const char *host, char ips[][64], size_t cap, size_t *n)
{
	struct addrinfo hints, *list = NULL;
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	*n = 0;
	rc = getaddrinfo(host, NULL, &hints, &list);
	if (rc != 0)
		return rc;
	for (const struct addrinfo *ai = list; ai != NULL && *n < cap;
	     ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, ips[*n], 64, NULL,
				0, NI_NUMERICHOST) == 0)
			(*n)++;
	}
	freeaddrinfo(list);
	return 0;
}

static const char *resolve_error(int rc)
{
	switch (rc) {
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
		return "is in neither DNS nor /etc/hosts";
	case EAI_AGAIN:
		return "could not be looked up for now (is a DNS server "
		       "reachable?)";
	default:
		return gai_strerror(rc);
	}
}

/* "2 IPv4 addresses (A): 192.0.2.1, 192.0.2.2" into out. */
static void list_family(const pl_check_result_t *r, bool v6, char *out,
			size_t cap)
{
	size_t used = 0, count = 0;

	out[0] = '\0';
	for (size_t i = 0; i < r->address_count; i++)
		if (r->addresses[i].ipv6 == v6)
			count++;
	if (count == 0)
		return;
	used = (size_t)snprintf(out, cap, "%zu IPv%c address%s (%s): ", count,
				v6 ? '6' : '4', count == 1 ? "" : "es",
				v6 ? "AAAA" : "A");
	for (size_t i = 0, k = 0; i < r->address_count && used < cap; i++) {
		if (r->addresses[i].ipv6 != v6)
			continue;
		used += (size_t)snprintf(out + used, cap - used, "%s%s",
					 k++ > 0 ? ", " : "", r->addresses[i].ip);
	}
}

static void report_resolved(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	char v4[512], v6[512];

	list_family(r, false, v4, sizeof v4);
	list_family(r, true, v6, sizeof v6);
	check_add(run, PL_CHECK_STEP_NAME, PL_CHECK_OK, "dns.resolved", -1, "",
		  "%s has %s%s%s", r->host, v4, v4[0] && v6[0] ? " and " : "",
		  v6);
	if (v6[0] == '\0')
		check_add(run, PL_CHECK_STEP_NAME, PL_CHECK_INFO, "dns.no-ipv6",
			  -1, "", "%s has no IPv6 address (AAAA record); "
			  "IPv6-only clients cannot reach it", r->host);
}

/* --ip: the one address tested; the name is still looked up, to say
 * whether that address is one of its own. */
static void name_with_ip(struct check_run *run, char ips[][64], size_t n,
			 int rc)
{
	pl_check_result_t *r = run->r;
	bool listed = false;

	for (size_t i = 0; i < n; i++)
		listed = listed || strcmp(ips[i], run->opt.ip) == 0;
	add_address(run, run->opt.ip);
	if (rc != 0)
		check_add(run, PL_CHECK_STEP_NAME, PL_CHECK_WARNING,
			  "dns.not-found", -1,
			  "publish an A (and AAAA) record for the name before "
			  "visitors come", "%s %s; testing %s as asked (--ip)",
			  r->host, resolve_error(rc), run->opt.ip);
	else if (!listed)
		check_add(run, PL_CHECK_STEP_NAME, PL_CHECK_INFO,
			  "dns.ip-not-listed", -1, "",
			  "%s is not among the addresses of %s; testing it as "
			  "asked (--ip)", run->opt.ip, r->host);
	else
		check_add(run, PL_CHECK_STEP_NAME, PL_CHECK_OK, "dns.resolved",
			  -1, "", "%s is an address of %s; testing only it "
			  "(--ip)", run->opt.ip, r->host);
}

void check_step_name(struct check_run *run)
{
	pl_check_result_t *r = run->r;
	char ips[ADDRESSES_MAX][64];
	unsigned char buf[16];
	size_t n = 0;
	int rc;

	r->addresses = calloc(ADDRESSES_MAX, sizeof *r->addresses);
	if (r->addresses == NULL) {
		run->nomem = true;
		return;
	}
	check_progress(run, PL_CHECK_STEP_NAME, "looking up %s", r->host);
	if (inet_pton(AF_INET, r->host, buf) == 1 ||
	    inet_pton(AF_INET6, r->host, buf) == 1) {
		add_address(run, run->opt.ip != NULL ? run->opt.ip : r->host);
		check_add(run, PL_CHECK_STEP_NAME, PL_CHECK_INFO, "dns.literal",
			  -1, "", "%s is an address: there is no name to look "
			  "up", r->host);
		return;
	}
	rc = resolve(r->host, ips, ADDRESSES_MAX, &n);
	if (run->opt.ip != NULL) {
		name_with_ip(run, ips, n, rc);
		return;
	}
	if (rc != 0 || n == 0) {
		check_add(run, PL_CHECK_STEP_NAME, PL_CHECK_FAILURE,
			  "dns.not-found", -1,
			  "publish an A record (IPv4) and an AAAA record (IPv6) "
			  "for the name at its DNS provider; check the spelling",
			  "%s %s", r->host,
			  rc != 0 ? resolve_error(rc) : "has no address");
		return;
	}
	for (size_t i = 0; i < n; i++)
		add_address(run, ips[i]);
	report_resolved(run);
}

/* ---- step 2: the port on each address ----------------------------------------- */

static void report_port(struct check_run *run, const pl_check_address_t *a)
{
	char where[80], fix[1024];
	unsigned port = run->opt.port;

	check_format_address(a->ip, run->opt.port, where, sizeof where);
	switch (a->https) {
	case PL_CHECK_PORT_OPEN:
		check_add(run, PL_CHECK_STEP_PORT, PL_CHECK_OK, "port.open", -1,
			  "", "%s is open (connected in %d ms)", where,
			  a->connect_ms);
		break;
	case PL_CHECK_PORT_REFUSED:
		snprintf(fix, sizeof fix, "start the server and make it listen "
			 "on this address and port; on the server, 'ss -ltnp "
			 "\"sport = :%u\"' shows what listens on port %u", port,
			 port);
		check_add(run, PL_CHECK_STEP_PORT, PL_CHECK_FAILURE,
			  "port.refused", -1, fix, "%s refused the connection: "
			  "the host is up but nothing listens on port %u", where,
			  port);
		break;
	case PL_CHECK_PORT_FILTERED:
		snprintf(fix, sizeof fix, "open TCP port %u to the world: ufw "
			 "allow %u/tcp; or firewall-cmd --permanent "
			 "--add-port=%u/tcp && firewall-cmd --reload; or nft add "
			 "rule inet filter input tcp dport %u accept (iptables "
			 "-I INPUT -p tcp --dport %u -j ACCEPT); in a cloud, "
			 "allow inbound TCP %u from 0.0.0.0/0 and ::/0 in the "
			 "instance's security group or network firewall rules",
			 port, port, port, port, port, port);
		check_add(run, PL_CHECK_STEP_PORT, PL_CHECK_FAILURE,
			  "port.filtered", -1, fix, "%s did not answer within "
			  "%g s: a firewall drops packets to port %u", where,
			  run->opt.timeout_ms / 1000.0, port);
		break;
	case PL_CHECK_PORT_UNREACHABLE:
		snprintf(fix, sizeof fix, "check that the address in DNS is "
			 "the server's and that a route leads there ('ip route "
			 "get %s'); a firewall that rejects with ICMP also "
			 "shows this", a->ip);
		check_add(run, PL_CHECK_STEP_PORT, PL_CHECK_FAILURE,
			  "port.unreachable", -1, fix, "%s is unreachable: no "
			  "route to the host, or a firewall rejects the packets",
			  where);
		break;
	default:
		check_add(run, PL_CHECK_STEP_PORT, PL_CHECK_FAILURE,
			  "port.error", -1, "", "cannot connect to %s", where);
		break;
	}
}

void check_step_port(struct check_run *run)
{
	pl_check_result_t *r = run->r;

	for (size_t i = 0; i < r->address_count; i++) {
		pl_check_address_t *a = &r->addresses[i];
		int timeout = check_timeout(run);

		if (timeout == 0)
			break;
		check_progress(run, PL_CHECK_STEP_PORT, "connecting to %s port %u",
			       a->ip, (unsigned)run->opt.port);
		a->https = check_connect(a->ip, run->opt.port, timeout, NULL,
					 &a->connect_ms);
		report_port(run, a);
		if (a->https == PL_CHECK_PORT_OPEN && r->tested_ip[0] == '\0') {
			snprintf(r->tested_ip, sizeof r->tested_ip, "%s", a->ip);
			r->reachable = true;
		}
	}
	if (r->reachable && r->address_count > 1)
		check_add(run, PL_CHECK_STEP_PORT, PL_CHECK_INFO,
			  "port.tested-address", -1, "",
			  "the next steps test %s (--ip ADDRESS tests another)",
			  r->tested_ip);
}
