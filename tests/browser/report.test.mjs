// The HTML report of `miniperm explore --html` on the 7-scope flow, opened in Debian's chromium:
// a header that says what ran, findings linked to their paths and back, a tree folded past a
// depth (issue 10). Screenshots go to the artefact folder.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BIN, ROOT, launch, scratch, shot } from "./harness.mjs";

const FLOW = join(ROOT, "crates/explore/tests/fixtures/seven-scopes");
const MAX_PATHS = 2000;

let browser;
let tmp;

before(async () => {
  browser = await launch();
  tmp = scratch("miniperm-report-");
});

after(async () => {
  await browser?.close();
  tmp?.remove();
});

test("the explore HTML report of a 7-scope flow is readable in chromium", async () => {
  const file = join(tmp.dir, "report.html");
  const run = await promisify(execFile)(
    BIN,
    ["explore", FLOW, "--tap", "onStart", "--max-paths", String(MAX_PATHS), "--html", file],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  ).catch((e) => e); // findings make explore exit 1; the report is written all the same
  assert.ok([undefined, 1].includes(run.code), `explore exited ${run.code}: ${run.stderr}`);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);

  // The header: what ran, how many paths, whether the search was cut.
  assert.match(await page.locator("h1").textContent(), /miniperm explore .*seven-scopes/);
  const meta = await page.locator("dl.meta").textContent();
  assert.match(meta, /--tap onStart/);
  const paths = Number(meta.match(/(\d+) in [\d.]+ s/)?.[1]);
  assert.ok(paths > 100 && paths <= MAX_PATHS, `paths: ${paths}`);
  assert.match(meta, /cut by --max-paths|complete: every path ran/);
  await shot(page, "20-report-header");

  // Findings link to their path in the tree, and the path links back.
  const findings = page.locator(".finding");
  const n = await findings.count();
  assert.ok(n >= 2, `findings: ${n}`);
  const codes = await page.locator(".finding .code").allTextContents();
  assert.ok(codes.includes("silent-deny") && codes.includes("unhandled-fail"), codes.join(", "));
  // The last finding's path lies deep in the folded tree: following its link unfolds it.
  const last = n - 1;
  const link = findings.nth(last).locator("a[href^='#p']");
  const target = (await link.getAttribute("href")).slice(1);
  const leaf = page.locator(`[id="${target}"]`);
  assert.equal(await leaf.count(), 1, "the finding's path exists");
  assert.equal(await leaf.isVisible(), false, "the deep path starts folded");
  await link.click();
  await leaf.waitFor({ state: "visible" });
  const back = await page.locator(`[id="${target}"] ~ a.fl`).first().getAttribute("href");
  assert.equal(back, `#f${last}`, "the path links back to its finding");
  await leaf.evaluate((e) => e.scrollIntoView({ block: "center" }));
  await shot(page, "21-report-finding-path");

  // The tree is folded past a depth: deep <details> start closed, so the page stays short.
  await page.goto(pathToFileURL(file).href);
  const depths = await page.locator("#tree details").evaluateAll((ds) =>
    ds.map((d) => {
      let depth = 0;
      for (let p = d.parentElement; p; p = p.parentElement) if (p.tagName === "DETAILS") depth++;
      return { depth, open: d.open };
    }),
  );
  assert.ok(depths.length > 50, `details: ${depths.length}`);
  const maxOpen = Math.max(...depths.filter((d) => d.open).map((d) => d.depth));
  assert.ok(depths.some((d) => d.depth > maxOpen), "some levels start folded");
  assert.ok(depths.filter((d) => d.depth > maxOpen).every((d) => !d.open));
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(height < 40000, `the folded report is ${height} px tall`);
  const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(sw <= cw, `no horizontal scroll: ${sw} > ${cw}`);
  await page.locator("h2", { hasText: "Outcome tree" }).scrollIntoViewIfNeeded();
  await shot(page, "22-report-tree");
  await shot(page, "23-report-full", { fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test("the classic example's report shows a screen per outcome, full size beside its transcript", async () => {
  const file = join(tmp.dir, "classic.html");
  const run = await promisify(execFile)(
    BIN,
    ["explore", join(ROOT, "examples/classic"), "--tap", "onLocate", "--html", file],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  ).catch((e) => e);
  assert.ok([undefined, 1].includes(run.code), `explore exited ${run.code}: ${run.stderr}`);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  // Every outcome leaf has its screen; identical screens are stored once.
  const leaves = await page.locator("#tree .leaf").count();
  const shots = page.locator("#tree button.shot");
  assert.equal(await shots.count(), leaves, "a screen per outcome leaf");
  const data = JSON.parse(await page.locator("#screens").textContent());
  assert.ok(data.docs.length >= 2 && data.docs.length < leaves, `${data.docs.length} screens for ${leaves} leaves`);
  // Thumbnails are drawn (sandboxed, no script) once they scroll into view.
  await shots.first().scrollIntoViewIfNeeded();
  await page.locator("#tree button.shot iframe").first().waitFor();
  assert.equal(await page.locator("#tree button.shot iframe").first().getAttribute("sandbox"), "");
  const inner = page.frameLocator("#tree button.shot iframe").first();
  await inner.locator(".mp-title", { hasText: "附近门店" }).waitFor();
  await shot(page, "24-report-screens");
  // Clicking opens it full size beside that path's transcript.
  await shots.first().click();
  const box = page.locator("#shotbox");
  await box.waitFor({ state: "visible" });
  // The close button has the focus (not the picture's frame, which would take Escape away from
  // the dialog).
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), "shotclose");
  assert.match(await box.locator("pre").textContent(), /tap pages\/index\/index onLocate/);
  await page.frameLocator("#shotbox iframe").locator("wx-button", { hasText: "获取当前位置" }).waitFor();
  await shot(page, "25-report-screen-full-size");
  await page.keyboard.press("Escape");
  await box.waitFor({ state: "hidden" });
  const size = (await import("node:fs")).statSync(file).size;
  assert.ok(size < 200 * 1024, `the report stays small: ${size} bytes`);
  assert.deepEqual(errors, []);
  await context.close();
});
