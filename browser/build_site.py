"""Build the course as a JupyterLite site: nothing to install, Python runs in the page (Pyodide).

    python browser/build_site.py [--out build/site] [--pyodide FULL_PYODIDE_DIR]

(`make site` runs it.) Needs `pip install -e ".[site]"` and `npm ci` (for the `pyodide` npm package).
The site holds the lessons (notebooks/0*.ipynb) and the student exercise notebooks, each with a first cell
that installs micrograd_plus from the site's own copy of its wheel, and Pyodide's core served from the
site itself, so lesson 1 and the exercises run with no network at all. The pure-Python wheels the
kernel needs at start (micropip, IPython, jedi and theirs) are fetched from PyPI while building.

Pyodide's compiled packages (matplotlib, numpy, ...) are in neither npm's `pyodide` nor PyPI: the site
loads them from Pyodide's CDN when a lesson asks for them, unless `--pyodide` names a full Pyodide
distribution (the folder of Pyodide's release archive) to serve instead, which makes every lesson offline.
"""

import argparse
import email
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NPM_PYODIDE = ROOT / "node_modules" / "pyodide"
CORE_FILES = (  # what Pyodide needs to start, from the npm package; the rest comes from pyodide-lock.json
    "pyodide.mjs",
    "pyodide.js",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
    "package.json",
)
# What jupyterlite's Pyodide kernel loads from pyodide-lock.json when it starts (with their dependencies).
KERNEL_PACKAGES = ("micropip", "ipython", "jedi")
# A pure wheel the kernel needs that pyodide-lock.json does not list (micrograd_plus's own come from its metadata).
KERNEL_WHEELS = ("comm==0.2.3",)
PLOTTING = ("matplotlib", "viz.plots")  # a notebook whose code mentions one of these plots with matplotlib


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site", help="the site's folder (replaced)")
    parser.add_argument("--pyodide", type=Path, help="a full Pyodide distribution to serve instead of the CDN")
    parser.add_argument("--wheel", type=Path, help="micrograd_plus's wheel (default: build it)")
    args = parser.parse_args(argv)
    site = build_site(args.out, full_pyodide=args.pyodide, wheel=args.wheel)
    print(f"site in {site} ({folder_size(site) / 1e6:.0f} MB); serve it with: python -m http.server -d {site}")
    return 0


def build_site(out: Path, full_pyodide: Path | None = None, wheel: Path | None = None) -> Path:
    """Build the site into `out` (replacing it) and return its path."""
    out = out.resolve()
    with tempfile.TemporaryDirectory(prefix="mgp-site-") as work:
        work = Path(work)
        lite = work / "lite"
        wheels = work / "wheels"
        wheels.mkdir()
        wheel = wheel or build_wheel(wheels)
        if full_pyodide:
            shutil.copytree(full_pyodide, lite / "static" / "pyodide")
        else:
            assemble_pyodide(lite / "static" / "pyodide", KERNEL_PACKAGES)
        extra = download_wheels((*KERNEL_WHEELS, *browser_requirements(wheel)), wheels)
        write_notebooks(work / "contents")
        (lite / "jupyter-lite.json").write_text(json.dumps(LITE_CONFIG, indent=2))
        if out.exists():
            shutil.rmtree(out)
        command = [
            *(sys.executable, "-m", "jupyterlite_core", "build"),
            *("--lite-dir", str(lite), "--output-dir", str(out), "--contents", str(work / "contents")),
            *("--no-sourcemaps", "--no-unused-shared-packages"),
            *(f"--piplite-wheels={path}" for path in (wheel, *extra)),
        ]
        subprocess.run(command, cwd=lite, check=True, stdout=subprocess.DEVNULL)
    return out


LITE_CONFIG = {
    "jupyter-lite-schema-version": 0,
    "jupyter-config-data": {
        "appName": "micrograd_plus",
        "exposeAppInBrowser": True,  # window.jupyterapp, which the browser test drives
    },
}


def build_wheel(dest: Path) -> Path:
    """Build micrograd_plus's wheel into `dest` and return its path."""
    pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dest), str(ROOT)]
    if importlib.util.find_spec("hatchling"):  # the build backend is here already: skip making a build venv
        pip.append("--no-build-isolation")
    subprocess.run(pip, check=True)
    return next(dest.glob("micrograd_plus-*.whl"))


def download_wheels(requirements: tuple[str, ...], dest: Path) -> list[Path]:
    """Pure-Python wheels for Pyodide's Python (3.14) from PyPI, without dependencies."""
    if not requirements:
        return []
    before = set(dest.glob("*.whl"))
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
    pip += ["--python-version", pyodide_python(), "-d", str(dest), *requirements]
    subprocess.run(pip, check=True)
    return sorted(set(dest.glob("*.whl")) - before)


