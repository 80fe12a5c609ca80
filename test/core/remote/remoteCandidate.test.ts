// Remote candidates inside a HAPS configuration, served by another HAPS (`haps serve`) on a loopback port: a closed
// one answers exactly as the same model does locally; an open one receives its per-query adapter through vLLM's
// run-time LoRA API and answers exactly as the local model with that adapter; a failing server fails the episode with
// the candidate and the status named, and no training row is written for it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseHapsConfig, type HapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { HapsPipeline } from "../../../src/core/episode/HapsPipeline.ts";
import type { EpisodeReport, PreparedQuery } from "../../../src/core/episode/types.ts";
import { readModelShape } from "../../../src/core/gguf/readModelShape.ts";
import { episodeCost } from "../../../src/core/metrics/index.ts";
import { RemoteCallError } from "../../../src/core/remote/RemoteCallError.ts";
import { ActionDataset, actionFingerprint } from "../../../src/core/training/ActionDataset.ts";
import { collectActions } from "../../../src/core/training/collectActions.ts";
import { tempDir } from "../runtime/helpers.ts";
import { startServe, type ServeFixture } from "../serve/serveFixture.ts";
import { startFaultProxy, type FaultProxy } from "./faultProxy.ts";

const QUESTION = { id: "q1", question: "Which is a colour?", choices: ["red", "seven", "Paris", "run"], gold: "A" };

/** The words of a transcript that must match between two runs: who spoke, what they wrote, what it cost. */
function transcriptOf(report: EpisodeReport) {
  return report.transcript.map((t) => ({ role: t.role, modelId: t.modelId, text: t.text, promptTokens: t.promptTokens, outputTokens: t.outputTokens }));
}

