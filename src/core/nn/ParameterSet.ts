import type { Module, Parameter } from "./Parameter.ts";

/**
 * An ordered, named collection of parameters: what an optimiser steps, what a checkpoint writes, and what gradient
 * clipping measures. Names are unique; a parameter object may appear once only, so a trunk shared by several modules
 * is stepped and saved exactly once.
 */
export class ParameterSet implements Iterable<[string, Parameter]> {
  private readonly byName = new Map<string, Parameter>();
  private readonly seen = new Set<Parameter>();

  add(name: string, parameter: Parameter): this {
    if (name.length === 0) throw new Error("ParameterSet.add: empty parameter name");
    if (this.byName.has(name)) throw new Error(`ParameterSet.add: duplicate parameter name "${name}"`);
    if (this.seen.has(parameter)) throw new Error(`ParameterSet.add: parameter "${name}" is already in the set under another name`);
    this.byName.set(name, parameter);
    this.seen.add(parameter);
    return this;
  }

  /** Adds every parameter of `module` as `prefix + localName`. */
  addModule(prefix: string, module: Module): this {
    for (const [name, p] of module.namedParameters()) this.add(prefix + name, p);
    return this;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): Parameter {
    const p = this.byName.get(name);
    if (!p) throw new Error(`ParameterSet.get: no parameter named "${name}"`);
    return p;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  [Symbol.iterator](): Iterator<[string, Parameter]> {
    return this.byName.entries();
  }

  /** Number of tensors. */
  get size(): number {
    return this.byName.size;
  }

  /** Number of scalar values across all tensors. */
  get scalarCount(): number {
    let n = 0;
    for (const p of this.byName.values()) n += p.size;
    return n;
  }

  zeroGrad(): void {
    for (const p of this.byName.values()) p.zeroGrad();
  }

  /** Global L2 norm of all gradients. */
  gradNorm(): number {
    let sum = 0;
    for (const p of this.byName.values()) for (let i = 0; i < p.size; i++) sum += p.grad[i] * p.grad[i];
    return Math.sqrt(sum);
  }

  /**
   * Rescales all gradients so their global norm is at most `maxNorm`; returns the norm before clipping.
   * Policy-gradient updates have heavy-tailed rewards, and one bad sample should not wreck the trunk shared by all.
   */
  clipGradNorm(maxNorm: number): number {
    if (!(maxNorm > 0)) throw new Error(`ParameterSet.clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
    const norm = this.gradNorm();
    if (norm > maxNorm) {
      const k = maxNorm / norm;
      for (const p of this.byName.values()) for (let i = 0; i < p.size; i++) p.grad[i] *= k;
    }
    return norm;
  }
}
