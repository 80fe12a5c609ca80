/**
 * The low-level router (HAPS, parameter search): a hypernetwork that writes a per-query LoRA adapter for one open
 * model.
 *
 *   z  = trunk(f)                       layer 1: shared with the high-level head (the same Trunk instance)
 *   u  = act(W_u z + b_u)               layer 2: this generator's own, `hidden` units
 *   A_l = reshape(W_A,l u + b_A,l)      (in_l x r)   for each of the model's last k layers l
 *   B_l = reshape(W_B,l u + b_B,l)      (r x out_l)
 *
 * and the adapter updates o_proj of layer l by (alpha / r) A_l B_l. Widths come from the model's own shape, so two
 * candidate models of different widths get generators of different shapes.
 *
 * How this maps onto the paper (Appendix A.2; reference code joint_rl/lora_generator.py): there, each generator is a
 * 2-layer MLP with 256 hidden units over the router LLM's pooled hidden state, followed by two linear heads to A and
 * B, and the shared part is the router LLM itself, fine-tuned by the generators' gradients. llama.cpp gives no
 * gradients, so the router LLM is frozen here and the sharing moves one layer up: the first of the two MLP layers is
 * the Trunk, shared by the high-level head and every generator (gradients from routing and from parameter generation
 * both land in it), and the second is private to each generator. Per generator the path f -> 256 -> 256 -> {A, B} is
 * exactly the paper's shape.
 *
 * Initialisation. Plain LoRA starts with B = 0: the adapter is an exact no-op, and while B stays 0 no gradient
 * reaches the A head, the MLP or the trunk. Here B starts small but non-zero, so every part of the generator learns
 * from the first step and a generated adapter's effect is measurable from the start:
 *  - A's bias ~ N(0, 1/in) and A's weight ~ N(0, 1/(in * hidden)): A has entries of std ~ 1/sqrt(in) whatever u
 *    is, so A^T x has the scale of x's root-mean-square (a norm-preserving down-projection), and part of A
 *    already depends on the query;
 *  - B's bias = 0 and B's weight ~ N(0, initBStd^2 / hidden): B's entries have std <= initBStd while the hidden
 *    units are at most 1 in magnitude (tanh; gelu and relu units are unbounded, so there the bound holds only for
 *    unit-scale activations), and every entry depends on the query.
 * Then E|A B|_F^2 <= 2 r out initBStd^2, i.e. |delta W|_F <= (alpha / r) initBStd sqrt(2 r out) (see
 * `initialDeltaNormBound`), against |W_o|_F ~ sqrt(out) for a typical o_proj: with the defaults (r = 8,
 * initBStd = 1e-3) the untrained adapter moves o_proj by ~0.4% - small but measurable. `deltaNorms` reports the
 * norm actually produced.
 *
 * RL: `sampleAdapter` adds Gaussian exploration noise to the generated parameters (see gaussianPolicy.ts);
 * `backwardAdapter` (on-policy REINFORCE) and `backwardLikelihood` (reward-weighted likelihood of stored parameters)
 * send the score through both heads, the private layer and the trunk.
 */
import type { LoraAdapter, LoraLayer } from "../adapters/types.ts";
import type { OProjShape } from "../gguf/types.ts";
import type { ActivationKind } from "../nn/activation.ts";
import { Linear } from "../nn/Linear.ts";
import { Mlp, type MlpTrace } from "../nn/Mlp.ts";
import type { Module, Parameter } from "../nn/Parameter.ts";
import type { Rng } from "../nn/Rng.ts";
import type { Trunk, TrunkTrace } from "../nn/Trunk.ts";
import { requireFinite } from "../nn/vector.ts";
import { checkSigma, gaussianLogDensity, sampleGaussian } from "./gaussianPolicy.ts";
import { layerStats } from "../adapters/adapterStats.ts";
import { formatShapeIssues, policyShapeSchema } from "../config/policyShape.ts";

const generatorOptionsSchema = policyShapeSchema.pick({ rank: true, lastLayers: true, hidden: true, loraAlpha: true, initBStd: true, activation: true });

