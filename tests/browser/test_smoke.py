"""Smoke test: chromium (through Playwright) runs the vendored htmx against a live Starlette app."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

import console
from tests.live import LiveServer

STATIC = Path(console.__file__).resolve().parent / "static"

INDEX = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>htmx smoke</title>
  <link rel="stylesheet" href="/static/console.css">
  <script src="/static/htmx.min.js"></script>
  <script src="/static/htmx-ext-sse.js"></script>
</head>
<body>
  <button id="go" hx-get="/clicked" hx-target="#out" hx-swap="innerHTML">Go</button>
  <div id="out">before</div>
</body>
</html>
"""


def _app() -> Starlette:
    async def index(request: Request) -> HTMLResponse:
        return HTMLResponse(INDEX)

    async def clicked(request: Request) -> HTMLResponse:
        assert request.headers.get("HX-Request") == "true"
        return HTMLResponse("<span class='badge overdue'>swapped by htmx</span>")

    return Starlette(routes=[
        Route("/", index),
        Route("/clicked", clicked),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ])


def test_htmx_button_swaps_text(page):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    with LiveServer(_app()) as server:
        page.goto(server.url + "/")
        assert page.evaluate("typeof htmx !== 'undefined' && htmx.version").startswith("2.")
        assert page.locator("#out").inner_text() == "before"
        page.click("#go")
        page.wait_for_selector("#out .badge.overdue")
        assert page.locator("#out").inner_text() == "swapped by htmx"
    assert errors == []
