"""Benchmark: the deployment. How fast one server starts, and what live participants cost behind the proxy.

1. Start → healthy: `assessment serve` (or, before it existed, `streamlit run` of the app) from its start to
   `/_stcore/health` answering, beside a bare `streamlit hello` started the same way, alternately.
   Goal: `start_ratio` (app ÷ hello, medians) ≤ 1.5. To say where the time goes: `server_s`, the app's
   Streamlit server started directly (`streamlit run` of the packaged app with its options, as `serve`
   execs it); the CPU seconds each process had used when it answered (`*_cpu_s`: user + system, which
   load on the machine inflates less than wall time); and `command_cpu_s`, what `assessment serve` does
   before it hands over: start Python, import the CLI and check the settings (pydantic-settings).
2. The production topology (tests/proxy.py): PostgreSQL (a scratch schema), three replicas started
   together, nginx from deploy/nginx.conf in front. N participants (one Chromium context each, so nginx
   spreads them over the replicas) hold the voting page of a live workshop. Measured: the replicas' CPU
   time over a quiet window, per participant per second; and, for a few new questions put on screen
   (the write the facilitator's "Next question" makes), the time until every participant's page shows it.
   Goal: `propagation_p95_s` ≤ 2.

    python benchmarks/bench_deploy.py [--quick] [--participants N] [--repeat N]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser import DATA, free_port  # noqa: E402
from harness import postgres_url  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from proxy import ROUTE_COOKIE, cpu_seconds, listener_pid, nginx, replicas  # noqa: E402

from assessment.content import load_questionnaire  # noqa: E402
from assessment.storage import Store  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync",
                 "--no-first-run", "--disable-component-update",
                 # a phone in the room has the page in front of it: no timer throttling for hidden pages
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]
# In each page: note the moment the given text first appears (checked every 20 ms, without layout).
WATCH = """text => { window.__seen = null; const t = setInterval(() => {
    if (document.body.textContent.includes(text)) { window.__seen = Date.now(); clearInterval(t); } }, 20); }"""


@functools.cache
def has_serve() -> bool:
    return subprocess.run([sys.executable, "-m", "assessment", "serve", "--help"], cwd=ROOT,
                          capture_output=True).returncode == 0


def app_command(port: int) -> list[str]:
    """`assessment serve` when the package has it, else `streamlit run` of the app in the checkout."""
    if has_serve():
        return [sys.executable, "-m", "assessment", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
            "--server.headless", "true"]


def hello_command(port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "hello", "--server.port", str(port), "--server.address",
            "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]


def server_command(port: int) -> list[str]:
    from assessment_app import streamlit_command

    return streamlit_command("127.0.0.1", port)


def cpu_of(pid: int) -> float:
    """User + system CPU seconds a live process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_seconds(command: Callable[[int], list[str]]) -> tuple[float, float]:
    """Seconds from starting the server to /_stcore/health answering "ok", and the CPU seconds the process
    had used by then (one process: `serve` execs Streamlit); the server is stopped after."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ASSESSMENT_DATA_DIR": tmp}
        env.pop("DATABASE_URL", None)
        t0 = time.perf_counter()
        proc = subprocess.Popen(command(port), cwd=tmp, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"{command.__name__} exited with {proc.returncode}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                        if r.read() == b"ok":
                            return time.perf_counter() - t0, cpu_of(proc.pid)
                except OSError:
                    pass
                if time.perf_counter() - t0 > 60:
                    raise RuntimeError(f"{command.__name__} did not answer within 60 s")
                time.sleep(0.02)
        finally:
            proc.kill()  # only its start was measured: no need to wait for a graceful stop
            proc.wait(timeout=10)


def command_cpu_seconds() -> float:
    """CPU seconds of what `assessment serve` does before it execs Streamlit: Python, the CLI, the check."""
    t0 = os.times()
    subprocess.run([sys.executable, "-c", "import assessment.cli, assessment.settings as s; s.check()"],
                   cwd=ROOT, check=True)
    t1 = os.times()
    return (t1.children_user - t0.children_user) + (t1.children_system - t0.children_system)


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[int(0.95 * (len(xs) - 1))]


def topology(participants: int, window: float, rounds: int) -> dict[str, object]:
    mini = load_questionnaire(DATA / "mini.yaml")
    questions = mini.questions[: rounds + 1]
    ports = [free_port() for _ in range(3)]
    upstreams = [f"127.0.0.1:{p}" for p in ports]
    with postgres_url() as url, tempfile.TemporaryDirectory() as tmp:
        env = {"DATABASE_URL": url, "QUESTIONNAIRE_PATH": str(DATA), "ASSESSMENT_TRUSTED_PROXIES": "127.0.0.1"}
        dirs = [Path(tmp) / f"replica-{i}" for i in range(3)]
        t0 = time.perf_counter()
        with nginx(upstreams) as proxy, replicas(dirs, ports, **env), sync_playwright() as pw:
            replicas_healthy_s = time.perf_counter() - t0
            store = Store.open(url)
            aid = store.create_assessment("Bench workshop", "Platform", mini)
            ws = store.open_workshop(aid)
            store.set_current_question(ws.id, questions[0].id)
            tokens = [store.join(ws.code, f"participant {i}", client_key=f"ip:bench-{i}")
                      for i in range(participants)]
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            pages = []
            t0 = time.perf_counter()
            for token in tokens:  # each participant its own context, so nginx routes each on its own
                page = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
                page.goto(f"{proxy.url}/?join={ws.code}&p={token}", wait_until="commit", timeout=120_000)
                pages.append(page)
            for i, page in enumerate(pages):
                page.get_by_text(questions[0].text).wait_for(timeout=180_000)
                if i == 0:
                    first_on_screen_s = time.perf_counter() - t0
            all_on_screen_s = time.perf_counter() - t0
            spread: dict[str, int] = {u: 0 for u in upstreams}
            routes = proxy.routes()
            for page in pages:
                key = next(c["value"] for c in page.context.cookies() if c["name"] == ROUTE_COOKIE)
                spread[routes[key][0].split(", ")[-1]] += 1

            # CPU: every participant's page re-reads the workshop each second (its fragment)
            pids = [listener_pid(p) for p in ports]
            time.sleep(2)  # the pages settle after loading
            cpu0, w0 = sum(cpu_seconds(p) for p in pids), time.perf_counter()
            time.sleep(window)
            cpu = sum(cpu_seconds(p) for p in pids) - cpu0
            seconds = time.perf_counter() - w0

            # Propagation: a new question on screen, until every page shows it
            delays: list[float] = []
            for question in questions[1:]:
                for page in pages:
                    page.evaluate(WATCH, question.text)
                time.sleep(0.5)
                store.set_current_question(ws.id, question.id)
                put = time.time()
                deadline = time.monotonic() + 60
                seen: list[float | None] = [None] * len(pages)
                while None in seen and time.monotonic() < deadline:
                    for i, page in enumerate(pages):
                        if seen[i] is None:
                            seen[i] = page.evaluate("window.__seen")
                    time.sleep(0.2)
                delays += [(s / 1000 - put) if s is not None else float("inf") for s in seen]
            browser.close()
            store.engine.dispose()
    shown = [d for d in delays if d != float("inf")]
    return {
        "participants": participants, "replicas": 3, "by_replica": sorted(spread.values()),
        "replicas_healthy_s": round(replicas_healthy_s, 2), "first_on_screen_s": round(first_on_screen_s, 2),
        "all_on_screen_s": round(all_on_screen_s, 2),
        "window_s": round(seconds, 1), "cpu_s": round(cpu, 2), "cpu_cores": round(cpu / seconds, 3),
        "cpu_ms_per_participant_s": round(1000 * cpu / seconds / participants, 2),
        # a page that never showed the question (within 60 s) counts as missed, and fails the goal
        "rounds": rounds, "propagation_p50_s": round(statistics.median(shown), 2) if shown else None,
        "propagation_p95_s": round(p95(shown), 2) if shown else None,
        "propagation_max_s": round(max(shown), 2) if shown else None, "missed": len(delays) - len(shown),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="12 participants, shorter windows (under a minute)")
    parser.add_argument("--participants", type=int, default=None, help="live participants (default 60, quick 12)")
    parser.add_argument("--repeat", type=int, default=None, help="starts of each server (default 5, quick 2)")
    args = parser.parse_args()
    participants = args.participants or (12 if args.quick else 60)
    repeat = args.repeat or (2 if args.quick else 5)

    runs: dict[str, list[tuple[float, float]]] = {"app": [], "server": [], "hello": []}
    commands = {"app": app_command, "server": server_command, "hello": hello_command}
    command_cpu = []
    for _ in range(repeat):  # alternately, so that load on the machine hits all alike
        for name, command in commands.items():
            runs[name].append(start_seconds(command))
        command_cpu.append(command_cpu_seconds())
    wall = {name: statistics.median(w for w, _ in r) for name, r in runs.items()}
    cpu = {name: statistics.median(c for _, c in r) for name, r in runs.items()}
    start = {"app_s": round(wall["app"], 2), "server_s": round(wall["server"], 2), "hello_s": round(wall["hello"], 2),
             "start_ratio": round(wall["app"] / wall["hello"], 2),
             "app_cpu_s": round(cpu["app"], 2), "server_cpu_s": round(cpu["server"], 2),
             "hello_cpu_s": round(cpu["hello"], 2), "command_cpu_s": round(statistics.median(command_cpu), 2)}
    print(f"start: {json.dumps(start)}", file=sys.stderr)

    out: dict[str, object] = {"benchmark": "deploy", **start}
    try:
        live = topology(participants, window=5 if args.quick else 20, rounds=2 if args.quick else 5)
    except Exception as exc:  # e.g. PostgreSQL or nginx missing: say so, keep the start figures
        live = {"error": f"{type(exc).__name__}: {exc}"}
    print(f"topology: {json.dumps(live)}", file=sys.stderr)
    out.update(live)
    out["goal_met"] = bool(start["start_ratio"] <= 1.5 and (live.get("propagation_p95_s") or 1e9) <= 2
                           and not live.get("missed"))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