/** An open model as the generator needs it: identity and the o_proj widths of its blocks. */
export interface GeneratorModel {
  id: string;
  /** `general.architecture`, copied into the adapter (llama.cpp refuses an adapter for another architecture). */
  architecture: string;
  blockCount: number;
  /** o_proj widths per block; must cover at least the last `lastLayers` blocks. */
  oProj: readonly OProjShape[];
}

export interface LoraGeneratorOptions {
  /** LoRA rank r. Defaults to `8`. */
  rank?: number;
  /** k: adapt o_proj of the last k blocks. Defaults to `1`. */
  lastLayers?: number;
  /** Width of the generator's own hidden layer (the second layer of the paper's 2-layer MLP). Defaults to `256`. */
  hidden?: number;
  /** LoRA alpha written into the adapter; the update is scaled by alpha / rank. Defaults to the rank. */
  loraAlpha?: number;
  /** Activation of the hidden layers. Defaults to `"tanh"`. */
  activation?: ActivationKind;
  /** Upper bound on the std of B's entries at initialisation (see the file comment). Defaults to `1e-3`. */
  initBStd?: number;
}

/**
 * Which factors a sample explores. A LoRA update is bilinear, Delta W = A B: with noise on both factors around a
 * small mean the update is dominated by the product of the two noises, which is the same for +eps and -eps, so an
 * antithetic pair sees no difference and learns nothing (measured: the keyword benchmark's "none" items never
 * moved). With noise on one factor only the update is linear in the noise and the pair's difference is the signal.
 */
export type ExploredFactors = "a" | "b" | "both";

/** Exploration noise of one sampled adapter: theta = mu + sigma * epsilon, flattened as [A_l, B_l] per target layer. */
export interface AdapterNoise {
  sigma: number;
  /** Zero on the factor that was not explored. */
  epsilon: Float64Array;
  /** The factors explored. Defaults to both. */
  factors?: ExploredFactors;
}

export interface SampledAdapter {
  adapter: LoraAdapter;
  noise: AdapterNoise;
  /** log p(theta | f) under the Gaussian policy. */
  logProb: number;
}

interface Heads {
  layer: OProjShape;
  a: Linear;
  b: Linear;
}

interface Trace {
  trunk: TrunkTrace;
  mlp: MlpTrace;
  mean: Float64Array;
}

export class LoraGenerator implements Module {
  readonly model: GeneratorModel;
  /** The o_proj shapes this generator writes, ascending by layer: the model's last k blocks. */
  readonly targets: readonly OProjShape[];
  readonly rank: number;
  readonly loraAlpha: number;
  readonly initBStd: number;
  readonly mlp: Mlp;
  /** Number of generated scalars (the Gaussian policy's dimension). */
  readonly outputSize: number;
  private readonly heads: Heads[];

  constructor(
    model: GeneratorModel,
    readonly trunk: Trunk,
    options: LoraGeneratorOptions,
    rng: Rng,
  ) {
    // The same schema as the configuration, the policy and checkpoints (policyShape.ts).
    const parsed = generatorOptionsSchema.safeParse(options);
    if (!parsed.success) throw new Error(`LoraGenerator (model "${model?.id}"): ${formatShapeIssues(parsed.error)}`);
    const { rank, lastLayers: k, hidden, loraAlpha, initBStd, activation } = parsed.data;
    this.rank = rank;
    this.loraAlpha = loraAlpha ?? rank;
    this.initBStd = initBStd;
    this.model = { ...model, oProj: [...model.oProj] };
    this.targets = lastLayers(model, k);
    this.mlp = new Mlp([trunk.outWidth, hidden], rng, { activation: activation as ActivationKind, activateLast: true });
    this.heads = this.targets.map((layer) => ({
      layer,
      a: new Linear(hidden, layer.inWidth * this.rank, rng, {
        weightStd: 1 / Math.sqrt(layer.inWidth * hidden),
        biasStd: 1 / Math.sqrt(layer.inWidth),
      }),
      b: new Linear(hidden, this.rank * layer.outWidth, rng, { weightStd: this.initBStd / Math.sqrt(hidden) }),
    }));
    this.outputSize = this.heads.reduce((n, h) => n + h.a.outWidth + h.b.outWidth, 0);
  }

  /** The mean adapter mu(f): what the generator writes for this query without exploration. */
  generate(f: ArrayLike<number>): LoraAdapter {
    return this.toAdapter(this.forward(f, "LoraGenerator.generate").mean);
  }

