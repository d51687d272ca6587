// Shared pieces of the browser tests: the miniperm binary, a `miniperm serve` on a free port
// over a temporary store, Debian's chromium through playwright-core, and the artefact folder.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = process.env.MINIPERM_BIN || join(ROOT, "target/debug/miniperm");
export const ARTEFACTS = process.env.MINIPERM_ARTEFACTS || join(ROOT, "target/artefacts/browser");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-quic",
  "--disable-sync",
];

mkdirSync(ARTEFACTS, { recursive: true });

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/** Screenshots `page` into the artefact folder as NAME.png. */
export async function shot(page, name, opts = {}) {
  await page.screenshot({ path: join(ARTEFACTS, name + ".png"), ...opts });
}

/** A scratch folder, removed by the returned function. */
export function scratch(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts `miniperm serve --listen 127.0.0.1:0` on a temporary store (the port is read from the
 * line the server prints once it listens). `prepare(db)` runs on the store's path first.
 * Resolves to { base, stop }.
 */
export function serve(extraArgs = [], prepare = null) {
  const tmp = scratch("miniperm-browser-");
  if (prepare) prepare(join(tmp.dir, "store.db"));
  const child = spawn(BIN, ["serve", "--listen", "127.0.0.1:0", "--db", join(tmp.dir, "store.db"), ...extraArgs], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    tmp.remove();
  };
  return new Promise((resolveStart, reject) => {
    child.once("exit", (code) => reject(new Error(`miniperm serve exited (${code}) before listening: ${err}${out}`)));
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/simulator (http:\/\/127\.0\.0\.1:\d+)\//);
      if (m) resolveStart({ base: m[1], stop, output: () => out + err });
    });
  });
}
