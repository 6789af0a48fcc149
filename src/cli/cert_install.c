/*
 * padlock cert --install / --uninstall: the local CA in the trust stores
 * that programs on this machine read.
 *
 * - The system store, read by curl, wget, Python, and every OpenSSL and
 *   GnuTLS program: Debian's ca-certificates takes local CAs as .crt files
 *   in /usr/local/share/ca-certificates, then update-ca-certificates
 *   rebuilds /etc/ssl/certs. Writing there needs root.
 * - NSS databases, read by Chromium (~/.pki/nssdb, made when missing) and
 *   Firefox (each profile's own, when one exists), changed with certutil
 *   from libnss3-tools. The CA goes in with trust "C,,": a CA trusted to
 *   issue server certificates, nothing else.
 *
 * An install checks first that every step can be done and changes nothing
 * otherwise; a step that fails undoes the ones before it. Every change is
 * said on stdout as it is made.
 *
 * Test hooks (environment), so that tests never touch the real stores:
 *   PADLOCK_SYSTEM_CA_DIR  the system store's directory instead of
 *                          /usr/local/share/ca-certificates; then no
 *                          update command runs unless
 *   PADLOCK_UPDATE_CA_CMD  a shell command run instead of
 *                          update-ca-certificates (it finds the directory
 *                          in PADLOCK_SYSTEM_CA_DIR)
 *   PADLOCK_NSSDB          the one NSS database to use instead of
 *                          ~/.pki/nssdb and Firefox's profiles
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cert_internal.h"
#include "cli/cli.h"

#define SYSTEM_CA_DIR "/usr/local/share/ca-certificates"
#define UPDATE_PROGRAM "update-ca-certificates"
#define NSS_MAX 16
#define OUTPUT_MAX 2048
#define FILE_MAX (64 * 1024)

struct plan {
	pl_cli_trust_t scope;
	const char *ca_pem;
	char nickname[64];             /* "padlock-" + 16 hex digits */
	/* the system store */
	char sys_dir[PATH_MAX];
	char sys_file[PATH_MAX + 96];  /* sys_dir/padlock-HASH.crt */
	bool sys_overridden;           /* PADLOCK_SYSTEM_CA_DIR */
	const char *update_shell;      /* PADLOCK_UPDATE_CA_CMD */
	char update_program[PATH_MAX]; /* "" when not found */
	/* NSS */
	char certutil[PATH_MAX];       /* "" when not found */
	char dbs[NSS_MAX][PATH_MAX];   /* dbs[0] is made when missing */
	size_t db_count;
};

/* What an install changed so far, to undo it when a later step fails. */
struct changes {
	bool sys_added;
	bool nss_added[NSS_MAX];
	bool nss_created[NSS_MAX]; /* made empty; stays when undoing */
};

/* ---- running the tools ---------------------------------------------------- */

/* Finds program in $PATH, then in the sbin directories a user's PATH often
 * lacks (update-ca-certificates is in /usr/sbin). */
static bool find_program(const char *program, char *buf, size_t cap)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	snprintf(dirs, sizeof dirs, "%s:/usr/local/sbin:/usr/sbin:/sbin",
		 path != NULL ? path : "/usr/local/bin:/usr/bin:/bin");
	for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir != NULL;
	     dir = strtok_r(NULL, ":", &save)) {
		int n = snprintf(buf, cap, "%s/%s", dir, program);

		if (n > 0 && (size_t)n < cap && access(buf, X_OK) == 0)
			return true;
	}
	buf[0] = '\0';
	return false;
}

