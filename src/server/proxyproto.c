/*
 * The PROXY protocol (HAProxy's, ../shared/rfc/proxy-protocol.txt): the
 * header a load balancer in TCP mode puts before a connection's first byte
 * to say whose connection it is. Version 1 is a text line, version 2 a
 * binary block with optional TLVs; both are parsed here, sans-I/O, and
 * strictly: anything that does not match exactly is refused (section 2:
 * "must be discarded and cause the receiver to abort the connection").
 *
 * Who may send one is the caller's business (--trusted-proxies): a header
 * is a claim about the client's address, believable only from a proxy we
 * trust.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/proxy.h"
#include "server/server_int.h"
#include "tls/buf.h"

static const uint8_t v2_signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
					 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* ---- version 1: "PROXY TCP4 src dst sport dport\r\n" ---------------------- */

/* A port: decimal, no leading zero, 0-65535. */
static bool v1_port(const char *s, size_t n, uint16_t *out)
{
	unsigned long v = 0;
	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* An address of family af in its canonical text (inet_pton refuses
 * leading zeros in IPv4 and more than 128 bits in IPv6). */
static bool v1_addr(int af, const char *s, size_t n, char *out, size_t cap)
{
	uint8_t bin[16];
	char text[64];
	if (n == 0 || n >= sizeof(text))
		return false;
	memcpy(text, s, n);
	text[n] = 0;
	if (inet_pton(af, text, bin) != 1)
		return false;
	return inet_ntop(af, bin, out, (socklen_t)cap) != NULL;
}

static long parse_v1(const uint8_t *in, size_t len, pl_srv_proxyproto_t *out,
		     const char **why)
{
	const char *line = (const char *)in;
	/* the CRLF within the first 107 bytes: the CR within 106 */
	size_t window = len < PL_SRV_PROXYPROTO_V1_MAX ? len
						       : PL_SRV_PROXYPROTO_V1_MAX;
	const char *cr = memchr(line, '\r', window < 106 ? window : 106);
	const char *lf = memchr(line, '\n', window);
	if (lf && (cr == NULL || lf != cr + 1)) {
		*why = "PROXY v1: a line end other than CRLF";
		return PL_ERR_DECODE;
	}
	if (cr == NULL || cr + 1 >= line + len) {
		if (len >= PL_SRV_PROXYPROTO_V1_MAX) {
			*why = "PROXY v1: no CRLF within 107 bytes";
			return PL_ERR_DECODE;
		}
		return 0;
	}
	size_t n = (size_t)(cr - line);
	if (line[n + 1] != '\n') {
		*why = "PROXY v1: a CR not followed by LF";
		return PL_ERR_DECODE;
	}
	out->version = 1;
	if (n == 13 && memcmp(line, "PROXY UNKNOWN", 13) == 0) {
		out->local = true;
		return (long)n + 2;
	}
	if (n > 14 && memcmp(line, "PROXY UNKNOWN ", 14) == 0) {
		/* the rest of an UNKNOWN line is ignored (section 2.1) */
		out->local = true;
		return (long)n + 2;
	}
	int af;
	if (n > 11 && memcmp(line, "PROXY TCP4 ", 11) == 0)
		af = AF_INET;
	else if (n > 11 && memcmp(line, "PROXY TCP6 ", 11) == 0)
		af = AF_INET6;
	else {
		*why = "PROXY v1: not \"PROXY TCP4|TCP6|UNKNOWN\"";
		return PL_ERR_DECODE;
	}
	/* four fields, one SP between each */
	const char *f[4];
	size_t fl[4], k = 0;
	const char *p = line + 11, *end = line + n;
	while (k < 4 && p <= end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *stop = sp ? sp : end;
		f[k] = p;
		fl[k++] = (size_t)(stop - p);
		if (sp == NULL)
			break;
		p = sp + 1;
	}
	char dst[64];
	uint16_t dport;
	if (k != 4 || f[3] + fl[3] != end ||
	    !v1_addr(af, f[0], fl[0], out->source, sizeof(out->source)) ||
	    !v1_addr(af, f[1], fl[1], dst, sizeof(dst)) ||
	    !v1_port(f[2], fl[2], &out->source_port) ||
	    !v1_port(f[3], fl[3], &dport)) {
		*why = "PROXY v1: the addresses or ports are not canonical";
		return PL_ERR_DECODE;
	}
	return (long)n + 2;
}

/* ---- version 2: the binary block -------------------------------------------- */

/* The TLVs after the addresses: each type, length, value, exactly filling
 * the block (a TLV that runs past it is a broken header). */
static int parse_tlvs(pl_reader_t *r, pl_srv_proxyproto_t *out,
		      const char **why)
{
	while (pl_reader_left(r) > 0) {
		uint8_t type;
		pl_reader_t value;
		if (pl_read_u8(r, &type) != PL_OK ||
		    pl_read_vec16(r, &value) != PL_OK) {
			*why = "PROXY v2: a TLV runs past the header";
			return PL_ERR_DECODE;
		}
		if (++out->tlv_count > PL_SRV_PROXYPROTO_MAX_TLVS) {
			*why = "PROXY v2: more TLVs than padlock takes";
			return PL_ERR_DECODE;
		}
		/* PP2_TYPE_AUTHORITY (0x02): the host name the client asked */
		if (type == 0x02) {
			size_t n = pl_reader_left(&value);
			if (n >= sizeof(out->authority))
				n = sizeof(out->authority) - 1;
			memcpy(out->authority, value.p, n);
			out->authority[n] = 0;
		}
	}
	return PL_OK;
}

static int v2_addresses(pl_reader_t *r, uint8_t fam, pl_srv_proxyproto_t *out,
			const char **why)
{
	const uint8_t *src, *dst;
	size_t n = fam >> 4 == 1 ? 4 : 16;
	uint16_t sport, dport;
	if (pl_read_bytes(r, n, &src) != PL_OK ||
	    pl_read_bytes(r, n, &dst) != PL_OK ||
	    pl_read_u16(r, &sport) != PL_OK || pl_read_u16(r, &dport) != PL_OK) {
		*why = "PROXY v2: the address block is shorter than its family";
		return PL_ERR_DECODE;
	}
	/* an IPv4 client behind an IPv6 balancer reads as IPv4 */
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (n == 16 && memcmp(src, mapped, 12) == 0)
		inet_ntop(AF_INET, src + 12, out->source, sizeof(out->source));
	else
		inet_ntop(n == 4 ? AF_INET : AF_INET6, src, out->source,
			  sizeof(out->source));
	out->source_port = sport;
	return PL_OK;
}

static long parse_v2(const uint8_t *in, size_t len, pl_srv_proxyproto_t *out,
		     const char **why)
{
	pl_reader_t r, block;
	uint8_t ver_cmd, fam;
	const uint8_t *sig;
	if (len < 16)
		return 0;
	pl_reader_init(&r, in, len);
	(void)pl_read_bytes(&r, 12, &sig);
	(void)pl_read_u8(&r, &ver_cmd);
	(void)pl_read_u8(&r, &fam);
	uint16_t blen = (uint16_t)(in[14] << 8 | in[15]);
	out->version = 2;
	if (ver_cmd >> 4 != 2 || (ver_cmd & 0x0f) > 1) {
		*why = "PROXY v2: a version or command that is not 2 / LOCAL or PROXY";
		return PL_ERR_DECODE;
	}
	if (16 + (size_t)blen > PL_SRV_PROXYPROTO_V2_MAX) {
		*why = "PROXY v2: a header over padlock's bound (TLVs too large)";
		return PL_ERR_DECODE;
	}
	if (pl_read_vec16(&r, &block) != PL_OK)
		return 0; /* the block is not all here yet */
	uint8_t af = fam >> 4, proto = fam & 0x0f;
	if (af > 3 || proto > 2) {
		*why = "PROXY v2: an unknown address family or protocol";
		return PL_ERR_DECODE;
	}
	long total = 16 + (long)blen;
	/* LOCAL (a health check), and families padlock does not take, keep
	 * the connection's own addresses (section 2.2) */
	if ((ver_cmd & 0x0f) == 0 || af == 0 || af == 3 || proto != 1) {
		out->local = true;
		return total;
	}
	if (v2_addresses(&block, fam, out, why) != PL_OK ||
	    parse_tlvs(&block, out, why) != PL_OK)
		return PL_ERR_DECODE;
	return total;
}

long pl_srv_proxyproto_parse(const uint8_t *in, size_t len,
			     pl_srv_proxyproto_t *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	*why = NULL;
	size_t sig = len < 12 ? len : 12;
	if (memcmp(in, v2_signature, sig) == 0)
		return len < 12 ? 0 : parse_v2(in, len, out, why);
	size_t word = len < 6 ? len : 6;
	if (memcmp(in, "PROXY ", word) == 0)
		return len < 6 ? 0 : parse_v1(in, len, out, why);
	*why = "no PROXY protocol header (neither v1 nor v2)";
	return PL_ERR_DECODE;
}

/* ---- who may send one ----------------------------------------------------- */

int pl_srv_addr_list_check(const char *list, char *err, size_t err_len)
{
	for (const char *p = list; p && *p;) {
		p += strspn(p, ", ");
		size_t n = strcspn(p, ", ");
		char item[64];
		uint8_t bin[16];
		if (n == 0)
			break;
		snprintf(item, sizeof(item), "%.*s", (int)(n < 63 ? n : 63), p);
		p += n;
		char *slash = strchr(item, '/'), *end = NULL;
		int fam = strchr(item, ':') ? AF_INET6 : AF_INET;
		long bits = 0;
		if (slash) {
			*slash = 0;
			bits = strtol(slash + 1, &end, 10);
		}
		if (n >= 63 || inet_pton(fam, item, bin) != 1 ||
		    (slash && (end == slash + 1 || *end || bits < 0 ||
			       bits > (fam == AF_INET6 ? 128 : 32)))) {
			snprintf(err, err_len, "trusted-proxies: '%.*s' is not an "
				 "address or ADDRESS/BITS", (int)(n < 60 ? n : 60),
				 p - n);
			return PL_ERR_ARG;
		}
	}
	return PL_OK;
}

bool pl_srv_addr_trusted(const char *list, const char *addr)
{
	uint8_t a[16], b[16];
	int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
	size_t alen = fam == AF_INET6 ? 16 : 4;
	if (list == NULL || inet_pton(fam, addr, a) != 1)
		return false;
	for (const char *p = list; *p;) {
		p += strspn(p, ", ");
		size_t n = strcspn(p, ", ");
		char item[64];
		if (n == 0)
			break;
		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		p += n;
		char *slash = strchr(item, '/');
		long bits = (long)alen * 8;
		if (slash) {
			*slash = 0;
			bits = strtol(slash + 1, NULL, 10);
		}
		if (inet_pton(fam, item, b) != 1 || bits < 0 ||
		    bits > (long)alen * 8)
			continue;
		size_t whole = (size_t)bits / 8;
		unsigned rest = (unsigned)bits % 8;
		if (memcmp(a, b, whole) != 0)
			continue;
		if (rest && ((a[whole] ^ b[whole]) & (0xff00 >> rest) & 0xff))
			continue;
		return true;
	}
	return false;
}

/* ---- writing a version 2 header (to upstreams) ---------------------------- */

/* addr as 16 bytes of IPv6: an IPv4 address mapped (::ffff:a.b.c.d). */
static void as_v6(const uint8_t *v4, uint8_t out[16])
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

static bool v4_mapped(const uint8_t *v6)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					   0xff, 0xff};
	return memcmp(v6, prefix, 12) == 0;
}

