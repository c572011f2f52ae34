#!/usr/bin/env python3
"""The listener page over the node's own TLS, opened by a name that is not localhost.

    tls_page_test.py SPACES_BINARY CERTIFICATE KEY AUTHORITY SPKI_SHA256

CERTIFICATE and KEY are the server's PEM files (made by the calling test, valid for
spaces.test), AUTHORITY the certificate that signed it, SPKI_SHA256 the base64 SHA-256 of the
server key's SubjectPublicKeyInfo. Starts `spaces serve --tls-certificate … --tls-key …` on a
free loopback port and `spaces host start --server https://localhost:PORT --cacert AUTHORITY
--tone 440`. A headless Chromium maps spaces.test to 127.0.0.1 and accepts exactly that key
(`--ignore-certificate-errors-spki-list`, nothing else is waived), opens
https://spaces.test:PORT/s/SPACE, checks that the page is a secure context (WebCodecs and
AudioWorklet are offered to secure pages only: off localhost, that means TLS), listens over
wss:// and decodes 3 s of audio without a decoder error.

Prints one JSON summary line on stdout; exits 1 with a message on stderr (and `"ok": false` in
the summary) when a check fails. Bounded: the whole run is stopped after 90 s. Stops only the
processes it started.
"""

import os
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from listener_page_test import CHROMEDRIVER, CHROMIUM, Browser, Child, Failure, find, log, run_bounded, webdriver  # noqa: E402

HOST_KEY = "tls-browser-key"
TITLE = "Secure check"
NAME = "spaces.test"
RUN_LIMIT_SECONDS = 90


def run(spaces, certificate, key, authority, spki):
    if webdriver is None:
        raise Failure(f"Selenium is missing for {sys.executable}: apt-get install python3-selenium (.ci/run does)")
    chromium = find(CHROMIUM, "Chromium")
    chromedriver = find(CHROMEDRIVER, "chromedriver")
    work = tempfile.mkdtemp(prefix="spaces-tls-browser-")
    started = time.time()
    summary = {}
    children = []
    browsers = []
    try:
        server = Child("spaces serve", [
            spaces, "serve", "--bind", "127.0.0.1", "--port", "0", "--host-key", HOST_KEY,
            "--tls-certificate", certificate, "--tls-key", key,
        ], cwd=work)
        children.append(server)
        port = int(server.wait_for_line(r"spaces listening on https://127\.0\.0\.1:(\d+)", 30).group(1))
        log(f"TLS node on port {port}")

        host = Child("spaces host", [
            spaces, "host", "start", "--server", f"https://localhost:{port}", "--cacert", authority,
            "--host-key", HOST_KEY, "--tone", "440", "--title", TITLE,
        ], cwd=work)
        children.append(host)
        space = host.wait_for_line(r"Space ([0-9a-z]+) \"", 30).group(1)
        log(f"Space {space} is live, its host streaming over wss://")

        page = Browser("T", chromium, chromedriver, port, work, origin=f"https://{NAME}", arguments=[
            f"--host-resolver-rules=MAP {NAME} 127.0.0.1",
            f"--ignore-certificate-errors-spki-list={spki}",
        ])
        browsers.append(page)
        page.open(f"/s/{space}")
        page.wait("the Space's page shows its title", lambda: page.text("#title") == TITLE, 15)
        context = page.driver.execute_script(
            "return {secure: window.isSecureContext, origin: location.origin,"
            " decoder: typeof AudioDecoder, worklet: typeof AudioWorkletNode};"
        )
        if context["secure"] is not True or context["origin"] != f"https://{NAME}:{page.proxy.port}":
            raise Failure(f"the page is not a secure context at https://{NAME}: {context}")
        if context["decoder"] != "function" or context["worklet"] != "function":
            raise Failure(f"WebCodecs or AudioWorklet missing on the secure page: {context}")
        if page.text("#audio-notice"):
            raise Failure(f"the page says audio is unavailable: {page.text('#audio-notice')}")
        page.wait("Listen is enabled", lambda: page.driver.find_element("id", "listen").is_enabled(), 10)
        page.click("#listen")
        page.wait("the page is live over wss://", lambda: page.state() == "live", 15)
        page.wait("it decodes 3 s of audio (150 frames)", lambda: (page.number("framesDecoded") or 0) >= 150, 20)
        stats = page.stats()
        if int(stats.get("decoderErrors", "0")) != 0:
            raise Failure(f"decoder errors: {stats}")
        summary.update({
            "secureContext": True,
            "origin": context["origin"],
            "framesDecoded": int(stats["framesDecoded"]),
            "decoderErrors": int(stats["decoderErrors"]),
            "latencyMs": int(stats.get("latencyMs", "0") or 0),
        })
        log(f"page live over TLS as {NAME}: {stats['framesDecoded']} frames decoded")
    finally:
        for browser in browsers:
            browser.quit()
        for child in reversed(children):
            child.stop(signal.SIGINT if child.name == "spaces host" else signal.SIGTERM)
        if "framesDecoded" not in summary and children:
            log("node output (last lines):\n" + "\n".join(children[0].lines[-20:]))
        shutil.rmtree(work, ignore_errors=True)
    summary["seconds"] = round(time.time() - started, 1)
    return summary


def main():
    if len(sys.argv) != 6:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    return run_bounded(run, (os.path.abspath(sys.argv[1]), *sys.argv[2:]), RUN_LIMIT_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
