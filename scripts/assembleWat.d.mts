/** WebAssembly text to binary (wabt, SIMD and threads enabled); throws on a syntax or validation error. */
export function assembleWat(name: string, source: string): Promise<Uint8Array>;
