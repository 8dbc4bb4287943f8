"""Fuzzed Twilio webhooks against the real server (uvicorn + SQLite/PostgreSQL): odd
encodings, huge bodies, missing/repeated fields, bad signatures — never a 5xx.

What each kind of input gets (the contract these properties pin down):

* correctly signed form, ``MessageSid``/``From``/``To`` usable → 200 with well-formed
  TwiML (``text/xml``, root ``<Response>``); unusable or missing → 400;
* status callback: 204 (applied or unknown message) or 400 (no usable
  ``MessageSid``/``MessageStatus``), whatever ``ErrorCode``, ``To`` or ``?mid=`` hold;
* no / wrong / garbage ``X-Twilio-Signature`` → 403, also when the header is repeated;
* a body that is not UTF-8 (or percent-decodes to non-UTF-8, e.g. lone surrogates) → 403:
  Twilio signs UTF-8 forms only, so it cannot carry a valid signature;
* anything but ``application/x-www-form-urlencoded`` (JSON, multipart, text/plain, no
  content type) → 415, checked before anything else;
* a body over ``MAX_BODY_BYTES`` (256 KB), announced by Content-Length or streamed
  chunked → 413 once a signature header is present (403 without one; 415 for a wrong
  content type) — answered without reading the rest of a multi-megabyte body;
* a malformed request line / Content-Length → 400 from uvicorn (h11) itself.

Heavy properties run on SQLite; ``test_signed_fuzz_smoke`` repeats the nastiest inputs
on both backends (PostgreSQL is where NUL, jsonb and int4 limits bite).
"""

from __future__ import annotations

import socket
import threading
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.live import AUTH_TOKEN, OUR_NUMBER, PUBLIC_BASE, Duly
from tests.regressions.support import ACCOUNTS
from twilio.request_validator import RequestValidator
from webhooks.twilio import MAX_BODY_BYTES

