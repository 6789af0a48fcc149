/* Names of TLS code points, as the RFCs spell them. */
#include <stdio.h>

#include "tls/tls_int.h"

bool pl_tls_suite_params(uint16_t suite, pl_hash_alg_t *hash,
			 pl_aead_alg_t *aead)
{
	pl_hash_alg_t h;
	pl_aead_alg_t a;
	switch (suite) {
	case PL_TLS_AES_128_GCM_SHA256:
		h = PL_HASH_SHA256, a = PL_AEAD_AES_128_GCM;
		break;
	case PL_TLS_AES_256_GCM_SHA384:
		h = PL_HASH_SHA384, a = PL_AEAD_AES_256_GCM;
		break;
	case PL_TLS_CHACHA20_POLY1305_SHA256:
		h = PL_HASH_SHA256, a = PL_AEAD_CHACHA20_POLY1305;
		break;
	default:
		return false;
	}
	if (hash)
		*hash = h;
	if (aead)
		*aead = a;
	return true;
}

static const char *unknown(char *buf, size_t cap, unsigned v)
{
	snprintf(buf, cap, "unknown(0x%04x)", v);
	return buf;
}

const char *pl_tls_alert_name(int alert)
{
	static _Thread_local char buf[32];
	switch (alert) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 21: return "decryption_failed";
	case 22: return "record_overflow";
	case 30: return "decompression_failure";
	case 40: return "handshake_failure";
	case 41: return "no_certificate";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 44: return "certificate_revoked";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 49: return "access_denied";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 60: return "export_restriction";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 90: return "user_canceled";
	case 100: return "no_renegotiation";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	case 113: return "bad_certificate_status_response";
	case 115: return "unknown_psk_identity";
	case 116: return "certificate_required";
	case 120: return "no_application_protocol";
	default: return unknown(buf, sizeof(buf), (unsigned)alert);
	}
}

const char *pl_tls_version_name(uint16_t version)
{
	static _Thread_local char buf[32];
	switch (version) {
	case PL_TLS_VERSION_SSL30: return "SSL 3.0";
	case PL_TLS_VERSION_10: return "TLS 1.0";
	case PL_TLS_VERSION_11: return "TLS 1.1";
	case PL_TLS_VERSION_12: return "TLS 1.2";
	case PL_TLS_VERSION_13: return "TLS 1.3";
	default:
		snprintf(buf, sizeof(buf), "unknown (0x%04x)", version);
		return buf;
	}
}

const char *pl_tls_suite_name(uint16_t suite)
{
	static _Thread_local char buf[32];
	const pl_tls_suite_info_t *info = pl_tls_suite_lookup(suite);
	return info ? info->name : unknown(buf, sizeof(buf), suite);
}

const char *pl_tls_group_name(uint16_t group)
{
	static _Thread_local char buf[32];
	switch (group) {
	case PL_GROUP_SECP256R1: return "secp256r1";
	case PL_GROUP_SECP384R1: return "secp384r1";
	case 0x0019: return "secp521r1";
	case PL_GROUP_X25519: return "x25519";
	case 0x001e: return "x448";
	case 0x0100: return "ffdhe2048";
	case 0x0101: return "ffdhe3072";
	case 0x0102: return "ffdhe4096";
	case 0x11ec: return "X25519MLKEM768";
	case 0x6399: return "X25519Kyber768Draft00";
	default:
		/* RFC 8701: 0x0A0A, 0x1A1A, ... 0xFAFA */
		if ((group & 0x0f0f) == 0x0a0a && (group >> 8) == (group & 0xff))
			return "GREASE";
		return unknown(buf, sizeof(buf), group);
	}
}

bool pl_tls_group_is_post_quantum(uint16_t group)
{
	return group == PL_GROUP_X25519MLKEM768;
}

