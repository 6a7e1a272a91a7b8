"""Saving and reading files safely: write beside the target, then rename, so a crash never leaves half a file.

os.replace() within one folder is atomic: a reader sees the old file or the new one, never a mix.
"""

import json
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically", "save_json", "read_json"]


def write_atomically(path: str | os.PathLike, content: bytes | str) -> Path:
    """Write `content` (bytes, or text as UTF-8) to `path` through a temporary file and a rename."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot save to {str(path)!r}: it is a folder; give a file name inside it")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # the bytes reach the disk before the rename makes them the file
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes the file private (0600); give it the usual mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def save_json(path: str | os.PathLike, data: object) -> Path:
    """Write `data` as indented JSON (plain data, never pickle), atomically."""
    return write_atomically(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def read_json(path: str | os.PathLike, expected_format: str, what: str) -> dict:
    """A JSON object whose "format" field is `expected_format`, read from `path`; anything else raises one clear error.

    `what` names the kind of file and where it comes from, for the messages, e.g. "a micrograd_plus house-price
    model (a model.json written by `micrograd-plus house-prices`)". A missing file raises FileNotFoundError; a
    folder, a file that is not UTF-8, not JSON, not an object, or of another format raises ValueError.
    """
    path = Path(path)
    where = repr(str(path))
    if not path.exists():
        raise FileNotFoundError(f"no file at {where}; expected {what}")
    if path.is_dir():
        raise ValueError(f"{where} is a folder, not a file; expected {what}")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{where} is not UTF-8 text ({error.reason} at byte {error.start}); expected {what}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where} is not valid JSON ({error}); expected {what}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{where} is not {what}: it holds a JSON {type(data).__name__}, not an object")
    if "format" not in data:
        raise ValueError(f"{where} is not {what}: it has no 'format' field (expected {expected_format!r})")
    if data["format"] != expected_format:
        raise ValueError(f"{where} is not {what}: its format is {data['format']!r}, expected {expected_format!r}")
    return data


def _umask() -> int:
    """The process's umask, read without changing it where Linux allows (setting it is not thread-safe)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)  # elsewhere the only way to read the umask is to set it, so put it straight back
    os.umask(mask)
    return mask
