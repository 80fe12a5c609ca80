// Human-readable lines for a RuntimeInfo: the output channel shows all of them, the notification the first.
import type { RuntimeInfo } from "../core/runtime/types.ts";

export function formatRuntimeInfo(info: RuntimeInfo): string[] {
  const gpu = info.gpu === false ? "none" : `${info.gpu} (${info.gpuDevices.join(", ") || "no device names"})`;
  const lines = [
    `HAPS engine: backend ${info.backend}, GPU ${gpu}, ${info.threads} thread(s), ${info.models.length} model(s) loaded`,
    `node-llama-cpp ${info.nodeLlamaCppVersion}`,
  ];
  for (const m of info.models) {
    lines.push(
      `  ${m.id}: ${m.architecture}, n_embd ${m.embeddingLength}, ${m.gpuLayers}/${m.totalLayers} layers on the GPU (${m.path})`,
    );
  }
  return lines;
}
