"""`sharecircle migrate | staff | invite list|revoke | purge`, on SQLite and PostgreSQL, and
`serve` refusing a PostgreSQL store whose schema is behind."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from rooms.clock import SystemClock
from rooms.store import open_store
from rooms.store.migrate import head_revision
from server.cli import _route_invite, main
from tests.support.stores import DIALECTS, store_url


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "SHARECIRCLE_CONFIG", "SHARECIRCLE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=DIALECTS)
def where(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    """The CLI options naming an empty store of each dialect."""
    if request.param == "sqlite":
        return ["--data-dir", str(tmp_path / "state")]
    return ["--database-url", store_url(request, "postgresql", tmp_path)]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_migrate_brings_an_empty_database_to_the_head(
    where: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "migrate", *where)
    assert code == 0
    head = head_revision()
    assert f"schema at {head} (was empty)" in out
    assert f"(was {head})" in run(capsys, "migrate", *where)[1]


def test_staff_are_added_listed_and_revoked(
    where: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key is printed once on stdout; a passphrase comes from stdin, never from argv."""
    assert run(capsys, "migrate", *where)[0] == 0
    code, key, err = run(capsys, "staff", "add", "Robin", "--room", "night-owls", *where)
    assert code == 0, err
    assert key.strip().startswith("sck_")
    assert "shown only now" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("a passphrase from stdin\n"))
    code, _, err = run(capsys, "staff", "add", "Ash", "--admin", "--passphrase-file", "-", *where)
    assert code == 0, err
    listed = run(capsys, "staff", "list", *where)[1].splitlines()
    assert [line.split()[0] for line in listed] == ["Ash", "Robin"]
    assert "admin" in listed[0]
    assert "night-owls" in listed[1]
    assert run(capsys, "staff", "revoke", "Robin", *where)[0] == 0
    assert run(capsys, "staff", "revoke", "Robin", *where)[0] == 1
    assert [line.split()[0] for line in run(capsys, "staff", "list", *where)[1].splitlines()] == [
        "Ash"
    ]
    assert "revoked" in run(capsys, "staff", "list", "--revoked", *where)[1]
    code, _, err = run(capsys, "staff", "add", "robin", *where)
    assert code == 2
    assert "exists" in err


def test_a_passphrase_file_is_read_and_signs_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "passphrase"
    secret.write_text("correct horse battery staple\n")
    where = ["--data-dir", str(tmp_path / "state")]
    assert run(capsys, "staff", "add", "Kim", "--passphrase-file", str(secret), *where)[0] == 0

    async def sign_in() -> bool:
        store = open_store(f"sqlite:///{tmp_path / 'state' / 'sharecircle.db'}")
        try:
            return await store.sign_in("Kim", "correct horse battery staple") is not None
        finally:
            await store.aclose()

    assert asyncio.run(sign_in())


def test_no_secret_can_be_given_as_an_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ps` shows every argument: there is no option that takes a passphrase or key itself."""
    with pytest.raises(SystemExit):
        main(
            ["staff", "add", "Robin", "--passphrase", "visible in ps", "--data-dir", str(tmp_path)]
        )
    assert "unrecognized arguments" in capsys.readouterr().err
    assert not (tmp_path / "sharecircle.db").exists()
    missing = ["--passphrase-file", str(tmp_path / "nothing"), "--data-dir", str(tmp_path)]
    code, _, err = run(capsys, "staff", "add", "Robin", *missing)
    assert code == 2
    assert "No such file" in err
    assert not (tmp_path / "sharecircle.db").exists()  # nothing opened before the input was read


def test_invites_are_listed_and_revoked(
    where: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "migrate", *where)[0] == 0
    url = where[1] if where[0] == "--database-url" else f"sqlite:///{where[1]}/sharecircle.db"

    async def make() -> str:
        store = open_store(url, clock=SystemClock())
        try:
            made = await store.create_invite("night-owls", "member", ttl=600, single_use=True)
            return made.id
        finally:
            await store.aclose()

    invite_id = asyncio.run(make())
    listed = run(capsys, "invite", "list", *where)[1]
    assert invite_id in listed
    assert "single-use" in listed
    assert run(capsys, "invite", "list", "--room", "daily-check-in", *where)[1] == ""
    assert run(capsys, "invite", "revoke", invite_id, *where)[0] == 0
    assert run(capsys, "invite", "revoke", invite_id, *where)[0] == 1
    assert run(capsys, "invite", "list", *where)[1] == ""


def test_purge_reports_what_it_deleted(
    where: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "migrate", *where)[0] == 0
    code, out, _ = run(capsys, "purge", "--all-reports", "--all-moderation-log", *where)
    assert code == 0
    assert out.strip() == "deleted: bans=0 invites=0 reports=0 moderation_log=0"


def test_a_postgresql_store_must_be_migrated_before_serving(
    request: pytest.FixtureRequest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`serve` (and `staff`, ...) on a PostgreSQL database behind the code stop with advice."""
    url = store_url(request, "postgresql", tmp_path)
    for argv in (["serve", "--port", "0"], ["staff", "list"], ["purge"]):
        code, _, err = run(capsys, *argv, "--database-url", url)
        assert code == 2, argv
        assert "run `sharecircle migrate`" in err


def test_an_unreachable_database_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://postgres@/x?host=/tmp/no-such-socket-dir&connect_timeout=2"
    for argv in (["migrate"], ["staff", "list"], ["serve", "--port", "0"]):
        code, _, err = run(capsys, *argv, "--database-url", url)
        assert code == 2
        assert "database unavailable" in err
    code, _, err = run(capsys, "migrate", "--database-url", "mysql://x@y/z")
    assert code == 2
    assert "unsupported database" in err


def test_invite_subcommands_route_to_the_store_or_the_api() -> None:
    assert _route_invite(["invite", "list"]) == ["invites", "list"]
    assert _route_invite(["invite", "revoke", "abc"]) == ["invites", "revoke", "abc"]
    assert _route_invite(["invite", "create", "night-owls"]) == ["invite", "night-owls"]
    assert _route_invite(["invite", "night-owls"]) == ["invite", "night-owls"]
