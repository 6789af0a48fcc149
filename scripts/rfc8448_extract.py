#!/usr/bin/env python3
# Regenerates tests/tls/rfc8448_data.h:
#   python3 scripts/rfc8448_extract.py ../shared/rfc/rfc8448.txt > tests/tls/rfc8448_data.h
"""Extract byte strings from RFC 8448 (TLS 1.3 traces) into a C header.

The RFC text is paginated: every page ends with a footer line
("Thomson   Informational   [Page N]"), a form feed and a header line
("RFC 8448   TLS 1.3 Traces   January 2019"). These and the blank lines
around them are dropped first, so a value that spans a page break reads
as one block. Then the text is walked as:

  N.  Section title                      (column 0)
     {client}  step description:         (3 spaces; may wrap)
        label (K octets):  hex hex ...   (6 spaces, hex wraps at 9)

and each value's length is checked against its "(K octets)".
Section 2's RSA key components have no octet count.
"""
import re
import sys

FOOTER = re.compile(r'^Thomson\s+Informational\s+\[Page \d+\]$')
HEADER = re.compile(r'^RFC 8448\s+TLS 1\.3 Traces\s+January 2019$')
SECTION = re.compile(r'^(\d+)\.\s+(\S.*)$')
STEP = re.compile(r'^   \{(client|server)\}\s+(.*)$')
FIELD = re.compile(r'^\s{3,6}([A-Za-z][A-Za-z0-9 ()]*?)(?: \((\d+) octets\))?:\s\s+(.*)$')
HEXLINE = re.compile(r'^\s+((?:[0-9a-f]{2} ?)+)$')


def strip_pages(lines):
    out = []
    for line in lines:
        line = line.rstrip('\n').replace('\f', '')
        if FOOTER.match(line) or HEADER.match(line):
            # drop the blank lines that led up to a footer
            while out and out[-1].strip() == '' and FOOTER.match(line):
                out.pop()
            out.append(None)  # page break marker
            continue
        out.append(line)
    # drop blank lines right after a page break, then the markers
    res = []
    after_break = False
    for line in out:
        if line is None:
            after_break = True
            continue
        if after_break and line.strip() == '':
            continue
        after_break = False
        res.append(line)
    return res


def parse(path):
    with open(path, encoding='ascii') as f:
        lines = strip_pages(f.readlines())
    items = []  # (section, actor, step, label, bytes)
    section = actor = step = None
    cur = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = SECTION.match(line)
        if m and not line.startswith(' '):
            section = int(m.group(1))
            actor = step = None
            cur = None
            i += 1
            continue
        m = STEP.match(line)
        if m:
            actor, step = m.group(1), m.group(2)
            # a wrapped step description continues deeper-indented
            while i + 1 < len(lines) and re.match(r'^      \S', lines[i + 1]) \
                    and not FIELD.match(lines[i + 1]):
                i += 1
                step += ' ' + lines[i].strip()
            step = step.rstrip(':')
            cur = None
            i += 1
            continue
        m = FIELD.match(line)
        if m and section is not None and section <= 7:
            label, count, rest = m.group(1), m.group(2), m.group(3)
            if re.fullmatch(r'(?:[0-9a-f]{2} ?)+', rest.strip()):
                cur = [section, actor, step, label,
                       bytearray.fromhex(rest), count]
                items.append(cur)
            else:
                cur = None
            i += 1
            continue
        m = HEXLINE.match(line)
        if m and cur is not None:
            cur[4] += bytearray.fromhex(m.group(1))
            i += 1
            continue
        if line.strip() == '':
            cur = None
        i += 1
    for it in items:
        if it[5] is not None and int(it[5]) != len(it[4]):
            sys.exit('length mismatch: %r has %d bytes, says %s' %
                     (it[:4], len(it[4]), it[5]))
    return items


