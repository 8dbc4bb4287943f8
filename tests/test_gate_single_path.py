"""No path around the outbound gate: only runner/outbound.py creates outbound rows."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ["bot", "webhooks", "storage", "runner", "duly", "console"]


def _outbound_constructions(path: Path) -> list[int]:
    tree = ast.parse(path.read_text("utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Message":
            for kw in node.keywords:
                if kw.arg == "direction" and isinstance(kw.value, ast.Constant) and kw.value.value == "outbound":
                    lines.append(node.lineno)
        # raw SQL inserts of outbound rows would dodge the ORM check
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "insert into messages" in node.value.lower():
            lines.append(node.lineno)
    return lines


def test_only_the_gate_module_creates_outbound_messages():
    offenders = {}
    for folder in PRODUCT:
        for path in (ROOT / folder).rglob("*.py"):
            found = _outbound_constructions(path)
            if found and path.relative_to(ROOT).as_posix() != "runner/outbound.py":
                offenders[path.relative_to(ROOT).as_posix()] = found
    assert offenders == {}
    assert _outbound_constructions(ROOT / "runner" / "outbound.py"), "the send path itself must be found"


def test_the_send_path_asks_the_gate():
    src = (ROOT / "runner" / "outbound.py").read_text("utf-8")
    assert "gate.decide(" in src
