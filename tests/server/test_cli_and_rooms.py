"""The CLI against a running node, per-room history, and the HTTP endpoints around rooms."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rooms.model import RoomConfig
from tests.support.client import Client
from tests.support.live import live_server, node_settings
from tests.support.nodes import ROOT, NodeProcess


@pytest.fixture(scope="module")
def node() -> Iterator[NodeProcess]:
    with NodeProcess(None) as running:
        yield running


def cli(node: NodeProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args, "--server", node.http],
        cwd=ROOT,
        env={
            "SHARECIRCLE_ADMIN_TOKEN": "cluster-test-admin-Xe4Lq9Tz2Wm7Rk5Hc8Vb3Nf6Jy1Pd0Gs",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_rooms_create_list_and_invite_through_the_cli(node: NodeProcess) -> None:
    made = cli(
        node, "rooms", "create", "late-night", "--name", "Late Night", "--closed", "--self-led"
    )
    assert made.returncode == 0, made.stderr
    listed = cli(node, "rooms", "list")
    assert "late-night" in listed.stdout
    assert "closed" in listed.stdout
    invite = cli(node, "invite", "late-night", "--role", "facilitator")
    assert invite.returncode == 0
    assert len(invite.stdout.strip()) > 20
    assert "#room=late-night&facilitator=" in invite.stderr  # a link, token in the fragment
    assert "sharecircle invite revoke " in invite.stderr  # its record can be revoked
    missing = cli(node, "invite", "no-such-room")
    assert missing.returncode != 0


def test_the_cli_makes_a_room_with_a_format_and_a_language(node: NodeProcess) -> None:
    made = cli(
        node, "rooms", "create", "tarde", "--name", "Tarde", "--format", "tools-based",
        "--language", "es", "--self-led",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    listed = cli(node, "rooms", "list").stdout
    (line,) = [row for row in listed.splitlines() if row.startswith("tarde ")]
    assert " es " in line
    assert "Tools-based recovery meeting" in line
    unknown = cli(node, "rooms", "create", "otra", "--format", "no-such-format")
    assert unknown.returncode != 0
    assert "format: 'no-such-format' is not a shipped format" in unknown.stderr


def test_the_cli_refuses_without_the_admin_token(node: NodeProcess, tmp_path: Path) -> None:
    """A wrong token read from `--admin-token-file` gets 401; a token on the command line is
    not even an option (`ps` would show it)."""
    wrong = tmp_path / "token"
    wrong.write_text(secrets.token_hex(32))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "server.cli",
                "rooms",
                "create",
                "x",
                "--server",
                node.http,
                *args,
            ],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "XDG_STATE_HOME": str(tmp_path / "state")},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    result = run("--admin-token-file", str(wrong))
    assert result.returncode != 0
    assert "401" in result.stderr
    on_the_command_line = run("--admin-token", secrets.token_hex(32))
    assert on_the_command_line.returncode == 2
    assert "unrecognized arguments: --admin-token" in on_the_command_line.stderr
    nothing = run()
    assert nothing.returncode != 0
    assert "no admin token" in nothing.stderr


async def test_a_closed_room_needs_its_invite() -> None:
    rooms = (RoomConfig(slug="private", name="Private", access="closed"),)
    async with live_server(node_settings(rooms=rooms)) as live:
        client = await Client.connect(live.url)
        assert (await client.request("join", room="private", name="Sam"))["code"] == "room_closed"
        forged = await client.request("join", room="private", name="Sam", invite="x.y.z")
        assert forged["code"] == "invalid_token"
        made = await live.post(
            "/api/admin/rooms/private/invites",
            json={"role": "member"},
            headers={"Authorization": "Bearer test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"},
        )
        await client.join("private", "Sam", invite=made.json()["token"])
        listed = (await live.get("/api/rooms")).json()
        card = {
            "slug": "private",
            "name": "Private",
            "description": "",
            "access": "closed",
            "self_led": False,
            "language": "en",
            "voice": False,
            "format": None,
            "on_call": False,  # server-wide: nobody on call
        }
        # Who is in a closed room, and when it meets, only the admin sees (docs/privacy.md).
        live_fields = {"members": None, "observers": None, "mode": None, "round": None}
        live_fields |= {"part": None, "facilitator_present": None}
        assert listed == [card | live_fields]
        as_admin = await live.get(
            "/api/rooms",
            headers={"Authorization": "Bearer test-admin-7Qm2xVr9LkT4pWc8NbZf3HsJd6YgA1uE5oRi0"},
        )
        live_fields = {"members": 1, "observers": 0, "mode": "open", "round": False, "part": None}
        live_fields |= {"facilitator_present": False}
        assert as_admin.json() == [card | live_fields]
        assert (await live.get("/healthz")).status_code == 200
        assert (await live.get("/readyz")).status_code == 200
        await client.close()


async def test_a_room_can_keep_less_history_than_the_node() -> None:
    """replay_seconds: a room can only shorten catch-up, never lengthen it."""
    from rooms.clock import ManualClock

    clock = ManualClock()
    rooms = (RoomConfig(slug="brief", name="Brief", replay_seconds=60),)
    async with live_server(node_settings(rooms=rooms), clock=clock) as live:
        alice = await Client.connect(live.url)
        bob = await Client.connect(live.url)
        await alice.join("brief", "Alice")
        await bob.join("brief", "Bob")
        last = await bob.event("member.joined")
        token = bob.token
        await bob.close()
        await alice.ok("post", text="within the room's minute")
        again = await Client.connect(live.url)
        reply = await again.ok("resume", token=token, seq=last["seq"], epoch=last["epoch"])
        assert reply["recovered"] is True
        token = reply["token"]
        await again.event("chat.message", text="within the room's minute")
        last = again.events[-1]
        await again.close()
        await alice.ok("post", text="older than the room keeps")
        clock.advance(61)
        await asyncio.sleep(0)
        late = await Client.connect(live.url)
        reply = await late.ok("resume", token=token, seq=last["seq"], epoch=last["epoch"])
        assert reply["recovered"] is False
        assert reply["reason"] == "window"
        await late.close()
        await alice.close()
