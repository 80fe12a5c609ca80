// API keys for `openai` candidates, kept in VS Code's SecretStorage (the OS keychain on the desktop), by candidate id
// or by base URL. SecretStorage cannot list its entries, so the names of the stored entries (never the keys) are
// kept in the extension's global state. The keys go to the engine over its IPC channel only (EngineHost): never into
// settings, files, the environment or the log.
import * as vscode from "vscode";
import type { HostApiKeys } from "../../core/host/types.ts";
import { normaliseBaseUrl } from "../../core/host/hostServices.ts";

/** Which candidates a key is for: one candidate id, or every candidate with that base URL. */
export type ApiKeyTarget = { candidate: string } | { baseUrl: string };

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

  /** Every stored key, by candidate id and by base URL. */
  async all(): Promise<HostApiKeys> {
    const keys: HostApiKeys = { byCandidate: {}, byBaseUrl: {} };
    for (const name of this.names()) {
      const key = await this.secrets.get(SECRET_PREFIX + name);
      if (key == null) continue;
      const [kind, value] = splitName(name);
      if (kind === "candidate") keys.byCandidate[value] = key;
      else keys.byBaseUrl[value] = key;
    }
    return keys;
  }

  /** Stores the key for `target` (an empty key removes it). */
  async set(target: ApiKeyTarget, key: string): Promise<void> {
    const name = entryName(target);
    const names = new Set(this.names());
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
    return this.names().map((name) => {
      const [kind, value] = splitName(name);
      return kind === "candidate" ? { candidate: value } : { baseUrl: value };
    });
  }

  dispose(): void {
    this.changed.dispose();
  }

  private names(): string[] {
    return this.state.get<string[]>(NAMES_KEY, []);
  }
}

export function describeTarget(target: ApiKeyTarget): string {
  return "candidate" in target ? `candidate "${target.candidate}"` : `base URL ${target.baseUrl}`;
}

function entryName(target: ApiKeyTarget): string {
  return "candidate" in target ? `candidate:${target.candidate}` : `baseUrl:${normaliseBaseUrl(target.baseUrl)}`;
}

function splitName(name: string): ["candidate" | "baseUrl", string] {
  const at = name.indexOf(":");
  return [name.slice(0, at) === "candidate" ? "candidate" : "baseUrl", name.slice(at + 1)];
}
