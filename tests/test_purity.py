"""bot/ stays pure: no database, HTTP, Redis, Twilio, socket or clock (AST check)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"
FORBIDDEN = {"sqlalchemy", "starlette", "httpx", "redis", "twilio", "uvicorn", "psycopg",
             "psycopg2", "socket", "requests", "storage", "webhooks", "runner", "duly", "time",
             "aiohttp", "urllib", "subprocess", "asyncio"}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}
FILES = sorted(BOT.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(BOT.parent)))
def test_module_is_pure(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FORBIDDEN:
                    problems.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in FORBIDDEN:
                problems.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            f = node.func
            if f.attr in {"now", "utcnow", "today"}:
                problems.append(f"line {node.lineno}: calls .{f.attr}() (read the clock)")
            if f.attr in CLOCK_CALLS and isinstance(f.value, ast.Name) and f.value.id == "time":
                problems.append(f"line {node.lineno}: calls time.{f.attr}()")
    assert not problems, f"{path}: " + "; ".join(problems)


def test_checker_catches_violations(tmp_path):
    bad = "import time\nfrom sqlalchemy import x\nimport datetime\nd = datetime.datetime.now()\n"
    tree = ast.parse(bad)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert calls[0].func.attr == "now"
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert len(imports) == 3


def test_files_found():
    assert any(p.name == "engine.py" for p in FILES)
