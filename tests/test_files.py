"""Atomic saving: the old file survives a failed write, nothing is left behind, permissions are the usual ones."""

import json
import os
import stat
from pathlib import Path

import pytest

from micrograd_plus.files import OutputFolder, _umask, read_input, read_json, save_json, write_atomically


def test_write_atomically_writes_text_and_bytes(tmp_path):
    assert write_atomically(tmp_path / "a.txt", "héllo").read_text(encoding="utf-8") == "héllo"
    assert write_atomically(tmp_path / "sub" / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"


def test_saved_files_get_the_usual_permissions_not_mkstemps_private_ones(tmp_path):
    mask = os.umask(0o022)
    try:
        path = write_atomically(tmp_path / "graph.svg", "<svg/>")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = save_json(tmp_path / "model.json", {"version": 1})

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save_json(path, {"version": 2})
    assert json.loads(path.read_text()) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_save_json_refuses_what_json_cannot_hold(tmp_path):
    with pytest.raises(TypeError):
        save_json(tmp_path / "model.json", {"model": object()})
    assert not (tmp_path / "model.json").exists()


def test_saving_onto_a_folder_names_the_folder_not_a_temporary_file(tmp_path):
    (tmp_path / "model.json").mkdir()
    with pytest.raises(IsADirectoryError, match="model.json.*is a folder") as caught:
        write_atomically(tmp_path / "model.json", "{}")
    assert ".tmp" not in str(caught.value)
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_write_atomically_syncs_the_temporary_file_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    write_atomically(tmp_path / "a.txt", "x")
    assert events == ["fsync", "replace"]


def test_umask_is_read_without_setting_it_where_proc_allows(monkeypatch):
    mask = os.umask(0o027)
    try:
        if os.path.exists("/proc/self/status"):
            monkeypatch.setattr(os, "umask", lambda *args: pytest.fail("_umask set the umask"))
        assert _umask() == 0o027
    finally:
        monkeypatch.undo()
        os.umask(mask)


FORMAT = "micrograd_plus.test_thing"
WHAT = "a test thing (made by the tests)"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\xff\xfe not utf-8", "is not UTF-8 text"),
        (b"{not json", "is not valid JSON"),
        (b"[1, 2]", "is not a test thing .*: it holds a JSON list, not an object"),
        (b'{"version": 1}', "is not a test thing .*: it has no 'format' field"),
        (b'{"format": "something.else"}', "its format is 'something.else', expected 'micrograd_plus.test_thing'"),
    ],
)
def test_read_json_gives_one_clear_error_for_each_kind_of_bad_file(tmp_path, content, message):
    path = tmp_path / "thing.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as caught:
        read_json(path, FORMAT, WHAT)
    assert "thing.json" in str(caught.value) and WHAT in str(caught.value)


def test_read_json_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at .*missing.json.*expected a test thing"):
        read_json(tmp_path / "missing.json", FORMAT, WHAT)
    with pytest.raises(IsADirectoryError, match="is a folder, not a file; expected a test thing"):
        read_json(tmp_path, FORMAT, WHAT)


def test_read_json_returns_the_object_it_read(tmp_path):
    path = save_json(tmp_path / "thing.json", {"format": FORMAT, "version": 1, "weights": [1.5]})
    assert read_json(path, FORMAT, WHAT) == {"format": FORMAT, "version": 1, "weights": [1.5]}


def test_a_folder_that_refuses_the_temporary_file_is_named_not_the_temporary_file(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, dir=None, prefix="", suffix=""):
        raise PermissionError(13, "Permission denied", f"{dir}/{prefix}abcd{suffix}")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError) as caught:
        write_atomically(tmp_path / "graph.svg", "<svg/>")
    assert str(caught.value) == f"cannot write '{tmp_path / 'graph.svg'}': Permission denied"


# ---- OutputFolder: checked before any work, written whole -----------------------------------------------------


