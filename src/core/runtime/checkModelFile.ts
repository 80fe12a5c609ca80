// A model file checked from its GGUF header before llama.cpp loads it. llama.cpp answers a missing, truncated or
// foreign file with "Failed to load model" alone (the reason goes to its log), and aborts the whole process on an
// SPM vocabulary without byte tokens; every model the runtime loads - router, candidates, embedding models - passes
// through here first, so each of those ends in an error that names the file and says what to do.
import type { GgufFileInfo, Llama } from "node-llama-cpp";
import { requireFile } from "../data/files/requireFile.ts";
import { checkVocabulary } from "../models/checkVocabulary.ts";

export class ModelFileError extends Error {
  override name = "ModelFileError";
}

/** Reads and checks the header of the model at `file` (an absolute path); resolves with it when llama.cpp may load it. */
export async function checkModelFile(file: string, llama: Llama): Promise<GgufFileInfo> {
  const size = await requireFile(file, "model file");
  const { readGgufFileInfo, GgufInsights } = await import("node-llama-cpp");
  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(file, { sourceType: "filesystem", logWarnings: false });
  } catch (error) {
    throw new ModelFileError(`model file "${file}" (${size} bytes) is not a readable GGUF file: ${(error as Error).message}`);
  }
  // Split models (model-00001-of-00003.gguf) keep tensors in other files; their sizes are llama.cpp's to check.
  const tensors = info.tensorInfo ?? [];
  if (tensors.length > 0 && tensors.every((t) => t.filePart === 1)) {
    const dataStart = Math.min(...tensors.map((t) => Number(t.fileOffset)));
    const needed = dataStart + (await GgufInsights.from(info, llama)).modelSize;
    if (size < needed)
      throw new ModelFileError(
        `model file "${file}" is truncated: its ${tensors.length} tensors need ${needed} bytes but the file has ${size} ` +
          "(an interrupted download or copy?); copy or download it again",
      );
  }
  checkVocabulary(file, info.metadata as Parameters<typeof checkVocabulary>[1]);
  return info;
}
