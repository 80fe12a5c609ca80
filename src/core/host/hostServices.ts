// The engine process's host, as the code below the engine boundary sees it: set once by the engine's entry
// (engineMain.ts) when its parent offers host calls and holds API keys, and absent everywhere else (the CLI, `haps
// serve`, tests that run the handlers in-process). It is process-wide on purpose: an engine process has exactly one
// parent, and what that parent can reach (vscode.lm, SecretStorage) is a property of the process, not of a request.
import { originOf } from "./keyOrigin.ts";
import type { HostApiKeys, HostCaller, HostMethod } from "./types.ts";

let caller: HostCaller | null = null;
let apiKeys: HostApiKeys = emptyApiKeys();

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

export function emptyApiKeys(): HostApiKeys {
  return { byCandidate: {}, byOrigin: {} };
}

/** Replaces the API keys the host supplied (all of them: a key removed there is removed here). */
export function setHostApiKeys(keys: HostApiKeys): void {
  const byOrigin: Record<string, string> = {};
  for (const [origin, key] of Object.entries(keys.byOrigin ?? {})) {
    // A malformed entry is dropped rather than matched loosely.
    const normalised = tryOrigin(origin);
    if (normalised != null) byOrigin[normalised] = key;
  }
  const byCandidate: HostApiKeys["byCandidate"] = {};
  for (const [id, entry] of Object.entries(keys.byCandidate ?? {})) byCandidate[id] = { key: entry.key, origin: tryOrigin(entry.origin) ?? "" };
  apiKeys = { byCandidate, byOrigin };
}

/**
 * The host's key for an `openai` candidate: the one stored for its id, if that was stored for the origin its base
 * URL names, else the one stored for that origin; undefined when the host has none (the candidate's `apiKeyEnv` then
 * applies). A key stored for the id but for another origin is refused with an error naming both origins: a
 * configuration must not be able to redirect a user's key by reusing a candidate id.
 */
export function hostApiKeyFor(candidate: { id: string; baseUrl: string }): string | undefined {
  const origin = originOf(candidate.baseUrl);
  const byId = apiKeys.byCandidate[candidate.id];
  if (byId != null) {
    if (byId.origin === origin) return byId.key;
    const stored = byId.origin === "" ? "no server (it was stored before keys were bound to one)" : byId.origin;
    throw new Error(
      `candidate "${candidate.id}": its stored API key is for ${stored}, but the configuration sends this candidate to ${origin}; ` +
        `the key is not sent. If you trust ${origin}, store the key again for it (HAPS: Set API Key).`,
    );
  }
  return apiKeys.byOrigin[origin];
}

function tryOrigin(url: string): string | null {
  try {
    return originOf(url);
  } catch {
    return null;
  }
}
