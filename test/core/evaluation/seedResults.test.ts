// What `haps eval --combine` accepts from the output folder's seeds/: only seed files this spec and this code made.
// A stale file (other code), one copied in from another run (another spec) or one whose shared parts disagree with the
// other seeds' is refused, naming the file and the field; a resumed run does not keep such a file either.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseEvalSpec, type EvalSpec } from "../../../src/core/evaluation/EvalSpec.ts";
import { readSeedFiles, reusableSeedFile, seedFilePath, specDigest, type SeedFile, type SharedResults } from "../../../src/core/evaluation/seedResults.ts";
import type { SeedEvaluation } from "../../../src/core/evaluation/types.ts";
import { collectCodeVersions, type CodeVersions } from "../../../src/core/evaluation/versions.ts";
import { tempDir } from "../runtime/helpers.ts";

const SPEC = { benchmark: { name: "keyword", phrasings: 2, train: 1, valid: 0 }, seeds: [3, 4], alpha: 0, alphas: [0, 0.8], threads: 1, methods: ["random", "fixed"] };

describe("seed files --combine accepts", () => {
  let dir: string;
  let spec: EvalSpec;
  let code: CodeVersions;
  let out: string;

  /** A seed file as a partial run writes it (the figures are not read here, only what identifies the file). */
  const seedFile = (seed: number, change: (f: SeedFile) => void = () => {}): SeedFile => {
    const shared = {
      format: "haps-evaluation/1",
      dataset: "keyword",
      candidates: [{ id: "small", open: true, description: null, price: { input: 1, output: 2 } }],
      alphas: [0, 0.8],
      spec: { source: path.join(dir, `copy-${seed}`, "spec.json"), given: SPEC },
      versions: { ...code, nodeLlamaCpp: "3.21.1", node: process.version, backend: "cpu", threads: 1 },
    } as unknown as SharedResults;
    const f: SeedFile = {
      format: "haps-evaluation-seed/1",
      specDigest: specDigest(spec),
      code: { ...code },
      shared,
      result: { seed, methods: [] } as unknown as SeedEvaluation,
      startedAt: "2026-12-06T10:00:00.000Z",
      endedAt: "2026-12-06T10:30:00.000Z",
    };
    change(f);
    return f;
  };
  const write = (f: SeedFile | string, seed = (f as SeedFile).result.seed) => {
    mkdirSync(path.dirname(seedFilePath(out, seed)), { recursive: true });
    writeFileSync(seedFilePath(out, seed), typeof f === "string" ? f : JSON.stringify(f));
  };

  before(async () => {
    dir = tempDir("seed-files");
    spec = await parseEvalSpec(SPEC, path.join(dir, "spec.json"), dir);
    code = collectCodeVersions();
    out = path.join(dir, "out");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("the seeds of this spec and this code are read (the spec may have been read from another place)", async () => {
    write(seedFile(3));
    write(seedFile(4));
    const files = await readSeedFiles(out, spec, code);
    assert.deepEqual(files.map((f) => f.result.seed), [3, 4]);
    assert.equal((await reusableSeedFile(out, 4, specDigest(spec), code))?.result.seed, 4);
  });

  test("a stale seed file (another commit, package version or dirty flag) is refused, naming the file and the field", async () => {
    const other = "0".repeat(40);
    for (const [key, value] of [["gitCommit", other], ["package", "0.0.0-old"], ["gitDirty", !code.gitDirty]] as const) {
      write(seedFile(3));
      write(seedFile(4, (f) => void Object.assign(f.code, { [key]: value })));
      await assert.rejects(readSeedFiles(out, spec, code), (error: Error) => {
        assert.ok(error.message.startsWith(`${seedFilePath(out, 4)}: code.${key} is ${JSON.stringify(value)}, but this code's is ${JSON.stringify(code[key])} (the seed ran other code)`), error.message);
        assert.ok(!error.message.includes(seedFilePath(out, 3)), "seed 3 is fine");
        assert.match(error.message, /run seed 4 again with this spec and this code \(`haps eval --spec .* --partial --seeds 4`\)$/);
        return true;
      });
      assert.equal(await reusableSeedFile(out, 4, specDigest(spec), code), null, `a resumed run does not keep a seed with another code.${key}`);
    }
    // Even when every seed is stale alike (the old check only asked that the seeds agree with each other).
    write(seedFile(3, (f) => void (f.code.gitCommit = other)));
    write(seedFile(4, (f) => void (f.code.gitCommit = other)));
    await assert.rejects(readSeedFiles(out, spec, code), (error: Error) => {
      assert.ok(error.message.includes(`${seedFilePath(out, 3)}: code.gitCommit is "${other}"`), error.message);
      assert.ok(error.message.includes(`; ${seedFilePath(out, 4)}: code.gitCommit is "${other}"`), error.message);
      assert.match(error.message, /run seeds 3, 4 again .*--partial --seeds 3,4`\)$/);
      return true;
    });
  });

  test("a seed file of another spec, of another seed, broken or missing its fields is refused by file and field", async () => {
    write(seedFile(3));
    const cases: [string | SeedFile, RegExp][] = [
      [seedFile(4, (f) => void (f.specDigest = "0000000000000000")), /seed-4\.json: specDigest is "0000000000000000", but this spec's is "[0-9a-f]{16}" \(the seed ran from another spec\)/],
      [seedFile(4, (f) => void (f.result.seed = 3)), /seed-4\.json: result\.seed is 3, not 4/],
      [seedFile(4, (f) => void ((f as { format: string }).format = "haps-evaluation-seed/0")), /seed-4\.json: format is "haps-evaluation-seed\/0", not "haps-evaluation-seed\/1"/],
      [seedFile(4, (f) => void delete (f as Partial<SeedFile>).code), /seed-4\.json: code is missing/],
      [seedFile(4, (f) => void (f.endedAt = "yesterday")), /seed-4\.json: endedAt is "yesterday", not a time/],
      ["[1, 2]", /seed-4\.json: not a JSON object/],
      ["{", /seed-4\.json: not a seed result \(/],
    ];
    for (const [file, message] of cases) {
      write(file, 4);
      await assert.rejects(readSeedFiles(out, spec, code), message);
    }
  });

  test("seeds that disagree on what they share are refused, naming the first field that differs", async () => {
    write(seedFile(3));
    write(seedFile(4, (f) => void ((f.shared.candidates[0].price as { input: number }).input = 0.5)));
    await assert.rejects(
      readSeedFiles(out, spec, code),
      (error: Error) => error.message.startsWith(`${seedFilePath(out, 4)}: shared.candidates[0].price.input differs from seed 3's (${seedFilePath(out, 3)})`),
    );
    write(seedFile(4, (f) => void (f.shared.alphas = [0, 0.5])));
    await assert.rejects(readSeedFiles(out, spec, code), /seed-4\.json: shared\.alphas\[1\] differs from seed 3's/);
  });
});
