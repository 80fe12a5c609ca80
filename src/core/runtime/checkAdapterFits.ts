// llama.cpp reports a bad adapter only as `Failed to initialize LoRA adapter "<path>"` (the reason goes to its log),
// so we check the file against the model ourselves first and name the model, the tensor and both shapes.
import { stat } from "node:fs/promises";
import { GgmlType, readGgufFileInfo, type GgufFileInfo } from "node-llama-cpp";

/** Bytes per element for the tensor types an adapter may use. */
const elementBytes: Partial<Record<GgmlType, number>> = { [GgmlType.F32]: 4, [GgmlType.F16]: 2, [GgmlType.BF16]: 2 };

export class AdapterMismatchError extends Error {
  override name = "AdapterMismatchError";
}

function dims(d: readonly (number | bigint)[]): number[] {
  return d.map((x) => Number(x));
}

function shapeText(d: readonly number[]): string {
  return `[${d.join(", ")}]`;
}

/**
 * Throws an AdapterMismatchError unless `adapterPath` is a LoRA GGUF whose tensors fit `model`:
 * same architecture, `lora_a` of ggml shape [n_in, r] and `lora_b` of [r, n_out] for a base tensor [n_in, n_out].
 */
export async function checkAdapterFits(adapterPath: string, modelName: string, model: GgufFileInfo): Promise<void> {
  let adapter: GgufFileInfo;
  try {
    adapter = await readGgufFileInfo(adapterPath, { sourceType: "filesystem" });
  } catch (error) {
    throw new AdapterMismatchError(
      `Adapter "${adapterPath}" for model "${modelName}" is not a readable GGUF file: ${(error as Error).message}`,
    );
  }
  const meta = adapter.metadata as Record<string, any>;
  const adapterArch = meta.general?.architecture;
  const modelArch = (model.metadata as Record<string, any>).general?.architecture;
  if (meta.general?.type !== "adapter" || meta.adapter?.type !== "lora")
    throw new AdapterMismatchError(
      `Adapter "${adapterPath}" for model "${modelName}" is not a LoRA adapter ` +
        `(general.type=${JSON.stringify(meta.general?.type)}, adapter.type=${JSON.stringify(meta.adapter?.type)})`,
    );
  if (adapterArch !== modelArch)
    throw new AdapterMismatchError(
      `Adapter "${adapterPath}" is for architecture "${adapterArch}" but model "${modelName}" is "${modelArch}"`,
    );

  const base = new Map((model.tensorInfo ?? []).map((t) => [t.name, dims(t.dimensions)]));
  const tensors = adapter.tensorInfo ?? [];
  if (tensors.length === 0) throw new AdapterMismatchError(`Adapter "${adapterPath}" has no tensors`);
  const fileSize = (await stat(adapterPath)).size;
  const byName = new Map(tensors.map((t) => [t.name, t]));

  for (const t of tensors) {
    const match = /^(.*)\.lora_([ab])$/.exec(t.name);
    if (match == null)
      throw new AdapterMismatchError(`Adapter "${adapterPath}": tensor "${t.name}" is not a lora_a/lora_b tensor`);
    const [, baseName, which] = match;
    const baseShape = base.get(baseName);
    if (baseShape == null)
      throw new AdapterMismatchError(
        `Adapter "${adapterPath}": tensor "${t.name}" targets "${baseName}", which model "${modelName}" does not have`,
      );
    const partner = byName.get(`${baseName}.lora_${which === "a" ? "b" : "a"}`);
    if (partner == null)
      throw new AdapterMismatchError(`Adapter "${adapterPath}": tensor "${t.name}" has no matching lora_${which === "a" ? "b" : "a"}`);
    const shape = dims(t.dimensions);
    const rank = which === "a" ? shape[1] : shape[0];
    const expected = which === "a" ? [baseShape[0], rank] : [rank, baseShape[1]];
    if (shape.length !== 2 || shape[0] !== expected[0] || shape[1] !== expected[1])
      throw new AdapterMismatchError(
        `Adapter "${adapterPath}" does not fit model "${modelName}": tensor "${t.name}" has shape ${shapeText(shape)}, ` +
          `expected ${shapeText(expected)} for base tensor "${baseName}" of shape ${shapeText(baseShape)}`,
      );
    const bytes = elementBytes[t.ggmlType];
    if (bytes == null)
      throw new AdapterMismatchError(`Adapter "${adapterPath}": tensor "${t.name}" has unsupported type ${GgmlType[t.ggmlType]}`);
    const end = Number(t.fileOffset) + shape[0] * shape[1] * bytes;
    if (end > fileSize)
      throw new AdapterMismatchError(
        `Adapter "${adapterPath}" is truncated: tensor "${t.name}" needs bytes up to ${end} but the file has ${fileSize}`,
      );
  }
}
