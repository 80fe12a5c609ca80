// glibc malloc settings for processes that run llama.cpp with per-query adapters.
//
// Each query allocates and frees an adapter's tensors (64 KiB to a few MiB). glibc serves such blocks from its heap
// once its dynamic mmap threshold has risen past them, and the small allocations that outlive each query pin the
// freed space: resident memory then creeps up by tens of MiB per thousand queries although nothing leaks (measured:
// 1,000 rank-8 adapters on a 1024-wide model grew RSS by 13-66 MiB). A fixed threshold sends every block of 64 KiB
// or more to mmap, which returns it to the system on free (measured: ~2 MiB, flat over 3,000 queries); fewer
// arenas keep the libuv worker threads from spreading the rest. Linux/glibc only; other platforms ignore the names.
export const ENGINE_ALLOCATOR_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: "65536",
  MALLOC_ARENA_MAX: "2",
};

/** Whether this process already runs with the engine's allocator settings (they only take effect at start-up). */
export function hasEngineAllocatorEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return Object.entries(ENGINE_ALLOCATOR_ENV).every(([name, value]) => env[name] === value);
}