  /**
   * theta = mu(f) + sigma * eps, with the noise (for `backwardAdapter`) and log p(theta | f). `factors` limits the
   * noise to A or B (see ExploredFactors); the log-density is then over the explored entries. Defaults to both.
   */
  sampleAdapter(f: ArrayLike<number>, sigma: number, rng: Rng, factors: ExploredFactors = "both"): SampledAdapter {
    checkSigma(sigma, "LoraGenerator.sampleAdapter");
    const { mean } = this.forward(f, "LoraGenerator.sampleAdapter");
    if (factors === "both") {
      const { value, epsilon, logProb } = sampleGaussian(mean, sigma, rng);
      return { adapter: this.toAdapter(value), noise: { sigma, epsilon, factors }, logProb };
    }
    const mask = this.factorMask(factors);
    const epsilon = new Float64Array(mean.length);
    const value = Float64Array.from(mean);
    let sq = 0;
    let n = 0;
    for (let i = 0; i < mean.length; i++) {
      if (!mask[i]) continue;
      epsilon[i] = rng.normal();
      value[i] += sigma * epsilon[i];
      sq += epsilon[i] * epsilon[i];
      n++;
    }
    return { adapter: this.toAdapter(value), noise: { sigma, epsilon, factors }, logProb: gaussianLogDensity(sq, n, sigma) };
  }

  /** true where a flattened parameter belongs to the explored factor(s). */
  private factorMask(factors: ExploredFactors): Uint8Array {
    const mask = new Uint8Array(this.outputSize);
    let offset = 0;
    for (const h of this.heads) {
      if (factors !== "b") mask.fill(1, offset, offset + h.a.outWidth);
      offset += h.a.outWidth;
      if (factors !== "a") mask.fill(1, offset, offset + h.b.outWidth);
      offset += h.b.outWidth;
    }
    return mask;
  }

  /** log p(adapter | f) under the Gaussian policy with the current weights. */
  logProb(f: ArrayLike<number>, adapter: LoraAdapter, sigma: number): number {
    checkSigma(sigma, "LoraGenerator.logProb");
    const theta = this.flatten(adapter, "LoraGenerator.logProb");
    const { mean } = this.forward(f, "LoraGenerator.logProb");
    let sq = 0;
    for (let i = 0; i < mean.length; i++) sq += ((theta[i] - mean[i]) / sigma) ** 2;
    return gaussianLogDensity(sq, mean.length, sigma);
  }

  /**
   * On-policy REINFORCE for a sample from `sampleAdapter`: accumulates gradients of
   * loss = -weight * log p(theta | f), using d log p / d mu = eps / sigma (exact while the weights are those that
   * drew the sample). Returns log p(theta | f) at sampling time.
   */
  backwardAdapter(f: ArrayLike<number>, noise: AdapterNoise, weight: number): number {
    const where = "LoraGenerator.backwardAdapter";
    requireFinite(weight, `${where}: weight`);
    checkSigma(noise?.sigma, where);
    if (!(noise.epsilon instanceof Float64Array) || noise.epsilon.length !== this.outputSize) {
      throw new Error(`${where}: noise for model "${this.model.id}" must hold ${this.outputSize} values, got ${noise.epsilon?.length}`);
    }
    const trace = this.forward(f, where);
    const dMean = new Float64Array(this.outputSize);
    let sq = 0;
    for (let i = 0; i < dMean.length; i++) {
      dMean[i] = (-weight * noise.epsilon[i]) / noise.sigma;
      sq += noise.epsilon[i] * noise.epsilon[i];
    }
    this.backwardMean(trace, dMean);
    const n = noise.factors == null || noise.factors === "both" ? this.outputSize : this.factorMask(noise.factors).reduce((a, b) => a + b, 0);
    return gaussianLogDensity(sq, n, noise.sigma);
  }

