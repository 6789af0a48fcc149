"""padlock serve: port 80 sends everyone to HTTPS, HSTS on every HTTPS answer.

Port 80 answers every request with 301 (GET, HEAD) or 308 (other methods)
to https://HOST[:PORT]/same/path?query, the HTTPS port written only when
it is not 443; plain HTTP sent to the TLS port gets the same redirect in
plain HTTP; HTTPS responses carry Strict-Transport-Security: max-age=N
(63072000 by default, --hsts N or off), plain-HTTP ones never do.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_common import (Failure, Serve, Skip, Suite, exchange,  # noqa: E402
                          expect_equal, expect_in, get, localhost_leaf,
                          one_response, pki, random_loopback, run, stop_shared,
                          workdir,
                          write_file)

suite = Suite("padlock serve: redirects from port 80 and HSTS")
state = {}


def site_root():
    if "root" not in state:
        root = os.path.join(workdir(), "site")
        old = time.time() - 3600
        write_file(os.path.join(root, "index.html"), "<p>home</p>\n", old)
        write_file(os.path.join(root, "page.txt"), "plain text\n", old)
        state["root"] = root
    return state["root"]


def serve(*extra, **kw):
    leaf = localhost_leaf()
    return Serve(["--root", site_root(), "--cert", leaf.chain, "--key",
                  leaf.key] + list(extra), **kw)


def main_server():
    """One server for most cases: --domain example.test and
    www.example.test, default HSTS."""
    if "srv" not in state or not state["srv"].proc.alive():
        state["srv"] = serve("--domain", "example.test", "--domain",
                             "www.example.test", shared=True)
    return state["srv"]


def expect_redirect(resp, status, location, method="GET"):
    expect_equal(resp.status, status, "status of %s" % resp.status_line)
    expect_equal(resp.header("Location"), location, "Location")
    expect_equal(resp.header("Strict-Transport-Security"), None,
                 "HSTS over plain HTTP (RFC 6797 7.2 forbids it)")
    expect_equal(resp.header("Connection"), "close", "Connection")
    if method == "HEAD":
        expect_equal(resp.body, b"", "body of the HEAD answer")
    else:
        expect_equal(resp.header("Content-Type"), "text/html; charset=utf-8",
                     "Content-Type")
        expect_in(location.replace("&", "&amp;").encode(), resp.body,
                  "the redirect's body")


@suite.case("port80_get_redirects_with_nondefault_port_and_query")
def _():
    srv = main_server()
    resp = get(srv.http_port, "/a/b.html?x=1&y=%20z", host="example.test",
               tls=False, closes=True)
    expect_redirect(resp, 301, "https://example.test:%d/a/b.html?x=1&y=%%20z"
                    % srv.https_port)


@suite.case("port80_host_with_port_is_replaced_by_https_port")
def _():
    srv = main_server()
    resp = get(srv.http_port, "/?q", host="example.test:%d" % srv.http_port,
               tls=False, closes=True)
    expect_redirect(resp, 301, "https://example.test:%d/?q" % srv.https_port)
    # an address is no name of the site: its first name
    resp = get(srv.http_port, "/v6", host="[::1]:%d" % srv.http_port,
               tls=False, closes=True)
    expect_redirect(resp, 301, "https://example.test:%d/v6" % srv.https_port)


@suite.case("port80_absolute_form_target_uses_its_authority")
def _():
    srv = main_server()
    # RFC 9112 3.2.2: the target's host wins over Host
    resp = get(srv.http_port, "http://www.example.test/p?k=v",
               host="example.test", tls=False, closes=True)
    expect_redirect(resp, 301, "https://www.example.test:%d/p?k=v"
                    % srv.https_port)
    # and a host the site does not serve goes to its first name
    resp = get(srv.http_port, "http://other.test/p?k=v", host="example.test",
               tls=False, closes=True)
    expect_redirect(resp, 301, "https://example.test:%d/p?k=v" % srv.https_port)


@suite.case("port80_host_the_site_does_not_serve_gets_its_first_name")
def _():
    # Host: evil.test used to come back as https://evil.test/ (issue 16)
    srv = main_server()
    for host in ("evil.test", "evil.test:%d" % srv.http_port, "192.0.2.7",
                 "example.test.evil.test"):
        resp = get(srv.http_port, "/login?next=/", host=host, tls=False,
                   closes=True)
        expect_redirect(resp, 301, "https://example.test:%d/login?next=/"
                        % srv.https_port)
    # a name it serves, in any case and with the root's dot, is kept
    resp = get(srv.http_port, "/", host="WWW.Example.Test.", tls=False,
               closes=True)
    expect_redirect(resp, 301, "https://WWW.Example.Test.:%d/" % srv.https_port)


@suite.case("port80_without_names_keeps_the_requests_host")
def _():
    # No --domain: no name to prefer, so the request's host (documented).
    srv = serve()
    resp = get(srv.http_port, "/x", host="any.test", tls=False, closes=True)
    expect_redirect(resp, 301, "https://any.test:%d/x" % srv.https_port)
    srv.stop()


@suite.case("empty_host_is_400_on_both_ports")
def _():
    # RFC 9112 3.2: an http or https target always has an authority
    srv = main_server()
    for port, tls in ((srv.http_port, False), (srv.https_port, True),
                      (srv.https_port, False)):
        resp = one_response(port, b"GET / HTTP/1.1\r\nHost:\r\n\r\n",
                            tls=tls, closes=True)
        expect_equal(resp.status, 400, "status for an empty Host (port %d, "
                     "%s)" % (port, "TLS" if tls else "plain"))
        expect_equal(resp.header("Location"), None, "Location")


@suite.case("port80_head_is_301_without_body")
def _():
    srv = main_server()
    resp = get(srv.http_port, "/page.txt?a=b", host="example.test",
               method="HEAD", tls=False, closes=True)
    expect_redirect(resp, 301, "https://example.test:%d/page.txt?a=b"
                    % srv.https_port, method="HEAD")


@suite.case("port80_post_put_delete_are_308")
def _():
    srv = main_server()
    for method in ("POST", "PUT", "DELETE"):
        raw = ("%s /form?id=7 HTTP/1.1\r\nHost: example.test\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               "Content-Length: 7\r\n\r\nname=me" % method).encode()
        resp = one_response(srv.http_port, raw, tls=False, method=method,
                            closes=True)
        expect_redirect(resp, 308, "https://example.test:%d/form?id=7"
                        % srv.https_port, method)


@suite.case("port80_http10_without_host_uses_the_default_name")
def _():
    srv = main_server()
    resp = one_response(srv.http_port, b"GET /old?x HTTP/1.0\r\n\r\n",
                        tls=False, closes=True)
    expect_redirect(resp, 301, "https://example.test:%d/old?x" % srv.https_port)


@suite.case("port80_http10_without_host_and_without_name_is_400")
def _():
    srv = serve()     # no --domain: no name to send anyone to
    resp = one_response(srv.http_port, b"GET /old HTTP/1.0\r\n\r\n",
                        tls=False, closes=True)
    expect_equal(resp.status, 400, "status")
    expect_equal(resp.header("Location"), None, "Location")
    srv.stop()


@suite.case("port80_acme_challenge_is_reserved_404")
def _():
    srv = main_server()
    resp = get(srv.http_port, "/.well-known/acme-challenge/tok", tls=False,
               host="example.test", closes=True)
    expect_equal(resp.status, 404, "status")
    expect_equal(resp.header("Location"), None, "Location")


@suite.case("port80_curl_follows_to_https")
def _():
    # No --domain: every host is kept as the request names it (with names,
    # 127.0.0.1 and localhost would go to the site's first name).
    srv = serve()
    r = run(["curl", "-sS", "-o", "/dev/null", "-w",
             "%{http_code} %{redirect_url}", "--max-time", "20",
             "http://127.0.0.1:%d/page.txt?z=1" % srv.http_port])
    expect_equal(r.out, "301 https://127.0.0.1:%d/page.txt?z=1" % srv.https_port,
                 "curl's status and redirect URL")
    r = run(["curl", "-sS", "-L", "--cacert", pki().root, "--max-time", "20",
             "-w", "\n%{http_code} %{num_redirects}",
             "http://localhost:%d/page.txt" % srv.http_port])
    expect_equal(r.out, "plain text\n\n200 1", "curl -L through the redirect")
    srv.stop()


@suite.case("port80_without_port_when_https_is_443")
def _():
    # Port 443 on an address of 127/8 nothing else uses; only the (unlikely)
    # case of a wildcard listener on 443 stops it.
    last = None
    for _ in range(3):
        addr = random_loopback()
        try:
            srv = serve("--domain", "example.test", https_port=443,
                        listen=addr)
            break
        except Failure as e:
            last = str(e)
            if "in use" not in last:
                raise
    else:
        raise Skip("port 443 is taken on every address tried: %s"
                   % last.splitlines()[0])
    responses, rest, how = exchange(
        srv.http_port, b"GET /x/y?q=1 HTTP/1.1\r\nHost: example.test\r\n\r\n",
        tls=False, host=addr)
    expect_equal(len(responses), 1, "responses")
    expect_redirect(responses[0], 301, "https://example.test/x/y?q=1")
    expect_equal(how, "eof", "how the connection ended")
    srv.stop()


@suite.case("plain_http_on_tls_port_gets_plain_301")
def _():
    srv = main_server()
    responses, rest, how = exchange(
        srv.https_port,
        b"GET /page.txt?a=1 HTTP/1.1\r\nHost: www.example.test:%d\r\n\r\n"
        % srv.https_port, tls=False)
    expect_equal(len(responses), 1, "responses (plain HTTP)")
    resp = responses[0]
    expect_equal(resp.status_line, "HTTP/1.1 301 Moved Permanently",
                 "status line")
    expect_redirect(resp, 301, "https://www.example.test:%d/page.txt?a=1"
                    % srv.https_port)
    expect_equal(how, "eof", "how the connection ended")
    # HEAD and a POST too, and the port is the TLS port even when the
    # Host names another one.
    resp = get(srv.https_port, "/h", host="example.test:80", method="HEAD",
               tls=False, closes=True)
    expect_redirect(resp, 301, "https://example.test:%d/h" % srv.https_port,
                    "HEAD")
    raw = b"POST /f HTTP/1.1\r\nHost: example.test\r\nContent-Length: 2\r\n\r\nab"
    resp = one_response(srv.https_port, raw, tls=False, method="POST",
                        closes=True)
    expect_redirect(resp, 308, "https://example.test:%d/f" % srv.https_port,
                    "POST")


@suite.case("plain_http_on_tls_port_curl")
def _():
    srv = main_server()
    r = run(["curl", "-sS", "-o", "/dev/null", "-w",
             "%{http_code} %{redirect_url}", "--max-time", "20",
             "http://localhost:%d/p?q=2" % srv.https_port])
    # localhost is not a name of this site: its first name
    expect_equal(r.out, "301 https://example.test:%d/p?q=2" % srv.https_port,
                 "curl's status and redirect URL")


def hsts_values(srv, path_ok="/page.txt"):
    """HSTS of a 200, a 404, a 304 and a 405 from srv."""
    ok = get(srv.https_port, path_ok, closes=True)
    expect_equal(ok.status, 200, "status of GET %s" % path_ok)
    missing = get(srv.https_port, "/nope", closes=True)
    expect_equal(missing.status, 404, "status of GET /nope")
    cached = get(srv.https_port, path_ok, headers=[("If-None-Match",
                                                    ok.header("ETag"))],
                 closes=True)
    expect_equal(cached.status, 304, "status with If-None-Match")
    post = get(srv.https_port, path_ok, method="DELETE", closes=True)
    expect_equal(post.status, 405, "status of DELETE")
    return [r.all("Strict-Transport-Security")
            for r in (ok, missing, cached, post)]


@suite.case("hsts_default_two_years_on_200_404_304_405")
def _():
    srv = main_server()
    expect_equal(hsts_values(srv), [["max-age=63072000"]] * 4,
                 "Strict-Transport-Security of 200, 404, 304, 405")


@suite.case("hsts_300_with_flag")
def _():
    srv = serve("--hsts", "300")
    expect_equal(hsts_values(srv), [["max-age=300"]] * 4,
                 "Strict-Transport-Security of 200, 404, 304, 405")
    srv.stop()


@suite.case("hsts_off_with_flag")
def _():
    srv = serve("--hsts", "off")
    expect_equal(hsts_values(srv), [[]] * 4,
                 "Strict-Transport-Security of 200, 404, 304, 405")
    srv.stop()


@suite.case("hsts_absent_on_port80_answers")
def _():
    srv = main_server()
    for method in ("GET", "HEAD", "POST"):
        resp = get(srv.http_port, "/", host="example.test", method=method,
                   tls=False, closes=True)
        expect_equal(resp.all("Strict-Transport-Security"), [],
                     "HSTS on port 80's answer to %s" % method)


@suite.case("shared_server_exits_0_on_sigterm")
def _():
    stop_shared()


if __name__ == "__main__":
    suite.run()
