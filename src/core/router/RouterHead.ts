/**
 * The high-level router (HAPS, architecture search): a distribution over assignments, one candidate per agent.
 *
 * From the trunk feature z it predicts, for each assignment a (a candidate index per agent), an expected quality
 * Q(a) and an expected normalised cost C(a). The system optimises reward = Perf - alpha * Cost, so the policy scores
 * each assignment by its predicted reward:
 *
 *   pi(a | f, alpha) = softmax_a((Q(a) - alpha * C(a)) / T)
 *
 * alpha enters only here, after the network, so a user moves along the quality/cost trade-off at query time without
 * retraining. Q and C are linear readouts (no squashing), so regression fits targets on any scale the metrics produce.
 *
 * The reward of an assignment is not a sum over agents: a strong Teacher can rescue a weak Student, and the Teacher's
 * verdicts decide how many (priced) turns the Student takes. So the head can score assignments in three ways
 * (`factorization`):
 *  - "joint": one (Q, C) pair per assignment, M^N classes; exact, for small spaces (2 agents x 2 candidates: 4);
 *  - "autoregressive": pi(a) = prod_n pi_n(a_n | a_<n), agent by agent, each level a small MLP (one hidden layer as
 *    wide as z) reading z and the earlier agents' choices (one-hot), so that a later choice can depend on the earlier
 *    ones and on the query together, with N levels instead of M^N classes. The last
 *    level predicts (Q, C) of the whole assignment; an earlier level predicts them for the best completion of its
 *    prefix among the observed ones (a max-backup under the training alpha), which is what greedy decoding needs;
 *  - "independent": Q(a) = sum_n q_n(a_n), C likewise; the policy factorises into one softmax per agent. It cannot
 *    represent interactions; it is kept to measure what the others gain.
 *
 * Training signals, accumulated into the readouts and the shared trunk:
 *  (a) warm-up regression of Q and C to the observed quality and cost of whole assignments (`backwardRegression`);
 *  (b) REINFORCE / cross-entropy on an assignment: loss = -weight * log pi(a) (`backwardPolicy`), where weight is
 *      the (baseline-subtracted) reward the trainer computed, or 1 for supervised labels.
 */
import { FACTORIZATIONS, type Factorization } from "../config/policyShape.ts";
import { Linear } from "../nn/Linear.ts";
import { Mlp } from "../nn/Mlp.ts";
import type { Module, Parameter } from "../nn/Parameter.ts";
import type { Rng } from "../nn/Rng.ts";
import { logSoftmax } from "../nn/softmax.ts";
import type { Trunk } from "../nn/Trunk.ts";
import { requireFinite } from "../nn/vector.ts";
import type { Assignment } from "./Assignment.ts";

export { FACTORIZATIONS, type Factorization } from "../config/policyShape.ts";

/** Above this many assignments the head does not enumerate them (marginals come from the greedy path instead). */
export const MAX_ENUMERATED_ASSIGNMENTS = 4096;

export interface RouterHeadOptions {
  /** Agent names, e.g. `["teacher", "student"]`, in decision order. */
  agents: readonly string[];
  /** Candidate model ids, shared by all agents, in this order (open and closed alike: closed models can be picked). */
  candidates: readonly string[];
  /** How assignments are scored (see the file comment). Defaults to `"joint"`. */
  factorization?: Factorization;
  /** Softmax temperature T; lower is greedier. Defaults to `1`. */
  temperature?: number;
  /**
   * Standard deviation of the readouts' initial weights, times 1/sqrt(input width). Small, so an untrained head
   * predicts Q and C near 0 and routes almost uniformly: every assignment gets explored. Defaults to `0.1`.
   */
  initScale?: number;
}

/** One candidate chosen per agent, as indices, with its probability under the policy that chose it. */
export interface HeadAssignment {
  /** Candidate index per agent. */
  choices: number[];
  /** Candidate id per agent. */
  candidateIds: string[];
  /** log pi(assignment). */
  logProb: number;
  /** Per agent, the probability of each candidate (marginals of the joint policy), [agent][candidate]. */
  probs: Float64Array[];
}

