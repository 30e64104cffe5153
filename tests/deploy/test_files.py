"""What can be checked about deploy/ without systemd or a container engine running.

The systemd units go through `systemd-analyze verify` and their command line starts a real node
with the example environment file; deploy/redis/redis.conf runs a real Redis; the compose file
is read (stdlib YAML subset) and must point at files that exist; the Dockerfile's install steps
are replayed outside a container (from the uv cache, offline) and the result must serve.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from server.settings import Settings, SettingsError
from tests.deploy.nginx_stack import DEPLOY, SITE
from tests.deploy.yaml_subset import load as load_yaml
from tests.support.client import Client
from tests.support.nodes import free_port
from tests.support.redis_server import RedisServer, find_server_binary

ROOT = DEPLOY.parent
UNITS = DEPLOY / "systemd"
INSTALLED_BIN = "/opt/sharecircle/.venv/bin/sharecircle"
VENV_BIN = Path(sys.executable).parent / "sharecircle"
SETTING_VARS = {f"SHARECIRCLE_{name.upper()}" for name in Settings.model_fields}


def unit(name: str) -> dict[str, list[str]]:
    """Key -> values of a unit file (keys may repeat)."""
    values: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


def env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k: v for k, v in pairs if not k.startswith("#")}


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def _wait_ready(proc: subprocess.Popen[bytes], url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the node exited early"
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url} never answered 200")


def _spawn(
    args: list[str],
    *,
    env: dict[str, str],
    stderr: int = subprocess.DEVNULL,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)


def _clean_env() -> dict[str, str]:
    drop = (
        "SHARECIRCLE_",
        "REDIS_URL",
        "DATABASE_URL",
        "UV_",
        "VIRTUAL_ENV",
        "FORWARDED_ALLOW_IPS",
    )
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


# -- systemd ---------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@pytest.mark.skipif(not VENV_BIN.exists(), reason="no installed `sharecircle` script")
@pytest.mark.parametrize("name", ["sharecircle.service", "sharecircle@8001.service"])
def test_units_pass_systemd_analyze_verify(tmp_path: Path, name: str) -> None:
    """The units verify cleanly (their ExecStart pointed at this checkout's script)."""
    for source in UNITS.glob("*.service"):
        text = source.read_text()
        assert INSTALLED_BIN in text
        (tmp_path / source.name).write_text(text.replace(INSTALLED_BIN, str(VENV_BIN)))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / name)], capture_output=True, text=True
    )
    complaints = [line for line in result.stderr.splitlines() if "sharecircle" in line]
    assert result.returncode == 0, result.stderr
    assert not complaints, result.stderr


@pytest.mark.parametrize("name", ["sharecircle.service", "sharecircle@.service"])
def test_units_are_hardened_and_outlast_the_drain(name: str) -> None:
    """No privileges, nothing writable but the store, secrets from a file, time to drain."""
    values = unit(name)
    for key, expected in {
        "DynamicUser": "yes",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "KillSignal": "SIGTERM",
        "EnvironmentFile": "/etc/sharecircle/sharecircle.env",
    }.items():
        assert values[key] == [expected], key
    # One writable place: the state directory of the embedded store, private to the service.
    assert values["StateDirectory"] == ["sharecircle"]
    assert values["StateDirectoryMode"] == ["0700"]
    writable = {"CacheDirectory", "LogsDirectory", "ReadWritePaths"}
    assert not writable & values.keys()
    # runner.py gives uvicorn drain_seconds + 5 s to finish; systemd must wait longer.
    assert int(values["TimeoutStopSec"][0]) > Settings().drain_seconds + 5


def test_the_two_units_differ_only_in_the_port() -> None:
    single, template = unit("sharecircle.service"), unit("sharecircle@.service")
    assert template["ExecStart"] == [single["ExecStart"][0] + " --port %i"]
    same = {k for k in single if k not in ("ExecStart", "Description")}
    assert {k: single[k] for k in same} == {k: template[k] for k in same}


def test_example_environment_names_real_settings() -> None:
    example = env_file(UNITS / "sharecircle.env.example")
    assert set(example) - {"FORWARDED_ALLOW_IPS"} <= SETTING_VARS
    assert {"SHARECIRCLE_SECRET", "SHARECIRCLE_REDIS_URL"} <= set(example)


