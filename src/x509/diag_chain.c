/*
 * The shape of the chain file: order, copies, certificates that do not
 * belong, intermediates that are missing (and where to find them), roots
 * sent for nothing, self-signed certificates and roots nobody trusts.
 * RFC 8446 4.4.2: the server's certificate comes first, and each following
 * certificate SHOULD certify the one before it; RFC 5246 7.4.2 (TLS 1.2)
 * made that a MUST, and the root MAY be left out.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "x509/diagnose_internal.h"

/* The file a completed chain is written to, beside the chain file, as a
 * shell word. Never the chain file itself: "cat fullchain.pem x.pem >
 * fullchain.pem" would empty it before reading it. */
static void output_file(const pl_x509_diag_t *d, char *buf, size_t cap)
{
	const char *chain = pl_x509_diag_chain_file(d);
	const char *slash = strrchr(chain, '/');
	const char *base = slash != NULL ? slash + 1 : chain;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%.*s%s",
		 slash != NULL ? (int)(slash - chain + 1) : 0, chain,
		 strcmp(base, "fullchain.pem") == 0 ? "fullchain-new.pem" :
						      "fullchain.pem");
	pl_x509_diag_shell_word(path, buf, cap);
}

/* How the trust store is named in sentences. */
static void store_text(const pl_x509_diag_t *d, char *buf, size_t cap)
{
	const pl_x509_store_t *s = d->opts->store;

	if (s->system)
		snprintf(buf, cap, "the system's trusted CAs");
	else if (s->ca_file != NULL && s->ca_path != NULL)
		snprintf(buf, cap, "the trusted CAs of %s and %s", s->ca_file,
			 s->ca_path);
	else
		snprintf(buf, cap, "the trusted CAs of %s",
			 s->ca_file != NULL ? s->ca_file : s->ca_path);
}

/* The fix of chain.order: the certificates of the file numbered in the
 * order they belong ("1, 3, 2"), the path's first, then the others that
 * are not copies. */
static void order_fix(const pl_x509_diag_t *d, char *fix, size_t cap)
{
	pl_x509_diag_text_t t = { fix, cap, 0 };
	const char *comma = "";
	size_t i;

	fix[0] = '\0';
	pl_x509_diag_text_add(&t, "rewrite %s with its certificates in this "
			      "order: ", pl_x509_diag_chain_file(d));
	for (i = 0; i < d->path_len; i++) {
		if (d->path[i].index < 0)
			continue;
		pl_x509_diag_text_add(&t, "%s%d", comma, d->path[i].index + 1);
		comma = ", ";
	}
	for (i = 0; i < d->chain->count; i++) {
		if (d->on_path[i] || d->duplicate[i])
			continue;
		pl_x509_diag_text_add(&t, "%s%zu", comma, i + 1);
		comma = ", ";
	}
	pl_x509_diag_text_add(&t, " (the server certificate first, then "
			      "each issuer)");
}

/* The file does not start with the server's certificate. */
static void check_leaf_first(pl_x509_diag_t *d)
{
	char fix[PL_X509_DIAG_TEXT_MAX], first[200], leaf[200];

	order_fix(d, fix, sizeof(fix));
	pl_x509_diag_label(d, d->chain->entries[0].x509, 0, first,
			   sizeof(first));
	pl_x509_diag_label(d, d->path[0].x509, d->path[0].index, leaf,
			   sizeof(leaf));
	pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR, "chain.order", 0, fix,
			 "the file starts with %s instead of the server's own "
			 "certificate: %s is certificate %zu of %zu, and "
			 "clients take the first one as the server's", first,
			 leaf, d->leaf + 1, d->chain->count);
}

