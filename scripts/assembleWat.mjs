// WebAssembly text to binary with wabt (the WebAssembly project's own toolkit, compiled to JavaScript), SIMD on.
import createWabt from "wabt";

export async function assembleWat(name, source) {
  const wabt = await createWabt();
  const module = wabt.parseWat(name, source, { simd: true });
  try {
    module.validate();
    return new Uint8Array(module.toBinary({ log: false, write_debug_names: false }).buffer);
  } finally {
    module.destroy();
  }
}
