"""Two processes at once: a second writer waits for the lock or gets a one-line message; readers never
miss an article, see one with passages missing or mix two versions of it, and two ingests at once
both land whole."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.cli import main
from vectorstore.writelock import write_lock

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", [["ingest", "SAMPLE"], ["remove", "x.txt"]])
def test_second_writer_gets_a_one_line_message(tmp_path, monkeypatch, capsys, sample_path, command):
    data = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data))
    monkeypatch.setenv("ASSISTANT_LOCK_TIMEOUT", "0.3")
    argv = [str(sample_path) if a == "SAMPLE" else a for a in command]
    with write_lock(data / "store", 1):  # another ingest holds it
        code = main(argv)
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == f"assistant: error: another ingest is running on {data} (waited 0.3s); " + (
        "try again when it has finished"
    )


def test_lock_is_released_after_a_failed_write(tmp_path):
    with pytest.raises(RuntimeError), write_lock(tmp_path, 1):
        raise RuntimeError("write failed")
    with write_lock(tmp_path, 0):
        pass


@pytest.mark.e2e
def test_readers_see_whole_articles_while_two_ingests_run(embedding_path, tmp_path, crash_trials):
    """Two ``assistant ingest`` processes on one data dir (the second waits for the first) while this
    process keeps reading the stores: every read sees each article whole, of one version (before or after
    its replacement), and both corpora land."""
    trials = crash_trials
    data = tmp_path / "data"
    env = trials._env(data, embedding_path.parent)
    env["ASSISTANT_LOCK_TIMEOUT"] = "120"
    first, second = tmp_path / "first", tmp_path / "second"
    trials.write_corpus(first, 1)
    code, _ = trials.run_ingest(first, env, None)
    assert code == 0
    before = set(trials.inspect(data)["articles"])
    want = trials.expected_articles(first)  # version 2 of the first corpus replaces and adds articles
    trials.write_corpus(second, 1, articles=6, seed=5)
    from vectorstore.loaders import iter_articles

    want.update({a.article_id: a for a in iter_articles([second])})
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "assistant", "ingest", str(p)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for p in (first, second)
    ]
    reads, problems, mixed = 0, [], 0
    deadline = time.monotonic() + 240
    while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
        # read as `sources` and retrieval do: the committed version of each article (see vectorstore.versions)
        state = trials.inspect(data, retrieve=True)
        problems += state["errors"]
        # never missing, never a passage short or extra
        problems += [
            f"{aid}: {a['passages']}/{a['n_chunks']}"
            for aid, a in state["articles"].items()
            if a["passages"] != a["n_chunks"]
        ]
        problems += [f"{aid} missing during the ingest" for aid in before - set(state["articles"])]
        # never some passages of the old version and some of the new, in the manifest or in retrieval
        mixed += any(len(a["versions"]) > 1 for a in state["articles"].values()) or any(
            len(hashes) > 1 for hashes in state["retrieved"].values()
        )
        reads += 1
    print(f"{reads} reads, {mixed} saw an article mid-replacement")
    errors = [p.stderr.read().decode() for p in procs]
    assert [p.wait() for p in procs] == [0, 0], errors
    assert reads >= 3 and problems == [] and mixed == 0
    assert trials.final_check(trials.inspect(data), want) == []