def test_example_environment_ships_no_secret_a_node_accepts() -> None:
    """`change-me` once shipped here and was accepted: now the secrets are left empty, and a
    node started with the file as it is refuses, naming the setting."""
    example = env_file(UNITS / "sharecircle.env.example")
    assert example["SHARECIRCLE_SECRET"] == ""
    assert example["SHARECIRCLE_ADMIN_TOKEN"] == ""
    values = {k.removeprefix("SHARECIRCLE_").lower(): v for k, v in example.items()}
    with pytest.raises(SettingsError, match=r"^secret: "):
        Settings.from_mapping({k: v for k, v in values.items() if k in Settings.model_fields})


def _made_secrets() -> dict[str, str]:
    """What `sharecircle secrets` prints, as the example file tells operators to use it."""
    made = subprocess.run(
        [sys.executable, "-m", "server.cli", "secrets"], capture_output=True, text=True, check=True
    )
    return dict(line.split("=", 1) for line in made.stdout.splitlines())


async def test_unit_command_line_serves_and_drains_in_time(tmp_path: Path) -> None:
    """The template's ExecStart, with the example environment, serves and stops on SIGTERM."""
    port = free_port()
    command = unit("sharecircle@.service")["ExecStart"][0].replace("%i", str(port))
    args = shlex.split(command.replace(INSTALLED_BIN, str(VENV_BIN)))
    timeout_stop = int(unit("sharecircle@.service")["TimeoutStopSec"][0])
    with RedisServer.launch() as server:
        env = _clean_env() | env_file(UNITS / "sharecircle.env.example") | _made_secrets()
        env |= {"SHARECIRCLE_REDIS_URL": server.url, "PYTHONUNBUFFERED": "1"}
        env |= {"STATE_DIRECTORY": str(tmp_path)}  # as systemd sets it for StateDirectory=
        proc = _spawn(args, env=env, stderr=subprocess.PIPE)
        try:
            await asyncio.to_thread(_wait_ready, proc, f"http://127.0.0.1:{port}/readyz")
            member = await Client.connect(f"ws://127.0.0.1:{port}/ws")
            await member.join("night-owls", "River")
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            assert (await member.closed())[0] == 1012
            await asyncio.to_thread(proc.wait, timeout_stop)
            assert time.monotonic() - started < timeout_stop
        finally:
            if proc.poll() is None:
                proc.kill()
            _, errors = proc.communicate(timeout=10)
        assert b"River" not in errors


# -- Redis -----------------------------------------------------------------------------------


@pytest.fixture
def redis_from_conf(tmp_path: Path) -> Iterator[redis.Redis]:
    port = free_port()
    args = [find_server_binary(), str(DEPLOY / "redis" / "redis.conf"), "--port", str(port)]
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert proc.poll() is None, "redis exited"
                assert time.monotonic() < deadline, "redis did not answer"
                time.sleep(0.05)
        yield client
    finally:
        client.close()
        proc.terminate()
        proc.wait(10)


def test_redis_conf_keeps_nothing_and_evicts_nothing(
    redis_from_conf: redis.Redis, tmp_path: Path
) -> None:
    """The content instance runs with no snapshots, no AOF, noeviction, loopback only."""
    config = redis_from_conf.config_get("*")
    assert config["save"] == ""
    assert config["appendonly"] == "no"
    assert config["maxmemory-policy"] == "noeviction"
    assert int(config["maxmemory"]) > 0
    assert config["protected-mode"] == "yes"
    assert set(config["bind"].replace("-", "").split()) <= {"127.0.0.1", "::1"}
    redis_from_conf.set("k", "v")
    redis_from_conf.shutdown(nosave=False)  # a shutdown that would save, if saving were on
    assert list(tmp_path.iterdir()) == []


# -- containers ------------------------------------------------------------------------------


def compose() -> dict[str, object]:
    data = load_yaml((DEPLOY / "compose.yaml").read_text())
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        return data  # type: ignore[no-any-return]
    assert yaml.safe_load((DEPLOY / "compose.yaml").read_text()) == data
    return data  # type: ignore[no-any-return]