/* A certificate of the path comes before one it certifies. */
static void check_order(pl_x509_diag_t *d)
{
	char fix[PL_X509_DIAG_TEXT_MAX], issuer[200], subject[200];
	const pl_x509_diag_node_t *p = d->path, *prev = NULL;
	size_t i;

	if (d->leaf != 0) {
		check_leaf_first(d);
		return;
	}
	for (i = 0; i < d->path_len; i++) {
		if (p[i].index < 0)
			continue;
		if (prev != NULL && p[i].index < prev->index)
			break;
		prev = &p[i];
	}
	if (i == d->path_len)
		return;
	/* p[i] certifies prev (maybe through intermediates missing from
	 * the file), yet comes first. */
	order_fix(d, fix, sizeof(fix));
	pl_x509_diag_label(d, p[i].x509, p[i].index, issuer, sizeof(issuer));
	pl_x509_diag_label(d, prev->x509, prev->index, subject,
			   sizeof(subject));
	pl_x509_diag_add(d, PL_X509_SEVERITY_WARNING, "chain.order", p[i].index,
			 fix,
			 "the certificates are out of order: %s (certificate "
			 "%d) comes before %s (certificate %d), which it "
			 "certifies; TLS 1.2 clients and older libraries need "
			 "each certificate followed by its issuer", issuer,
			 p[i].index + 1, subject, prev->index + 1);
}

/* True when x issued a certificate of the path (a cross-signing or older
 * copy of an issuer: not the one used, but not unrelated either). */
static bool issues_path(const pl_x509_diag_t *d, X509 *x)
{
	size_t i;

	for (i = 0; i < d->path_len; i++)
		if (d->path[i].x509 != x &&
		    X509_check_issued(x, d->path[i].x509) == X509_V_OK)
			return true;
	return false;
}

static void check_extras(pl_x509_diag_t *d)
{
	char fix[PL_X509_DIAG_TEXT_MAX], label[200];
	const char *file = pl_x509_diag_chain_file(d);
	size_t i, j;

	for (i = 0; i < d->chain->count; i++) {
		X509 *x = d->chain->entries[i].x509;

		if (d->on_path[i])
			continue;
		pl_x509_diag_label(d, x, (int)i, label, sizeof(label));
		if (d->duplicate[i]) {
			for (j = 0; j < i; j++)
				if (X509_cmp(d->chain->entries[j].x509, x) == 0)
					break;
			snprintf(fix, sizeof(fix),
				 "delete the second copy from %s", file);
			pl_x509_diag_add(d, PL_X509_SEVERITY_WARNING,
					 "chain.duplicate", (int)i, fix,
					 "certificate %zu, %s, is a copy of "
					 "certificate %zu; every handshake "
					 "carries it twice", i + 1, label,
					 j + 1);
			continue;
		}
		if (issues_path(d, x))
			continue;
		snprintf(fix, sizeof(fix), "remove it from %s", file);
		pl_x509_diag_add(d, PL_X509_SEVERITY_WARNING, "chain.unrelated",
				 (int)i, fix,
				 "certificate %zu, %s, is not part of the "
				 "chain from the server certificate to its "
				 "root; clients ignore it, and every "
				 "handshake carries it for nothing", i + 1,
				 label);
	}
}

/* Appends to l how to get the certificates of path[from..to) into the
 * chain file. */
static void append_fix(const pl_x509_diag_t *d, size_t from, size_t to,
		       pl_x509_diag_text_t *l)
{
	char name[160], out[PATH_MAX + 8];
	size_t i;
	bool all_files = true;

	output_file(d, out, sizeof(out));
	for (i = from; i < to; i++)
		all_files = all_files && d->path[i].where != NULL &&
			    !d->path[i].in_bundle;
	if (all_files) {
		pl_x509_diag_text_add(l, "append %s to the chain: cat ",
			 to - from > 1 ? "them" : "it");
		pl_x509_diag_text_word(l, pl_x509_diag_chain_file(d));
		for (i = from; i < to; i++) {
			pl_x509_diag_text_add(l, " ");
			pl_x509_diag_text_word(l, d->path[i].where);
		}
		pl_x509_diag_text_add(l, " > %s, and serve %s", out, out);
		return;
	}
	pl_x509_name_text(X509_get_subject_name(d->path[from].x509), name,
			  sizeof(name));
	if (d->path[from].where != NULL)
		pl_x509_diag_text_add(l, "copy the certificate '%s' out of %s "
				      "into intermediate.pem", name,
				      d->path[from].where);
	else
		pl_x509_diag_text_add(l, "export the certificate '%s' from the "
				      "trust store (or download it from your "
				      "CA) into intermediate.pem", name);
	pl_x509_diag_text_add(l, ", then: cat ");
	pl_x509_diag_text_word(l, pl_x509_diag_chain_file(d));
	pl_x509_diag_text_add(l, " intermediate.pem > %s, and serve %s", out,
			      out);
}

