"""Copy the WebAssembly Graphviz (Viz.js) that package-lock.json pins into the package.

Run from anywhere after `npm ci` (or `npm install --save-exact @viz-js/viz@VERSION`):

    python browser/vendor_graphviz.py

It copies node_modules/@viz-js/viz/dist/viz-global.js to micrograd_plus/_vendor/viz-js/ and
rewrites the "Version:" line of the README there. micrograd_plus/_vendor/viz-js/README.md says why.
"""

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "node_modules" / "@viz-js" / "viz"
VENDOR = ROOT / "micrograd_plus" / "_vendor" / "viz-js"


def main() -> int:
    if not SOURCE.is_dir():
        print(f"{SOURCE} is missing: run `npm ci` in {ROOT} first", file=sys.stderr)
        return 1
    version = json.loads((SOURCE / "package.json").read_text())["version"]
    graphviz = re.search(r'graphvizVersion = "([^"]+)"', (SOURCE / "lib" / "metadata.js").read_text()).group(1)
    shutil.copyfile(SOURCE / "dist" / "viz-global.js", VENDOR / "viz-global.js")
    readme = VENDOR / "README.md"
    line = f"Version: @viz-js/viz {version} (Graphviz {graphviz})"
    readme.write_text(re.sub(r"^Version: .*$", line, readme.read_text(), count=1, flags=re.MULTILINE))
    print(f"vendored {line[len('Version: ') :]} into {VENDOR.relative_to(ROOT)}")
    if f"Graphviz {graphviz}," not in (VENDOR / "LICENSE").read_text():
        print(f"LICENSE does not name Graphviz {graphviz}: update its header", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
