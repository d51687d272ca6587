// The simulator at `/` of `miniperm serve`, driven in Debian's chromium: the classic flow by
// mouse on the drawn page (tap its real button, deny, confirm, switch location on), the
// tri-state location row, the keyboard, "explore this flow", the session's event stream (and the
// page without it), and the page at 375 px wide. Every step is screenshotted. The page itself is
// drawn in the iframe `#page` (miniperm-view's HTML): `phone(page)` reaches into it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { BIN, ROOT, launch, serve, shot } from "./harness.mjs";

let server;
let browser;

before(async () => {
  server = await serve(["--projects", join(ROOT, "tests/browser/fixtures")]);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openPage(viewport = { width: 1280, height: 900 }, init = null) {
  const context = await browser.newContext({ viewport });
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const streams = [];
  page.on("request", (r) => { if (r.url().endsWith("/events")) streams.push(r.url()); });
  await page.goto(server.base + "/");
  await page.locator("#projects button").first().waitFor();
  return { page, errors, streams, close: () => context.close() };
}

/** Waits until the page drew the answer to its last request. */
async function settled(page) {
  await page.waitForFunction(() => {
    const s = document.getElementById("status").textContent;
    return s.startsWith("run ended") || document.getElementById("error").textContent !== "";
  });
  assert.equal(await page.locator("#error").textContent(), "", "the page shows no error");
}

async function startProject(page, name) {
  await page.locator(`#projects button[data-name="${name}"]`).click();
  await settled(page);
}

/** Clicks a button and waits for the page to draw the step it caused. */
async function step(page, locator) {
  await page.evaluate(() => (document.getElementById("status").textContent = ""));
  await locator.click();
  await settled(page);
}

const transcript = (page) => page.locator("#transcript").textContent();
/** The drawn page (the iframe's document). */
const phone = (page) => page.frameLocator("#page");
/** The page's element with this WXML text (a button drawn as `wx-button`). */
const onPhone = (page, css, text) => phone(page).locator(css, { hasText: text });
const dialog = (page, label) => page.locator(`[role="dialog"][aria-label="${label}"]`);

async function api(path) {
  const res = await fetch(server.base + path);
  assert.equal(res.status, 200, path);
  return res.json();
}

/** The /v1 path of the session's consent, from the link the page shows. */
async function apiPath(page) {
  const href = await page.locator("#apilink").getAttribute("href");
  assert.match(href, /^\/v1\/apps\/[^/]+\/users\/sim_[0-9a-f]+\/setting$/);
  return href;
}

describe("the simulator", () => {
  test("classic: tap, deny, confirm the modal, switch location on in the settings page", async () => {
    const { page, errors, close } = await openPage();
    await shot(page, "01-projects");
    await startProject(page, "classic");
    assert.equal(await phone(page).locator(".mp-nav .mp-title").textContent(), "附近门店");
    await shot(page, "02-classic-launched");

    await step(page, onPhone(page, "wx-button", "获取当前位置"));
    const sheet = dialog(page, "authorize");
    await sheet.waitFor();
    assert.match(await sheet.textContent(), /你的位置信息将用于为你推荐附近的门店/);
    assert.match(await sheet.textContent(), /scope\.userLocation/);
    await shot(page, "03-authorize-sheet");

    await step(page, sheet.getByRole("button", { name: "拒绝" }));
    const modal = dialog(page, "modal");
    await modal.waitFor();
    assert.match(await modal.textContent(), /需要你的位置信息，请到设置中打开/);
    assert.equal(await page.locator("#consent dd[data-scope='scope.userLocation']").getAttribute("data-value"), "false");
    await shot(page, "04-modal-after-deny");

    await step(page, modal.getByRole("button", { name: "去设置" }));
    const settings = dialog(page, "settings");
    await settings.waitFor();
    const sw = settings.locator("[role='switch'][data-scope='scope.userLocation']");
    assert.equal(await sw.getAttribute("aria-checked"), "false");
    await sw.click();
    assert.equal(await sw.getAttribute("aria-checked"), "true");
    await shot(page, "05-settings-location-on");

    await step(page, settings.locator("#settings-done"));
    assert.equal(await page.locator("[role='dialog']").count(), 0, "no native UI is left open");
    const text = await transcript(page);
    for (const line of [
      "ui  authorize scope.userLocation",
      "← deny",
      "authorize:fail auth deny",
      "ui  modal \"提示\"",
      "← confirm",
      "ui  settings [scope.userLocation=off]",
      "← settings:scope.userLocation=on",
      "openSetting:ok",
    ]) {
      assert.ok(text.includes(line), `the transcript has \`${line}\`:\n${text}`);
    }
    assert.ok(text.indexOf("← deny") < text.indexOf("← confirm"), "deny comes before confirm");
    assert.equal(await page.locator("#consent dd[data-scope='scope.userLocation']").getAttribute("data-value"), "true");
    const log = await page.locator("#consentlog li").allTextContents();
    assert.deepEqual(log.map((l) => l.split(" (")[0]), [
      "scope.userLocation unset → denied",
      "scope.userLocation denied → granted",
    ]);
    await shot(page, "06-after-settings");

    // The same consent through the /v1 API: the session's user in the durable store.
    const path = await apiPath(page);
    const setting = await api(path);
    assert.deepEqual(setting.authSetting, { "scope.userLocation": true });
    const events = (await api(path.replace(/\/setting$/, "/log"))).events;
    assert.deepEqual(events.map((e) => [e.scope, e.from, e.to, e.via]), [
      ["scope.userLocation", "unset", "denied", "prompt"],
      ["scope.userLocation", "denied", "granted", "settings"],
    ]);

    // Clear authorization data: the page and the API both forget the choice.
    await step(page, page.locator("#clear"));
    assert.equal(await page.locator("#consent dd[data-scope]").count(), 0);
    assert.deepEqual((await api(path)).authSetting, {});
    await shot(page, "07-cleared");
    assert.deepEqual(errors, []);
    await close();
  });

  test("the tri-state location row of an app with the background location mode", async () => {
    const { page, errors, close } = await openPage();
    await startProject(page, "ride-track");
    await step(page, onPhone(page, "wx-button", "开始记录"));
    await step(page, dialog(page, "authorize").getByRole("button", { name: "拒绝" }));
    await step(page, dialog(page, "modal").getByRole("button", { name: "去设置" }));
    const row = dialog(page, "settings").locator("fieldset[data-scope='scope.userLocation']");
    await row.waitFor();
    assert.deepEqual(await row.locator("label").allTextContents(), ["仅在使用小程序期间", "使用小程序期间和离开小程序后", "不允许"]);
    assert.equal(await row.locator("input:checked").getAttribute("value"), "never");
    await row.getByLabel("使用小程序期间和离开小程序后").check();
    await shot(page, "08-tri-state-location-row");
    await step(page, page.locator("#settings-done"));
    assert.match(await transcript(page), /← settings:scope\.userLocationBackground=on/);
    const consent = await page.locator("#consent dd[data-scope]").evaluateAll((dds) =>
      Object.fromEntries(dds.map((d) => [d.dataset.scope, d.dataset.value])),
    );
    assert.deepEqual(consent, { "scope.userLocation": "true", "scope.userLocationBackground": "true" });
    assert.deepEqual((await api(await apiPath(page))).authSetting, {
      "scope.userLocation": true,
      "scope.userLocationBackground": true,
    });
    // The flow retried after the settings page: the location was read.
    await phone(page).locator("wx-page", { hasText: "已开始记录" }).waitFor();
    await shot(page, "09-tri-state-after");
    assert.deepEqual(errors, []);
    await close();
  });

  test("every control is reachable by keyboard, with a visible focus ring", async () => {
    const { page, errors, close } = await openPage();
    // The focused element, inside the drawn page when the focus is in its iframe.
    const focused = () =>
      page.evaluate(() => {
        let e = document.activeElement;
        while (e && e.tagName === "IFRAME" && e.contentDocument) e = e.contentDocument.activeElement;
        const s = e.ownerDocument.defaultView.getComputedStyle(e);
        return { tag: e.tagName, text: e.textContent.trim(), outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
      });
    // Tab to the classic project and open it with Enter.
    let f;
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press("Tab");
      f = await focused();
      if (f.text.startsWith("classic")) break;
    }
    assert.ok(f.text.startsWith("classic"), "the project list is reachable by Tab");
    assert.equal(f.outline, "solid");
    assert.ok(f.width >= 2, "the focus ring is at least 2 px wide");
    await shot(page, "10-keyboard-focus-project");
    await page.keyboard.press("Enter");
    await settled(page);
    // Tab to the page's button and tap it with Enter.
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      f = await focused();
      if (f.text === "获取当前位置") break;
    }
    assert.equal(f.text, "获取当前位置", "the page's button is reachable by Tab");
    await page.evaluate(() => (document.getElementById("status").textContent = ""));
    await page.keyboard.press("Enter");
    await settled(page);
    // The sheet takes the focus; Enter on its first button denies.
    f = await focused();
    assert.equal(f.text, "拒绝", "the authorize sheet takes the focus");
    assert.equal(f.outline, "solid");
    await shot(page, "11-keyboard-focus-sheet");
    await page.evaluate(() => (document.getElementById("status").textContent = ""));
    await page.keyboard.press("Enter");
    await settled(page);
    assert.match(await transcript(page), /← deny/);
    await dialog(page, "modal").waitFor();
    // The modal by keyboard: Tab to 去设置, Enter; the settings page's switch by Space; 返回 by Enter.
    assert.equal((await focused()).text, "取消");
    await page.keyboard.press("Tab");
    assert.equal((await focused()).text, "去设置");
    await page.evaluate(() => (document.getElementById("status").textContent = ""));
    await page.keyboard.press("Enter");
    await settled(page);
    assert.equal((await focused()).text, "off", "the settings page takes the focus on its switch");
    await page.keyboard.press("Space");
    assert.equal((await focused()).text, "on");
    await shot(page, "12-keyboard-settings");
    await page.keyboard.press("Tab");
    assert.equal((await focused()).text, "返回（完成）");
    await page.evaluate(() => (document.getElementById("status").textContent = ""));
    await page.keyboard.press("Enter");
    await settled(page);
    assert.match(await transcript(page), /← settings:scope\.userLocation=on/);
    await page.waitForFunction(() => {
      const f = document.getElementById("page");
      return document.activeElement === f && f.contentDocument.activeElement.textContent.trim() === "获取当前位置";
    });
    assert.equal((await focused()).text, "获取当前位置", "the focus goes back to the page");
    // The buttons under the phone and the transcript are reachable too.
    const reachable = new Set();
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press("Tab");
      reachable.add(await page.evaluate(() => document.activeElement.id || document.activeElement.textContent.trim()));
    }
    for (const id of ["restart", "clear", "explore", "transcript"]) assert.ok(reachable.has(id), `#${id} is reachable by Tab`);
    assert.deepEqual(errors, []);
    await close();
  });

  test("explore this flow shows the outcome tree and the findings", async () => {
    const { page, errors, close } = await openPage();
    await startProject(page, "classic");
    await step(page, onPhone(page, "wx-button", "获取当前位置"));
    await page.locator("#explore").click();
    await page.locator("#findings li").first().waitFor();
    assert.match(await page.locator("#explore-sum").textContent(), /miniperm explore classic --tap button /);
    const codes = await page.locator("#findings li[data-code]").evaluateAll((lis) => lis.map((l) => l.dataset.code));
    assert.ok(codes.includes("no-retry-after-settings"), codes.join(", "));
    await page.locator("#explore-out summary", { hasText: "outcome tree" }).click();
    assert.match(await page.locator("#explore-text").textContent(), /no-retry-after-settings/);
    await shot(page, "13-explore-this-flow", { fullPage: true });
    await page.locator("#report-box summary").click();
    const report = page.frameLocator("#report");
    await report.locator("h1").waitFor();
    assert.match(await report.locator("h1").textContent(), /miniperm explore classic/);
    // Each outcome leaf shows its final page (a sandboxed thumbnail of the drawn page).
    const shots = await report.locator("button.shot").count();
    assert.ok(shots >= 5, `thumbnails: ${shots}`);
    await page.locator("#report").scrollIntoViewIfNeeded();
    await shot(page, "14-explore-report-in-page");
    assert.deepEqual(errors, []);
    await close();
  });

  test("the page follows the session's event stream: a step taken through the API shows up", async () => {
    const { page, errors, streams, close } = await openPage();
    await startProject(page, "classic");
    await page.waitForFunction(() => live === true);
    assert.equal(streams.length, 1, "one EventSource for the session");
    const id = (await apiPath(page)).split("/")[5];
    // Another client taps: only the stream can tell the page.
    const res = await fetch(`${server.base}/sim/sessions/${id}/tap`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ target: "text=获取当前位置" }),
    });
    assert.equal(res.status, 200);
    const sheet = dialog(page, "authorize");
    await sheet.waitFor();
    assert.match(await transcript(page), /ui  authorize scope\.userLocation/);
    await shot(page, "18-stream-step-from-the-api");
    // The page's own steps are drawn from the stream as well.
    await step(page, sheet.getByRole("button", { name: "拒绝" }));
    await dialog(page, "modal").waitFor();
    assert.match(await transcript(page), /← deny/);
    assert.equal(await page.locator("#consent dd[data-scope='scope.userLocation']").getAttribute("data-value"), "false");
    // Choosing another project forgets this session: its stream ends.
    await startProject(page, "classic");
    const gone = await fetch(`${server.base}/sim/sessions/${id}`);
    assert.equal(gone.status, 404);
    await page.waitForFunction(() => live === true);
    assert.equal(streams.length, 2);
    assert.deepEqual(errors, []);
    await close();
  });

  test("with an API key the page asks for it and reads the stream by fetch", async () => {
    let key = "";
    const keyed = await serve(["--projects", join(ROOT, "tests/browser/fixtures")], (db) => {
      const out = execFileSync(BIN, ["keys", "--db", db, "create", "acme"], { encoding: "utf8" });
      key = out.trim().split("\n").pop();
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const streams = [];
      page.on("request", (r) => { if (r.url().endsWith("/events")) streams.push(r.headers()["authorization"] || ""); });
      await page.goto(keyed.base + "/");
      await page.locator("#key").waitFor({ state: "visible" });
      await page.locator("#key").fill(key);
      await page.locator("#savekey").click();
      await page.locator("#projects button").first().waitFor();
      await startProject(page, "classic");
      await page.waitForFunction(() => live === true);
      assert.deepEqual(streams, ["Bearer " + key], "the stream is read with the key");
      const id = (await apiPath(page)).split("/")[5];
      const res = await fetch(`${keyed.base}/sim/sessions/${id}/tap`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + key },
        body: JSON.stringify({ target: "text=获取当前位置" }),
      });
      assert.equal(res.status, 200);
      await dialog(page, "authorize").waitFor();
      assert.match(await transcript(page), /ui  authorize scope\.userLocation/);
      await step(page, dialog(page, "authorize").getByRole("button", { name: "允许" }));
      assert.equal(await page.locator("#consent dd[data-scope='scope.userLocation']").getAttribute("data-value"), "true");
      await shot(page, "18b-keyed-stream");
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      await keyed.stop();
    }
  });

  test("without EventSource the page draws each step's answer", async () => {
    const { page, errors, streams, close } = await openPage(undefined, () => { delete window.EventSource; });
    await startProject(page, "classic");
    await step(page, onPhone(page, "wx-button", "获取当前位置"));
    await step(page, dialog(page, "authorize").getByRole("button", { name: "拒绝" }));
    await dialog(page, "modal").waitFor();
    assert.match(await transcript(page), /← deny/);
    assert.equal(await page.locator("#consent dd[data-scope='scope.userLocation']").getAttribute("data-value"), "false");
    assert.deepEqual(streams, []);
    await shot(page, "19-no-eventsource");
    assert.deepEqual(errors, []);
    await close();
  });

  test("readable at 375 px wide: no horizontal scroll", async () => {
    const { page, errors, close } = await openPage({ width: 375, height: 812 });
    const noScroll = async (when) => {
      const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok(sw <= cw, `no horizontal scroll ${when}: scrollWidth ${sw} > clientWidth ${cw}`);
    };
    await noScroll("on the project list");
    await startProject(page, "classic");
    await noScroll("on the page");
    await step(page, onPhone(page, "wx-button", "获取当前位置"));
    await noScroll("with the authorize sheet");
    await shot(page, "15-375px-authorize", { fullPage: true });
    await step(page, dialog(page, "authorize").getByRole("button", { name: "拒绝" }));
    await step(page, dialog(page, "modal").getByRole("button", { name: "去设置" }));
    await noScroll("with the settings page");
    await shot(page, "16-375px-settings", { fullPage: true });
    await step(page, page.locator("#settings-done"));
    await page.locator("#explore").click();
    await page.locator("#findings li").first().waitFor();
    await noScroll("with the exploration");
    await shot(page, "17-375px-explored", { fullPage: true });
    assert.deepEqual(errors, []);
    await close();
  });
});