def test_compose_file_points_at_files_that_exist() -> None:
    services = compose()["services"]
    assert isinstance(services, dict)
    assert {"nginx", "redis", "postgres", "migrate", "node1", "node2"} <= services.keys()
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):  # a file of deploy/; else a named volume (pgdata)
                assert (DEPLOY / source).is_file(), f"{name}: {source}"
            else:
                assert source in compose()["volumes"], f"{name}: {source}"
        build = service.get("build")
        if build:
            assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == (
                DEPLOY / "Dockerfile"
            )
        if service.get("image") == "sharecircle:local":
            for key in service.get("environment", {}):
                assert key in SETTING_VARS, f"{name}: {key}"


def test_compose_wires_the_same_ports_as_the_nginx_config() -> None:
    """Nodes listen where sharecircle.conf's upstream points; Redis where the nodes look."""
    services = compose()["services"]
    assert isinstance(services, dict)
    upstream = sorted(re.findall(r"server 127\.0\.0\.1:(\d+)", SITE.read_text()))
    node_ports = sorted(
        s["command"][s["command"].index("--port") + 1]
        for name, s in services.items()
        if name.startswith("node")
    )
    assert node_ports == upstream
    conf_port = re.search(r"^port (\d+)$", (DEPLOY / "redis/redis.conf").read_text(), re.M)
    assert conf_port is not None
    for name in ("node1", "node2"):
        url = services[name]["environment"]["SHARECIRCLE_REDIS_URL"]
        assert url == f"redis://127.0.0.1:{conf_port.group(1)}/0"
        assert services[name]["stop_signal"] == "SIGTERM"
    assert services["redis"]["command"][1] == "/usr/local/etc/redis/redis.conf"


def dockerfile() -> list[str]:
    return (DEPLOY / "Dockerfile").read_text().splitlines()


def test_dockerfile_installs_from_the_lock_and_runs_unprivileged() -> None:
    lines = dockerfile()
    assert re.match(r"FROM python:3\.1[1-9]-slim", lines[next(
        i for i, line in enumerate(lines) if line.startswith("FROM"))])  # fmt: skip
    syncs = [line for line in lines if line.startswith("RUN uv sync")]
    assert syncs
    assert all("--frozen" in line and "--no-dev" in line for line in syncs)
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users
    assert users[-1] not in ("root", "0")
    assert lines[-1] == 'CMD ["sharecircle", "serve", "--host", "0.0.0.0"]'
    for line in lines:
        if line.startswith("COPY") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), source


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed")
def test_dockerfile_steps_build_a_node_that_serves(tmp_path: Path) -> None:
    """Replay the Dockerfile's COPY and `uv sync` steps (offline, from the uv cache); it serves."""
    context = tmp_path / "opt"
    context.mkdir()
    for line in dockerfile():
        if line.startswith("COPY") and "--from" not in line:
            for source in line.split()[1:-1]:
                copy = shutil.copytree if (ROOT / source).is_dir() else shutil.copy
                copy(ROOT / source, context / source)
    env = _clean_env() | {"UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never"}
    for line in dockerfile():
        if line.startswith("RUN uv sync"):
            done = subprocess.run(shlex.split(line[4:]), cwd=context, env=env, capture_output=True)
            if done.returncode != 0 and b"offline" in done.stderr.lower():
                pytest.skip("the uv cache lacks a locked package (this check runs offline)")
            assert done.returncode == 0, done.stderr.decode()
    shutil.rmtree(context / "server")  # the node must run from the installed wheel alone
    port = free_port()
    cmd = ["sharecircle", "serve", "--host", "127.0.0.1", "--port", str(port)]
    binary = str(context / ".venv" / "bin" / cmd[0])
    # The embedded store migrates itself from the scripts inside the installed wheel; the made
    # admin token goes to the state directory too.
    env = _clean_env() | {
        "SHARECIRCLE_DATA_DIR": str(tmp_path / "state"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    proc = _spawn([binary, *cmd[1:]], cwd=tmp_path, env=env)
    try:
        _wait_ready(proc, f"http://127.0.0.1:{port}/readyz")
        status, page = _get(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert b"<html" in page.lower()  # web_client/ is in the wheel
        assert _get(f"http://127.0.0.1:{port}/metrics")[0] == 403  # no metrics_token set
        assert (tmp_path / "state" / "sharecircle.db").is_file()
    finally:
        proc.terminate()
        proc.wait(20)


def test_dockerignore_lets_in_what_the_dockerfile_copies() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    assert "**" in ignore
    for line in dockerfile():
        if line.startswith("COPY") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert f"!{source}" in ignore or f"!{source}/" in ignore, source
