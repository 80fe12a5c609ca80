// Human-readable output of an episode: the routing decision, the adapters, the dialogue as it streams, the result.
import type { Writable } from "node:stream";
import type { EpisodeEvent, EpisodeReport } from "../core/episode/types.ts";

const pct = (p: number) => `${(100 * p).toFixed(1)}%`;
const num = (x: number) => (Math.abs(x) >= 0.01 || x === 0 ? x.toFixed(4) : x.toExponential(2));

export function streamEvents(out: Writable): (event: EpisodeEvent) => void {
  let speaking: string | null = null;
  return (event) => {
    switch (event.type) {
      case "assignment": {
        const a = event.assignment;
        out.write(`\nRouting (${a.mode}):\n`);
        for (const [agent, candidate] of Object.entries(a.choice)) {
          const dist = Object.entries(a.probabilities[agent] ?? {}).map(([c, p]) => `${c} ${pct(p)}`).join(", ");
          out.write(`  ${agent} -> ${candidate}   (${dist})\n`);
        }
        break;
      }
      case "adapter": {
        const r = event.adapter;
        out.write(`Adapter for ${r.agent} on ${r.candidate} (scale ${r.scale}, generated in ${r.generateMs.toFixed(1)} ms):\n`);
        for (const l of r.layers)
          out.write(
            `  blk.${l.layer}.attn_output: A ${l.shapeA.join("x")} |A|=${num(l.normA)}, B ${l.shapeB.join("x")} |B|=${num(l.normB)}, |AB|=${num(l.normUpdate)}\n`,
          );
        break;
      }
      case "text":
        if (speaking !== event.role) {
          out.write(`\n[${event.role}] `);
          speaking = event.role;
        }
        out.write(event.text);
        break;
      case "turn":
      case "done":
        break;
    }
  };
}

export function printReport(report: EpisodeReport, out: Writable): void {
  out.write(`\n\nTranscript: ${report.transcript.length} turns (${report.stoppedBecause})\n`);
  for (const t of report.transcript) {
    const action = JSON.stringify(t.action);
    const notes = [t.formatError && `format error: ${t.formatError}`, t.fallback && `fallback: ${t.fallback}`].filter(Boolean).join("; ");
    out.write(`  #${t.index} ${t.role} (${t.modelId}) step ${t.step}: ${action}  [${t.promptTokens} in / ${t.outputTokens} out, ${t.ms.toFixed(0)} ms]${notes ? `  ${notes}` : ""}\n`);
  }
  out.write(`\nAnswer: ${JSON.stringify(report.answer)}\n`);
  if (report.metrics) out.write(`Score: ${JSON.stringify(report.metrics)}\n`);
  out.write("Tokens:\n");
  for (const [model, t] of Object.entries(report.tokens)) out.write(`  ${model}: ${t.input} in, ${t.output} out\n`);
  out.write(
    `Cost: ${report.cost.total.toExponential(3)}` +
      (report.cost.normalised == null ? " (no normalisation statistics: untrained router)" : ` (normalised ${report.cost.normalised.toFixed(3)})`) +
      `\nTime: ${(report.timings.totalMs / 1000).toFixed(2)} s (routing ${report.timings.routingMs.toFixed(0)} ms)\n`,
  );
}
