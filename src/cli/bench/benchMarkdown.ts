// bench/latest.md: the bench's figures as a Markdown table, each a median with its p10-p90 spread.
import type { RoutingPassFigures } from "./routingBench.ts";
import type { BucketedFigures, KvReuseFigures } from "./episodeBench.ts";
import type { AdapterPathFigures } from "./adapterPathBench.ts";
import type { MemoryFigures, SoakFigures } from "./engineBench.ts";
import type { HypernetworkFigures } from "./hypernetworkBench.ts";
import type { ConstrainedFigures } from "./constrainedBench.ts";
import type { Summary } from "./stats.ts";

export interface BenchResult {
  date: string;
  machine: { cpus: number; cpuModel?: string; memoryGiB: number; platform: string; node: string; loadAverage: number[] };
  runtime: { backend: string; gpuDevices: string[]; threads: number; nodeLlamaCpp: string; adapterPath: string; allocator: Readonly<Record<string, string>>; v8Flags: readonly string[] };
  seeds: Record<string, string | number>;
  repeats: number;
  cliStartMs: Summary | null;
  hypernetwork: HypernetworkFigures;
  adapterPath: AdapterPathFigures;
  routingPass: RoutingPassFigures;
  constrained: ConstrainedFigures;
  kvReuse: KvReuseFigures;
  bucketed: BucketedFigures;
  searchQaEpisodeMs: Summary;
  backbonePoolingProblemShare: Record<string, { mean: number; last: number }>;
  engineMemory: MemoryFigures;
  adapterSoak: MemoryFigures;
  soak: SoakFigures;
  totalSeconds: number;
}

const num = (x: number, digits = 2) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(digits));
const spread = (s: Summary, digits = 2) => `${num(s.p10, digits)} - ${num(s.p90, digits)}`;

