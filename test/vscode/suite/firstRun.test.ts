// The first run: the Get Started view (viewsWelcome) and the walkthrough offer Download Starter Models, Select Models
// and Set Cost Preference, every link in them runs a command the extension registers, and the chat says which models
// answer - the embedded ones, with what they are for, until real ones are set; then the configured ones.
import assert from "node:assert/strict";
import * as vscode from "vscode";
import { EXTENSION_ID, hapsApi, waitFor, withSettings } from "./helpers.ts";

interface Manifest {
  contributes: {
    views: Record<string, { id: string; when?: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
    walkthroughs: { id: string; steps: { id: string; description: string; media: { markdown?: string } }[] }[];
  };
}

const commandLinks = (text: string) => [...text.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);

describe("First run", () => {
  it("Get Started and the walkthrough offer the three first steps, and every link runs a registered command", async () => {
    await hapsApi();
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as Manifest;
    const welcome = manifest.contributes.viewsWelcome.find((w) => w.view === "haps.welcome");
    assert.ok(welcome, "welcome content for the Get Started view");
    assert.ok(manifest.contributes.views.haps.some((v) => v.id === "haps.welcome" && v.when === welcome.when), "the view shows while its welcome does");
    assert.match(welcome.contents, /embedded/);
    assert.match(welcome.contents, /gibberish/);
    const links = commandLinks(welcome.contents);
    for (const command of ["haps.downloadStarterModels", "haps.selectModels", "haps.setCostPreference"]) assert.ok(links.includes(command), `a ${command} button`);

    const [walkthrough] = manifest.contributes.walkthroughs;
    const stepLinks = walkthrough.steps.flatMap((s) => commandLinks(s.description));
    for (const command of ["haps.downloadStarterModels", "haps.selectModels", "haps.setCostPreference"]) assert.ok(stepLinks.includes(command), `a walkthrough step runs ${command}`);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const command of [...links.filter((c) => c !== "workbench.action.openWalkthrough"), ...stepLinks]) assert.ok(registered.has(command), `${command} is registered`);
    // The view exists and opens (its welcome is what VS Code draws in it while real models are not set).
    await vscode.commands.executeCommand("haps.welcome.focus");
    // The walkthrough opens by the id the welcome links to.
    await vscode.commands.executeCommand("workbench.action.openWalkthrough", `${EXTENSION_ID}#${walkthrough.id}`, false);
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("the chat says the embedded models answer and what they are for, then names the configured models", async () => {
    const api = await hapsApi();
    await vscode.commands.executeCommand("haps.chat.focus");
    const embedded = await waitFor(api.chat.onDidRender, api.chat.lastSnapshot, (s) => /embedded tiny models/.test(s.models), "the chat's models line");
    assert.match(embedded.models, /gibberish by design/);
    assert.match(embedded.models, /Download Starter Models/, "with its buttons");
    await withSettings({ "models.candidates": [{ model: "/models/alpha.gguf", name: "Alpha" }, { model: "/models/beta-q4.gguf" }] }, async () => {
      const configured = await waitFor(api.chat.onDidRender, api.chat.lastSnapshot, (s) => /^Models:/.test(s.models.trim()), "the models line to name the candidates");
      assert.match(configured.models, /Models: Alpha, beta-q4\.gguf \(from settings\)/);
      assert.doesNotMatch(configured.models, /embedded|Download Starter Models/);
    });
    await waitFor(api.chat.onDidRender, api.chat.lastSnapshot, (s) => /embedded tiny models/.test(s.models), "the embedded models again once the setting is gone");
  });
});