/** The head's view of one feature at one alpha. */
export interface RoutingDistribution {
  /** Every assignment (candidate index per agent), in enumeration order; empty when there are too many. */
  assignments: number[][];
  /** pi(a) per enumerated assignment. */
  probs: Float64Array;
  /** Predicted quality and normalised cost per enumerated assignment. */
  q: Float64Array;
  c: Float64Array;
  /** Per agent, the marginal probability of each candidate. */
  marginals: Float64Array[];
}

/** An observed outcome of a whole assignment, for warm-up regression. Either target may be missing. */
export interface Observation {
  /** Candidate index per agent, or agent id -> candidate id. */
  choices: readonly number[] | Readonly<Record<string, string>>;
  quality?: number;
  cost?: number;
}

export class RouterHead implements Module {
  readonly agents: readonly string[];
  readonly candidates: readonly string[];
  readonly factorization: Factorization;
  /** joint and independent: one linear readout of z. */
  readonly readouts: Linear[];
  /** autoregressive: one level per agent. */
  readonly levels: Mlp[];
  private temperatureValue: number;

  constructor(
    readonly trunk: Trunk,
    options: RouterHeadOptions,
    rng: Rng,
  ) {
    this.agents = checkNames(options.agents, "agents");
    this.candidates = checkNames(options.candidates, "candidates");
    this.factorization = options.factorization ?? "joint";
    if (!FACTORIZATIONS.includes(this.factorization)) {
      throw new Error(`RouterHead: factorization must be one of ${FACTORIZATIONS.join(", ")}, got "${String(this.factorization)}"`);
    }
    this.temperatureValue = checkTemperature(options.temperature ?? 1);
    const initScale = options.initScale ?? 0.1;
    if (!(initScale >= 0)) throw new Error(`RouterHead: initScale must be >= 0, got ${initScale}`);
    const N = this.agents.length;
    const M = this.candidates.length;
    const h = trunk.outWidth;
    const linear = (inWidth: number, outWidth: number) => new Linear(inWidth, outWidth, rng, { weightStd: initScale / Math.sqrt(inWidth) });
    if (this.factorization === "joint") {
      const K = M ** N;
      if (K > MAX_ENUMERATED_ASSIGNMENTS) {
        throw new Error(`RouterHead: "joint" needs ${M}^${N} = ${K} classes (more than ${MAX_ENUMERATED_ASSIGNMENTS}); use "autoregressive"`);
      }
      // Layout: Q of assignment j at j, C at K + j.
      this.readouts = [linear(h, 2 * K)];
      this.levels = [];
    } else if (this.factorization === "independent") {
      // Layout: q[n][m] at n*M + m, c[n][m] at N*M + n*M + m.
      this.readouts = [linear(h, 2 * N * M)];
      this.levels = [];
    } else {
      // Level n reads z and the one-hot choices of agents 0..n-1: q at m, c at M + m. The hidden layer keeps the
      // default initialisation; the output layer starts small like the other readouts.
      this.readouts = [];
      this.levels = this.agents.map((_, n) => {
        const level = new Mlp([h + n * M, h, 2 * M], rng, { activation: trunk.activation, activateLast: false });
        const out = level.layers[1];
        rng.fillNormal(out.weight.data, initScale / Math.sqrt(h));
        return level;
      });
    }
  }

  get temperature(): number {
    return this.temperatureValue;
  }

  /** Temperature is a decoding setting, not a weight: it can change at any time. */
  set temperature(value: number) {
    this.temperatureValue = checkTemperature(value);
  }

  /** Number of assignments, M^N. */
  get assignmentCount(): number {
    return this.candidates.length ** this.agents.length;
  }

  /** The index of an assignment in enumeration order (the first agent varies slowest). */
  assignmentIndex(choices: readonly number[]): number {
    this.checkChoices(choices, "RouterHead.assignmentIndex");
    return choices.reduce((j, m) => j * this.candidates.length + m, 0);
  }

