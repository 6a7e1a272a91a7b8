// Open two notebooks in a running JupyterLab in headless Chromium and report, as one JSON line on stdout,
// what a learner sees of their step-through:
//   node tests/browser/jupyterlab_check.mjs LAB_URL SAVED.ipynb TRUSTED.ipynb [SCREENSHOT_DIR]
// SAVED.ipynb holds outputs saved elsewhere, so JupyterLab does not trust it (its scripts do not run and its
// HTML is sanitised); TRUSTED.ipynb holds the same outputs signed with the server's secret (`jupyter trust`),
// so their scripts run, as they do for outputs a learner's own run made.
import { chromium } from "playwright-core";

const [lab, saved, trusted, screenshots] = process.argv.slice(2);
const TIMEOUT = Number(process.env.MGP_TIMEOUT || 120_000); // ms: JupyterLab and a kernel starting on a busy 2-core machine
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const report = {};
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();

  // The saved notebook, untrusted: its first frame as a picture, no dead buttons, the note saying why.
  await page.goto(`${lab}/lab/tree/${saved}?reset`); // ?reset: no other notebook restored beside it
  await page.waitForSelector(".jp-OutputArea-output .mgp-static img", { timeout: TIMEOUT });
  await page.waitForFunction(() => document.querySelector(".mgp-static img").complete, null, { timeout: TIMEOUT });
  report.untrusted = await page.evaluate(() => {
    const output = document.querySelector(".jp-OutputArea-output");
    const picture = output.querySelector(".mgp-static img");
    const controls = output.querySelector(".mgp-controls");
    return {
      controls_shown: controls !== null && controls.getBoundingClientRect().height > 0,
      picture_width: picture.getBoundingClientRect().width,
      picture_natural_width: picture.naturalWidth,
      output_width: output.getBoundingClientRect().width,
      text: output.innerText,
    };
  });
  if (screenshots) await page.screenshot({ path: `${screenshots}/untrusted.png` });

  // The trusted notebook: its script ran, the buttons show and work.
  await page.goto(`${lab}/lab/tree/${trusted}?reset`);
  await page.waitForSelector(".jp-OutputArea-output .mgp-next", { state: "visible", timeout: TIMEOUT });
  // Three clicks, as the page's own events: Playwright's click() first waits for the button to stop moving,
  // which on a loaded machine can outlast its timeout while the notebook is still laying out its images.
  await page.evaluate(() => {
    const next = document.querySelector(".jp-OutputArea-output .mgp-next");
    for (let i = 0; i < 3; i++) next.click();
  });
  report.trusted = await page.evaluate(() => {
    const output = document.querySelector(".jp-OutputArea-output");
    const shown = [...output.querySelectorAll(".mgp-frame")].filter((f) => f.getBoundingClientRect().height > 0);
    return {
      counter: output.querySelector(".mgp-counter").textContent,
      static_shown: output.querySelector(".mgp-static").getBoundingClientRect().height > 0,
      frames_shown: shown.length,
      text: shown.map((frame) => frame.innerText).join("\n"),
    };
  });
  if (screenshots) await page.screenshot({ path: `${screenshots}/trusted.png` });
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
