// The files a configuration names, checked before anything is loaded: a missing router model is then reported as
// `router.model` with its path, not as a failure somewhere inside the pipeline.
import { stat } from "node:fs/promises";
import { fileProblem, requireFile } from "../data/files/requireFile.ts";

/**
 * The file fields of a configuration (HapsConfig has them; this file does not import it, which imports this). A field
 * left undefined has no file on disk to check (a remote candidate, a model still to be downloaded).
 */
export interface ConfigFiles {
  router: { model?: string; checkpoint?: string };
  candidates: readonly { id: string; model?: string }[];
  embeddingModel?: string;
}

/** One line per file that cannot be read, `field: what "path": problem`; empty when every file is there. */
export async function checkConfigFiles(config: ConfigFiles): Promise<string[]> {
  const files: [field: string, what: string, file: string | undefined][] = [
    ["router.model", "router model file", config.router.model],
    ...config.candidates.map((c, i): [string, string, string | undefined] => [`candidates[${i}].model`, `candidate "${c.id}": model file`, c.model]),
    ["embeddingModel", "embedding model file", config.embeddingModel],
  ];
  const problems: string[] = [];
  for (const [field, what, file] of files) {
    if (file == null) continue;
    await requireFile(file, what).catch((error: Error) => problems.push(`${field}: ${error.message}`));
  }
  // A checkpoint is a folder (or a file, depending on its format): it only has to exist.
  const checkpoint = config.router.checkpoint;
  if (checkpoint != null) await stat(checkpoint).catch((error) => problems.push(`router.checkpoint: checkpoint "${checkpoint}": ${fileProblem(error)}`));
  return problems;
}
