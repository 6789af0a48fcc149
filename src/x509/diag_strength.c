/*
 * What clients refuse in a certificate itself: weak keys, weak signature
 * hashes, a server certificate not meant for TLS servers (RFC 5280
 * 4.2.1.12) or that is a CA (RFC 5280 4.2.1.9; Firefox refuses one as an
 * end entity). Thresholds are those of browsers and of security level 2
 * (112-bit): RSA 2048, ECDSA P-256 (browsers do not offer P-224), no MD5
 * or SHA-1 signatures (SHAttered, 2017).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "x509/diagnose_internal.h"

#define RSA_MIN_BITS 2048
#define EC_MIN_BITS 256

static bool is_leaf(const pl_x509_diag_t *d, const pl_x509_diag_node_t *n)
{
	return n->index >= 0 && (size_t)n->index == d->leaf;
}

/* True when the key of x is below the thresholds. */
static bool key_is_weak(X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	int bits;

	if (pk == NULL) {
		ERR_clear_error();
		return false; /* unreadable: verification says so */
	}
	bits = EVP_PKEY_get_bits(pk);
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
	case EVP_PKEY_DSA:
	case EVP_PKEY_DH:
		return bits < RSA_MIN_BITS;
	case EVP_PKEY_EC:
		return bits < EC_MIN_BITS;
	default:
		return false; /* Ed25519, Ed448 */
	}
}

static void check_key(pl_x509_diag_t *d, const pl_x509_diag_node_t *n)
{
	static const char new_key[] =
		"make a new key ('openssl genpkey -algorithm EC -pkeyopt "
		"ec_paramgen_curve:P-256', or RSA of 2048 bits or more) and get "
		"a new certificate for it";
	static const char stronger_ca[] =
		"use a chain from a CA whose keys are at least RSA 2048 or "
		"ECDSA P-256";
	char label[200], key[64];

	if (!key_is_weak(n->x509))
		return;
	pl_x509_diag_label(d, n->x509, n->index, label, sizeof(label));
	pl_x509_key_text(n->x509, key, sizeof(key));
	pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR, "key.weak", n->index,
			 is_leaf(d, n) ? new_key : stronger_ca,
			 "%s has a key too weak for clients to accept (%s; at "
			 "least RSA 2048 or ECDSA P-256 is needed)", label,
			 key);
}

/* The name of a broken signature hash, or NULL when mdnid is not one. */
static const char *weak_hash(int mdnid)
{
	switch (mdnid) {
	case NID_md2:
		return "MD2";
	case NID_md4:
		return "MD4";
	case NID_md5:
	case NID_md5_sha1:
		return "MD5";
	case NID_sha1:
		return "SHA-1";
	default:
		return NULL;
	}
}

static void check_signature(pl_x509_diag_t *d, const pl_x509_diag_node_t *n)
{
	char label[200];
	const char *hash, *alg;
	int mdnid = NID_undef, nid;

	/* A signature on itself proves nothing, and clients do not check
	 * it: a self-signed certificate is trusted as it is, or not. */
	if (n->self_signed)
		return;
	if (X509_get_signature_info(n->x509, &mdnid, NULL, NULL, NULL) != 1) {
		ERR_clear_error();
		return;
	}
	hash = weak_hash(mdnid);
	if (hash == NULL)
		return;
	nid = X509_get_signature_nid(n->x509);
	alg = OBJ_nid2ln(nid) != NULL ? OBJ_nid2ln(nid) : "unknown algorithm";
	pl_x509_diag_label(d, n->x509, n->index, label, sizeof(label));
	pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR, "sig.weak", n->index,
			 is_leaf(d, n) ?
				 "have the certificate reissued (CAs sign with "
				 "SHA-256 today)" :
				 "replace the intermediate with its SHA-256 "
				 "version from your CA",
			 "%s is signed with %s (%s), which clients no longer "
			 "accept", label, hash, alg);
}

/* "clientAuth, emailProtection": what an extended key usage allows. */
static void usages_text(uint32_t xku, char *buf, size_t cap)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} usages[] = {
		{ XKU_SSL_CLIENT, "clientAuth" },
		{ XKU_SMIME, "emailProtection" },
		{ XKU_CODE_SIGN, "codeSigning" },
		{ XKU_OCSP_SIGN, "OCSPSigning" },
		{ XKU_TIMESTAMP, "timeStamping" },
		{ XKU_ANYEKU, "anyExtendedKeyUsage" },
	};
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(usages) / sizeof(usages[0]); i++) {
		if ((xku & usages[i].bit) == 0 || len >= cap)
			continue;
		len += (size_t)snprintf(buf + len, cap - len, "%s%s",
					len > 0 ? ", " : "", usages[i].name);
	}
	if (buf[0] == '\0')
		snprintf(buf, cap, "other purposes");
}

static void check_leaf_purpose(pl_x509_diag_t *d)
{
	X509 *leaf = d->chain->entries[d->leaf].x509;
	uint32_t flags = X509_get_extension_flags(leaf);
	char label[200], usages[200];

	pl_x509_diag_label(d, leaf, (int)d->leaf, label, sizeof(label));
	if ((flags & EXFLAG_XKUSAGE) &&
	    (X509_get_extended_key_usage(leaf) & XKU_SSL_SERVER) == 0) {
		usages_text(X509_get_extended_key_usage(leaf), usages,
			    sizeof(usages));
		pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR,
				 "cert.no-server-auth", (int)d->leaf,
				 "get a certificate issued for a TLS server "
				 "(extendedKeyUsage serverAuth)",
				 "%s is not for TLS servers: its extended key "
				 "usage allows %s but not serverAuth", label,
				 usages);
	}
	if (flags & EXFLAG_CA)
		pl_x509_diag_add(d, PL_X509_SEVERITY_ERROR, "cert.ca-as-leaf",
				 (int)d->leaf,
				 "serve a server certificate with "
				 "basicConstraints CA:FALSE, issued by this CA "
				 "or another one",
				 "%s is a CA certificate (basicConstraints "
				 "CA:TRUE); clients such as Firefox refuse a "
				 "CA certificate as a server's own", label);
	ERR_clear_error();
}

void pl_x509_diag_check_strength(pl_x509_diag_t *d)
{
	size_t i;

	for (i = 0; i < d->path_len; i++) {
		/* A root's key matters in the client's copy, not this one. */
		if (i == 0 || !d->path[i].self_signed)
			check_key(d, &d->path[i]);
		check_signature(d, &d->path[i]);
	}
	check_leaf_purpose(d);
}
