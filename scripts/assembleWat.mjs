// WebAssembly text to binary with wabt (the WebAssembly project's own toolkit, compiled to JavaScript), SIMD and
// threads (shared memories) on.
import createWabt from "wabt";

export async function assembleWat(name, source) {
  const wabt = await createWabt();
  const features = { simd: true, threads: true };
  const module = wabt.parseWat(name, source, features);
  try {
    module.validate(features);
    return new Uint8Array(module.toBinary({ log: false, write_debug_names: false }).buffer);
  } finally {
    module.destroy();
  }
}