  /**
   * Reward-weighted likelihood of stored parameters (valid off-policy, e.g. replaying a buffer): accumulates
   * gradients of loss = -weight * log p(theta | f), with d log p / d mu = (theta - mu) / sigma^2. Returns log p.
   */
  backwardLikelihood(f: ArrayLike<number>, adapter: LoraAdapter, sigma: number, weight: number): number {
    const where = "LoraGenerator.backwardLikelihood";
    requireFinite(weight, `${where}: weight`);
    checkSigma(sigma, where);
    const theta = this.flatten(adapter, where);
    const trace = this.forward(f, where);
    const dMean = new Float64Array(this.outputSize);
    let sq = 0;
    for (let i = 0; i < dMean.length; i++) {
      const r = (theta[i] - trace.mean[i]) / sigma;
      sq += r * r;
      dMean[i] = (-weight * r) / sigma;
    }
    this.backwardMean(trace, dMean);
    return gaussianLogDensity(sq, this.outputSize, sigma);
  }

  /**
   * Accumulates the gradient of loss = weight / 2 * |mu_B(f)|^2, the squared norm of the generated B factors.
   * Exploration noise on B also moves B's mean in directions the reward never rewarded; through the final RMSNorm
   * such drift shrinks every logit (the pitfall in ../shared/NOTES.md), and this pulls it back. Returns the loss.
   */
  backwardNormPenalty(f: ArrayLike<number>, weight: number): number {
    requireFinite(weight, "LoraGenerator.backwardNormPenalty: weight");
    const trace = this.forward(f, "LoraGenerator.backwardNormPenalty");
    const mask = this.factorMask("b");
    const dMean = new Float64Array(this.outputSize);
    let sq = 0;
    for (let i = 0; i < dMean.length; i++) {
      if (!mask[i]) continue;
      dMean[i] = weight * trace.mean[i];
      sq += trace.mean[i] * trace.mean[i];
    }
    this.backwardMean(trace, dMean);
    return (weight / 2) * sq;
  }

  /** |(alpha / r) A_l B_l|_F per target layer of an adapter (of this generator's shape). */
  deltaNorms(adapter: LoraAdapter): number[] {
    this.flatten(adapter, "LoraGenerator.deltaNorms");
    const scale = (adapter.alpha ?? adapter.layers[0].rank) / this.rank;
    return adapter.layers.map((layer) => Math.abs(scale) * layerStats(layer).normUpdate);
  }

  /** The initialisation's bound on E|delta W_l|_F (see the file comment), per target layer. */
  initialDeltaNormBound(): number[] {
    return this.targets.map((t) => (Math.abs(this.loraAlpha) / this.rank) * this.initBStd * Math.sqrt(2 * this.rank * t.outWidth));
  }

  /** Generator-own parameters (MLP and heads); the trunk is named by its owner, since it may be shared. */
  *namedParameters(): Iterable<[string, Parameter]> {
    for (const [name, p] of this.mlp.namedParameters()) yield [`mlp.${name}`, p];
    for (const h of this.heads) {
      for (const [name, p] of h.a.namedParameters()) yield [`a.${h.layer.layer}.${name}`, p];
      for (const [name, p] of h.b.namedParameters()) yield [`b.${h.layer.layer}.${name}`, p];
    }
  }

  /** Back-propagates dL/dmu through the heads, the MLP and the trunk. */
  private backwardMean(trace: Trace, dMean: Float64Array): void {
    const u = trace.mlp.output;
    const du = new Float64Array(u.length);
    let offset = 0;
    for (const h of this.heads) {
      for (const lin of [h.a, h.b]) {
        const g = lin.backward(u, dMean.subarray(offset, offset + lin.outWidth))!;
        for (let i = 0; i < du.length; i++) du[i] += g[i];
        offset += lin.outWidth;
      }
    }
    const dz = this.mlp.backward(trace.mlp, du)!;
    this.trunk.backward(trace.trunk, dz);
  }

  private forward(f: ArrayLike<number>, where: string): Trace {
    const trunk = this.trunk.forward(f, `${where} (model "${this.model.id}")`);
    const mlp = this.mlp.forward(trunk.output);
    const mean = new Float64Array(this.outputSize);
    let offset = 0;
    for (const h of this.heads) {
      for (const lin of [h.a, h.b]) {
        mean.set(lin.forward(mlp.output), offset);
        offset += lin.outWidth;
      }
    }
    return { trunk, mlp, mean };
  }

