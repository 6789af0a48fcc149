/*
 * libFuzzer harness: padlock's own checks of a certificate path (issue
 * 15), which read name constraints, subjectAltNames, key identifiers, AIA
 * and keys of certificates from anywhere: pl_x509_path_rules and
 * pl_x509_path_names on the certificates as a path (no signature needs to
 * verify to reach them), then the whole pl_x509_verify (path building)
 * against fixtures/trust.pem at a fixed time.
 *
 * Input: a control byte, then certificates, each a 2-byte big-endian
 * length and that many bytes of DER (at most 8; the first is the leaf).
 *   bit 0  the host is an IP address (10.1.2.3), else www.example.test
 *   bit 1  no host
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz/common.h"
#include "x509/x509_internal.h"

#define CERTS_MAX 8

static pl_x509_store_t *store;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	store = pl_x509_store_new(FUZZ_FIXTURE_DIR "/trust.pem", NULL, err,
				  sizeof(err));
	return store != NULL ? 0 : 1;
}

static void check_path(const pl_x509_chain_t *c, const char *host, bool ip)
{
	X509 *path[CERTS_MAX];
	pl_x509_verdict_t v;
	size_t i;

	for (i = 0; i < c->count; i++)
		path[i] = c->entries[i].x509;
	memset(&v, 0, sizeof(v));
	(void)pl_x509_path_rules(path, c->count, &v);
	(void)pl_x509_path_names(path, c->count, host, ip, &v);
	(void)pl_x509_verify(store, c, host, (time_t)1906502400, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *der[CERTS_MAX];
	size_t len[CERTS_MAX], n = 0, at = 1;
	pl_x509_chain_t *c = NULL;
	const char *host;
	char err[256];
	bool ip;

	if (size < 1)
		return 0;
	ip = data[0] & 1;
	host = data[0] & 2 ? NULL : ip ? "10.1.2.3" : "www.example.test";
	while (n < CERTS_MAX && at + 2 <= size) {
		size_t l = (size_t)data[at] << 8 | data[at + 1];

		at += 2;
		if (l == 0 || l > size - at)
			break;
		der[n] = data + at;
		len[n++] = l;
		at += l;
	}
	if (n == 0 || pl_x509_chain_from_der(der, len, n, &c, err,
					     sizeof(err)) != PL_OK)
		return 0;
	check_path(c, host, ip && host != NULL);
	pl_x509_chain_free(c);
	return 0;
}