  /** The assignment with index j in enumeration order. */
  assignmentAt(j: number): number[] {
    const M = this.candidates.length;
    if (!Number.isInteger(j) || j < 0 || j >= this.assignmentCount) throw new Error(`RouterHead.assignmentAt: index ${j} outside 0..${this.assignmentCount - 1}`);
    const out = new Array<number>(this.agents.length);
    for (let n = this.agents.length - 1; n >= 0; n--) {
      out[n] = j % M;
      j = Math.floor(j / M);
    }
    return out;
  }

  /** Every assignment in enumeration order. Throws when there are more than MAX_ENUMERATED_ASSIGNMENTS. */
  enumerate(): number[][] {
    const K = this.assignmentCount;
    if (K > MAX_ENUMERATED_ASSIGNMENTS) throw new Error(`RouterHead.enumerate: ${K} assignments are too many to enumerate`);
    return Array.from({ length: K }, (_, j) => this.assignmentAt(j));
  }

  /** The whole policy for one feature and alpha: every assignment's probability and predictions, and marginals. */
  distribution(f: ArrayLike<number>, alpha: number): RoutingDistribution {
    checkAlpha(alpha);
    const z = this.trunk.forward(f, "RouterHead.distribution").output;
    const N = this.agents.length;
    const M = this.candidates.length;
    const marginals = this.agents.map(() => new Float64Array(M));
    if (this.assignmentCount > MAX_ENUMERATED_ASSIGNMENTS) {
      // Too many to list: the marginals along the greedy path stand in (exact for the first agent).
      const path = this.decode(z, alpha, null);
      path.levelProbs.forEach((p, n) => marginals[n].set(p));
      return { assignments: [], probs: new Float64Array(0), q: new Float64Array(0), c: new Float64Array(0), marginals };
    }
    const assignments = this.enumerate();
    const K = assignments.length;
    const q = new Float64Array(K);
    const c = new Float64Array(K);
    const logits = new Float64Array(K);
    if (this.factorization === "autoregressive") {
      assignments.forEach((a, j) => {
        const { logProb, last } = this.scoreAutoregressive(z, alpha, a);
        logits[j] = logProb;
        q[j] = last[a[N - 1]];
        c[j] = last[M + a[N - 1]];
      });
    } else {
      const raw = this.readouts[0].forward(z);
      assignments.forEach((a, j) => {
        [q[j], c[j]] = this.predictFromRaw(raw, a);
        logits[j] = (q[j] - alpha * c[j]) / this.temperatureValue;
      });
    }
    const probs = Float64Array.from(logSoftmax(logits), Math.exp);
    assignments.forEach((a, j) => a.forEach((m, n) => (marginals[n][m] += probs[j])));
    return { assignments, probs, q, c, marginals };
  }

  /** Predicted quality and normalised cost of one assignment. */
  predict(f: ArrayLike<number>, choices: readonly number[]): { quality: number; cost: number } {
    this.checkChoices(choices, "RouterHead.predict");
    const z = this.trunk.forward(f, "RouterHead.predict").output;
    if (this.factorization === "autoregressive") {
      const last = this.levelOutput(this.agents.length - 1, z, choices);
      const m = choices[this.agents.length - 1];
      return { quality: last[m], cost: last[this.candidates.length + m] };
    }
    const [quality, cost] = this.predictFromRaw(this.readouts[0].forward(z), choices);
    return { quality, cost };
  }

  /** Draws an assignment from pi(. | f, alpha). */
  sample(f: ArrayLike<number>, alpha: number, rng: Rng): HeadAssignment {
    return this.pick(f, alpha, rng);
  }

  /** The most probable assignment (autoregressive: greedy agent by agent). Ties go to the earlier candidate. */
  argmax(f: ArrayLike<number>, alpha: number): HeadAssignment {
    return this.pick(f, alpha, null);
  }