describe("remote candidates served by haps serve", () => {
  let serve: ServeFixture;
  let local: HapsConfig;
  let small: HapsConfig["candidates"][number];
  let loraDir: string;
  let prepared: PreparedQuery;
  let localPipeline: HapsPipeline;
  let proxy: FaultProxy;

  /** The local configuration with its small candidate replaced by the same model behind `baseUrl`. */
  async function remoteConfig(baseUrl: string, extra: Record<string, unknown> = {}, generator: Partial<HapsConfig["generator"]> = {}): Promise<HapsConfig> {
    return parseHapsConfig(
      {
        router: { model: local.router.model },
        agents: local.agents,
        candidates: [
          { id: small.id, kind: "openai", baseUrl, model: small.id, description: small.description, price: small.price, retries: 1, retryDelayMs: 10, ...extra },
          ...local.candidates.slice(1).map(({ kind, ...c }) => c),
        ],
        generator: { ...local.generator, ...generator },
        protocol: { ...local.protocol, maxRounds: 1 },
        maxTokens: local.maxTokens,
      },
      "remote test configuration",
      "/",
    );
  }

  before(async () => {
    loraDir = tempDir("lora");
    serve = await startServe({ loraDir });
    local = { ...serve.config, protocol: { ...serve.config.protocol, maxRounds: 1 } };
    small = local.candidates[0];
    localPipeline = await HapsPipeline.create(serve.runtime, local);
    prepared = await localPipeline.prepare(QUESTION);
    proxy = await startFaultProxy(serve.url);
  });
  after(async () => {
    await proxy?.close();
    await serve?.close();
  });

  test("a closed remote candidate answers as the same model does locally: same turns, same tokens, priced alike", async () => {
    const assignment = { student: small.id, teacher: small.id };
    const mine = await localPipeline.runEpisode(prepared, localPipeline.fixedAssignment(assignment), { adapters: "none" });
    const remote = await HapsPipeline.create(serve.runtime, await remoteConfig(serve.url));
    assert.equal(remote.policy.generator(small.id), null, "a closed candidate has no generator");
    const theirs = await remote.runEpisode(prepared, remote.fixedAssignment(assignment), { adapters: "none" });
    assert.ok(theirs.transcript.length >= 1, JSON.stringify(theirs.transcript));
    assert.deepEqual(transcriptOf(theirs), transcriptOf(mine));
    assert.deepEqual(theirs.tokens, mine.tokens);
    assert.equal(theirs.cost.total, episodeCost(theirs.tokens, { [small.id]: small.price }));
    assert.ok(theirs.cost.total > 0);
    assert.deepEqual(theirs.adapters, [], "no adapter for a closed model");
  });

  test("an open remote candidate gets its adapter through the run-time LoRA API: the answer is the local model's with that adapter", async () => {
    // A strong adapter (scale 3000) so that it visibly changes the greedy text (the untrained generator's B is small
    // by design: at scale 1, and even at 300, its adapters barely act here).
    const strong = { ...local, generator: { ...local.generator, scale: 3000 } };
    const localStrong = await HapsPipeline.create(serve.runtime, strong);
    const shape = await readModelShape(small.model);
    const o = shape.oProj.at(-1)!;
    const config = await remoteConfig(serve.url, { open: true, lora: { engine: "vllm", adapterDir: loraDir, shape: { architecture: shape.architecture, blockCount: shape.blockCount, oProjIn: o.inWidth, oProjOut: o.outWidth } } }, { scale: 3000 });
    const remote = await HapsPipeline.create(serve.runtime, config);
    const assignment = { student: small.id, teacher: small.id };
    const plain = await localStrong.runEpisode(prepared, localStrong.fixedAssignment(assignment), { adapters: "none" });
    const adapted = await localStrong.runEpisode(prepared, localStrong.fixedAssignment(assignment), { adapters: "generated" });
    const loadsBefore = serve.log.filter((l) => l.includes("/v1/load_lora_adapter 200")).length;
    const theirs = await remote.runEpisode(prepared, remote.fixedAssignment(assignment), { adapters: "generated" });
    assert.notDeepEqual(transcriptOf(adapted), transcriptOf(plain), "the adapter changes the answer (else this test could not fail)");
    assert.deepEqual(transcriptOf(theirs), transcriptOf(adapted));
    assert.equal(theirs.adapters.length, 2, "one adapter per agent");
    // An adapter is loaded when its agent first speaks (one per agent that spoke), and all are gone afterwards: from
    // the server and from the folder.
    const spoke = new Set(theirs.transcript.map((t) => t.role)).size;
    assert.equal(serve.log.filter((l) => l.includes("/v1/load_lora_adapter 200")).length - loadsBefore, spoke);
    assert.equal(serve.log.filter((l) => l.includes("/v1/unload_lora_adapter 200")).length, spoke);
    const models = (await (await fetch(`${serve.url}/models`)).json()) as { data: { haps: { kind: string } }[] };
    assert.equal(models.data.filter((m) => m.haps.kind === "adapter").length, 0);
    assert.deepEqual(readdirSync(loraDir), []);
  });

  test("a failing server fails the episode with the candidate and the HTTP status named", async () => {
    proxy.script = () => ({ kind: "status", status: 500, message: "upstream exploded" });
    const remote = await HapsPipeline.create(serve.runtime, await remoteConfig(proxy.url));
    await assert.rejects(remote.runEpisode(prepared, remote.fixedAssignment({ student: small.id, teacher: small.id }), { adapters: "none" }), (error: Error) => {
      assert.ok(error instanceof RemoteCallError);
      assert.match(error.message, new RegExp(`candidate "${small.id}": POST .*/chat/completions: HTTP 500 .*after 2 attempts: upstream exploded`));
      return true;
    });
  });

  test("a remote failure writes no action-level row; rows come once the server answers", async () => {
    const config = await remoteConfig(proxy.url);
    const pipeline = await HapsPipeline.create(serve.runtime, config);
    const file = path.join(tempDir("actions"), "actions.jsonl");
    const remoteId = small.id;
    const rows = () =>
      readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => JSON.parse(l) as { assignment: Record<string, string> });
    // The server fails every call: every assignment that involves it fails, and the collection stops with that error.
    proxy.script = () => ({ kind: "status", status: 503, message: "overloaded" });
    let dataset = await ActionDataset.open(file, actionFingerprint(config));
    await assert.rejects(collectActions(pipeline, dataset, [prepared]), (error: Error) => {
      assert.ok(error instanceof RemoteCallError);
      assert.equal(error.status, 503);
      assert.match(error.message, new RegExp(`candidate "${remoteId}"`));
      return true;
    });
    dataset.close();
    assert.ok(rows().every((r) => !Object.values(r.assignment).includes(remoteId)), "no row for an assignment with the failing candidate");
    // Once it answers, the same collection resumes and writes the rows it could not write before.
    proxy.script = () => ({ kind: "forward" });
    dataset = await ActionDataset.open(file, actionFingerprint(config));
    await collectActions(pipeline, dataset, [prepared]);
    dataset.close();
    const all = rows();
    assert.equal(all.length, 4, "2 agents x 2 candidates");
    assert.ok(all.some((r) => Object.values(r.assignment).includes(remoteId)));
  });
});
