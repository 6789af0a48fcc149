/*
 * The certificates of the chain-diagnostics tests, made at test time by
 * tests/x509/diag_fixtures.sh (which lists them) in a fresh temporary
 * directory that is removed at exit. All their dates are fixed, and the
 * tests judge them at DFX_NOW, 2030-06-01 00:00:00 UTC.
 */
#ifndef PADLOCK_TEST_X509_DIAG_FIXTURES_H
#define PADLOCK_TEST_X509_DIAG_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 2030-06-01 00:00:00 UTC. */
#define DFX_NOW ((time_t)1906502400)

static char dfx_dir[64];

/* The path of fixture file name; eight results stay valid at a time. */
static const char *dfx(const char *name)
{
	static char paths[8][200];
	static unsigned next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", dfx_dir, name);
	return p;
}

static void dfx_teardown(void)
{
	char cmd[128];

	if (dfx_dir[0] == '\0')
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dfx_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dfx_dir);
	dfx_dir[0] = '\0';
}

/* The script beside this file: from the environment ctest sets, else from
 * where the compiler found this header. */
static void dfx_script(char *buf, size_t cap)
{
	const char *src = getenv("PADLOCK_SOURCE_DIR");
	const char *slash;

	if (src != NULL) {
		snprintf(buf, cap, "%s/tests/x509/diag_fixtures.sh", src);
		return;
	}
	slash = strrchr(__FILE__, '/');
	snprintf(buf, cap, "%.*sdiag_fixtures.sh",
		 slash != NULL ? (int)(slash - __FILE__ + 1) : 0, __FILE__);
}

/* Makes every fixture; exits the test (failing) when openssl cannot. */
static void dfx_setup(void)
{
	char script[512], cmd[1024];

	if (timegm(&(struct tm){ .tm_year = 130, .tm_mon = 5, .tm_mday = 1 }) !=
	    DFX_NOW) {
		fprintf(stderr, "DFX_NOW is not 2030-06-01\n");
		exit(1);
	}
	snprintf(dfx_dir, sizeof(dfx_dir), "/tmp/padlock-diag-XXXXXX");
	if (mkdtemp(dfx_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(dfx_teardown);
	dfx_script(script, sizeof(script));
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' > '%s/make.log' 2>&1", script,
		 dfx_dir, dfx_dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat '%s/make.log' >&2", dfx_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "no log\n");
		fprintf(stderr, "making the test certificates failed\n");
		exit(1);
	}
}

#endif
