"""Atomic saving: the old file survives a failed write, nothing is left behind, permissions are the usual ones."""

import json
import os
import stat

import pytest

from micrograd_plus.files import save_json, write_atomically


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
