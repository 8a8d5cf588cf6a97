"""The built docs in headless Chromium: math is typeset by the vendored KaTeX, and no request leaves
127.0.0.1.

The site is built with ``mkdocs build --strict`` (once per test run, ``site`` in conftest.py) and
served by ``http.server`` on 127.0.0.1.
Chromium is driven over the Chrome DevTools protocol (``--remote-debugging-port``, the
``websocket-client`` package). Two independent witnesses watch the network:

- the page's ``Network.requestWillBeSent`` events (every request of the page and its frames);
- a recording proxy on 127.0.0.1 given to Chromium with ``--proxy-server``: Chromium sends every
  request for a non-loopback host there (loopback bypasses proxies), from any of its processes,
  workers included. The proxy answers 403 and records the request; the test expects none.

Skipped only when Chromium is not installed (``make browser`` installs it).
Set ``INITREF_DOCS_SCREENSHOTS=<dir>`` to keep a screenshot of each page.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import shutil
import socketserver
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and Path(p).is_file()), None)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: `make browser`, i.e. "
                       "apt-get install chromium chromium-driver); the docs browser test needs it"),
]

#: Pages opened, with the least number of typeset formulas each must show.
PAGES = {"home": ("", 5), "theory": ("theory/kaiming/", 20), "gains": ("gains/", 20)}
#: Chromium's own background services, which Chromium 156 still calls with every flag above while it
#: shows nothing but about:blank (measured: sign-in, component updater, network time, optimization
#: guide, autofill). They are not caused by a page: the site references none of these hosts
#: (tests/test_docs.py), and DevTools, which sees every request of the page and its workers, must
#: report no external request at all. Any other host reaching the proxy fails the test.
CHROMIUM_SERVICE_HOSTS = frozenset({
    "accounts.google.com", "update.googleapis.com", "clients2.google.com", "optimizationguide-pa.googleapis.com",
    "content-autofill.googleapis.com",
})
#: LaTeX that must never be visible as text once KaTeX has run.
RAW_TEX = ("\\frac", "\\sqrt", "\\operatorname", "\\mathcal", "\\left", "\\(", "\\[", "$$")

VISIBLE_TEXT_JS = """
(() => {
  const skip = "script, style, pre, code, .katex-mathml, .md-search, [hidden]";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest(skip)) continue;
    if (element.checkVisibility && !element.checkVisibility()) continue;
    parts.push(node.textContent);
  }
  return parts.join(" ");
})()
"""


# ------------------------------------------------------------------------------------ servers


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


class RecordingProxy(socketserver.ThreadingTCPServer):
    """An HTTP proxy that forwards nothing: it records each request line and answers 403."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), self._Handler)

    class _Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            line = self.rfile.readline(65536).decode("latin-1").strip()
            if line:
                self.server.requests.append(line)  # type: ignore[attr-defined]
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def _serve(server: socketserver.BaseServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    _serve(server)
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def proxy() -> Iterator[RecordingProxy]:
    server = RecordingProxy()
    _serve(server)
    yield server
    server.shutdown()
    server.server_close()


# ----------------------------------------------------------------------------------- Chromium


class DevTools:
    """A minimal Chrome DevTools protocol client: one page in its own session, and every worker it starts.

    Connected to the browser endpoint with flat sessions; ``Target.setAutoAttach`` attaches each
    dedicated, shared or service worker the page starts (paused until its ``Network.enable``), so
    ``requests`` holds every request of the page and of its workers.
    """

    def __init__(self, browser_websocket: str) -> None:
        import websocket  # websocket-client (dev extra)

        self.ws = websocket.create_connection(browser_websocket, timeout=60, suppress_origin=True)
        self.events: list[dict] = []
        self._next = 0
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.target = target

    def _send(self, method: str, session: str | None, params: dict) -> int:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        return self._next

    def _receive(self) -> dict:
        message = json.loads(self.ws.recv())
        if message.get("method") == "Target.attachedToTarget":  # a worker: watch its network, then let it run
            child = message["params"]["sessionId"]
            self._send("Network.enable", child, {})
            self._send("Runtime.runIfWaitingForDebugger", child, {})
        if "method" in message:
            self.events.append(message)
        return message

    def call(self, method: str, *, session: str | None = None, **params: object) -> dict:
        ident = self._send(method, session, params)
        while True:
            message = self._receive()
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def page(self, method: str, **params: object) -> dict:
        return self.call(method, session=self.session, **params)

    def wait_for(self, method: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            self._receive()
        self.ws.settimeout(60)

    def evaluate(self, expression: str) -> object:
        result = self.page("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    @property
    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.call("Target.closeTarget", targetId=self.target)
        finally:
            self.ws.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, proxy: RecordingProxy) -> Iterator[str]:
    """Start Chromium; yield the websocket address of its browser-wide DevTools endpoint."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-default-apps",
        "--disable-extensions", "--no-default-browser-check", "--disable-dev-shm-usage",
        "--metrics-recording-only", "--mute-audio", "--window-size=1280,1600", "--no-pings",
        "--disable-client-side-phishing-detection", "--disable-domain-reliability", "--disable-breakpad",
        "--disable-component-extensions-with-background-pages", "--disable-field-trial-config",
        "--disable-features=NetworkTimeServiceQuerying,AutofillServerCommunication,OptimizationHints,"
        "MediaRouter,Translate,InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater",
        f"--user-data-dir={profile}", f"--proxy-server=http://127.0.0.1:{proxy.server_address[1]}",
        "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 60
    while not (port_file.is_file() and port_file.read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"Chromium did not start: {process.stderr.read().decode(errors='replace')[-2000:]}")
        time.sleep(0.1)
    try:
        port, path = port_file.read_text().split()[:2]
        yield f"ws://127.0.0.1:{port}{path}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _open(browser_websocket: str, url: str) -> DevTools:
    """Load ``url`` in a new page and wait until its math is typeset and its fonts are loaded."""
    tools = DevTools(browser_websocket)
    tools.page("Network.enable")
    tools.page("Network.setCacheDisabled", cacheDisabled=True)
    tools.page("Page.enable")
    tools.page("Target.setAutoAttach", autoAttach=True, waitForDebuggerOnStart=True, flatten=True)
    tools.page("Page.navigate", url=url)
    tools.wait_for("Page.loadEventFired", timeout=60)
    tools.evaluate("document.fonts.ready.then(() => true)")
    typeset = ("document.querySelectorAll('.katex').length > 0 && document.querySelectorAll('.arithmatex').length"
               " === document.querySelectorAll('.arithmatex .katex').length")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not tools.evaluate(typeset):
        time.sleep(0.2)
    time.sleep(1.0)  # late requests (fonts, the search worker and its index) start meanwhile
    tools.evaluate("1")  # and their events are read
    return tools


def _proxy_host(request_line: str) -> str:
    """The host of a proxy request line: ``CONNECT host:443 HTTP/1.1`` or ``GET http://host/path HTTP/1.1``."""
    target = request_line.split()[1] if len(request_line.split()) > 1 else ""
    return (urlsplit(target).hostname if "://" in target else target.rpartition(":")[0]) or target


def _local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in ("127.0.0.1", "localhost")


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_typesets_math_offline(page: str, base_url: str, browser: str, proxy: RecordingProxy) -> None:
    path, least = PAGES[page]
    tools = _open(browser, base_url + path)
    urls = tools.requests
    try:
        rendered = tools.evaluate("document.querySelectorAll('.katex').length")
        pending = tools.evaluate("document.querySelectorAll('.arithmatex').length - "
                                 "document.querySelectorAll('.arithmatex .katex').length")
        errors = tools.evaluate("Array.from(document.querySelectorAll('.katex-error')).map(e => e.title)")
        text = tools.evaluate(VISIBLE_TEXT_JS)
        title = tools.evaluate("document.title")
        if os.environ.get("INITREF_DOCS_SCREENSHOTS"):
            shot = tools.page("Page.captureScreenshot", format="png")["data"]
            out = Path(os.environ["INITREF_DOCS_SCREENSHOTS"])
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{page}.png").write_bytes(base64.b64decode(shot))
    finally:
        tools.close()
    assert "404" not in title, title
    assert rendered >= least, f"{page}: only {rendered} typeset formulas"
    assert pending == 0, f"{page}: {pending} formulas left untypeset"
    assert errors == [], f"{page}: KaTeX errors {errors[:5]}"
    visible_tex = [text[max(0, text.find(t) - 60):text.find(t) + 60] for t in RAW_TEX if t in text]
    assert not visible_tex, f"{page}: raw LaTeX visible: {visible_tex}"
    assert urls and urls[0].startswith(base_url), urls[:3]
    assert any("/assets/katex/katex.min.js" in u for u in urls)
    assert any("/assets/katex/fonts/" in u for u in urls), "KaTeX fonts were not loaded from the site"
    left = [u for u in urls if not _local(u)]
    assert not left, f"{page}: requests left 127.0.0.1: {left}"
    others = [r for r in proxy.requests if _proxy_host(r) not in CHROMIUM_SERVICE_HOSTS]
    assert not others, f"requests for other hosts reached the proxy: {others}"
