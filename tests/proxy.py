"""The production topology on loopback ports: several app replicas (browser.py's `serve_app`, started
together) behind nginx rendered from deploy/nginx.conf. Used by tests/test_topology.py and
benchmarks/bench_deploy.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from browser import ROOT, free_port, serve_app

NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ROUTE_COOKIE = "aiops_route"


def render_nginx_conf(listen: str, servers: list[str], run_dir: Path) -> str:
    """deploy/nginx.conf with its placeholders filled, as `envsubst` with the three names would."""
    values = {"NGINX_LISTEN": listen, "NGINX_RUN_DIR": str(run_dir),
              "APP_SERVERS": " ".join(f"server {s};" for s in servers)}
    text = re.sub(r"\$\{([A-Z_]+)\}", lambda m: values[m.group(1)], NGINX_TEMPLATE.read_text())
    return text


@dataclass
class Proxy:
    url: str
    run_dir: Path

    def routes(self) -> dict[str, list[str]]:
        """Route cookie → the upstream of each request nginx logged with it, in order (a failover's
        entry lists every replica tried: "127.0.0.1:A, 127.0.0.1:B")."""
        found: dict[str, list[str]] = {}
        log = self.run_dir / "access.log"
        for line in log.read_text().splitlines() if log.exists() else []:
            m = re.search(r'route=(\S+) upstream="([^"]*)"$', line)
            if m and m.group(2) not in ("", "-"):
                found.setdefault(m.group(1), []).append(m.group(2))
        return found


@contextlib.contextmanager
def nginx(servers: list[str], port: int | None = None) -> Iterator[Proxy]:
    """nginx on a loopback port in front of `servers` (HOST:PORT), run in the foreground with its own
    config, pid, logs and temporary files in a scratch folder; stopped after."""
    port = port or free_port()
    # Not pytest's tmp_path: nginx's workers (user nobody when started as root) must reach the folder.
    run_dir = Path(tempfile.mkdtemp(prefix="nginx-"))
    try:
        run_dir.chmod(0o755)
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (run_dir / sub).mkdir(mode=0o777)
            (run_dir / sub).chmod(0o777)
        conf = run_dir / "nginx.conf"
        conf.write_text(render_nginx_conf(f"127.0.0.1:{port}", servers, run_dir))
        out = (run_dir / "nginx.out").open("w")
        proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(run_dir), "-e", str(run_dir / "error.log"),
                                 "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 10
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"nginx exited with {proc.returncode}:\n{(run_dir / 'error.log').read_text()}"
                                       f"{(run_dir / 'nginx.out').read_text()}")
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not listen on {port} within 10 s")
                time.sleep(0.05)
            yield Proxy(f"http://127.0.0.1:{port}", run_dir)
        finally:
            proc.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            out.close()
    finally:
        if os.environ.get("KEEP_NGINX_DIR") != "1":
            shutil.rmtree(run_dir, ignore_errors=True)


@contextlib.contextmanager
def replicas(data_dirs: list[Path], ports: list[int], **env: str | None) -> Iterator[list[str]]:
    """One app server per data folder and port, all started at the same moment (as a deployment's
    replicas are), each through `serve_app`; yields their URLs once all answer /_stcore/health."""
    for d in data_dirs:
        d.mkdir(parents=True, exist_ok=True)
    servers = [serve_app(d, port=p, **env) for d, p in zip(data_dirs, ports, strict=True)]
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(len(servers)) as pool:
        started = [pool.submit(s.__enter__) for s in servers]
        urls, errors = [], []
        for server, future in zip(servers, started, strict=True):
            try:
                urls.append(future.result())
                stack.push(server.__exit__)
            except BaseException as exc:  # noqa: BLE001 - the others are stopped, then it is raised
                errors.append(exc)
        if errors:
            raise errors[0]
        yield urls


def listener_pid(port: int) -> int:
    """The process listening on a loopback TCP port (whatever command serve_app ran)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as f:
            for row in list(f)[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                    inodes.add(fields[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(proc.name)
    raise LookupError(f"no process listens on port {port}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
