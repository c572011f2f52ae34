#!/usr/bin/env python3
"""The listener page's failover in a real browser, against a real two-node cluster.

    cluster_page_test.py SPACES_BINARY

Starts `redis-server` on a free loopback port, two `spaces serve --cluster` nodes on it ("a"
and "doomed", each with a 1 s node timeout), and `spaces host start --tone 440` on node a. A
headless Chromium opens the Space's page on the doomed node (through a proxy, so that the
page's own origin stays up when the node goes) and listens. Then the doomed node is killed
with SIGKILL. The page must find node a among the nodes its `welcome` named, resume there with
its token (the same listener id, never queued), and decode audio again.

Prints one JSON summary line on stdout; exits 1 with a message on stderr (and `"ok": false` in
the summary) when a check fails. Bounded: the whole run is stopped after 120 s. Stops only the
processes it started.
"""

import os
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from listener_page_test import CHROMEDRIVER, CHROMIUM, Browser, Child, Failure, find, log, run_bounded, webdriver  # noqa: E402

HOST_KEY = "cluster-browser-key"
TITLE = "Cluster check"
RUN_LIMIT_SECONDS = 120


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def node(spaces, name, redis_port, work):
    config = os.path.join(work, f"{name}.yaml")
    with open(config, "w") as file:
        file.write("cluster:\n  nodeTTLSeconds: 1\n  heartbeatMs: 100\n")
    child = Child(f"node {name}", [
        spaces, "serve", "--bind", "127.0.0.1", "--port", "0", "--host-key", HOST_KEY,
        "--cluster", f"redis://127.0.0.1:{redis_port}", "--node-id", name, "--config", config,
    ], cwd=work)
    port = int(child.wait_for_line(r"spaces listening on http://127\.0\.0\.1:(\d+)", 30).group(1))
    log(f"node {name} on port {port}")
    return child, port


def run(spaces):
    if webdriver is None:
        raise Failure(f"Selenium is missing for {sys.executable}: apt-get install python3-selenium (.ci/run does)")
    redis = shutil.which("redis-server")
    if not redis:
        raise Failure("redis-server not found: apt-get install redis-server (.ci/run does)")
    chromium = find(CHROMIUM, "Chromium")
    chromedriver = find(CHROMEDRIVER, "chromedriver")
    work = tempfile.mkdtemp(prefix="spaces-cluster-browser-")
    started = time.time()
    summary = {}
    children = []
    browsers = []
    try:
        redis_port = free_port()
        store = Child("redis-server", [redis, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], cwd=work)
        children.append(store)
        store.wait_for_line(r"Ready to accept connections", 20)
        a, a_port = node(spaces, "a", redis_port, work)
        doomed, doomed_port = node(spaces, "doomed", redis_port, work)
        children += [a, doomed]

        host = Child("spaces host", [
            spaces, "host", "start", "--server", f"http://127.0.0.1:{a_port}", "--host-key", HOST_KEY,
            "--tone", "440", "--title", TITLE, "--capacity", "5",
        ], cwd=work)
        children.append(host)
        space = host.wait_for_line(r"Space ([0-9a-z]+) \"", 30).group(1)
        log(f"Space {space} is live, its host on node a")

        page = Browser("P", chromium, chromedriver, doomed_port, work)
        browsers.append(page)
        page.open(f"/s/{space}")
        page.wait("the Space's page shows its title (from the directory)", lambda: page.text("#title") == TITLE, 15)
        page.wait("Listen is enabled", lambda: page.driver.find_element("id", "listen").is_enabled(), 10)
        page.click("#listen")
        page.wait("the page is live on the doomed node", lambda: page.state() == "live", 15)
        page.wait("it decodes 2 s of audio relayed from node a", lambda: (page.number("framesDecoded") or 0) >= 100, 20)
        before = page.stats()
        listener_id = before.get("listenerId")
        if not listener_id:
            raise Failure(f"no listener id shown: {before}")
        log(f"page live as listener {listener_id}, {before['framesDecoded']} frames decoded")

        doomed.send_signal(signal.SIGKILL)
        doomed.process.wait(10)
        killed = time.time()
        log("node doomed killed (SIGKILL)")
        page.wait("the page sees its connection lost", lambda: page.state() != "live" or (page.number("resumes") or 0) >= 1, 10)
        page.wait("the page resumed on node a", lambda: (page.number("resumes") or 0) >= 1 and page.state() == "live", 30)
        back = time.time()
        decoded = page.number("framesDecoded") or 0
        page.wait("it decodes 2 s more audio there", lambda: (page.number("framesDecoded") or 0) >= decoded + 100, 20)
        after = page.stats()
        if after.get("listenerId") != listener_id:
            raise Failure(f"resumed as another listener: {listener_id} -> {after.get('listenerId')}")
        if after.get("position") not in (None, "", "null"):
            raise Failure(f"the page queued again: position {after.get('position')}")
        if int(after.get("decoderErrors", "0")) != 0:
            raise Failure(f"decoder errors: {after}")
        summary.update({
            "listenerId": listener_id,
            "sameListenerId": True,
            "resumes": int(after["resumes"]),
            "reconnects": int(after.get("reconnects", "0")),
            "secondsToResume": round(back - killed, 1),
            "framesDecodedBefore": int(before["framesDecoded"]),
            "framesDecodedAfter": int(after["framesDecoded"]),
            "decoderErrors": int(after.get("decoderErrors", "0")),
        })
        log(f"resumed on node a in {summary['secondsToResume']} s as the same listener; {after['framesDecoded']} frames decoded")
        problems = [
            entry.get("message", "") for entry in page.collect_console()
            if "Uncaught" in entry.get("message", "") or "Content Security Policy" in entry.get("message", "")
        ]
        if problems:
            raise Failure("console errors:\n" + "\n".join(problems))
    finally:
        if "sameListenerId" not in summary:
            for browser in browsers:
                for entry in browser.collect_console()[-15:]:
                    log(f"console ({browser.name}): {entry.get('message', '')[:300]}")
        for browser in browsers:
            browser.quit()
        for child in reversed(children):
            child.stop(signal.SIGINT if child.name == "spaces host" else signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)
    summary["seconds"] = round(time.time() - started, 1)
    return summary


def main():
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    return run_bounded(run, (os.path.abspath(sys.argv[1]),), RUN_LIMIT_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
