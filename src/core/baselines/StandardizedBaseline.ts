/**
 * Any baseline, fed the standardised routing feature: mean and scale are fitted on the training split's embeddings
 * (router/FeatureStandardizer.ts, the same statistics HAPS's trunk fits and stores in its checkpoint) and applied to
 * every example the baseline sees, at fit and at decision time. `haps eval` wraps every learned baseline in it, so all
 * methods read one feature the same way.
 *
 * Only `embedding` is standardised; a task embedding (GraphRouter's task node) is passed on as it is.
 */
import { FeatureStandardizer, type FeatureStandardizerOptions } from "../router/FeatureStandardizer.ts";
import type { CheckpointSelection } from "./rewardCheckpoints.ts";
import type { AssignmentSpace, Baseline, BaselineFitOptions, RoutingExample } from "./types.ts";

export class StandardizedBaseline implements Baseline {
  private standardizerValue: FeatureStandardizer | null = null;

  constructor(
    readonly inner: Baseline,
    private readonly options: FeatureStandardizerOptions = {},
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get weighsCost(): boolean {
    return this.inner.weighsCost;
  }

  /** The statistics fitted on the training split. */
  get standardizer(): FeatureStandardizer {
    if (this.standardizerValue == null) throw new Error(`${this.name}: standardizer read before fit`);
    return this.standardizerValue;
  }

  fit(train: readonly RoutingExample[], valid: readonly RoutingExample[], space: AssignmentSpace, options: BaselineFitOptions): void {
    if (!Array.isArray(train) || train.length === 0) throw new Error(`${this.name}: needs at least one training example`);
    train.forEach((ex, i) => {
      if (!(ex?.embedding instanceof Float32Array)) throw new Error(`${this.name}: training item ${i}${typeof ex?.id === "string" ? ` ("${ex.id}")` : ""}: field embedding must be a Float32Array`);
    });
    this.standardizerValue = FeatureStandardizer.fit(train.map((ex) => ex.embedding), this.options);
    this.inner.fit(train.map((ex) => this.standardized(ex)), valid.map((ex) => this.standardized(ex)), space, options);
  }

  choose(example: RoutingExample, alpha: number): number {
    return this.inner.choose(this.standardized(example), alpha);
  }

  checkpointSelection(): CheckpointSelection | null {
    return this.inner.checkpointSelection?.() ?? null;
  }

  /** The example with its embedding standardised (errors name the item). */
  standardized(example: RoutingExample): RoutingExample {
    const where = `${this.name}: item "${String(example?.id)}"`;
    if (!example || !(example.embedding instanceof Float32Array)) throw new Error(`${where}: field embedding must be a Float32Array`);
    return { ...example, embedding: Float32Array.from(this.standardizer.apply(example.embedding, where)) };
  }
}
