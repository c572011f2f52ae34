#!/usr/bin/env python3
"""The listener page in a real browser, against a real node.

    listener_page_test.py SPACES_BINARY SCREENSHOTS_DIR

Starts `spaces serve` on a free loopback port (a waiting room of one place and a 3 s
Retry-After, so that a full room can be seen quickly), and `spaces host start --tone 440
--capacity 1`. Then three headless Chromium sessions (Selenium and chromedriver) use the page:

  A  opens the home page and follows the link to the Space; the page's own player, fed
     batches with a 3-frame sequence gap, conceals it; A presses Listen, decodes at least 5 s
     of audio without a decoder error, sees the listener count, asks a question and sees it
     in the queue with its rank, reacts and sees the count;
  B  presses Listen while A holds the only place: waits in line at #1
     (screenshot listener-waiting.png);
  C  presses Listen (with the keyboard) while B fills the waiting room: 503, counts down and
     retries by itself with its ticket;
  A  leaves: B is admitted and hears audio, asks, upvotes A's question once, reacts, raises
     its hand and is invited by the host (screenshot listener-live.png); C's retry gets it
     into the line;
  B's TCP connection is cut (see Proxy): B resumes with its token and keeps its listener id,
     while C, behind it, keeps waiting (the slot was held for B);
  the host ends the Space (Ctrl-C): B and C show it ended (screenshot listener-ended.png).

Every browser reaches the node through its own small TCP proxy, so that the test can cut one
browser's WebSocket the way a network does: both sides get a TCP reset and no close frame. The
node sees an unclean loss and holds the slot (docs/PROTOCOL.md §4.6); the page sees close 1006.

Prints one JSON summary line on stdout; exits 1 with a message on stderr (and `"ok": false` in
the summary) when a check fails. Bounded: the whole run is stopped after 170 s. Stops only the
processes it started.
"""

import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError:  # pragma: no cover - reported as a failure below
    webdriver = None

HOST_KEY = "browser-test-key"
TITLE = "Browser check"
QUESTION = "Will the slides be shared?"
SECOND_QUESTION = "Is there a recording afterwards?"
RUN_LIMIT_SECONDS = 170
CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
CHROMEDRIVER = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]


# Feeds the page's player (Web/player.js) four batches, frames 0-1, 5, 6-10, 11: frames 2-4 are
# missing. Opus packet f8 ff fe is a 20 ms CELT silence frame (docs/PROTOCOL.md §7).
GAP_CHECK = """
const done = arguments[arguments.length - 1];
(async () => {
  const { AudioPlayer, emptyAudioStats } = await import('/web/player.js');
  const { parseBatch, SequenceTracker } = await import('/web/batch.js');
  const batch = (first, count) => {
    const bytes = new Uint8Array(14 + count * 5);
    const view = new DataView(bytes.buffer);
    view.setUint8(0, 1);
    view.setUint8(1, count);
    view.setUint32(2, first);
    view.setBigUint64(6, BigInt(Date.now()) * 1000n);
    for (let i = 0; i < count; i++) bytes.set([0, 3, 0xf8, 0xff, 0xfe], 14 + i * 5);
    return bytes.buffer;
  };
  const stats = emptyAudioStats();
  const player = new AudioPlayer(stats);
  await player.prepare();
  const problem = await player.start({ channels: 1, sampleRate: 48000 });
  if (problem) return done({ error: problem });
  const tracker = new SequenceTracker();
  for (const [first, count] of [[0, 2], [5, 1], [6, 5], [11, 1]]) {
    const parsed = parseBatch(batch(first, count));
    player.receive(parsed, tracker.next(parsed.firstSequence, parsed.frameCount));
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const result = { ...stats };
  await player.close();
  done(result);
})().catch((error) => done({ error: String(error) }));
"""

class Failure(Exception):
    pass


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- Processes we start -----------------------------------------------------------------------