/* Where a missing intermediate was found, for the sentence. */
static void found_text(const pl_x509_diag_node_t *n, char *buf, size_t cap)
{
	if (n->where != NULL && !n->in_bundle)
		snprintf(buf, cap, "%s has it: %s", n->from_store ?
			 "this machine's trust store" : "the intermediates "
			 "directory", n->where);
	else if (n->where != NULL)
		snprintf(buf, cap, "the CA file %s has it", n->where);
	else
		snprintf(buf, cap, "this machine's trust store has it");
}

/* An intermediate the path took from the store or the directory: the chain
 * file lacks it. (A root found there is not missing: clients have theirs,
 * or chain.untrusted-root says they do not.) */
static bool missing(const pl_x509_diag_node_t *n)
{
	return n->index < 0 && !n->self_signed;
}

/* The chain file lacks intermediates: one finding per run of them. */
static void check_found_intermediates(pl_x509_diag_t *d)
{
	char fix[PL_X509_DIAG_TEXT_MAX], label[200], name[160];
	char found[PATH_MAX + 64];
	pl_x509_diag_text_t l;
	size_t i, end;

	for (i = 1; i < d->path_len; i = end) {
		const pl_x509_diag_node_t *below = &d->path[i - 1];

		end = i + 1;
		if (!missing(&d->path[i]))
			continue;
		while (end < d->path_len && missing(&d->path[end]))
			end++;
		fix[0] = '\0';
		l = (pl_x509_diag_text_t){ fix, sizeof(fix), 0 };
		append_fix(d, i, end, &l);
		pl_x509_diag_label(d, below->x509, below->index, label,
				   sizeof(label));
		pl_x509_name_text(X509_get_subject_name(d->path[i].x509), name,
				  sizeof(name));
		found_text(&d->path[i], found, sizeof(found));
		pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR,
				 "chain.missing-intermediate", below->index,
				 fix, "%s is issued by intermediate '%s', which is "
				 "not in %s and not a trusted root, so clients "
				 "cannot connect it to a root; %s%s", label,
				 name, pl_x509_diag_chain_file(d), found,
				 end - i > 1 ? " (and the intermediates above "
					       "it are missing too)" : "");
	}
}

/* The top of the path has an issuer that is found nowhere. */
static void check_no_issuer(pl_x509_diag_t *d)
{
	const pl_x509_diag_node_t *top = &d->path[d->path_len - 1];
	char fix[PL_X509_DIAG_TEXT_MAX] = "", label[200], issuer[160],
		url[256], store[PATH_MAX + 64], out[PATH_MAX + 8];
	pl_x509_diag_text_t l = { fix, sizeof(fix), 0 };

	output_file(d, out, sizeof(out));
	pl_x509_diag_label(d, top->x509, top->index, label, sizeof(label));
	pl_x509_name_text(X509_get_issuer_name(top->x509), issuer,
			  sizeof(issuer));
	pl_x509_ca_issuers_url(top->x509, url, sizeof(url));
	store_text(d, store, sizeof(store));
	pl_x509_diag_text_add(&l, "get the intermediate certificate '%s' "
			      "from your CA", issuer);
	if (url[0] != '\0')
		pl_x509_diag_text_add(&l, " (the certificate names it: %s; "
				      "convert it with 'openssl x509 -inform "
				      "DER' if it is not PEM)", url);
	pl_x509_diag_text_add(&l, " and append it: cat ");
	pl_x509_diag_text_word(&l, pl_x509_diag_chain_file(d));
	pl_x509_diag_text_add(&l, " intermediate.pem > %s; if '%s' is a root "
			      "of your own, make the clients trust it instead",
			      out, issuer);
	pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR,
			 "chain.missing-intermediate", top->index, fix,
			 "%s is issued by '%s', which is neither in %s nor "
			 "among %s, so clients cannot connect it to a root",
			 label, issuer, pl_x509_diag_chain_file(d), store);
}

