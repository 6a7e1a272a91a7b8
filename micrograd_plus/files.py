"""Saving files safely: write beside the target, then rename, so a crash never leaves half a file.

os.replace() within one folder is atomic: a reader sees the old file or the new one, never a mix.
"""

import json
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically", "save_json"]


def write_atomically(path: str | os.PathLike, content: bytes | str) -> Path:
    """Write `content` (bytes, or text as UTF-8) to `path` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes the file private (0600); give it the usual mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def save_json(path: str | os.PathLike, data: object) -> Path:
    """Write `data` as indented JSON (plain data, never pickle), atomically."""
    return write_atomically(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def _umask() -> int:
    mask = os.umask(0)  # the only way to read the umask is to set it, so put it straight back
    os.umask(mask)
    return mask