class Child:
    """A process of ours, its output collected by a thread."""

    def __init__(self, name, args, env=None, cwd=None):
        self.name = name
        self.lines = []
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, pattern, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in list(self.lines):
                match = re.search(pattern, line)
                if match:
                    return match
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise Failure(f"{self.name}: no line matching {pattern!r}; output:\n" + "\n".join(self.lines[-30:]))

    def send_signal(self, number):
        if self.process.poll() is None:
            self.process.send_signal(number)

    def stop(self, first=signal.SIGTERM, grace=8):
        if self.process.poll() is None:
            self.process.send_signal(first)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


# ---- A TCP proxy that can cut a connection ----------------------------------------------------


class Proxy:
    """Forwards a loopback port to the node; `cut_websockets()` resets the WebSocket connections.

    A reset (SO_LINGER 0, then close) on both sockets is what a lost network path looks like to
    each side: no close frame, the connection just ends. HTTP requests through the same proxy are
    left alone.
    """

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.websockets = []  # (client socket, upstream socket)
        self.cut = set()
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            pair = (client, upstream)
            threading.Thread(target=self._pump, args=(client, upstream, pair, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pair, False), daemon=True).start()

    def _pump(self, source, destination, pair, from_client):
        first = from_client
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if first:
                    first = False
                    head = data.split(b"\r\n", 1)[0]
                    if b"/listen" in head and b"upgrade: websocket" in data.lower():
                        with self.lock:
                            self.websockets.append(pair)
                destination.sendall(data)
        except OSError:
            pass
        if pair in self.cut:
            return  # reset by cut_websockets: no FIN after the reset
        for end in pair:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.lock:
            if pair in self.websockets:
                self.websockets.remove(pair)

    def cut_websockets(self):
        with self.lock:
            pairs, self.websockets = self.websockets, []
        for pair in pairs:
            self.cut.add(pair)
            for end in pair:
                try:
                    # Linger 0: close() sends a reset, not a FIN. shutdown(SHUT_RD) sends nothing
                    # but wakes the pump blocked in recv(): Linux releases (and resets) a socket
                    # only once no thread is inside a call on it.
                    end.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    end.shutdown(socket.SHUT_RD)
                    end.close()
                except OSError:
                    pass
        self.cuts += len(pairs)
        return len(pairs)

    def close(self):
        self.listener.close()


# ---- Browsers ---------------------------------------------------------------------------------


class Browser:
    """One headless Chromium session, with its own profile and its own proxy to the node."""

    def __init__(self, name, chromium, chromedriver, upstream_port, profile_root, origin="http://127.0.0.1", arguments=()):
        self.name = name
        self.proxy = Proxy(upstream_port)
        # `origin` is what the page is opened as (a TLS node by a name: https://spaces.test,
        # with `arguments` mapping that name to loopback); the proxy passes bytes as they are.
        self.base = f"{origin}:{self.proxy.port}"
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for argument in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--autoplay-policy=no-user-gesture-required",
            "--window-size=500,900",
            "--hide-scrollbars",
            f"--user-data-dir={os.path.join(profile_root, name)}",
            *arguments,
        ]:
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(chromedriver), options=options)
        # A 360 px wide phone screen (a desktop window cannot be made that narrow).
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 360, "height": 800, "deviceScaleFactor": 2, "mobile": True})
        self.driver.set_script_timeout(20)
        self.console = []

    def open(self, path):
        self.driver.get(self.base + path)

    def click(self, selector):
        self.driver.find_element(By.CSS_SELECTOR, selector).click()

    def stats(self):
        return self.driver.execute_script("return Object.assign({}, document.getElementById('stats').dataset);")

    def number(self, name):
        value = self.stats().get(name, "")
        return int(value) if value not in ("", None) else None

    def state(self):
        return self.driver.execute_script("return document.body.dataset.state;")

    def text(self, selector):
        return self.driver.find_element(By.CSS_SELECTOR, selector).text

    def wait(self, what, predicate, timeout):
        deadline = time.time() + timeout
        last_error = None
        while time.time() < deadline:
            try:
                if predicate():
                    return
            except Exception as error:  # a page mid-navigation, an element not there yet
                last_error = error
            time.sleep(0.2)
        detail = f"state={self.safe(self.state)} status={self.safe(lambda: self.text('#status'))!r} stats={self.safe(self.stats)}"
        if last_error:
            detail += f" last error: {last_error}"
        raise Failure(f"{self.name}: {what} (not within {timeout} s); {detail}")

    def safe(self, function):
        try:
            return function()
        except Exception as error:
            return f"<{error.__class__.__name__}>"

    def screenshot(self, path):
        """The whole page as a phone shows it, not only the window (DevTools captures beyond it)."""
        self.driver.execute_script("window.scrollTo(0, 0);")
        time.sleep(0.3)  # let the page settle (reaction animations, the stats refresh)
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as file:
            file.write(base64.b64decode(shot["data"]))

    def collect_console(self):
        try:
            self.console.extend(self.driver.get_log("browser"))
        except Exception:
            pass
        return self.console

    def quit(self):
        self.collect_console()
        try:
            self.driver.quit()
        except Exception:
            pass
        self.proxy.close()


