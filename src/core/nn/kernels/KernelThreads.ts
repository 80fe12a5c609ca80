// Helper threads for the forward pass of large Linear layers (the LoRA generator's heads): the rows of y = W x + b are
// independent, so a layer's rows are split between this thread and the helpers, each running the same kernel
// (linearKernels.wat) on its own rows of the same shared memory. Every row is computed by the same instructions in
// the same order as on one thread, so the result is bit-identical whatever the thread count.
//
// Why: generating an adapter for a 4096-wide model reads two 32768 x 256 heads (67 MB of float32 weights) per query,
// which took 11.6 ms on one thread against a goal of 0.3 decoded tokens (~9 ms) for the whole adapter path (issue
// 18). A second thread halves the rows each thread reads.
//
// Why hand-written: a matrix-vector product over memory the optimisers update in place is the whole job; the thread
// pools on npm (piscina, workerpool) pass messages per task, which costs more than the product of a head itself, while
// this one hands over a row range through a shared Int32Array and Atomics.wait/notify (tens of microseconds).
//
// The protocol: one control block per helper. The caller writes a job (op, kernel id, rows, offsets), bumps SEQ and
// notifies; the helper runs it and stores SEQ into DONE. The caller waits for every job it posted before it returns,
// so a helper never has more than one job and a control block is never written while its helper reads it. A helper
// learns a layer's memory from a message on its port, read synchronously (receiveMessageOnPort) when it wakes for a
// job, so it never needs its event loop. A layer that is garbage-collected is dropped from the helpers the same way.
import os from "node:os";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";

/** Layers with fewer weights run on one thread: waking a helper costs about as much as a 1M-weight product's share. */
export const SPLIT_MIN_WEIGHTS = 1 << 20;
/** More threads than this add little: four already saturate the memory bandwidth of common machines. */
export const MAX_KERNEL_THREADS = 4;
/** A helper that has not answered in this long is given up on and its rows are computed here (it may be starting). */
const HELPER_TIMEOUT_MS = 10_000;

const SEQ = 0;
const DONE = 1;
const OP = 2;
const ID = 3;
const ROWS = 4;
const COLS = 5;
const W = 6;
const B = 7;
const X = 8;
const Y = 9;
const FAILED = 10;
const SLOTS = 11;
const OP_FORWARD = 1;
const OP_DRAIN = 2;

// The helper's whole program, run with `eval` so that the bundled engine needs no second entry file.
const HELPER_SOURCE = `
"use strict";
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { module, ctl, port } = workerData;
const kernels = new Map();
let seen = 0;
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen);
  seen = Atomics.load(ctl, ${SEQ});
  let failed = 0;
  try {
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      const { id, memory } = m.message;
      if (memory) kernels.set(id, new WebAssembly.Instance(module, { env: { memory } }).exports);
      else kernels.delete(id);
    }
    if (ctl[${OP}] === ${OP_FORWARD}) {
      kernels.get(ctl[${ID}]).forward(ctl[${ROWS}], ctl[${COLS}], ctl[${W}], ctl[${B}], ctl[${X}], ctl[${Y}]);
    }
  } catch {
    failed = 1;
  }
  Atomics.store(ctl, ${FAILED}, failed);
  Atomics.store(ctl, ${DONE}, seen);
  Atomics.notify(ctl, ${DONE});
}
`;