export function benchMarkdown(r: BenchResult): string {
  const a = r.adapterPath;
  const h = r.hypernetwork;
  const rows: [string, string, string, string][] = [];
  const row = (what: string, s: Summary, unit: string, digits = 2) => rows.push([what, `${num(s.median, digits)} ${unit}`, spread(s, digits), String(s.n)]);
  const value = (what: string, text: string) => rows.push([what, text, "", ""]);
  if (r.cliStartMs) row("`haps --help` wall time (launcher + CLI bundle once)", r.cliStartMs, "ms", 0);
  row(`hypernetwork forward (generate), f ${h.sizes.featureWidth}, o_proj ${h.sizes.oProj}, r ${h.sizes.rank}, hidden ${h.sizes.hidden}`, h.forwardMs, "ms");
  row("hypernetwork sampleAdapter (forward + noise)", h.sampleMs, "ms");
  row("hypernetwork backwardAdapter (REINFORCE, every weight)", h.backwardMs, "ms");
  value("hypernetwork weights (values + gradients)", `${h.parameters.toLocaleString("en-US")} (${num(h.memoryMiB, 0)} MiB)`);
  row(`router feature, ${a.models.routerWidth}-wide router, ${a.promptTokens}-token prompt`, a.routerFeatureMs, "ms");
  row(`decode per token, candidate o_proj ${a.models.candidateOProj}, plain`, a.decodeMsPerToken.plain, "ms");
  row("decode per token, with a generated rank-8 adapter", a.decodeMsPerToken.withAdapter, "ms");
  row("decode speed with adapter / plain (goal >= 0.97; the median of interleaved pairs' ratios)", a.decodePairs, "x", 3);
  value("decode speed with adapter / plain: 95 % interval of that median", `${num(a.decodePairsInterval95[0], 3)} - ${num(a.decodePairsInterval95[1], 3)}`);
  const rp = r.routingPass;
  row(`routing, zero-shot: feature + decision in one pass, ${rp.routerWidth}-wide router, ${rp.prefixTokens}-token prefix cached`, rp.routingMs, "ms");
  row("routing, trained: the feature alone (prefix cached)", rp.trainedRoutingMs, "ms");
  row(`one prefill of the query's own ${rp.queryTokens} tokens on the router`, rp.queryPrefillMs, "ms");
  value("routing / query prefill: zero-shot; trained (goal <= 1.2; router.feature \"output\", and \"auto\" where the layer input cannot be read)", `${num(rp.ratio)}x; ${num(rp.trainedRatio)}x`);
  row("routing without the cache (the whole prompt for the feature and each agent)", rp.uncachedRoutingMs, "ms");
  const tp = rp.trainedParts;
  row(`trained routing's parts: the query's ${tp.restTokens} tokens as the prompt holds them, prefilled fresh`, tp.sameTokensPrefillMs, "ms");
  row("trained routing's parts: the same tokens after the cached prefix, plain context (no outputs)", tp.afterPrefixPrefillMs, "ms");
  value("trained routing's parts / query prefill: same tokens; after the prefix; the feature", `${num(tp.sameTokensRatio)}x; ${num(tp.afterPrefixRatio)}x; ${num(rp.trainedRatio)}x`);
  if (rp.perQueryRatios != null) {
    const q = rp.perQueryRatios;
    row("routing / the same query's prefill, zero-shot, wall time (median of per-query ratios)", q.zeroShot, "x");
    row("routing / the same query's prefill, trained, wall time (median of per-query ratios)", q.trained, "x");
    if (q.zeroShotCpu != null) row("same, zero-shot, process CPU time (not the time spent waiting for a core)", q.zeroShotCpu, "x");
    if (q.trainedCpu != null) row("same, trained, process CPU time", q.trainedCpu, "x");
    if (rp.cpuMs != null) {
      row("process CPU time: zero-shot routing", rp.cpuMs.routing, "ms");
      row("process CPU time: trained routing (the feature)", rp.cpuMs.trainedRouting, "ms");
      row("process CPU time: one prefill of the query's own tokens", rp.cpuMs.queryPrefill, "ms");
    }
    value("tokens the zero-shot decisions evaluate after the query's own (the JSON up to each agent's value)", String(rp.decisionTokens));
  }
  // Absent from bench files written before the decisions were read ahead.
  const floor = (rp as Partial<RoutingPassFigures>).zeroShotFloor;
  if (floor != null) {
    row(`the floor of an exact zero-shot route: one plain pass over the query and the decisions' JSON (${floor.tokens} tokens) after the cached prefix / the query's prefill, wall`, floor.perQuery, "x");
    if (floor.perQueryCpu != null) row("same floor, process CPU time", floor.perQueryCpu, "x");
  }
  const ra = (rp as Partial<RoutingPassFigures>).readAhead;
  if (ra != null) value("later agents' decisions: the guess of the earlier choices decoded ahead and held / missed / not decoded", `${ra.held} / ${ra.missed} / ${ra.unguessed ?? 0}`);
  const rc = (rp as Partial<RoutingPassFigures>).readAheadCost;
  for (const kind of ["output", "layerInput"] as const) {
    const c = rc?.[kind];
    if (c == null) continue;
    row(`zero-shot routing / query prefill, ${kind} feature, the guess read ahead and held (CPU time on the CPU)`, c.held, "x");
    row(`same, the guess read ahead and missed`, c.missed, "x");
    row(`same, no guess read ahead (the fixed JSON head only)`, c.head, "x");
  }
  // Absent from bench files written before the layer-input feature existed.
  const li = (rp as Partial<RoutingPassFigures>).layerInput;
  if (li != null && "unavailable" in li) value("layer-input feature (router.feature layerInput)", `unavailable here (router.feature "auto" reads the output feature): ${li.unavailable}`);
  else if (li != null) {
    row(`routing with the layer-input feature (layer ${li.layer}'s input), zero-shot: feature + decision in one pass on a plain context`, li.routingMs, "ms");
    row(`routing with the layer-input feature (layer ${li.layer}'s input), trained: the feature alone`, li.trainedRoutingMs, "ms");
    value("layer-input routing / query prefill: zero-shot; trained (goal <= 1.2; the route router.feature \"auto\" takes here)", `${num(li.ratio)}x; ${num(li.trainedRatio)}x`);
    row("layer-input routing / the same query's prefill, zero-shot, wall time (median of per-query ratios)", li.perQueryRatios.zeroShot, "x");
    row("layer-input routing / the same query's prefill, trained, wall time (median of per-query ratios)", li.perQueryRatios.trained, "x");
    if (li.perQueryRatios.zeroShotCpu != null) row("same, zero-shot, process CPU time", li.perQueryRatios.zeroShotCpu, "x");
    if (li.perQueryRatios.trainedCpu != null) row("same, trained, process CPU time", li.perQueryRatios.trainedCpu, "x");
    if (tp.afterPrefixCpu != null) row("a plain pass over the same tokens after the cached prefix / the query's prefill, process CPU time (the floor)", tp.afterPrefixCpu, "x");
  }
  const c = r.constrained;
  row(`decode per token, ${c.model} (${c.vocabulary.toLocaleString("en-US")}-token vocabulary), unconstrained`, c.plainMsPerToken, "ms", 3);
  row("decode per token, same model, under a JSON-schema grammar", c.constrainedMsPerToken, "ms", 3);
  value("constrained / unconstrained token (median of pairs; 95 % interval); the grammar's share of a constrained token", `${num(c.ratio.median)}x (${num(c.ratioInterval95[0])} - ${num(c.ratioInterval95[1])}); ${num(100 * c.grammarShare, 0)} %`);
  row("building the JSON-schema grammar (once per constrained reply)", c.grammarBuildMs, "ms", 3);
  const kv = r.kvReuse;
  value(
    `KV reuse, ${kv.episodes} search-QA episodes: tokens evaluated / final transcript (goal <= 1.3); / all prompts shown`,
    `${num(kv.evaluatedOverFinal)}; ${num(kv.evaluatedOverShown)} (${kv.evaluatedTokens} evaluated, ${kv.finalTranscriptTokens} final, ${kv.transcriptTokens} shown)`,
  );
  const b = r.bucketed;
  for (const run of b.runs)
    value(
      `evaluation of ${b.items} items: ${run.concurrency} episode(s) at once x ${run.threadsPerContext} thread(s) per context (best of ${b.rounds})`,
      `${num(run.itemsPerSecond)} items/s (${num(run.seconds, 1)} s; ${num(run.cores)} cores busy, main thread ${num(run.mainThread)})`,
    );
  value("bucketed evaluation speed-up over one episode at a time (goal >= 1.6)", `${num(b.speedup)}x, best: ${b.best}`);
  for (const [step, s] of Object.entries(a.stepsMs)) row(`adapter path: ${step}`, s, "ms", 3);
  row(`adapter path, all steps (${num(a.adapter.kib, 0)} KiB adapter)`, a.pathMs, "ms");
  row("adapter path in decoded tokens of the candidate", a.pathDecodedTokens, "tokens");
  if (a.inPlace != null) {
    for (const [step, s] of Object.entries(a.inPlace.stepsMs)) row(`adapter path, native layer (in place): ${step}`, s, "ms", 3);
    row("adapter path, native layer, all steps", a.inPlace.pathMs, "ms", 3);
    row("adapter path, native layer, in decoded tokens of the candidate, hypernetwork included (goal <= 0.3)", a.inPlace.pathDecodedTokens, "tokens", 3);
    row("llama.cpp's share, native layer: in-place write + attach (goal <= 0.5 ms)", a.inPlace.llamaShareMs, "ms", 3);
    row("llama.cpp's share, file path: write + load + attach + detach + free", a.inPlace.fileLlamaShareMs, "ms", 3);
  } else {
    value("adapter path, native layer", "not measured: the runtime uses the TypeScript path");
  }
  row("new adapter by file switch (write, load, attach, detach, free)", a.switchMs, "ms");
  row("new adapter by a new context (node-llama-cpp's public path)", a.newContextMs, "ms");
  row("new adapter by a model reload", a.reloadMs, "ms", 0);
  value("new context / switch; reload / switch", `${num(a.newContextOverSwitch, 1)}x; ${num(a.reloadOverSwitch, 0)}x`);
  row("search-QA episode, embedded models", r.searchQaEpisodeMs, "ms", 0);
  const m = r.engineMemory;
  row(`shipped engine: query with a new ${m.adapterKiB} KiB adapter (${m.width}-wide)`, m.queryMs, "ms");
  value(`shipped engine: RSS growth over ${m.adapters.toLocaleString("en-US")} adapters (median windows; end - start; swing)`, `${num(m.growthMiB)} MiB; ${num(m.endToEndMiB)} MiB; ${num(m.swingMiB, 1)} MiB (goal < 10 MiB without a fixed mmap threshold)`);
  if (m.afterGc != null) {
    const g = m.afterGc;
    value(
      `shipped engine: memory after two full GCs and a malloc_trim every ${g.every} adapters (bench hook): RSS growth from the reading after a warm-up of ${g.warmup} adapters to the last; V8's live heap, same; RSS growth from the first reading`,
      `${num(g.rssGrowthMiB)} MiB; ${num(g.heapUsedGrowthMiB)} MiB; ${num(g.rssGrowthFromStartMiB)} MiB (readings ${g.samples.map((s) => num(s.rssMiB, 1)).join(", ")} MiB)`,
    );
  }
  const as = r.adapterSoak;
  value(
    `shipped engine: RSS over ${as.adapters.toLocaleString("en-US")} adapters: the second half added (goal < 16 MiB); whole run (median windows); swing`,
    `${num(as.secondHalfMiB)} MiB; ${num(as.growthMiB)} MiB; ${num(as.swingMiB, 1)} MiB (query ${num(as.queryMs.median)} ms)`,
  );
  const s = r.soak;
  row(`soak: route (${s.concurrency} in flight)`, s.routeMs, "ms", 0);
  value(`soak: ${s.routes.toLocaleString("en-US")} routes`, `${num(s.routesPerSecond)} routes/s, RSS ${num(s.rssMiB.start, 0)} -> ${num(s.rssMiB.end, 0)} MiB (median-window growth ${num(s.rssMiB.growthMedianWindows)} MiB, swing ${num(s.rssMiB.swing, 1)}), open files ${s.openFiles.start} -> ${s.openFiles.end} (max ${s.openFiles.max}), ${s.restarts} restarts`);
  for (const [model, share] of Object.entries(r.backbonePoolingProblemShare)) value(`pooling problem share, ${model} (mean / last)`, `${share.mean.toExponential(2)} / ${share.last.toExponential(2)}`);

  const header =
    `# HAPS bench, ${r.date}\n\n` +
    `${r.machine.cpus} x ${r.machine.cpuModel ?? "CPU"}, ${num(r.machine.memoryGiB, 1)} GiB, ${r.machine.platform}, Node ${r.machine.node}, ` +
    `load average ${r.machine.loadAverage.map((x) => x.toFixed(1)).join(" ")}. llama.cpp via node-llama-cpp ${r.runtime.nodeLlamaCpp}: backend ${r.runtime.backend}` +
    `${r.runtime.gpuDevices.length ? ` (${r.runtime.gpuDevices.join(", ")})` : ""}, ${r.runtime.threads} thread(s); adapter path: ${r.runtime.adapterPath}. ` +
    `Engine settings: ${Object.entries(r.runtime.allocator).map(([k, v]) => `${k}=${v}`).join(" ")} ${r.runtime.v8Flags.join(" ")}. ` +
    `Timings: median of ${r.repeats} repeats unless n says otherwise, after a warm-up; seeds ${Object.entries(r.seeds).map(([k, v]) => `${k} ${v}`).join(", ")}. ` +
    `Bench models: router ${a.models.router}, candidate ${a.models.candidate} (${a.models.candidateBlocks} blocks, random weights). ` +
    `Total bench time ${num(r.totalSeconds, 0)} s.\n\n`;
  return header + "| figure | median | p10 - p90 | n |\n| --- | --- | --- | --- |\n" + rows.map((cells) => `| ${cells.join(" | ")} |`).join("\n") + "\n";
}