void pl_srv_proxyproto_write_v2(pl_buf_t *b, const char *source,
				uint16_t source_port,
				const struct sockaddr_storage *dest)
{
	uint8_t src[16], dst[16];
	int src_af = AF_INET, dst_af = dest->ss_family;
	uint16_t dst_port = 0;
	if (inet_pton(AF_INET, source, src) != 1) {
		src_af = AF_INET6;
		if (inet_pton(AF_INET6, source, src) != 1)
			src_af = AF_UNSPEC;
	}
	if (dst_af == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)dest;
		memcpy(dst, &s4->sin_addr, 4);
		dst_port = ntohs(s4->sin_port);
	} else if (dst_af == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)dest;
		memcpy(dst, &s6->sin6_addr, 16);
		dst_port = ntohs(s6->sin6_port);
	}
	pl_push_bytes(b, v2_signature, sizeof(v2_signature));
	if (src_af == AF_UNSPEC ||
	    (dst_af != AF_INET && dst_af != AF_INET6)) {
		/* section 2.2: LOCAL, no address: the upstream keeps its own */
		pl_push_u8(b, 0x20);
		pl_push_u8(b, 0x00);
		pl_push_u16(b, 0);
		return;
	}
	/* one family for both: a dual-stack listener's IPv4 client arrives
	 * as ::ffff:a.b.c.d on one side only */
	if (src_af != dst_af) {
		const uint8_t *v6 = src_af == AF_INET6 ? src : dst;
		if (v4_mapped(v6)) {
			memmove(src_af == AF_INET6 ? src : dst, v6 + 12, 4);
			src_af = dst_af = AF_INET;
		} else if (src_af == AF_INET) {
			uint8_t v4[4];
			memcpy(v4, src, 4);
			as_v6(v4, src);
			src_af = AF_INET6;
		} else {
			uint8_t v4[4];
			memcpy(v4, dst, 4);
			as_v6(v4, dst);
			dst_af = AF_INET6;
		}
	}
	size_t alen = src_af == AF_INET ? 4 : 16;
	pl_push_u8(b, 0x21); /* version 2, PROXY */
	pl_push_u8(b, src_af == AF_INET ? 0x11 : 0x21); /* TCP over it */
	pl_push_u16(b, (uint16_t)(2 * alen + 4));
	pl_push_bytes(b, src, alen);
	pl_push_bytes(b, dst, alen);
	pl_push_u16(b, source_port);
	pl_push_u16(b, dst_port);
}
