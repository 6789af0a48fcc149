"""A real browser loads a page with 50 subresources over one HTTP/2
connection.

Headless Chromium (trusting the local CA through its NSS database, as in
test_pq_browser.py) loads a page that names 50 images of `padlock serve
--root`; the JSON access log must then show the page and every image,
each requested over HTTP/2.0 and all from one client port, which is one
TCP connection: multiplexing is what saves a browser the six connections
of HTTP/1.1.
"""

import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Serve, Suite, expect, expect_equal,  # noqa: E402
                          test_env, wait_until, workdir, write_file)
from test_pq_browser import browser_home, chromium, trust_local_ca  # noqa: E402

suite = Suite("padlock serve and Chromium: one HTTP/2 connection for a page "
              "and its 50 subresources")

IMAGES = 50
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4">'
       b'<rect width="4" height="4" fill="#%02x%02x%02x"/></svg>\n')


def make_site():
    root = tempfile.mkdtemp(prefix="h2-browser-", dir=workdir())
    os.chmod(root, 0o755)
    imgs = "".join('<img src="/img/%d.svg" alt="%d">\n' % (i, i)
                   for i in range(IMAGES))
    write_file(os.path.join(root, "index.html"),
               ("<!doctype html><title>fifty</title>\n%s<p id=done>done</p>\n"
                % imgs).encode())
    for i in range(IMAGES):
        write_file(os.path.join(root, "img", "%d.svg" % i),
                   SVG % (i * 5, 255 - i * 5, 128))
    return root


def chromium_entries(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    return [e for e in entries if "HeadlessChrome" in (e.get("user_agent") or "")]


@suite.case("chromium_loads_50_subresources_over_one_h2_connection")
def _():
    home, ca = browser_home()
    root = make_site()
    log = os.path.join(root, "..", os.path.basename(root) + "-access.log")
    env = test_env({"HOME": home, "PADLOCK_CA_DIR": ca})
    srv = Serve(["--root", root, "--access-log", log, "--log-format", "json"],
                env=env, cwd=root, http_port=0)
    try:
        trust_local_ca()
        dom = chromium(srv.url("/index.html"))
        expect('<p id="done">done</p>' in dom,
               "Chromium rendered the page: %r" % dom[:300])

        def all_in():
            got = chromium_entries(log)
            imgs = [e for e in got if e["target"].startswith("/img/")]
            return got if len(imgs) >= IMAGES else None
        entries = wait_until(all_in, "Chromium's %d image requests in the "
                             "access log" % IMAGES)
        targets = sorted(e["target"] for e in entries)
        expect_equal(sorted(t for t in targets if t.startswith("/img/")),
                     sorted("/img/%d.svg" % i for i in range(IMAGES)),
                     "the images requested")
        expect("/index.html" in targets, "the page in the log: %s" % targets)
        expect_equal(sorted(set(e["protocol"] for e in entries)),
                     ["HTTP/2.0"], "protocols of Chromium's requests")
        expect_equal(sorted(set(e["status"] for e in entries
                                if e["target"] != "/favicon.ico")), [200],
                     "statuses")
        ports = set(e["peer_port"] for e in entries)
        expect_equal(len(ports), 1, "client ports of Chromium's %d requests "
                     "(one per TCP connection): %s" % (len(entries), ports))
        print("# Chromium: %d requests over HTTP/2 from port %s"
              % (len(entries), ports.pop()))
    finally:
        srv.stop()


if __name__ == "__main__":
    suite.run()