# (C name, section, actor, step, label, occurrence of that step/label)
WANT = [
    # RFC 8448 2: the server's RSA key
    ('rsa_n', 2, None, None, 'modulus (public)', 0),
    ('rsa_e', 2, None, None, 'public exponent', 0),
    ('rsa_d', 2, None, None, 'private exponent', 0),
    ('rsa_p', 2, None, None, 'prime1', 0),
    ('rsa_q', 2, None, None, 'prime2', 0),
    ('rsa_dp', 2, None, None, 'exponent1', 0),
    ('rsa_dq', 2, None, None, 'exponent2', 0),
    ('rsa_qinv', 2, None, None, 'coefficient', 0),
    # RFC 8448 3: simple 1-RTT
    ('s3_client_priv', 3, 'client', 'create an ephemeral x25519 key pair', 'private key', 0),
    ('s3_client_pub', 3, 'client', 'create an ephemeral x25519 key pair', 'public key', 0),
    ('s3_client_hello', 3, 'client', 'construct a ClientHello handshake message', 'ClientHello', 0),
    ('s3_client_hello_record', 3, 'client', 'send handshake record', 'complete record', 0),
    ('s3_early_secret', 3, 'server', 'extract secret "early"', 'secret', 0),
    ('s3_server_priv', 3, 'server', 'create an ephemeral x25519 key pair', 'private key', 0),
    ('s3_server_pub', 3, 'server', 'create an ephemeral x25519 key pair', 'public key', 0),
    ('s3_server_hello', 3, 'server', 'construct a ServerHello handshake message', 'ServerHello', 0),
    ('s3_derived_hs', 3, 'server', 'derive secret for handshake "tls13 derived"', 'expanded', 0),
    ('s3_dhe', 3, 'server', 'extract secret "handshake"', 'IKM', 0),
    ('s3_handshake_secret', 3, 'server', 'extract secret "handshake"', 'secret', 0),
    ('s3_hash_hello', 3, 'server', 'derive secret "tls13 c hs traffic"', 'hash', 0),
    ('s3_c_hs_traffic', 3, 'server', 'derive secret "tls13 c hs traffic"', 'expanded', 0),
    ('s3_s_hs_traffic', 3, 'server', 'derive secret "tls13 s hs traffic"', 'expanded', 0),
    ('s3_derived_master', 3, 'server', 'derive secret for master "tls13 derived"', 'expanded', 0),
    ('s3_master_secret', 3, 'server', 'extract secret "master"', 'secret', 0),
    ('s3_server_hello_record', 3, 'server', 'send handshake record', 'complete record', 0),
    ('s3_server_hs_key', 3, 'server', 'derive write traffic keys for handshake data', 'key expanded', 0),
    ('s3_server_hs_iv', 3, 'server', 'derive write traffic keys for handshake data', 'iv expanded', 0),
    ('s3_encrypted_extensions', 3, 'server', 'construct an EncryptedExtensions handshake message', 'EncryptedExtensions', 0),
    ('s3_certificate', 3, 'server', 'construct a Certificate handshake message', 'Certificate', 0),
    ('s3_certificate_verify', 3, 'server', 'construct a CertificateVerify handshake message', 'CertificateVerify', 0),
    ('s3_server_finished_key', 3, 'server', 'calculate finished "tls13 finished"', 'expanded', 0),
    ('s3_server_verify_data', 3, 'server', 'calculate finished "tls13 finished"', 'finished', 0),
    ('s3_server_finished', 3, 'server', 'construct a Finished handshake message', 'Finished', 0),
    ('s3_server_flight_record', 3, 'server', 'send handshake record', 'complete record', 1),
    ('s3_hash_server_finished', 3, 'server', 'derive secret "tls13 c ap traffic"', 'hash', 0),
    ('s3_c_ap_traffic', 3, 'server', 'derive secret "tls13 c ap traffic"', 'expanded', 0),
    ('s3_s_ap_traffic', 3, 'server', 'derive secret "tls13 s ap traffic"', 'expanded', 0),
    ('s3_exp_master', 3, 'server', 'derive secret "tls13 exp master"', 'expanded', 0),
    ('s3_server_ap_key', 3, 'server', 'derive write traffic keys for application data', 'key expanded', 0),
    ('s3_server_ap_iv', 3, 'server', 'derive write traffic keys for application data', 'iv expanded', 0),
    ('s3_client_hs_key', 3, 'server', 'derive read traffic keys for handshake data', 'key expanded', 0),
    ('s3_client_hs_iv', 3, 'server', 'derive read traffic keys for handshake data', 'iv expanded', 0),
    ('s3_client_finished_key', 3, 'client', 'calculate finished "tls13 finished"', 'expanded', 0),
    ('s3_client_verify_data', 3, 'client', 'calculate finished "tls13 finished"', 'finished', 0),
    ('s3_client_finished', 3, 'client', 'construct a Finished handshake message', 'Finished', 0),
    ('s3_client_finished_record', 3, 'client', 'send handshake record', 'complete record', 1),
    ('s3_client_ap_key', 3, 'client', 'derive write traffic keys for application data', 'key expanded', 0),
    ('s3_client_ap_iv', 3, 'client', 'derive write traffic keys for application data', 'iv expanded', 0),
    ('s3_hash_client_finished', 3, 'client', 'derive secret "tls13 res master"', 'hash', 0),
    ('s3_res_master', 3, 'client', 'derive secret "tls13 res master"', 'expanded', 0),
    ('s3_ticket_nonce', 3, 'server', 'generate resumption secret "tls13 resumption"', 'hash', 0),
    ('s3_ticket_psk', 3, 'server', 'generate resumption secret "tls13 resumption"', 'expanded', 0),
    ('s3_new_session_ticket', 3, 'server', 'construct a NewSessionTicket handshake message', 'NewSessionTicket', 0),
    ('s3_ticket_record', 3, 'server', 'send handshake record', 'complete record', 2),
    ('s3_client_app_data', 3, 'client', 'send application_data record', 'payload', 0),
    ('s3_client_app_record', 3, 'client', 'send application_data record', 'complete record', 0),
    ('s3_server_app_data', 3, 'server', 'send application_data record', 'payload', 0),
    ('s3_server_app_record', 3, 'server', 'send application_data record', 'complete record', 0),
    ('s3_client_alert_record', 3, 'client', 'send alert record', 'complete record', 0),
    ('s3_server_alert_record', 3, 'server', 'send alert record', 'complete record', 0),
    # RFC 8448 4: Resumed 0-RTT handshake, with the ticket of section 3
    ('s4_client_priv', 4, 'client', 'create an ephemeral x25519 key pair', 'private key', 0),
    ('s4_client_pub', 4, 'client', 'create an ephemeral x25519 key pair', 'public key', 0),
    ('s4_psk', 4, 'client', 'extract secret "early"', 'IKM', 0),
    ('s4_early_secret', 4, 'client', 'extract secret "early"', 'secret', 0),
    ('s4_client_hello_prefix', 4, 'client', 'calculate PSK binder', 'ClientHello prefix', 0),
    ('s4_binder_hash', 4, 'client', 'calculate PSK binder', 'binder hash', 0),
    ('s4_binder_key', 4, 'client', 'calculate PSK binder', 'PRK', 0),
    ('s4_binder_finished_key', 4, 'client', 'calculate PSK binder', 'expanded', 0),
    ('s4_binder', 4, 'client', 'calculate PSK binder', 'finished', 0),
    ('s4_client_hello', 4, 'client', 'send handshake record', 'payload', 0),
    ('s4_client_hello_record', 4, 'client', 'send handshake record', 'complete record', 0),
    ('s4_hash_client_hello', 4, 'client', 'derive secret "tls13 c e traffic"', 'hash', 0),
    ('s4_c_e_traffic', 4, 'client', 'derive secret "tls13 c e traffic"', 'expanded', 0),
    ('s4_e_exp_master', 4, 'client', 'derive secret "tls13 e exp master"', 'expanded', 0),
    ('s4_client_early_key', 4, 'client', 'derive write traffic keys for early application data', 'key expanded', 0),
    ('s4_client_early_iv', 4, 'client', 'derive write traffic keys for early application data', 'iv expanded', 0),
    ('s4_early_app_data', 4, 'client', 'send application_data record', 'payload', 0),
    ('s4_early_app_record', 4, 'client', 'send application_data record', 'complete record', 0),
    ('s4_server_priv', 4, 'server', 'create an ephemeral x25519 key pair', 'private key', 0),
    ('s4_server_pub', 4, 'server', 'create an ephemeral x25519 key pair', 'public key', 0),
    ('s4_server_hello', 4, 'server', 'construct a ServerHello handshake message', 'ServerHello', 0),
    ('s4_derived_hs', 4, 'server', 'derive secret for handshake "tls13 derived"', 'expanded', 0),
    ('s4_dhe', 4, 'server', 'extract secret "handshake"', 'IKM', 0),
    ('s4_handshake_secret', 4, 'server', 'extract secret "handshake"', 'secret', 0),
    ('s4_hash_hello', 4, 'server', 'derive secret "tls13 c hs traffic"', 'hash', 0),
    ('s4_c_hs_traffic', 4, 'server', 'derive secret "tls13 c hs traffic"', 'expanded', 0),
    ('s4_s_hs_traffic', 4, 'server', 'derive secret "tls13 s hs traffic"', 'expanded', 0),
    ('s4_derived_master', 4, 'server', 'derive secret for master "tls13 derived"', 'expanded', 0),
    ('s4_master_secret', 4, 'server', 'extract secret "master"', 'secret', 0),
    ('s4_server_hello_record', 4, 'server', 'send handshake record', 'complete record', 0),
    ('s4_server_hs_key', 4, 'server', 'derive write traffic keys for handshake data', 'key expanded', 0),
    ('s4_server_hs_iv', 4, 'server', 'derive write traffic keys for handshake data', 'iv expanded', 0),
    ('s4_encrypted_extensions', 4, 'server', 'construct an EncryptedExtensions handshake message', 'EncryptedExtensions', 0),
    ('s4_server_finished_key', 4, 'server', 'calculate finished "tls13 finished"', 'expanded', 0),
    ('s4_server_verify_data', 4, 'server', 'calculate finished "tls13 finished"', 'finished', 0),
    ('s4_server_finished', 4, 'server', 'construct a Finished handshake message', 'Finished', 0),
    ('s4_server_flight_record', 4, 'server', 'send handshake record', 'complete record', 1),
    ('s4_hash_server_finished', 4, 'server', 'derive secret "tls13 c ap traffic"', 'hash', 0),
    ('s4_c_ap_traffic', 4, 'server', 'derive secret "tls13 c ap traffic"', 'expanded', 0),
    ('s4_s_ap_traffic', 4, 'server', 'derive secret "tls13 s ap traffic"', 'expanded', 0),
    ('s4_exp_master', 4, 'server', 'derive secret "tls13 exp master"', 'expanded', 0),
    ('s4_server_ap_key', 4, 'server', 'derive write traffic keys for application data', 'key expanded', 0),
    ('s4_server_ap_iv', 4, 'server', 'derive write traffic keys for application data', 'iv expanded', 0),
    ('s4_end_of_early_data', 4, 'client', 'construct an EndOfEarlyData handshake message', 'EndOfEarlyData', 0),
    ('s4_end_of_early_data_record', 4, 'client', 'send handshake record', 'complete record', 1),
    ('s4_client_hs_key', 4, 'client', 'derive write traffic keys for handshake data', 'key expanded', 0),
    ('s4_client_hs_iv', 4, 'client', 'derive write traffic keys for handshake data', 'iv expanded', 0),
    ('s4_client_finished_key', 4, 'client', 'calculate finished "tls13 finished"', 'expanded', 0),
    ('s4_client_verify_data', 4, 'client', 'calculate finished "tls13 finished"', 'finished', 0),
    ('s4_client_finished', 4, 'client', 'construct a Finished handshake message', 'Finished', 0),
    ('s4_client_finished_record', 4, 'client', 'send handshake record', 'complete record', 2),
    ('s4_client_ap_key', 4, 'client', 'derive write traffic keys for application data', 'key expanded', 0),
    ('s4_client_ap_iv', 4, 'client', 'derive write traffic keys for application data', 'iv expanded', 0),
    ('s4_hash_client_finished', 4, 'client', 'derive secret "tls13 res master"', 'hash', 0),
    ('s4_res_master', 4, 'client', 'derive secret "tls13 res master"', 'expanded', 0),
    ('s4_client_app_data', 4, 'client', 'send application_data record', 'payload', 1),
    ('s4_client_app_record', 4, 'client', 'send application_data record', 'complete record', 1),
    ('s4_server_app_data', 4, 'server', 'send application_data record', 'payload', 0),
    ('s4_server_app_record', 4, 'server', 'send application_data record', 'complete record', 0),
    ('s4_client_alert_record', 4, 'client', 'send alert record', 'complete record', 0),
    ('s4_server_alert_record', 4, 'server', 'send alert record', 'complete record', 0),
    # RFC 8448 5: HelloRetryRequest
    ('s5_client_priv_x25519', 5, 'client', 'create an ephemeral x25519 key pair', 'private key', 0),
    ('s5_client_hello1', 5, 'client', 'construct a ClientHello handshake message', 'ClientHello', 0),
    ('s5_client_hello1_record', 5, 'client', 'send handshake record', 'complete record', 0),
    ('s5_hello_retry_request', 5, 'server', 'construct a ServerHello handshake message', 'ServerHello', 0),
    ('s5_hello_retry_request_record', 5, 'server', 'send handshake record', 'complete record', 0),
    ('s5_client_priv_p256', 5, 'client', 'create an ephemeral P-256 key pair', 'private key', 0),
    ('s5_client_pub_p256', 5, 'client', 'create an ephemeral P-256 key pair', 'public key', 0),
    ('s5_client_hello2', 5, 'client', 'construct a ClientHello handshake message', 'ClientHello', 1),
    ('s5_client_hello2_record', 5, 'client', 'send handshake record', 'complete record', 1),
    ('s5_early_secret', 5, 'server', 'extract secret "early"', 'secret', 0),
    ('s5_server_priv_p256', 5, 'server', 'create an ephemeral P-256 key pair', 'private key', 0),
    ('s5_server_pub_p256', 5, 'server', 'create an ephemeral P-256 key pair', 'public key', 0),
    ('s5_server_hello', 5, 'server', 'construct a ServerHello handshake message', 'ServerHello', 1),
    ('s5_derived_hs', 5, 'server', 'derive secret for handshake "tls13 derived"', 'expanded', 0),
    ('s5_dhe', 5, 'server', 'extract secret "handshake"', 'IKM', 0),
    ('s5_handshake_secret', 5, 'server', 'extract secret "handshake"', 'secret', 0),
    ('s5_hash_hello', 5, 'server', 'derive secret "tls13 c hs traffic"', 'hash', 0),
    ('s5_c_hs_traffic', 5, 'server', 'derive secret "tls13 c hs traffic"', 'expanded', 0),
    ('s5_s_hs_traffic', 5, 'server', 'derive secret "tls13 s hs traffic"', 'expanded', 0),
    ('s5_derived_master', 5, 'server', 'derive secret for master "tls13 derived"', 'expanded', 0),
    ('s5_master_secret', 5, 'server', 'extract secret "master"', 'secret', 0),
    ('s5_server_hello_record', 5, 'server', 'send handshake record', 'complete record', 1),
    ('s5_server_hs_key', 5, 'server', 'derive write traffic keys for handshake data', 'key expanded', 0),
    ('s5_server_hs_iv', 5, 'server', 'derive write traffic keys for handshake data', 'iv expanded', 0),
    ('s5_encrypted_extensions', 5, 'server', 'construct an EncryptedExtensions handshake message', 'EncryptedExtensions', 0),
    ('s5_certificate', 5, 'server', 'construct a Certificate handshake message', 'Certificate', 0),
    ('s5_certificate_verify', 5, 'server', 'construct a CertificateVerify handshake message', 'CertificateVerify', 0),
    ('s5_server_finished_key', 5, 'server', 'calculate finished "tls13 finished"', 'expanded', 0),
    ('s5_server_verify_data', 5, 'server', 'calculate finished "tls13 finished"', 'finished', 0),
    ('s5_server_finished', 5, 'server', 'construct a Finished handshake message', 'Finished', 0),
    ('s5_server_flight_record', 5, 'server', 'send handshake record', 'complete record', 2),
    ('s5_hash_server_finished', 5, 'server', 'derive secret "tls13 c ap traffic"', 'hash', 0),
    ('s5_c_ap_traffic', 5, 'server', 'derive secret "tls13 c ap traffic"', 'expanded', 0),
    ('s5_s_ap_traffic', 5, 'server', 'derive secret "tls13 s ap traffic"', 'expanded', 0),
    ('s5_exp_master', 5, 'server', 'derive secret "tls13 exp master"', 'expanded', 0),
    ('s5_server_ap_key', 5, 'server', 'derive write traffic keys for application data', 'key expanded', 0),
    ('s5_server_ap_iv', 5, 'server', 'derive write traffic keys for application data', 'iv expanded', 0),
    ('s5_client_hs_key', 5, 'server', 'derive read traffic keys for handshake data', 'key expanded', 0),
    ('s5_client_hs_iv', 5, 'server', 'derive read traffic keys for handshake data', 'iv expanded', 0),
    ('s5_client_finished_key', 5, 'client', 'calculate finished "tls13 finished"', 'expanded', 0),
    ('s5_client_verify_data', 5, 'client', 'calculate finished "tls13 finished"', 'finished', 0),
    ('s5_client_finished', 5, 'client', 'construct a Finished handshake message', 'Finished', 0),
    ('s5_client_finished_record', 5, 'client', 'send handshake record', 'complete record', 2),
    ('s5_client_ap_key', 5, 'client', 'derive write traffic keys for application data', 'key expanded', 0),
    ('s5_client_ap_iv', 5, 'client', 'derive write traffic keys for application data', 'iv expanded', 0),
    ('s5_hash_client_finished', 5, 'client', 'derive secret "tls13 res master"', 'hash', 0),
    ('s5_res_master', 5, 'client', 'derive secret "tls13 res master"', 'expanded', 0),
    ('s5_client_alert_record', 5, 'client', 'send alert record', 'complete record', 0),
    ('s5_server_alert_record', 5, 'server', 'send alert record', 'complete record', 0),
]


