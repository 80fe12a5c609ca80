import path from "node:path";
import { EngineClient } from "../src/core/engine/EngineClient.ts";
import { buildTinyLlama } from "../src/core/models/buildTinyLlama.ts";
import { Rng } from "../src/core/nn/Rng.ts";
import { residentMiB, median } from "./core/engine/shippedEngine.ts";
const mode = process.argv[2];
const model = path.join("/tmp/exp", "wide1024.gguf");
await buildTinyLlama({ name: "wide1024", embeddingLength: 1024, blockCount: 2, headCount: 4, feedForwardLength: 64, seed: 3 }).write(model);
const engine = new EngineClient({ enginePath: path.resolve("dist/engine.mjs"), runtime: { threads: 1, gpu: false }, env: mode === "off" ? { HAPS_NATIVE: "off" } : {} , execArgv: process.argv[3] ? process.argv[3].split(" ") : []});
const width = 1024, rank = 8, rng = new Rng(1);
const query = () => engine.request("generate", { modelPath: model, prompt: "Once upon a time", maxTokens: 1, adapter: { lora: { architecture: "llama", layers: [{ layer: 1, inWidth: width, outWidth: width, rank, a: rng.fillNormal(new Float32Array(width * rank), 0.03), b: rng.fillNormal(new Float32Array(rank * width), 0.03) }] } } });
for (let i = 0; i < 50; i++) await query();
const pid = engine.pid!;
const samples: number[] = [];
const t = performance.now();
for (let i = 0; i < 3000; i++) { await query(); samples.push(residentMiB(pid)); }
const m = (a: number, b: number) => median(samples.slice(a, b)).toFixed(1);
console.log(mode, process.argv[3] ?? "", "ms/q", ((performance.now() - t) / 3000).toFixed(2), "medians per 500:", [0, 500, 1000, 1500, 2000, 2500].map((s) => m(s, s + 100)).join(" "), "last100", m(2900, 3000), "min", Math.min(...samples).toFixed(1), "max", Math.max(...samples).toFixed(1));
await engine.dispose();
