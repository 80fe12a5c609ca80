/**
 * Per-dimension standardisation of the routing feature, z_j = (f_j - mean_j) / scale_j, with statistics fitted on the
 * training items only and kept with whatever was trained on them (HAPS's checkpoint, a fitted baseline).
 *
 * Why: a router LLM's pooled hidden state is mostly a component every prompt shares (the routing prompt's fixed parts,
 * the model's own outlier dimensions); what tells queries apart is a small variation around it. On a 2-block llama used
 * as router, the feature's spread around its mean was 0.31 against a mean norm of 7.4 (issue 15), and a learner that
 * reads the raw or RMS-normalised feature sees nearly the same vector for every query. Centring removes the common
 * component; dividing by each dimension's spread puts the informative variation on the unit scale the trunk's
 * initialisation expects.
 *
 * Measured on the development benchmark (docs/dev-benchmark/standardisation.jsonl, scripts/standardisationAblation.mts:
 * a 2-block candidate as the router, 32 training items, seeds 1-3): HAPS's warm-up routed the held-out items to a
 * quality of 0.833 at alpha 0 on the standardised feature and 0.625 on the RMS-normalised one, every seed.
 *
 * The scale has a floor, `floor` times the median of all dimensions' spreads (the median, so that a few outlier
 * dimensions do not raise it): a dimension (nearly) constant on the training items would otherwise turn a tiny change at
 * query time into a huge input. A feature fitted on one item (no spread at all) is only centred.
 */
import { toVector } from "../nn/vector.ts";

export interface FeatureStandardizerOptions {
  /** Least scale of a dimension, as a share of the median of all dimensions' standard deviations. Defaults to `0.1`. */
  floor?: number;
}

/** What a checkpoint stores. */
export interface FeatureStandardizerJson {
  mean: number[];
  scale: number[];
}

export class FeatureStandardizer {
  private constructor(
    readonly mean: Float64Array,
    readonly scale: Float64Array,
  ) {}

  get width(): number {
    return this.mean.length;
  }

  /** Fits mean and scale on `features` (the training items' features, all of one width). */
  static fit(features: readonly ArrayLike<number>[], options: FeatureStandardizerOptions = {}): FeatureStandardizer {
    const floor = options.floor ?? 0.1;
    if (!(floor > 0 && Number.isFinite(floor))) throw new Error(`FeatureStandardizer.fit: floor must be a finite number > 0, got ${String(floor)}`);
    if (!Array.isArray(features) || features.length === 0) throw new Error("FeatureStandardizer.fit: needs at least one training feature");
    const width = features[0]?.length;
    if (typeof width !== "number" || width === 0) throw new Error("FeatureStandardizer.fit: feature 0 is not a non-empty array of numbers");
    const rows = features.map((f, i) => toVector(f, width, `FeatureStandardizer.fit: feature ${i}`));
    const n = rows.length;
    const mean = new Float64Array(width);
    for (const r of rows) for (let j = 0; j < width; j++) mean[j] += r[j] / n;
    const sd = new Float64Array(width);
    for (const r of rows) for (let j = 0; j < width; j++) sd[j] += (r[j] - mean[j]) ** 2 / n;
    for (let j = 0; j < width; j++) sd[j] = Math.sqrt(sd[j]);
    const sorted = Float64Array.from(sd).sort();
    const median = width % 2 === 1 ? sorted[(width - 1) / 2] : (sorted[width / 2 - 1] + sorted[width / 2]) / 2;
    // Half the dimensions constant: the median is 0, and the largest spread sets the floor instead.
    const least = floor * (median > 0 ? median : sorted[width - 1]);
    const scale = new Float64Array(width);
    for (let j = 0; j < width; j++) scale[j] = least > 0 ? Math.max(sd[j], least) : 1;
    return new FeatureStandardizer(mean, scale);
  }

  /** A standardiser read back from a checkpoint; `where` names the source in errors. */
  static fromJSON(json: unknown, where = "feature standardiser"): FeatureStandardizer {
    const o = json as Partial<FeatureStandardizerJson> | null;
    if (!o || typeof o !== "object" || !Array.isArray(o.mean) || !Array.isArray(o.scale)) {
      throw new Error(`${where}: expected an object with arrays "mean" and "scale"`);
    }
    if (o.mean.length === 0 || o.mean.length !== o.scale.length) {
      throw new Error(`${where}: "mean" (${o.mean.length}) and "scale" (${o.scale.length}) must be non-empty and of one width`);
    }
    const mean = toVector(o.mean, o.mean.length, `${where}: field mean`);
    const scale = toVector(o.scale, o.scale.length, `${where}: field scale`);
    scale.forEach((s, j) => {
      if (!(s > 0)) throw new Error(`${where}: field scale entry ${j} must be > 0, got ${s}`);
    });
    return new FeatureStandardizer(mean, scale);
  }

  toJSON(): FeatureStandardizerJson {
    return { mean: Array.from(this.mean), scale: Array.from(this.scale) };
  }

  /** The standardised feature; `where` names the caller in the error for a wrong width or a non-finite entry. */
  apply(f: ArrayLike<number>, where = "FeatureStandardizer.apply"): Float64Array {
    const x = toVector(f, this.width, `${where}: feature f`);
    for (let j = 0; j < x.length; j++) x[j] = (x[j] - this.mean[j]) / this.scale[j];
    return x;
  }
}
