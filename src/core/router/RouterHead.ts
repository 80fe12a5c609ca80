/**
 * The high-level router (HAPS, architecture search): for each agent, a distribution over candidate models.
 *
 * From the trunk feature z it predicts, for every (agent n, candidate m), an expected quality q[n][m] and an expected
 * normalised cost c[n][m]. The reward the system optimises is Perf - alpha * Cost, so the policy scores each
 * candidate by its predicted reward and takes a softmax per agent:
 *
 *   pi_n(m | f, alpha) = softmax_m((q[n][m] - alpha * c[n][m]) / T)
 *
 * alpha enters only here, after the network, so a user can move along the quality/cost trade-off at query time
 * without retraining. q and c are linear readouts (no squashing), so their warm-up regression fits targets on any
 * scale the metrics produce.
 *
 * Training signals, both accumulated into the head and the shared trunk:
 *  (a) warm-up regression of q and c to observed quality and cost (`backwardRegression`);
 *  (b) REINFORCE on the sampled assignment: loss = -weight * sum_n log pi_n(a_n) (`backwardPolicy`), where weight is
 *      the reward (minus a baseline) that the trainer computed.
 */
import { Linear } from "../nn/Linear.ts";
import type { Module, Parameter } from "../nn/Parameter.ts";
import type { Rng } from "../nn/Rng.ts";
import { logProbGrad, logSoftmax } from "../nn/softmax.ts";
import type { Trunk, TrunkTrace } from "../nn/Trunk.ts";
import type { Assignment } from "./Assignment.ts";
import { requireFinite } from "../nn/vector.ts";

export interface RouterHeadOptions {
  /** Agent names, e.g. `["student", "teacher"]`; one policy per agent, in this order. */
  agents: readonly string[];
  /** Candidate model ids, shared by all agents, in this order (open and closed alike: closed models can be picked). */
  candidates: readonly string[];
  /** Softmax temperature T; lower is greedier. Defaults to `1`. */
  temperature?: number;
  /**
   * Standard deviation of the readout's initial weights, times 1/sqrt(trunk width). Small, so an untrained head
   * predicts q and c near 0 and routes almost uniformly: every candidate gets explored. Defaults to `0.1`.
   */
  initScale?: number;
}

/** The head's predictions for one feature and one alpha. Indexing is [agent][candidate]. */
export interface RoutingOutput {
  probs: Float64Array[];
  q: Float64Array[];
  c: Float64Array[];
}

/** One candidate chosen per agent, as indices (what the trainer feeds back to `backwardPolicy`). */
export interface HeadAssignment {
  /** Candidate index per agent. */
  choices: number[];
  /** Candidate id per agent. */
  candidateIds: string[];
  /** log pi(assignment) = sum over agents of log pi_n(choice_n). */
  logProb: number;
  /** The distributions it was drawn from, [agent][candidate]. */
  probs: Float64Array[];
}

/** An observed outcome for warm-up regression. Either target may be missing (e.g. cost known, quality not yet graded). */
export interface Observation {
  /** Agent name or index. */
  agent: string | number;
  /** Candidate id or index. */
  candidate: string | number;
  quality?: number;
  cost?: number;
}

export class RouterHead implements Module {
  readonly agents: readonly string[];
  readonly candidates: readonly string[];
  readonly readout: Linear;
  private temperatureValue: number;

  constructor(
    readonly trunk: Trunk,
    options: RouterHeadOptions,
    rng: Rng,
  ) {
    this.agents = checkNames(options.agents, "agents");
    this.candidates = checkNames(options.candidates, "candidates");
    this.temperatureValue = checkTemperature(options.temperature ?? 1);
    const initScale = options.initScale ?? 0.1;
    if (!(initScale >= 0)) throw new Error(`RouterHead: initScale must be >= 0, got ${initScale}`);
    // Layout of the readout: the first N*M outputs are q[n][m] at n*M + m, the next N*M are c[n][m].
    this.readout = new Linear(trunk.outWidth, 2 * this.agents.length * this.candidates.length, rng, {
      weightStd: initScale / Math.sqrt(trunk.outWidth),
    });
  }

  get temperature(): number {
    return this.temperatureValue;
  }

  /** Temperature is a decoding setting, not a weight: it can change at any time. */
  set temperature(value: number) {
    this.temperatureValue = checkTemperature(value);
  }

