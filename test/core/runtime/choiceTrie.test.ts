// The zero-shot decisions' constrained distribution (real llama.cpp): what a grammar allowing only the candidate ids
// gives - at each step the model's full next-token distribution masked to the tokens that continue some id and
// renormalised - computed here independently, one fresh decode per step with nothing skipped, and compared with
// choiceProbabilities, which reads the model only at the branching points of the ids' token trie. Also: how many
// decodes that takes, and the decisions' prompts read ahead in the query's own batch (the guess of the earlier agents'
// choices) change neither a decision nor the feature, whether the guess holds or not.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { LlamaModel, Token } from "node-llama-cpp";
import { defaultConfig } from "../../../src/core/config/defaultConfig.ts";
import type { HapsConfig } from "../../../src/core/config/HapsConfig.ts";
import { ensureDefaultModels } from "../../../src/core/models/defaultModels.ts";
import { buildRoutingPrompt } from "../../../src/core/router/RoutingPrompt.ts";
import { ZeroShotRouter, type ZeroShotCandidate } from "../../../src/core/router/ZeroShotRouter.ts";
import { choiceProbabilities } from "../../../src/core/runtime/choiceProbabilities.ts";
import { LlamaRuntime } from "../../../src/core/runtime/LlamaRuntime.ts";
import { PrefixSequence } from "../../../src/core/runtime/PrefixSequence.ts";
import { haveSharedModels, stories260K, tempDir } from "./helpers.ts";

