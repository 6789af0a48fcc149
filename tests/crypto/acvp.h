/* Reading the ACVP ML-KEM vectors of tests/crypto/data/mlkem/ (JSON, read
 * with jansson) for the tests of src/crypto: test_mlkem.c, test_hybrid.c. */
#ifndef PADLOCK_TESTS_CRYPTO_ACVP_H
#define PADLOCK_TESTS_CRYPTO_ACVP_H

#include <stdint.h>

#include <jansson.h>

#include "test.h"

#define MAX_HEX_BYTES 4096

/* The vector file NAME of tests/crypto/data/mlkem/, parsed; exits when it
 * cannot be read (a missing file must fail the test, not skip it). */
static inline json_t *load_vectors(const char *name)
{
	const char *src = getenv("PADLOCK_SOURCE_DIR");
	char path[1024];
	json_error_t error;
	json_t *root;

	snprintf(path, sizeof(path), "%s/tests/crypto/data/mlkem/%s",
		 src != NULL ? src : ".", name);
	root = json_load_file(path, 0, &error);
	if (root == NULL) {
		fprintf(stderr, "%s: %s (line %d)\n", path, error.text,
			error.line);
		exit(1);
	}
	return root;
}

/* The hex string field `key` of obj decoded into out; its length, which
 * the caller checks (0 when the field is missing). */
static inline size_t hex_field(const json_t *obj, const char *key, uint8_t *out)
{
	const char *hex = json_string_value(json_object_get(obj, key));

	if (hex == NULL || strlen(hex) > 2 * MAX_HEX_BYTES)
		return 0;
	return test_unhex(hex, out, MAX_HEX_BYTES);
}

/* Calls fn on every test of the groups of root whose "function" is
 * function (NULL: any); checks that each group is ML-KEM-768; returns the
 * number of tests. */
static inline size_t for_groups(json_t *root, const char *function,
			 void (*fn)(const json_t *group, const json_t *test))
{
	json_t *groups = json_object_get(root, "testGroups"), *group, *test;
	size_t gi, ti, count = 0;

	json_array_foreach(groups, gi, group) {
		const char *set = json_string_value(
			json_object_get(group, "parameterSet"));
		const char *fun = json_string_value(
			json_object_get(group, "function"));

		CHECK(set != NULL && strcmp(set, "ML-KEM-768") == 0);
		if (function != NULL &&
		    (fun == NULL || strcmp(fun, function) != 0))
			continue;
		json_array_foreach(json_object_get(group, "tests"), ti, test) {
			fn(group, test);
			count++;
		}
	}
	return count;
}

#endif
