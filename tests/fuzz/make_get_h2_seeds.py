"""Writes the seeds of fuzz_get_h2 (tests/fuzz/corpus/fuzz_get_h2/): what
an HTTP/2 server sends a client after the TLS handshake, made with Python's
hyperframe and hpack (Debian's python3-h2), each behind one control byte
(fuzz_get_h2.c says what its bits choose).

    python3 tests/fuzz/make_get_h2_seeds.py      (from the repository root)
"""

import os
import sys

try:
    import hpack
    import hyperframe.frame as hf
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")
    import hpack
    import hyperframe.frame as hf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus",
                   "fuzz_get_h2")
GET, HEAD_TRACE, GET_TRACE, REFUSING = 0, 3, 2, 4


def settings(**kw):
    ids = {name: getattr(hf.SettingsFrame, name) for name in kw}
    return hf.SettingsFrame(0, settings={ids[n]: v for n, v in kw.items()}
                            ).serialize()


def ack():
    return hf.SettingsFrame(0, flags=["ACK"]).serialize()


def headers(enc, fields, end_stream=False, end_headers=True):
    f = hf.HeadersFrame(1, enc.encode(fields))
    if end_headers:
        f.flags.add("END_HEADERS")
    if end_stream:
        f.flags.add("END_STREAM")
    return f.serialize()


def data(payload, end_stream=True, pad=0):
    f = hf.DataFrame(1, payload)
    if pad:
        f.flags.add("PADDED")
        f.pad_length = pad
    if end_stream:
        f.flags.add("END_STREAM")
    return f.serialize()


def seeds():
    enc = hpack.Encoder()
    ok = [(":status", "200"), ("content-type", "text/plain"),
          ("content-length", "11")]
    yield "small", GET_TRACE, (settings(MAX_CONCURRENT_STREAMS=100)
                               + ack() + headers(enc, ok) + data(b"hello world"))
    enc = hpack.Encoder()
    yield "head", HEAD_TRACE, (settings() + ack() +
                               headers(enc, ok, end_stream=True))
    enc = hpack.Encoder()
    yield "interim_padding_trailers", GET, (
        settings() + ack() +
        headers(enc, [(":status", "103"), ("link", "</a>; rel=preload")]) +
        headers(enc, [(":status", "200")]) + data(b"hello", False, pad=9) +
        data(b" world", False) + headers(enc, [("x-sum", "1")], True))
    enc = hpack.Encoder()
    block = enc.encode(ok[:2] + [("x-%d" % i, "v" * 100) for i in range(40)])
    cont = hf.HeadersFrame(1, block[:1000]).serialize()
    cont += hf.ContinuationFrame(1, block[1000:2000]).serialize()
    last = hf.ContinuationFrame(1, block[2000:])
    last.flags.add("END_HEADERS")
    yield "continuation", GET_TRACE, (settings() + ack() + cont +
                                      last.serialize() + data(b"x"))
    enc = hpack.Encoder()
    body = bytes(range(256)) * 64
    big = [(":status", "200"), ("content-length", str(len(body) * 2))]
    frames = b"".join(data(body[i:i + 4096], False)
                      for i in range(0, len(body), 4096))
    yield "many_data_frames", GET, (
        settings(INITIAL_WINDOW_SIZE=65535) + ack() +
        headers(enc, big) + frames + hf.PingFrame(0, b"12345678").serialize()
        + hf.WindowUpdateFrame(0, window_increment=1000).serialize() +
        frames + data(b"", True))
    enc = hpack.Encoder()
    yield "refusing_sink", REFUSING, (settings() + ack() +
                                      headers(enc, ok) + data(b"hello world"))
    yield "rst_stream", GET_TRACE, (settings() + ack() +
                                    hf.RstStreamFrame(1, error_code=2).serialize())
    yield "goaway", GET_TRACE, (settings() + ack() + hf.GoAwayFrame(
        0, last_stream_id=0, error_code=0xb,
        additional_data=b"too many").serialize())
    enc = hpack.Encoder()
    yield "short_body_then_close", GET, (settings() + ack() +
                                         headers(enc, ok) + data(b"hel", False))


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, control, payload in seeds():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([control]) + payload)
    print("wrote %s" % OUT)


if __name__ == "__main__":
    main()