SMS = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/status"
FORM = "application/x-www-form-urlencoded"

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def fuzz(n: int):
    """Hypothesis settings for a property against one live server per test."""
    return settings(max_examples=n, deadline=None, database=None, derandomize=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture
def duly(db_url):
    with Duly(db_url) as d:
        d.import_accounts(ACCOUNTS)  # so some inbound texts get replies (and stored mids)
        yield d


# --- signing ----------------------------------------------------------------------------------

class _Multi(dict):
    """``{name: [values]}`` in the shape RequestValidator wants (``getall``)."""

    def getall(self, key):
        return self[key]


def sign(url_tail: str, pairs: list[tuple[str, str]], token: str = AUTH_TOKEN) -> str:
    multi: dict[str, list[str]] = {}
    for k, v in pairs:
        multi.setdefault(k, []).append(v)
    return RequestValidator(token).compute_signature(PUBLIC_BASE + url_tail, _Multi(multi))


def post_raw(d: Duly, url_tail: str, body: bytes, headers: dict[str, str] | list | None = None):
    return d.http.post(url_tail, content=body, headers=headers or {})


def post_form(d: Duly, url_tail: str, pairs: list[tuple[str, str]], sig: str | None = "sign",
              extra_headers: list[tuple[str, str]] | None = None):
    """POST ``pairs`` as a form; ``sig="sign"`` signs it like Twilio, ``None`` omits it."""
    headers = [("Content-Type", FORM)]
    if sig == "sign":
        sig = sign(url_tail, pairs)
    if sig is not None:
        headers.append(("X-Twilio-Signature", sig))
    headers += extra_headers or []
    return d.http.post(url_tail, content=urlencode(pairs).encode(), headers=headers)


def assert_twiml(r) -> ET.Element:
    assert r.headers["content-type"].startswith("text/xml"), r.headers
    root = ET.fromstring(r.content)  # bytes: the XML declaration's encoding is honoured
    assert root.tag == "Response", r.text
    for m in root:
        assert m.tag == "Message" and m.get("action", "").startswith(PUBLIC_BASE + STATUS), r.text
    return root


# --- strategies ------------------------------------------------------------------------------

NASTY = ["\x00", "\u200f", "\u202e", "\u200b", "\ufeff", "\ufffe", "\uffff", "\U0010ffff",
         "😀", "👩‍👩‍👧‍👦", "e\u0301", "\r\n", "\t", "&", "=", "+", "%", "%zz", "%00", "]]>",
         "<Response/>", "<?xml", "'\"", "\\", "\x1b[31m", "İ", "ß", "\x7f", "\x85", "\u2028"]

# Any text UTF-8 can carry (lone surrogates cannot: see test_lone_surrogates_are_403).
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
nasty_text = st.lists(st.one_of(st.sampled_from(NASTY), any_text), max_size=8).map("".join)
big_text = st.builds(lambda s, n: ((s or "😀") * n)[:10_000], nasty_text, st.integers(1, 10_000))
body_text = st.one_of(any_text, nasty_text, big_text)

good_sid = st.builds(lambda p, h: p + h, st.sampled_from(["SM", "MM", "SMx"]),
                     st.uuids().map(lambda u: u.hex))
junk_sid = st.one_of(
    st.sampled_from(["", "SM", "S", "SM\x00", "SM 1", "SM" + "1" * 70, "XX1", "12345",
                     "SM-1", "ＳＭ１２", "SM١٢٣", "sm1", "SM1\n", " SM1"]),
    any_text)

good_phone = st.builds(lambda n: f"+1555555{n:04d}", st.integers(0, 9999)) | st.sampled_from(
    ["+15555550101", "+15555550102", "+15555550103", "+447700900123"])
odd_phone = st.one_of(
    st.sampled_from(["", " ", "+", "++15555550101", "whatsapp:+15555550101", "tel:+15555550101",
                     "sip:alice@example.com", "client:alice", "+1 (555) 555-0101",
                     "+1 555.555-0101", "001 555 555 0101", "15555550101", "5550101",
                     "12345", "DULY", "Duly-Bank", "+١٥٥٥٥٥٥٠١٠١", "+15555550101\x00",
                     "\u202e+15555550101", "+" + "9" * 40, "9" * 19, "+1555555010١",
                     "+15555550101 ", "+1-555-555-0101", "ＤＵＬＹ", "+4477009001２３"]),
    st.text("+0123456789 ()-.", min_size=1, max_size=25),
    any_text)

num_junk = st.one_of(st.integers(-10**30, 10**30).map(str),
                     st.sampled_from(["", " 1 ", "1_0", "0x10", "1e3", "NaN", "inf", "-0",
                                      "²", "١٠", "9" * 5000, "1.5", "\x00"]),
                     any_text)

FIELD_NAMES = ["From", "To", "MessageSid", "SmsSid", "SmsMessageSid", "NumMedia", "NumSegments",
               "Body", "MediaUrl0", "MediaContentType0", "MediaUrl9", "AccountSid",
               "MessagingServiceSid", "FromCountry", "ApiVersion", "SmsStatus", "", "bodySHA256"]
extra_pairs = st.lists(st.tuples(st.sampled_from(FIELD_NAMES) | any_text,
                                 st.one_of(any_text, nasty_text, num_junk, odd_phone)),
                       max_size=8)


@st.composite
def sms_forms(draw):
    """``(pairs, first)``: a form whose required fields are valid, junk, missing or
    repeated, plus junk extras (which may repeat any field too), in any order.
    ``first[name] = (value, from_valid_strategy)`` for the first MessageSid/From/To —
    the value the server reads."""
    parts: list[tuple[str, str]] = []
    good: dict[str, set[str]] = {"MessageSid": set(), "From": set(), "To": set()}
    for name, ok, junk in (("MessageSid", good_sid, junk_sid), ("From", good_phone, odd_phone),
                           ("To", st.just(OUR_NUMBER), odd_phone)):
        for _ in range(draw(st.sampled_from([0, 1, 1, 1, 1, 1, 1, 2, 3]))):  # missing/once/repeated
            if draw(st.sampled_from([True, True, True, False])):  # mostly usable: reach the runner
                value = draw(ok)
                good[name].add(value)
            else:
                value = draw(junk)
            parts.append((name, value))
    parts.append(("Body", draw(body_text)))
    if draw(st.booleans()):
        parts.append(("Body", draw(body_text)))  # repeated Body
    parts += [("NumMedia", draw(num_junk)), ("NumSegments", draw(num_junk))][:draw(st.integers(0, 2))]
    parts += draw(extra_pairs)
    parts = list(draw(st.permutations(parts)))
    first: dict[str, tuple[str, bool]] = {}
    for k, v in parts:
        if k in good and k not in first:
            first[k] = (v, v in good[k])
    return parts, first


def expect_sms(r, first: dict) -> None:
    event(f"sms {r.status_code}")  # --hypothesis-show-statistics shows the mix
    assert r.status_code < 500, (r.status_code, r.text)
    required = ("MessageSid", "From", "To")
    if any(k not in first or not first[k][0] for k in required):
        assert r.status_code == 400, (r.status_code, r.text)
    elif all(first[k][1] for k in required):  # all three from the valid strategies
        assert r.status_code == 200, (r.status_code, r.text)
    else:
        assert r.status_code in (200, 400), (r.status_code, r.text)
    if r.status_code == 200:
        assert_twiml(r)


# --- 1. correctly signed forms ---------------------------------------------------------------

@sqlite_only
@fuzz(120)
@given(form=sms_forms())
def test_signed_sms_never_5xx_and_twiml_parses(duly, form):
    pairs, first = form
    body = urlencode(pairs).encode()
    r = post_form(duly, SMS, pairs)
    if len(body) > MAX_BODY_BYTES:
        assert r.status_code == 413
        return
    expect_sms(r, first)


@sqlite_only
@fuzz(40)
@given(body=body_text, frm=good_phone | odd_phone)
def test_known_customer_any_text_gets_wellformed_replies(duly, body, frm):
    """Texts from imported customers walk the dialogs (replies with action URLs)."""
    frm = frm if frm.strip() else "+15555550101"
    r = duly.sms(body, frm=frm)
    assert r.status_code in (200, 400), (r.status_code, r.text)
    if r.status_code == 200:
        assert_twiml(r)


@pytest.mark.parametrize("phone", ["+15555550101", "+15555550103"])
def test_known_customer_huge_unicode_text(duly, phone):
    for body in ["😀" * 10_000, "\x00" * 10_000, "\u202e" * 5000 + "PAY", "STOP" + "\u200b" * 9000]:
        r = duly.sms(body, frm=phone)
        assert r.status_code == 200, (r.status_code, r.text)
        assert_twiml(r)


# --- 2. status callbacks -----------------------------------------------------------------------

STATUSES = ["queued", "sending", "sent", "delivered", "undelivered", "failed", "read",
            "accepted", "scheduled", "canceled", "receiving", "received", "partially_delivered"]
ERROR_CODES = ["21610", "21211", "21614", "30003", "30005", "30006", "30007", "30034", "30036",
               "30008", "0", "", "00021610", "-1", "²", "١٢", "2161O", "9" * 20, "30003 "]
# str.isdigit() is true for more than 0-9: superscripts, circled, Arabic-Indic digits...
#: digits int() refuses although isdigit() says yes (², ①, ₃...), plus ones int() takes (١, ８).
ODD_DIGITS = "".join(c for c in map(chr, range(0x110000)) if c.isdigit() and not c.isdecimal())
unicode_digits = st.one_of(
    st.text(st.sampled_from(ODD_DIGITS + "0123456789١٢٣８𝟙"), min_size=1, max_size=6),
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=6))
mid_values = st.one_of(
    unicode_digits,
    st.integers(-10**25, 10**25).map(str),
    st.integers(0, 2**63 + 10).map(str),
    st.sampled_from(["", "0", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x1f", "²", "¹²", "١", "١٢٣",
                     "①", "𝟙", "9" * 18, "9" * 19, "2147483647", "2147483648",
                     "9223372036854775807", "9223372036854775808", "null", "%00", "1%00"]),
    any_text)


