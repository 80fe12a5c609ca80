// Helper threads for the forward pass of large Linear layers (the LoRA generator's heads): the rows of y = W x + b are
// independent, so a layer's rows are cut into chunks that this thread and the helpers claim one at a time and run
// with the same kernel (linearKernels.wat) on the same shared memory. Every row is computed by the same instructions
// in the same order as on one thread, so the result is bit-identical whatever the thread count or the split.
//
// Why: generating an adapter for a 4096-wide model reads two 32768 x 256 heads (67 MB of float32 weights) per query,
// which took 11.6 ms on one thread against a goal of 0.3 decoded tokens (~9 ms) for the whole adapter path (issue
// 18).
//
// Why claiming chunks rather than handing each thread a fixed share: this thread never waits for a helper that has not
// woken up (descheduled, or busy on a loaded machine): whatever no helper has claimed, it computes itself, and then
// waits only for chunks a helper is computing (tens of microseconds each). A fixed share made the caller wait for the
// slowest thread.
//
// Why hand-written: a matrix-vector product over memory the optimisers update in place is the whole job; the thread
// pools on npm (piscina, workerpool) pass a message per task, which costs more than a chunk's product.
//
// The protocol, per helper and its control block (a shared Int32Array):
// - the caller posts a job: it first moves NEXT to the new job's tag (so no claim on an older job can succeed), then
//   writes the job's fields, then bumps SEQ and notifies;
// - the helper, woken on SEQ, reads the fields and claims chunks with a compare-and-swap on NEXT that succeeds only
//   while NEXT still carries the tag of the job it read, runs each chunk and counts it in DONE;
// - the caller claims chunks the same way, then waits until DONE counts every chunk it did not run itself.
// A claim that succeeds therefore always belongs to fields read before the next job was written. A helper learns a
// layer's memory from a message on its port, read synchronously (receiveMessageOnPort) when it wakes, so it never
// needs its event loop; a layer that is garbage-collected is dropped from the helpers the same way.
import os from "node:os";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";

/** Layers with fewer weights run on one thread: waking a helper costs about as much as a 1M-weight product's share. */
export const SPLIT_MIN_WEIGHTS = 1 << 20;
/** More threads than this add little: four already saturate the memory bandwidth of common machines. */
export const MAX_KERNEL_THREADS = 4;
/** Weights per chunk (a chunk is whole rows): ~30 microseconds of work, small next to a head, large next to a claim. */
const CHUNK_WEIGHTS = 1 << 16;
/** Chunks are numbered within a job tag: NEXT = tag * 2^16 + next chunk. */
const CHUNK_BITS = 16;
const MAX_CHUNKS = (1 << CHUNK_BITS) - 1;
/** A helper that has claimed a chunk and not finished it in this long is given up on (it cannot be merely slow). */
const HELPER_TIMEOUT_MS = 10_000;

const SEQ = 0;
const DONE = 1;
const NEXT = 2;
const ID = 3;
const CHUNKS = 4;
const CHUNK_ROWS = 5;
const ROWS = 6;
const COLS = 7;
const W = 8;
const B = 9;
const X = 10;
const Y = 11;
const FAILED = 12;
const SLOTS = 13;