  forward(f: ArrayLike<number>, alpha: number): RoutingOutput {
    return this.run(f, alpha).output;
  }

  /** Draws one candidate per agent from pi(. | f, alpha). */
  sample(f: ArrayLike<number>, alpha: number, rng: Rng): HeadAssignment {
    const { output, logProbs } = this.run(f, alpha);
    const choices = output.probs.map((p) => {
      let u = rng.uniform();
      for (let m = 0; m < p.length; m++) {
        u -= p[m];
        if (u < 0) return m;
      }
      return p.length - 1; // u landed in the rounding slack of the last bucket
    });
    return this.assignment(output.probs, logProbs, choices);
  }

  /** The most probable candidate per agent (ties go to the earlier candidate). */
  argmax(f: ArrayLike<number>, alpha: number): HeadAssignment {
    const { output, logProbs } = this.run(f, alpha);
    const choices = logProbs.map((lp) => lp.indexOf(Math.max(...lp)));
    return this.assignment(output.probs, logProbs, choices);
  }

  /** log pi(choices | f, alpha). */
  logProb(f: ArrayLike<number>, alpha: number, choices: readonly number[]): number {
    const { logProbs } = this.run(f, alpha);
    this.checkChoices(choices, "RouterHead.logProb");
    return choices.reduce((s, m, n) => s + logProbs[n][m], 0);
  }

  /**
   * Warm-up: accumulates gradients of loss = weight * sum over observations of
   * 1/2 (q - quality)^2 + 1/2 (c - cost)^2, for the targets each observation has. Returns the loss.
   */
  backwardRegression(f: ArrayLike<number>, observations: readonly Observation[], weight = 1): number {
    requireFinite(weight, "RouterHead.backwardRegression: weight");
    const { trace, raw } = this.runRaw(f, "RouterHead.backwardRegression");
    const nm = this.agents.length * this.candidates.length;
    const d = new Float64Array(raw.length);
    let loss = 0;
    observations.forEach((o, i) => {
      const where = `RouterHead.backwardRegression: observation ${i}`;
      const n = this.resolve(o.agent, this.agents, "agent", where);
      const m = this.resolve(o.candidate, this.candidates, "candidate", where);
      if (o.quality === undefined && o.cost === undefined) throw new Error(`${where} has neither quality nor cost`);
      const k = n * this.candidates.length + m;
      if (o.quality !== undefined) {
        const err = raw[k] - requireFinite(o.quality, `${where} quality`);
        loss += 0.5 * err * err;
        d[k] += weight * err;
      }
      if (o.cost !== undefined) {
        const err = raw[nm + k] - requireFinite(o.cost, `${where} cost`);
        loss += 0.5 * err * err;
        d[nm + k] += weight * err;
      }
    });
    this.backwardRaw(trace, d);
    return weight * loss;
  }

  /**
   * REINFORCE: accumulates gradients of loss = -weight * log pi(choices | f, alpha), so that a gradient-descent step
   * makes a positively weighted assignment more likely. Returns log pi(choices | f, alpha).
   *
   * With s = (q - alpha c) / T: d log pi_n(a) / d s_m = 1[m = a] - pi_n(m), ds/dq = 1/T, ds/dc = -alpha/T.
   */
  backwardPolicy(f: ArrayLike<number>, alpha: number, choices: readonly number[], weight: number): number {
    requireFinite(weight, "RouterHead.backwardPolicy: weight");
    const { trace, output, logProbs } = this.run(f, alpha);
    this.checkChoices(choices, "RouterHead.backwardPolicy");
    const M = this.candidates.length;
    const nm = this.agents.length * M;
    const d = new Float64Array(2 * nm);
    const T = this.temperatureValue;
    choices.forEach((a, n) => {
      const g = logProbGrad(output.probs[n], a);
      for (let m = 0; m < M; m++) {
        const dScore = -weight * g[m];
        d[n * M + m] = dScore / T;
        d[nm + n * M + m] = (-alpha * dScore) / T;
      }
    });
    this.backwardRaw(trace, d);
    return choices.reduce((s, m, n) => s + logProbs[n][m], 0);
  }

