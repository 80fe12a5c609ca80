/**
 * RouteLLM's matrix-factorisation scorer (routers/matrix_factorization/model.py), no bias anywhere:
 *
 *   s(m, q) = w^T (P_m / |P_m| * W e_q)
 *
 * with a learned table P (one row per model; here per assignment), a projection W of the query embedding and a
 * readout w. A battle (winner, loser, query) has logit w^T ((P_win/|P_win| - P_lose/|P_lose|) * W x) = s(win) - s(lose)
 * and is trained with BCE against "the winner won". Without an intercept, the 0.5 boundary between two models is a
 * hyperplane through the origin of the embedding space.
 */
import { Linear } from "../nn/Linear.ts";
import { Parameter, type Module } from "../nn/Parameter.ts";
import type { Rng } from "../nn/Rng.ts";
import { bceWithLogits, sigmoid } from "../nn/logistic.ts";

/** A pairwise comparison on one item: `win` beat `lose` (indices into the table). */
export interface Battle {
  example: number;
  win: number;
  lose: number;
}

export class MatrixFactorization implements Module {
  readonly table: Parameter;
  readonly project: Linear;
  readonly readout: Linear;

  constructor(
    readonly models: number,
    readonly embeddingWidth: number,
    readonly dim: number,
    rng: Rng,
  ) {
    // nn.Embedding starts N(0, 1); the projections start with our Linear's LeCun-normal weights; biases stay 0 and
    // are never trained (they are not in `namedParameters`).
    this.table = new Parameter([models, dim]);
    rng.fillNormal(this.table.data, 1);
    this.project = new Linear(embeddingWidth, dim, rng);
    this.readout = new Linear(dim, 1, rng);
  }

  /** Rows of the table divided by their L2 norms (F.normalize, eps 1e-12). */
  normalisedTable(): Float64Array {
    const { models, dim } = this;
    const out = new Float64Array(models * dim);
    for (let r = 0; r < models; r++) {
      let sq = 0;
      for (let k = 0; k < dim; k++) sq += this.table.data[r * dim + k] ** 2;
      const norm = Math.max(Math.sqrt(sq), 1e-12);
      for (let k = 0; k < dim; k++) out[r * dim + k] = this.table.data[r * dim + k] / norm;
    }
    return out;
  }

  /** Every model's score for one query embedding. */
  scores(x: Float64Array): Float64Array {
    const u = this.project.forward(x);
    const p = this.normalisedTable();
    const w = this.readout.weight.data;
    const out = new Float64Array(this.models);
    for (let a = 0; a < this.models; a++) {
      let s = 0;
      for (let k = 0; k < this.dim; k++) s += w[k] * p[a * this.dim + k] * u[k];
      out[a] = s;
    }
    return out;
  }

  /** Mean BCE of the battles (no training noise). */
  loss(battles: readonly Battle[], xs: readonly Float64Array[]): number {
    const p = this.normalisedTable();
    let loss = 0;
    for (const b of battles) loss += bceWithLogits(this.battleLogit(p, this.project.forward(xs[b.example]), b), 1);
    return loss / battles.length;
  }

  /**
   * Accumulates the gradients of the mean battle loss. With `noise` (std and a generator) each battle's query gets
   * its own N(0, std^2) perturbation before the projection, as the original does in training.
   */
  backward(battles: readonly Battle[], xs: readonly Float64Array[], noise?: { std: number; rng: Rng }): void {
    const dim = this.dim;
    const p = this.normalisedTable();
    const dp = new Float64Array(p.length);
    const w = this.readout.weight.data;
    const gw = this.readout.weight.grad;
    for (const b of battles) {
      let x = xs[b.example];
      if (noise && noise.std > 0) {
        x = Float64Array.from(x);
        for (let i = 0; i < x.length; i++) x[i] += noise.std * noise.rng.normal();
      }
      const u = this.project.forward(x);
      const g = (sigmoid(this.battleLogit(p, u, b)) - 1) / battles.length;
      const du = new Float64Array(dim);
      for (let k = 0; k < dim; k++) {
        const d = p[b.win * dim + k] - p[b.lose * dim + k];
        gw[k] += g * d * u[k];
        du[k] = g * w[k] * d;
        const dd = g * w[k] * u[k];
        dp[b.win * dim + k] += dd;
        dp[b.lose * dim + k] -= dd;
      }
      this.project.backward(x, du, false);
    }
    // Through P_hat = P / |P|: dP = (dP_hat - P_hat (P_hat . dP_hat)) / |P|.
    for (let r = 0; r < this.models; r++) {
      let sq = 0;
      let dot = 0;
      for (let k = 0; k < dim; k++) {
        sq += this.table.data[r * dim + k] ** 2;
        dot += p[r * dim + k] * dp[r * dim + k];
      }
      const norm = Math.max(Math.sqrt(sq), 1e-12);
      for (let k = 0; k < dim; k++) this.table.grad[r * dim + k] += (dp[r * dim + k] - p[r * dim + k] * dot) / norm;
    }
  }

  *namedParameters(): Iterable<[string, Parameter]> {
    yield ["table", this.table];
    yield ["project.weight", this.project.weight];
    yield ["readout.weight", this.readout.weight];
  }

  private battleLogit(p: Float64Array, u: Float64Array, b: Battle): number {
    const w = this.readout.weight.data;
    let z = 0;
    for (let k = 0; k < this.dim; k++) z += w[k] * (p[b.win * this.dim + k] - p[b.lose * this.dim + k]) * u[k];
    return z;
  }
}
