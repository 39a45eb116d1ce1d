"""Returning freed heap memory to the OS."""

import platform

from vectorstore.memory import release_freed_memory


def test_release_freed_memory_runs_where_glibc_has_malloc_trim():
    released = release_freed_memory()
    assert released is (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc")
