"""Reading and writing files safely: inputs checked before use, outputs checked before work and written whole.

A file is saved beside its target and renamed over it (os.replace() within one folder is atomic: a reader
sees the old file or the new one, never a mix). A command's output folder is checked before the command
does any work, and its files are written into a hidden staging folder and moved in together at the end,
so a failed command leaves no partial set of files. No error names a temporary file. Every file a user
names is read through `read_input`, which reads no more than a limit: a huge file, or a device that never
ends (/dev/zero), is refused at the cost of the limit, never read whole.
"""

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["write_atomically", "save_json", "read_json", "read_input", "input_file", "OutputFolder", "INPUT_LIMIT"]

# The most read from a file a user names, unless its reader sets its own limit: a model file of 600,000
# parameters (about 51 bytes of JSON each), more than the demos train (their models stop at 500,000).
INPUT_LIMIT = 32 * 2**20


def write_atomically(path: str | os.PathLike, content: bytes | str) -> Path:
    """Write `content` (bytes, or text as UTF-8) to `path` through a temporary file and a rename."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot save to {str(path)!r}: it is a folder; give a file name inside it")
    data = content.encode("utf-8") if isinstance(content, str) else content
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # the bytes reach the disk before the rename makes them the file
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes the file private (0600); give it the usual mode
        os.replace(temporary, path)
    except OSError as error:  # name the file the caller asked for, never the temporary one
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise type(error)(f"cannot write {str(path)!r}: {error.strerror or error}") from None
    except BaseException:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise
    return path


def save_json(path: str | os.PathLike, data: object) -> Path:
    """Write `data` as indented JSON (plain data, never pickle), atomically."""
    return write_atomically(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def input_file(path: str | os.PathLike, what: str) -> Path:
    """`path` as a Path if a file is there; else FileNotFoundError or IsADirectoryError saying `what` was expected."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no file at {str(path)!r} (looked from {str(Path.cwd())!r}); expected {what}")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder, not a file; expected {what}")
    return path


def read_input(path: str | os.PathLike, what: str, limit: int = INPUT_LIMIT) -> bytes:
    """The bytes of the file at `path`, at most `limit` of them: a larger file raises ValueError, unread past limit + 1.

    `what` names the kind of file expected, for the messages (see read_json).
    """
    path = input_file(path, what)
    with path.open("rb") as file:
        data = file.read(limit + 1)  # one byte more than allowed tells a file of `limit` bytes from a larger one
    if len(data) > limit:
        raise ValueError(
            f"{str(path)!r} holds more than {limit / 2**20:g} MB ({limit:,} bytes), the most this program reads as "
            f"{what}; give a smaller file"
        )
    return data


def read_json(path: str | os.PathLike, formats: str | tuple[str, ...], what: str, limit: int = INPUT_LIMIT) -> dict:
    """A JSON object whose "format" field is one of `formats`, read from `path`; anything else raises one clear error.

    `what` names the kind of file and where it comes from, for the messages, e.g. "a micrograd_plus model (a
    model.json written by `micrograd-plus house-prices`)". A missing file raises FileNotFoundError, a folder
    IsADirectoryError; a file over `limit` bytes, not UTF-8, not JSON, not an object, or of another format ValueError.
    """
    content = read_input(path, what, limit)
    formats = (formats,) if isinstance(formats, str) else formats
    where = repr(str(path))
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{where} is not UTF-8 text ({error.reason} at byte {error.start}); expected {what}") from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:  # ValueError: bad JSON, or an integer of over 4,300 digits
        detail = "it is nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise ValueError(f"{where} is not valid JSON ({detail}); expected {what}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{where} is not {what}: it holds a JSON {type(data).__name__}, not an object")
    if "format" not in data:
        raise ValueError(f"{where} is not {what}: it has no 'format' field (expected {formats[0]!r})")
    if not isinstance(data["format"], str) or data["format"] not in formats:
        raise ValueError(f"{where} is not {what}: its format is {data['format']!r:.80}, expected {formats[0]!r}")
    return data


