import { parseCliOptions, runtimeOptionsFrom } from "./cliOptions.ts";
import { createEngineHandlers } from "../core/engine/handlers.ts";

export async function runInfo(args: string[]): Promise<number> {
  const { values } = parseCliOptions(args, { json: { type: "boolean" } });
  const engine = createEngineHandlers({ ...runtimeOptionsFrom(values), onLog: (level, m) => level !== "warn" && console.error(m) });
  try {
    const info = await engine.runtimeInfo({ loadDefaultModels: true }, { signal: new AbortController().signal, emit: () => {} });
    console.log(values.json ? JSON.stringify(info, null, 2) : info);
    return 0;
  } finally {
    await engine.dispose();
  }
}
