"""The 256 KB webhook limit is checked only after the whole body is in memory
(``await request.body()``), before any signature check: an unsigned request announcing
(or streaming) gigabytes is buffered in full. Expected: 413 as soon as Content-Length (or
the bytes received) exceed MAX_BODY_BYTES."""
from __future__ import annotations

import socket

from tests.live import Duly


def test_oversized_content_length_refused_early(db_url):
    with Duly(db_url) as d:
        s = socket.create_connection(("127.0.0.1", d.server.port))
        try:
            s.sendall(b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 2000000000\r\n\r\n")
            s.sendall(b"a" * 1_000_000)
            s.settimeout(3)
            try:
                head = s.recv(64)
            except socket.timeout:
                head = b""
            assert head.startswith((b"HTTP/1.1 413", b"HTTP/1.1 403")), \
                "server kept reading a 2 GB unsigned body (no answer after 1 MB)"
        finally:
            s.close()


def test_unsigned_undecodable_body_is_403_not_400(db_url):
    """Contract: 403 on a missing signature. The body is parsed before the signature is
    looked at, so an unsigned request learns about the parser (400)."""
    with Duly(db_url) as d:
        r = d.http.post("/webhooks/twilio/sms", content=b"MessageSid=SM1&Body=%ff%fe",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 403, r.status_code