def find(items, section, actor, step, label, occurrence):
    hits = [it for it in items
            if it[0] == section and it[3] == label and
            (actor is None or (it[1] == actor and it[2] == step))]
    if len(hits) <= occurrence:
        sys.exit('not found: %r' % ((section, actor, step, label, occurrence),))
    return hits[occurrence]


def main():
    items = parse(sys.argv[1])
    out = ['/*',
           ' * Byte strings of the RFC 8448 traces (sections 2 to 5), generated',
           ' * from the RFC text by a script (page headers and footers removed, every',
           ' * value checked against its "(N octets)"). Do not edit by hand.',
           ' */',
           '#ifndef PL_TEST_RFC8448_DATA_H',
           '#define PL_TEST_RFC8448_DATA_H',
           '',
           '#include <stdint.h>',
           '']
    for name, section, actor, step, label, occ in WANT:
        it = find(items, section, actor, step, label, occ)
        data = it[4]
        where = 'RFC 8448 section %d' % section
        if actor:
            where += ', {%s} %s' % (actor, step)
        out.append('/* %s: %s (%d octets) */' % (where, label, len(data)))
        out.append('static const uint8_t rfc8448_%s[%d] = {' % (name, len(data)))
        for j in range(0, len(data), 12):
            out.append('\t' + ', '.join('0x%02x' % b for b in data[j:j + 12]) + ',')
        out.append('};')
        out.append('')
    out.append('#endif')
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
