// What one model load put on the GPU, as a log line: a model too large for the free GPU memory gets fewer layers
// there (node-llama-cpp's `gpuLayers: "auto"` fits them), or none, and the user should hear that it runs slower.

export interface OffloadFacts {
  /** The model file's name. */
  name: string;
  /** The llama.cpp backend: `false` for the CPU, else `"cuda"`, `"vulkan"` or `"metal"`. */
  gpu: string | false;
  /** Layers llama.cpp put on the GPU. */
  gpuLayers: number;
  /** The model's layers as llama.cpp counts them for offloading: its blocks plus the output layer. */
  totalLayers: number;
  /** Why the GPU load failed when the model was loaded again on the CPU only. Defaults to none. */
  fellBackBecause?: string;
}

/** One line saying where the model's layers went; `warn` when a GPU is in use but not for every layer. */
export function describeOffload(f: OffloadFacts): { level: "info" | "warn"; message: string } {
  const counted = `${f.name}: ${f.gpuLayers}/${f.totalLayers} layers offloaded`;
  if (f.gpu === false) return { level: "info", message: `${counted} (no GPU backend: all layers on the CPU)` };
  if (f.fellBackBecause != null)
    return { level: "warn", message: `${counted}: loading it on ${f.gpu} failed (${f.fellBackBecause}), so it fell back to the CPU (slower)` };
  if (f.gpuLayers >= f.totalLayers) return { level: "info", message: `${counted} to ${f.gpu} (all of them)` };
  if (f.gpuLayers === 0)
    return { level: "warn", message: `${counted} to ${f.gpu}: the model does not fit in the free GPU memory, so it runs on the CPU (slower)` };
  return {
    level: "warn",
    message: `${counted} to ${f.gpu}: the other ${f.totalLayers - f.gpuLayers} do not fit in the free GPU memory and run on the CPU (slower)`,
  };
}