class OutputFolder:
    """The folder a command writes its files into: checked before any work, filled all at once at the end.

    OutputFolder(out, names) checks at once that `out` is a folder, or can be made one, that this process can
    write into it, and that no folder sits where one of the files `names` will go. At the end,

        with output.writing() as staging:
            save_json(staging / "model.json", ...)

    writes into a hidden staging folder inside `out`; when the block ends the files are moved into `out`
    together. If anything fails, nothing is left behind (not even the folders made for it), and the error
    names `out`, never a temporary file. Each of `folders` is a subfolder written whole: at the end it
    replaces the folder of that name, so no file of an earlier run is left in it.
    """

    def __init__(
        self, folder: str | os.PathLike, names: Iterable[str], option: str = "--out", folders: Iterable[str] = ()
    ):
        if not str(folder).strip():  # Path("") is ".": the files would land in the current folder unasked
            raise ValueError(
                f"{option} {str(folder)!r} names no folder; give the name of a folder for the output files "
                "(. for the current folder)"
            )
        self.folder = Path(folder)
        self.names = list(names)
        self.folders = list(folders)
        self.option = option
        self.check()

    def check(self) -> None:
        """Raise a ValueError or OSError, naming the option, unless the files could be written now."""
        where = f"{self.option} {str(self.folder)!r}"
        existing = next(path for path in (self.folder, *self.folder.parents, Path.cwd()) if path.exists())
        if not existing.is_dir():
            inside = "" if existing == self.folder else f" cannot be made: {str(existing)!r}"
            raise ValueError(
                f"{where}{inside} is a file, not a folder; give the name of a folder for the output files "
                "(it is created if missing)"
            )
        taken = [name for name in self.names if (self.folder / name).is_dir()]
        if taken:
            raise ValueError(
                f"{where} holds a folder named {taken[0]!r} where this command writes its file {taken[0]!r}; "
                "move that folder away or choose another output folder"
            )
        taken = [name for name in self.folders if (self.folder / name).exists() and not (self.folder / name).is_dir()]
        if taken:
            raise ValueError(
                f"{where} holds a file named {taken[0]!r} where this command writes its folder {taken[0]!r}; "
                "move that file away or choose another output folder"
            )
        try:
            Path(tempfile.mkdtemp(dir=existing, prefix=".write-check-")).rmdir()
        except OSError as error:
            raise type(error)(
                f"{where}: cannot write into {str(existing)!r} ({error.strerror or error}); "
                "choose a folder you can write to"
            ) from None

    @contextlib.contextmanager
    def writing(self) -> Iterator[Path]:
        """A staging folder to write the output files into; they are moved into the folder when the block ends."""
        self.check()  # again: the folder may have changed while the command worked
        made = [path for path in (self.folder, *self.folder.parents) if not path.exists()]
        staging, done = None, False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=self.folder, prefix=".staging-"))
            yield staging
            unexpected = sorted(p.name for p in staging.iterdir() if p.name not in self.names + self.folders)
            if unexpected:
                raise RuntimeError(f"OutputFolder was not told of the files {unexpected}; add them to its names")
            earlier = staging / ".earlier"  # an earlier run's folders go here, and are removed with the staging
            earlier.mkdir()
            for name in self.folders:
                if (staging / name).is_dir() and (self.folder / name).is_dir():
                    os.replace(self.folder / name, earlier / name)
            try:
                for name in self.folders + self.names:
                    if (staging / name).exists():
                        os.replace(staging / name, self.folder / name)
            except OSError:
                for folder in earlier.iterdir():  # put back what was not replaced yet
                    with contextlib.suppress(OSError):
                        os.rename(folder, self.folder / folder.name)
                raise
            done = True
        except OSError as error:
            reason = (error.strerror or str(error)).replace(str(staging), str(self.folder))
            raise type(error)(
                f"{self.option} {str(self.folder)!r}: could not write the output files ({reason})"
            ) from None
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
            if not done:
                for path in made:  # deepest first: the folders made for this command, if they are still empty
                    with contextlib.suppress(OSError):
                        path.rmdir()


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
