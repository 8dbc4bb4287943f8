"""``duly agent takeover|handback|close PHONE``: an agent's actions from the terminal
(the web console offers the same; both go through ``Runner.agent_action``)."""

from __future__ import annotations

import sys


def main(action: str, phone: str, *, state: str | None, agent: str, settings) -> int:
    """Apply the agent action to every conversation with ``phone``. Exit 0, or 1 when
    Duly never saw the number. Each action is in the audit log as the console's are,
    actor ``cli:AGENT`` with the OS user (``via: cli``)."""
    from sqlalchemy import select

    from bot.phones import normalise_phone
    from duly.app import make_services
    from duly.scripts_cli import cli_actor
    from runner.agents import audit
    from storage.models import Conversation

    e164 = normalise_phone(phone, settings.behaviour.get("default_region", "US")) or phone
    services = make_services(settings)
    try:
        with services.sessions() as s:
            ids = s.scalars(select(Conversation.id).where(Conversation.customer_phone == e164)).all()
        if not ids:
            print(f"duly agent: Duly never saw {e164}", file=sys.stderr)
            return 1
        kind = {"takeover": "take_over", "handback": "hand_back", "close": "close"}[action]
        data = {"state": state} if state else {}
        actor, os_user = cli_actor(agent)
        for cid in ids:
            mode = services.runner.agent_action(cid, kind, agent, data)
            with services.sessions() as s, s.begin():
                audit(s, actor, kind, cid, services.runner.clock(), via="cli", os_user=os_user, **data)
            print(f"conversation {cid}: mode {mode}")
        return 0
    finally:
        services.engine.dispose()
