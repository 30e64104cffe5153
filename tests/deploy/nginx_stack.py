"""Debian's nginx, configured from deploy/nginx/, in front of real `sharecircle serve` nodes.

`NginxStack.start()` launches a throwaway Redis, two nodes on it and an nginx whose site config
is deploy/nginx/sharecircle.conf with only the machine-specific parts rewritten: the upstream
lines (the nodes' free ports), the listen lines (free loopback ports), the log directory and,
when `openssl` can make a self-signed certificate, the certificate paths of the TLS block, which
is then switched on exactly as docs/operations.md says (`sed 's/^#tls //'`). Every rewrite must
match, so a template change that breaks these assumptions fails loudly.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.nodes import NodeProcess, free_port
from tests.support.redis_server import RedisServer

__all__ = ["DEPLOY", "NginxStack", "find_nginx"]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SITE = DEPLOY / "nginx" / "sharecircle.conf"
COMMON = DEPLOY / "nginx" / "sharecircle-common.conf"
LE_LIVE = "/etc/letsencrypt/live/chat.example.org/"


def find_nginx() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def _sub(pattern: str, replacement: str, text: str, expected: int) -> str:
    new, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count == expected, f"template changed: {pattern!r} matched {count}, not {expected}"
    return new


def render_site(text: str, nodes: list[int], port: int, tls: tuple[int, Path, Path] | None) -> str:
    """deploy/nginx/sharecircle.conf with this machine's ports and paths."""
    upstream = re.compile(r"^(\s*)server 127\.0\.0\.1:\d+( [^;]*)?;\n", re.MULTILINE)
    first = upstream.search(text)
    assert first is not None, "template changed: no upstream server lines"
    indent, params = first.group(1), first.group(2) or ""
    lines = "".join(f"{indent}server 127.0.0.1:{p}{params};\n" for p in nodes)
    text = text[: first.start()] + "\x00" + upstream.sub("", text[first.start() :])
    text = text.replace("\x00", lines)
    text = _sub(r"^(\s*)listen 80;$", rf"\1listen 127.0.0.1:{port};", text, 1)
    if tls is not None:
        tls_port, cert, key = tls
        text = _sub(r"^#tls ", "", text, len(re.findall(r"^#tls ", text, re.MULTILINE)))
        text = _sub(r"^(\s*)listen 443 ssl;$", rf"\1listen 127.0.0.1:{tls_port} ssl;", text, 1)
        text = _sub(re.escape(LE_LIVE + "fullchain.pem"), str(cert), text, 1)
        text = _sub(re.escape(LE_LIVE + "privkey.pem"), str(key), text, 1)
    return text


def render_common(text: str, logs: Path) -> str:
    return _sub(r"/var/log/nginx/", f"{logs}/", text, 2)


def _main_conf(root: Path) -> str:
    """The parts of nginx.conf that are the distribution's business, for a throwaway prefix."""
    temp = root / "temp"
    return f"""daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/logs/main-error.log error;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {root}/conf.d/sharecircle.conf;
}}
"""


def _self_signed(root: Path) -> tuple[Path, Path] | None:
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class NginxStack:
    nginx: str
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sc-nginx-")))
    port: int = field(default_factory=free_port)
    tls_port: int = field(default_factory=free_port)
    redis: RedisServer | None = None
    nodes: list[NodeProcess] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    cert: Path | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def wss_url(self) -> str:
        return f"wss://127.0.0.1:{self.tls_port}/ws"

    def ssl_context(self) -> ssl.SSLContext:
        assert self.cert is not None
        return ssl.create_default_context(cafile=str(self.cert))

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def start(self) -> NginxStack:
        try:
            self.redis = RedisServer.launch(tcp=True)
            self.nodes = [NodeProcess(self.redis.url).start() for _ in range(2)]
            self._configure()
            self._run()
        except BaseException:
            self.close()
            raise
        return self

    def _configure(self) -> None:
        # Workers run as an unprivileged user when nginx starts as root: let them reach temp.
        self.root.chmod(0o755)
        self.logs.mkdir()
        (self.root / "temp").mkdir()
        (self.root / "conf.d").mkdir()
        (self.root / "snippets").mkdir()  # `include snippets/...` is relative to nginx.conf
        pair = _self_signed(self.root)
        tls = None
        if pair is not None:
            self.cert = pair[0]
            tls = (self.tls_port, *pair)
        ports = [node.port for node in self.nodes]
        site = render_site(SITE.read_text(), ports, self.port, tls)
        (self.root / "conf.d" / "sharecircle.conf").write_text(site)
        common = render_common(COMMON.read_text(), self.logs)
        (self.root / "snippets" / "sharecircle-common.conf").write_text(common)
        (self.root / "nginx.conf").write_text(_main_conf(self.root))

    def _args(self, *extra: str) -> list[str]:
        conf = str(self.root / "nginx.conf")
        early = str(self.logs / "startup-error.log")
        return [self.nginx, "-p", f"{self.root}/", "-c", conf, "-e", early, *extra]

    def _run(self) -> None:
        checked = subprocess.run(self._args("-t"), capture_output=True, text=True)
        assert checked.returncode == 0, f"nginx -t failed:\n{checked.stderr}"
        output = (self.root / "nginx.out").open("wb")
        self.proc = subprocess.Popen(self._args(), stdout=output, stderr=subprocess.STDOUT)
        output.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited:\n{(self.root / 'nginx.out').read_text()}")
            if self._answers():
                return
            time.sleep(0.05)
        raise RuntimeError("nginx did not answer /healthz")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.http + "/healthz", timeout=1) as response:  # noqa: S310
                return bool(response.status == 200)
        except OSError:
            return False

    def log_text(self) -> str:
        """Everything nginx wrote: access and error logs of the site and the main error log."""
        return "".join(path.read_text(errors="replace") for path in sorted(self.logs.iterdir()))

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for node in self.nodes:
            node.close()
        if self.redis is not None:
            self.redis.close()
        shutil.rmtree(self.root, ignore_errors=True)
