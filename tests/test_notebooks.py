"""The notebooks: committed without outputs, free of library code, and each one runs top to bottom.

Each notebook runs in a fresh python3 kernel (this interpreter: jupyter_client starts the kernel with
sys.executable) with its working directory in tmp_path, so files it saves never land in the repo.
Every drawing an executed lesson shows must fit JupyterLab's output area or scale down to it.
Solution notebooks must pass every check(); the student copies the CLI writes must run with every
check() reporting "not attempted" instead of crashing.
"""

import ast
import base64
import re
import struct
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from micrograd_plus.exercises.student_copies import write_student_copies

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "exercises" / "solutions").glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds per cell: a hang fails the test instead of stalling CI
VERDICT = re.compile(r"^\S+ (\w+): (passed|failed|not attempted|error)\.", re.MULTILINE)

# How wide a drawing can be and still show whole. Measured in JupyterLab 4.6 in Chromium, window 1400 px wide,
# the default left sidebar (the file browser) open: a cell's output area (.jp-OutputArea-output) is 953 px.
OUTPUT_AREA_PX = 953
# JupyterLab wraps printed text at 120 characters in that area (13 px monospace), even in the middle of a word.
OUTPUT_COLUMNS = 120
# JupyterLab shows the first of these a display bundle holds (its renderers' ranks, in a trusted notebook).
LAB_ORDER = ("text/html", "text/markdown", "text/latex", "image/svg+xml", "image/png", "image/jpeg", "text/plain")
PIXELS_PER_UNIT = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4}
LENGTH = re.compile(r"^\s*([0-9.]+)\s*(px|pt|pc|in|cm|mm|%)?\s*$")
TAG = re.compile(r"<(svg|img)\b([^>]*)>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'([\w:-]+)\s*=\s*("[^"]*"|\'[^\']*\')')
FIXED_WIDTH = re.compile(r"(?<![\w-])(min-width|width)\s*:\s*([0-9.]+)px", re.IGNORECASE)


def execute(path: Path, workdir: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell raises
    return notebook


def output_text(notebook: nbformat.NotebookNode) -> str:
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                texts.append(output.data.get("text/plain", ""))
    return "\n".join(texts)


def verdicts(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return VERDICT.findall(output_text(notebook))


def pixels(length: str | None) -> float | None:
    """A CSS/SVG length in px; None when it is relative (a percentage) or missing: the picture fits its box."""
    match = LENGTH.match(length or "")
    if not match or match.group(2) == "%":
        return None
    return float(match.group(1)) * PIXELS_PER_UNIT[match.group(2) or ""]


def attributes(tag_text: str) -> dict[str, str]:
    return {name.lower(): value[1:-1] for name, value in ATTRIBUTE.findall(tag_text)}


def png_width(data: str) -> int:
    return struct.unpack(">I", base64.b64decode(data[:64])[16:20])[0]  # the IHDR chunk's width


def too_wide(output: nbformat.NotebookNode, area: float = OUTPUT_AREA_PX) -> list[str]:
    """What in one output would not show whole in JupyterLab's output area (an empty list if all fits).

    JupyterLab's rules: an image/svg+xml output becomes an <img> of the SVG with no max-width, so it keeps the
    SVG's own width unless that is relative; PNGs and the <svg>/<img> inside HTML get max-width: 100% (they
    scale) unless marked unconfined; an HTML element with a fixed width in px does not scale.
    """
    data = output.get("data", {})
    shown = next((mime for mime in LAB_ORDER if mime in data), None)
    metadata = output.get("metadata", {}).get(shown, {})
    unconfined = isinstance(metadata, dict) and metadata.get("unconfined", False)
    problems = []
    if shown == "image/svg+xml":
        svg = TAG.search(data[shown])
        width = pixels(attributes(svg.group(2)).get("width")) if svg else None
        if width is not None and width > area:
            problems.append(f"an SVG {width:.0f} px wide that does not scale")
    elif shown in ("image/png", "image/jpeg") and unconfined:
        width = metadata.get("width") or (png_width(data[shown]) if shown == "image/png" else 0)
        if width > area:
            problems.append(f"an unconfined {shown} {width} px wide")
    elif shown == "text/html":
        html = data[shown]
        for kind, tag_text in TAG.findall(html):
            tag = attributes(tag_text)
            style = tag.get("style", "").replace(" ", "").lower()
            if "jp-mod-unconfined" in tag.get("class", "") or "max-width:none" in style:
                width = pixels(tag.get("width")) or 0.0
                if width > area:
                    problems.append(f"an unconfined <{kind}> {width:.0f} px wide")
        for _, width in FIXED_WIDTH.findall(html):
            if float(width) > area:
                problems.append(f"an HTML element fixed at {float(width):.0f} px")
    return problems


def drawings_too_wide(notebook: nbformat.NotebookNode) -> list[str]:
    return [
        f"cell {index}: {problem}"
        for index, cell in enumerate(notebook.cells)
        for output in cell.get("outputs", [])
        for problem in too_wide(output)
    ]


def lines_too_long(notebook: nbformat.NotebookNode) -> list[str]:
    """Printed lines (and plain-text results) JupyterLab would wrap, perhaps mid-word."""
    long = []
    for index, cell in enumerate(notebook.cells):
        texts = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                texts.append(output.text)  # a line may arrive in several pieces: join them first
            elif next((mime for mime in LAB_ORDER if mime in output.get("data", {})), None) == "text/plain":
                texts.append("\n" + output.data["text/plain"] + "\n")
        lines = "".join(texts).splitlines()
        long += [f"cell {index}: {line[:60]}..." for line in lines if len(line) > OUTPUT_COLUMNS]
    return long


def names(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(NOTEBOOKS)) for path in paths]


def test_the_course_has_its_lessons_and_exercises():
    assert len(LESSONS) >= 4
    assert len(SOLUTIONS) >= 4
    assert [path.name[:2] for path in LESSONS] == [f"{i:02d}" for i in range(1, len(LESSONS) + 1)]


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=names(LESSONS + SOLUTIONS))
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} has outputs: clear them before committing"
            assert cell.execution_count is None, f"cell {index} has an execution count: clear outputs"


