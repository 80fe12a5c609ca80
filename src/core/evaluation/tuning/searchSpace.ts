// The hyperparameter search every learned method of an evaluation gets: the same number of configurations, drawn
// from the method's own search space with a seeded random search (Bergstra and Bengio's argument: for a handful of
// configurations, random draws cover the parameters that matter better than a grid). Configuration 0 is always the
// method's own settings (its module's defaults, or what the spec gave), so a search can only find something better
// on validation, never lose the defaults.
import { Rng } from "../../nn/Rng.ts";

/** One hyperparameter's range: a list of values drawn uniformly, or a log-uniform interval. */
export type ParamRange = { values: readonly number[] } | { log: readonly [number, number] };

/** Parameter name -> range. A name with a dot ("rl.lr") addresses a section of the settings. */
export type SearchSpace = Readonly<Record<string, ParamRange>>;

/** One drawn configuration: parameter name -> value; empty for configuration 0 (the method's own settings). */
export type Configuration = Record<string, number>;

/** Three significant digits: a drawn learning rate prints as 0.00237, not 0.0023712983. */
const round = (x: number) => Number(x.toPrecision(3));

/**
 * `count` configurations for a method: the empty one (its own settings) first, then `count - 1` draws. The draws are
 * keyed by the seed and the method, so each method's search is the same whatever else the evaluation runs.
 */
export function drawConfigurations(space: SearchSpace, count: number, seed: number, method: string): Configuration[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`drawConfigurations: count must be a positive integer, got ${count}`);
  const names = Object.keys(space).sort();
  for (const name of names) {
    const r = space[name];
    if ("values" in r) {
      if (r.values.length === 0 || r.values.some((v) => !Number.isFinite(v))) throw new Error(`drawConfigurations: ${method}.${name} needs finite values`);
    } else if (!(r.log[0] > 0 && r.log[1] >= r.log[0])) throw new Error(`drawConfigurations: ${method}.${name} needs a log range 0 < low <= high, got ${r.log.join(", ")}`);
  }
  const rng = Rng.forKey(seed, `tuning:${method}`);
  const out: Configuration[] = [{}];
  for (let i = 1; i < count; i++) {
    const c: Configuration = {};
    for (const name of names) {
      const r = space[name];
      c[name] = "values" in r ? r.values[rng.int(r.values.length)] : round(Math.exp(Math.log(r.log[0]) + rng.uniform() * (Math.log(r.log[1]) - Math.log(r.log[0]))));
    }
    out.push(c);
  }
  return out;
}

/** "lr 0.003, dim 64" (or "own settings" for configuration 0). */
export function describeConfiguration(c: Configuration): string {
  const entries = Object.entries(c);
  return entries.length === 0 ? "own settings" : entries.map(([k, v]) => `${k} ${v}`).join(", ");
}

/** A dotted configuration as nested overrides: {"rl.lr": 1e-3, "sft.lr": 3e-3} -> {rl: {lr: 1e-3}, sft: {lr: 3e-3}}. */
export function nestConfiguration(c: Configuration): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [key, value] of Object.entries(c)) {
    const dot = key.indexOf(".");
    if (dot < 0) throw new Error(`nestConfiguration: "${key}" names no section (expected "section.name")`);
    (out[key.slice(0, dot)] ??= {})[key.slice(dot + 1)] = value;
  }
  return out;
}
