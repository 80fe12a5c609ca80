// The action-level data of the paper (Appendix C): every item run under every assignment (M^N of them) with the base
// parameters (no adapter), each row recording the quality, the tokens per model, the cost and the answer.
//
// Rows go to a JSONL file as each episode finishes, one write per row. A run killed at any moment (SIGKILL included)
// resumes where it stopped: opening the file drops a torn last line, and every (item, assignment) already there is
// skipped, so no row is lost and none is written twice. The first line is a header fingerprinting what the rows
// depend on (the candidates' files, the agents, the protocol settings); a file written for something else is refused
// with the differences named, never mixed in.
//
// Rows carry no reward: the reward needs the cost normaliser, which is fitted on the training split's rows once they
// exist (`fitCostNormalizer`); the trainer stores it with the checkpoint.
import { closeSync, existsSync, openSync, readFileSync, statSync, truncateSync, writeSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { HapsConfig } from "../config/HapsConfig.ts";
import { CostNormalizer } from "../metrics/index.ts";
import type { StopReason, TokenCount } from "../protocols/types.ts";

/** Bumped when the prompts or protocols change what an episode does. */
export const ACTION_DATA_VERSION = 1;

export interface ActionRow {
  /** The item's id. */
  item: string;
  /** Agent id -> candidate id. */
  assignment: Record<string, string>;
  /** The task metric: token F1 (search QA) or 1/0 (multiple choice). */
  quality: number;
  /** Per candidate id: tokens in and out over every generation. */
  tokens: Record<string, TokenCount>;
  /** Raw cost: sum over models of tokens times price per million. */
  cost: number;
  answer: string;
  stoppedBecause: StopReason;
  ms: number;
}

export interface ActionFingerprint {
  version: number;
  agents: string[];
  candidates: { id: string; open: boolean; file: string; bytes: number; price: { input: number; output: number } }[];
  protocol: HapsConfig["protocol"];
  maxTokens: number;
  embeddingModel: string | null;
}

/** What the rows of a configuration depend on. */
export function actionFingerprint(config: HapsConfig): ActionFingerprint {
  return {
    version: ACTION_DATA_VERSION,
    agents: config.agents.map((a) => a.id),
    candidates: config.candidates.map((c) => ({
      id: c.id,
      open: c.open,
      file: path.basename(c.model),
      bytes: existsSync(c.model) ? statSync(c.model).size : -1,
      price: c.price,
    })),
    protocol: config.protocol,
    maxTokens: config.maxTokens,
    embeddingModel: config.embeddingModel == null ? null : path.basename(config.embeddingModel),
  };
}

/** The key of one row: the item and the assignment, agents in a fixed order. */
export function rowKey(item: string, assignment: Record<string, string>, agents: readonly string[]): string {
  return `${item}\u0000${agents.map((a) => assignment[a]).join("\u0000")}`;
}

export class ActionDataset {
  private readonly byKey = new Map<string, ActionRow>();
  private fd: number | null;

  private constructor(
    readonly file: string,
    readonly agents: readonly string[],
    fd: number,
  ) {
    this.fd = fd;
  }

  /**
   * Opens (or creates) the file for `fingerprint`: existing rows are loaded, a torn last line (a killed writer) is
   * cut off, and a header for something else is refused.
   */
  static async open(file: string, fingerprint: ActionFingerprint): Promise<ActionDataset> {
    await mkdir(path.dirname(file), { recursive: true });
    const rows: ActionRow[] = [];
    if (existsSync(file)) {
      const text = readFileSync(file, "utf8");
      const complete = text.lastIndexOf("\n") + 1;
      if (complete < text.length) truncateSync(file, Buffer.byteLength(text.slice(0, complete)));
      const lines = text.slice(0, complete).split("\n").filter((l) => l.trim() !== "");
      if (lines.length > 0) {
        let header: { header?: ActionFingerprint };
        try {
          header = JSON.parse(lines[0]);
        } catch {
          throw new Error(`${file}:1: not an action-level data file (the first line is not JSON)`);
        }
        const differences = compareFingerprints(header.header, fingerprint);
        if (differences.length > 0) {
          throw new Error(`${file} holds action-level data for another set-up; use another output folder or delete it:\n  ${differences.join("\n  ")}`);
        }
        lines.slice(1).forEach((line, i) => {
          try {
            rows.push(JSON.parse(line) as ActionRow);
          } catch (error) {
            throw new Error(`${file}:${i + 2}: bad row (${(error as Error).message})`);
          }
        });
      }
    }
    const fd = openSync(file, "a");
    const dataset = new ActionDataset(file, fingerprint.agents, fd);
    if (rows.length === 0 && statSync(file).size === 0) writeSync(fd, `${JSON.stringify({ header: fingerprint })}\n`);
    for (const row of rows) dataset.byKey.set(rowKey(row.item, row.assignment, dataset.agents), row);
    return dataset;
  }

  get size(): number {
    return this.byKey.size;
  }

  has(item: string, assignment: Record<string, string>): boolean {
    return this.byKey.has(rowKey(item, assignment, this.agents));
  }

  get(item: string, assignment: Record<string, string>): ActionRow | undefined {
    return this.byKey.get(rowKey(item, assignment, this.agents));
  }

  /** The rows of these items (all rows when none are named), in file order. */
  rows(items?: Iterable<string>): ActionRow[] {
    const wanted = items == null ? null : new Set(items);
    return [...this.byKey.values()].filter((r) => wanted == null || wanted.has(r.item));
  }

  /** Appends one row in a single write; a row already there is not written again. */
  append(row: ActionRow): void {
    if (this.fd == null) throw new Error(`ActionDataset: ${this.file} is closed`);
    const key = rowKey(row.item, row.assignment, this.agents);
    if (this.byKey.has(key)) return;
    writeSync(this.fd, `${JSON.stringify(row)}\n`);
    this.byKey.set(key, row);
  }

  close(): void {
    if (this.fd != null) closeSync(this.fd);
    this.fd = null;
  }
}

/** The min-max cost normaliser of the paper, fitted on the training split's rows. */
export function fitCostNormalizer(rows: readonly ActionRow[]): CostNormalizer {
  if (rows.length === 0) throw new Error("fitCostNormalizer: no training rows to fit the cost scale on");
  return new CostNormalizer().fit(rows.map((r) => r.cost));
}

function compareFingerprints(stored: ActionFingerprint | undefined, wanted: ActionFingerprint): string[] {
  if (stored == null || typeof stored !== "object") return ["the file has no header line"];
  const differences: string[] = [];
  for (const key of Object.keys(wanted) as (keyof ActionFingerprint)[]) {
    const a = JSON.stringify(stored[key]);
    const b = JSON.stringify(wanted[key]);
    if (a !== b) differences.push(`${key}: ${a} in the file, ${b} now`);
  }
  return differences;
}
