"""The CLI commands that work on the durable store directly, on the host, with no node running:

    sharecircle migrate                     bring the database's schema up to this version
    sharecircle staff add NAME [--admin] [--room SLUG]... [--passphrase-file FILE|-]
    sharecircle staff list | revoke NAME
    sharecircle invite list [--room SLUG] | revoke ID
    sharecircle purge [--all-reports] [--all-moderation-log]

Each finds the store as `serve` does (`--database-url` / `DATABASE_URL`, else `--data-dir`; or
the `--config` file). Secrets never go on the command line, where `ps` and shell history would
show them: a passphrase is read from a file, from standard input (`-`) or from a prompt, and a
generated key is printed once.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from rooms.clock import SystemClock
from rooms.store import SqlStore, StoreConflict, StoreError
from rooms.store.migrate import upgrade
from server import storage
from server.settings import Settings, SettingsError

__all__ = ["add_store_commands"]

_STDIN = "-"
Action = Callable[[SqlStore, argparse.Namespace], Awaitable[int]]


def add_store_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `migrate`, `staff`, `invites` (reached as `invite list|revoke`) and `purge`."""
    migrate = sub.add_parser("migrate", help="upgrade the database schema to this version")
    _store_options(migrate)
    migrate.set_defaults(run=_migrate)

    staff = sub.add_parser("staff", help="facilitator and admin accounts")
    staff_sub = staff.add_subparsers(dest="action", required=True)
    # No abbreviations: `--passphrase X` must not be taken for `--passphrase-file X`.
    add = staff_sub.add_parser(
        "add", help="make an account (prints a key unless a passphrase)", allow_abbrev=False
    )
    add.add_argument("name")
    add.add_argument("--admin", action="store_true", help="may facilitate every room")
    add.add_argument("--room", action="append", default=[], help="a room it may facilitate")
    secret = add.add_mutually_exclusive_group()
    secret.add_argument("--passphrase-file", help="read the passphrase from FILE (- for stdin)")
    secret.add_argument("--ask-passphrase", action="store_true", help="prompt for a passphrase")
    listing = staff_sub.add_parser("list", help="list accounts")
    listing.add_argument("--revoked", action="store_true", help="include revoked accounts")
    staff_sub.add_parser("revoke", help="revoke an account at once").add_argument("name")
    for parser in staff_sub.choices.values():
        _store_options(parser)
    staff.set_defaults(run=_on_store(_staff, before=_read_passphrase))

    invites = sub.add_parser("invites", help="list or revoke invites (also `invite list|revoke`)")
    invites_sub = invites.add_subparsers(dest="action", required=True)
    invites_sub.add_parser("list", help="usable invites").add_argument("--room")
    invites_sub.add_parser("revoke", help="revoke an invite").add_argument("id")
    for parser in invites_sub.choices.values():
        _store_options(parser)
    invites.set_defaults(run=_on_store(_invites))

    purge = sub.add_parser("purge", help="delete what is past its retention, now")
    purge.add_argument("--all-reports", action="store_true", help="also every open report")
    purge.add_argument("--all-moderation-log", action="store_true", help="also the whole log")
    _store_options(purge)
    purge.set_defaults(run=_on_store(_purge))


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="PostgreSQL URL (env DATABASE_URL)")
    parser.add_argument("--data-dir", help="directory of the embedded SQLite store")
    parser.add_argument("--config", help="TOML settings file (env SHARECIRCLE_CONFIG)")


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {"database_url": args.database_url, "data_dir": args.data_dir}
    return Settings.load(args.config, overrides=overrides)


def _fail(message: str) -> int:
    print(f"sharecircle: {message}", file=sys.stderr)
    return 2


def _not_found(message: str) -> int:
    print(f"sharecircle: {message}", file=sys.stderr)
    return 1


def _migrate(args: argparse.Namespace) -> int:
    async def run(settings: Settings) -> tuple[str | None, str | None]:
        store = storage.open_unchecked(settings, SystemClock())
        try:
            return await upgrade(store.engine)
        finally:
            await store.aclose()

    try:
        settings = _settings(args)
        before, after = asyncio.run(run(settings))
    except (SettingsError, StoreError, ValueError, OSError) as exc:
        return _fail(str(exc))
    url = storage.describe(storage.database_url(settings))
    print(f"{url}: schema at {after} (was {before or 'empty'})")
    return 0


def _on_store(
    action: Action, before: Callable[[argparse.Namespace], None] | None = None
) -> Callable[[argparse.Namespace], int]:
    """Run `before` (reading input), open the store (checking its schema as `serve` does), run
    `action`, close the store."""

    def run(args: argparse.Namespace) -> int:
        try:
            if before is not None:
                before(args)
        except (ValueError, OSError) as exc:
            return _fail(str(exc))

        async def with_store(settings: Settings) -> int:
            store = await storage.open_node_store(settings, SystemClock())
            try:
                return await action(store, args)
            finally:
                await store.aclose()

        try:
            return asyncio.run(with_store(_settings(args)))
        except (SettingsError, StoreError, ValueError, OSError) as exc:
            return _fail(str(exc))

    return run


async def _staff(store: SqlStore, args: argparse.Namespace) -> int:
    if args.action == "list":
        for account in await store.list_staff(include_revoked=args.revoked):
            role = "admin" if account.admin else ",".join(sorted(account.rooms)) or "-"
            state = f"revoked {_when(account.revoked_at)}" if account.revoked_at else "active"
            print(f"{account.name:32} {account.credential:10} {state:24} {role}")
        return 0
    if args.action == "revoke":
        if await store.revoke_staff(args.name):
            print(f"revoked {args.name}")
            return 0
        return _not_found(f"no active staff account called {args.name!r}")
    try:
        made = await store.add_staff(
            args.name, admin=args.admin, rooms=args.room, passphrase=args.passphrase
        )
    except StoreConflict as exc:
        return _fail(str(exc))
    print(f"added {made.account.name}", file=sys.stderr)
    if made.key is not None:
        print("its key, shown only now (the store keeps a hash):", file=sys.stderr)
        print(made.key)
    return 0


def _read_passphrase(args: argparse.Namespace) -> None:
    """Set `args.passphrase` for `staff add`: from a prompt, a file or stdin, or None."""
    args.passphrase = None
    if args.action != "add":
        return
    if args.ask_passphrase:
        args.passphrase = getpass.getpass("passphrase: ")
        if getpass.getpass("again: ") != args.passphrase:
            raise ValueError("the passphrases differ")
        return
    source: str | None = args.passphrase_file
    if source == _STDIN:
        args.passphrase = sys.stdin.readline().rstrip("\r\n")
    elif source is not None:
        args.passphrase = Path(source).read_text().rstrip("\r\n")


async def _invites(store: SqlStore, args: argparse.Namespace) -> int:
    if args.action == "revoke":
        if await store.revoke_invite(args.id):
            print(f"revoked {args.id}")
            return 0
        return _not_found(f"no usable invite {args.id!r}")
    for invite in await store.list_invites(args.room):
        use = "single-use" if invite.single_use else "reusable"
        print(
            f"{invite.id}  {invite.room:24} {invite.role:11} {use:10} "
            f"until {_when(invite.expires_at)}"
        )
    return 0


async def _purge(store: SqlStore, args: argparse.Namespace) -> int:
    done = await store.purge(reports=args.all_reports, moderation_log=args.all_moderation_log)
    print(
        f"deleted: bans={done.bans} invites={done.invites} reports={done.reports} "
        f"moderation_log={done.moderation_log}"
    )
    return 0


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")
