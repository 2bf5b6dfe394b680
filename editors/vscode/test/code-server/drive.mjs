// Drives VS Code (code-server) in Debian's Chromium with playwright-core: open convex/schema.ts of
// the fixture, see convex-migrate's diagnostic on `role` and its hover, apply the quick fix “Make
// `role` optional first”, and see the diagnostic go; the status bar item says the server runs. One `ok - …` / `not ok - …` line per step.
// Usage: node drive.mjs URL FOLDER SCREENSHOT_DIR
import { chromium } from "playwright-core";

const [url, folder, shots] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu"] });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    console.log(`not ok - ${name}: ${String(e.message).split("\n")[0]}`);
    await page.screenshot({ path: `${shots}/failure.png` }).catch(() => {});
    await browser.close();
    process.exit(1);
  }
}

// Monaco renders spaces as no-break spaces; TypeScript also squiggles the unresolved "convex/…"
// imports (the fixture has no node_modules), so the squiggle that counts is the one on `role`'s line.
const roleSquiggle = () =>
  page.evaluate(() => {
    const line = [...document.querySelectorAll(".monaco-editor .view-line")].find((l) => l.textContent.includes("role:"));
    if (!line) return null;
    const top = line.getBoundingClientRect().top;
    const squiggle = [...document.querySelectorAll(".monaco-editor .squiggly-error")].find((e) => Math.abs(e.getBoundingClientRect().top - top) < 4);
    if (!squiggle) return null;
    const r = squiggle.getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  });
const editorText = () => page.evaluate(() => document.querySelector(".monaco-editor .view-lines")?.textContent.replace(/\u00a0/g, " ") ?? "");
async function until(what, check, timeout = 60000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.waitForTimeout(250);
  }
}

await step("VS Code loads the fixture folder", async () => {
  await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
  await page.waitForSelector(".monaco-workbench", { timeout: 90000 });
});

await step("convex/schema.ts opens (quick open)", async () => {
  // The workbench may still be taking the focus: try quick open until the file is in an editor.
  await until("the editor", async () => {
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+P");
    const input = await page.waitForSelector(".quick-input-widget input", { timeout: 5000 }).catch(() => null);
    if (!input) return false;
    await page.keyboard.type("convex/schema.ts");
    await page.waitForTimeout(1000);
    await page.keyboard.press("Enter");
    await page.waitForTimeout(1500);
    return (await editorText()).includes("role: v.string(),");
  });
});

let at;
await step("the extension starts the server: required-without-backfill squiggles `role`", async () => {
  at = await until("the squiggle on role", roleSquiggle);
  await page.screenshot({ path: `${shots}/1-diagnostic.png` });
});

await step("the status bar item says the server is running (✓ Convex Migrate)", async () => {
  await until("the status item", () =>
    page.evaluate(() =>
      [...document.querySelectorAll(".statusbar-item")].some((item) => item.textContent.includes("Convex Migrate") && item.querySelector(".codicon-check")),
    ),
  30000);
});

await step("hovering `role` shows the diagnostic and the migration state", async () => {
  await page.mouse.move(at.x, at.y);
  const hover = await until("the hover", async () => {
    const text = await page.evaluate(() => [...document.querySelectorAll(".monaco-hover")].map((h) => h.textContent).join("\n"));
    return text.includes("narrowing too early") ? text : null;
  }, 30000);
  for (const expected of ["becomes required", "required-without-backfill", "users.role", "✓ widen", "☐ backfill written"]) {
    if (!hover.includes(expected)) throw new Error(`the hover lacks ${expected}: ${hover}`);
  }
  await page.screenshot({ path: `${shots}/2-hover.png` });
});

await step("Ctrl+. offers “Make `role` optional first” first, and Enter applies it", async () => {
  await page.mouse.click(at.x, at.y);
  await page.keyboard.press("Escape"); // the hover
  // The cursor just moved: let VS Code settle its own code action requests, and ask again if the
  // menu does not come (a request cancelled by the move answers "No code actions available").
  const focused = await until("the quick fix menu", async () => {
    await page.waitForTimeout(1000);
    await page.keyboard.press("Control+.");
    return page
      .waitForSelector(".action-widget .focused", { timeout: 3000 })
      .then((row) => row.textContent())
      .catch(async () => {
        await page.keyboard.press("Escape");
        return null;
      });
  }, 30000);
  await page.screenshot({ path: `${shots}/3-quick-fix.png` });
  if (!focused.includes("Make `role` optional first")) throw new Error(`the preferred action is ${focused}`);
  await page.keyboard.press("Enter");
  await until("the edit", async () => (await editorText()).includes("role: v.optional(v.string()),"), 20000);
});

await step("the diagnostic clears", async () => {
  await until("no squiggle on role", async () => !(await roleSquiggle()), 30000);
  await page.screenshot({ path: `${shots}/4-fixed.png` });
});

await browser.close();
