/*
 * The command-line reader every subcommand with arguments uses (cli.h):
 * options by their whole name only, "--name value" or "--name=value",
 * options and arguments in any order, "--" to end the options, and one
 * sentence plus the usage on stderr for a command line it cannot read.
 *
 * Not getopt_long: that takes any unambiguous prefix ("--ins" would mean
 * --insecure, and an option added later would break a script's prefix),
 * stops at the first argument under POSIXLY_CORRECT, and reports an
 * unknown option and an unwanted value alike.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int pl_cli_usage_error(const pl_cli_command_t *command, const char *sentence,
		       const char *detail)
{
	fprintf(stderr, "%s: %s%s%s\n", command->name, sentence,
		detail != NULL ? ": " : "", detail != NULL ? detail : "");
	fputs(command->short_usage, stderr);
	return PL_CLI_EXIT_USAGE;
}

/* arg is "--name" or "--name=value" (len: the length of name) or "-x". */
static const pl_cli_option_t *find_option(const pl_cli_parser_t *p,
					  const char *arg, size_t len)
{
	for (size_t i = 0; i < p->option_count; i++) {
		const pl_cli_option_t *o = &p->options[i];

		if (arg[1] == '-' && strlen(o->name) == len &&
		    strncmp(arg + 2, o->name, len) == 0)
			return o;
		if (arg[1] != '-' && o->letter != 0 && arg[1] == o->letter &&
		    arg[2] == '\0')
			return o;
	}
	return NULL;
}

/* The option at argv[*i]; its value may be the next argument, which is
 * then taken whatever it looks like ("--out --where" is an --out). */
static int read_option(const pl_cli_parser_t *p, int argc, char **argv,
		       int *i, void *ctx)
{
	const char *arg = argv[*i];
	const char *eq = arg[1] == '-' ? strchr(arg, '=') : NULL;
	size_t shown = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	const pl_cli_option_t *option = find_option(p, arg, shown - 2);
	const char *value = eq != NULL ? eq + 1 : NULL;
	char what[300];

	/* Messages name the option as typed, without its value. */
	snprintf(what, sizeof what, "'%.*s'", (int)shown, arg);
	if (option == NULL)
		return pl_cli_usage_error(p->command, "unknown option", what);
	if (!option->has_value && value != NULL)
		return pl_cli_usage_error(p->command,
					  "this option takes no value", what);
	if (option->has_value && value == NULL) {
		if (*i + 1 >= argc)
			return pl_cli_usage_error(p->command,
						  "this option needs a value",
						  what);
		value = argv[++*i];
	}
	return p->on_option(ctx, option, value);
}

int pl_cli_parse_args(const pl_cli_parser_t *p, int argc, char **argv,
		      void *ctx)
{
	bool options_done = false;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int rc;

		if (!options_done && strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (!options_done && arg[0] == '-' && arg[1] != '\0')
			rc = read_option(p, argc, argv, &i, ctx);
		else
			rc = p->on_argument(ctx, arg);
		if (rc != PL_CLI_EXIT_OK)
			return rc;
	}
	return PL_CLI_EXIT_OK;
}

const char *pl_cli_tls_versions(const char *value, uint16_t *min,
				uint16_t *max)
{
	int rc = pl_tls_versions_parse(value, min, max);

	if (rc == PL_ERR_UNSUPPORTED)
		return "--tls-versions: padlock never speaks SSL 3.0, TLS 1.0 "
		       "or TLS 1.1 (RFC 8996); use 1.2, 1.3 or 1.2-1.3";
	if (rc != PL_OK)
		return "--tls-versions wants 1.2, 1.3 or 1.2-1.3";
	return NULL;
}
