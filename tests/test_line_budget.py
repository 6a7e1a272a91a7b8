"""The line budget, as tinygrad keeps one: every module is read in one sitting, and the core stays small.

Fewer lines must come from less complexity (one place per concept), never from denser lines: ruff's format
check keeps lines at their usual density, so these counts mean something. A module the core imports is part
of the core: splitting a file does not take its lines out of the budget.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "micrograd_plus"
MODULE_BUDGET = 400  # lines in any one module
CORE = ["engine.py", "floats.py", "functional.py", "nn.py", "losses.py", "optim.py", "gradcheck.py"]
CORE_BUDGET = 1000  # lines in the core together


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_passes_400_lines():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 20  # the package itself, not an empty folder
    over = {str(path.relative_to(PACKAGE)): lines(path) for path in modules if lines(path) > MODULE_BUDGET}
    assert not over, f"modules over {MODULE_BUDGET} lines (split them by concept): {over}"


def test_the_core_stays_under_1000_lines_together():
    counts = {name: lines(PACKAGE / name) for name in CORE}
    assert sum(counts.values()) <= CORE_BUDGET, f"the core has {sum(counts.values())} lines: {counts}"


def test_every_module_the_core_imports_is_counted_in_the_core():
    imported = set()
    for name in CORE:
        for node in ast.walk(ast.parse((PACKAGE / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:  # from .x import ..., from . import x
                modules = [node.module] if node.module else [alias.name for alias in node.names]
                imported |= {module.split(".")[0] + ".py" for module in modules}
    assert imported - set(CORE) == set(), f"the core imports modules outside its budget: {imported - set(CORE)}"
    assert {"engine.py", "floats.py"} <= imported  # the check really reads the imports
