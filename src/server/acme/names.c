/*
 * Which names a public CA can issue for. The others (this machine, the
 * private networks, the names RFC 6761 and RFC 6762 reserve) go to the
 * local CA, as the zero-argument start does.
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "server/acme/acme.h"

/* RFC 6761 6.2-6.5, RFC 6762 (local), RFC 8375 (home.arpa), and the
 * ICANN-reserved internal (2024). */
static const char *const private_suffixes[] = {
	"localhost", "local", "internal", "test", "example", "invalid",
	"home.arpa", "lan",
};

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (n == s)
		return strcasecmp(name, suffix) == 0;
	return n > s && name[n - s - 1] == '.' &&
	       strcasecmp(name + n - s, suffix) == 0;
}

static bool private_v4(const uint8_t a[4])
{
	return a[0] == 10 || a[0] == 127 || a[0] == 0 ||
	       (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	       (a[0] == 192 && a[1] == 168) ||
	       (a[0] == 169 && a[1] == 254) ||          /* link-local */
	       (a[0] == 100 && (a[1] & 0xc0) == 64);    /* RFC 6598 CGN */
}

static bool private_v6(const uint8_t a[16])
{
	static const uint8_t loopback[16] = {[15] = 1}, any[16] = {0};

	if (memcmp(a, loopback, 16) == 0 || memcmp(a, any, 16) == 0)
		return true;
	if ((a[0] & 0xfe) == 0xfc) /* unique local fc00::/7 */
		return true;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* link-local fe80::/10 */
		return true;
	/* v4-mapped ::ffff:a.b.c.d */
	if (memcmp(a, any, 10) == 0 && a[10] == 0xff && a[11] == 0xff)
		return private_v4(a + 12);
	return false;
}

bool pl_acme_publicly_issuable(const char *name)
{
	uint8_t addr[16];
	const char *wild = strncmp(name, "*.", 2) == 0 ? name + 2 : name;

	if (inet_pton(AF_INET, name, addr) == 1)
		return !private_v4(addr);
	if (inet_pton(AF_INET6, name, addr) == 1)
		return !private_v6(addr);
	/* a single label ("intranet") resolves only on a local network */
	if (wild[0] == '\0' || strchr(wild, '.') == NULL)
		return false;
	for (size_t i = 0; i < sizeof private_suffixes / sizeof *private_suffixes; i++)
		if (has_suffix(wild, private_suffixes[i]))
			return false;
	return true;
}
