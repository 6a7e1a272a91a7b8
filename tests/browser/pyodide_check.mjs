// micrograd_plus in Pyodide under Node, offline: install the wheels given on the command line with
// micropip (its package index pointed at a closed local port, so nothing else can come in), run
// tests/browser_workloads.py and draw its graph to SVG with the WebAssembly Graphviz in the package.
//   node tests/browser/pyodide_check.mjs PYODIDE_DIR WHEEL...   -> one JSON line on stdout
// PYODIDE_DIR is Pyodide's core plus micropip (browser/build_site.py's assemble_pyodide).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

// Viz.js's classic-script build, when it sees Node, expects CommonJS's globals (require, __filename,
// __dirname), which an ES module like this one lacks; in a browser it takes another branch and needs none.
globalThis.require = createRequire(import.meta.url);
globalThis.__filename = fileURLToPath(import.meta.url);
globalThis.__dirname = dirname(globalThis.__filename);
const [indexURL, ...wheels] = process.argv.slice(2);
const tests = dirname(dirname(fileURLToPath(import.meta.url)));
const log = (text) => console.error(text);
const pyodide = await loadPyodide({ indexURL: indexURL + "/", stdout: log, stderr: log });
await pyodide.loadPackage("micropip", { messageCallback: log });
pyodide.FS.mkdirTree("/check");
pyodide.FS.writeFile("/check/browser_workloads.py", readFileSync(join(tests, "browser_workloads.py")));
const urls = wheels.map((wheel) => {
  pyodide.FS.writeFile(`/check/${basename(wheel)}`, readFileSync(wheel));
  return `emfs:/check/${basename(wheel)}`;
});
pyodide.globals.set("wheel_urls", pyodide.toPy(urls));
const result = await pyodide.runPythonAsync(`
import json, sys, time
import micropip

micropip.set_index_urls(["http://127.0.0.1:9/{package_name}/"])  # no index: every package must be a given wheel
start = time.perf_counter()
await micropip.install(wheel_urls)
installed = time.perf_counter() - start
sys.path.insert(0, "/check")
import browser_workloads
import micrograd_plus
from micrograd_plus.viz import wasm

start = time.perf_counter()
training = browser_workloads.training_run()
trained = time.perf_counter() - start
source = browser_workloads.graph_source()
svg = await wasm.render_svg(source)
try:  # no program can run here: saving a picture says what to do instead
    micrograd_plus.draw_graph(micrograd_plus.Value(1.0)).save("/tmp/graph.svg")
    save_error = None
except micrograd_plus.viz.RendererNotFoundError as error:
    save_error = str(error)
json.dumps({
    "platform": sys.platform,
    "python": sys.version.split()[0],
    "packages": sorted(micropip.list()),
    "readme": browser_workloads.readme_example(),
    "training": training,
    "graph_source": source,
    "svg": svg,
    "save_error": save_error,
    "seconds": {"install": installed, "training": trained},
})
`);
console.log(result);