  /** log pi(choices | f, alpha). */
  logProb(f: ArrayLike<number>, alpha: number, choices: readonly number[]): number {
    checkAlpha(alpha);
    this.checkChoices(choices, "RouterHead.logProb");
    const z = this.trunk.forward(f, "RouterHead.logProb").output;
    return this.logProbOf(z, alpha, choices);
  }

  /**
   * Warm-up: accumulates gradients of loss = weight * sum over observations of 1/2 (Q - quality)^2 + 1/2 (C - cost)^2,
   * for the targets each observation has. Autoregressive: earlier levels regress to the best observed completion of
   * their prefix at `alpha` (the trainer's cost preference). Returns the loss.
   */
  backwardRegression(f: ArrayLike<number>, observations: readonly Observation[], options: { weight?: number; alpha?: number } = {}): number {
    const weight = requireFinite(options.weight ?? 1, "RouterHead.backwardRegression: weight");
    const alpha = options.alpha ?? 0;
    checkAlpha(alpha);
    const where = "RouterHead.backwardRegression";
    const obs = observations.map((o, i) => {
      const at = `${where}: observation ${i}`;
      if (o.quality === undefined && o.cost === undefined) throw new Error(`${at} has neither quality nor cost`);
      return {
        choices: this.resolveChoices(o.choices, at),
        quality: o.quality === undefined ? undefined : requireFinite(o.quality, `${at} quality`),
        cost: o.cost === undefined ? undefined : requireFinite(o.cost, `${at} cost`),
      };
    });
    const trunkTrace = this.trunk.forward(f, where);
    const z = trunkTrace.output;
    const N = this.agents.length;
    const M = this.candidates.length;
    let loss = 0;
    if (this.factorization !== "autoregressive") {
      const raw = this.readouts[0].forward(z);
      const d = new Float64Array(raw.length);
      for (const o of obs) {
        const [q, c] = this.predictFromRaw(raw, o.choices);
        if (o.quality !== undefined) {
          loss += 0.5 * (q - o.quality) ** 2;
          this.addPredictionGrad(d, o.choices, weight * (q - o.quality), 0);
        }
        if (o.cost !== undefined) {
          loss += 0.5 * (c - o.cost) ** 2;
          this.addPredictionGrad(d, o.choices, 0, weight * (c - o.cost));
        }
      }
      const dz = this.readouts[0].backward(z, d)!;
      this.trunk.backward(trunkTrace, dz);
      return weight * loss;
    }
    // Autoregressive: targets per (level, prefix, choice) from the observations.
    const dz = new Float64Array(z.length);
    for (let n = 0; n < N; n++) {
      const targets = new Map<string, { prefix: number[]; m: number; quality?: number; cost?: number; score: number }>();
      for (const o of obs) {
        const prefix = o.choices.slice(0, n);
        const m = o.choices[n];
        const key = `${prefix.join(",")}|${m}`;
        // Only completions with both targets can be ranked; at the last level every observation is its own target.
        const score = o.quality === undefined || o.cost === undefined ? -Infinity : o.quality - alpha * o.cost;
        const seen = targets.get(key);
        if (seen === undefined || (n < N - 1 && score > seen.score)) targets.set(key, { prefix, m, quality: o.quality, cost: o.cost, score });
      }
      for (const t of targets.values()) {
        const trace = this.levels[n].forward(levelInput(z, t.prefix, n, M));
        const raw = trace.output;
        const d = new Float64Array(raw.length);
        if (t.quality !== undefined) {
          loss += 0.5 * (raw[t.m] - t.quality) ** 2;
          d[t.m] = weight * (raw[t.m] - t.quality);
        }
        if (t.cost !== undefined) {
          loss += 0.5 * (raw[M + t.m] - t.cost) ** 2;
          d[M + t.m] = weight * (raw[M + t.m] - t.cost);
        }
        const dx = this.levels[n].backward(trace, d)!;
        for (let i = 0; i < dz.length; i++) dz[i] += dx[i];
      }
    }
    this.trunk.backward(trunkTrace, dz);
    return weight * loss;
  }

