"""`sharecircle`: run a node, manage rooms, staff and invites, keep the store.

    sharecircle serve [--host H] [--port P] [--redis-url URL] [--database-url URL]
                      [--data-dir DIR] [--config FILE]
    sharecircle rooms list [--server URL]
    sharecircle rooms create SLUG --name NAME [--description D] [--closed] [--self-led]
                      [--format KEY] [--language TAG] ...
    sharecircle invite [create] ROOM [--role facilitator|member] [--single-use] [--server URL]
    sharecircle invite list [--room SLUG] | invite revoke ID
    sharecircle staff add NAME [--admin] [--room SLUG]... [--passphrase-file FILE|-]
    sharecircle staff list | staff revoke NAME
    sharecircle migrate
    sharecircle purge [--all-reports] [--all-moderation-log]
    sharecircle secrets [--out FILE]

`rooms` and `invite [create]` talk to a running node's admin API with the admin token from
`SHARECIRCLE_ADMIN_TOKEN`, or the file `--admin-token-file` / `SHARECIRCLE_ADMIN_TOKEN_FILE`, or
the file `serve` wrote it to (server/admin_token.py): an invite is signed with the node's secret.
`migrate`, `staff`, `invite list|revoke` and `purge` work on the store directly
(server/cli_store.py). No secret is ever a command-line argument: `ps` shows those to everyone on
the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from rooms.clock import SystemClock
from rooms.store import StoreError
from server import storage
from server.admin_token import ensure_admin_token, token_for_cli
from server.cli_store import add_store_commands
from server.credentials import new_secret, write_private
from server.crisis_lines import CrisisLines, today
from server.settings import Settings, SettingsError

__all__ = ["main"]


def _serve(args: argparse.Namespace) -> int:
    from server.runner import run

    try:
        settings = Settings.load(
            args.config,
            overrides={
                "host": args.host,
                "port": args.port,
                "redis_url": args.redis_url,
                "database_url": args.database_url,
                "data_dir": args.data_dir,
            },
        )
        store = _check_store(settings)
    except (SettingsError, StoreError, ValueError, OSError) as exc:
        print(f"sharecircle: {exc}", file=sys.stderr)
        return 2
    try:
        settings, token_file = ensure_admin_token(settings)
    except SettingsError as exc:
        print(f"sharecircle: {exc}", file=sys.stderr)
        return 2
    if token_file is not None:
        print(f"sharecircle: admin token in {token_file} (mode 0600, not printed)", flush=True)
    if settings.redis_url and not settings.database_url:
        print(
            "sharecircle: warning: several nodes need one shared store; set DATABASE_URL "
            "(PostgreSQL), or bans, staff and rooms made on this node stay on this node",
            file=sys.stderr,
            flush=True,
        )
    _warn_about_crisis_lines(settings)
    backend = "redis" if settings.redis_url else "in-memory"
    print(
        f"sharecircle: serving http://{settings.host}:{settings.port}/ ({backend} backend, "
        f"store {store})",
        flush=True,
    )
    run(settings)
    return 0


def _warn_about_crisis_lines(settings: Settings) -> None:
    """No crisis number set, or entries nobody verified for a year: say so at start-up."""
    lines = CrisisLines.from_settings(settings)
    for warning in lines.warnings(settings.rooms, today(time.time())):
        print(f"sharecircle: warning: {warning}", file=sys.stderr, flush=True)


def _check_store(settings: Settings) -> str:
    """Open the store once before serving, so a schema left behind stops here with advice."""

    async def check() -> None:
        store = await storage.open_node_store(settings, SystemClock())
        await store.aclose()

    asyncio.run(check())
    return storage.describe(storage.database_url(settings))


def _admin(args: argparse.Namespace, method: str, path: str, body: Any = None) -> Any:
    try:
        token = token_for_cli(args.admin_token_file)
    except SettingsError as exc:
        raise SystemExit(f"sharecircle: {exc}") from None
    data = None if body is None else json.dumps(body).encode()
    if not args.server.startswith(("http://", "https://")):
        raise SystemExit("sharecircle: --server must be an http:// or https:// URL")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        args.server.rstrip("/") + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (operator URL)
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise SystemExit(
            f"sharecircle: {exc.code}: {exc.read().decode(errors='replace')}"
        ) from None
    except urllib.error.URLError as exc:
        raise SystemExit(f"sharecircle: cannot reach {args.server}: {exc.reason}") from None


def _rooms(args: argparse.Namespace) -> int:
    if args.action == "list":
        rooms = _admin(args, "GET", "/api/rooms")
        for room in rooms:
            print(
                f"{room['slug']:24} {room['access']:6} {room['mode']:11} "
                f"members={room['members']} observers={room['observers']} {room['language']}  "
                f"{room['name']}" + (f" ({room['format']})" if room["format"] else "")
            )
        return 0
    body = {
        "slug": args.slug,
        "name": args.name or args.slug,
        "description": args.description,
        "access": "closed" if args.closed else "open",
        "self_led": args.self_led,
        "listen_only": args.listen_only,
        "share_seconds": args.share_seconds,
        "format": args.format,
        "language": args.language,
    }
    room = _admin(args, "POST", "/api/admin/rooms", body)
    print(f"created room {room['slug']}")
    return 0


def _invite(args: argparse.Namespace) -> int:
    body = {"role": args.role, "single_use": args.single_use}
    made = _admin(args, "POST", f"/api/admin/rooms/{args.room}/invites", body)
    print(made["token"])
    print(f"link: {args.server.rstrip('/')}{made['link']}", file=sys.stderr)
    print(f"id: {made['id']} (sharecircle invite revoke {made['id']})", file=sys.stderr)
    return 0


def _secrets(args: argparse.Namespace) -> int:
    lines = f"SHARECIRCLE_SECRET={new_secret()}\nSHARECIRCLE_ADMIN_TOKEN={new_secret()}\n"
    if args.out is None:
        print(lines, end="")
        return 0
    try:
        write_private(Path(args.out), lines)
    except OSError as exc:
        print(f"sharecircle: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"sharecircle: wrote {args.out} (mode 0600)", file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sharecircle", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run a node")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--redis-url", help="Redis URL (default: in-memory backend; env REDIS_URL)")
    serve.add_argument("--config", help="TOML settings file (env SHARECIRCLE_CONFIG)")
    serve.add_argument("--database-url", help="PostgreSQL URL of the store (env DATABASE_URL)")
    serve.add_argument("--data-dir", help="directory of the embedded SQLite store")
    serve.set_defaults(run=_serve)

    def client_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--server", default=os.environ.get("SHARECIRCLE_URL", "http://127.0.0.1:8000")
        )
        # No `--admin-token`: `ps` shows arguments to everyone (no abbreviation reaches this).
        p.add_argument("--admin-token-file", help="file holding the admin token")

    rooms = sub.add_parser("rooms", help="list or create rooms")
    rooms_sub = rooms.add_subparsers(dest="action", required=True)
    client_options(rooms_sub.add_parser("list", allow_abbrev=False))
    create = rooms_sub.add_parser("create", allow_abbrev=False)
    client_options(create)
    create.add_argument("slug")
    create.add_argument("--name")
    create.add_argument("--description", default="")
    create.add_argument("--closed", action="store_true", help="joining needs an invite link")
    create.add_argument("--self-led", action="store_true")
    create.add_argument("--listen-only", action="store_true")
    create.add_argument("--share-seconds", type=int, default=180)
    create.add_argument("--format", help="a shipped meeting format's key (twelve-step-text...)")
    create.add_argument("--language", default="en", help="the room's language tag (en, es...)")
    rooms.set_defaults(run=_rooms)

    invite = sub.add_parser("invite", help="make an invite token for a room", allow_abbrev=False)
    client_options(invite)
    invite.add_argument("room")
    invite.add_argument("--role", choices=["facilitator", "member"], default="facilitator")
    invite.add_argument("--single-use", action="store_true", help="good for one join only")
    invite.set_defaults(run=_invite)
    add_store_commands(sub)

    made = sub.add_parser("secrets", help="make a new secret and admin token (env file lines)")
    made.add_argument("--out", help="write them to this new file (mode 0600) instead of stdout")
    made.set_defaults(run=_secrets)
    return parser


def _route_invite(argv: list[str]) -> list[str]:
    """`invite list|revoke ...` works on the store (`invites`); `invite [create] ROOM` makes one."""
    if len(argv) >= 2 and argv[0] == "invite":
        if argv[1] in ("list", "revoke"):
            return ["invites", *argv[1:]]
        if argv[1] == "create":
            return ["invite", *argv[2:]]
    return argv


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(_route_invite(sys.argv[1:] if argv is None else argv))
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
