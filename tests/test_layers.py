"""The layers hold: import-linter's contracts (pyproject.toml, ``[tool.importlinter]``) are kept, and
building the CLI's parser loads no heavy library. No model is loaded."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# a front end: nothing that answers may import it (the contract "answering never reaches a front end")
FRONT_ENDS = ("assistant.cli", "assistant.commands", "assistant.tui", "assistant.news.cli", "assistant.service",
              "assistant.mcp")
HEAVY = ("torch", "transformers", "sentence_transformers", "chromadb", "langchain", "xllamacpp")


def _lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("importlinter", reason="import-linter is in the dev extra")
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert command, "lint-imports not found beside the interpreter"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [command, "--no-cache", "--no-logo", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def _contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def test_import_contracts_are_kept():
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_contract_fails(tmp_path):
    """The check can fail: a contract the code breaks (the chain uses the answer types) is reported."""
    config = tmp_path / "layers.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["assistant", "vectorstore"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "must break"\ntype = "forbidden"\n'
        'source_modules = ["assistant.chain"]\nforbidden_modules = ["assistant.types"]\n',
        encoding="utf-8",
    )
    result = _lint_imports(str(config))
    assert result.returncode != 0 and "must break BROKEN" in result.stdout, result.stdout + result.stderr


def test_every_front_end_is_forbidden_to_the_answering_modules():
    """import-linter refuses to name a module that does not exist, so a new front end (the resident
    service, an MCP server) must be added to the contract when it appears."""
    (answering,) = [c for c in _contracts() if c["name"] == "answering never reaches a front end"]
    for name in FRONT_ENDS:
        path = ROOT.joinpath(*name.split("."))
        if path.is_dir() or path.with_suffix(".py").is_file():
            assert name in answering["forbidden_modules"], f"{name} exists: list it in pyproject.toml"


def test_building_the_parser_loads_no_heavy_library():
    code = (
        "import json, sys\n"
        "import assistant.cli\n"
        "assistant.cli.build_parser()\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0].startswith(heavy))))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
