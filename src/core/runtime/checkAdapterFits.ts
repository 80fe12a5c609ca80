// llama.cpp reports a bad adapter only as `Failed to initialize LoRA adapter "<path>"` (the reason goes to its log),
// so we check an adapter against the model ourselves first and name the model, the tensor and both shapes. One rule
// serves adapter files (read from disk) and generated adapters (still in memory, checked before they are written).
import { stat } from "node:fs/promises";
import type { GgufFileInfo } from "node-llama-cpp";
import type { LoraAdapter } from "../adapters/types.ts";

export class AdapterMismatchError extends Error {
  override name = "AdapterMismatchError";
}

interface AdapterTensor {
  name: string;
  /** ggml dims, fastest first: lora_a is [n_in, r], lora_b is [r, n_out]. */
  shape: number[];
}

function shapeText(d: readonly number[]): string {
  return `[${d.join(", ")}]`;
}

function architectureOf(info: GgufFileInfo): unknown {
  return (info.metadata as { general?: { architecture?: unknown } }).general?.architecture;
}

/**
 * The shape rule: every tensor is `<base>.lora_a` of [n_in, r] or `<base>.lora_b` of [r, n_out] for a base tensor
 * [n_in, n_out] of the model, in pairs, for the model's architecture.
 */
function checkTensors(source: string, modelName: string, model: GgufFileInfo, architecture: unknown, tensors: AdapterTensor[]): void {
  const modelArch = architectureOf(model);
  if (architecture !== modelArch)
    throw new AdapterMismatchError(`Adapter ${source} is for architecture "${architecture}" but model "${modelName}" is "${modelArch}"`);
  if (tensors.length === 0) throw new AdapterMismatchError(`Adapter ${source} has no tensors`);
  const base = new Map((model.tensorInfo ?? []).map((t) => [t.name, t.dimensions.map(Number)]));
  const names = new Set(tensors.map((t) => t.name));
  for (const t of tensors) {
    const match = /^(.*)\.lora_([ab])$/.exec(t.name);
    if (match == null) throw new AdapterMismatchError(`Adapter ${source}: tensor "${t.name}" is not a lora_a/lora_b tensor`);
    const [, baseName, which] = match;
    const other = which === "a" ? "b" : "a";
    const baseShape = base.get(baseName);
    if (baseShape == null)
      throw new AdapterMismatchError(`Adapter ${source}: tensor "${t.name}" targets "${baseName}", which model "${modelName}" does not have`);
    if (!names.has(`${baseName}.lora_${other}`))
      throw new AdapterMismatchError(`Adapter ${source}: tensor "${t.name}" has no matching lora_${other}`);
    const rank = which === "a" ? t.shape[1] : t.shape[0];
    const expected = which === "a" ? [baseShape[0], rank] : [rank, baseShape[1]];
    if (t.shape.length !== 2 || t.shape[0] !== expected[0] || t.shape[1] !== expected[1])
      throw new AdapterMismatchError(
        `Adapter ${source} does not fit model "${modelName}": tensor "${t.name}" has shape ${shapeText(t.shape)}, ` +
          `expected ${shapeText(expected)} for base tensor "${baseName}" of shape ${shapeText(baseShape)}`,
      );
  }
}

/** Throws an AdapterMismatchError unless the LoRA GGUF at `adapterPath` fits `model` and is complete. */
export async function checkAdapterFileFits(adapterPath: string, modelName: string, model: GgufFileInfo): Promise<void> {
  const source = `"${adapterPath}"`;
  // Imported here, not at the top: loading node-llama-cpp takes ~0.4 s, which `haps --help` should not pay.
  const { GgmlType, readGgufFileInfo } = await import("node-llama-cpp");
  /** Bytes per element for the tensor types an adapter may use. */
  const elementBytes: Partial<Record<number, number>> = { [GgmlType.F32]: 4, [GgmlType.F16]: 2, [GgmlType.BF16]: 2 };
  let adapter: GgufFileInfo;
  try {
    adapter = await readGgufFileInfo(adapterPath, { sourceType: "filesystem" });
  } catch (error) {
    throw new AdapterMismatchError(`Adapter ${source} for model "${modelName}" is not a readable GGUF file: ${(error as Error).message}`);
  }
  const meta = adapter.metadata as { general?: { type?: unknown }; adapter?: { type?: unknown } };
  if (meta.general?.type !== "adapter" || meta.adapter?.type !== "lora")
    throw new AdapterMismatchError(
      `Adapter ${source} for model "${modelName}" is not a LoRA adapter ` +
        `(general.type=${JSON.stringify(meta.general?.type)}, adapter.type=${JSON.stringify(meta.adapter?.type)})`,
    );
  const tensors = adapter.tensorInfo ?? [];
  checkTensors(source, modelName, model, architectureOf(adapter), tensors.map((t) => ({ name: t.name, shape: t.dimensions.map(Number) })));
  const fileSize = (await stat(adapterPath)).size;
  for (const t of tensors) {
    const bytes = elementBytes[t.ggmlType];
    if (bytes == null) throw new AdapterMismatchError(`Adapter ${source}: tensor "${t.name}" has unsupported type ${GgmlType[t.ggmlType]}`);
    const end = Number(t.fileOffset) + t.dimensions.reduce<number>((n, d) => n * Number(d), 1) * bytes;
    if (end > fileSize)
      throw new AdapterMismatchError(`Adapter ${source} is truncated: tensor "${t.name}" needs bytes up to ${end} but the file has ${fileSize}`);
  }
}

/** Throws an AdapterMismatchError unless a generated adapter fits `model` (checked before it is written). */
export function checkLoraFits(adapter: LoraAdapter, modelName: string, model: GgufFileInfo): void {
  const tensors = adapter.layers.flatMap((l) => [
    { name: `blk.${l.layer}.attn_output.weight.lora_a`, shape: [l.inWidth, l.rank] },
    { name: `blk.${l.layer}.attn_output.weight.lora_b`, shape: [l.rank, l.outWidth] },
  ]);
  checkTensors("(generated)", modelName, model, adapter.architecture, tensors);
}
