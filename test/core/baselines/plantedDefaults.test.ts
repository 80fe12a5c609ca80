import { test } from "node:test";
import assert from "node:assert/strict";
import { withAssignmentEmbeddings } from "../../../src/core/baselines/assignmentSpace.ts";
import { scoreChoices } from "../../../src/core/baselines/scoreChoices.ts";
import { baselineAt, decide, fitBaseline, makeBaselines } from "../../../src/core/evaluation/baselineMethods.ts";
import { evalSpecSchema } from "../../../src/core/evaluation/EvalSpec.ts";
import { LEARNED_BASELINES } from "../../../src/core/evaluation/tuning/learnedMethods.ts";
import { commonComponentExamples, space as pair } from "./commonComponent.ts";

// The settings `haps eval` runs (its default spec, configuration 0 of every search: each module's own defaults, on the
// standardised feature) against planted truth: four groups of items on a router-LLM-shaped feature (a large common
// component, two uninformative outlier dimensions), group g answered only by assignment g. Held-out quality is the
// share of test items routed to their group's assignment; each learned baseline must reach 0.9. RouteLLM's two-model
// form can only pick All-Weak or All-Strong, so its problem keeps the two groups those answer.
const train = commonComponentExamples(31, 96, "tr");
const valid = commonComponentExamples(32, 32, "va");
const heldOut = commonComponentExamples(33, 96, "te");
// The evaluation's descriptor embeddings end with the assignment's one-hot identity (runEvaluation.ts); here only that.
const space = withAssignmentEmbeddings(pair, pair.assignments.map((_, i) => Float32Array.from(pair.assignments.map((__, j) => (i === j ? 1 : 0)))));
const options = evalSpecSchema.parse({ benchmark: { name: "keyword" } }).baselines;

for (const { method } of LEARNED_BASELINES) {
  test(`${method} with the evaluation's default settings reaches held-out quality >= 0.9 on the planted four-assignment problem`, (t) => {
    const [entry] = makeBaselines([method], space, options, 1, 1);
    assert.deepEqual(entry.configurations, [{}]);
    const pick = (set: typeof train) => set.examples.filter((_, i) => method !== "routellm-pair" || set.groups[i] === 0 || set.groups[i] === 3);
    const fitted = fitBaseline(entry, { train: pick(train), valid: pick(valid) }, space, 1, [0]);
    const test = pick(heldOut);
    const decisions = decide(baselineAt(fitted, 0, 0), test, 0);
    const choices = decisions.map((d) => {
      if ("error" in d) throw new Error(d.error);
      return d.index;
    });
    const quality = scoreChoices(test, choices, 0, 4).quality;
    t.diagnostic(`${fitted.name}: held-out quality ${quality.toFixed(3)}`);
    assert.ok(quality >= 0.9, `${fitted.name}: held-out quality ${quality}`);
  });
}