def status_url(mids: list[str]) -> str:
    if not mids:
        return STATUS
    return STATUS + "?" + "&".join("mid=" + quote(m, safe="") for m in mids)


@st.composite
def status_forms(draw):
    sid_good = draw(st.booleans())
    sid = draw(good_sid if sid_good else junk_sid)
    status_known = draw(st.booleans())
    status = draw(st.sampled_from(STATUSES) if status_known
                  else st.one_of(any_text, st.sampled_from(["DELIVERED", "x" * 17, "délivré",
                                                            "ǅ", "İ", "sent ", ""])))
    pairs = []
    if draw(st.integers(0, 4)):
        pairs.append((draw(st.sampled_from(["MessageSid", "SmsSid"])), sid))
    if draw(st.integers(0, 4)):
        pairs.append((draw(st.sampled_from(["MessageStatus", "SmsStatus"])), status))
    if draw(st.booleans()):
        pairs.append(("ErrorCode", draw(st.sampled_from(ERROR_CODES) | num_junk)))
    if draw(st.booleans()):
        pairs.append(("To", draw(good_phone | odd_phone)))
    pairs += draw(extra_pairs)
    pairs = draw(st.permutations(pairs))
    # the server reads one ``mid`` (the last): mostly send one, sometimes several
    mids = draw(st.one_of(st.lists(mid_values, max_size=1), st.lists(mid_values, max_size=3)))
    return list(pairs), mids


