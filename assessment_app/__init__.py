"""The Streamlit app: `app.py` (the frame) and `app_pages/` (one file per page), installed with the package.

Importing this package loads no Streamlit: `assessment serve` only asks it for the command that starts the
app. Streamlit reads `.streamlit/config.toml` from the folder it is started in, so the app's own options
(`config.toml` beside this file) are passed as flags instead, and the app behaves the same in any folder.
A `.streamlit/secrets.toml` in that folder (single sign-on) is still read.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
APP = HERE / "app.py"
CONFIG = HERE / "config.toml"
WILDCARDS = ("0.0.0.0", "::")  # listen on every interface


def config_flags() -> dict[str, str]:
    """The options of `config.toml` as Streamlit flags: {"--server.runOnSave": "false", ...}."""
    with CONFIG.open("rb") as f:
        config = tomllib.load(f)
    flags = {}
    for section, options in config.items():
        for name, value in options.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            flags[f"--{section}.{name}"] = text
    return flags


def streamlit_command(host: str = "127.0.0.1", port: int = 8501, script: Path = APP) -> list[str]:
    """`python -m streamlit run …/app.py` with the app's options, on `host`:`port`, headless and without
    watching the installed files for changes. Benchmarks pass another `script` to compare like with like."""
    flags = {
        **config_flags(),
        "--server.address": host,
        "--server.port": str(port),
        "--server.headless": "true",
        "--server.fileWatcherType": "none",
    }
    if host in WILDCARDS:
        # Streamlit's welcome message would look this machine's public address up on the internet
        # (checkip.amazonaws.com); `assessment serve` prints the addresses itself.
        flags["--logger.hideWelcomeMessage"] = "true"
    return [sys.executable, "-m", "streamlit", "run", str(script), *(part for flag in flags.items() for part in flag)]
