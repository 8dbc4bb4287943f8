"""``duly users add EMAIL --role agent|admin``: create a console user.

The password is asked for twice at the terminal (never echoed), or read from
``DULY_PASSWORD`` for scripts. ``duly users passwd EMAIL`` changes it (and signs the
user out everywhere); ``duly users deactivate|reactivate EMAIL`` removes or restores
access (a deactivated user is signed out and refused at sign-in)."""

from __future__ import annotations

import getpass
import os
import sys


def _password(prompt_twice: bool = True) -> str | None:
    env = os.environ.get("DULY_PASSWORD")
    if env:
        return env
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\n") or None
    first = getpass.getpass("Password (10+ characters): ")
    if prompt_twice and getpass.getpass("Again: ") != first:
        print("duly users: the passwords differ", file=sys.stderr)
        return None
    return first


def main(action: str, email: str, role: str, settings) -> int:
    """Exit 0 on success, 1 when the user cannot be created or changed (the reason is
    printed), 2 on a usage error."""
    from console import auth
    from duly.app import make_services
    from runner.inbound import utcnow
    from storage.models import AuditEntry

    password = _password() if action in ("add", "passwd") else None
    if action in ("add", "passwd") and not password:
        print("duly users: no password given (type it, or set DULY_PASSWORD)", file=sys.stderr)
        return 2
    services = make_services(settings, migrate=True)
    try:
        with services.sessions() as s, s.begin():
            if action in ("deactivate", "reactivate"):
                user = auth.get_user(s, email)
                if user is None:
                    print(f"duly users: no user {email}", file=sys.stderr)
                    return 1
                user.active = 1 if action == "reactivate" else 0
                auth.revoke_all(s, user)
                s.add(AuditEntry(actor="cli", action=f"user_{action}", created_at=utcnow(),
                                 detail={"email": user.email}))
                print(f"{action}d {user.email}")
            elif action == "add":
                user = auth.create_user(s, email, role, password, utcnow())
                s.add(AuditEntry(actor="cli", action="user_created", created_at=utcnow(),
                                 detail={"email": user.email, "role": user.role}))
                print(f"created {user.email} ({user.role})")
            else:
                user = auth.get_user(s, email)
                if user is None:
                    print(f"duly users: no user {email}", file=sys.stderr)
                    return 1
                auth.set_password(s, user, password)
                s.add(AuditEntry(actor="cli", action="password_changed", created_at=utcnow(),
                                 detail={"email": user.email}))
                print(f"password changed for {user.email}; their sessions are signed out")
        return 0
    except auth.AuthError as exc:
        print(f"duly users: {exc}", file=sys.stderr)
        return 1
    finally:
        services.engine.dispose()


def add_parser(sub) -> None:
    """Add ``users add|passwd EMAIL [--role]`` to the CLI."""
    us = sub.add_parser("users", help="console users")
    us.add_argument("action", choices=["add", "passwd", "deactivate", "reactivate"])
    us.add_argument("email")
    us.add_argument("--role", choices=["agent", "admin"], default="agent")

    def run(args) -> int:
        from duly.cli import _settings

        return main(args.action, args.email, args.role, _settings())

    us.set_defaults(func=run)
