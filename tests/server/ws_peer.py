"""WebSocket peers for tests/server/test_proxy.py, on python3-websockets
(run with /usr/bin/python3, where Debian installs it).

  ws_peer.py server PORT      an echo server on 127.0.0.1:PORT: every
                              message comes back prefixed with "echo: ";
                              "close" makes it close the connection
  ws_peer.py client URL CA    sends three messages (text, 100 KiB binary,
                              text), prints a JSON line with what came back,
                              then closes cleanly and prints the close code
  ws_peer.py idle URL CA      sends one message, then stays silent and
                              prints whether the connection was closed
                              (within 60 s) and its echo
"""

import asyncio
import json
import ssl
import sys

import websockets


async def echo(ws, path=None):
    async for message in ws:
        if message == "close":
            await ws.close(code=4000, reason="asked")
            return
        if isinstance(message, bytes):
            await ws.send(b"echo: " + message)
        else:
            await ws.send("echo: " + message)


async def server(port):
    async with websockets.serve(echo, "127.0.0.1", port, max_size=1 << 22):
        print("listening", flush=True)
        await asyncio.Future()


async def client(url, ca):
    ctx = ssl.create_default_context(cafile=ca)
    out = {}
    async with websockets.connect(url, ssl=ctx, max_size=1 << 22,
                                  server_hostname="localhost") as ws:
        await ws.send("hello")
        out["text"] = await ws.recv()
        blob = bytes(range(256)) * 400
        await ws.send(blob)
        got = await ws.recv()
        out["binary_ok"] = got == b"echo: " + blob
        await ws.send("close")
        try:
            await ws.recv()
        except websockets.exceptions.ConnectionClosed as e:
            rcvd = getattr(e, "rcvd", None)
            out["close_code"] = rcvd.code if rcvd else e.code
    print(json.dumps(out), flush=True)


async def idle(url, ca):
    ctx = ssl.create_default_context(cafile=ca)
    out = {"closed": False}
    async with websockets.connect(url, ssl=ctx, ping_interval=None,
                                  server_hostname="localhost") as ws:
        await ws.send("once")
        out["text"] = await ws.recv()
        try:
            await asyncio.wait_for(ws.recv(), 60)
        except websockets.exceptions.ConnectionClosed:
            out["closed"] = True
        except asyncio.TimeoutError:
            pass
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        asyncio.run(server(int(sys.argv[2])))
    elif sys.argv[1] == "idle":
        asyncio.run(idle(sys.argv[2], sys.argv[3]))
    else:
        asyncio.run(client(sys.argv[2], sys.argv[3]))
