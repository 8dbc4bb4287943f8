"""Found by the webhook benchmark: on SQLite, 16+ concurrent webhooks stopped answering
and then got 503s after 30 s — a request holding the write lock asked the pool for a
second connection (to re-read admin settings) while the waiting requests held all the
others. Settings are now read at the start of each unit of work, outside transactions."""

from __future__ import annotations

import threading
import time
import uuid

from tests.live import Duly


def test_24_concurrent_webhooks_on_sqlite_all_answered(tmp_path):
    with Duly(f"sqlite:///{tmp_path / 'duly.db'}") as duly:
        duly.services.settings_store._ttl = 0.0         # re-read every time: the worst case
        codes: list[int] = []
        lock = threading.Lock()

        def one(i: int) -> None:
            r = duly.sms(f"hello {i}", frm=f"+1555555{i:04d}", sid="SM" + uuid.uuid4().hex)
            with lock:
                codes.append(r.status_code)

        start = time.monotonic()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
        [t.start() for t in threads]
        [t.join(60) for t in threads]
        assert codes == [200] * 24 and time.monotonic() - start < 25
