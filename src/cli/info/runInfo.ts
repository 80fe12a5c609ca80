// What `haps info` runs.
import { createEngineHandlers } from "../../core/engine/handlers.ts";
import { announceDefaultModels } from "../announceDefaultModels.ts";
import { parseCliOptions, runtimeOptionsFrom } from "../cliOptions.ts";
import { formatInfo } from "./formatInfo.ts";

export async function runInfo(args: string[]): Promise<number> {
  const { values } = parseCliOptions(args, { json: { type: "boolean" } });
  await announceDefaultModels();
  const engine = createEngineHandlers({ ...runtimeOptionsFrom(values), onLog: (level, m) => (level === "warn" || level === "error") && console.error(m) });
  try {
    const info = await engine.runtimeInfo({ loadDefaultModels: true }, { signal: new AbortController().signal, emit: () => {} });
    process.stdout.write(values.json ? `${JSON.stringify(info, null, 2)}\n` : formatInfo(info));
    return 0;
  } finally {
    await engine.dispose();
  }
}
