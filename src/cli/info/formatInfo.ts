// `haps info` as text: the backend, the GPU, threads and each loaded model with where its layers went.
import type { RuntimeInfo } from "../../core/runtime/types.ts";

export function formatInfo(info: RuntimeInfo): string {
  const gpu = info.gpu === false ? "none (all layers run on the CPU)" : `${info.gpu}: ${info.gpuDevices.join(", ") || "no device names"}`;
  const lines = [
    `backend         ${info.backend}`,
    `GPU             ${gpu}`,
    `threads         ${info.threads} per context`,
    `node-llama-cpp  ${info.nodeLlamaCppVersion}`,
    `adapter path    ${info.nativeLayer.path === "native" ? "native (in place)" : "typescript (files)"}: ${info.nativeLayer.detail}`,
    `hypernetwork    ${info.hypernetworkThreads} thread(s) for its largest layers (the same results as on one)`,
    `models loaded   ${info.models.length}`,
  ];
  const width = Math.max(0, ...info.models.map((m) => m.id.length));
  for (const m of info.models) {
    const pooling = m.pooling ? `, embeddings (${m.pooling} pooling)` : "";
    lines.push(`  ${m.id.padEnd(width)}  ${m.architecture}, n_embd ${m.embeddingLength}, ${m.gpuLayers}/${m.totalLayers} layers on the GPU${pooling}`);
    lines.push(`  ${" ".repeat(width)}  ${m.path}`);
  }
  return `${lines.join("\n")}\n`;
}