describe("constrained choices over the candidates' token trie", () => {
  let runtime: LlamaRuntime;
  let config: HapsConfig;
  before(async () => {
    runtime = await LlamaRuntime.create({ gpu: false, threads: 1 });
    config = defaultConfig(await ensureDefaultModels(tempDir("models")));
  });
  after(async () => {
    await runtime.dispose();
  });

  /** The grammar's probability of each choice, step by step from fresh decodes of the whole text so far. */
  async function byHand(model: LlamaModel, full: Token[][]): Promise<number[]> {
    const context = await model.createContext({ threads: 1, contextSize: 512, sequences: 1 });
    try {
      const sequence = context.getSequence();
      const distributionAfter = async (tokens: Token[]) => {
        await sequence.clearHistory();
        const out = await sequence.controlledEvaluate(tokens.map((t, i) => (i === tokens.length - 1 ? ([t, { generateNext: { probabilities: true } }] as const) : t)) as never);
        const probs = (out[tokens.length - 1] as { next: { probabilities: Map<Token, number> } }).next.probabilities;
        // The whole vocabulary's distribution, not a top-k cut.
        const total = [...probs.values()].reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(total - 1) < 1e-3, `the distribution sums to ${total}`);
        return probs;
      };
      // Where the texts part: before that, every choice agrees (the prompt).
      let prompt = 0;
      while (full.every((t) => prompt < t.length - 1 && t[prompt] === full[0][prompt])) prompt++;
      const result: number[] = [];
      for (const tokens of full) {
        let p = 1;
        for (let i = prompt; i < tokens.length; i++) {
          // The mask: the next token of every choice that agrees with this one so far.
          const allowed = new Set(full.filter((o) => o.length > i && o.slice(0, i).every((t, j) => t === tokens[j])).map((o) => o[i]));
          const probs = await distributionAfter(tokens.slice(0, i));
          let mass = 0;
          for (const t of allowed) mass += probs.get(t) ?? 0;
          p *= (probs.get(tokens[i]) ?? 0) / mass;
        }
        result.push(p);
      }
      return result;
    } finally {
      await context.dispose();
    }
  }

  /** Positions below the prompt where the trie branches, per choice (to show the case is the one meant). */
  function branchingDepths(full: Token[][]): number[][] {
    let prompt = 0;
    while (full.every((t) => prompt < t.length - 1 && t[prompt] === full[0][prompt])) prompt++;
    return full.map((tokens) => {
      const depths: number[] = [];
      for (let i = prompt; i < tokens.length; i++) {
        const next = new Set(full.filter((o) => o.length > i && o.slice(0, i).every((t, j) => t === tokens[j])).map((o) => o[i]));
        if (next.size > 1) depths.push(i - prompt);
      }
      return depths;
    });
  }

  const cases = () => [
    // The embedded router (a character-level vocabulary): "small" and "smaller" share five tokens and part at the sixth.
    { model: config.router.model, prompt: 'Pick a model.\nJSON: {"student": "', choices: ["small", "smaller", "large"], terminator: '"' },
    ...(haveSharedModels
      ? [
          // stories260K (a trained model, 512 tokens): " girl", " giraffe" and " give" share " g"; the first two share
          // " gir" too. Branching after the shared " ", after " g" and after " gir".
          { model: stories260K, prompt: "Once upon a time, there was a little", choices: [" girl", " giraffe", " give", " boy", " dog"], terminator: "" },
        ]
      : []),
  ];

  test("the probabilities equal the grammar's, computed by hand from full-vocabulary distributions; ids share first tokens", async () => {
    for (const c of cases()) {
      const { model } = await runtime.loadModel(c.model);
      const full = c.choices.map((id) => runtime.tokenizeWithBos(model, c.prompt + id + c.terminator));
      const depths = branchingDepths(full);
      assert.ok(depths.some((d) => d.some((x) => x > 0)), `${c.model}: no branching point below the first token: ${JSON.stringify(depths)}`);
      const expected = await byHand(model, full);
      assert.ok(Math.abs(expected.reduce((a, b) => a + b, 0) - 1) < 1e-6, `${c.model}: the grammar's probabilities sum to 1`);
      const got = await runtime.constrainedChoiceProbabilities(c.model, c.prompt, c.choices, c.terminator);
      got.forEach((p, i) => assert.ok(Math.abs(p - expected[i]) <= 1e-4 * Math.max(p, expected[i]) + 1e-7, `${c.model} ${JSON.stringify(c.choices[i])}: ${p} vs ${expected[i]} by hand`));
      // Not a uniform or degenerate answer that would match by accident.
      assert.ok(Math.max(...expected) - Math.min(...expected) > 1e-3, `${c.model}: ${expected}`);
    }
  });

  test("the model is read only at branching points: one decode for the trie, and none when its paths are held", async () => {
    for (const c of cases()) {
      const { model } = await runtime.loadModel(c.model);
      const context = await model.createContext({ threads: 1, contextSize: 512, sequences: 1 });
      try {
        const sequence = new PrefixSequence(context, context.getSequence());
        const full = c.choices.map((id) => runtime.tokenizeWithBos(model, c.prompt + id + c.terminator));
        let prompt = 0;
        while (full.every((t) => prompt < t.length - 1 && t[prompt] === full[0][prompt])) prompt++;
        // The deepest branching path: the tokens below the prompt that lead to the last branching point.
        const deepest = Math.max(...branchingDepths(full).map((d) => d.at(-1) ?? 0));
        const first = await choiceProbabilities(sequence, full);
        // Here every branching point lies on one path (the ids that part deeper share it), so one decode reads them all:
        // the prompt and that path's tokens, none of the choices' other tokens.
        assert.equal(sequence.decodes, 1, `${c.model}: decodes`);
        assert.equal(sequence.evaluatedTokens, prompt + deepest, `${c.model}: tokens evaluated`);
        const again = await choiceProbabilities(sequence, full);
        assert.equal(sequence.decodes, 1, `${c.model}: the second read decoded again`);
        assert.deepEqual(again, first);
        // Choices that part at their first token need the distribution after the prompt only.
        const parting = [c.choices[0], c.choices.at(-1)!].map((id) => runtime.tokenizeWithBos(model, c.prompt + id + c.terminator));
        assert.deepEqual(branchingDepths(parting).map((d) => d.join()), ["0", "0"]);
        await choiceProbabilities(sequence, parting);
        assert.equal(sequence.decodes, 1, `${c.model}: the distribution after the prompt was read already`);
      } finally {
        await context.dispose();
      }
    }
  });

  test("peekAlong keeps a distribution while the tokens before it are held, and reads it again once they change", async () => {
    const { model } = await runtime.loadModel(config.router.model);
    const context = await model.createContext({ threads: 1, contextSize: 512, sequences: 1 });
    const reference = await model.createContext({ threads: 1, contextSize: 512, sequences: 1 });
    try {
      const sequence = new PrefixSequence(context, context.getSequence());
      const fresh = reference.getSequence();
      const after = async (tokens: Token[]) => {
        await fresh.clearHistory();
        const out = await fresh.controlledEvaluate(tokens.map((t, i) => (i === tokens.length - 1 ? ([t, { generateNext: { probabilities: true } }] as const) : t)) as never);
        return (out[tokens.length - 1] as { next: { probabilities: Map<Token, number> } }).next.probabilities;
      };
      const close = (a: Map<Token, number>, b: Map<Token, number>, what: string) => {
        let d = 0;
        for (const [t, p] of a) d = Math.max(d, Math.abs(p - (b.get(t) ?? 0)));
        for (const [t, p] of b) d = Math.max(d, Math.abs(p - (a.get(t) ?? 0)));
        assert.ok(d <= 1e-4, `${what}: max |dp| ${d}`);
      };
      const x = runtime.tokenizeWithBos(model, 'Pick one.\nJSON: {"teacher": "small", "student": "');
      const y = runtime.tokenizeWithBos(model, 'Pick one.\nJSON: {"teacher": "large", "student": "');
      let part = 0;
      while (x[part] === y[part]) part++;
      const head = part - 2; // a position before the two part
      const [early, late] = await sequence.peekAlong(x, [head, x.length]);
      assert.equal(sequence.decodes, 1);
      close(early, await after(x.slice(0, head)), "early, first read");
      close(late, await after(x), "late, first read");
      // The same positions again: no decode. A shorter read inside the held tokens: no decode either.
      await sequence.peekAlong(x, [head, x.length]);
      assert.equal((await sequence.peekAlong(x.slice(0, head), [head]))[0], early);
      assert.equal(sequence.decodes, 1);
      // Another text from `part` on: the early distribution is kept, the late one is read again, for y.
      const [early2, late2] = await sequence.peekAlong(y, [head, y.length]);
      assert.equal(sequence.decodes, 2);
      assert.equal(early2, early);
      assert.equal(sequence.evaluatedTokens, x.length + (y.length - part));
      close(late2, await after(y), "late, after the change");
      // A distribution asked for right at the change (after y's first own token) comes from one token evaluated again.
      const [atPart] = await sequence.peekAlong(y, [part + 1]);
      assert.equal(sequence.decodes, 3);
      close(atPart, await after(y.slice(0, part + 1)), "at the change");
    } finally {
      await context.dispose();
      await reference.dispose();
    }
  });

  test("decisions read ahead in the query's batch equal separate reads, whether the guess of the earlier choice holds or not", async () => {
    const agents = config.agents.map((a) => a.id);
    assert.ok(agents.length >= 2);
    const [a, b] = config.candidates.map((c) => c.id);
    // A large alpha makes the cheap candidate every agent's choice, so the guess (the last query's choices) is known to
    // miss when the cheap one changes.
    const priced = (cheap: string): ZeroShotCandidate[] => config.candidates.map((c) => ({ id: c.id, price: c.id === cheap ? { input: 0, output: 0 } : { input: 1, output: 1 } }));
    const prompt = (question: string) => buildRoutingPrompt(config.agents, config.tasks["search-qa"], { question }, config.candidates);
    const layer = 3;
    const kinds: (number | undefined)[] = [undefined, ...(runtime.native.addon != null ? [layer] : [])];
    const sequences = (runtime as unknown as { routingSequences: Map<string, Promise<PrefixSequence & { layer?: number }>> }).routingSequences;
    const sequenceOf = async (kind: number | undefined) => {
      for (const [key, s] of sequences) if (key.includes("layer-input") === (kind != null)) return await s;
      throw new Error("no sequence");
    };
    for (const kind of kinds) {
      const router = new ZeroShotRouter(runtime, config.router.model, "mean", kind);
      // No guess on a first route (it would be blind); then the guess is decoded while the last query's choices held
      // in at least GUESS_THRESHOLD (0.8) of the later decisions: after one miss in two it is not, until 4 of 5 held.
      const steps = [
        { question: "Which river flows through Paris?", cheap: a, expect: "unguessed" },
        { question: "Who wrote the book about the white whale?", cheap: a, expect: "held" },
        { question: "Is the sky blue?", cheap: b, expect: "missed" },
        { question: "How many legs has a spider?", cheap: b, expect: "unguessed" },
        { question: "Which city is the capital of France?", cheap: b, expect: "unguessed" },
        { question: "What colour is grass?", cheap: b, expect: "unguessed" },
        { question: "Who painted the Mona Lisa?", cheap: b, expect: "held" },
      ] as const;
      for (const step of steps) {
        const p = prompt(step.question);
        const before = { ...router.readAhead };
        const s = await sequenceOf(kind).catch(() => null);
        const decodes = s?.decodes ?? 0;
        const routed = await router.routeWithFeature(p, agents, priced(step.cheap), 50);
        for (const agent of agents) assert.equal(routed.assignment.choice[agent], step.cheap);
        assert.equal(router.readAhead[step.expect] - before[step.expect], agents.length - 1, `${kind ?? "output"}: ${step.question}`);
        // The first route also decodes the prefix (its own decode).
        if (step !== steps[0]) {
          // The query's tokens, the JSON of every decision: one decode with the layer-input feature, two with the
          // output feature (its batch pools every token, so the JSON follows in the first decision's decode) - when the
          // guess holds; a miss, or no guess, decodes the right text for each later agent.
          const expected = (kind == null ? 2 : 1) + (step.expect === "held" ? 0 : agents.length - 1);
          assert.equal((await sequenceOf(kind)).decodes - decodes, expected, `${kind ?? "output"}: decodes for "${step.question}"`);
        }
        // Reference: each agent's distribution read alone, with no text ahead, after another query on the sequence.
        await runtime.routingFeature(config.router.model, prompt("something else").prefix, "something else", "mean", kind);
        const separate: Record<string, number[]> = {};
        let json = "{";
        for (const [i, agent] of agents.entries()) {
          json += `${i === 0 ? "" : ", "}${JSON.stringify(agent)}: "`;
          separate[agent] = await runtime.routingPass(config.router.model, "mean", (pass) => pass.choose(`${p.prefix}${p.problem}\nJSON: ${json}`, [a, b], '"'), kind);
          json += `${routed.assignment.choice[agent]}"`;
        }
        assert.equal(routed.assignment.rawAnswer, `${json}}`);
        // Undo the price term: softmax(log p - penalty) back to p, renormalised over the two.
        const penalty = (id: string) => (id === step.cheap ? 0 : 50 * Math.LN10);
        for (const agent of agents) {
          const scores = [a, b].map((id) => Math.log(routed.assignment.probabilities[agent][id]) + penalty(id));
          const max = Math.max(...scores);
          const total = scores.reduce((n, x) => n + Math.exp(x - max), 0);
          const recovered = scores.map((x) => Math.exp(x - max) / total);
          recovered.forEach((q, i) => assert.ok(Math.abs(q - separate[agent][i]) <= 1e-5, `${kind ?? "output"} ${agent}/${[a, b][i]}: ${q} read ahead vs ${separate[agent][i]} alone`));
        }
        // The feature pools the query's tokens only, whatever was decoded after them in its batch.
        const alone = await runtime.routingFeature(config.router.model, p.prefix, p.problem, "mean", kind);
        const scale = Math.max(...alone.map(Math.abs));
        routed.feature.forEach((v, i) => assert.ok(Math.abs(v - alone[i]) <= 1e-5 * scale, `${kind ?? "output"} feature[${i}]: ${v} vs ${alone[i]}`));
      }
    }
  });
});
