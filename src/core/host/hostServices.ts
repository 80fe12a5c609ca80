// The engine process's host, as the code below the engine boundary sees it: set once by the engine's entry
// (engineMain.ts) when its parent offers host calls and holds API keys, and absent everywhere else (the CLI, `haps
// serve`, tests that run the handlers in-process). It is process-wide on purpose: an engine process has exactly one
// parent, and what that parent can reach (vscode.lm, SecretStorage) is a property of the process, not of a request.
import type { HostApiKeys, HostCaller, HostMethod } from "./types.ts";

let caller: HostCaller | null = null;
let apiKeys: HostApiKeys = { byCandidate: {}, byBaseUrl: {} };

/** Installs (or, with null, removes) this process's host. */
export function setHostCaller(next: HostCaller | null): void {
  caller = next;
}

/** This process's host, or null where there is none (the CLI). */
export function hostCaller(): HostCaller | null {
  return caller;
}

/** Whether this process's host answers `method`. */
export function hostOffers(method: HostMethod): boolean {
  return caller?.offers(method) === true;
}

/** Replaces the API keys the host supplied (all of them: a key removed there is removed here). */
export function setHostApiKeys(keys: HostApiKeys): void {
  apiKeys = {
    byCandidate: { ...keys.byCandidate },
    byBaseUrl: Object.fromEntries(Object.entries(keys.byBaseUrl).map(([url, key]) => [normaliseBaseUrl(url), key])),
  };
}

/**
 * The host's key for an `openai` candidate: by its id first, then by its base URL (compared without a trailing
 * slash); undefined when the host has none (the candidate's `apiKeyEnv` then applies).
 */
export function hostApiKeyFor(candidate: { id: string; baseUrl: string }): string | undefined {
  return apiKeys.byCandidate[candidate.id] ?? apiKeys.byBaseUrl[normaliseBaseUrl(candidate.baseUrl)];
}

/** The form base URLs are stored and looked up in. */
export function normaliseBaseUrl(url: string): string {
  return url.trim().replace(/\/+$/, "");
}
