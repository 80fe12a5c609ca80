// glibc malloc settings for processes that run llama.cpp with per-query adapters.
//
// History: each query used to allocate and free an adapter's buffers (its tensors in llama.cpp, 64 KiB to a few MiB,
// and in JavaScript the encoded file), and the small allocations that outlived each query pinned the freed heap:
// resident memory crept up by tens of MiB per thousand queries (13-66 MiB for 1,000 rank-8 adapters on a 1024-wide
// model). A fixed MALLOC_MMAP_THRESHOLD_=16384 kept it flat but turned llama.cpp's vocabulary-sized sampler and
// grammar arrays into an mmap and munmap per token (a JSON-schema-constrained token 2.5 vs 1.0 ms on a 32k-vocabulary
// model; a 100-item evaluation 11-14 vs 19-24 items/s).
// Now: the native layer updates pooled adapters in place (no per-query allocation in llama.cpp) and calls
// malloc_trim(0) after calls and session ends (src/core/native/nativeLayer.ts), so the threshold is gone and glibc
// keeps its own. Without the native layer (another platform, no compiler at build time), adapters go through files
// again and RSS grows as measured without the threshold (3-19 MiB per 1,000 adapters after a warm-up). Fewer arenas
// still keep the libuv worker threads from spreading what is freed.
// Linux/glibc only; other platforms ignore the name. Do not set MALLOC_TRIM_THRESHOLD_: glibc then fixes the mmap
// threshold too.
export const ENGINE_ALLOCATOR_ENV: Readonly<Record<string, string>> = {
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
