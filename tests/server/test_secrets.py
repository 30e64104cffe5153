"""Secrets that are real (issue 13, item 2): placeholders and short values stop `serve` with a
message naming the setting; a generated admin token goes to a 0600 file and is never printed;
secrets come from the environment or a file, never from an argument; `sharecircle secrets`
makes values the node accepts."""

from __future__ import annotations

import base64
import os
import secrets
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from server.credentials import key_material, new_secret, problem
from server.settings import Settings, SettingsError
from tests.support.nodes import ROOT, free_port

GOOD = "4f" + secrets.token_hex(31)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # Never the real state directory (~/.local/state/sharecircle): a store or token left there
    # by one run would change what the next one sees.
    state = tempfile.mkdtemp(prefix="sc-state-")
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "XDG_STATE_HOME": state, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "setting", "says"),
    [
        ({"SHARECIRCLE_SECRET": "change-me"}, "secret", "placeholder"),
        ({"SHARECIRCLE_ADMIN_TOKEN": "change-me-too"}, "admin_token", "placeholder"),
        ({"SHARECIRCLE_SECRET": "Change_Me_" + "ab12" * 12}, "secret", "placeholder"),
        ({"SHARECIRCLE_SECRET": "0123456789abcdef"}, "secret", "8 bytes of key material"),
        ({"SHARECIRCLE_ADMIN_TOKEN": secrets.token_hex(16)}, "admin_token", "16 bytes"),
        ({"SHARECIRCLE_SECRET": "ab" * 40}, "secret", "too regular"),
    ],
    ids=[
        "secret-change-me",
        "token-change-me-too",
        "placeholder-inside",
        "short",
        "16-bytes",
        "pattern",
    ],
)
def test_a_weak_secret_stops_serve_with_a_clear_message(
    tmp_path: Path, env: dict[str, str], setting: str, says: str
) -> None:
    done = _cli("serve", "--port", "0", env={**env, "XDG_STATE_HOME": str(tmp_path)})
    assert done.returncode == 2
    assert done.stderr.startswith(f"sharecircle: {setting}: "), done.stderr
    assert says in done.stderr
    assert "sharecircle secrets" in done.stderr  # says how to make a real one
    assert "Traceback" not in done.stderr
    for value in env.values():
        assert value not in done.stderr + done.stdout
    assert not (tmp_path / "sharecircle").exists()  # stopped before writing anything


@pytest.mark.parametrize(
    "value",
    [
        secrets.token_hex(32),  # openssl rand -hex 32
        base64.b64encode(os.urandom(32)).decode(),  # openssl rand -base64 32
        secrets.token_urlsafe(32),
        new_secret(),
    ],
    ids=["hex", "base64", "base64url", "sharecircle-secrets"],
)
def test_what_the_usual_tools_make_is_accepted(value: str) -> None:
    assert problem(value) is None
    assert len(key_material(value)) == 32


def test_secrets_are_read_from_files(tmp_path: Path) -> None:
    """Like Docker and systemd credentials: the file holds the value (a final newline is fine);
    a secret file must exist, and the value and the file cannot both be given."""
    secret_file, token_file = tmp_path / "secret", tmp_path / "admin-token"
    secret_file.write_text(GOOD + "\n")
    token_file.write_text(new_secret())
    settings = Settings.from_mapping(
        {"secret_file": str(secret_file), "admin_token_file": str(token_file)}
    )
    assert settings.secret == GOOD
    assert settings.admin_token == token_file.read_text()
    with pytest.raises(SettingsError, match=r"^secret_file: cannot read"):
        Settings.from_mapping({"secret_file": str(tmp_path / "missing")})
    with pytest.raises(SettingsError, match=r"^secret: set secret or secret_file, not both"):
        Settings.from_mapping({"secret": GOOD, "secret_file": str(secret_file)})
    secret_file.write_text("change-me\n")
    with pytest.raises(SettingsError, match=r"^secret: .*placeholder"):
        Settings.from_mapping({"secret_file": str(secret_file)})


def _wait_ready(proc: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the node exited early"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the node never became ready")


def test_a_generated_admin_token_goes_to_a_private_file_and_is_never_printed(
    tmp_path: Path,
) -> None:
    """Plain `serve` with nothing set still runs; the admin token it makes is written to
    `$XDG_STATE_HOME/sharecircle/admin-token`, mode 0600, the log line says where (not what),
    and `rooms list` on the same machine finds it there."""
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "XDG_STATE_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "-m", "server.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        _wait_ready(proc, port)
        token_file = tmp_path / "sharecircle" / "admin-token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
        token = token_file.read_text()
        assert problem(token) is None
        listed = _cli(
            "rooms",
            "list",
            "--server",
            f"http://127.0.0.1:{port}",
            env={"XDG_STATE_HOME": str(tmp_path)},
        )
        assert listed.returncode == 0, listed.stderr
        assert "night-owls" in listed.stdout
        assert token not in listed.stdout + listed.stderr
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert f"admin token in {token_file} (mode 0600, not printed)" in output
    assert token not in output


def test_the_token_file_is_kept_across_restarts_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("change-me-too\n")
    done = _cli("serve", "--port", "0", env={"SHARECIRCLE_ADMIN_TOKEN_FILE": str(token_file)})
    assert done.returncode == 2
    assert done.stderr.startswith("sharecircle: admin_token: "), done.stderr
    assert "placeholder" in done.stderr


def test_an_unwritable_token_file_stops_serve_with_a_way_out(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    done = _cli(
        "serve", "--port", "0", env={"SHARECIRCLE_ADMIN_TOKEN_FILE": str(blocked / "token")}
    )
    assert done.returncode == 2
    assert "cannot be written" in done.stderr
    assert "SHARECIRCLE_ADMIN_TOKEN" in done.stderr


def test_sharecircle_secrets_makes_values_the_node_accepts(tmp_path: Path) -> None:
    made = _cli("secrets")
    assert made.returncode == 0
    values = dict(line.split("=", 1) for line in made.stdout.splitlines())
    assert set(values) == {"SHARECIRCLE_SECRET", "SHARECIRCLE_ADMIN_TOKEN"}
    settings = Settings.from_mapping(
        {"secret": values["SHARECIRCLE_SECRET"], "admin_token": values["SHARECIRCLE_ADMIN_TOKEN"]}
    )
    assert settings.secret != settings.admin_token
    assert _cli("secrets").stdout != made.stdout  # new ones each time

    out = tmp_path / "sharecircle.env"
    written = _cli("secrets", "--out", str(out))
    assert written.returncode == 0
    assert written.stdout == ""  # nothing of them on the terminal
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text().count("=") == 2
    again = _cli("secrets", "--out", str(out))
    assert again.returncode == 1  # never overwrites
    assert "cannot write" in again.stderr
