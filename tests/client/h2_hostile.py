"""A hostile HTTP/2 server for padlock's client tests: TLS with ALPN h2
(Python's ssl), then raw frames a test chooses (hyperframe and hpack, from
Debian's python3-h2), however wrong they are."""

import os
import socket
import ssl
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "server"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "interop"))

import common  # noqa: E402
from serve_common import localhost_leaf  # noqa: E402

try:
    import hpack
    import hyperframe.frame as hf
except ImportError:
    # Debian's python3-h2 installs for the system's python3.
    sys.path.append("/usr/lib/python3/dist-packages")
    import hpack
    import hyperframe.frame as hf

def h2_context():
    leaf = localhost_leaf()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(leaf.chain, leaf.key)
    ctx.set_alpn_protocols(["h2"])
    return ctx


def read_request(conn):
    """Reads the preface and frames until the client's HEADERS."""
    buf = b""
    while len(buf) < 24:
        data = conn.recv(65536)
        if not data:
            return
        buf += data
    buf = buf[24:]
    while True:
        while len(buf) >= 9:
            f, length = hf.Frame.parse_frame_header(memoryview(buf[:9]))
            if len(buf) < 9 + length:
                break
            buf = buf[9 + length:]
            if isinstance(f, hf.HeadersFrame):
                return
        data = conn.recv(65536)
        if not data:
            return
        buf += data


def headers(enc, fields, end_stream=False, sid=1):
    f = hf.HeadersFrame(sid, enc.encode(fields))
    f.flags.add("END_HEADERS")
    if end_stream:
        f.flags.add("END_STREAM")
    return f.serialize()


def continued(block, size=16000):
    """A header block in a HEADERS frame and CONTINUATION frames."""
    parts = [block[i:i + size] for i in range(0, len(block), size)]
    out = b""
    for i, part in enumerate(parts):
        f = (hf.HeadersFrame(1, part) if i == 0 else
             hf.ContinuationFrame(1, part))
        if i == 0:
            f.flags.add("END_STREAM")
        if i == len(parts) - 1:
            f.flags.add("END_HEADERS")
        out += f.serialize()
    return out


def data(payload, end_stream=True, sid=1, pad=0):
    f = hf.DataFrame(sid, payload)
    if pad:
        f.flags.add("PADDED")
        f.pad_length = pad
    if end_stream:
        f.flags.add("END_STREAM")
    return f.serialize()


def raw(frames_of):
    """Marks frames_of as the whole answer: no SETTINGS before it."""
    frames_of.raw = True
    return frames_of


def serve_one(raw, frames_of, ending):
    conn = None
    try:
        raw.settimeout(common.WAIT)
        conn = h2_context().wrap_socket(raw, server_side=True)
        read_request(conn)
        settings = hf.SettingsFrame(0).serialize()
        ack = hf.SettingsFrame(0, flags=["ACK"]).serialize()
        if getattr(frames_of, "raw", False):
            settings = ack = b""
        conn.sendall(settings + ack + frames_of(hpack.Encoder()))
        if ending == "notify":
            conn = conn.unwrap()
        if ending != "linger":
            # A FIN, then what the client still sends is read: closing
            # with unread bytes would send a RST instead, which the
            # client rightly reports as a reset, not as the end.
            conn.shutdown(socket.SHUT_WR)
        while conn.recv(65536):
            pass
    except (OSError, ssl.SSLError, ValueError):
        pass
    finally:
        (conn or raw).close()


def hostile(frames_of, ending="linger", connections=1):
    """Serves connections (None: until stop() is called) on a thread each:
    SETTINGS and its ACK (unless frames_of is marked raw()), then the bytes
    frames_of(encoder) returns;
    ending: linger (until the client closes), notify (close_notify at
    once) or tcp (TCP close at once). Returns (port, thread); with
    connections=None the thread has a stop() that ends it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    stop = threading.Event()
    helpers = []

    def accept_loop():
        served = 0
        waited = 0.0
        while not stop.is_set() and (connections is None or
                                     served < connections):
            try:
                raw, _ = listener.accept()
            except socket.timeout:
                waited += 0.2
                if connections is not None and waited > common.WAIT:
                    break
                continue
            except OSError:
                break
            served += 1
            t = threading.Thread(target=serve_one,
                                 args=(raw, frames_of, ending))
            t.start()
            helpers.append(t)
        listener.close()
        for t in helpers:
            t.join()

    t = threading.Thread(target=accept_loop)
    t.stop = lambda: (stop.set(), t.join())
    t.start()
    return port, t


