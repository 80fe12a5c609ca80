#!/usr/bin/env node
// The GUI end-to-end test: a person's path through the real workbench in headless Chromium, with the extension
// loaded for development. Command palette -> "HAPS: Route Query" -> a question -> the route panel shows the
// assignment (saved as test-results/route-panel.png); then the HAPS activity-bar icon -> the sidebar chat -> a
// question with a fenced code block -> an answer with its route badge; Get Started has given way, the conversation
// holds at least half of the sidebar and the block (highlighted, with Copy / Insert at Cursor / New File) is inside
// its visible part (test-results/chat-question.png); then the workspace's settings switch to a configuration whose
// candidate is a remote OpenAI-compatible model (a loopback stand-in speaking the wire format) -> an ANSWER with a
// Python block -> Insert at Cursor writes it into the open editor (test-results/chat.png); then "Developer: Reload
// Window" -> the chat's keybinding -> the same conversation
// (test-results/chat-after-reload.png). Before those, the Get Started view's welcome
// with its three buttons and the chat's line saying the embedded models answer (test-results/welcome.png); after
// them, an evaluation notebook (a small spec, opened from the workspace) run with the notebook's Run All -> its cell
// leads with the main table, then the quality-cost chart drawn as SVG by the output renderer, the details folded
// (test-results/notebook.png).
//
// Before that, in the same browser, the webviews' Markdown renderer (webview/shared/markdown.ts, bundled here on its
// own) gets model text with <script>, <img onerror> and javascript: links and must keep them as text.
//
// Run by scripts/vscode/runVsCodeTests.mjs after the extension tests, or directly: `node scripts/vscode/guiTest.mjs`
// (after `npm run build`). Environment: HAPS_GUI_TIMEOUT_MS, the whole test's limit (defaults to 300 000).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import * as esbuild from "esbuild";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { exited, killGroup, launchChromium, prepareScratch, startCodeServer, tail, workbenchUrl } from "./codeServer.mjs";
import { setupVsCodeToolsPresent } from "./setup.mjs";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TIMEOUT_MS = Number(process.env.HAPS_GUI_TIMEOUT_MS) || 480_000;
/** Routes on the embedded models take seconds; the first one also generates the models and starts llama.cpp. */
const ROUTE_TIMEOUT_MS = 180_000;

const log = (line) => process.stderr.write(`[gui-test] ${line}\n`);