def real_mids(d: Duly) -> list[str]:
    """Ids of stored outbound messages (from a customer's reply's action URLs)."""
    r = d.sms("hi", frm="+15555550101")
    assert r.status_code == 200
    return [m.get("action").split("mid=")[1] for m in assert_twiml(r)]


@sqlite_only
@fuzz(100)
@given(data=st.data(), form=status_forms())
def test_status_callback_never_5xx(duly, data, form):
    pairs, mids = form
    if data.draw(st.booleans()):
        if not hasattr(duly, "fuzz_mids"):
            duly.fuzz_mids = real_mids(duly) or ["1"]
        mids = mids + [data.draw(st.sampled_from(duly.fuzz_mids))]
    url = status_url(mids)
    r = post_form(duly, url, pairs)
    event(f"status {r.status_code}")
    assert r.status_code in (204, 400), (url, pairs, r.status_code, r.text)


@fuzz(40)  # both backends: PostgreSQL's int4 id column meets 18-digit mids here
@example(mid="2147483648", status="sent", code="30003")
@example(mid="9" * 18, status="failed", code="21610")
@example(mid="²", status="delivered", code="²")
@given(mid=mid_values, status=st.sampled_from([s for s in STATUSES if s.isalpha()]),
       code=st.sampled_from(ERROR_CODES) | unicode_digits | num_junk)
def test_status_mid_and_error_code_never_5xx(duly, mid, status, code):
    """A usable callback, so ``?mid=`` and ``ErrorCode`` are always looked at."""
    pairs = [("MessageSid", "SM" + uuid.uuid4().hex), ("MessageStatus", status), ("ErrorCode", code)]
    r = post_form(duly, status_url([mid]), pairs)
    assert r.status_code == 204, (mid, code, r.status_code, r.text)


# --- 3. a smaller run on both backends -------------------------------------------------------