  private toAdapter(flat: Float64Array): LoraAdapter {
    let offset = 0;
    const layers: LoraLayer[] = this.heads.map(({ layer, a, b }) => {
      const aData = Float32Array.from(flat.subarray(offset, offset + a.outWidth));
      offset += a.outWidth;
      const bData = Float32Array.from(flat.subarray(offset, offset + b.outWidth));
      offset += b.outWidth;
      return { layer: layer.layer, inWidth: layer.inWidth, outWidth: layer.outWidth, rank: this.rank, a: aData, b: bData };
    });
    return { architecture: this.model.architecture, alpha: this.loraAlpha, layers };
  }

  /** Checks an adapter has exactly this generator's shape and returns its parameters flattened like mu. */
  private flatten(adapter: LoraAdapter, where: string): Float64Array {
    const id = this.model.id;
    if (!adapter || !Array.isArray(adapter.layers)) throw new Error(`${where}: expected a LoRA adapter for model "${id}"`);
    if (adapter.architecture !== this.model.architecture) {
      throw new Error(`${where}: adapter architecture "${adapter.architecture}" does not match model "${id}" ("${this.model.architecture}")`);
    }
    if (adapter.layers.length !== this.heads.length) {
      throw new Error(`${where}: adapter has ${adapter.layers.length} layers, model "${id}" generates ${this.heads.length}`);
    }
    const flat = new Float64Array(this.outputSize);
    let offset = 0;
    adapter.layers.forEach((l, i) => {
      const t = this.heads[i].layer;
      for (const field of ["layer", "inWidth", "outWidth"] as const) {
        if (l[field] !== t[field]) throw new Error(`${where}: model "${id}" adapter layer ${i} has ${field} ${l[field]}, expected ${t[field]}`);
      }
      if (l.rank !== this.rank) throw new Error(`${where}: model "${id}" layer ${t.layer} has rank ${l.rank}, expected ${this.rank}`);
      if (l.a?.length !== t.inWidth * this.rank) throw new Error(`${where}: model "${id}" layer ${t.layer} A holds ${l.a?.length} values, expected ${t.inWidth * this.rank}`);
      if (l.b?.length !== this.rank * t.outWidth) throw new Error(`${where}: model "${id}" layer ${t.layer} B holds ${l.b?.length} values, expected ${this.rank * t.outWidth}`);
      flat.set(l.a, offset);
      offset += l.a.length;
      flat.set(l.b, offset);
      offset += l.b.length;
    });
    return flat;
  }
}


/** The o_proj shapes of the model's last k blocks, with errors that name the model and the missing piece. */
function lastLayers(model: GeneratorModel, k: number): OProjShape[] {
  if (!model || typeof model.id !== "string" || model.id.length === 0) throw new Error("LoraGenerator: model needs a non-empty string id");
  const where = `LoraGenerator (model "${model.id}")`;
  if (typeof model.architecture !== "string" || model.architecture.length === 0) throw new Error(`${where}: architecture must be a non-empty string`);
  if (!Number.isInteger(model.blockCount) || model.blockCount <= 0) throw new Error(`${where}: blockCount must be a positive integer, got ${String(model.blockCount)}`);
  if (k > model.blockCount) throw new Error(`${where}: lastLayers is ${k} but the model has only ${model.blockCount} blocks`);
  if (!Array.isArray(model.oProj)) throw new Error(`${where}: oProj must be an array of {layer, inWidth, outWidth}`);
  const out: OProjShape[] = [];
  for (let layer = model.blockCount - k; layer < model.blockCount; layer++) {
    const matches = model.oProj.filter((o) => o?.layer === layer);
    if (matches.length === 0) throw new Error(`${where}: no o_proj shape for layer ${layer} (the last ${k} of ${model.blockCount} blocks are adapted)`);
    if (matches.length > 1) throw new Error(`${where}: layer ${layer} has ${matches.length} o_proj shapes`);
    const o = matches[0];
    for (const field of ["inWidth", "outWidth"] as const) {
      if (!Number.isInteger(o[field]) || o[field] <= 0) throw new Error(`${where}: layer ${layer} o_proj ${field} must be a positive integer, got ${String(o[field])}`);
    }
    out.push({ layer, inWidth: o.inWidth, outWidth: o.outWidth });
  }
  return out;
}