def code_of(cell: nbformat.NotebookNode) -> str:
    # IPython magics (%matplotlib inline) are not Python: leave them out of the parse
    return "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))


@pytest.mark.parametrize("path", LESSONS, ids=names(LESSONS))
def test_lesson_defines_no_library_code(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(code_of(cell))):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)), (
                f"cell {index} defines {node.name}: reusable code belongs in the micrograd_plus package"
            )
    assert "from micrograd_plus" in "".join(cell.source for cell in notebook.cells), "a lesson uses the package"


LINK = re.compile(r"\]\(([^)\s]+)\)")  # a markdown link's target: [text](target)


@pytest.mark.parametrize("path", LESSONS + [NOTEBOOKS / "README.md"], ids=names(LESSONS) + ["README.md"])
def test_links_to_notebooks_and_files_lead_somewhere(path):
    if path.suffix == ".ipynb":
        cells = nbformat.read(path, as_version=4).cells
        text = "\n".join(cell.source for cell in cells if cell.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    local = [target for target in LINK.findall(text) if "://" not in target and not target.startswith("#")]
    missing = [target for target in local if not (path.parent / target.split("#")[0]).exists()]
    assert missing == [], f"{path.name} links to files that do not exist"


@pytest.mark.parametrize("path", LESSONS, ids=names(LESSONS))
def test_lesson_runs_top_to_bottom_and_every_drawing_shows_whole(path, tmp_path):
    notebook = execute(path, tmp_path)
    assert any(cell.get("outputs") for cell in notebook.cells)
    assert lines_too_long(notebook) == [], f"printed lines longer than {OUTPUT_COLUMNS} characters wrap"
    assert drawings_too_wide(notebook) == [], f"wider than JupyterLab's {OUTPUT_AREA_PX} px output area"


def test_lesson_2_runs_without_pytorch(tmp_path, monkeypatch):
    # A package named torch that cannot be imported, first on the kernel's path, hides the real one.
    hidden = tmp_path / "hide_torch" / "torch"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text('raise ImportError("PyTorch is hidden for this test")\n', encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(hidden.parent))
    lesson = next(path for path in LESSONS if path.name.startswith("02_"))
    text = output_text(execute(lesson, tmp_path))
    assert "PyTorch is not installed" in text


def svg(width: str) -> str:
    return f'<svg width="{width}" height="100pt" viewBox="0 0 942 100" xmlns="http://www.w3.org/2000/svg"></svg>'


def png(width: int) -> str:
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", width, 50)
    return base64.b64encode(header + bytes(40)).decode()


@pytest.mark.parametrize(
    "data, metadata, wide",
    [
        ({"image/svg+xml": svg("942pt"), "text/plain": "<Graph>"}, {}, True),  # 1256 px, shown at its own size
        ({"image/svg+xml": svg("700pt")}, {}, False),  # 933 px: fits
        ({"image/svg+xml": svg("100%")}, {}, False),  # relative: scales
        ({"text/html": f"<div>{svg('942pt')}</div>", "image/svg+xml": svg("942pt")}, {}, False),  # HTML wins, scales
        ({"text/html": svg("942pt").replace("<svg", '<svg style="max-width: none"')}, {}, True),
        ({"text/html": '<div style="width: 1400px">a wide box</div>'}, {}, True),
        ({"text/html": '<div style="max-width: 1400px">a box that may be wide</div>'}, {}, False),
        ({"image/png": png(2000)}, {}, False),  # JupyterLab scales PNGs down
        ({"image/png": png(2000)}, {"image/png": {"unconfined": True}}, True),
    ],
)
def test_the_width_check_knows_what_jupyterlab_scales(data, metadata, wide):
    output = nbformat.v4.new_output("display_data", data=data, metadata=metadata)
    assert bool(too_wide(output)) == wide


@pytest.mark.parametrize("path", SOLUTIONS, ids=names(SOLUTIONS))
def test_solution_notebook_runs_and_every_check_passes(path, tmp_path):
    found = verdicts(execute(path, tmp_path))
    assert found, "a solution notebook should call check() at least once"
    assert all(status == "passed" for _, status in found), found


@pytest.mark.parametrize("path", SOLUTIONS, ids=names(SOLUTIONS))
def test_student_copy_runs_with_checks_not_attempted(path, tmp_path):
    students = tmp_path / "students"
    written = dict(write_student_copies(path.parent, students))
    copy = students / path.name
    assert written[copy] >= 1, "each exercise notebook should mark at least one solution"
    source = copy.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in source and "END SOLUTION" not in source
    found = verdicts(execute(copy, tmp_path))
    assert found and all(status == "not attempted" for _, status in found), found
    check_cells = [cell for cell in nbformat.read(copy, as_version=4).cells if ".check(" in cell.source]
    assert len(found) == len(check_cells)
