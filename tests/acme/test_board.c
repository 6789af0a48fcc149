/* Tests src/server/acme/board.c: an answer published by one process is
 * found by another (the board is shared before fork), by token and by the
 * name being validated (any case), and is gone once withdrawn. */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/acme/acme.h"
#include "test.h"

static void answers_are_found_by_token_and_name(void)
{
	char ka[256], err[128];

	CHECK_EQ_INT(pl_acme_board_init(), PL_OK);
	CHECK_EQ_INT(pl_acme_board_publish(PL_ACME_HTTP01, "a.example.com",
					   "tok1", "tok1.thumb", err, sizeof err),
		     PL_OK);
	CHECK(pl_acme_board_find(PL_ACME_HTTP01, "A.Example.COM", 13, "tok1", 4,
				 ka, sizeof ka));
	CHECK(strcmp(ka, "tok1.thumb") == 0);
	/* another name, another token, a prefix of the token: nothing */
	CHECK(!pl_acme_board_find(PL_ACME_HTTP01, "b.example.com", 13, "tok1", 4,
				  ka, sizeof ka));
	CHECK(!pl_acme_board_find(PL_ACME_HTTP01, "a.example.com", 13, "tok2", 4,
				  ka, sizeof ka));
	CHECK(!pl_acme_board_find(PL_ACME_HTTP01, "a.example.com", 13, "tok", 3,
				  ka, sizeof ka));
	CHECK(!pl_acme_board_find(PL_ACME_TLSALPN01, "a.example.com", 13, "tok1",
				  4, ka, sizeof ka));
	pl_acme_board_withdraw(PL_ACME_HTTP01, "a.example.com", "tok1");
	CHECK(!pl_acme_board_find(PL_ACME_HTTP01, "a.example.com", 13, "tok1", 4,
				  ka, sizeof ka));
}

static void another_process_sees_what_is_published(void)
{
	char ka[256], err[128];
	int status = -1;
	pid_t pid;

	CHECK_EQ_INT(pl_acme_board_init(), PL_OK);
	pid = fork();
	if (pid == 0) {
		/* the ACME process */
		_exit(pl_acme_board_publish(PL_ACME_HTTP01, "c.example.com", "t3",
					    "t3.thumb", err, sizeof err) == PL_OK
			      ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && status == 0);
	CHECK(pl_acme_board_find(PL_ACME_HTTP01, "c.example.com", 13, "t3", 2,
				 ka, sizeof ka));
	CHECK(strcmp(ka, "t3.thumb") == 0);
}

static void the_board_is_bounded(void)
{
	char err[128], tok[16];
	int i, rc = PL_OK;

	for (i = 0; i < 100 && rc == PL_OK; i++) {
		snprintf(tok, sizeof tok, "n%d", i);
		rc = pl_acme_board_publish(PL_ACME_HTTP01, "x.example.com", tok,
					   "k", err, sizeof err);
	}
	CHECK_EQ_INT(rc, PL_ERR_NOMEM);
	CHECK(strstr(err, "challenges at once") != NULL);
}

int main(void)
{
	RUN(answers_are_found_by_token_and_name);
	RUN(another_process_sees_what_is_published);
	RUN(the_board_is_bounded);
	return test_finish();
}
