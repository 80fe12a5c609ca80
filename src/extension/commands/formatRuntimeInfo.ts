// Human-readable lines for a RuntimeInfo: the output channel shows all of them, the notification the first.
import type { RuntimeInfo } from "../../core/runtime/types.ts";

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

export function formatRuntimeInfo(info: RuntimeInfo): string[] {
  const gpu = info.gpu === false ? "none" : `${info.gpu} (${info.gpuDevices.join(", ") || "no device names"})`;
  const offloaded = info.models.reduce((s, m) => s + m.gpuLayers, 0);
  const layers = info.models.reduce((s, m) => s + m.totalLayers, 0);
  const vram = info.memory.vram ? `, GPU memory ${mib(info.memory.vram.usedBytes)} of ${mib(info.memory.vram.totalBytes)} used` : "";
  const lines = [
    `HAPS engine: backend ${info.backend}, GPU ${gpu}, ${info.threads} thread(s), ${info.models.length} model(s) loaded, ` +
      `${offloaded}/${layers} layers offloaded, engine memory ${mib(info.memory.rssBytes)}${vram}`,
    `node-llama-cpp ${info.nodeLlamaCppVersion}`,
    `adapter path: ${info.nativeLayer.path === "native" ? "native (in place)" : "typescript (files)"} - ${info.nativeLayer.detail}`,
    `hypernetwork: ${info.hypernetworkThreads} thread(s) for its largest layers (the same results as on one)`,
  ];
  for (const m of info.models) {
    lines.push(
      `  ${m.id}: ${m.architecture}, n_embd ${m.embeddingLength}, ${m.gpuLayers}/${m.totalLayers} layers on the GPU (${m.path})`,
    );
  }
  return lines;
}
