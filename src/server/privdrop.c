/*
 * Who the workers run as. A master started as root keeps root (to bind
 * 443 and 80 and to read root-only keys on reload) and its workers, the
 * processes whose TLS and HTTP parsers and file server face the network,
 * never do: they become --user, by default the system user "padlock" when
 * it exists (make install creates it), else nobody:nogroup. They keep no
 * capability (the bounding set is emptied where the master may do so, and
 * a uid that leaves 0 loses the rest), and PR_SET_NO_NEW_PRIVS keeps them
 * from gaining any through execve. --user root is refused unless
 * --unsafe-root-workers says the operator means it.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/server_int.h"

static void name_group(pl_srv_identity_t *id)
{
	struct group *gr = getgrgid(id->gid);
	if (gr)
		snprintf(id->group, sizeof(id->group), "%s", gr->gr_name);
	else
		snprintf(id->group, sizeof(id->group), "%u", (unsigned)id->gid);
}

int pl_srv_identity_resolve(const pl_srv_options_t *o, pl_srv_identity_t *id,
			    char *err, size_t err_len)
{
	memset(id, 0, sizeof(*id));
	if (geteuid() != 0) {
		if (o->user) {
			snprintf(err, err_len,
				 "--user needs padlock to start as root");
			return PL_ERR_ARG;
		}
		struct passwd *me = getpwuid(geteuid());
		id->uid = geteuid();
		id->gid = getegid();
		snprintf(id->user, sizeof(id->user), "%s",
			 me ? me->pw_name : "?");
		name_group(id);
		return PL_OK;
	}
	const char *name = o->user;
	struct passwd *pw = NULL;
	if (name)
		pw = getpwnam(name);
	else if ((pw = getpwnam("padlock")) != NULL)
		name = "padlock";
	else if ((pw = getpwnam("nobody")) != NULL)
		name = "nobody";
	if (pw == NULL) {
		snprintf(err, err_len,
			 name ? "--user %s: no such user"
			      : "%sno unprivileged user to run the workers as "
				"(neither padlock nor nobody exists): create one "
				"(useradd --system padlock) or name one with --user",
			 name ? name : "");
		return PL_ERR_ARG;
	}
	if (pw->pw_uid == 0 && !o->unsafe_root_workers) {
		snprintf(err, err_len,
			 "--user %s: refusing to run the workers as root, where "
			 "every TLS and HTTP parser would face the network with "
			 "all privileges; name an unprivileged user, or force it "
			 "with --unsafe-root-workers",
			 name);
		return PL_ERR_ARG;
	}
	id->uid = pw->pw_uid;
	/* nobody's own group is nogroup on Debian; use the user's group */
	id->gid = pw->pw_gid;
	id->drop = pw->pw_uid != 0;
	id->chosen = o->user == NULL;
	snprintf(id->user, sizeof(id->user), "%s", pw->pw_name);
	name_group(id);
	return PL_OK;
}

/* Empties the bounding set (needs CAP_SETPCAP, which a systemd unit may
 * not grant; then the unit's own bounding set is what is left). */
static void drop_bounding_set(void)
{
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
		    (errno == EINVAL || errno == EPERM))
			break;
}

/* No permitted, effective or inheritable capability (a worker kept as
 * root with --unsafe-root-workers too). */
static int clear_capabilities(void)
{
	struct __user_cap_header_struct head = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return syscall(SYS_capset, &head, data) < 0 ? -1 : 0;
}

int pl_srv_identity_enter(const pl_srv_identity_t *id)
{
	if (id->drop) {
		drop_bounding_set();
		if (setgroups(0, NULL) < 0 || setgid(id->gid) < 0 ||
		    setuid(id->uid) < 0)
			return PL_ERR_IO;
		/* the way back must be closed */
		if (setuid(0) == 0) {
			errno = EPERM;
			return PL_ERR_IO;
		}
	} else if (geteuid() == 0) {
		drop_bounding_set();
	}
	if (clear_capabilities() < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return PL_ERR_IO;
	return PL_OK;
}

int pl_srv_identity_can_read(const pl_srv_identity_t *id, const char *dir)
{
	if (!id->drop)
		return 0;
	pid_t pid = fork();
	if (pid < 0)
		return 0; /* cannot tell: the requests will */
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(id->gid) < 0 ||
		    setuid(id->uid) < 0)
			_exit(0);
		_exit(access(dir, R_OK | X_OK) == 0 ? 0 : errno & 0xff);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
}