def test_output_folder_moves_every_file_in_at_the_end_and_leaves_nothing_else(tmp_path):
    output = OutputFolder(tmp_path / "new" / "out", ["a.txt", "b.json"])
    assert not (tmp_path / "new").exists()  # checking writes nothing
    with output.writing() as staging:
        write_atomically(staging / "a.txt", "A")
        save_json(staging / "b.json", {"b": 1})
        assert not (tmp_path / "new" / "out" / "a.txt").exists()  # not before the end
    assert sorted(p.name for p in (tmp_path / "new" / "out").iterdir()) == ["a.txt", "b.json"]  # no staging left
    assert (tmp_path / "new" / "out" / "a.txt").read_text() == "A"


def test_a_failure_while_writing_leaves_the_folder_as_it_was_and_names_the_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.txt").write_text("old")
    output = OutputFolder(tmp_path / "out", ["a.txt", "b.txt"])
    with pytest.raises(OSError) as caught, output.writing() as staging:
        write_atomically(staging / "a.txt", "new")
        raise OSError(28, "No space left on device", str(staging / ".b.txt.xyz.tmp"))
    assert (
        str(caught.value) == f"--out '{tmp_path / 'out'}': could not write the output files (No space left on device)"
    )
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.txt"] and (
        tmp_path / "out" / "a.txt"
    ).read_text() == "old"
    made = OutputFolder(tmp_path / "made" / "deeper", ["a.txt"])
    with pytest.raises(ValueError, match="the demo's own error"), made.writing():
        raise ValueError("the demo's own error")  # any error: the folders made for the files are removed too
    assert not (tmp_path / "made").exists()


def test_output_folder_names_the_option_and_refuses_bad_folders_at_once(tmp_path):
    (tmp_path / "afile").touch()
    with pytest.raises(ValueError, match=r"^OUT '.*afile' is a file, not a folder"):
        OutputFolder(tmp_path / "afile", [], "OUT")
    with pytest.raises(ValueError, match=r"^--out '.*afile/x/y' cannot be made: '.*afile' is a file, not a folder"):
        OutputFolder(tmp_path / "afile" / "x" / "y", [])
    (tmp_path / "out" / "report.txt").mkdir(parents=True)
    with pytest.raises(ValueError, match="holds a folder named 'report.txt' where this command writes its file"):
        OutputFolder(tmp_path / "out", ["model.json", "report.txt"])


def test_output_folder_says_which_file_it_was_not_told_of(tmp_path):
    with (
        pytest.raises(RuntimeError, match=r"not told of the files \['c.txt'\]"),
        OutputFolder(tmp_path, ["a"]).writing() as staging,
    ):
        (staging / "c.txt").write_text("?")
    assert list(tmp_path.iterdir()) == []


def test_an_output_subfolder_is_replaced_whole_so_no_earlier_file_stays(tmp_path):
    (tmp_path / "feedback").mkdir()
    (tmp_path / "feedback" / "left the class.txt").write_text("old")
    output = OutputFolder(tmp_path, ["grades.csv"], folders=["feedback"])
    with output.writing() as staging:
        write_atomically(staging / "grades.csv", "new")
        write_atomically(staging / "feedback" / "alice.txt", "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feedback", "grades.csv"]
    assert [p.name for p in (tmp_path / "feedback").iterdir()] == ["alice.txt"]
    (tmp_path / "report").write_text("a file where the folder goes")
    with pytest.raises(ValueError, match="holds a file named 'report' where this command writes its folder"):
        OutputFolder(tmp_path, [], folders=["report"])


def test_read_input_refuses_a_file_over_its_limit_having_read_one_byte_more_at_most(tmp_path, monkeypatch):
    path = tmp_path / "houses.csv"
    path.write_bytes(b"x" * 1000)
    assert read_input(path, "a CSV file", limit=1000) == b"x" * 1000
    path.write_bytes(b"x" * 1001)
    with pytest.raises(ValueError, match=r"houses.csv' holds more than .* MB \(1,000 bytes\), the most this program"):
        read_input(path, "a CSV file", limit=1000)
    if Path("/dev/zero").exists():  # a device that never ends costs the limit, not all the memory there is
        with pytest.raises(
            ValueError, match=r"^'/dev/zero' holds more than 0.5 MB .* as a model; give a smaller file$"
        ):
            read_json("/dev/zero", FORMAT, "a model", limit=2**19)
