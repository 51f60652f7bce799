"""The learner's working copy: made once, never overwritten, old copies kept on reset."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from helpers import working_copy as wc


@pytest.fixture
def originals(tmp_path):
    source = tmp_path / "notebooks"
    (source / "de").mkdir(parents=True)
    (source / "00-start.ipynb").write_text('{"lesson": 0}')
    (source / "01-next.ipynb").write_text('{"lesson": 1}')
    (source / "de" / "00-start.ipynb").write_text('{"lektion": 0}')
    (source / ".ipynb_checkpoints").mkdir()
    (source / ".ipynb_checkpoints" / "00-start-checkpoint.ipynb").write_text("{}")
    return source


def test_first_sync_copies_every_lesson_and_edition_but_no_checkpoints(originals, tmp_path):
    copy = tmp_path / "my-notebooks"
    report = wc.sync(originals, copy)
    assert sorted(report.copied) == ["00-start.ipynb", "01-next.ipynb", "de/00-start.ipynb"]
    assert (copy / "de" / "00-start.ipynb").read_text() == '{"lektion": 0}'
    assert not (copy / ".ipynb_checkpoints").exists()
    assert report.line() == "made 3 fresh notebook copies in my-notebooks/"


def test_a_learners_saved_work_is_never_overwritten(originals, tmp_path):
    copy = tmp_path / "my-notebooks"
    wc.sync(originals, copy)
    (copy / "00-start.ipynb").write_text('{"my": "answers"}')
    report = wc.sync(originals, copy)
    assert report.copied == [] and report.outdated == []
    assert report.line() == ""
    assert (copy / "00-start.ipynb").read_text() == '{"my": "answers"}'


def test_a_newer_original_is_reported_in_one_line_and_the_copy_left_alone(originals, tmp_path):
    copy = tmp_path / "my-notebooks"
    wc.sync(originals, copy)
    (copy / "01-next.ipynb").write_text('{"my": "work"}')
    (originals / "01-next.ipynb").write_text('{"lesson": 1, "improved": true}')
    report = wc.sync(originals, copy)
    assert report.outdated == ["01-next.ipynb"]
    line = report.line()
    assert "\n" not in line and "01-next" in line and "make lab-reset" in line
    assert (copy / "01-next.ipynb").read_text() == '{"my": "work"}'


def test_a_lesson_added_upstream_appears_in_the_copy(originals, tmp_path):
    copy = tmp_path / "my-notebooks"
    wc.sync(originals, copy)
    (originals / "02-new.ipynb").write_text('{"lesson": 2}')
    assert wc.sync(originals, copy).copied == ["02-new.ipynb"]


def test_reset_keeps_the_old_copies_aside_and_makes_fresh_ones(originals, tmp_path):
    copy = tmp_path / "my-notebooks"
    wc.sync(originals, copy)
    (copy / "00-start.ipynb").write_text('{"my": "answers"}')
    (copy / "notes.txt").write_text("mine")
    done = wc.reset(originals, copy, now=datetime(2026, 11, 30, 9, 15))
    assert done.kept_in == copy / "previous-copies" / "2026-11-30_091500"
    assert (done.kept_in / "00-start.ipynb").read_text() == '{"my": "answers"}'
    assert (done.kept_in / "notes.txt").read_text() == "mine"
    assert (copy / "00-start.ipynb").read_text() == '{"lesson": 0}'
    assert done.copied == 3
    # A second reset in the same second keeps both generations.
    again = wc.reset(originals, copy, now=datetime(2026, 11, 30, 9, 15))
    assert again.kept_in != done.kept_in and done.kept_in.is_dir()


def test_a_damaged_manifest_is_one_clear_error_and_nothing_is_copied_over(originals, tmp_path):
    copy = tmp_path / "my-notebooks"
    wc.sync(originals, copy)
    (copy / "00-start.ipynb").write_text('{"my": "answers"}')
    (copy / wc.MANIFEST).write_text("{not json")
    with pytest.raises(wc.WorkingCopyError, match="delete that file"):
        wc.sync(originals, copy)
    assert (copy / "00-start.ipynb").read_text() == '{"my": "answers"}'
    (copy / wc.MANIFEST).write_text(json.dumps(["a list"]))
    with pytest.raises(wc.WorkingCopyError, match="not a manifest"):
        wc.sync(originals, copy)


def test_the_real_notebooks_folder_has_the_start_lesson():
    assert wc.START_NOTEBOOK in [p.as_posix() for p in wc.originals()]


def test_cli_prints_one_line_and_exit_code(originals, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(wc, "ORIGINALS", originals)
    monkeypatch.setenv("ACS_LAB_WORKING_COPY", str(tmp_path / "copy"))
    assert wc.main(["sync"]) == 0
    assert capsys.readouterr().out.count("\n") == 1
    assert wc.main(["bogus"]) == 2
