// API keys for `openai` candidates, kept in VS Code's SecretStorage (the OS keychain on the desktop). Every key is
// bound to an origin (scheme, host, port): a key for one candidate id records the origin that id pointed at when it
// was stored, and is refused by the engine when a configuration points the id elsewhere (core/host/hostServices.ts);
// a key for an origin serves every candidate there. SecretStorage cannot list its entries, so the names of the stored
// entries (never the keys) are kept in the extension's global state. The keys go to the engine over its IPC channel
// only (EngineHost): never into settings, files, the environment or the log.
import * as vscode from "vscode";
import { originOf } from "../../core/host/keyOrigin.ts";
import type { HostApiKeys } from "../../core/host/types.ts";

/** Which candidates a key is for: one candidate id at one origin, or every candidate at an origin. */
export type ApiKeyTarget = { candidate: string; origin: string } | { origin: string };

const SECRET_PREFIX = "haps.apiKey.";
const NAMES_KEY = "haps.apiKeyNames";

export class ApiKeyStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<HostApiKeys>();
  /** All keys after a change (the engine gets them at once). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly state: vscode.Memento,
  ) {}

  /** Every stored key, by candidate id (with its origin) and by origin. */
  async all(): Promise<HostApiKeys> {
    const keys: HostApiKeys = { byCandidate: {}, byOrigin: {} };
    for (const name of this.names()) {
      const key = await this.secrets.get(SECRET_PREFIX + name);
      if (key == null) continue;
      const target = parseName(name);
      if (target == null) continue;
      if ("candidate" in target) keys.byCandidate[target.candidate] = { key, origin: target.origin };
      else keys.byOrigin[target.origin] = key;
    }
    return keys;
  }

  /** Stores the key for `target` (an empty key removes it). A candidate has one key: storing it for a new origin replaces the old. */
  async set(target: ApiKeyTarget, key: string): Promise<void> {
    const normalised = normaliseTarget(target);
    const name = entryName(normalised);
    const names = new Set(this.names());
    if ("candidate" in normalised) {
      for (const other of [...names]) {
        const t = parseName(other);
        if (other !== name && t != null && "candidate" in t && t.candidate === normalised.candidate) {
          await this.secrets.delete(SECRET_PREFIX + other);
          names.delete(other);
        }
      }
    }
    if (key === "") {
      await this.secrets.delete(SECRET_PREFIX + name);
      names.delete(name);
    } else {
      await this.secrets.store(SECRET_PREFIX + name, key);
      names.add(name);
    }
    await this.state.update(NAMES_KEY, [...names]);
    this.changed.fire(await this.all());
  }

  /** The targets that have a key, for display. */
  targets(): ApiKeyTarget[] {
    return this.names()
      .map(parseName)
      .filter((t): t is ApiKeyTarget => t != null);
  }

  dispose(): void {
    this.changed.dispose();
  }

  private names(): string[] {
    return this.state.get<string[]>(NAMES_KEY, []);
  }
}

export function describeTarget(target: ApiKeyTarget): string {
  if (!("candidate" in target)) return `every candidate at ${target.origin}`;
  return target.origin === "" ? `candidate "${target.candidate}" (no server recorded: store it again)` : `candidate "${target.candidate}" at ${target.origin}`;
}

/** The target with its origin parsed (a base URL given for an origin is reduced to its origin). */
export function normaliseTarget(target: ApiKeyTarget): ApiKeyTarget {
  const origin = originOf(target.origin);
  return "candidate" in target ? { candidate: target.candidate, origin } : { origin };
}

// Entry names: `candidate:<origin>|<id>` and `origin:<origin>`. Names of earlier versions (`candidate:<id>`, bound
// to no origin, and `baseUrl:<url>`) are still read: the first is refused by the engine until stored again, the
// second was typed as a server by the user, so its origin is what the key is for.
function entryName(target: ApiKeyTarget): string {
  return "candidate" in target ? `candidate:${target.origin}|${target.candidate}` : `origin:${target.origin}`;
}

function parseName(name: string): ApiKeyTarget | null {
  const at = name.indexOf(":");
  const kind = name.slice(0, at);
  const value = name.slice(at + 1);
  try {
    if (kind === "origin" || kind === "baseUrl") return { origin: originOf(value) };
    if (kind !== "candidate") return null;
    const bar = value.lastIndexOf("|");
    return bar < 0 ? { candidate: value, origin: "" } : { candidate: value.slice(bar + 1), origin: value.slice(0, bar) };
  } catch {
    return null;
  }
}