const char *pl_tls_group_kind(uint16_t group)
{
	switch (group) {
	case PL_GROUP_X25519MLKEM768:
		return "post-quantum hybrid key exchange: X25519 + ML-KEM-768";
	case PL_GROUP_SECP256R1:
	case PL_GROUP_SECP384R1:
	case PL_GROUP_SECP521R1:
	case PL_GROUP_X25519:
	case PL_GROUP_X448:
		return "elliptic-curve Diffie-Hellman (ECDHE)";
	case PL_GROUP_FFDHE2048:
	case PL_GROUP_FFDHE3072:
	case PL_GROUP_FFDHE4096:
		return "finite-field Diffie-Hellman (DHE)";
	default:
		return "key exchange";
	}
}

const char *pl_tls_sigscheme_name(uint16_t scheme)
{
	static _Thread_local char buf[32];
	switch (scheme) {
	case PL_SIG_RSA_PKCS1_SHA256: return "rsa_pkcs1_sha256";
	case PL_SIG_RSA_PKCS1_SHA384: return "rsa_pkcs1_sha384";
	case PL_SIG_RSA_PKCS1_SHA512: return "rsa_pkcs1_sha512";
	case PL_SIG_ECDSA_SECP256R1_SHA256: return "ecdsa_secp256r1_sha256";
	case PL_SIG_ECDSA_SECP384R1_SHA384: return "ecdsa_secp384r1_sha384";
	case PL_SIG_ECDSA_SECP521R1_SHA512: return "ecdsa_secp521r1_sha512";
	case PL_SIG_RSA_PSS_RSAE_SHA256: return "rsa_pss_rsae_sha256";
	case PL_SIG_RSA_PSS_RSAE_SHA384: return "rsa_pss_rsae_sha384";
	case PL_SIG_RSA_PSS_RSAE_SHA512: return "rsa_pss_rsae_sha512";
	case PL_SIG_ED25519: return "ed25519";
	case PL_SIG_RSA_PSS_PSS_SHA256: return "rsa_pss_pss_sha256";
	case PL_SIG_RSA_PSS_PSS_SHA384: return "rsa_pss_pss_sha384";
	case PL_SIG_RSA_PSS_PSS_SHA512: return "rsa_pss_pss_sha512";
	case 0x0201: return "rsa_pkcs1_sha1";
	case 0x0203: return "ecdsa_sha1";
	default: return unknown(buf, sizeof(buf), scheme);
	}
}

const char *pl_tls_handshake_name(uint8_t type)
{
	static _Thread_local char buf[32];
	switch (type) {
	case PL_HS_HELLO_REQUEST: return "HelloRequest";
	case PL_HS_CLIENT_HELLO: return "ClientHello";
	case PL_HS_SERVER_HELLO: return "ServerHello";
	case PL_HS_NEW_SESSION_TICKET: return "NewSessionTicket";
	case PL_HS_END_OF_EARLY_DATA: return "EndOfEarlyData";
	case PL_HS_ENCRYPTED_EXTENSIONS: return "EncryptedExtensions";
	case PL_HS_CERTIFICATE: return "Certificate";
	case PL_HS_SERVER_KEY_EXCHANGE: return "ServerKeyExchange";
	case PL_HS_CERTIFICATE_REQUEST: return "CertificateRequest";
	case PL_HS_SERVER_HELLO_DONE: return "ServerHelloDone";
	case PL_HS_CERTIFICATE_VERIFY: return "CertificateVerify";
	case PL_HS_CLIENT_KEY_EXCHANGE: return "ClientKeyExchange";
	case PL_HS_FINISHED: return "Finished";
	case PL_HS_CERTIFICATE_STATUS: return "CertificateStatus";
	case PL_HS_KEY_UPDATE: return "KeyUpdate";
	case PL_HS_MESSAGE_HASH: return "message_hash";
	default:
		snprintf(buf, sizeof(buf), "handshake message type %u", type);
		return buf;
	}
}

const char *pl_tls_hex(const uint8_t *p, size_t len, size_t max, char *buf,
		       size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	size_t show = len < max ? len : max;
	for (size_t i = 0; i < show && n + 3 < cap; i++) {
		buf[n++] = hex[p[i] >> 4];
		buf[n++] = hex[p[i] & 15];
	}
	if (show < len && n + 4 < cap) {
		buf[n++] = '.';
		buf[n++] = '.';
		buf[n++] = '.';
	}
	buf[n] = 0;
	return buf;
}
