/* padlock: the command line. Subcommands are added by their issues. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	fprintf(stderr, "usage: padlock get URL\n");
	return 2;
}
