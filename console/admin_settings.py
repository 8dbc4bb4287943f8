"""Admin → Settings: what admins may change without code (storage/settings_store.py).

``GET  /console/admin/settings`` — every settable key with the value in force, config.toml's
default and the bound; the history of versions (who, when, why, what changed).
``POST /console/admin/settings`` — save a new version (a reason is required); refused
inline, with each problem, when a value is wider than ``config.toml``'s ``[bounds]``.

Admins only; every POST carries the session's CSRF token (``Console.guard``). Mount with
``routes(console)``. After a save, ``services.settings_store`` (if the app has one) is told
to re-read at once; other hosts see the new version within the store's ttl.

In the form each key is one text field: empty = config.toml's value; ``none`` = an empty
list (e.g. no holidays). Caps are ``RULE count/days, ...`` (``US-20 1/1, ST-01 2/7``);
quiet hours ``HH:MM-HH:MM``; lists are comma-separated.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from storage import settings_store as store

PATH = "/console/admin/settings"

_GROUPS = (("plans.", "Repayment plans"), ("promises.", "Promises"), ("caps.", "Frequency caps"),
           ("profiles.*.caps", "Frequency caps"), ("profiles.*.allowed_hours", "Quiet hours"),
           ("agent.hours.", "Agent hours"))
_CAP = re.compile(r"^(?:(?P<rule>[A-Za-z][A-Za-z0-9_.-]*)\s*:?\s+)?(?P<count>\d+)\s*(?:/|per)\s*"
                  r"(?P<days>\d+(?:\.\d+)?)\s*(?:d|days?)?$", re.IGNORECASE)


def routes(console: Any) -> list[Route]:
    """The settings page's routes, guarded (admin; CSRF on POST) by ``console.guard``."""
    page = _Page(console)
    g = console.guard
    return [Route(PATH, g(page.show, admin=True), methods=["GET"]),
            Route(PATH, g(page.submit, admin=True, write=True), methods=["POST"])]


# --- text <-> values --------------------------------------------------------------------------

def to_text(kind: str, value: Any) -> str:
    """A setting's value as the form shows it ("" when unset)."""
    if value is None:
        return ""
    if kind == "caps":
        return ", ".join(f"{c.get('rule')} {c.get('count')}/{store._days(c.get('days'))}" for c in value) or "none"
    if kind == "hours":
        return "-".join(str(x) for x in value)
    if kind in ("months", "days", "dates"):
        return ", ".join(str(x) for x in value) or "none"
    return str(value)


def _items(text: str) -> list[str]:
    return [x for x in re.split(r"[,;\s]+", text.strip()) if x]


def _hhmm(text: str) -> str:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m:
        raise ValueError(f"{text.strip()!r} is not an HH:MM time")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def from_text(key: str, text: str, base: Mapping[str, Any]) -> Any:
    """The value typed for ``key``; raises ``ValueError`` (a message naming the key)."""
    kind = store.EDITABLE[store._pattern_of(key) or ""].kind
    t = text.strip()
    try:
        if kind in ("months", "days", "dates", "caps") and t.lower() == "none":
            return []
        if kind == "int":
            if not re.fullmatch(r"-?\d{1,9}", t):
                raise ValueError(f"{t!r} is not a whole number")
            return int(t)
        if kind == "decimal":
            try:
                d = Decimal(t)
            except InvalidOperation:
                d = None
            if d is None or not d.is_finite() or len(t) > 20:
                raise ValueError(f"{t!r} is not a number like 0.10")
            return t
        if kind == "months":
            out = []
            for x in _items(t):
                if not re.fullmatch(r"\d{1,4}", x):
                    raise ValueError(f"{x!r} is not a whole number of months")
                out.append(int(x))
            return out
        if kind == "hours":
            parts = [p for p in re.split(r"\s*(?:-|–|—|\bto\b)\s*", t) if p]
            if len(parts) != 2:
                raise ValueError(f"{t!r} is not a window like 09:00-20:00")
            return [_hhmm(parts[0]), _hhmm(parts[1])]
        if kind == "hhmm":
            return _hhmm(t)
        if kind == "days":
            return [x.lower() for x in _items(t)]
        if kind == "dates":
            return _items(t)
        if kind == "caps":
            return _caps_from_text(key, t, base)
        return t   # zone
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None


def _caps_from_text(key: str, text: str, base: Mapping[str, Any]) -> list[dict[str, Any]]:
    configured = store._base_caps(base, key)
    out = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        m = _CAP.match(item)
        if not m:
            raise ValueError(f"{item!r} is not a cap like \"US-20 1/1\" (rule count/days)")
        days_f = float(m.group("days"))
        days: int | float = int(days_f) if days_f.is_integer() else days_f
        rule = m.group("rule") or next((str(c["rule"]) for c in configured if float(c["days"]) == days_f),
                                       str(configured[0]["rule"]) if configured else "US-20")
        out.append({"rule": rule, "count": int(m.group("count")), "days": days})
    return out


def _same(kind: str, a: Any, b: Any) -> bool:
    """Two values of ``kind`` mean the same (``"25"`` and ``"25.00"``; caps' days 7 and 7.0)."""
    if kind == "decimal":
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except (InvalidOperation, ValueError):
            return False
    if kind == "caps" and isinstance(a, list) and isinstance(b, list):
        norm = lambda caps: [(str(c.get("rule")), c.get("count"), float(c.get("days", 0))) for c in caps]  # noqa: E731
        try:
            return norm(a) == norm(b)
        except (TypeError, ValueError, AttributeError):
            return False
    return a == b


