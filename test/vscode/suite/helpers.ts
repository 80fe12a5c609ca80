// Shared by the extension test files: the extension's API, waiting for what a webview reports, settings.
import assert from "node:assert/strict";
import * as vscode from "vscode";
import type { HapsExtensionApi } from "../../../src/extension/extension.ts";

export const EXTENSION_ID = "haps.haps-router";

export async function hapsApi(): Promise<HapsExtensionApi> {
  const ext = vscode.extensions.getExtension<HapsExtensionApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed in the test instance`);
  return ext.isActive ? ext.exports : await ext.activate();
}

/**
 * The first value of `current()` or of a later `event` that satisfies `accept`. On timeout the error shows the
 * last value seen, so a failure says what the webview did render.
 */
export function waitFor<T>(
  event: vscode.Event<T>,
  current: () => T | null,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let last: T | null = current();
    if (last != null && accept(last)) return resolve(last);
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last, null, 1)?.slice(0, 3000)}`));
    }, timeoutMs);
    const subscription = event((value) => {
      last = value;
      if (!accept(value)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(value);
    });
  });
}

/** Sets user settings for the duration of `fn`, then removes them again. */
export async function withSettings<T>(values: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
  const config = () => vscode.workspace.getConfiguration("haps");
  try {
    for (const [key, value] of Object.entries(values)) await config().update(key, value, vscode.ConfigurationTarget.Global);
    return await fn();
  } finally {
    for (const key of Object.keys(values)) await config().update(key, undefined, vscode.ConfigurationTarget.Global);
  }
}

/** The paragraphs the route tests search: two hops, as in the CLI's demo. */
export const PARIS_CONTEXT = [
  { title: "Eiffel Tower", sentences: ["The Eiffel Tower is a wrought-iron tower in Paris, France."] },
  { title: "Paris", sentences: ["Paris is the capital of France.", " The Seine flows through the city."] },
  { title: "Lyon", sentences: ["Lyon lies where the Rhone and the Saone meet."] },
];

/** What the extension's log was given so far: read through the command that exists in test runs only. */
export async function logText(): Promise<string> {
  return (await vscode.commands.executeCommand<string>("haps.test.logText")) ?? "";
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