@fuzz(25)
@given(form=sms_forms(), st_form=status_forms())
@example(form=([("MessageSid", "SM" + "0" * 32), ("From", "+15555550101"), ("To", OUR_NUMBER),
                ("Body", "\x00😀\u202e" * 3000), ("NumMedia", "9" * 5000), ("\x00", "\x00")],
               {"MessageSid": ("SM" + "0" * 32, True), "From": ("+15555550101", True),
                "To": (OUR_NUMBER, True)}),
         st_form=([("MessageSid", "SM" + "0" * 32), ("MessageStatus", "failed"),
                   ("ErrorCode", "30003"), ("To", "\x00")],
                  ["9" * 18, "-1", "١٢", "²", "2147483648"]))
def test_signed_fuzz_smoke(duly, form, st_form):
    pairs, first = form
    expect_sms(post_form(duly, SMS, pairs), first)
    pairs, mids = st_form
    r = post_form(duly, status_url(mids), pairs)
    assert r.status_code in (204, 400), (mids, pairs, r.status_code, r.text)


# --- 4. signatures -------------------------------------------------------------------------------

def _valid_form(body="hi"):
    return [("MessageSid", "SM" + uuid.uuid4().hex), ("From", "+15555550101"), ("To", OUR_NUMBER),
            ("Body", body)]


@sqlite_only
@fuzz(60)
@given(path=st.sampled_from([SMS, STATUS]), form=sms_forms(),
       how=st.sampled_from(["none", "empty", "junk", "wrong_token", "other_url", "other_body",
                            "sha256", "repeated_junk", "junk_then_valid"]),
       junk=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=80))
def test_bad_signatures_are_403(duly, path, form, how, junk):
    pairs, _ = form
    good = sign(path, pairs)
    headers: list[tuple[str, str]] = []
    if how == "empty":
        headers = [("X-Twilio-Signature", "")]
    elif how == "junk":
        headers = [("X-Twilio-Signature", junk.strip() or "x")]
    elif how == "wrong_token":
        headers = [("X-Twilio-Signature", sign(path, pairs, token="f" * 32))]
    elif how == "other_url":  # signed for the URL the server listens on, not PUBLIC_BASE_URL
        headers = [("X-Twilio-Signature", RequestValidator(AUTH_TOKEN).compute_signature(
            duly.server.url + path, _Multi({k: [v] for k, v in pairs})))]
    elif how == "other_body":
        headers = [("X-Twilio-Signature", sign(path, pairs + [("Body", "tampered")]))]
    elif how == "sha256":
        headers = [("X-Twilio-Signature", RequestValidator(AUTH_TOKEN).compute_signature(
            PUBLIC_BASE + path, _Multi({k: [v for kk, v in pairs if kk == k] for k, _ in pairs}),
            algorithm="HMAC_SHA256"))]
    elif how == "repeated_junk":
        headers = [("X-Twilio-Signature", junk.strip() or "x"), ("X-Twilio-Signature", "y")]
    elif how == "junk_then_valid":
        headers = [("X-Twilio-Signature", junk.strip() or "x"), ("X-Twilio-Signature", good)]
    if how in ("other_url", "other_body", "sha256") and headers[0][1] == good:
        return  # collided with the valid signature (e.g. the extra Body was already there)
    r = post_form(duly, path, pairs, sig=None, extra_headers=headers)
    assert r.status_code == 403, (how, r.status_code, r.text)


def test_repeated_signature_header_is_403(duly):
    """A repeated X-Twilio-Signature (Twilio never sends two) is refused, whichever
    order the valid and the garbage one come in."""
    form = _valid_form()
    good = sign(SMS, form)
    r = post_form(duly, SMS, form, sig=None,
                  extra_headers=[("X-Twilio-Signature", "garbage"), ("X-Twilio-Signature", good)])
    assert r.status_code == 403
    r = post_form(duly, SMS, form, sig=None, extra_headers=[("X-Twilio-Signature", good + ", " + good)])
    assert r.status_code == 403
    r = post_form(duly, SMS, _valid_form(), sig=None,
                  extra_headers=[("X-Twilio-Signature", "a"), ("X-Twilio-Signature", "b")])
    assert r.status_code == 403
    form = _valid_form()  # valid first, garbage second: a second header is refused too
    r = post_form(duly, SMS, form, sig=None,
                  extra_headers=[("X-Twilio-Signature", sign(SMS, form)), ("X-Twilio-Signature", "x")])
    assert r.status_code == 403 and "more than one" in r.text