  /** The project's id-keyed routing decision for a head assignment. */
  toAssignment(a: HeadAssignment): Assignment {
    const choice: Record<string, string> = {};
    const probabilities: Record<string, Record<string, number>> = {};
    this.agents.forEach((agent, n) => {
      choice[agent] = this.candidates[a.choices[n]];
      probabilities[agent] = Object.fromEntries(this.candidates.map((id, m) => [id, a.probs[n][m]]));
    });
    return { choice, probabilities, logProbability: a.logProb, mode: "trained" };
  }

  *namedParameters(): Iterable<[string, Parameter]> {
    for (const [name, p] of this.readout.namedParameters()) yield [`readout.${name}`, p];
  }

  private runRaw(f: ArrayLike<number>, where: string): { trace: TrunkTrace; raw: Float64Array } {
    const trace = this.trunk.forward(f, where);
    return { trace, raw: this.readout.forward(trace.output) };
  }

  private backwardRaw(trace: TrunkTrace, dRaw: Float64Array): void {
    const dz = this.readout.backward(trace.output, dRaw)!;
    this.trunk.backward(trace, dz);
  }

  private run(f: ArrayLike<number>, alpha: number): { trace: TrunkTrace; output: RoutingOutput; logProbs: Float64Array[] } {
    requireFinite(alpha, "RouterHead: alpha");
    if (alpha < 0) throw new Error(`RouterHead: alpha must be >= 0 (a cost weight), got ${alpha}`);
    const { trace, raw } = this.runRaw(f, "RouterHead.forward");
    const M = this.candidates.length;
    const nm = this.agents.length * M;
    const q: Float64Array[] = [];
    const c: Float64Array[] = [];
    const probs: Float64Array[] = [];
    const logProbs: Float64Array[] = [];
    for (let n = 0; n < this.agents.length; n++) {
      const qn = raw.slice(n * M, (n + 1) * M);
      const cn = raw.slice(nm + n * M, nm + (n + 1) * M);
      const scores = qn.map((qv, m) => (qv - alpha * cn[m]) / this.temperatureValue);
      const lp = logSoftmax(scores);
      q.push(qn);
      c.push(cn);
      logProbs.push(lp);
      probs.push(lp.map(Math.exp));
    }
    return { trace, output: { probs, q, c }, logProbs };
  }

  private assignment(probs: Float64Array[], logProbs: Float64Array[], choices: number[]): HeadAssignment {
    return {
      choices,
      candidateIds: choices.map((m) => this.candidates[m]),
      logProb: choices.reduce((s, m, n) => s + logProbs[n][m], 0),
      probs,
    };
  }

  private checkChoices(choices: readonly number[], where: string): void {
    if (!Array.isArray(choices) || choices.length !== this.agents.length) {
      throw new Error(`${where}: expected one candidate index per agent (${this.agents.length}), got ${Array.isArray(choices) ? choices.length : typeof choices}`);
    }
    choices.forEach((m, n) => {
      if (!Number.isInteger(m) || m < 0 || m >= this.candidates.length) {
        throw new Error(`${where}: choice for agent "${this.agents[n]}" is ${m}, expected an index in 0..${this.candidates.length - 1}`);
      }
    });
  }

  private resolve(key: string | number, names: readonly string[], kind: string, where: string): number {
    if (typeof key === "number") {
      if (Number.isInteger(key) && key >= 0 && key < names.length) return key;
      throw new Error(`${where}: ${kind} index ${key} is outside 0..${names.length - 1}`);
    }
    const i = names.indexOf(key);
    if (i < 0) throw new Error(`${where}: unknown ${kind} "${key}" (known: ${names.join(", ")})`);
    return i;
  }
}

function checkNames(names: readonly string[], what: string): readonly string[] {
  if (!Array.isArray(names) || names.length === 0) throw new Error(`RouterHead: ${what} must be a non-empty array of names`);
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (typeof name !== "string" || name.length === 0) throw new Error(`RouterHead: ${what}[${i}] must be a non-empty string`);
    if (seen.has(name)) throw new Error(`RouterHead: ${what} has "${name}" twice`);
    seen.add(name);
  });
  return [...names];
}

function checkTemperature(t: number): number {
  if (typeof t !== "number" || !Number.isFinite(t) || t <= 0) throw new Error(`RouterHead: temperature must be a finite number > 0, got ${String(t)}`);
  return t;
}
