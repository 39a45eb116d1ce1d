"""Fixtures of the service tests: a data dir holding the sample article, ingested by the real CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest
from served import SAMPLE, env_for


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, embedding_path, gguf_path):
    """(data dir, models dir) with the sample article ingested."""
    data = tmp_path_factory.mktemp("served") / "data"
    models = gguf_path.parent
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "ingest", str(SAMPLE)],
        env=env_for(data, models), capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return data, models
