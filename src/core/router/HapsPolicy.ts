/**
 * The whole HAPS router as one trainable object: a trunk over the router LLM's feature, the high-level head that
 * picks a candidate per agent, and one LoRA generator per open candidate, all built from a configuration.
 *
 * With `shareTrunk` (the paper's design) the head and every generator read the same trunk, so routing and
 * parameter generation shape one representation. Without it (the ablation) each gets a private copy that starts
 * from the same weights, so the two set-ups differ only in sharing.
 */
import type { LoraAdapter } from "../adapters/types.ts";
import { LoraGenerator, type AdapterNoise, type ExploredFactors, type SampledAdapter } from "../generator/LoraGenerator.ts";
import { ParameterSet } from "../nn/ParameterSet.ts";
import { Rng } from "../nn/Rng.ts";
import { Trunk } from "../nn/Trunk.ts";
import { FeatureStandardizer } from "./FeatureStandardizer.ts";
import { resolveHapsPolicyConfig, type HapsPolicyConfig, type ResolvedHapsPolicyConfig } from "./HapsPolicyConfig.ts";
import { RouterHead, type HeadAssignment } from "./RouterHead.ts";

export class HapsPolicy {
  readonly config: ResolvedHapsPolicyConfig;
  readonly head: RouterHead;
  private readonly generators = new Map<string, LoraGenerator | null>();
  private readonly params = new ParameterSet();
  private readonly trunks: Trunk[] = [];

  constructor(config: HapsPolicyConfig) {
    this.config = resolveHapsPolicyConfig(config);
    const c = this.config;
    const rng = new Rng(c.seed);
    const trunk = new Trunk(c.featureWidth, rng.fork(), { width: c.trunkWidth, activation: c.activation });
    const trunkFor = (): Trunk => {
      const t = c.shareTrunk ? trunk : trunk.clone();
      if (!this.trunks.includes(t)) this.trunks.push(t);
      return t;
    };

    this.head = new RouterHead(
      trunkFor(),
      { agents: c.agents, candidates: c.candidates.map((m) => m.id), factorization: c.factorization, temperature: c.temperature, initScale: c.headInitScale },
      rng.fork(),
    );
    if (c.shareTrunk) this.params.addModule("trunk.", trunk);
    else this.params.addModule("head.trunk.", this.head.trunk);
    this.params.addModule("head.", this.head);

    for (const m of c.candidates) {
      // Forked per candidate in configuration order, so adding a closed model does not reshuffle others' weights.
      const genRng = rng.fork();
      if (!m.open) {
        this.generators.set(m.id, null);
        continue;
      }
      const generator = new LoraGenerator(
        { id: m.id, architecture: m.architecture!, blockCount: m.blockCount!, oProj: m.oProj! },
        trunkFor(),
        { rank: c.rank, lastLayers: c.lastLayers, hidden: c.hidden, loraAlpha: c.loraAlpha, activation: c.activation, initBStd: c.initBStd },
        genRng,
      );
      this.generators.set(m.id, generator);
      if (!c.shareTrunk) this.params.addModule(`generator.${m.id}.trunk.`, generator.trunk);
      this.params.addModule(`generator.${m.id}.`, generator);
    }
  }

  /** The feature statistics every trunk standardises with (null: not fitted, the trunks RMS-normalise). */
  get featureStandardizer(): FeatureStandardizer | null {
    return this.trunks[0].standardizer;
  }

  set featureStandardizer(value: FeatureStandardizer | null) {
    if (value != null && value.width !== this.config.featureWidth) {
      throw new Error(`HapsPolicy: the feature standardiser has width ${value.width}, the policy reads features of width ${this.config.featureWidth}`);
    }
    for (const t of this.trunks) t.standardizer = value;
  }

  /** Fits the feature statistics on the training items' features (before any training step; see Trunk). */
  fitFeatureStandardizer(features: readonly ArrayLike<number>[]): FeatureStandardizer {
    const s = FeatureStandardizer.fit(features);
    this.featureStandardizer = s;
    return s;
  }

  /** All trainable tensors under stable names (a shared trunk appears once): for the optimiser and checkpoints. */
  parameters(): ParameterSet {
    return this.params;
  }

  /** The generator of an open candidate, or null for a closed one. */
  generator(candidateId: string): LoraGenerator | null {
    if (!this.generators.has(candidateId)) {
      throw new Error(`HapsPolicy: unknown candidate "${candidateId}" (known: ${[...this.generators.keys()].join(", ")})`);
    }
    return this.generators.get(candidateId)!;
  }

  /** High-level routing: a sample from the policy when `rng` is given, its mode otherwise. */
  route(f: ArrayLike<number>, alpha: number, rng?: Rng): HeadAssignment {
    return rng ? this.head.sample(f, alpha, rng) : this.head.argmax(f, alpha);
  }

  /** The mean adapter for an open candidate; null for a closed one. */
  generate(candidateId: string, f: ArrayLike<number>): LoraAdapter | null {
    return this.generator(candidateId)?.generate(f) ?? null;
  }

  /** An exploratory adapter for an open candidate; null for a closed one. */
  sampleAdapter(candidateId: string, f: ArrayLike<number>, sigma: number, rng: Rng, factors: ExploredFactors = "both"): SampledAdapter | null {
    return this.generator(candidateId)?.sampleAdapter(f, sigma, rng, factors) ?? null;
  }

  /**
   * REINFORCE on a sampled adapter (see LoraGenerator.backwardAdapter). A closed candidate has no parameters to
   * learn: pass null noise and nothing is accumulated (returns 0).
   */
  backwardAdapter(candidateId: string, f: ArrayLike<number>, noise: AdapterNoise | null, weight: number): number {
    const generator = this.generator(candidateId);
    if (!generator) {
      if (noise !== null) throw new Error(`HapsPolicy.backwardAdapter: candidate "${candidateId}" is closed and has no adapter, but noise was given`);
      return 0;
    }
    if (noise === null) throw new Error(`HapsPolicy.backwardAdapter: candidate "${candidateId}" is open; pass the noise from sampleAdapter`);
    return generator.backwardAdapter(f, noise, weight);
  }
}
