"""A fresh process is made ready before traffic (duly.app.warm_up): the readers' lazy
first-use loads (the Chinese segmenter, Chinese numerals, the word-frequency list) happen
at start-up, not in a customer's webhook, and the long-lived objects are frozen out of the
garbage collector's full collections. Found by the webhook benchmark: a fresh process's
first Chinese reply took ~0.6 s and full collections ~60 ms, the p99 at half load."""

from __future__ import annotations

import gc

from starlette.testclient import TestClient

import duly.app as duly_app
from bot.intents import segment


def test_warm_up_loads_the_readers_and_freezes_the_heap():
    try:
        duly_app.warm_up()
        assert segment._jieba is not None
        assert gc.get_freeze_count() > 50_000
    finally:
        gc.unfreeze()


def test_the_app_warms_up_at_start_up(db_url, monkeypatch):
    from tests.live import settings_for

    calls: list[object] = []
    monkeypatch.setattr(duly_app, "warm_up", lambda runner=None: calls.append(runner))
    services = duly_app.make_services(settings_for(db_url), migrate=True)
    try:
        app = duly_app.create_app(services)
        assert calls == []
        with TestClient(app) as client:          # runs the lifespan
            assert calls == [services.runner]
            assert client.get("/healthz").status_code == 200
    finally:
        services.engine.dispose()


def test_warm_up_compiles_the_published_script(db_url):
    """The published script (about 140 templates compiled) was loaded inside the first
    webhook of each fresh process: 1.7 s on a loaded box, so a benchmark's first requests
    on two fresh processes took over a second."""
    from tests.live import settings_for

    services = duly_app.make_services(settings_for(db_url), migrate=True)
    try:
        runner = services.runner
        assert runner._scripts == {}
        try:
            duly_app.warm_up(runner)
        finally:
            gc.unfreeze()
        [rid] = list(runner._scripts)
        assert rid == runner.warm_up_script()
        assert "menu" in runner._scripts[rid].states
    finally:
        services.engine.dispose()
