// The page as the phone draws it (issue 20), in Debian's chromium: the simulator's iframe holds
// miniperm-view's HTML for the styles fixture (app, page and component WXSS, every isolation
// mode, external classes, an image and a missing one, a tab bar) and the bundled examples.
// Computed styles are read off the real elements, found by their WXML ids and classes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, launch, serve, shot } from "./harness.mjs";

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

async function open(name, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(server.base + "/");
  await page.locator("#projects button").first().waitFor();
  if (name) await start(page, name);
  return { page, errors, close: () => context.close() };
}

/** Waits for the page to draw the answer to its last request, then for the phone to load it. */
async function settled(page) {
  await page.waitForFunction(() => {
    const s = document.getElementById("status").textContent;
    return s.startsWith("run ended") || document.getElementById("error").textContent !== "";
  });
  assert.equal(await page.locator("#error").textContent(), "", "the page shows no error");
  await page.waitForFunction(() => {
    const f = document.getElementById("page");
    return f.contentDocument && f.contentDocument.querySelector("wx-page") && f.contentDocument.readyState === "complete";
  });
}

async function start(page, name) {
  await page.evaluate(() => (document.getElementById("status").textContent = ""));
  await page.locator(`#projects button[data-name="${name}"]`).click();
  await settled(page);
}

async function step(page, action) {
  await page.evaluate(() => (document.getElementById("status").textContent = ""));
  await action();
  await settled(page);
}

/** Computed style properties of the drawn element `css`. */
function styleOf(page, css, props) {
  return page.evaluate(
    ([css, props]) => {
      const doc = document.getElementById("page").contentDocument;
      const e = doc.querySelector(css);
      if (!e) return null;
      const s = doc.defaultView.getComputedStyle(e);
      const out = { width: e.getBoundingClientRect().width };
      for (const p of props) out[p] = s.getPropertyValue(p);
      return out;
    },
    [css, props],
  );
}

const phone = (page) => page.frameLocator("#page");