  /**
   * REINFORCE (weight = reward minus baseline) or cross-entropy on a label (weight = 1): accumulates gradients of
   * loss = -weight * log pi(choices | f, alpha), so that a gradient-descent step makes a positively weighted
   * assignment more likely. Returns log pi(choices | f, alpha).
   *
   * With s = (Q - alpha C) / T: d log pi(a) / d s_b = 1[b = a] - pi(b), ds/dQ = 1/T, ds/dC = -alpha/T.
   */
  backwardPolicy(f: ArrayLike<number>, alpha: number, choices: readonly number[], weight: number): number {
    requireFinite(weight, "RouterHead.backwardPolicy: weight");
    checkAlpha(alpha);
    this.checkChoices(choices, "RouterHead.backwardPolicy");
    const trace = this.trunk.forward(f, "RouterHead.backwardPolicy");
    const z = trace.output;
    const T = this.temperatureValue;
    const M = this.candidates.length;
    const N = this.agents.length;
    const scoreGrad = (p: Float64Array, a: number) => Array.from(p, (pb, b) => (-weight * ((b === a ? 1 : 0) - pb)) / T);
    let logProb = 0;
    const dz = new Float64Array(z.length);
    const addDz = (dx: Float64Array | null) => {
      for (let i = 0; i < dz.length; i++) dz[i] += dx![i];
    };
    if (this.factorization === "joint") {
      const raw = this.readouts[0].forward(z);
      const K = this.assignmentCount;
      const logits = new Float64Array(K);
      for (let j = 0; j < K; j++) logits[j] = (raw[j] - alpha * raw[K + j]) / T;
      const lp = logSoftmax(logits);
      const a = this.assignmentIndex(choices);
      logProb = lp[a];
      const g = scoreGrad(Float64Array.from(lp, Math.exp), a);
      const d = new Float64Array(2 * K);
      for (let j = 0; j < K; j++) {
        d[j] = g[j];
        d[K + j] = -alpha * g[j];
      }
      addDz(this.readouts[0].backward(z, d));
    } else if (this.factorization === "independent") {
      const raw = this.readouts[0].forward(z);
      const d = new Float64Array(raw.length);
      for (let n = 0; n < N; n++) {
        const lp = this.agentLogits(raw, n, alpha);
        logProb += lp[choices[n]];
        const g = scoreGrad(Float64Array.from(lp, Math.exp), choices[n]);
        for (let m = 0; m < M; m++) {
          d[n * M + m] = g[m];
          d[N * M + n * M + m] = -alpha * g[m];
        }
      }
      addDz(this.readouts[0].backward(z, d));
    } else {
      for (let n = 0; n < N; n++) {
        const levelTrace = this.levels[n].forward(levelInput(z, choices, n, M));
        const raw = levelTrace.output;
        const lp = logSoftmax(Array.from({ length: M }, (_, m) => (raw[m] - alpha * raw[M + m]) / T));
        logProb += lp[choices[n]];
        const g = scoreGrad(Float64Array.from(lp, Math.exp), choices[n]);
        const d = new Float64Array(2 * M);
        for (let m = 0; m < M; m++) {
          d[m] = g[m];
          d[M + m] = -alpha * g[m];
        }
        addDz(this.levels[n].backward(levelTrace, d));
      }
    }
    this.trunk.backward(trace, dz);
    return logProb;
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
    for (const readout of this.readouts) for (const [name, p] of readout.namedParameters()) yield [`readout.${name}`, p];
    for (const [n, level] of this.levels.entries()) for (const [name, p] of level.namedParameters()) yield [`level.${n}.${name}`, p];
  }

  // --- internals --------------------------------------------------------------------------------------------------

