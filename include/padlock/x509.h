/*
 * padlock x509: certificates, private keys, trust stores and chain
 * verification (RFC 5280 path validation through libcrypto's X509_STORE,
 * RFC 6125 host name checks).
 *
 * Objects are opaque and owned by the caller, who frees them with their
 * _free function. Functions that can fail on user input take an err buffer
 * and write one sentence there that names the file and the cause
 * ("/etc/padlock/site.pem: no certificate found").
 */
#ifndef PADLOCK_X509_H
#define PADLOCK_X509_H

#include <time.h>

#include "padlock/common.h"
#include "padlock/crypto.h"

/* ---- certificate chains ----------------------------------------------- */

/* A list of certificates as a server presents it: leaf first. */
typedef struct pl_x509_chain pl_x509_chain_t;

/* Loads every certificate of a PEM file, in file order. */
pl_x509_chain_t *pl_x509_chain_load_pem(const char *path, char *err,
					size_t err_len);

/* Builds a chain from DER certificates (as a TLS Certificate message
 * carries them). PL_ERR_DECODE with err set when one does not parse. */
int pl_x509_chain_from_der(const uint8_t *const *der, const size_t *len,
			   size_t count, pl_x509_chain_t **out, char *err,
			   size_t err_len);

size_t pl_x509_chain_count(const pl_x509_chain_t *c);

/* DER of certificate i (0 = leaf); the pointer stays valid while c lives. */
const uint8_t *pl_x509_chain_der(const pl_x509_chain_t *c, size_t i,
				 size_t *len);

/* The leaf's public key, borrowed (valid while c lives). */
const pl_pkey_t *pl_x509_chain_leaf_key(const pl_x509_chain_t *c);

/* True when the leaf certificate covers host (a DNS name or an IP
 * literal) under RFC 6125: SANs only, wildcard only as the whole left-most
 * label, IP literals against iPAddress SANs. */
bool pl_x509_chain_covers(const pl_x509_chain_t *c, const char *host);

void pl_x509_chain_free(pl_x509_chain_t *c);

/* What a person wants to read about certificate i of a chain. */
typedef struct {
	char subject[256];   /* "CN=example.com, O=Example" */
	char issuer[256];
	char names[512];     /* SANs: "example.com, www.example.com, 127.0.0.1" */
	char key[64];        /* "ECDSA P-256", "RSA 2048" */
	char sig_alg[64];    /* "ecdsa-with-SHA256" */
	time_t not_before;
	time_t not_after;
	bool is_ca;
	bool self_signed;
} pl_x509_info_t;

int pl_x509_chain_info(const pl_x509_chain_t *c, size_t i,
		       pl_x509_info_t *info);

/* ---- private keys ------------------------------------------------------ */

/* Loads a PEM private key (PKCS#8 or traditional RSA/EC form). */
pl_pkey_t *pl_x509_key_load_pem(const char *path, char *err, size_t err_len);

/* True when key is the private half of the chain leaf's public key. */
bool pl_x509_key_matches(const pl_x509_chain_t *c, const pl_pkey_t *key);

/* ---- trust stores and verification -------------------------------------- */

typedef struct pl_x509_store pl_x509_store_t;

/* A trust store from a CA bundle file and/or a hashed CA directory. With
 * both NULL, the system store (/etc/ssl/certs) is used. */
pl_x509_store_t *pl_x509_store_new(const char *ca_file, const char *ca_path,
				   char *err, size_t err_len);
void pl_x509_store_free(pl_x509_store_t *s);

/* The outcome of a verification. */
typedef struct {
	int alert;             /* TLS alert for a failure (RFC 8446 6.2):
				  42 bad_certificate, 45 certificate_expired,
				  48 unknown_ca, 46 certificate_unknown, ... */
	char reason[320];      /* one sentence: "server certificate for
				  'localhost' expired on 2026-11-20" */
	char trusted_root[256]; /* on success: subject of the trust anchor */
} pl_x509_verdict_t;

/* Verifies chain c (leaf first, as received) against store s at time now
 * (seconds since the epoch): path building to a trusted root, validity
 * periods, basic constraints, the serverAuth purpose, and, when host is
 * not NULL, that the leaf covers host (DNS name or IP literal). Returns
 * PL_OK, or PL_ERR_CERT with v->alert and v->reason set. v may not be
 * NULL. */
int pl_x509_verify(const pl_x509_store_t *s, const pl_x509_chain_t *c,
		   const char *host, time_t now, pl_x509_verdict_t *v);

#endif