# --- 5. raw bodies ---------------------------------------------------------------------------------

@sqlite_only
@fuzz(100)
@given(path=st.sampled_from([SMS, STATUS]), raw=st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from([b"%", b"%z", b"%zz", b"%ff", b"%c3", b"%c3%28", b"%ed%a0%80", b"%00",
                              b"&", b"=", b"+", b"\xff", b"\xc3", b"\x00", b"MessageSid=SM1",
                              b"From=%2B15555550101", b"To=%2B15555550100", b"Body=", b";",
                              b"\xef\xbb\xbf", b"%%", b"%u00e9", b"a"]), max_size=20).map(b"".join)))
def test_any_raw_body_signed_or_not_never_5xx(duly, path, raw):
    """Arbitrary bytes (bad UTF-8, percent-encoding errors, ``%ff``, ``%u00e9``...): signed
    over what the server would parse when that is UTF-8 → 200/204/400; undecodable → 403;
    unsigned → 403."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        pairs = None
    unsigned = post_raw(duly, path, raw, {"Content-Type": FORM})
    assert unsigned.status_code == 403, (raw, unsigned.status_code)
    sig = sign(path, pairs) if pairs is not None else "bm90IGEgc2lnbmF0dXJl"
    r = post_raw(duly, path, raw, {"Content-Type": FORM, "X-Twilio-Signature": sig})
    if pairs is None:
        assert r.status_code == 403, (raw, r.status_code)
    else:
        assert r.status_code in ((200, 400) if path == SMS else (204, 400)), (raw, r.status_code, r.text)
        if r.status_code == 200:
            assert_twiml(r)


def test_lone_surrogates_are_403(duly):
    """Text with lone surrogates cannot be sent as UTF-8; percent-encoded as CESU/WTF-8 or
    surrogateescape bytes, the body does not decode → 403 (never a 500), signed or not."""
    body = "pay \udc80\ud83d now"
    for raw in ["Body=" + quote(body.encode("utf-8", "surrogatepass")),
                "Body=" + quote("pay \udcff\udc80 now".encode("utf-8", "surrogateescape"))]:
        for k, v in _valid_form()[:3]:
            raw += "&" + urlencode({k: v})
        for sig in ("x", sign(SMS, _valid_form())):
            r = post_raw(duly, SMS, raw.encode(), {"Content-Type": FORM, "X-Twilio-Signature": sig})
            assert r.status_code == 403, (raw, r.status_code)
    r = post_raw(duly, SMS, body.encode("utf-8", "surrogatepass"),
                 {"Content-Type": FORM, "X-Twilio-Signature": "x"})
    assert r.status_code == 403


@pytest.mark.parametrize("path", [SMS, STATUS])
def test_other_media_types_are_415(duly, path):
    form = _valid_form()
    sig = sign(path, form)
    cases = [
        ({"Content-Type": "application/json"}, b'{"Body": "hi"}'),
        ({"Content-Type": "application/json"}, b"{not json"),
        ({"Content-Type": "text/plain"}, urlencode(form).encode()),
        ({"Content-Type": "multipart/form-data; boundary=xyz"},
         b"--xyz\r\nContent-Disposition: form-data; name=\"Body\"\r\n\r\nhi\r\n--xyz--\r\n"),
        ({"Content-Type": "multipart/form-data"}, b"garbage"),  # no boundary
        ({"Content-Type": "application/x-www-form-urlencodedx"}, urlencode(form).encode()),
        ({"Content-Type": ""}, urlencode(form).encode()),
        ({"Content-Type": "\x7f;;;"}, b""),
        ({}, urlencode(form).encode()),  # no content type at all
        ({}, b""),
    ]
    for headers, body in cases:
        for sig_headers in ({}, {"X-Twilio-Signature": sig}):
            h = {**headers, **sig_headers}
            r = post_raw(duly, path, body, h)
            assert r.status_code == 415, (h, body, r.status_code)
    r = duly.http.post(path, files={"Body": ("a.txt", b"hi")}, headers={"X-Twilio-Signature": sig})
    assert r.status_code == 415


@pytest.mark.parametrize("path", [SMS, STATUS])
def test_empty_and_odd_form_bodies(duly, path):
    ok_missing = 400
    # empty body: unsigned 403; signed (over no params) 400 — nothing required is there
    assert post_raw(duly, path, b"", {"Content-Type": FORM}).status_code == 403
    assert post_raw(duly, path, b"", {"Content-Type": FORM, "X-Twilio-Signature": sign(path, [])}
                    ).status_code == ok_missing
    # charset parameter / upper case media type are still the form media type
    form = _valid_form()
    if path == STATUS:
        form = [("MessageSid", form[0][1]), ("MessageStatus", "delivered")]
    for ctype in (FORM + "; charset=utf-8", FORM.upper(), FORM + "; charset=latin-1", FORM + " ;x"):
        r = post_raw(duly, path, urlencode(form).encode(),
                     {"Content-Type": ctype, "X-Twilio-Signature": sign(path, form)})
        assert r.status_code in (200, 204), (ctype, r.status_code, r.text)


@pytest.mark.parametrize("path", [SMS, STATUS])
def test_chunked_signed_body_is_read(duly, path):
    form = _valid_form("chunked " + "é" * 500)
    if path == STATUS:
        form = [("MessageSid", form[0][1]), ("MessageStatus", "sent")]
    raw = urlencode(form).encode()

    def chunks():
        for i in range(0, len(raw), 7):
            yield raw[i:i + 7]

    r = duly.http.post(path, content=chunks(),
                       headers={"Content-Type": FORM, "X-Twilio-Signature": sign(path, form)})
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert r.status_code == (200 if path == SMS else 204), r.text


# --- 6. huge bodies and broken framing (raw sockets: the server may stop reading) -----------

def raw_exchange(d: Duly, head: bytes, body_chunks, timeout: float = 10.0) -> bytes:
    """Send ``head`` then ``body_chunks`` from a thread; return the status line the server
    answers with (possibly before the body was sent). ``b""`` if none came."""
    s = socket.create_connection(("127.0.0.1", d.server.port))
    s.settimeout(timeout)

    def send():
        try:
            s.sendall(head)
            for c in body_chunks:
                s.sendall(c)
        except OSError:  # the server answered and closed, or we closed: fine
            pass

    t = threading.Thread(target=send, daemon=True)
    t.start()
    buf = b""
    try:
        while b"\r\n" not in buf:
            got = s.recv(4096)
            if not got:
                break
            buf += got
    except OSError:
        pass
    finally:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
        t.join(5)
    return buf.split(b"\r\n", 1)[0]


def _status(line: bytes) -> int:
    assert line.startswith(b"HTTP/1.1 "), line
    return int(line.split()[1])


def _huge_request(path: str, size: int, framing: str, kind: str):
    body = b"Body=" + b"a" * (size - 5)
    ctype = b"application/json" if kind == "json" else FORM.encode()
    head = [b"POST " + path.encode() + b" HTTP/1.1", b"Host: sms.example.test",
            b"Content-Type: " + ctype]
    if kind == "signed":  # a valid signature over the whole body: still too large
        head.append(b"X-Twilio-Signature: " + sign(path, [("Body", "a" * (size - 5))]).encode())
    if framing == "length":
        head.append(b"Content-Length: %d" % len(body))
        chunks = [body[i:i + 65536] for i in range(0, len(body), 65536)]
    else:
        head.append(b"Transfer-Encoding: chunked")
        chunks = [b"%x\r\n" % len(body[i:i + 65536]) + body[i:i + 65536] + b"\r\n"
                  for i in range(0, len(body), 65536)] + [b"0\r\n\r\n"]
    return b"\r\n".join(head) + b"\r\n\r\n", chunks


@sqlite_only
@pytest.mark.parametrize("path", [SMS, STATUS])
def test_huge_bodies(duly, path):
    """1 and 5 MB, announced (Content-Length) or streamed (chunked): 413 when signed, 403
    unsigned, 415 as JSON — answered without waiting for the rest of the body."""
    for size in (1_000_000, 5_000_000):
        for framing in ("length", "chunked"):
            for kind, expected in (("signed", 413), ("unsigned", 403), ("json", 415)):
                head, chunks = _huge_request(path, size, framing, kind)
                line = raw_exchange(duly, head, chunks)
                assert _status(line) == expected, (size, framing, kind, line)


BROKEN = [
    (b"Content-Length: abc\r\nContent-Type: " + FORM.encode(), {400}),
    (b"Content-Length: -1\r\nContent-Type: " + FORM.encode(), {400}),
    (b"Content-Length: 1\r\nContent-Length: 2\r\nContent-Type: " + FORM.encode(), {400}),
    (b"Transfer-Encoding: chunked\r\nContent-Type: " + FORM.encode(), {400, 403}),  # bad chunk
    (b"Transfer-Encoding: chunked\r\nContent-Type: " + FORM.encode()
     + b"\r\nX-Twilio-Signature: x", {400, 403}),
    (b"Content-Length: 99999999999999999999999\r\nContent-Type: " + FORM.encode()
     + b"\r\nX-Twilio-Signature: x", {400, 413}),  # h11 refuses it first
    (b"Content-Length: 5\r\nContent-Type: " + FORM.encode() + b"\r\nX-Twilio-Signature: \xff\xfe",
     {403}),  # non-ASCII signature bytes
    (b"Content-Length: 5\r\nContent-Type: " + FORM.encode() + b"\r\nX-Request-ID: \xff<script>",
     {403}),
    (b"Content-Length: 5\r\nContent-Type: application/x-www-form-urlencoded\xff", {415}),
]


@sqlite_only
def test_broken_framing_and_header_bytes(duly):
    for head, expected in BROKEN:
        req = b"POST " + SMS.encode() + b" HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n\r\n"
        body = [b"zz\r\nBody=hello\r\n"] if b"chunked" in head else [b"Body="]
        line = raw_exchange(duly, req, body, timeout=5)
        assert _status(line) in expected, (head, line)


def test_no_public_base_url_junk_host_never_5xx(tmp_path):
    """Without PUBLIC_BASE_URL the signed URL comes from the Host header: junk hosts are
    refused (403) or answered, never a 5xx."""
    with Duly(f"sqlite:///{tmp_path / 'nobase.db'}", PUBLIC_BASE_URL="") as d:
        form = _valid_form()
        for host in ["[", "[::1", "a b", "x:99999", "é.example", "%zz", ":", "sms.example.test"]:
            raw = urlencode(form).encode()
            url = f"http://{host}{SMS}"
            try:
                sig = RequestValidator(AUTH_TOKEN).compute_signature(url, _Multi({k: [v] for k, v in form}))
            except ValueError:
                sig = "x"
            line = raw_exchange(d, b"POST " + SMS.encode() + b" HTTP/1.1\r\nHost: " + host.encode()
                                + b"\r\nContent-Type: " + FORM.encode()
                                + b"\r\nX-Twilio-Signature: " + sig.encode()
                                + b"\r\nContent-Length: %d\r\n\r\n" % len(raw), [raw])
            assert _status(line) in (200, 400, 403), (host, line)