  private pick(f: ArrayLike<number>, alpha: number, rng: Rng | null): HeadAssignment {
    checkAlpha(alpha);
    const z = this.trunk.forward(f, "RouterHead.forward").output;
    if (this.factorization === "autoregressive") {
      const path = this.decode(z, alpha, rng);
      return this.assignment(path.choices, path.logProb, this.marginalsOr(z, alpha, path.levelProbs));
    }
    const dist = this.distributionFromZ(z, alpha);
    let j: number;
    if (rng) {
      let u = rng.uniform();
      j = dist.probs.length - 1; // u landing in the rounding slack of the last bucket
      for (let k = 0; k < dist.probs.length; k++) {
        u -= dist.probs[k];
        if (u < 0) {
          j = k;
          break;
        }
      }
    } else {
      j = 0;
      for (let k = 1; k < dist.probs.length; k++) if (dist.probs[k] > dist.probs[j]) j = k;
    }
    return this.assignment(dist.assignments[j], Math.log(dist.probs[j]), dist.marginals);
  }

  /** joint / independent: the enumerated distribution from a trunk output. */
  private distributionFromZ(z: Float64Array, alpha: number): { assignments: number[][]; probs: Float64Array; marginals: Float64Array[] } {
    const raw = this.readouts[0].forward(z);
    const M = this.candidates.length;
    if (this.factorization === "independent" && this.assignmentCount > MAX_ENUMERATED_ASSIGNMENTS) {
      throw new Error(`RouterHead: ${this.assignmentCount} assignments are too many for "independent"; use "autoregressive"`);
    }
    const assignments = this.enumerate();
    const logits = assignments.map((a) => {
      const [q, c] = this.predictFromRaw(raw, a);
      return (q - alpha * c) / this.temperatureValue;
    });
    const probs = Float64Array.from(logSoftmax(logits), Math.exp);
    const marginals = this.agents.map(() => new Float64Array(M));
    assignments.forEach((a, j) => a.forEach((m, n) => (marginals[n][m] += probs[j])));
    return { assignments, probs, marginals };
  }

  /** Autoregressive decoding: sample with `rng`, greedy without. */
  private decode(z: Float64Array, alpha: number, rng: Rng | null): { choices: number[]; logProb: number; levelProbs: Float64Array[] } {
    const M = this.candidates.length;
    const choices: number[] = [];
    const levelProbs: Float64Array[] = [];
    let logProb = 0;
    for (let n = 0; n < this.agents.length; n++) {
      const raw = this.levelOutput(n, z, choices);
      const lp = logSoftmax(Array.from({ length: M }, (_, m) => (raw[m] - alpha * raw[M + m]) / this.temperatureValue));
      const p = Float64Array.from(lp, Math.exp);
      let m = 0;
      if (rng) {
        let u = rng.uniform();
        m = M - 1;
        for (let k = 0; k < M; k++) {
          u -= p[k];
          if (u < 0) {
            m = k;
            break;
          }
        }
      } else {
        for (let k = 1; k < M; k++) if (p[k] > p[m]) m = k;
      }
      choices.push(m);
      levelProbs.push(p);
      logProb += lp[m];
    }
    return { choices, logProb, levelProbs };
  }

  /** Exact marginals when the space is small enough to enumerate; the decoding path's distributions otherwise. */
  private marginalsOr(z: Float64Array, alpha: number, levelProbs: Float64Array[]): Float64Array[] {
    if (this.assignmentCount > MAX_ENUMERATED_ASSIGNMENTS) return levelProbs;
    const M = this.candidates.length;
    const marginals = this.agents.map(() => new Float64Array(M));
    for (const a of this.enumerate()) {
      const p = Math.exp(this.logProbOf(z, alpha, a));
      a.forEach((m, n) => (marginals[n][m] += p));
    }
    return marginals;
  }

  private scoreAutoregressive(z: Float64Array, alpha: number, a: readonly number[]): { logProb: number; last: Float64Array } {
    const M = this.candidates.length;
    let logProb = 0;
    let last: Float64Array = new Float64Array(0);
    for (let n = 0; n < this.agents.length; n++) {
      last = this.levelOutput(n, z, a);
      const lp = logSoftmax(Array.from({ length: M }, (_, m) => (last[m] - alpha * last[M + m]) / this.temperatureValue));
      logProb += lp[a[n]];
    }
    return { logProb, last };
  }

