/* padlock: the command line. Dispatches to one subcommand per verb. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "get", pl_cli_get,
	  "fetch an HTTPS URL; with -v, explain the connection step by step" },
	{ "serve", pl_cli_serve,
	  "the HTTPS server on 443 that redirects 80 (no options: a demo site)" },
	{ "cert", pl_cli_cert,
	  "a local CA for development: issue certificates, --install it" },
	{ "check", pl_cli_check,
	  "diagnose a site's HTTPS (port, TLS, chain, redirect, HSTS): a grade" },
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: padlock COMMAND [options] [arguments]\n"
		   "       padlock --help | --version\n\ncommands:\n");
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'padlock COMMAND --help' describes a command.\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* "padlock help" and "padlock help get". */
static int help(int argc, char **argv)
{
	char help_flag[] = "--help";
	const struct command *cmd;

	if (argc < 2) {
		usage(stdout);
		return PL_CLI_EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (cmd == NULL) {
		fprintf(stderr, "padlock: '%s' is not a padlock command.\n",
			argv[1]);
		usage(stderr);
		return PL_CLI_EXIT_USAGE;
	}
	char *args[] = { argv[1], help_flag, NULL };
	return cmd->run(2, args);
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		fprintf(stderr, "padlock: no command given.\n");
		usage(stderr);
		return PL_CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return help(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("padlock %s\n", PL_CLI_VERSION);
		return PL_CLI_EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (cmd != NULL)
		return cmd->run(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		fprintf(stderr, "padlock: unknown option '%s' (options go after "
			"the command).\n", argv[1]);
	else
		fprintf(stderr, "padlock: '%s' is not a padlock command.\n",
			argv[1]);
	usage(stderr);
	return PL_CLI_EXIT_USAGE;
}