def browser_requirements(wheel: Path) -> list[str]:
    """What `wheel` requires in Pyodide: its Requires-Dist lines whose markers hold there (no extras)."""
    from packaging.requirements import Requirement

    with zipfile.ZipFile(wheel) as archive:
        name = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(name))
    python = pyodide_python()
    environment = {"sys_platform": "emscripten", "platform_system": "Emscripten", "platform_machine": "wasm32"}
    environment |= {"python_version": python, "python_full_version": f"{python}.0", "extra": ""}
    requirements = [Requirement(line) for line in metadata.get_all("Requires-Dist", [])]
    held = [req for req in requirements if req.marker is None or req.marker.evaluate(environment)]
    return [f"{req.name}{req.specifier}" for req in held]


def pyodide_python() -> str:
    lock = json.loads((NPM_PYODIDE / "pyodide-lock.json").read_text())
    return ".".join(lock["info"]["python"].split(".")[:2])


def assemble_pyodide(dest: Path, packages: tuple[str, ...] = KERNEL_PACKAGES) -> Path:
    """Pyodide's core from npm plus `packages` and their dependencies (pure wheels from PyPI) in `dest`.

    Every other package in pyodide-lock.json keeps a URL on Pyodide's CDN, so it still loads when online.
    """
    if not NPM_PYODIDE.is_dir():
        raise FileNotFoundError(f"{NPM_PYODIDE} is missing: run `npm ci` in {ROOT}")
    dest.mkdir(parents=True, exist_ok=True)
    for name in CORE_FILES:
        shutil.copyfile(NPM_PYODIDE / name, dest / name)
    lock = json.loads((NPM_PYODIDE / "pyodide-lock.json").read_text())
    entries = lock["packages"]
    needed = dependency_closure(entries, packages)
    pinned = tuple(f"{entries[name]['name']}=={entries[name]['version']}" for name in sorted(needed))
    for path in download_wheels(pinned, dest):
        name = canonical(path.name.split("-")[0])
        entries[name]["file_name"] = path.name
        entries[name]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    cdn = pyodide_cdn(lock)
    for name, entry in entries.items():
        if name not in needed:
            entry["file_name"] = cdn + entry["file_name"]
    (dest / "pyodide-lock.json").write_text(json.dumps(lock))
    return dest


def dependency_closure(entries: dict, packages: tuple[str, ...]) -> set[str]:
    needed, todo = set(), [canonical(name) for name in packages]
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo.extend(canonical(dependency) for dependency in entries[name]["depends"])
    return needed


def canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def pyodide_cdn(lock: dict) -> str:
    """The CDN folder of this Pyodide release, where the packages the site does not serve are found."""
    from jupyterlite_pyodide_kernel.constants import PYODIDE_CDN_URL, PYODIDE_VERSION

    version = json.loads((NPM_PYODIDE / "package.json").read_text())["version"]
    if version != PYODIDE_VERSION:
        raise RuntimeError(
            f"node_modules has pyodide {version} but jupyterlite-pyodide-kernel expects {PYODIDE_VERSION}: "
            "pin the npm package to the kernel's version in package.json"
        )
    return PYODIDE_CDN_URL + "/"


def write_notebooks(dest: Path) -> None:
    """The lessons and the student exercises, each with a first cell that installs micrograd_plus."""
    notebooks = ROOT / "notebooks"
    (dest / "exercises").mkdir(parents=True)
    shutil.copyfile(notebooks / "README.md", dest / "README.md")
    for path in [*sorted(notebooks.glob("0*.ipynb")), *sorted((notebooks / "exercises").glob("[0-9][0-9]_*.ipynb"))]:
        notebook = json.loads(path.read_text())
        code = "".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code")
        packages = "micrograd_plus matplotlib" if any(word in code for word in PLOTTING) else "micrograd_plus"
        notebook["cells"].insert(0, install_cell(packages))
        notebook["metadata"]["kernelspec"] = PYODIDE_KERNELSPEC  # no kernel-choice dialog on opening
        target = dest / path.relative_to(notebooks)
        target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


PYODIDE_KERNELSPEC = {"display_name": "Python (Pyodide)", "language": "python", "name": "python"}


def install_cell(packages: str) -> dict:
    comment = "# In the browser: micrograd_plus comes from this site"
    if "matplotlib" in packages:
        comment += ", matplotlib from Pyodide (the first time, over the network)"
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": "install-micrograd-plus",
        "metadata": {},
        "outputs": [],
        "source": [comment + "\n", f"%pip install -q {packages}"],
    }


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


if __name__ == "__main__":
    sys.exit(main())