/** The first frame (webviews are nested iframes) in which `selector` matches, polled until `timeoutMs`. */
async function frameWith(page, selector, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      try {
        if (await frame.$(selector)) return frame;
      } catch {
        // a frame that is navigating or already gone
      }
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no frame shows ${selector} after ${timeoutMs / 1000} s`);
}

/**
 * The sanitising Markdown renderer in a real browser page: Markdown becomes markup, HTML in the text stays text, and
 * nothing runs. Throws with what went wrong.
 */
export async function checkMarkdownRenderer(browser) {
  const bundle = await esbuild.build({
    entryPoints: [join(repoRoot, "webview/shared/markdown.ts")],
    bundle: true,
    format: "iife",
    globalName: "HapsMarkdown",
    platform: "browser",
    write: false,
  });
  const page = await browser.newPage();
  try {
    await page.setContent("<!DOCTYPE html><html><body><div id=out></div></body></html>");
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    const text =
      '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> **bold** and `code`\n\n' +
      "[docs](https://example.com/a) [trap](javascript:window.pwned=3) ![pic](https://example.com/x.png)";
    const result = await page.evaluate(async (input) => {
      const out = document.getElementById("out");
      out.append(window.HapsMarkdown.renderMarkdown(input));
      await new Promise((r) => setTimeout(r, 300)); // an onerror would have fired by now
      return {
        pwned: window.pwned ?? null,
        text: out.textContent,
        unsafe: out.querySelectorAll("script, img, iframe, object, embed, style").length,
        strong: out.querySelectorAll("strong").length,
        code: out.querySelectorAll("code").length,
        links: [...out.querySelectorAll("a")].map((a) => a.getAttribute("href")),
      };
    }, text);
    const problems = [];
    if (result.pwned !== null) problems.push(`script ran (pwned = ${result.pwned})`);
    if (result.unsafe !== 0) problems.push(`${result.unsafe} unsafe element(s)`);
    if (!result.text.includes("<script>window.pwned = 1</script>") || !result.text.includes("<img src=x onerror=")) problems.push("the HTML is not shown as text");
    if (result.strong !== 1 || result.code !== 1) problems.push(`Markdown not rendered (strong ${result.strong}, code ${result.code})`);
    if (result.links.some((href) => href && !/^https:/.test(href)) || !result.links.includes("https://example.com/a")) problems.push(`links: ${JSON.stringify(result.links)}`);
    if (problems.length > 0) throw new Error(`Markdown renderer: ${problems.join("; ")}`);
  } finally {
    await page.close();
  }
}

/** The notebook the GUI test runs: a small evaluation on the keyword benchmark's generated models (no training). */
const NOTEBOOK = {
  hapseval: 1,
  cells: [
    { kind: "markdown", source: "# A small evaluation" },
    {
      kind: "spec",
      source: JSON.stringify(
        {
          benchmark: { name: "keyword", phrasings: 2, train: 1, valid: 0 },
          seeds: [1],
          alphas: [0, 0.5],
          methods: ["random", "fixed", "oracle"],
          ablations: { highLevel: false, lowLevel: false, sharing: false, depths: [] },
        },
        null,
        2,
      ),
    },
  ],
};

/**
 * The HAPS sidebar as a newcomer sees it: the Get Started view's welcome (what HAPS does, the embedded models, the
 * three buttons) above the chat, whose models line says the embedded models answer. Saves welcome.png.
 */
async function checkWelcome(page, resultsDir) {
  const welcome = page.locator(".welcome-view-content").filter({ hasText: "embedded tiny models" }).first();
  await welcome.waitFor({ timeout: 30_000 });
  for (const label of ["Download Starter Models", "Select Models", "Set Cost Preference"]) {
    const button = welcome.locator(".monaco-button", { hasText: label }).first();
    if (!(await button.isVisible())) throw new Error(`the Get Started view shows no "${label}" button`);
  }
  const chat = await frameWith(page, '[data-field="models"].embedded', 30_000);
  const models = (await chat.locator('[data-field="models"]').textContent()) ?? "";
  if (!/embedded tiny models/.test(models)) throw new Error(`the chat's models line says ${JSON.stringify(models)}`);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(resultsDir, "welcome.png") });
  log("Get Started view with its three buttons, the chat's models line; saved welcome.png");
}

/**
 * Opens the workspace's eval.hapseval, runs it, and checks what the cell shows: the main table first, the
 * quality-cost chart rendered as an SVG with marks, the other outputs after, the details folded. Saves notebook.png.
 */
