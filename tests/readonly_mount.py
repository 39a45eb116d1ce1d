"""Make a data directory read-only for a subprocess (shared by the read-only tests)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def read_only_runner(data: Path):
    """Run a command with ``data`` read-only: a read-only bind mount in a private mount namespace when
    running as root (root ignores permissions), else permissions."""
    if os.geteuid() != 0:
        for path in [data, *data.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        return lambda argv: argv
    if not shutil.which("unshare"):
        pytest.skip("root without unshare: cannot make a read-only directory")
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind -o ro '{data}' '{data}'"],
                           capture_output=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip("cannot mount a read-only directory here")
    return lambda argv: ["unshare", "-m", "sh", "-c",
                         f"mount --bind -o ro '{data}' '{data}' && exec \"$@\"", "sh", *argv]
