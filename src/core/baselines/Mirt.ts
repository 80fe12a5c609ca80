/**
 * The multidimensional item-response model of IRT-Router (router/MIRT.py): every model m has an ability vector
 * theta_m = W_theta e_m computed from the embedding of its profile text, every query q a discrimination vector
 * a_q = softplus(W_a e_q) and a difficulty b_q = w_b^T e_q computed from its embedding; all maps are linear without
 * bias. The probability that m answers q well is
 *
 *   P(m, q) = sigma(a_q . theta_m - b_q)
 *
 * and the model is trained with binary cross-entropy against the observed performance (a soft target such as an F1
 * score is allowed). Here the "models" are assignments and e_m the embedding of an assignment's descriptor.
 */
import { Linear } from "../nn/Linear.ts";
import type { Module, Parameter } from "../nn/Parameter.ts";
import type { Rng } from "../nn/Rng.ts";
import { bceWithLogits, sigmoid, softplus } from "../nn/logistic.ts";

/** One query's embedding and the observed performance of every model on it. */
export interface MirtRecord {
  x: Float64Array;
  targets: ArrayLike<number>;
}

/** A query's item parameters. */
export interface ItemParameters {
  /** W_a e_q, before the softplus. */
  preDiscrimination: Float64Array;
  /** a_q = softplus(W_a e_q). */
  discrimination: Float64Array;
  /** b_q. */
  difficulty: number;
}

export class Mirt implements Module {
  readonly ability: Linear;
  readonly discrimination: Linear;
  readonly difficulty: Linear;

  constructor(
    readonly profileWidth: number,
    readonly queryWidth: number,
    readonly knowledge: number,
    rng: Rng,
  ) {
    this.ability = new Linear(profileWidth, knowledge, rng);
    this.discrimination = new Linear(queryWidth, knowledge, rng);
    this.difficulty = new Linear(queryWidth, 1, rng);
  }

  /** theta_m for each profile embedding. */
  abilities(profiles: readonly Float64Array[]): Float64Array[] {
    return profiles.map((e) => this.ability.forward(e));
  }

  item(x: Float64Array): ItemParameters {
    const preDiscrimination = this.discrimination.forward(x);
    return { preDiscrimination, discrimination: preDiscrimination.map(softplus), difficulty: this.difficulty.forward(x)[0] };
  }

  /** The logit a_q . theta_m - b_q. */
  logit(item: ItemParameters, theta: Float64Array): number {
    let z = -item.difficulty;
    for (let k = 0; k < this.knowledge; k++) z += item.discrimination[k] * theta[k];
    return z;
  }

  /** P(m, q) for every model, given the abilities. */
  probabilities(x: Float64Array, thetas: readonly Float64Array[]): Float64Array {
    const item = this.item(x);
    return Float64Array.from(thetas, (theta) => sigmoid(this.logit(item, theta)));
  }

  /** Mean BCE over all (query, model) records. */
  loss(records: readonly MirtRecord[], profiles: readonly Float64Array[]): number {
    const thetas = this.abilities(profiles);
    let total = 0;
    for (const r of records) {
      const item = this.item(r.x);
      thetas.forEach((theta, m) => (total += bceWithLogits(this.logit(item, theta), r.targets[m])));
    }
    return total / (records.length * profiles.length);
  }

  /** Accumulates the gradients of `loss(records, profiles)`. */
  backward(records: readonly MirtRecord[], profiles: readonly Float64Array[]): void {
    const K = this.knowledge;
    const thetas = this.abilities(profiles);
    const dThetas = thetas.map(() => new Float64Array(K));
    const scale = 1 / (records.length * profiles.length);
    for (const r of records) {
      const item = this.item(r.x);
      const dA = new Float64Array(K);
      let dB = 0;
      thetas.forEach((theta, m) => {
        const g = (sigmoid(this.logit(item, theta)) - r.targets[m]) * scale;
        for (let k = 0; k < K; k++) {
          dThetas[m][k] += g * item.discrimination[k];
          dA[k] += g * theta[k];
        }
        dB -= g;
      });
      // softplus' = sigmoid.
      const dPre = dA.map((d, k) => d * sigmoid(item.preDiscrimination[k]));
      this.discrimination.backward(r.x, dPre, false);
      this.difficulty.backward(r.x, [dB], false);
    }
    profiles.forEach((e, m) => this.ability.backward(e, dThetas[m], false));
  }

  /** The weights only: the original's maps have no bias, so the biases stay zero and untrained. */
  *namedParameters(): Iterable<[string, Parameter]> {
    yield ["ability.weight", this.ability.weight];
    yield ["discrimination.weight", this.discrimination.weight];
    yield ["difficulty.weight", this.difficulty.weight];
  }
}