/** A layer's kernel as the helpers see it: an id, its shared memory and its exports on this thread. */
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
  broken = false;

  constructor(module: WebAssembly.Module) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { module, ctl: this.ctl, port: port2 }, transferList: [port2] });
    // Neither keeps the process alive; the helper dies with it.
    this.worker.unref();
    this.port.unref();
    this.worker.on("error", () => (this.broken = true));
    this.worker.on("exit", () => (this.broken = true));
  }

  /** Posts a forward job over rows [start, end) of `kernel`; `wait` must follow before anything else is posted. */
  post(id: number, kernel: SplitKernel, start: number, end: number, cols: number, at: { w: number; b: number; x: number; y: number }): void {
    if (!this.known.has(id)) {
      this.port.postMessage({ id, memory: kernel.memory });
      this.known.add(id);
    }
    const c = this.ctl;
    c[OP] = OP_FORWARD;
    c[ID] = id;
    c[ROWS] = end - start;
    c[COLS] = cols;
    c[W] = at.w + start * cols * 4;
    c[B] = at.b + start * 4;
    c[X] = at.x;
    c[Y] = at.y + start * 8;
    this.signal();
  }

  /** Tells the helper to forget a collected layer, so that it does not keep the layer's memory alive. */
  drop(id: number): void {
    if (!this.known.delete(id) || this.broken) return;
    this.port.postMessage({ id });
    this.ctl[OP] = OP_DRAIN;
    this.signal();
    this.wait();
  }

  /** Waits for the last job; false (and the helper given up on) when it failed or did not answer. */
  wait(): boolean {
    const deadline = performance.now() + HELPER_TIMEOUT_MS;
    while (Atomics.load(this.ctl, DONE) !== this.seq) {
      const left = deadline - performance.now();
      if (left <= 0 || this.broken) return this.giveUp();
      Atomics.wait(this.ctl, DONE, Atomics.load(this.ctl, DONE), left);
    }
    return Atomics.load(this.ctl, FAILED) === 0 || this.giveUp();
  }

  private signal(): void {
    this.seq = (this.seq + 1) | 0;
    Atomics.store(this.ctl, SEQ, this.seq);
    Atomics.notify(this.ctl, SEQ);
  }

  private giveUp(): false {
    this.broken = true;
    givenUp = true;
    void this.worker.terminate();
    return false;
  }
}

let threads = Math.max(1, Math.min(MAX_KERNEL_THREADS, os.availableParallelism?.() ?? os.cpus().length));
let helpers: Helper[] = [];
/** Set once a helper failed or did not answer: from then on every layer runs on this thread. */
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

/**
 * Sets the threads a large layer's forward pass is split over (1: this thread only). The runtime sets it to its
 * own thread count, so HAPS uses the CPU threads it was given and no more; capped at MAX_KERNEL_THREADS.
 */
export function setKernelThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setKernelThreads: expected a positive integer, got ${String(n)}`);
  threads = Math.min(MAX_KERNEL_THREADS, n);
}

/**
 * y = W x + b over all `rows`, split between this thread and the helpers when the layer is large and threads are
 * allowed. A helper that fails or does not answer is given up on, its rows are computed here, and later layers run on
 * this thread only.
 */
export function splitForward(module: WebAssembly.Module, kernel: SplitKernel, rows: number, cols: number, at: { w: number; b: number; x: number; y: number }): void {
  const parts = rows * cols >= SPLIT_MIN_WEIGHTS ? Math.min(threads, rows) : 1;
  const pool = parts > 1 ? helpersFor(module, parts - 1) : [];
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
  const chunk = Math.ceil(rows / (pool.length + 1));
  pool.forEach((h, i) => h.post(id, kernel, Math.min(rows, (i + 1) * chunk), Math.min(rows, (i + 2) * chunk), cols, at));
  kernel.exports.forward(Math.min(rows, chunk), cols, at.w, at.b, at.x, at.y);
  pool.forEach((h, i) => {
    if (h.wait()) return;
    const start = Math.min(rows, (i + 1) * chunk);
    const end = Math.min(rows, (i + 2) * chunk);
    kernel.exports.forward(end - start, cols, at.w + start * cols * 4, at.b + start * 4, at.x, at.y + start * 8);
  });
}

/** `n` helpers, started on first use; none once one has failed (a helper that failed once would fail again). */
function helpersFor(module: WebAssembly.Module, n: number): Helper[] {
  if (givenUp) return [];
  while (helpers.length < n) {
    try {
      helpers.push(new Helper(module));
    } catch {
      break;
    }
  }
  return helpers.slice(0, n);
}
