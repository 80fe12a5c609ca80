import type { AssignmentSpace, RoutingExample } from "./types.ts";

/** Widths every example of a run shares. */
export interface ExampleWidths {
  embedding: number;
  /** 0 when no example has a task embedding. */
  task: number;
}

/**
 * Checks a split against the space and the widths seen so far: ids, embedding widths, one finite quality in [0, 1] and
 * one finite cost per assignment. Errors name the split, the item (position and id) and the field. Returns the widths,
 * so that later splits (and `choose`) can be held to them.
 */
export function checkRoutingExamples(
  examples: readonly RoutingExample[],
  space: AssignmentSpace,
  where: string,
  widths?: ExampleWidths,
): ExampleWidths {
  if (!Array.isArray(examples)) throw new Error(`${where}: expected an array of routing examples`);
  let expected = widths ? { ...widths } : null;
  examples.forEach((ex, i) => {
    const at = `${where}: item ${i}${typeof ex?.id === "string" ? ` ("${ex.id}")` : ""}`;
    if (!ex || typeof ex !== "object") throw new Error(`${at} is not an object`);
    if (typeof ex.id !== "string" || ex.id.length === 0) throw new Error(`${at}: field id must be a non-empty string`);
    const own = checkQueryFields(ex, at);
    if (expected === null) expected = own;
    else {
      if (own.embedding !== expected.embedding) throw new Error(`${at}: field embedding has width ${own.embedding}, expected ${expected.embedding}`);
      if (own.task !== expected.task) {
        throw new Error(`${at}: field taskEmbedding has width ${own.task}, expected ${expected.task} (either every item has one, of one width, or none has)`);
      }
    }
    const count = space.assignments.length;
    for (const field of ["quality", "cost"] as const) {
      const values = ex[field];
      if (!values || typeof values.length !== "number" || values.length !== count) {
        throw new Error(`${at}: field ${field} must hold one number per assignment (${count}), got ${values?.length ?? String(values)}`);
      }
      for (let a = 0; a < count; a++) {
        const v = values[a];
        if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${at}: field ${field}[${a}] (${space.assignments[a].label}) is not a finite number (${String(v)})`);
        if (field === "quality" && (v < 0 || v > 1)) throw new Error(`${at}: field quality[${a}] (${space.assignments[a].label}) must be in [0, 1], got ${v}`);
      }
    }
  });
  return expected ?? { embedding: 0, task: 0 };
}

/** Checks the fields a router reads at decision time (embedding, task embedding) and returns their widths. */
export function checkQueryFields(ex: RoutingExample, at: string): ExampleWidths {
  if (!(ex.embedding instanceof Float32Array) || ex.embedding.length === 0) throw new Error(`${at}: field embedding must be a non-empty Float32Array`);
  ex.embedding.forEach((v, j) => {
    if (!Number.isFinite(v)) throw new Error(`${at}: field embedding entry ${j} is not finite (${v})`);
  });
  let task = 0;
  if (ex.taskEmbedding !== undefined) {
    if (!(ex.taskEmbedding instanceof Float32Array) || ex.taskEmbedding.length === 0) throw new Error(`${at}: field taskEmbedding must be a non-empty Float32Array when given`);
    ex.taskEmbedding.forEach((v, j) => {
      if (!Number.isFinite(v)) throw new Error(`${at}: field taskEmbedding entry ${j} is not finite (${v})`);
    });
    task = ex.taskEmbedding.length;
  }
  return { embedding: ex.embedding.length, task };
}

/** Checks a cost preference. */
export function checkAlpha(alpha: number, where: string): number {
  if (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha < 0) throw new Error(`${where}: alpha must be a finite number >= 0, got ${String(alpha)}`);
  return alpha;
}

/** Checks the decision-time fields of one item against the widths a router was fitted on. */
export function checkQuery(ex: RoutingExample, widths: ExampleWidths, where: string): void {
  const at = `${where}: item "${String(ex?.id)}"`;
  if (!ex || typeof ex !== "object") throw new Error(`${at} is not an object`);
  const own = checkQueryFields(ex, at);
  if (own.embedding !== widths.embedding) throw new Error(`${at}: field embedding has width ${own.embedding}, the router was fitted on ${widths.embedding}`);
  if (own.task !== widths.task) throw new Error(`${at}: field taskEmbedding has width ${own.task}, the router was fitted on ${widths.task}`);
}
