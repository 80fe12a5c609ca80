// The extension in a real VS Code: lazy activation, the contributed commands, the runtime-info command end to end
// (extension host -> engine process -> llama.cpp), and the settings that reach the engine.
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import * as vscode from "vscode";
import type { RuntimeInfo } from "../../../src/core/runtime/types.ts";
import { EXTENSION_ID, hapsApi, logText } from "./helpers.ts";

/** Every command package.json contributes; each must be registered once the extension is active. */
const COMMANDS = [
  "haps.routeQuery",
  "haps.openRoutePanel",
  "haps.newEvaluationNotebook",
  "haps.trainRouter",
  "haps.selectModels",
  "haps.showRuntimeInfo",
  "haps.setCostPreference",
  "haps.restartEngine",
  "haps.openSettings",
  "haps.showLog",
  "haps.chat.clear",
  "haps.setApiKey",
  "haps.downloadStarterModels",
  "haps.manageModels",
];

/** What the haps.gpu setting implies for the backend llama.cpp reports, whatever machine runs the test. */
function assertBackendMatchesSettings(info: RuntimeInfo): void {
  const gpu = vscode.workspace.getConfiguration("haps").get<string>("gpu", "auto");
  assert.equal(info.backend === "cpu", info.gpu === false, `backend ${info.backend} agrees with gpu ${info.gpu}`);
  if (gpu === "off") {
    assert.equal(info.backend, "cpu");
  } else if (gpu === "auto") {
    // A GPU backend exactly when llama.cpp found a device for it; the CPU otherwise.
    assert.ok(["cpu", "cuda", "vulkan", "metal"].includes(info.backend), info.backend);
    if (info.backend !== "cpu") assert.ok(info.gpuDevices.length > 0, "a GPU backend names its devices");
  } else {
    assert.equal(info.backend, gpu);
  }
  for (const m of info.models) {
    if (info.backend === "cpu") assert.equal(m.gpuLayers, 0, `${m.id}: no layers offloaded on the CPU`);
    else assert.ok(m.gpuLayers > 0, `${m.id}: layers offloaded to ${info.backend}`);
  }
}

describe("HAPS Router extension", () => {
  const extension = () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed in the test instance`);
    return ext;
  };

  it("is not active until one of its commands runs", () => {
    assert.equal(extension().isActive, false);
  });

  it("HAPS: Show Runtime Info activates it and reports the backend the settings imply, threads, layers, memory and the loaded default models", async () => {
    const info = await vscode.commands.executeCommand<RuntimeInfo>("haps.showRuntimeInfo");
    assert.equal(extension().isActive, true);
    assertBackendMatchesSettings(info);
    assert.ok(info.threads > 0, `threads: ${info.threads}`);
    assert.ok(info.models.length >= 1, "at least one default model is loaded");
    assert.ok(info.memory.rssBytes > 10 * 2 ** 20, `engine RSS ${info.memory.rssBytes}`);
    assert.equal(info.memory.vram == null, info.gpu === false);
    for (const m of info.models) {
      assert.equal(m.architecture, "llama");
      assert.ok(m.embeddingLength > 0);
      assert.ok(m.totalLayers > 1);
    }
  });

  it("registers every contributed command", async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = (extension().packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.deepEqual([...contributed].sort(), [...COMMANDS].sort(), "package.json contributes these commands");
    for (const command of COMMANDS) assert.ok(registered.has(command), `${command} is registered`);
  });

  it("groups its settings by what they affect, describes each haps.gpu choice, and restricts what an untrusted workspace may set", () => {
    const pkg = extension().packageJSON as {
      contributes: { configuration: { title: string; properties: Record<string, { enum?: string[]; enumDescriptions?: string[]; scope?: string }> }[] };
      capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
    };
    const sections = pkg.contributes.configuration;
    assert.deepEqual(sections.map((s) => s.title), ["Routing & cost", "Models", "Adapters", "Search", "Runtime & GPU"]);
    const all = Object.assign({}, ...sections.map((s) => s.properties)) as Record<string, { enum?: string[]; enumDescriptions?: string[]; scope?: string }>;
    // Every setting VS Code knows is in one section.
    for (const key of Object.keys(all)) assert.ok(vscode.workspace.getConfiguration().inspect(key) != null, key);
    assert.equal(all["haps.gpu"].enumDescriptions?.length, all["haps.gpu"].enum?.length);
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, "limited");
    for (const key of ["haps.configFile", "haps.models.candidates", "haps.models.router", "haps.models.embedding", "haps.gpu", "haps.gpuLayers", "haps.threads"]) {
      assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(key), `${key} is restricted`);
      assert.ok(["machine", "machine-overridable"].includes(all[key].scope ?? ""), `${key} has a machine scope`);
    }
  });

  it("gives other extensions no copy of its log (it holds users' questions); tests read it through a test-mode command", async () => {
    const api = await hapsApi();
    assert.ok(!("outputText" in api), "the API has no outputText");
    assert.ok(!JSON.stringify(Object.keys(api)).match(/log|output/i), `API members: ${Object.keys(api).join(", ")}`);
    await vscode.commands.executeCommand("haps.restartEngine");
    assert.match(await logText(), /\[info\] HAPS engine stopped; it starts again on the next request\./, "the log is readable in test runs, with levels");
  });

  it("keybindings, the language model's Manage command and the palette's exclusions name commands that exist", async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributes = extension().packageJSON.contributes;
    const keybindings = contributes.keybindings as { command: string; key: string }[];
    assert.deepEqual(keybindings.map((k) => k.command).sort(), ["haps.chat.focus", "haps.routeQuery"]);
    for (const k of keybindings) assert.ok(registered.has(k.command), `${k.command} (${k.key}) is a command here`);
    const management = (contributes.languageModelChatProviders as { managementCommand?: string }[])[0].managementCommand;
    assert.equal(management, "haps.selectModels");
    assert.ok(registered.has(management));
    const hidden = (contributes.menus.commandPalette as { command: string; when: string }[]).filter((m) => m.when === "false").map((m) => m.command);
    assert.deepEqual(hidden, ["haps.chat.clear"], "New Chat is a button of the chat view, not a palette entry");
  });

  it("shows the backend and the cost preference in the status bar", async () => {
    const api = await hapsApi();
    const info = await vscode.commands.executeCommand<RuntimeInfo>("haps.showRuntimeInfo");
    assert.match(api.statusBarText(), new RegExp(`HAPS ${info.backend} · α 0\\.00`));
  });

  it("restarts the engine with changed haps.threads / haps.gpu / haps.gpuLayers settings", async () => {
    const config = () => vscode.workspace.getConfiguration("haps");
    // One more than the cores (the default is half of them), so the answer can only come from the setting.
    const threads = availableParallelism() + 1;
    try {
      await config().update("threads", threads, vscode.ConfigurationTarget.Global);
      await config().update("gpu", "off", vscode.ConfigurationTarget.Global);
      await config().update("gpuLayers", 0, vscode.ConfigurationTarget.Global);
      const info = await vscode.commands.executeCommand<RuntimeInfo>("haps.showRuntimeInfo");
      assert.equal(info.threads, threads);
      assert.equal(info.gpu, false);
      assertBackendMatchesSettings(info);
      for (const m of info.models) assert.equal(m.gpuLayers, 0);
    } finally {
      await config().update("threads", undefined, vscode.ConfigurationTarget.Global);
      await config().update("gpu", undefined, vscode.ConfigurationTarget.Global);
      await config().update("gpuLayers", undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