static void read_output(int fd, char *out, size_t cap)
{
	size_t len = 0;
	char discard[512];

	for (;;) {
		bool full = len + 1 >= cap;
		ssize_t n = full ? read(fd, discard, sizeof discard)
				 : read(fd, out + len, cap - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (!full)
			len += (size_t)n;
	}
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
		len--;
	out[len] = '\0';
}

/* Runs argv[0] (a path) with stdin from /dev/null; stdout and stderr go
 * into out. Returns its exit status, or -1 when it could not be run or was
 * killed (out says why). */
static int run(char *const argv[], char *out, size_t cap)
{
	int pipefd[2], status = 0;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		snprintf(out, cap, "cannot run %s: %s", argv[0], strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null < 0 || dup2(null, 0) < 0 || dup2(pipefd[1], 1) < 0 ||
		    dup2(pipefd[1], 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		dprintf(1, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		snprintf(out, cap, "cannot run %s: %s", argv[0], strerror(errno));
		return -1;
	}
	read_output(pipefd[0], out, cap);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	snprintf(out, cap, "%s was killed by signal %d", argv[0],
		 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}

/* A tool's output under a failure message, indented. */
static void print_output(const char *out)
{
	const char *line = out;

	while (*line != '\0') {
		const char *end = strchr(line, '\n');
		int len = end != NULL ? (int)(end - line) : (int)strlen(line);

		fprintf(stderr, "    | %.*s\n", len, line);
		line += len + (end != NULL ? 1 : 0);
	}
}

/* ---- the plan: where everything is --------------------------------------------- */

static bool home_dir(char *buf, size_t cap)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home == NULL || home[0] == '\0') {
		pw = getpwuid(geteuid());
		home = pw != NULL ? pw->pw_dir : NULL;
	}
	return home != NULL && snprintf(buf, cap, "%s", home) < (int)cap;
}

static void add_db(struct plan *p, const char *dir)
{
	if (p->db_count < NSS_MAX &&
	    snprintf(p->dbs[p->db_count], PATH_MAX, "%s", dir) < PATH_MAX)
		p->db_count++;
}

/* Firefox keeps an NSS database in each profile; only existing ones are
 * used (Firefox makes them, padlock does not). */
static void add_firefox_dbs(struct plan *p, const char *home)
{
	static const char *const patterns[] = {
		"/.mozilla/firefox/*/cert9.db",
		"/snap/firefox/common/.mozilla/firefox/*/cert9.db",
	};
	char pattern[PATH_MAX + 64];

	for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		glob_t g;

		snprintf(pattern, sizeof pattern, "%s%s", home, patterns[i]);
		if (glob(pattern, 0, NULL, &g) != 0)
			continue;
		for (size_t j = 0; j < g.gl_pathc; j++) {
			char *slash = strrchr(g.gl_pathv[j], '/');

			*slash = '\0';
			add_db(p, g.gl_pathv[j]);
		}
		globfree(&g);
	}
}

static void plan_nss(struct plan *p)
{
	const char *env = getenv("PADLOCK_NSSDB");
	char home[PATH_MAX], dir[PATH_MAX + 16];

	find_program("certutil", p->certutil, sizeof p->certutil);
	if (env != NULL && env[0] != '\0') {
		add_db(p, env);
		return;
	}
	if (!home_dir(home, sizeof home))
		return;
	snprintf(dir, sizeof dir, "%s/.pki/nssdb", home);
	add_db(p, dir);
	add_firefox_dbs(p, home);
}

static int plan_init(const pl_x509_ca_t *ca, pl_cli_trust_t scope,
		     struct plan *p)
{
	const char *dir = getenv("PADLOCK_SYSTEM_CA_DIR");
	const char *cmd = getenv("PADLOCK_UPDATE_CA_CMD");
	char hex[65];

	memset(p, 0, sizeof *p);
	p->scope = scope;
	p->ca_pem = pl_x509_ca_cert_path(ca);
	if (pl_x509_ca_fingerprint(ca, hex, sizeof hex) != PL_OK)
		return PL_CLI_EXIT_FAILED;
	/* One name per CA, so that a second CA (another user, a new one)
	 * never replaces or removes the first. */
	snprintf(p->nickname, sizeof p->nickname, "padlock-%.16s", hex);
	p->sys_overridden = dir != NULL && dir[0] != '\0';
	snprintf(p->sys_dir, sizeof p->sys_dir, "%s",
		 p->sys_overridden ? dir : SYSTEM_CA_DIR);
	snprintf(p->sys_file, sizeof p->sys_file, "%s/%s.crt", p->sys_dir,
		 p->nickname);
	p->update_shell = cmd != NULL && cmd[0] != '\0' ? cmd : NULL;
	if (!p->sys_overridden && p->update_shell == NULL)
		find_program(UPDATE_PROGRAM, p->update_program,
			     sizeof p->update_program);
	plan_nss(p);
	return PL_CLI_EXIT_OK;
}

/* ---- the system store ------------------------------------------------------------ */

static bool file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* Reads a small file into buf; its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (len < cap && (n = read(fd, buf + len, cap - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	return len < cap ? (ssize_t)len : -1;
}

/* Writes len bytes to a new file tmp (mode 0644), flushed to disk. */
static int write_new_file(char *tmp, const char *data, size_t len)
{
	int fd = mkostemp(tmp, O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return -1;
	ok = write(fd, data, len) == (ssize_t)len && fchmod(fd, 0644) == 0 &&
	     fsync(fd) == 0;
	if (close(fd) != 0)
		ok = false;
	if (!ok)
		unlink(tmp);
	return ok ? 0 : -1;
}

/* Copies ca.pem to the store under a temporary name, then renames it, so
 * update-ca-certificates never reads half a file. */
static int copy_to_store(const struct plan *p, char *why, size_t cap)
{
	char *data = malloc(FILE_MAX), tmp[PATH_MAX + 80];
	ssize_t len = data != NULL ? read_small(p->ca_pem, data, FILE_MAX) : -1;
	int rc = -1;

	snprintf(tmp, sizeof tmp, "%s/.%s.crt-XXXXXX", p->sys_dir, p->nickname);
	if (len < 0) {
		snprintf(why, cap, "cannot read %s: %s", p->ca_pem,
			 strerror(errno));
	} else if (write_new_file(tmp, data, (size_t)len) != 0) {
		snprintf(why, cap, "cannot write in %s: %s", p->sys_dir,
			 strerror(errno));
	} else if (rename(tmp, p->sys_file) != 0) {
		snprintf(why, cap, "cannot write %s: %s", p->sys_file,
			 strerror(errno));
		unlink(tmp);
	} else {
		rc = 0;
	}
	free(data);
	return rc;
}

/* True when the store has this CA already, byte for byte. */
static bool store_has_ca(const struct plan *p)
{
	char *a = malloc(FILE_MAX), *b = malloc(FILE_MAX);
	ssize_t alen = -1, blen = -1;
	bool same;

	if (a != NULL && b != NULL) {
		alen = read_small(p->ca_pem, a, FILE_MAX);
		blen = read_small(p->sys_file, b, FILE_MAX);
	}
	same = alen >= 0 && alen == blen && memcmp(a, b, (size_t)alen) == 0;
	free(a);
	free(b);
	return same;
}

/* What runs after the store's directory changed, in words. */
static void update_text(const struct plan *p, char *buf, size_t cap)
{
	if (p->update_shell != NULL)
		snprintf(buf, cap, "ran PADLOCK_UPDATE_CA_CMD (%s)",
			 p->update_shell);
	else if (p->sys_overridden)
		snprintf(buf, cap, "ran no update command (PADLOCK_SYSTEM_CA_DIR "
			 "is set, PADLOCK_UPDATE_CA_CMD is not)");
	else
		snprintf(buf, cap, "ran %s", UPDATE_PROGRAM);
}

/* update-ca-certificates, or the test hook's command. 0 on success. */
static int run_update(const struct plan *p, char *out, size_t cap)
{
	if (p->update_shell != NULL) {
		char *argv[] = { "/bin/sh", "-c", (char *)p->update_shell, NULL };

		setenv("PADLOCK_SYSTEM_CA_DIR", p->sys_dir, 1);
		return run(argv, out, cap);
	}
	if (p->sys_overridden) {
		out[0] = '\0';
		return 0;
	}
	char *argv[] = { (char *)p->update_program, NULL };
	return run(argv, out, cap);
}

/* Takes the CA back out of the system store after a failed step. */
static void undo_system(const struct plan *p)
{
	char out[OUTPUT_MAX];

	if (unlink(p->sys_file) != 0) {
		fprintf(stderr, "padlock cert: could not remove %s again (%s): "
			"remove it by hand, then run %s\n", p->sys_file,
			strerror(errno), UPDATE_PROGRAM);
		return;
	}
	if (run_update(p, out, sizeof out) != 0) {
		fprintf(stderr, "padlock cert: removed %s again, but the update "
			"command failed; run %s by hand\n", p->sys_file,
			UPDATE_PROGRAM);
		print_output(out);
		return;
	}
	fprintf(stderr, "padlock cert: undone: removed %s from the system "
		"trust store again\n", p->sys_file);
}

static int install_system(const struct plan *p, struct changes *c)
{
	char why[PATH_MAX + 128], out[OUTPUT_MAX], what[PATH_MAX + 64];
	int status;

	if (store_has_ca(p)) {
		printf("System trust store: already has the local CA (%s).\n",
		       p->sys_file);
		return PL_CLI_EXIT_OK;
	}
	if (copy_to_store(p, why, sizeof why) != 0) {
		fprintf(stderr, "padlock cert: %s; the system trust store is "
			"unchanged\n", why);
		return PL_CLI_EXIT_FAILED;
	}
	status = run_update(p, out, sizeof out);
	update_text(p, what, sizeof what);
	if (status != 0) {
		fprintf(stderr, "padlock cert: added %s, then %s, which failed "
			"(exit %d):\n", p->sys_file, what, status);
		print_output(out);
		undo_system(p);
		return PL_CLI_EXIT_FAILED;
	}
	c->sys_added = true;
	printf("System trust store: added %s and %s;\n  curl, Python and "
	       "other OpenSSL and GnuTLS programs trust the local CA now.\n",
	       p->sys_file, what);
	return PL_CLI_EXIT_OK;
}

/* ---- NSS databases ----------------------------------------------------------------- */

static bool db_exists(const char *dir)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof path, "%s/cert9.db", dir);
	return file_exists(path);
}

/* certutil OPTION -d sql:DIR [more...]: its exit status. */
static int certutil(const struct plan *p, const char *dir, const char *option,
		    const char *const *more, char *out, size_t cap)
{
	char db[PATH_MAX + 8];
	char *argv[16];
	size_t n = 0;

	snprintf(db, sizeof db, "sql:%s", dir);
	argv[n++] = (char *)p->certutil;
	argv[n++] = (char *)option;
	argv[n++] = "-d";
	argv[n++] = db;
	for (; more != NULL && *more != NULL && n + 1 < 16; more++)
		argv[n++] = (char *)*more;
	argv[n] = NULL;
	return run(argv, out, cap);
}

static bool db_has_ca(const struct plan *p, const char *dir)
{
	const char *const more[] = { "-n", p->nickname, NULL };
	char out[OUTPUT_MAX];

	return certutil(p, dir, "-L", more, out, sizeof out) == 0;
}

/* Chromium's database may not exist yet on a machine where Chromium never
 * ran: make it (mode 0700, no password, as Chromium itself would). */
static int create_db(const struct plan *p, const char *dir)
{
	const char *const more[] = { "--empty-password", NULL };
	char out[OUTPUT_MAX], made[PATH_MAX];
	size_t len = strlen(dir);

	for (size_t i = 1; i <= len; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		memcpy(made, dir, i);
		made[i] = '\0';
		if (mkdir(made, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "padlock cert: cannot create %s: %s\n",
				made, strerror(errno));
			return PL_CLI_EXIT_FAILED;
		}
	}
	if (certutil(p, dir, "-N", more, out, sizeof out) != 0) {
		fprintf(stderr, "padlock cert: certutil could not create the NSS "
			"database %s:\n", dir);
		print_output(out);
		return PL_CLI_EXIT_FAILED;
	}
	printf("NSS database %s: created (empty, no password).\n", dir);
	return PL_CLI_EXIT_OK;
}

static int remove_from_db(const struct plan *p, const char *dir, char *out,
			  size_t cap)
{
	const char *const more[] = { "-n", p->nickname, NULL };
	int status = 0;

	/* certutil -D removes one certificate of that nickname per call. */
	for (int i = 0; i < 8 && db_has_ca(p, dir); i++) {
		status = certutil(p, dir, "-D", more, out, cap);
		if (status != 0)
			break;
	}
	return status;
}

static void undo_nss(const struct plan *p, const struct changes *c)
{
	char out[OUTPUT_MAX];

	for (size_t i = 0; i < p->db_count; i++) {
		if (!c->nss_added[i])
			continue;
		if (remove_from_db(p, p->dbs[i], out, sizeof out) == 0) {
			fprintf(stderr, "padlock cert: undone: removed '%s' from "
				"the NSS database %s again\n", p->nickname,
				p->dbs[i]);
		} else {
			fprintf(stderr, "padlock cert: could not remove '%s' from "
				"%s again: run certutil -D -d sql:%s -n %s\n",
				p->nickname, p->dbs[i], p->dbs[i], p->nickname);
			print_output(out);
		}
	}
}

static int install_db(const struct plan *p, size_t i, struct changes *c)
{
	const char *const more[] = { "-t", "C,,", "-n", p->nickname, "-i",
				     p->ca_pem, NULL };
	const char *dir = p->dbs[i];
	char out[OUTPUT_MAX];

	if (!db_exists(dir)) {
		if (create_db(p, dir) != PL_CLI_EXIT_OK)
			return PL_CLI_EXIT_FAILED;
		c->nss_created[i] = true;
	}
	if (db_has_ca(p, dir)) {
		printf("NSS database %s: already has the local CA ('%s').\n",
		       dir, p->nickname);
		return PL_CLI_EXIT_OK;
	}
	if (certutil(p, dir, "-A", more, out, sizeof out) != 0) {
		fprintf(stderr, "padlock cert: certutil could not add the local "
			"CA to the NSS database %s:\n", dir);
		print_output(out);
		return PL_CLI_EXIT_FAILED;
	}
	c->nss_added[i] = true;
	printf("NSS database %s: added the local CA as '%s', trusted to\n"
	       "  identify web sites; Chromium and Firefox trust it now.\n",
	       dir, p->nickname);
	return PL_CLI_EXIT_OK;
}

/* ---- checks before anything changes ------------------------------------------------ */

static void problem(int *count, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One reason the step cannot be done, on stderr. */
static void problem(int *count, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "padlock cert: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	(*count)++;
}

/* Not root: say what to run as root instead, exactly. */
static void need_root(const struct plan *p, bool adding, int *problems)
{
	if (adding)
		problem(problems, "adding the local CA to the system trust "
			"store needs root (%s is not writable for you). Either "
			"run these as root:\n    sudo cp %s %s && sudo %s\n"
			"  or give --nss-only to change only the NSS databases "
			"(Chromium, Firefox).", p->sys_dir, p->ca_pem,
			p->sys_file, UPDATE_PROGRAM);
	else
		problem(problems, "removing the local CA from the system trust "
			"store needs root (%s is not writable for you). Either "
			"run these as root:\n    sudo rm %s && sudo %s\n"
			"  or give --nss-only to change only the NSS databases "
			"(Chromium, Firefox).", p->sys_dir, p->sys_file,
			UPDATE_PROGRAM);
}

/* Everything the system part needs: the directory, permission to write
 * there, the update tool. */
static void check_system(const struct plan *p, bool adding, int *problems)
{
	struct stat sb;

	if (stat(p->sys_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		problem(problems, "the system trust store's directory %s does "
			"not exist%s", p->sys_dir,
			p->sys_overridden ? "" : ": install the ca-certificates "
						 "package (apt-get install "
						 "ca-certificates)");
		return;
	}
	if ((adding || file_exists(p->sys_file)) &&
	    access(p->sys_dir, W_OK) != 0)
		need_root(p, adding, problems);
	if (!p->sys_overridden && p->update_shell == NULL &&
	    p->update_program[0] == '\0')
		problem(problems, "%s was not found: install the "
			"ca-certificates package (apt-get install "
			"ca-certificates)", UPDATE_PROGRAM);
}

static void check_nss(const struct plan *p, bool adding, int *problems)
{
	bool any = false;

	for (size_t i = 0; i < p->db_count; i++)
		any |= db_exists(p->dbs[i]);
	if (p->db_count == 0 && adding)
		problem(problems, "there is no home directory for the NSS "
			"database (HOME is not set)");
	if (p->certutil[0] == '\0' && (adding || any))
		problem(problems, "certutil was not found: it %s the NSS "
			"databases that Chromium and Firefox read; install it "
			"with 'apt-get install libnss3-tools', or give "
			"--system-only", adding ? "adds the local CA to"
						: "removes the local CA from");
}

/* Running as root through sudo, ~ is root's: say whose browsers change. */
static void note_sudo(const struct plan *p)
{
	const char *user = getenv("SUDO_USER");

	if (p->scope.nss && geteuid() == 0 && user != NULL && user[0] != '\0' &&
	    getenv("PADLOCK_NSSDB") == NULL)
		printf("Note: running as root through sudo, so the NSS database "
		       "is root's (%s),\n  not %s's; run 'padlock cert --install "
		       "--nss-only' as %s for their browsers.\n",
		       p->db_count > 0 ? p->dbs[0] : "none", user, user);
}

/* ---- the commands ------------------------------------------------------------------ */

int pl_cli_cert_install(const pl_x509_ca_t *ca, pl_cli_trust_t scope)
{
	struct plan *p = malloc(sizeof *p);
	struct changes c;
	int problems = 0, rc = PL_CLI_EXIT_FAILED;

	memset(&c, 0, sizeof c);
	if (p == NULL || plan_init(ca, scope, p) != PL_CLI_EXIT_OK)
		goto out;
	if (scope.system)
		check_system(p, true, &problems);
	if (scope.nss)
		check_nss(p, true, &problems);
	if (problems > 0) {
		fprintf(stderr, "padlock cert: nothing was changed.\n");
		goto out;
	}
	note_sudo(p);
	if (scope.system && install_system(p, &c) != PL_CLI_EXIT_OK)
		goto out;
	for (size_t i = 0; scope.nss && i < p->db_count; i++) {
		if (install_db(p, i, &c) != PL_CLI_EXIT_OK) {
			undo_nss(p, &c);
			if (c.sys_added)
				undo_system(p);
			fprintf(stderr, "padlock cert: the local CA is not "
				"installed; the trust stores are as they were\n");
			for (size_t j = 0; j <= i; j++)
				if (c.nss_created[j])
					fprintf(stderr, "padlock cert: (the NSS "
						"database made in %s stays, "
						"empty)\n", p->dbs[j]);
			goto out;
		}
	}
	printf("The local CA (%s) is installed. Browsers that are running may "
	       "need a restart.\n", pl_x509_ca_cert_path(ca));
	rc = PL_CLI_EXIT_OK;
out:
	free(p);
	return rc;
}

static int uninstall_system(const struct plan *p)
{
	char out[OUTPUT_MAX], what[PATH_MAX + 64];
	int status;

	if (!file_exists(p->sys_file)) {
		printf("System trust store: did not have the local CA (no %s).\n",
		       p->sys_file);
		return PL_CLI_EXIT_OK;
	}
	if (unlink(p->sys_file) != 0) {
		fprintf(stderr, "padlock cert: cannot remove %s: %s\n",
			p->sys_file, strerror(errno));
		return PL_CLI_EXIT_FAILED;
	}
	status = run_update(p, out, sizeof out);
	update_text(p, what, sizeof what);
	if (status != 0) {
		fprintf(stderr, "padlock cert: removed %s, but then %s failed "
			"(exit %d), so programs may still trust the local CA; "
			"run %s as root:\n", p->sys_file, what, status,
			UPDATE_PROGRAM);
		print_output(out);
		return PL_CLI_EXIT_FAILED;
	}
	printf("System trust store: removed %s and %s.\n", p->sys_file, what);
	return PL_CLI_EXIT_OK;
}

static int uninstall_nss(const struct plan *p)
{
	char out[OUTPUT_MAX];
	int rc = PL_CLI_EXIT_OK;

	for (size_t i = 0; i < p->db_count; i++) {
		const char *dir = p->dbs[i];

		if (!db_exists(dir) || !db_has_ca(p, dir)) {
			printf("NSS database %s: did not have the local CA.\n",
			       dir);
			continue;
		}
		if (remove_from_db(p, dir, out, sizeof out) != 0) {
			fprintf(stderr, "padlock cert: certutil could not remove "
				"'%s' from the NSS database %s:\n", p->nickname,
				dir);
			print_output(out);
			rc = PL_CLI_EXIT_FAILED;
			continue;
		}
		printf("NSS database %s: removed the local CA ('%s').\n", dir,
		       p->nickname);
	}
	return rc;
}

int pl_cli_cert_uninstall(const pl_x509_ca_t *ca, pl_cli_trust_t scope)
{
	struct plan *p = malloc(sizeof *p);
	int problems = 0, rc = PL_CLI_EXIT_FAILED;
	bool nss_failed = false;

	if (p == NULL || plan_init(ca, scope, p) != PL_CLI_EXIT_OK)
		goto out;
	if (scope.system)
		check_system(p, false, &problems);
	if (scope.nss)
		check_nss(p, false, &problems);
	if (problems > 0) {
		fprintf(stderr, "padlock cert: nothing was changed.\n");
		goto out;
	}
	/* Each store on its own: a failure in one does not keep the CA in
	 * the other, and the messages say which is which. */
	if (scope.nss)
		nss_failed = uninstall_nss(p) != PL_CLI_EXIT_OK;
	rc = scope.system ? uninstall_system(p) : PL_CLI_EXIT_OK;
	if (nss_failed || rc != PL_CLI_EXIT_OK) {
		fprintf(stderr, "padlock cert: the local CA is not fully "
			"uninstalled: the lines above say what was removed and "
			"what was not.\n");
		rc = PL_CLI_EXIT_FAILED;
		goto out;
	}
	printf("The local CA is uninstalled; its files stay in %s.\n",
	       pl_x509_ca_dir(ca));
out:
	free(p);
	return rc;
}

pl_cli_trust_t pl_cli_cert_trusted(const pl_x509_ca_t *ca)
{
	pl_cli_trust_t all = { true, true }, trusted = { false, false };
	struct plan *p = malloc(sizeof *p);

	if (p == NULL || plan_init(ca, all, p) != PL_CLI_EXIT_OK) {
		free(p);
		return trusted;
	}
	trusted.system = store_has_ca(p);
	/* Chromium's database is the one that counts here. */
	trusted.nss = p->certutil[0] != '\0' && p->db_count > 0 &&
		      db_exists(p->dbs[0]) && db_has_ca(p, p->dbs[0]);
	free(p);
	return trusted;
}
