// glibc malloc settings for processes that run llama.cpp with per-query adapters.
//
// Each query allocates and frees an adapter's buffers: its tensors in llama.cpp (64 KiB to a few MiB) and, in
// JavaScript, the A and B arrays, their transposes, the encoded file and the IPC message that carried them (16 KiB
// and up each; JavaScript frees them only when V8 collects their wrappers, from another thread). glibc serves such
// blocks from its heap once its dynamic mmap threshold has risen past them, and the small allocations that outlive
// each query pin the freed space: resident memory then creeps up by tens of MiB per thousand queries although
// nothing leaks (measured: 1,000 rank-8 adapters on a 1024-wide model grew RSS by 13-66 MiB). A fixed threshold
// sends every block of 16 KiB or more to mmap, which returns it to the system on free; fewer arenas keep the libuv
// worker threads from spreading the rest. The threshold was 64 KiB until the engine process as shipped was measured
// through its IPC channel: its 32 KiB arrays then stayed on the heap and the median RSS still rose 10-16 MiB over
// 1,000 adapters; at 16 KiB it stayed within 4 MiB, and a query was no slower (52 vs 67 ms for 8 tokens, noisy).
// What the fixed threshold costs: llama.cpp's grammar and sampler allocate vocabulary-sized arrays for every token, and
// each becomes an mmap, page faults and an munmap (the munmaps of concurrent decodes serialise in the kernel).
// Measured on 2 cores, 1 thread per context, against glibc's own threshold: a JSON-schema-constrained token on a
// 32k-vocabulary model 2.5 vs 1.0 ms; a 100-item keyword-benchmark evaluation 11-14 vs 19-24 items/s, with 2-4
// concurrent episodes 1.0-1.35x vs 1.4-1.7x one at a time. Without it, RSS grew 3-19 MiB over 1,000 adapters even
// after a 500-adapter warm-up (10 runs); with it, -0.7 to 9 MiB after 50. Flat memory is the goal this setting
// keeps; the speed is the price.
// Linux/glibc only; other platforms ignore the names.
export const ENGINE_ALLOCATOR_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: "16384",
  MALLOC_ARENA_MAX: "2",
};

/**
 * V8 flags for the same processes. V8 doubles its young generation (16 -> 32 MiB here) once allocation has run
 * fast for a while, which every per-query adapter path does: measured on the plain-node bundle, RSS rose by
 * 14-18 MiB in one step somewhere within 1,000 adapters (the new space grew from 16 to 32 MiB, nothing else), while
 * under tsx the new space was already 32 MiB at start-up (tsx's own start allocates enough) and the same run grew
 * ~1-2 MiB. Capping each semi-space at its starting 8 MiB keeps the young generation fixed: the bundle then grew
 * 1.5 MiB over 1,000 adapters, at the same speed (18.1 s vs 19.4 s for the run).
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8"];

/**
 * Whether this process already runs with the engine's allocator settings and V8 flags (both only take effect at
 * start-up).
 */
export function hasEngineAllocatorEnv(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): boolean {
  return Object.entries(ENGINE_ALLOCATOR_ENV).every(([name, value]) => env[name] === value) && ENGINE_NODE_FLAGS.every((f) => execArgv.includes(f));
}
