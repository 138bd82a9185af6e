"""Content on disk: the built-in `assessment/questionnaires/` folder and the team's folders named by QUESTIONNAIRE_PATH.

The one module that reads content files and the environment; `questionnaire`, `scope` and
`crosswalk` only parse the text it hands them. `load_catalogue` is the one loop that loads every
questionnaire file: the CLI's `validate`, `load_all` and the app's catalogue all go through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from assessment.questionnaire import (
    LevelNames,
    Questionnaire,
    QuestionnaireError,
    SchemaError,
    parse_level_names,
    parse_questionnaire,
)
from assessment.scope import Objectives, parse_objectives

if TYPE_CHECKING:
    from assessment.compare import IdMap
    from assessment.crosswalk import Framework

DEFAULT_FOLDER = Path(__file__).resolve().parent / "questionnaires"  # package data: travels with the wheel


def display_path(path: Path) -> str:
    """Path as the user would type it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def file_kind(path: Path) -> str:
    """'questionnaire' unless the file declares another `kind:` (levels, objectives, framework)."""
    match = re.search(r"^kind:\s*([\w-]+)", path.read_text(encoding="utf-8", errors="replace"), re.M)
    return match.group(1) if match else "questionnaire"


def questionnaire_folders() -> list[Path]:
    """The built-in folder, plus the team's own folder named by QUESTIONNAIRE_PATH."""
    from assessment.settings import settings

    return [DEFAULT_FOLDER, *settings().questionnaire_path]


def questionnaire_files(paths: Iterable[str | Path] | None = None) -> list[Path]:
    """YAML questionnaire files under the given files or folders (default: all folders)."""
    files: list[Path] = []
    for p in map(Path, paths or questionnaire_folders()):
        if p.is_dir():
            files += [f for f in sorted(p.glob("*.y*ml")) if file_kind(f) == "questionnaire"]
        else:
            files.append(p)
    return files


def load_questionnaire(path: str | Path) -> Questionnaire:
    """One questionnaire file; a missing or non-UTF-8 file is a QuestionnaireError like any other."""
    path = Path(path)
    name = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestionnaireError([SchemaError(name, None, "", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise QuestionnaireError([SchemaError(name, None, "", f"not UTF-8 text ({exc.reason})")]) from None
    return parse_questionnaire(text, name)


@dataclass(frozen=True)
class Catalogue:
    """What the questionnaire files hold: the files found, the questionnaires that loaded (in file
    order) and every problem of the files that did not."""

    files: list[Path]
    questionnaires: list[Questionnaire]
    errors: list[SchemaError]

    def ordered(self) -> list[Questionnaire]:
        """The questionnaires as offered: by `order` (MLOps 1, LLMOps 2, AIOps 3), then by id."""
        return sorted(self.questionnaires, key=lambda q: (q.order, q.id))


def load_catalogue(paths: Iterable[str | Path] | None = None) -> Catalogue:
    """Load file by file (default: all folders), so a broken file is reported without hiding the others."""
    files = questionnaire_files(paths)
    found: list[Questionnaire] = []
    errors: list[SchemaError] = []
    for f in files:
        try:
            found.append(load_questionnaire(f))
        except QuestionnaireError as exc:
            errors += exc.errors
    return Catalogue(files, found, errors)


def load_all(paths: Iterable[str | Path] | None = None) -> list[Questionnaire]:
    """Every questionnaire, in order; when any file fails, raise with every file's errors."""
    loaded = load_catalogue(paths)
    if loaded.errors:
        raise QuestionnaireError(loaded.errors)
    return loaded.ordered()


def _read(path: Path) -> tuple[str, str]:
    """A content file's text and the name its errors are reported under."""
    return path.read_text(encoding="utf-8"), display_path(path)


@cache
def level_names(path: Path | None = None) -> LevelNames:
    """The names of levels 0–4 (assessment/questionnaires/levels.yaml)."""
    return parse_level_names(*_read(path or DEFAULT_FOLDER / "levels.yaml"))


@cache
def objectives(path: Path | None = None) -> Objectives:
    """The business objectives table (assessment/questionnaires/objectives.yaml)."""
    return parse_objectives(*_read(path or DEFAULT_FOLDER / "objectives.yaml"))


@cache
def nist_ai_rmf(path: Path | None = None) -> Framework:
    """The NIST AI RMF's functions, categories and subcategory counts (assessment/questionnaires/nist-ai-rmf.yaml)."""
    from assessment.crosswalk import parse_framework  # it brings pandas, which the CLI starts without

    return parse_framework(*_read(path or DEFAULT_FOLDER / "nist-ai-rmf.yaml"))


@cache
def id_maps(folder: Path | None = None) -> list[IdMap]:
    """How question ids changed between built-in questionnaire versions (assessment/questionnaires/id-map-*.yaml)."""
    from assessment.compare import parse_id_map  # it brings pandas, which the CLI starts without

    return [parse_id_map(*_read(p)) for p in sorted((folder or DEFAULT_FOLDER).glob("id-map-*.yaml"))]
