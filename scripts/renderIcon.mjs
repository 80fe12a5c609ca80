// Renders media/icon.svg to media/icon.png (256 x 256), the Marketplace icon (which must be a PNG), in headless
// Chromium. Run after changing the SVG: `node scripts/renderIcon.mjs`; the PNG is committed.
import { readFileSync, writeFileSync } from "node:fs";
import { chromium } from "playwright-core";

const svg = readFileSync("media/icon.svg", "utf8");
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage({ viewport: { width: 256, height: 256 } });
  await page.setContent(`<!DOCTYPE html><html><body style="margin:0;background:transparent">${svg.replace("<svg ", '<svg width="256" height="256" ')}</body></html>`);
  writeFileSync("media/icon.png", await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: 256, height: 256 } }));
} finally {
  await browser.close();
}