  private logProbOf(z: Float64Array, alpha: number, choices: readonly number[]): number {
    if (this.factorization === "autoregressive") return this.scoreAutoregressive(z, alpha, choices).logProb;
    const raw = this.readouts[0].forward(z);
    if (this.factorization === "independent") return choices.reduce((s, m, n) => s + this.agentLogits(raw, n, alpha)[m], 0);
    const K = this.assignmentCount;
    const logits = new Float64Array(K);
    for (let j = 0; j < K; j++) logits[j] = (raw[j] - alpha * raw[K + j]) / this.temperatureValue;
    return logSoftmax(logits)[this.assignmentIndex(choices)];
  }

  /** autoregressive: level n's raw output (q at m, c at M + m) after the choices of agents 0..n-1. */
  private levelOutput(n: number, z: Float64Array, choices: readonly number[]): Float64Array {
    return this.levels[n].forward(levelInput(z, choices, n, this.candidates.length)).output;
  }

  /** independent: log pi_n over candidates for agent n. */
  private agentLogits(raw: Float64Array, n: number, alpha: number): Float64Array {
    const M = this.candidates.length;
    const NM = this.agents.length * M;
    return logSoftmax(Array.from({ length: M }, (_, m) => (raw[n * M + m] - alpha * raw[NM + n * M + m]) / this.temperatureValue));
  }

  /** joint / independent: (Q, C) of an assignment from the readout's raw output. */
  private predictFromRaw(raw: Float64Array, a: readonly number[]): [number, number] {
    if (this.factorization === "joint") {
      const j = this.assignmentIndex(a);
      return [raw[j], raw[this.assignmentCount + j]];
    }
    const M = this.candidates.length;
    const NM = this.agents.length * M;
    let q = 0;
    let c = 0;
    a.forEach((m, n) => {
      q += raw[n * M + m];
      c += raw[NM + n * M + m];
    });
    return [q, c];
  }

  /** joint / independent: adds dQ and dC of an assignment to the raw-output gradient. */
  private addPredictionGrad(d: Float64Array, a: readonly number[], dq: number, dc: number): void {
    if (this.factorization === "joint") {
      const j = this.assignmentIndex(a);
      d[j] += dq;
      d[this.assignmentCount + j] += dc;
      return;
    }
    const M = this.candidates.length;
    const NM = this.agents.length * M;
    a.forEach((m, n) => {
      d[n * M + m] += dq;
      d[NM + n * M + m] += dc;
    });
  }

  private assignment(choices: number[], logProb: number, probs: Float64Array[]): HeadAssignment {
    return { choices, candidateIds: choices.map((m) => this.candidates[m]), logProb, probs };
  }

  private resolveChoices(choices: Observation["choices"], where: string): number[] {
    if (Array.isArray(choices)) {
      this.checkChoices(choices, where);
      return [...choices];
    }
    const record = choices as Readonly<Record<string, string>>;
    return this.agents.map((agent) => {
      const id = record[agent];
      const m = this.candidates.indexOf(id);
      if (m < 0) throw new Error(`${where}: agent "${agent}" has candidate ${JSON.stringify(id)}, expected one of ${this.candidates.join(", ")}`);
      return m;
    });
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
}

/** z followed by the one-hot choices of agents 0..n-1 (the autoregressive level's input). */
function levelInput(z: Float64Array, choices: readonly number[], n: number, M: number): Float64Array {
  const x = new Float64Array(z.length + n * M);
  x.set(z);
  for (let k = 0; k < n; k++) x[z.length + k * M + choices[k]] = 1;
  return x;
}

function checkAlpha(alpha: number): void {
  requireFinite(alpha, "RouterHead: alpha");
  if (alpha < 0) throw new Error(`RouterHead: alpha must be >= 0 (a cost weight), got ${alpha}`);
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