describe("the page as the phone draws it", () => {
  test("WXSS: rpx, app/page/component precedence and isolation, the navigation bar, images", async () => {
    const { page, errors, close } = await open("styles");
    const f = phone(page);
    // Elements keep their WXML id, class and data-*.
    const top = f.locator("#top");
    assert.equal(await top.getAttribute("class"), "page-box imported");
    assert.equal(await top.getAttribute("data-kind"), "demo");
    assert.equal(await top.getAttribute("data-item-id"), "7");
    assert.equal(await f.locator(".page-box.imported").count(), 1, "found by its WXML classes");
    // 750rpx is the phone's width (375 px), 375rpx half of it.
    assert.equal((await styleOf(page, "#full", [])).width, 375);
    assert.equal((await styleOf(page, "#half", [])).width, 187);
    // A page class and an @imported app class on the page.
    const t = await styleOf(page, "#top", ["border-right-width", "text-decoration-line", "outline-style"]);
    assert.equal(t["border-right-width"], "6px");
    assert.equal(t["text-decoration-line"], "underline");
    assert.equal(t["outline-style"], "none", "the `*` rule WeChat has no selector for is dropped");
    // An app.wxss class: on the page, not in an isolated component, in an apply-shared one.
    assert.equal((await styleOf(page, "#app-on-page", ["border-left-width"]))["border-left-width"], "5px");
    const iso = await styleOf(page, "#iso-inner", ["border-left-width", "border-bottom-width", "word-spacing", "letter-spacing", "color"]);
    assert.equal(iso["border-left-width"], "0px", "app.wxss does not reach an isolated component");
    assert.equal(iso["border-bottom-width"], "4px", "the component's own WXSS applies inside it");
    assert.equal(iso["word-spacing"], "2px", "a tag selector reaches every component");
    assert.equal(iso["letter-spacing"], "normal", "view.tagged's class is the page's, not the component's");
    assert.notEqual(iso.color, "rgb(9, 9, 9)", "an id selector in component WXSS is dropped");
    const apply = await styleOf(page, "#apply-inner", ["border-left-width", "border-bottom-width"]);
    assert.equal(apply["border-left-width"], "5px", "apply-shared: app.wxss applies");
    assert.equal(apply["border-bottom-width"], "4px");
    // The component's class does not leak to the page; a shared component's does.
    assert.equal((await styleOf(page, "#card-class-on-page", ["border-bottom-width"]))["border-bottom-width"], "0px");
    assert.equal((await styleOf(page, "#shared-on-page", ["border-top-width"]))["border-top-width"], "3px");
    assert.equal((await styleOf(page, "#shared-inner", ["border-left-width"]))["border-left-width"], "5px");
    // externalClasses: the page's class, passed by the host, colours the component's node.
    assert.equal((await styleOf(page, "#ext-inner", ["color"])).color, "rgb(200, 0, 0)");
    // The navigation bar: title and colours from app.json's window.
    const nav = await page.evaluate(() => {
      const doc = document.getElementById("page").contentDocument;
      const n = doc.querySelector(".mp-nav");
      const s = doc.defaultView.getComputedStyle(n);
      return { text: n.querySelector(".mp-title").textContent, bg: s.backgroundColor, color: s.color };
    });
    assert.deepEqual(nav, { text: "样式与组件", bg: "rgb(31, 111, 235)", color: "rgb(255, 255, 255)" });
    // The project's image loads (inlined, never from the network); a missing one is the broken box.
    const logo = await page.evaluate(() => {
      const img = document.getElementById("page").contentDocument.querySelector("#logo img");
      return { complete: img.complete, w: img.naturalWidth, h: img.naturalHeight, shown: img.getBoundingClientRect().width };
    });
    assert.deepEqual(logo, { complete: true, w: 96, h: 48, shown: 96 });
    assert.equal(await f.locator("#missing[mp-broken]").count(), 1);
    assert.match(await f.locator("#map").getAttribute("mp-placeholder"), /<map>/);
    assert.equal(await f.locator(".mp-tab[aria-selected='true']").textContent(), "首页");
    await shot(page, "30-styles-page", { fullPage: true });
    assert.deepEqual(errors, []);
    await close();
  });

  test("taps, typing, switches and scrolling on the drawn page", async () => {
    const { page, errors, close } = await open("styles");
    const f = phone(page);
    // A tap on the text inside the row bubbles to the row's bindtap.
    await step(page, () => f.locator("#row-text").click());
    await f.locator("#row-text", { hasText: "整行可点：1" }).waitFor();
    assert.match(await page.locator("#transcript").textContent(), /tap pages\/index\/index text#row-text/);
    // Typing fires bindinput once the typing pauses; the page echoes it.
    await f.locator("#name input").click();
    await page.evaluate(() => (document.getElementById("status").textContent = ""));
    await f.locator("#name input").pressSequentially("小明", { delay: 20 });
    await settled(page);
    await f.locator("#echo", { hasText: "你好，小明" }).waitFor();
    assert.match(await page.locator("#transcript").textContent(), /input\(input#name\)=小明/);
    // The switch toggles and fires bindchange.
    await step(page, () => f.locator("#sw").click());
    await f.locator("#sw-state", { hasText: "开关：开" }).waitFor();
    assert.equal(await f.locator("#sw").getAttribute("checked"), "");
    // The scroll-view scrolls.
    const scrolled = await page.evaluate(() => {
      const s = document.getElementById("page").contentDocument.querySelector("#scroller");
      s.scrollTop = 40;
      return { top: s.scrollTop, more: s.scrollHeight > s.clientHeight };
    });
    assert.ok(scrolled.more && scrolled.top > 0, JSON.stringify(scrolled));
    // A press shows hover-class on the element pressed and its ancestors, a button's default
    // press look, and goes hover-stay-time after release.
    const press = (sel, type) =>
      page.evaluate(
        ([sel, type]) => {
          const e = document.getElementById("page").contentDocument.querySelector(sel);
          e.dispatchEvent(new PointerEvent(type, { bubbles: true }));
        },
        [sel, type],
      );
    await press("#press-inner", "pointerdown");
    assert.equal((await styleOf(page, "#press-inner", ["color"])).color, "rgb(200, 100, 0)");
    assert.equal((await styleOf(page, "#press", ["background-color"]))["background-color"], "rgb(10, 20, 30)");
    await press("#press-inner", "pointerup");
    await page.waitForFunction(() => {
      const d = document.getElementById("page").contentDocument;
      return !d.querySelector("[mp-hovering]");
    });
    assert.equal((await styleOf(page, "#press", ["background-color"]))["background-color"], "rgba(0, 0, 0, 0)");
    await press("#go", "pointerdown");
    assert.equal((await styleOf(page, "#go", ["filter"])).filter, "brightness(0.9)");
    await press("#go", "pointerup");
    // A selector picker opens its options (range-key's labels); the one chosen is the step
    // change(SELECTOR)=INDEX, and the page shows it.
    await f.locator("#fruit-label").click();
    const options = page.locator('[aria-label="picker options"] button');
    assert.deepEqual(await options.allTextContents(), ["苹果", "香蕉", "橙子", "取消"]);
    await step(page, () => options.filter({ hasText: "橙子" }).click());
    await f.locator("#fruit-label", { hasText: "水果：橙子" }).waitFor();
    assert.match(await page.locator("#transcript").textContent(), /change\(picker#fruit\)=2/);
    await shot(page, "31-styles-after-input");
    assert.deepEqual(errors, []);
    await close();
  });

  test("the phone size: the selector and the run's getSystemInfo follow each other", async () => {
    const { page, errors, close } = await open("styles");
    assert.equal(await page.locator("#device").inputValue(), "iPhone 6/7/8");
    assert.match(await page.locator("#transcript").textContent(), /log: window 375 667 iPhone 6\/7\/8 2/);
    await step(page, () => page.locator("#device").selectOption("iPhone 6/7/8 Plus"));
    assert.match(await page.locator("#transcript").textContent(), /log: window 414 736 iPhone 6\/7\/8 Plus 3/);
    assert.equal((await styleOf(page, "#full", [])).width, 414, "750rpx follows the new width");
    await phone(page).locator("#width", { hasText: "windowWidth: 414" }).waitFor();
    const frame = await page.locator("#page").evaluate((f) => [f.offsetWidth, f.offsetHeight]);
    assert.deepEqual(frame, [414, 736]);
    await shot(page, "32-styles-iphone-plus");
    assert.deepEqual(errors, []);
    await close();
  });

  test("dark mode, when app.json asks for it: theme.json's colours and the WXSS dark media query", async () => {
    const { page, errors, close } = await open("styles");
    assert.equal(await page.locator("#themebox").isVisible(), true, "the theme choice shows for a darkmode app");
    const look = () =>
      page.evaluate(() => {
        const doc = document.getElementById("page").contentDocument;
        const win = doc.defaultView;
        return { nav: win.getComputedStyle(doc.querySelector(".mp-nav")).backgroundColor, page: win.getComputedStyle(doc.querySelector("wx-page")).backgroundColor };
      });
    assert.deepEqual(await look(), { nav: "rgb(31, 111, 235)", page: "rgb(238, 238, 238)" });
    await step(page, () => page.locator("#theme").selectOption("dark"));
    assert.deepEqual(await look(), { nav: "rgb(13, 17, 23)", page: "rgb(17, 17, 17)" });
    await shot(page, "33-styles-dark");
    // classic does not ask for dark mode: no theme choice.
    await start(page, "classic");
    assert.equal(await page.locator("#themebox").isVisible(), false);
    assert.deepEqual(errors, []);
    await close();
  });

  test("every example, drawn (screenshots), and readable at 375 px", async () => {
    const { page, errors, close } = await open(null, { width: 375, height: 812 });
    const names = await page.locator("#projects button").evaluateAll((bs) => bs.map((b) => b.dataset.name));
    assert.ok(names.includes("classic") && names.includes("styles"), names.join(", "));
    for (const name of names) {
      await start(page, name);
      const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      assert.ok(sw <= cw, `${name}: no horizontal scroll (${sw} > ${cw})`);
      await page.locator("#page").scrollIntoViewIfNeeded();
      await shot(page, `40-example-${name}`);
      await page.locator("#page").screenshot({ path: join(process.env.MINIPERM_ARTEFACTS || join(ROOT, "target/artefacts/browser"), `41-phone-${name}.png`) });
    }
    assert.deepEqual(errors, []);
    await close();
  });
});
