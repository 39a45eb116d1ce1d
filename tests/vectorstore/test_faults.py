"""The one classification of storage faults."""

import errno

from vectorstore.faults import storage_fault
from vectorstore.store import write_failure


def test_by_errno_and_by_words():
    assert storage_fault(OSError(errno.ENOSPC, "x")) == "full"
    assert storage_fault(OSError(errno.EDQUOT, "x")) == "full"
    assert storage_fault(OSError(errno.EROFS, "x")) == "readonly"
    assert storage_fault(OSError(errno.EFBIG, "x")) == "too_large"
    assert storage_fault(RuntimeError("database or disk is full")) == "full"
    assert storage_fault(RuntimeError("attempt to write a readonly database")) == "readonly"
    assert storage_fault(RuntimeError("boom"), "Permission denied (os error 13)") == "readonly"
    assert storage_fault(RuntimeError("boom")) is None
    assert storage_fault(None, "") is None


def test_write_failure_names_the_cause(tmp_path):
    assert "the data directory is read-only" in write_failure(OSError(errno.EROFS, "ro"), tmp_path)
    assert "a file size limit was reached" in write_failure(OSError(errno.EFBIG, "big"), tmp_path)
    assert "the disk is full" in write_failure(RuntimeError("database or disk is full"), None)
    assert "the write failed" in write_failure(RuntimeError("boom"), None)
