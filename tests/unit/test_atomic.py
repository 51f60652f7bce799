"""The one atomic writer: whole files or none, its own temp name per writer, the mode asked for."""

import os
import stat
import threading

import pytest

from helpers import atomic
from helpers.atomic import write_atomic


def test_writes_the_bytes_with_the_mode_asked_for(tmp_path):
    write_atomic(tmp_path / "key", b"secret\n", 0o600)
    write_atomic(str(tmp_path / "public"), b"hello")  # a str path too; 0o644 by default
    assert (tmp_path / "key").read_bytes() == b"secret\n"
    assert stat.S_IMODE((tmp_path / "key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "public").stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key", "public"]  # no temp left


def test_the_mode_is_set_before_any_byte_is_written(tmp_path, monkeypatch):
    seen = []
    real_fdopen = os.fdopen

    def watching_fdopen(fd, *args, **kwargs):
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(atomic.os, "fdopen", watching_fdopen)
    write_atomic(tmp_path / "key", b"secret", 0o600)
    assert seen == [0o600]


def test_two_writers_at_once_use_their_own_temp_files(tmp_path, monkeypatch):
    # Both writers hold their temp file open at the same moment, then both rename.
    both_open = threading.Barrier(2, timeout=10)
    temp_names = []
    real_fdopen = os.fdopen

    def meeting_fdopen(fd, *args, **kwargs):
        temp_names.append(os.readlink(f"/proc/self/fd/{fd}"))
        both_open.wait()
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(atomic.os, "fdopen", meeting_fdopen)
    target = tmp_path / "manifest.json"
    payloads = [b"A" * 100_000, b"B" * 100_000]
    writers = [threading.Thread(target=write_atomic, args=(target, p)) for p in payloads]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert len(set(temp_names)) == 2, temp_names
    assert all(os.path.dirname(name) == str(tmp_path) for name in temp_names)
    assert target.read_bytes() in payloads  # one whole payload, never a mix
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "state.json"
    write_atomic(target, b"old, whole")

    def failing_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, b"new, but never finished")
    assert target.read_bytes() == b"old, whole"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failed_first_write_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError, match="boom"):
        write_atomic(tmp_path / "new.json", b"data")
    assert list(tmp_path.iterdir()) == []


def test_a_link_at_the_path_is_replaced_not_written_through(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"untouched")
    (tmp_path / "out.csv").symlink_to(victim)
    write_atomic(tmp_path / "out.csv", b"rows")
    assert victim.read_bytes() == b"untouched"
    assert not (tmp_path / "out.csv").is_symlink()
    assert (tmp_path / "out.csv").read_bytes() == b"rows"


def test_the_emulator_and_the_lab_share_the_one_writer():
    from helpers.emulator import state

    assert state.write_atomic is write_atomic
