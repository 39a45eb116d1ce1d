"""The layers hold: import-linter's contracts (pyproject.toml, ``[tool.importlinter]``) are kept, no two
modules import each other (directly or through a chain), and building the CLI's parser loads no heavy
library. No model is loaded."""

from __future__ import annotations

import importlib.util
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
PACKAGES = ("assistant", "vectorstore", "prompts")


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


def _import_circles(*packages: str) -> list[tuple[str, ...]]:
    """Every import circle among the modules of ``packages``, each once, as the modules in import order
    (the first one repeated at the end): module-level imports and imports inside functions count;
    imports under ``if TYPE_CHECKING:`` do not (they are annotations, never run)."""
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (the dev extra)")
    graph = grimp.build_graph(*packages, include_external_packages=False, exclude_type_checking_imports=True,
                              cache_dir=None)
    circles: dict[frozenset[str], tuple[str, ...]] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                circles.setdefault(frozenset(back), (importer, *back))
    return sorted(circles.values())


def test_no_module_imports_itself_through_others():
    """No import circles: a circle (two modules that import each other, or a longer chain back to where it
    started) is what function-level imports hide; a shared name belongs in a module both can import."""
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        assert spec is not None and spec.origin is not None and Path(spec.origin).is_relative_to(ROOT), (
            f"{package} is imported from {spec and spec.origin}, not from {ROOT}: run pytest from the project"
        )
    circles = _import_circles(*PACKAGES)
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(circle) for circle in circles)


def test_an_import_circle_is_found(tmp_path, monkeypatch):
    """The check can fail: a circle through an import inside a function is reported, a TYPE_CHECKING
    import is not."""
    package = tmp_path / "circled"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("from circled import b\n", encoding="utf-8")
    (package / "b.py").write_text("def f():\n    from circled import c\n", encoding="utf-8")
    (package / "c.py").write_text("import circled.a\n", encoding="utf-8")
    (package / "d.py").write_text("import circled.e\n", encoding="utf-8")
    (package / "e.py").write_text(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import circled.d\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _import_circles("circled") == [("circled.a", "circled.b", "circled.c", "circled.a")]