// The helper's whole program, run with `eval` so that the bundled engine needs no second entry file.
const HELPER_SOURCE = `
"use strict";
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { module, ctl, port } = workerData;
// This thread allocates almost nothing, so V8 would never collect here on its own, and a dropped layer's memory (tens
// of MiB, shared with the caller) would live as long as the process: it collects itself after each drop.
require("node:v8").setFlagsFromString("--expose-gc");
const collect = require("node:vm").runInNewContext("gc");
const kernels = new Map();
let seen = 0;
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen);
  seen = Atomics.load(ctl, ${SEQ});
  try {
    let dropped = false;
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      const { id, memory } = m.message;
      if (memory) kernels.set(id, new WebAssembly.Instance(module, { env: { memory } }).exports);
      else dropped = kernels.delete(id) || dropped;
    }
    if (dropped) collect();
    const tag = seen & 0x7fff;
    const chunks = ctl[${CHUNKS}], chunkRows = ctl[${CHUNK_ROWS}], rows = ctl[${ROWS}], cols = ctl[${COLS}];
    const w = ctl[${W}], b = ctl[${B}], x = ctl[${X}], y = ctl[${Y}];
    const kernel = chunks > 0 ? kernels.get(ctl[${ID}]) : undefined;
    for (;;) {
      const next = Atomics.load(ctl, ${NEXT});
      if (next >>> ${CHUNK_BITS} !== tag || (next & ${MAX_CHUNKS}) >= chunks) break;
      if (Atomics.compareExchange(ctl, ${NEXT}, next, next + 1) !== next) continue;
      const start = (next & ${MAX_CHUNKS}) * chunkRows;
      const n = Math.min(chunkRows, rows - start);
      kernel.forward(n, cols, w + start * cols * 4, b + start * 4, x, y + start * 8);
      Atomics.add(ctl, ${DONE}, 1);
      Atomics.notify(ctl, ${DONE});
    }
  } catch {
    Atomics.store(ctl, ${FAILED}, 1);
    Atomics.notify(ctl, ${DONE});
  }
}
`;

/** A layer's kernel as the helpers see it: its shared memory and its exports on this thread. */
export interface SplitKernel {
  readonly memory: WebAssembly.Memory;
  readonly exports: { forward(rows: number, cols: number, w: number, b: number, x: number, y: number): void };
}

class Helper {
  readonly ctl = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private readonly known = new Set<number>();
  private seq = 0;

  constructor(module: WebAssembly.Module) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { module, ctl: this.ctl, port: port2 }, transferList: [port2] });
    // Neither keeps the process alive; the helper dies with it.
    this.worker.unref();
    this.port.unref();
  }

  /** The tag of the job posted last (what its chunk claims carry in NEXT). */
  get tag(): number {
    return this.seq & 0x7fff;
  }

  /** Posts a job: `chunks` chunks of `chunkRows` rows of `kernel` (0 chunks: only read the port). */
  post(id: number, kernel: SplitKernel | null, chunks: number, chunkRows: number, rows: number, cols: number, at: { w: number; b: number; x: number; y: number }): void {
    if (kernel != null && !this.known.has(id)) {
      this.port.postMessage({ id, memory: kernel.memory });
      this.known.add(id);
    }
    const c = this.ctl;
    const seq = (this.seq + 1) & 0x3fffffff;
    // First make every claim on an older job fail, then write the fields, then wake the helper.
    Atomics.store(c, NEXT, (seq & 0x7fff) << CHUNK_BITS);
    Atomics.store(c, DONE, 0);
    c[ID] = id;
    c[CHUNKS] = chunks;
    c[CHUNK_ROWS] = chunkRows;
    c[ROWS] = rows;
    c[COLS] = cols;
    c[W] = at.w;
    c[B] = at.b;
    c[X] = at.x;
    c[Y] = at.y;
    this.seq = seq;
    Atomics.store(c, SEQ, seq);
    Atomics.notify(c, SEQ);
  }

  /** Claims the next chunk of the posted job for this thread: its number, or -1 when none is left. */
  claim(chunks: number): number {
    const tag = this.tag;
    for (;;) {
      const next = Atomics.load(this.ctl, NEXT);
      if (next >>> CHUNK_BITS !== tag || (next & MAX_CHUNKS) >= chunks) return -1;
      if (Atomics.compareExchange(this.ctl, NEXT, next, next + 1) === next) return next & MAX_CHUNKS;
    }
  }

  /** Waits until the helper has finished `count` chunks of the posted job; false when it failed or hung. */
  waitFor(count: number): boolean {
    const deadline = performance.now() + HELPER_TIMEOUT_MS;
    for (let done = Atomics.load(this.ctl, DONE); done < count; done = Atomics.load(this.ctl, DONE)) {
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.load(this.ctl, FAILED) !== 0) return false;
      Atomics.wait(this.ctl, DONE, done, left);
    }
    return Atomics.load(this.ctl, FAILED) === 0;
  }

  /** Tells the helper to forget a collected layer, so that it does not keep the layer's memory alive. */
  drop(id: number): void {
    if (!this.known.delete(id)) return;
    this.port.postMessage({ id });
    this.post(0, null, 0, 0, 0, 0, { w: 0, b: 0, x: 0, y: 0 });
  }

  stop(): void {
    void this.worker.terminate();
  }
}

