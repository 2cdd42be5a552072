"""Open a page in headless Chromium and watch it over the DevTools protocol (no extra deps).

Chromium's `--remote-debugging-pipe` speaks the Chrome DevTools Protocol over file
descriptors 3 (commands in) and 4 (replies and events out), NUL-separated JSON. That is all a
test needs to load a report from disk and record console messages, uncaught exceptions,
log entries and every network request the page makes, without selenium or a websocket.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--remote-debugging-pipe",
)


SETTLE_FRAMES = 120
SETTLED = f"""
new Promise(resolve => {{
  let frames = 0;
  const drawn = () => Array.from(document.querySelectorAll('div.plot')).every(
    d => d.querySelector('svg.main-svg') && d.querySelector('.trace'));
  const step = () => (drawn() || ++frames > {SETTLE_FRAMES})
    ? setTimeout(resolve, 0) : requestAnimationFrame(step);
  requestAnimationFrame(step);
}})
"""
"""Resolves once every plot on the page is drawn, or after SETTLE_FRAMES animation frames
(the check then names the undrawn plots), one task later so work queued meanwhile has run."""


def find_chromium() -> str | None:
    """The Chromium binary on PATH (Debian's `chromium`), if any."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageLog:
    """What a page did while it loaded."""

    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    log_entries: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error-level log entries, as text."""
        found = [
            f"console.{c['type']}: {c.get('args')}"
            for c in self.console
            if c["type"] in ("error", "assert")
        ]
        found += [f"exception: {e.get('exceptionDetails')}" for e in self.exceptions]
        found += [
            f"log {e['entry'].get('source')}: {e['entry'].get('text')} {e['entry'].get('url', '')}"
            for e in self.log_entries
            if e["entry"].get("level") == "error"
        ]
        return found


class Chromium:
    """A headless Chromium process driven over the DevTools pipe.

    `timeout_s` only stops a hang (a browser that will never answer): it is far beyond what a
    slow or busy machine needs, so it never decides a result."""

    def __init__(self, binary: str, timeout_s: float = 120.0) -> None:
        self.timeout_s = timeout_s
        self.profile = tempfile.mkdtemp(prefix="infrasim-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_pipes() -> None:  # runs in the child before exec
            high_r = os.dup(to_browser_r)
            high_w = os.dup(from_browser_w)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.process = subprocess.Popen(  # noqa: S603 (fixed binary and flags)
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=wire_pipes,  # noqa: PLW1509
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ protocol
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no reply from Chromium")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and wait for its reply; events seen meanwhile are kept."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout_s: float | None = None) -> dict:
        """Wait for the first event named `method` (already seen ones count)."""
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    # ------------------------------------------------------------------ pages
    def open(self, path: Path) -> tuple[str, PageLog]:
        """Load `path` in a fresh tab with logging on; returns (session id, what it did).

        After the load event the page is given until every plot is drawn (or SETTLE_FRAMES
        frames pass) and one more task, not a fixed sleep: a busy machine draws frames later,
        and the wait follows the frames."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.events.clear()
        self.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
        self.wait_for("Page.loadEventFired")
        self.send(
            "Runtime.evaluate", {"expression": SETTLED, "awaitPromise": True}, session=session
        )
        self.send("Runtime.evaluate", {"expression": "1"}, session=session)  # drain events
        log = PageLog()
        for event in self.events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                log.console.append(params)
            elif method == "Runtime.exceptionThrown":
                log.exceptions.append(params)
            elif method == "Log.entryAdded":
                log.log_entries.append(params)
            elif method == "Network.requestWillBeSent":
                log.requests.append(params["request"]["url"])
        return session, log

    def evaluate(self, session: str, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=session,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page raised: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        """Ask the browser to quit, then make sure it has."""
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)
