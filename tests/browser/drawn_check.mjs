// Open a page in headless Chromium and wait until it has drawn its graphs with the WebAssembly Graphviz:
// every div.mgp-graphviz holding an SVG. Prints one JSON line: how many were drawn, of how many.
//   node tests/browser/drawn_check.mjs PAGE_URL
import { chromium } from "playwright-core";

const [url] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic"],
});
const report = { page_errors: [] };
try {
  const page = await browser.newPage();
  page.on("pageerror", (error) => report.page_errors.push(String(error).slice(0, 300)));
  await page.goto(url);
  const count = () => [document.querySelectorAll("div.mgp-graphviz").length,
    document.querySelectorAll("div.mgp-graphviz[data-drawn] > svg g.node").length > 0
      ? document.querySelectorAll("div.mgp-graphviz[data-drawn] > svg").length : 0];
  try {
    await page.waitForFunction(() => {
      const all = document.querySelectorAll("div.mgp-graphviz");
      return all.length > 0 && [...all].every((box) => box.querySelector(":scope > svg g.node"));
    }, null, { timeout: 60_000, polling: 100 });
  } catch (error) {
    report.timeout = String(error).slice(0, 200);
  }
  [report.elements, report.drawn] = await page.evaluate(count);
  report.failed = await page.$$eval("div.mgp-graphviz", (boxes) =>
    boxes.filter((box) => box.textContent.includes("could not draw")).length);
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
