/*
 * libFuzzer harness: the PROXY protocol header parser (src/server/
 * proxyproto.c), as `padlock serve --proxy-protocol` meets it.
 *
 * Every prefix of the input is parsed too: a prefix shorter than a
 * complete header asks for more, never claims a header or fails;
 * once complete, every longer input gives the same length and address.
 * A header is never longer than the input or the bounds, and a client
 * address it gives is one inet_pton reads back.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond)                                                        \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "fuzz_proxyproto: %s:%d: %s\n",      \
				__FILE__, __LINE__, #cond);                  \
			abort();                                             \
		}                                                            \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 4096)
		return 0;
	pl_srv_proxyproto_t whole, part;
	const char *why;
	long len = pl_srv_proxyproto_parse(data, size, &whole, &why);
	REQUIRE(len <= (long)size);
	REQUIRE(len <= PL_SRV_PROXYPROTO_V2_MAX);
	REQUIRE(len >= 0 || why != NULL);
	if (len > 0) {
		REQUIRE(whole.version == 1 || whole.version == 2);
		REQUIRE(whole.version != 1 || len <= PL_SRV_PROXYPROTO_V1_MAX);
		REQUIRE(whole.tlv_count <= PL_SRV_PROXYPROTO_MAX_TLVS);
		if (!whole.local) {
			uint8_t bin[16];
			REQUIRE(inet_pton(strchr(whole.source, ':') ? AF_INET6
								    : AF_INET,
					  whole.source, bin) == 1);
		}
	}
	for (size_t n = 1; n < size; n++) {
		long got = pl_srv_proxyproto_parse(data, n, &part, &why);
		if (len > 0 && (long)n < len) {
			REQUIRE(got == 0);
		} else if (len > 0) {
			REQUIRE(got == len);
			REQUIRE(strcmp(part.source, whole.source) == 0);
			REQUIRE(part.local == whole.local);
		}
	}
	return 0;
}