def find(candidates, what):
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    found = shutil.which(os.path.basename(candidates[0]))
    if found:
        return found
    raise Failure(f"{what} not found (tried {', '.join(candidates)}); apt-get install chromium chromium-driver (.ci/run does)")


# ---- The scenario -----------------------------------------------------------------------------


def run(spaces, screenshots):
    if webdriver is None:
        raise Failure(f"Selenium is missing for {sys.executable}: apt-get install python3-selenium (.ci/run does)")
    chromium = find(CHROMIUM, "Chromium")
    chromedriver = find(CHROMEDRIVER, "chromedriver")
    os.makedirs(screenshots, exist_ok=True)
    work = tempfile.mkdtemp(prefix="spaces-browser-")
    started = time.time()
    summary = {}
    children = []
    browsers = []
    try:
        # The node: loopback only, in an empty directory (no Config/spaces.yaml), with a waiting
        # room of one place and a short Retry-After so that the full room is seen in seconds.
        env = dict(os.environ)
        env["SPACES_ADMISSION_WAITING_ROOM_SIZE"] = "1"
        env["SPACES_ADMISSION_RETRY_AFTER_SECONDS"] = "3"
        server = Child("spaces serve", [spaces, "serve", "--bind", "127.0.0.1", "--port", "0", "--host-key", HOST_KEY], env=env, cwd=work)
        children.append(server)
        port = int(server.wait_for_line(r"spaces listening on http://127\.0\.0\.1:(\d+)", 30).group(1))
        log(f"node on port {port}")

        host = Child("spaces host", [
            spaces, "host", "start", "--server", f"http://127.0.0.1:{port}", "--host-key", HOST_KEY,
            "--tone", "440", "--title", TITLE, "--capacity", "1",
        ], cwd=work)
        children.append(host)
        space = host.wait_for_line(r"Space ([0-9a-z]+) \"", 30).group(1)
        host_token = host.wait_for_line(r"--token ([0-9a-f]+)", 10).group(1)
        log(f"Space {space} is live")

        # --- A: from the home page to live audio.
        a = Browser("A", chromium, chromedriver, port, work)
        browsers.append(a)
        a.open("/")
        a.wait("the home page lists the Space", lambda: len(a.driver.find_elements(By.CSS_SELECTOR, f'#spaces li[data-id="{space}"] a')) == 1, 10)
        a.click(f'#spaces li[data-id="{space}"] a')
        a.wait("the Space's page shows its title", lambda: a.text("#title") == TITLE, 10)
        a.wait("Listen is enabled", lambda: a.driver.find_element(By.ID, "listen").is_enabled(), 10)
        if a.text("#audio-notice"):
            raise Failure(f"A: the page says audio is unavailable: {a.text('#audio-notice')}")
        # The node delivers every frame to a listener that keeps up, so a sequence gap is made
        # up here: the page's own player, fed batches with a gap, in this browser.
        gap = a.driver.execute_async_script(GAP_CHECK)
        if gap.get("error") or gap["framesDecoded"] != 9 or gap["framesConcealed"] != 3 or gap["framesLost"] != 3 or gap["decoderErrors"] != 0:
            raise Failure(f"A: the player does not conceal a gap of 3 frames as expected: {gap}")
        summary["gapCheck"] = {k: gap[k] for k in ("framesDecoded", "framesConcealed", "framesLost")}
        log(f"A: a gap of 3 frames was concealed: {summary['gapCheck']}")

        a.click("#listen")
        a.wait("A is live", lambda: a.state() == "live", 10)
        a.wait("A shows 1 listener", lambda: a.number("listeners") == 1 and "1 listening" in a.text("#listener-count"), 10)
        a.wait("A decodes 5 s of audio (250 frames)", lambda: (a.number("framesDecoded") or 0) >= 250, 20)
        stats_a = a.stats()
        if int(stats_a["decoderErrors"]) != 0:
            raise Failure(f"A: decoder errors: {stats_a}")
        if int(stats_a["jitterBufferMs"]) <= 0:
            raise Failure(f"A: the jitter buffer is empty while audio plays: {stats_a}")
        summary["framesDecoded"] = int(stats_a["framesDecoded"])
        summary["framesReceived"] = int(stats_a["framesReceived"])
        summary["latencyMs"] = int(stats_a["latencyMs"])
        summary["jitterBufferMs"] = int(stats_a["jitterBufferMs"])
        summary["listenersShown"] = int(stats_a["listeners"])
        log(f"A: {stats_a['framesDecoded']} frames decoded, latency {stats_a['latencyMs']} ms, buffer {stats_a['jitterBufferMs']} ms")

        # A asks a question and sees it in the queue; reacts.
        a.driver.find_element(By.ID, "ask-text").send_keys(QUESTION)
        a.click("#ask-button")
        a.wait("A's question is in the queue", lambda: QUESTION in a.text("#questions"), 10)
        a.wait("A sees its question's rank", lambda: "#1 in the queue" in a.text("#my-question"), 10)
        question_id = a.driver.find_element(By.CSS_SELECTOR, "#questions li.mine").get_attribute("data-id")
        a.click('.reaction[data-emoji="👏"]')
        a.wait("A sees the reaction counted", lambda: a.driver.find_element(By.CSS_SELECTOR, '.reaction[data-emoji="👏"]').get_attribute("data-count") == "1", 10)
        summary["questionSeen"] = True
        log(f"A: question {question_id} in the queue, reaction counted")

        # --- B: the Space is full (capacity 1): B waits at #1.
        b = Browser("B", chromium, chromedriver, port, work)
        browsers.append(b)
        b.open(f"/s/{space}")
        b.wait("Listen is enabled", lambda: b.driver.find_element(By.ID, "listen").is_enabled(), 10)
        b.click("#listen")
        b.wait("B waits in line at #1", lambda: b.state() == "waiting" and b.number("position") == 1, 10)
        if "#1" not in b.text("#status"):
            raise Failure(f"B: the state line does not show the position: {b.text('#status')!r}")
        summary["waitingPosition"] = 1
        b.screenshot(os.path.join(screenshots, "listener-waiting.png"))
        log("B: waiting at #1")

        # --- C: the waiting room (one place) is full: 503, countdown, retries with its ticket.
        c = Browser("C", chromium, chromedriver, port, work)
        browsers.append(c)
        c.open(f"/s/{space}")
        c.wait("Listen is enabled", lambda: c.driver.find_element(By.ID, "listen").is_enabled(), 10)
        # C joins with the keyboard: focus the button and press Enter.
        c.driver.find_element(By.ID, "listen").send_keys(Keys.ENTER)
        c.wait("C is told the waiting room is full", lambda: c.state() == "full", 10)
        c.wait("C counts down", lambda: re.search(r"Trying again in \d s", c.text("#status-detail")) is not None, 5)
        c.wait("C retries by itself and is refused again", lambda: (c.number("fullRetries") or 0) >= 2, 10)
        summary["fullRetries"] = c.number("fullRetries")
        log(f"C: room full, {summary['fullRetries']} tries so far")

        # --- A leaves (close 1000): B is admitted, C gets into the line on its next try.
        a.click("#leave")
        a.wait("A has left", lambda: a.state() == "left", 5)
        b.wait("B is admitted when A leaves", lambda: b.state() == "live", 10)
        c.wait("C is in line once B left it", lambda: c.state() == "waiting" and c.number("position") == 1, 15)
        b.wait("B decodes audio", lambda: (b.number("framesDecoded") or 0) >= 100, 15)
        b.wait("B shows 1 listener", lambda: b.number("listeners") == 1, 10)
        summary["admittedAfterLeave"] = True
        listener_id = b.stats()["listenerId"]
        log(f"B: live as listener {listener_id}; C waiting at #1")

        # B sees A's question at once (A has left; the question stays): a listener admitted
        # after the queue changed gets the latest `questions` with its welcome.
        b.wait("B sees the queue on joining", lambda: QUESTION in b.text("#questions"), 10)
        summary["queueOnJoin"] = True
        b.driver.find_element(By.ID, "ask-text").send_keys(SECOND_QUESTION)
        b.click("#ask-button")
        b.wait("B's question is in the queue", lambda: SECOND_QUESTION in b.text("#questions"), 10)
        b.wait("B sees A's question", lambda: QUESTION in b.text("#questions"), 10)
        upvote = f'#questions li[data-id="{question_id}"] button.upvote'
        b.click(upvote)
        b.wait("the vote is counted", lambda: b.driver.find_element(By.CSS_SELECTOR, f'#questions li[data-id="{question_id}"]').get_attribute("data-votes") == "1", 10)
        if b.driver.find_element(By.CSS_SELECTOR, upvote).is_enabled():
            raise Failure("B: the upvote button is still enabled after voting")
        b.click('.reaction[data-emoji="🔥"]')
        b.wait("B sees its reaction", lambda: b.driver.find_element(By.CSS_SELECTOR, '.reaction[data-emoji="🔥"]').get_attribute("data-count") == "1", 10)
        # B raises its hand; the host invites it (over HTTP, with the host token).
        b.click("#hand")
        b.wait("B's hand is up", lambda: "hand is up" in b.text("#hand-status") and b.driver.find_element(By.ID, "hand").get_attribute("aria-pressed") == "true", 10)
        invite = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/spaces/{space}/hands/{listener_id}/invite",
            method="POST", headers={"Authorization": f"Bearer {host_token}"},
        )
        with urllib.request.urlopen(invite, timeout=5) as response:
            if response.status != 200:
                raise Failure(f"inviting B answered {response.status}")
        b.wait("B is told it is invited to speak", lambda: b.driver.find_element(By.ID, "invited").is_displayed(), 10)
        summary["invited"] = True
        b.screenshot(os.path.join(screenshots, "listener-live.png"))
        summary["upvoted"] = True

        # --- The network drops B's connection: B resumes with its token, C keeps waiting.
        decoded_before = b.number("framesDecoded")
        cut_at = time.time()
        cut = b.proxy.cut_websockets()
        if cut != 1:
            raise Failure(f"expected to cut B's one WebSocket, cut {cut}")
        log("B: connection cut")
        states_c = set()

        def b_resumed():
            states_c.add(c.state())
            return b.state() == "live" and (b.number("resumes") or 0) >= 1

        b.wait("B resumes after the drop", b_resumed, 15)
        summary["resumeSeconds"] = round(time.time() - cut_at, 1)
        stats_b = b.stats()
        if stats_b["listenerId"] != listener_id:
            raise Failure(f"B came back as listener {stats_b['listenerId']}, not {listener_id}: not a resume")
        b.wait("B decodes audio again", lambda: b.number("framesDecoded") >= decoded_before + 100, 15)
        states_c.add(c.state())
        if states_c != {"waiting"}:
            raise Failure(f"C should have kept waiting while B's slot was held; C was {sorted(states_c)}")
        summary["resumed"] = True
        summary["sameListenerId"] = True
        summary["reconnects"] = b.number("reconnects")
        log(f"B: resumed as listener {listener_id} in {summary['resumeSeconds']} s ({summary['reconnects']} reconnect); C still waiting")

        # --- The host ends the Space (Ctrl-C ends it): everyone sees it ended.
        host.send_signal(signal.SIGINT)
        b.wait("B shows the Space ended", lambda: b.state() == "ended" and "ended" in b.text("#status"), 15)
        c.wait("C (in line) shows the Space ended", lambda: c.state() == "ended", 10)
        b.screenshot(os.path.join(screenshots, "listener-ended.png"))
        summary["ended"] = True

        # Decoder errors over the whole run, and the consoles: no script or CSP errors.
        summary["decoderErrors"] = sum(int(x.stats()["decoderErrors"]) for x in (a, b))
        if summary["decoderErrors"] != 0:
            raise Failure(f"decoder errors: {summary['decoderErrors']}")
        problems = []
        seen = set()
        for browser in browsers:
            for entry in browser.collect_console():
                message = entry.get("message", "")
                if "Uncaught" in message or "Content Security Policy" in message or "Refused to" in message:
                    problems.append(f"{browser.name}: {message}")
                # Expected: the probes' 426 and 503 answers, which Chrome logs as failed loads.
                shape = re.sub(r"https?://\S+", "URL", message)
                if shape not in seen:
                    seen.add(shape)
                    log(f"console ({browser.name}, {entry.get('level')}): {message[:200]}")
        if problems:
            raise Failure("console errors:\n" + "\n".join(problems))
        summary["screenshots"] = sorted(n for n in os.listdir(screenshots) if n.startswith("listener-"))
    finally:
        for browser in browsers:
            browser.quit()
        for child in reversed(children):
            child.stop(signal.SIGINT if child.name == "spaces host" else signal.SIGTERM)
        if "ended" not in summary and children:
            log("node output (last lines):\n" + "\n".join(children[0].lines[-20:]))
        shutil.rmtree(work, ignore_errors=True)
    summary["seconds"] = round(time.time() - started, 1)
    return summary


def run_bounded(scenario, arguments, limit):
    """Runs `scenario(*arguments)` within `limit` seconds; prints its JSON summary on stdout."""

    def overtime(signum, frame):
        raise Failure(f"the run took longer than {limit} s")

    def terminated(signum, frame):
        raise Failure("stopped by SIGTERM")

    # Either way the scenario's own cleanup stops the browsers and the processes it started.
    signal.signal(signal.SIGALRM, overtime)
    signal.signal(signal.SIGTERM, terminated)
    signal.alarm(limit)
    try:
        summary = scenario(*arguments)
    except Exception as failure:  # a failed check, or Selenium/Chromium failing under us
        if not isinstance(failure, Failure):
            failure = f"{failure.__class__.__name__}: {failure}"
        print(f"FAILED: {failure}", file=sys.stderr)
        print(json.dumps({"ok": False, "error": str(failure)}))
        return 1
    finally:
        signal.alarm(0)
    summary["ok"] = True
    print(json.dumps(summary, sort_keys=True))
    return 0


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    return run_bounded(run, (os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])), RUN_LIMIT_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