/* The server certificate is its own root. */
static void check_self_signed(pl_x509_diag_t *d)
{
	const pl_x509_diag_node_t *leaf = &d->path[0];
	bool trusted = d->end == PL_X509_END_TRUSTED;
	char label[200], store[PATH_MAX + 64];

	pl_x509_diag_label(d, leaf->x509, leaf->index, label, sizeof(label));
	store_text(d, store, sizeof(store));
	pl_x509_diag_add(d, trusted ? PL_X509_SEVERITY_WARNING :
				      PL_X509_SEVERITY_ERROR,
			 "cert.self-signed", leaf->index,
			 "use a certificate from a CA: a public one (such as "
			 "Let's Encrypt) for a public site, or 'padlock cert "
			 "NAME' and 'padlock cert --install' for local "
			 "development",
			 "%s is self-signed and %s among %s: clients reject it "
			 "unless they were told to trust this very certificate",
			 label, trusted ? "is" : "not", store);
}

/* Roots sent in the file: allowed, useless. */
static void check_root_included(pl_x509_diag_t *d)
{
	char fix[PL_X509_DIAG_TEXT_MAX], root[200];
	size_t i;

	for (i = 1; i < d->path_len; i++) {
		const pl_x509_diag_node_t *n = &d->path[i];

		if (!n->self_signed || n->index < 0)
			continue;
		pl_x509_diag_label(d, n->x509, n->index, root, sizeof(root));
		snprintf(fix, sizeof(fix), "remove it from %s (optional)",
			 pl_x509_diag_chain_file(d));
		pl_x509_diag_add(d, PL_X509_SEVERITY_INFO,
				 "chain.root-included", n->index, fix,
				 "certificate %d is the %s; clients use their "
				 "own copy of a root, so sending it only adds "
				 "%zu bytes to every handshake", n->index + 1,
				 root, d->chain->entries[n->index].der_len);
	}
}

/* The path ends at a root the store does not have. */
static void check_untrusted_root(pl_x509_diag_t *d)
{
	const pl_x509_diag_node_t *top = &d->path[d->path_len - 1];
	char label[200], store[PATH_MAX + 64];

	pl_x509_diag_label(d, top->x509, top->index, label, sizeof(label));
	store_text(d, store, sizeof(store));
	pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR, "chain.untrusted-root",
			 top->index,
			 "if this is your own CA, make the clients trust it "
			 "('padlock cert --install' on each machine; padlock "
			 "check and padlock cert check take it with "
			 "--ca-file); for a public site, get a certificate "
			 "from a publicly trusted CA",
			 "the chain ends at %s, which is not among %s, so "
			 "clients that do not trust it reject the chain",
			 label, store);
}

void pl_x509_diag_check_chain(pl_x509_diag_t *d)
{
	check_order(d);
	check_extras(d);
	check_found_intermediates(d);
	if (d->end == PL_X509_END_NO_ISSUER)
		check_no_issuer(d);
	if (d->path_len == 1 && d->path[0].self_signed) {
		check_self_signed(d);
		return;
	}
	check_root_included(d);
	if (d->end == PL_X509_END_UNTRUSTED_ROOT)
		check_untrusted_root(d);
}
