"""The dashboard as a trader uses it: Playwright driving Debian's headless Chromium against a dashboard on
a database a backtest filled, and against a `run --broker sim` that is going (live updates, kill).

Skipped, with the reason, only where /usr/bin/chromium is absent (`.ci/run` installs it)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from optionpilot.app.run_loop import build_sim_run
from optionpilot.decisions.breaker import TradingState
from optionpilot.engine.ticker import Tick
from optionpilot.persistence.database import create_engine
from optionpilot.testing.backtests import backtest_config, sqlite_url
from optionpilot.testing.dashboard_server import serve
from optionpilot.web.app import create_app
from optionpilot.web.security import Access

from .conftest import TOKEN, Filled, copy_db

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = os.environ.get("OPTIONPILOT_DASHBOARD_SHOTS")  # a folder to keep a PNG of each page in
WAIT_MS = 10_000

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"no browser at {CHROMIUM}: `apt-get install chromium` (.ci/run does)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield b
        b.close()


class Watch:
    """A page that records console errors, page errors and every request leaving 127.0.0.1 (aborted)."""

    def __init__(self, browser: object) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname == "127.0.0.1":
            route.continue_()  # type: ignore[attr-defined]
        else:
            self.outside.append(url)
            route.abort()  # type: ignore[attr-defined]

    def shot(self, name: str) -> None:
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _own_copy(filled: Filled, tmp_path: Path) -> str:
    return copy_db(filled, tmp_path / "dash.sqlite")


def test_pages_render_with_data_charts_and_nothing_leaves_the_machine(
    browser: object, filled_db: Filled, tmp_path: Path
) -> None:
    url = _own_copy(filled_db, tmp_path)
    engine = create_engine(url)
    app = create_app(engine, backtest_config(url), Access(TOKEN, generated=False))
    with serve(app) as base:
        w = Watch(browser)
        page = w.page
        denied = page.goto(f"{base}/")
        assert denied is not None and denied.status == 401
        w.errors.clear()  # that 401 was asked for
        page.goto(f"{base}/?token={TOKEN}")
        assert page.url == f"{base}/"  # the token is gone from the address bar
        page.wait_for_selector(".chart .main-svg", timeout=WAIT_MS)
        assert page.locator(".card").count() == 2
        assert page.locator(".chart .main-svg").count() >= 2
        page.wait_for_selector("#live-state.on", timeout=WAIT_MS)
        w.shot("overview")
        checks = {
            "positions": ("/positions", "table.data tbody tr"),
            "orders": ("/orders", "table.data tbody tr"),
            "decisions": ("/decisions", "tr.kind-refusal"),
            "strategies": ("/strategies", ".chart .main-svg"),
            "runs": (f"/runs?a={filled_db.run_id}&b={filled_db.run_id}", ".chart .main-svg"),
            "report": (f"/runs/{filled_db.run_id}", ".chart .main-svg"),
            "full-report": (f"/runs/{filled_db.run_id}/report", "svg"),
            "price": ("/price?symbol=QQQ", ".chart .main-svg"),
        }
        for name, (path, selector) in checks.items():
            page.goto(base + path)
            page.wait_for_selector(selector, timeout=WAIT_MS)
            assert page.locator(selector).count() > 0, name
            w.shot(name)
        page.goto(f"{base}/orders")
        page.click("th a:has-text('qty')")
        assert "sort=quantity" in page.url
        assert w.errors == [], f"console errors: {w.errors}"
        # A POST without the CSRF value is refused even with the session cookie.
        status = page.evaluate(
            "fetch('/actions/kill', {method: 'POST', body: 'confirm=yes', headers: "
            "{'content-type': 'application/x-www-form-urlencoded'}}).then(r => r.status)"
        )
        assert status == 403
        assert page.evaluate("fetch('/api/orders').then(r => r.status)") == 401  # the API wants Bearer
        assert page.evaluate("document.cookie") == ""  # HttpOnly: no script sees it
        w.context.close()
    engine.dispose()
    assert w.outside == [], f"requests left 127.0.0.1: {w.outside}"


def test_a_live_run_updates_the_page_and_a_kill_from_the_page_halts_it(
    browser: object, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path, "live.sqlite")
    config = backtest_config(url, market={"sessions": 1})
    sim = build_sim_run(config, speed=20.0, poll_s=0.2)
    stop = threading.Event()
    halted_at_tick: list[bool] = []

    class Stopped(Exception):
        pass

    def on_tick(tick: Tick) -> None:
        if all(a.state is TradingState.HALTED for a in sim.bt.accounts):
            halted_at_tick.append(True)
        if stop.is_set():
            raise Stopped

    def go() -> None:
        with contextlib.suppress(Stopped):  # the test stops the run once it has seen what it needs
            sim.bt.runner.run(on_tick=on_tick)

    runner = threading.Thread(target=go, name="sim-run", daemon=True)
    runner.start()
    engine = create_engine(url)
    try:
        app = create_app(engine, config, Access(TOKEN, generated=False), poll_s=0.3, kill_wait_s=8.0)
        with serve(app) as base:
            w = Watch(browser)
            page = w.page
            page.goto(f"{base}/?token={TOKEN}")
            page.wait_for_selector("header .status-running", timeout=WAIT_MS)
            # A change the run writes arrives over server-sent events and refreshes the page.
            page.wait_for_selector("#live-state[data-changes]", timeout=WAIT_MS)
            page.wait_for_selector(".card th:has-text('Health')", timeout=WAIT_MS)  # the run's pulse
            w.shot("live-overview")
            page.click("a.kill")
            page.fill("input[name=reason]", "browser test")
            page.check("input[name=confirm]")
            w.shot("kill-confirm")
            page.click("button.danger")
            page.wait_for_selector("h1:has-text('Kill')", timeout=15_000)
            w.shot("kill-result")
            cells = page.locator("table.data tbody td:nth-child(4)").all_inner_texts()
            # Each run took the command: done, or still closing positions with limits ("working").
            assert cells and set(cells) <= {"done", "working"}, page.inner_text("main")
            assert {a.state for a in sim.bt.accounts} == {TradingState.HALTED}
            page.goto(f"{base}/")
            assert page.locator(".card .badge:has-text('HALTED')").count() == len(sim.bt.accounts)
            w.context.close()
        assert w.outside == [] and w.errors == [], (w.outside, w.errors)
    finally:
        stop.set()
        runner.join(timeout=30)
        engine.dispose()
    assert halted_at_tick, "the run never ran a tick halted"