let threads = Math.max(1, Math.min(MAX_KERNEL_THREADS, os.availableParallelism?.() ?? os.cpus().length));
let helpers: Helper[] = [];
/** Set once a helper failed or hung: from then on every layer runs on this thread. */
let givenUp = false;
let nextId = 1;
const ids = new WeakMap<SplitKernel, number>();
const collected = new FinalizationRegistry<number>((id) => {
  for (const h of helpers) h.drop(id);
});

/** Threads (this one included) that a large layer's forward pass is split over. */
export function kernelThreads(): number {
  return threads;
}

/** Sets the threads a large layer's forward pass is split over (1: this thread only); capped at MAX_KERNEL_THREADS. */
export function setKernelThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setKernelThreads: expected a positive integer, got ${String(n)}`);
  threads = Math.min(MAX_KERNEL_THREADS, n);
}

/**
 * y = W x + b over all `rows`, split over this thread and the helpers when the layer is large and threads are
 * allowed. A helper that fails or hangs is given up on (this thread computes every row again, and later layers run on
 * it alone).
 */
export function splitForward(module: WebAssembly.Module, kernel: SplitKernel, rows: number, cols: number, at: { w: number; b: number; x: number; y: number }): void {
  const pool = rows * cols >= SPLIT_MIN_WEIGHTS && threads > 1 ? helpersFor(module, threads - 1) : [];
  if (pool.length === 0) {
    kernel.exports.forward(rows, cols, at.w, at.b, at.x, at.y);
    return;
  }
  let id = ids.get(kernel);
  if (id == null) {
    id = nextId++;
    ids.set(kernel, id);
    collected.register(kernel, id);
  }
  // One job per helper, each over its own share of the chunks: a helper claims within its share and this thread from
  // every share, so no chunk is run twice and none waits for a helper to wake.
  const chunkRows = Math.max(1, Math.floor(CHUNK_WEIGHTS / cols));
  const chunks = Math.ceil(rows / chunkRows);
  if (chunks > MAX_CHUNKS * pool.length) {
    kernel.exports.forward(rows, cols, at.w, at.b, at.x, at.y);
    return;
  }
  const share = Math.ceil(chunks / pool.length);
  const shares = pool.map((_, i) => ({ first: i * share, count: Math.max(0, Math.min(share, chunks - i * share)) }));
  pool.forEach((h, i) => {
    const s = shares[i];
    const start = s.first * chunkRows;
    h.post(id, kernel, s.count, chunkRows, Math.max(0, rows - start), cols, { w: at.w + start * cols * 4, b: at.b + start * 4, x: at.x, y: at.y + start * 8 });
  });
  const mine = new Array<number>(pool.length).fill(0);
  for (let progress = true; progress; ) {
    progress = false;
    pool.forEach((h, i) => {
      const c = h.claim(shares[i].count);
      if (c < 0) return;
      progress = true;
      mine[i]++;
      const start = (shares[i].first + c) * chunkRows;
      kernel.exports.forward(Math.min(chunkRows, rows - start), cols, at.w + start * cols * 4, at.b + start * 4, at.x, at.y + start * 8);
    });
  }
  const ok = pool.every((h, i) => h.waitFor(shares[i].count - mine[i]));
  if (!ok) {
    givenUp = true;
    for (const h of helpers) h.stop();
    helpers = [];
    kernel.exports.forward(rows, cols, at.w, at.b, at.x, at.y);
  }
}

/** `n` helpers, started on first use; none once one has failed (a helper that failed once would fail again). */
function helpersFor(module: WebAssembly.Module, n: number): Helper[] {
  if (givenUp) return [];
  while (helpers.length < n) {
    try {
      helpers.push(new Helper(module));
    } catch {
      givenUp = true;
      return [];
    }
  }
  return helpers.slice(0, n);
}
