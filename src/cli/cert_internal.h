/* padlock cert: what cert.c and cert_install.c share. Private to src/cli. */
#ifndef PADLOCK_CLI_CERT_INTERNAL_H
#define PADLOCK_CLI_CERT_INTERNAL_H

#include <stdbool.h>

#include "padlock/x509.h"

/* Which trust stores an install or uninstall touches. */
typedef struct {
	bool system; /* the system store: curl, Python, OpenSSL, GnuTLS */
	bool nss;    /* NSS databases: Chromium, Firefox */
} pl_cli_trust_t;

/* padlock cert --install: adds ca to the stores in scope, each step said
 * on stdout. Checks first that every step can be done (tools present,
 * permission) and changes nothing otherwise; when a later step fails,
 * undoes the earlier ones. Returns an exit code. */
int pl_cli_cert_install(const pl_x509_ca_t *ca, pl_cli_trust_t scope);

/* padlock cert --uninstall: removes ca from the stores in scope and says
 * what it removed; when a step fails, says what was done and what was
 * not. Returns an exit code. */
int pl_cli_cert_uninstall(const pl_x509_ca_t *ca, pl_cli_trust_t scope);

/* Which stores already trust ca (without changing anything). */
pl_cli_trust_t pl_cli_cert_trusted(const pl_x509_ca_t *ca);

/* `padlock cert --acme [options] NAME...` (cert_acme.c): argv[0] is
 * "cert". Returns a PL_CLI_EXIT_ code. */
int pl_cli_cert_acme(int argc, char **argv);

#endif