async function checkNotebook(page, resultsDir) {
  await quickOpen(page, "Control+P", "eval.hapseval");
  await page.locator(".notebook-editor").first().waitFor({ timeout: 30_000 });
  // The notebook toolbar's Run All, as a person would.
  await page.locator(".notebook-editor").getByRole("button", { name: /^Run All/ }).first().click({ timeout: 15_000 });
  log("evaluation notebook: Run All");
  // Outputs render in the notebook's output webview (an iframe): the report's HTML and the charts' SVG.
  const outputs = await frameWith(page, ".haps-report table", ROUTE_TIMEOUT_MS);
  await outputs.locator('svg[class*="marks"]').first().waitFor({ timeout: 60_000 });
  const layout = await outputs.evaluate(() => {
    const all = [...document.querySelectorAll('.haps-report, svg[class*="marks"]')].filter((el) => el.tagName.toLowerCase() !== "svg" || !el.parentElement?.closest("svg"));
    const top = (el) => el.getBoundingClientRect().top;
    const lead = all.find((el) => el.classList?.contains("haps-report") && !el.querySelector("details"));
    const details = all.find((el) => el.classList?.contains("haps-report") && el.querySelector("details"));
    const charts = all.filter((el) => el.tagName.toLowerCase() === "svg");
    const chart = charts[0];
    return {
      lead: lead ? { top: top(lead), text: lead.textContent ?? "", tables: lead.querySelectorAll(".haps-table table").length } : null,
      chart: chart
        ? {
            top: top(chart),
            width: chart.getBoundingClientRect().width,
            // Within the output's width (a wide chart is scaled down, not cut at the right edge).
            fits: chart.getBoundingClientRect().right <= document.documentElement.clientWidth + 1,
            paths: chart.querySelectorAll("path").length,
          }
        : null,
      charts: charts.length,
      details: details ? { top: top(details), open: details.querySelector("details").open } : null,
    };
  });
  const problems = [];
  if (!layout.lead || !/Main results/.test(layout.lead.text) || layout.lead.tables < 1) problems.push("no main results table");
  if (!layout.chart || layout.chart.paths < 2 || layout.chart.width < 100) problems.push(`no drawn chart (${JSON.stringify(layout.chart)})`);
  else if (!layout.chart.fits) problems.push("the chart is cut at the output's right edge");
  if (layout.lead && layout.chart && !(layout.lead.top < layout.chart.top)) problems.push("the chart is above the main table");
  if (!layout.details || layout.details.open) problems.push("the detailed tables are not folded");
  if (layout.details && layout.chart && !(layout.chart.top < layout.details.top)) problems.push("the details come before the chart");
  if (problems.length > 0) throw new Error(`evaluation notebook: ${problems.join("; ")} (${JSON.stringify(layout).slice(0, 800)})`);
  // The main table and the quality-cost chart together in the screenshot: a taller window, and the notebook scrolled
  // (by the wheel, as a person would; the outputs' frame moves with the notebook's list) to the cell's first output.
  await page.setViewportSize({ width: 1440, height: 1400 });
  await page.waitForTimeout(500);
  const notebookBox = await page.locator(".notebook-editor").first().boundingBox();
  await page.mouse.move(notebookBox.x + notebookBox.width / 2, notebookBox.y + notebookBox.height / 2);
  for (let i = 0; i < 5; i++) {
    const lead = await outputs.locator(".haps-report").first().boundingBox();
    const delta = lead.y - (notebookBox.y + 60);
    if (Math.abs(delta) < 20) break;
    await page.mouse.wheel(0, delta);
    await page.waitForTimeout(400);
  }
  await page.screenshot({ path: join(resultsDir, "notebook.png") });
  // The whole report is one click away: its link under the main table opens report.md in an editor. The link must
  // be on screen first (the outputs' frame cannot scroll itself into view: the notebook's list scrolls it).
  // The lead (main table, differences with their intervals, regret) can be taller than the window: scroll until the
  // link is inside the notebook's visible part.
  const link = outputs.locator(".haps-files a", { hasText: "report.md" }).first();
  for (let i = 0; i < 8; i++) {
    const linkBox = await link.boundingBox();
    const middle = notebookBox.y + notebookBox.height / 2;
    if (linkBox.y > notebookBox.y + 40 && linkBox.y < notebookBox.y + notebookBox.height - 40) break;
    await page.mouse.wheel(0, linkBox.y - middle);
    await page.waitForTimeout(400);
  }
  await link.click();
  await page.locator('.tabs-container .tab[aria-label*="report.md"]').first().waitFor({ timeout: 30_000 });
  log("the report.md link under the main table opened report.md");
  await page.setViewportSize({ width: 1440, height: 900 });
  log(`notebook cell: main table, then ${layout.charts} chart(s) (${layout.chart.paths} paths in the first), details folded; saved notebook.png`);
}

/**
 * The chat's code block as it is on screen: the language label, how many highlighted tokens are visible with a
 * colour of their own, and which of its buttons are visible inside the view. Throws with what is missing.
 */
async function checkCodeBlockOnScreen(chat, language, within = ".messages") {
  const block = chat.locator(`${within} .code-block[data-language="${language}"]`).first();
  await block.waitFor({ state: "visible", timeout: 30_000 });
  await block.scrollIntoViewIfNeeded();
  const seen = await block.evaluate((el) => {
    const code = el.querySelector("pre > code");
    // Fully inside the conversation's visible part (not under the models line or the composer) and the window.
    const box = el.closest(".messages").getBoundingClientRect();
    const view = { left: Math.max(0, box.left), top: Math.max(0, box.top), right: Math.min(window.innerWidth, box.right), bottom: Math.min(window.innerHeight, box.bottom) };
    const onScreen = (node) => {
      const r = node.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.left >= view.left - 1 && r.top >= view.top - 1 && r.right <= view.right + 1 && r.bottom <= view.bottom + 1;
    };
    const base = getComputedStyle(code).color;
    const colours = new Set();
    let tokens = 0;
    for (const span of el.querySelectorAll("pre span[class^='hljs-']")) {
      const colour = getComputedStyle(span).color;
      if (colour !== base && onScreen(span)) {
        tokens++;
        colours.add(colour);
      }
    }
    return {
      label: el.querySelector(".code-language")?.textContent ?? "",
      tokens,
      colours: colours.size,
      buttons: [...el.querySelectorAll("[data-code-action]")].filter(onScreen).map((b) => b.getAttribute("aria-label")),
      code: code.textContent,
    };
  });
  const problems = [];
  if (seen.label !== language) problems.push(`language label ${JSON.stringify(seen.label)}`);
  if (seen.tokens < 3 || seen.colours < 2) problems.push(`${seen.tokens} highlighted tokens in ${seen.colours} colours on screen`);
  if (seen.buttons.join("|") !== "Copy|Insert at Cursor|New File") problems.push(`buttons on screen: ${JSON.stringify(seen.buttons)}`);
  if (problems.length > 0) throw new Error(`the chat's code block: ${problems.join("; ")}`);
  return seen;
}

