// Open a notebook of the JupyterLite site in headless Chromium with the network cut off, run all its
// cells, and report what happened as one JSON line on stdout.
//   node tests/browser/lesson_check.mjs SITE_URL NOTEBOOK [SCREENSHOT.png]
// Only SITE_URL's host answers: every other host fails to resolve, and any request to one is listed
// in "offsite". Times are seconds from opening the page.
import { chromium } from "playwright-core";

const [site, notebook, screenshot] = process.argv.slice(2);
const host = new URL(site).hostname;
const TIMEOUT = Number(process.env.MGP_TIMEOUT || 240_000); // ms: Pyodide's start and the lesson's cells on a busy 2-core machine
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${host}`,
  ],
});
const report = { offsite: [], console_errors: [] };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === host || url.protocol === "blob:" || url.protocol === "data:") return route.continue();
    report.offsite.push(url.href);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") report.console_errors.push(message.text().slice(0, 300));
    if (process.env.MGP_DEBUG) console.error(`[${message.type()}] ${message.text().slice(0, 500)}`);
  });
  const start = Date.now();
  const seconds = () => (Date.now() - start) / 1000;
  await page.goto(`${site}/notebooks/index.html?path=${notebook}`);
  // Run the cells once the kernel (Pyodide, in a web worker) has started: asked earlier, the notebook
  // may still be choosing its kernel, and the request is lost.
  await page.waitForFunction(
    () => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === "idle",
    null,
    { timeout: TIMEOUT, polling: 250 },
  );
  report.kernel_ready = seconds();
  await page.evaluate(() => {
    window.jupyterapp.commands.execute("notebook:run-all-cells"); // not awaited: it settles when all ran
  });
  // Poll until every code cell has run (or one failed, which stops "run all" there), noting when the
  // first drawing appears: an SVG that Graphviz (WebAssembly) drew into an output of the notebook.
  const done = () => {
    const model = window.jupyterapp.shell.currentWidget.context.model.toJSON();
    const code = model.cells.filter((cell) => cell.cell_type === "code");
    const failed = code.some((cell) => cell.outputs.some((output) => output.output_type === "error"));
    return failed || code.every((cell) => cell.execution_count !== null);
  };
  while (seconds() * 1000 < TIMEOUT) {
    if (report.first_graph === undefined && (await page.$(".jp-OutputArea-output svg g.node"))) {
      report.first_graph = seconds();
    }
    if (await page.evaluate(done)) break;
    await page.waitForTimeout(250);
  }
  report.all_cells = seconds();
  const notebookJson = await page.evaluate(() => window.jupyterapp.shell.currentWidget.context.model.toJSON());
  const code = notebookJson.cells.filter((cell) => cell.cell_type === "code");
  report.code_cells = code.length;
  report.executed = code.filter((cell) => cell.execution_count !== null).length;
  report.errors = code.flatMap((cell) =>
    cell.outputs.filter((output) => output.output_type === "error").map((o) => `${o.ename}: ${o.evalue}`),
  );
  report.graphs = await page.$$eval(".jp-OutputArea-output svg", (svgs) =>
    svgs.filter((svg) => svg.querySelector("g.node")).map((svg) => svg.querySelectorAll("g.node").length),
  );
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