def overlay_from_form(texts: Mapping[str, str], base: Mapping[str, Any],
                      current: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The complete flat overlay the form asks for: a field left out keeps its ``current``
    value, an empty field (or one equal to config.toml) means no override. Returns
    ``(flat overlay, parse problems)``."""
    flat: dict[str, Any] = {}
    problems: list[str] = []
    for key in store.keys(base):
        kind = store.EDITABLE[store._pattern_of(key) or ""].kind
        if key not in texts:
            if key in current:
                flat[key] = current[key]
            continue
        text = texts[key]
        if not text.strip():
            continue
        try:
            value = from_text(key, text, base)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        default = store.lookup(base, key)
        if default is not None and _same(kind, value, default):
            continue
        flat[key] = value
    return flat, problems


# --- the page ---------------------------------------------------------------------------------

def _group(key: str) -> str:
    path = key.split(".")
    for prefix, title in _GROUPS:
        pat = prefix.split(".")
        if prefix.endswith("."):
            if key.startswith(prefix):
                return title
        elif len(path) == len(pat) and all(p in ("*", s) for s, p in zip(path, pat)):
            return title
    return "Other"


class _Page:
    def __init__(self, console: Any):
        self.console = console

    def _store(self) -> Any:
        return getattr(self.console.services, "settings_store", None)

    def _base(self) -> Mapping[str, Any]:
        s = self._store()
        return s.base if s is not None else self.console.services.settings.behaviour

    def _load(self) -> dict[str, Any]:
        with self.console.services.sessions() as s:
            revs = store.history(s)[:200]
            rows, prev = [], {}
            for rev in reversed(revs):
                rows.append({"version": rev.version, "by": rev.created_by, "at": rev.created_at,
                             "reason": rev.reason, "changed": store.changed_keys(prev, rev.body or {})})
                prev = rev.body or {}
            current = dict(revs[0].body or {}) if revs else {}
            version = revs[0].version if revs else 0
        rows.reverse()
        return {"history": rows, "current": current, "version": version}

    def _fields(self, base: Mapping[str, Any], current: Mapping[str, Any],
                texts: Mapping[str, str] | None, problems: list[str]) -> list[dict[str, Any]]:
        in_force, _ = store.effective_overlay(current, base)
        merged = store.merge(base, in_force)
        overridden = store.flatten(in_force)
        groups: dict[str, list[dict[str, Any]]] = {}
        for key in store.keys(base):
            ed = store.EDITABLE[store._pattern_of(key) or ""]
            label = ed.label
            if key.startswith("profiles."):
                label = f"{key.split('.')[1]}: {label}"
            value = store.lookup(merged, key)
            groups.setdefault(_group(key), []).append({
                "key": key, "label": label, "kind": ed.kind,
                "text": texts[key] if texts is not None and key in texts else to_text(ed.kind, value),
                "default": to_text(ed.kind, store.lookup(base, key)),
                "bound": store.bound_text(key, base), "overridden": key in overridden,
                "problems": [p for p in problems if p.startswith(key + " ") or p.startswith(key + ":")],
            })
        return [{"title": t, "fields": f} for t, f in groups.items()]

    async def show(self, request: Request, user: Any) -> Response:
        from console.app import _flash

        data = await run_in_threadpool(self._load)
        ok, err = _flash(request, user)
        return self._render(request, user, data, ok=ok, err=err)

    def _render(self, request: Request, user: Any, data: dict[str, Any], *, status: int = 200,
                ok: str | None = None, err: str | None = None, problems: list[str] | None = None,
                texts: Mapping[str, str] | None = None, reason: str = "") -> Response:
        base = self._base()
        problems = problems or []
        return self.console.render("admin_settings.html", request, status=status, user=user, ok=ok, err=err,
                                   problems=problems, groups=self._fields(base, data["current"], texts, problems),
                                   version=data["version"], history=data["history"], reason=reason)

    async def submit(self, request: Request, user: Any) -> Response:
        from console.app import _flash_url

        form = await request.form()
        base = self._base()
        texts = {k: str(form.get(k))[:2000] for k in store.keys(base) if isinstance(form.get(k), str)}
        reason = str(form.get("reason") or "").strip()[:2000]
        raw_version = str(form.get("version") or "").strip()
        expected = int(raw_version) if raw_version.isdigit() and len(raw_version) < 10 else None
        now = self.console.now()

        def work() -> tuple[int | None, list[str]]:
            with self.console.services.sessions() as s, s.begin():
                cur = store.latest(s)
                cur_v = cur.version if cur is not None else 0
                current = store.flatten(cur.body or {}) if cur is not None else {}
                flat, problems = overlay_from_form(texts, base, current)
                if problems:
                    if not reason:
                        problems.append("say why: a reason is required")
                    return None, problems
                if (expected is None or expected == cur_v) and flat == current:
                    return None, [f"nothing changed: these are the values of version {cur_v}"]
                try:
                    rev = store.save(s, store.nest(flat), user.email, reason, now, base, expected_version=expected)
                except store.SettingsError as exc:
                    return None, exc.problems
                return rev.version, []

        saved, problems = await run_in_threadpool(work)
        if saved is None:
            data = await run_in_threadpool(self._load)
            stale = any(p.startswith("someone saved version") for p in problems)
            # someone saved first: show their values (and version), never a blind overwrite
            return self._render(request, user, data, status=409 if stale else 400, problems=problems,
                                texts=None if stale else texts, reason=reason)
        st = self._store()
        if st is not None:
            st.invalidate()
        return RedirectResponse(_flash_url(PATH, user, ok=f"Saved version {saved}; every host uses it within "
                                                          f"a few seconds."), status_code=303)