/**
 * The sidebar once a question was asked: the Get Started view has gone, and the conversation (the chat's scrolling
 * part, between the models line and the composer) holds at least half of the sidebar's height.
 */
async function checkSidebarShare(page, chat) {
  await page.locator(".part.sidebar .pane-header", { hasText: "Get Started" }).first().waitFor({ state: "detached", timeout: 15_000 });
  const sidebar = await page.locator(".part.sidebar").first().boundingBox();
  const conversation = await chat.locator(".messages").evaluate((el) => el.getBoundingClientRect().height);
  const share = conversation / sidebar.height;
  if (!(share >= 0.5)) throw new Error(`the conversation holds ${(100 * share).toFixed(0)} % of the sidebar's height (${conversation.toFixed(0)} of ${sidebar.height.toFixed(0)} px); at least 50 % expected`);
  return share;
}

/** A reply of a coding model, in the agents' JSON action format, with a fenced Python block in its answer. */
const REMOTE_ANSWER = "Here is one:\n\n```python\ndef double(n: int) -> int:\n    \"\"\"Twice n.\"\"\"\n    return 2 * n\n```";

/**
 * A loopback stand-in for an OpenAI-compatible chat-completions server (a paid API cannot be reached from here),
 * speaking its wire format: POST /v1/chat/completions, JSON or server-sent events, usage counts. Every turn gets the
 * same reply: the Student finishes with REMOTE_ANSWER, the Teacher lets it stand. `requests` keeps what it was sent.
 */
async function startFakeOpenAi() {
  const requests = [];
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
      return;
    }
    const request = JSON.parse(body);
    requests.push(request);
    const content = JSON.stringify({ summary: "A function that doubles.", thought: "Multiply by two.", action: "Finish", argument: REMOTE_ANSWER, verdict: "Continue", advice: "Fine." });
    const usage = { prompt_tokens: 40, completion_tokens: 30 };
    if (!request.stream) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: "c1", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }], usage }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta: { role: "assistant", content }, finish_reason: "stop" }] })}\n\n`);
    res.end(`data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [], usage })}\n\ndata: [DONE]\n\n`);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { server, requests, baseUrl: `http://127.0.0.1:${server.address().port}/v1` };
}

/** The embedded router the extension generated in its global storage (by the first route), found by its name. */
function embeddedRouter(userDataDir) {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (/^haps-router-64x4-[0-9a-f]{12}\.gguf$/.test(entry.name)) found.push(join(dir, entry.name));
    }
  };
  walk(join(userDataDir, "User", "globalStorage"));
  if (found.length === 0) throw new Error(`no embedded router under ${userDataDir}/User/globalStorage`);
  return found[0];
}

/**
 * Changes the workspace's settings file (.vscode/settings.json) as an edit in the Settings editor's Workspace tab
 * would; the workbench watches the file. (code-server did not pick up a change of the profile's own settings.json.)
 */
function setWorkspaceSetting(workspace, key, value) {
  const file = join(workspace, ".vscode", "settings.json");
  mkdirSync(join(workspace, ".vscode"), { recursive: true });
  let settings = {};
  try {
    settings = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    // no settings yet
  }
  if (value === undefined) delete settings[key];
  else settings[key] = value;
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}

/**
 * Opens the quick input with `key` (Control+P: Quick Open; F1: the command palette), types `text`, waits for a row
 * whose label has `label` in it, and picks the first such row.
 */
