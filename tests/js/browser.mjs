// Drive Debian's chromium (never a downloaded browser) to one page, with the network cut
// to 127.0.0.1, and wait for a text to appear. Prints one JSON line; exit 0 when it appeared.
//   node browser.mjs URL graphiql EXPECTED   click GraphiQL's run button, wait in the result
//   node browser.mjs URL text EXPECTED       wait for the page's text
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, mode, expected] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "vanta-chromium-"));
const outside = [];
const problems = [];
let result = { ok: false };
// A fresh, empty profile each run (launchPersistentContext sets --user-data-dir).
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    // The network cut: no host but 127.0.0.1 resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  ],
});
try {
  const page = await browser.newPage();
  await page.route("**/*", (route) => {
    const host = new URL(route.request().url()).hostname;
    if (host === "127.0.0.1") return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  await page.goto(url, { waitUntil: "load", timeout: 30000 });
  if (mode === "graphiql") {
    await page.waitForSelector(".graphiql-execute-button", { timeout: 30000 });
    await page.click(".graphiql-execute-button");
    await page.waitForFunction(
      (text) => (document.querySelector(".result-window")?.innerText || "").includes(text),
      expected,
      { timeout: 30000 },
    );
    result.text = await page.locator(".result-window").innerText();
    result.docs = (await page.locator(".graphiql-sidebar button").count()) > 0;
  } else {
    await page.waitForFunction(
      (text) => document.body.innerText.includes(text), expected, { timeout: 30000 },
    );
    result.text = await page.locator("body").innerText();
  }
  result.ok = true;
} catch (error) {
  result.error = String(error);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
result.outside = outside;
result.problems = problems;
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