async function quickOpen(page, key, text, label = text) {
  await page.keyboard.press(key);
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible", timeout: 15_000 });
  await input.fill(text);
  await page.locator(`.quick-input-list .monaco-list-row[aria-label*="${label}"]`).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press("Enter");
}

/** Opens the command palette and runs the command with this exact title. */
async function runCommand(page, title) {
  await quickOpen(page, "F1", `>${title}`, title);
}

/**
 * Runs the test; resolves with { passed, failed, message }. The screenshots go to `resultsDir`; on failure the
 * workbench as it was goes to gui-failure.png there.
 */
export async function runGuiTest({ resultsDir = join(repoRoot, "test-results") } = {}) {
  const tools = setupVsCodeToolsPresent();
  const { scratch, userDataDir, extensionsDir, env } = prepareScratch(tools, { prefix: "gui-" });
  mkdirSync(resultsDir, { recursive: true });
  let server = null;
  let browser = null;
  let page = null;
  let fake = null;
  const started = Date.now();
  let timer;
  try {
    const run = async () => {
      // The workbench honours the development-extension payload only with the smoke-test driver enabled.
      const cs = await startCodeServer({ tools, scratch, userDataDir, extensionsDir, env, smokeTestDriver: true });
      server = cs.server;
      browser = await launchChromium(tools, env);
      await checkMarkdownRenderer(browser);
      log("Markdown renderer keeps <script>, <img onerror> and javascript: links as text");
      page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      page.on("pageerror", (error) => log(`page error: ${error.message}`));
      // A workspace (its own state keeps the chat's conversation across reloads) with the evaluation notebook the
      // test opens.
      const workspace = join(scratch, "workspace");
      mkdirSync(workspace, { recursive: true });
      writeFileSync(join(workspace, "eval.hapseval"), JSON.stringify(NOTEBOOK, null, 2));
      writeFileSync(join(workspace, "README.md"), "A workspace for the GUI test.\n");
      await page.goto(workbenchUrl(cs.origin, cs.port, { folder: workspace, extensionDevelopmentPaths: [repoRoot] }));
      const workbenchReady = async () => {
        await page.locator(".monaco-workbench .part.statusbar").waitFor({ timeout: 90_000 });
        // The workbench restores its layout and registers the extension's contributions shortly after it paints.
        await page.locator('.activitybar [aria-label*="HAPS Router"]').first().waitFor({ timeout: 60_000 });
        await page.locator(".monaco-workbench").click({ position: { x: 700, y: 450 } });
      };
      await workbenchReady();
      log("workbench ready");

      // What a newcomer sees first: the HAPS sidebar before any question. Then back to the Explorer, so that the
      // chat step below opens the HAPS sidebar with the same click a person would make.
      await page.locator('.activitybar [aria-label*="HAPS Router"]').first().click();
      await checkWelcome(page, resultsDir);
      await page.locator('.activitybar [aria-label^="Explorer"]').first().click();

      // Route Query's keybinding (Ctrl+Alt+H) opens its input box.
      await page.keyboard.press("Control+Alt+KeyH");
      await page.locator('.quick-input-widget .quick-input-title:has-text("HAPS: Route Query")').waitFor({ timeout: 15_000 });
      await page.keyboard.press("Escape");
      await page.locator(".quick-input-widget").waitFor({ state: "hidden", timeout: 15_000 });
      log("Ctrl+Alt+H opens HAPS: Route Query");

      // Command palette -> HAPS: Route Query -> the question in its input box.
      const question = "Which river flows through the city where the Eiffel Tower stands?";
      await runCommand(page, "HAPS: Route Query");
      const box = page.locator(".quick-input-widget .quick-input-box input");
      await page.locator('.quick-input-widget .quick-input-title:has-text("HAPS: Route Query")').waitFor({ timeout: 15_000 });
      await box.fill(question);
      await page.keyboard.press("Enter");
      log("Route Query sent");

      const panel = await frameWith(page, '[data-section="routing"]', 60_000);
      await panel.locator(".status.done").waitFor({ timeout: ROUTE_TIMEOUT_MS });
      const rows = await panel.locator("tr[data-choice]").evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute("data-choice"), tr.querySelector('[data-field="model"]')?.textContent ?? ""]),
      );
      const agents = rows.map(([agent]) => agent).sort();
      if (agents.join(",") !== "student,teacher" || rows.some(([, model]) => !/^haps-/.test(model))) {
        throw new Error(`the route panel's assignment is not one embedded model per agent: ${JSON.stringify(rows)}`);
      }
      const shownQuestion = await panel.locator('[data-field="question"]').textContent();
      if (shownQuestion !== question) throw new Error(`the route panel shows the question ${JSON.stringify(shownQuestion)}`);
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(resultsDir, "route-panel.png") });
      log(`route panel: ${rows.map(([a, m]) => `${a} -> ${m}`).join(", ")}; saved route-panel.png`);

      // The activity-bar icon -> the sidebar chat -> a question with code in it -> an answer with its badge; the code
      // block highlighted, with its buttons.
      await page.locator('.activitybar [aria-label*="HAPS Router"]').first().click();
      let chat = await frameWith(page, ".composer", 60_000);
      const chatQuestion = "What does this print?\n```python\ndef twice(x):\n    return 2 * x  # doubled\nprint(twice(21))\n```";
      await chat.locator("vscode-text-area textarea").click();
      await chat.locator("vscode-text-area textarea").fill(chatQuestion);
      await page.keyboard.press("Enter");
      await chat.locator(".route-badge").first().waitFor({ timeout: ROUTE_TIMEOUT_MS });
      const badge = (await chat.locator(".route-badge").first().textContent())?.trim() ?? "";
      if (!/Student: .+ · Teacher: .+ · \d+ tokens · cost /.test(badge)) throw new Error(`unexpected route badge: ${JSON.stringify(badge)}`);
      // Once a question was asked, Get Started gives way: the conversation has most of the sidebar, and the code
      // block with its buttons is inside its visible part.
      const share = await checkSidebarShare(page, chat);
      const block = await checkCodeBlockOnScreen(chat, "python");
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(resultsDir, "chat-question.png") });
      log(`chat answered (${badge}); the conversation holds ${(100 * share).toFixed(0)} % of the sidebar; code block: ${block.tokens} highlighted tokens in ${block.colours} colours, buttons ${block.buttons.join(", ")}; saved chat-question.png`);

      // An answer with code: the workspace's settings name a configuration whose one candidate is a remote
      // OpenAI-compatible model (the loopback stand-in); a text editor is open for Insert at Cursor.
      fake = await startFakeOpenAi();
      const remoteConfig = join(scratch, "haps-remote.json");
      writeFileSync(
        remoteConfig,
        JSON.stringify({
          router: { model: embeddedRouter(userDataDir) },
          agents: [
            { id: "teacher", role: "Teacher: reviews each step." },
            { id: "student", role: "Student: answers." },
          ],
          candidates: [{ id: "remote-coder", kind: "openai", baseUrl: fake.baseUrl, model: "coder-1", description: "a remote coding model", structuredOutput: "none", prefill: "none", retries: 0 }],
          protocol: { searchBudget: 0 },
        }),
      );
      setWorkspaceSetting(workspace, "haps.configFile", remoteConfig);
      await chat.locator('[data-field="models"]', { hasText: "haps-remote.json" }).waitFor({ timeout: 30_000 });
      await quickOpen(page, "Control+P", "README.md");
      await page.locator('.tabs-container .tab[aria-label*="README.md"]').first().waitFor({ timeout: 15_000 });
      const codeQuestion = "Write a Python function that doubles a number.";
      await chat.locator("vscode-text-area textarea").click();
      await chat.locator("vscode-text-area textarea").fill(codeQuestion);
      await page.keyboard.press("Enter");
      const remoteAnswer = chat.locator(".message.assistant").nth(1);
      await remoteAnswer.locator(".route-badge").waitFor({ timeout: ROUTE_TIMEOUT_MS });
      const remoteBadge = (await remoteAnswer.locator(".route-badge").textContent())?.trim() ?? "";
      const [studentPart, teacherPart] = remoteBadge.split(" · ");
      if (!/^Student: .*remote-coder/.test(studentPart ?? "") || !/^Teacher: .*remote-coder/.test(teacherPart ?? "")) throw new Error(`the remote answer's badge: ${JSON.stringify(remoteBadge)}`);
      if (!fake.requests.some((r) => JSON.stringify(r.messages).includes(codeQuestion))) throw new Error("the remote model was never sent the question");
      const answerBlock = await checkCodeBlockOnScreen(chat, "python", ".message.assistant");
      if (!answerBlock.code.includes("def double(n: int) -> int:")) throw new Error(`the answer's code block holds ${JSON.stringify(answerBlock.code)}`);
      // Insert at Cursor writes the block into the editor (README.md, at its cursor).
      await chat.locator('.message.assistant .code-block [data-code-action="insert"]').first().click();
      const editorText = async () => (await page.locator(".editor-instance .monaco-editor .view-lines").first().textContent())?.replace(/\u00a0/g, " ") ?? "";
      for (let i = 0; i < 40 && !(await editorText()).includes("return 2 * n"); i++) await page.waitForTimeout(250);
      const inserted = await editorText();
      if (!inserted.includes("def double(n: int) -> int:") || !inserted.includes("return 2 * n") || !inserted.includes("A workspace for the GUI test.")) {
        throw new Error(`after Insert at Cursor the editor shows ${JSON.stringify(inserted.slice(0, 300))}`);
      }
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(resultsDir, "chat.png") });
      log(`remote answer (${remoteBadge}) with a python block (${answerBlock.tokens} highlighted tokens, buttons ${answerBlock.buttons.join(", ")}); Insert at Cursor wrote it into README.md; saved chat.png`);
      // Back to the embedded models, README.md as it was on disk, before the reload.
      setWorkspaceSetting(workspace, "haps.configFile", undefined);
      await chat.locator('[data-field="models"].embedded').waitFor({ timeout: 30_000 });
      await runCommand(page, "File: Revert File");
      await page.locator('.tabs-container .tab.dirty[aria-label*="README.md"]').waitFor({ state: "detached", timeout: 15_000 });
      await runCommand(page, "View: Close All Editors");

      // Developer: Reload Window -> the chat's keybinding (Ctrl+Alt+Shift+H) -> the same conversation (kept in the
      // workspace's state).
      await runCommand(page, "Developer: Reload Window");
      await page.waitForEvent("load", { timeout: 60_000 });
      await workbenchReady();
      // The side bar comes back as it was; close it, so that only the keybinding can bring the chat back.
      await runCommand(page, "View: Close Primary Side Bar");
      await page.locator(".part.sidebar").waitFor({ state: "hidden", timeout: 15_000 });
      await page.keyboard.press("Control+Alt+Shift+KeyH");
      await page.locator(".part.sidebar").waitFor({ state: "visible", timeout: 15_000 });
      chat = await frameWith(page, ".route-badge", 60_000);
      const restored = await chat.locator("article[data-message]").evaluateAll((els) => els.map((el) => [el.dataset.role, el.querySelector('[data-field="badge"]')?.textContent?.trim() ?? ""]));
      if (restored.map(([role]) => role).join(",") !== "user,assistant,user,assistant" || restored[1][1] !== badge || restored[3][1] !== remoteBadge) {
        throw new Error(`after the reload the chat shows ${JSON.stringify(restored)}, not the two questions and their answers with badges ${JSON.stringify([badge, remoteBadge])}`);
      }
      const after = await checkCodeBlockOnScreen(chat, "python");
      if (after.code !== block.code) throw new Error(`after the reload the code block holds ${JSON.stringify(after.code)}`);
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(resultsDir, "chat-after-reload.png") });
      log("after Developer: Reload Window the chat shows the same question, code block and answer; saved chat-after-reload.png");

      await checkNotebook(page, resultsDir);
    };
    await Promise.race([
      run(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS / 1000} s`)), TIMEOUT_MS))),
    ]);
    log(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { passed: 1, failed: 0, message: null };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`FAILED: ${message}`);
    if (page) await page.screenshot({ path: join(resultsDir, "gui-failure.png") }).catch(() => undefined);
    log(`code-server's last lines:\n${tail(join(scratch, "code-server.log"), 15)}`);
    return { passed: 0, failed: 1, message };
  } finally {
    clearTimeout(timer);
    if (fake) {
      fake.server.closeAllConnections();
      fake.server.close();
    }
    if (browser) await browser.close().catch(() => undefined);
    if (server) {
      killGroup(server, "SIGTERM");
      await exited(server, 3_000);
      killGroup(server, "SIGKILL");
    }
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await runGuiTest();
  console.log(`gui: ${result.passed} passed, ${result.failed} failed`);
  process.exitCode = result.failed > 0 ? 1 : 0;
}
