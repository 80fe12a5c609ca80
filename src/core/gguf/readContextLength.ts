// A model's training context length from its GGUF header, for the extension host (config/configModelLimits.ts):
// it reads the headers of the models a configuration names - a workspace may choose that configuration, and a
// repository may ship the GGUF file - so the read must cost little whatever the file says.
//
// Why not @huggingface/gguf (readModelShape.ts, which the engine uses): it builds every metadata array as a JS array.
// A crafted 31 MB header of 31 arrays of 10^6 bytes took 811 MiB of peak RSS and 20 s there (readModelShape, loaded
// machine). Here only two values are decoded (general.architecture and <arch>.context_length); every other value is
// skipped by its length, so memory stays at one 64 KiB buffer and time is linear in the header's bytes, at most
// MAX_HEADER_BYTES of them.
import { open } from "node:fs/promises";
import { MAX_HEADER_BYTES, regularFileSize } from "./readModelShape.ts";

/** GGUF value types (gguf.md): fixed sizes of the scalars; 8 = string, 9 = array. */
const SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const STRING = 8;
const ARRAY = 9;
const MAX_ARRAY_DEPTH = 4;
/** Keys and the architecture's name are short; a longer one is refused rather than read. */
const MAX_KEY_BYTES = 65_536;
const CHUNK = 65_536;

/** Reads the header's bytes in order through one buffer, never past the end of the file or MAX_HEADER_BYTES. */
class HeaderCursor {
  private buffer = Buffer.alloc(CHUNK);
  private start = 0; // file offset of buffer[0]
  private filled = 0;
  position = 0;

  constructor(
    private readonly handle: Awaited<ReturnType<typeof open>>,
    private readonly size: number,
  ) {}

  private get end(): number {
    return Math.min(this.size, MAX_HEADER_BYTES);
  }

  private refuse(n: number): never {
    throw new Error(
      this.position + n > this.size
        ? `the header runs past the end of the file (${this.size} bytes)`
        : `the header is longer than ${MAX_HEADER_BYTES} bytes (${MAX_HEADER_BYTES / 1024 / 1024} MiB)`,
    );
  }

  /** The next `n` bytes (n <= CHUNK). */
  async take(n: number): Promise<Buffer> {
    if (this.position + n > this.end) this.refuse(n);
    if (this.position < this.start || this.position + n > this.start + this.filled) {
      const { bytesRead } = await this.handle.read(this.buffer, 0, CHUNK, this.position);
      this.start = this.position;
      this.filled = bytesRead;
      if (bytesRead < n) this.refuse(n);
    }
    const at = this.position - this.start;
    this.position += n;
    return this.buffer.subarray(at, at + n);
  }

  skip(n: number | bigint): void {
    if (BigInt(this.position) + BigInt(n) > BigInt(this.end)) this.refuse(Number(n));
    this.position += Number(n);
  }
}

/**
 * `<architecture>.context_length` of a GGUF file. Throws, saying what is wrong, for a file that is not a regular
 * file, not GGUF, or whose header is cut short, too long, malformed or lacks the key.
 */
export async function readContextLength(path: string): Promise<number> {
  const size = await regularFileSize(path, "readContextLength");
  const handle = await open(path, "r");
  try {
    return await scan(new HeaderCursor(handle, size));
  } catch (e) {
    throw new Error(`readContextLength: "${path}" (${size} bytes): ${(e as Error).message}`);
  } finally {
    await handle.close();
  }
}

async function scan(cursor: HeaderCursor): Promise<number> {
  const head = await cursor.take(8);
  if (head.toString("latin1", 0, 4) !== "GGUF") throw new Error("not a GGUF file (no GGUF magic number)");
  const version = head.readUInt32LE(4);
  if (version !== 1 && version !== 2 && version !== 3) throw new Error(`unsupported GGUF version ${version}`);
  // Version 1 wrote lengths and counts as 32 bits, later versions as 64.
  const size = async (): Promise<bigint> => (version === 1 ? BigInt((await cursor.take(4)).readUInt32LE(0)) : (await cursor.take(8)).readBigUInt64LE(0));
  await size(); // tensor count: the tensor infos come after the metadata, which is all this reads
  const pairs = await size();

  const text = async (what: string): Promise<string> => {
    const n = await size();
    if (n > BigInt(MAX_KEY_BYTES)) throw new Error(`${what} is ${n} bytes long, over ${MAX_KEY_BYTES}`);
    return (await cursor.take(Number(n))).toString("utf8");
  };
  const skipValue = async (type: number, depth: number): Promise<void> => {
    const fixed = SCALAR_BYTES[type];
    if (fixed !== undefined) return cursor.skip(fixed);
    if (type === STRING) return cursor.skip(await size());
    if (type !== ARRAY) throw new Error(`unknown value type ${type} at byte ${cursor.position - 4}`);
    if (depth >= MAX_ARRAY_DEPTH) throw new Error(`arrays nested deeper than ${MAX_ARRAY_DEPTH}`);
    const element = (await cursor.take(4)).readUInt32LE(0);
    const count = await size();
    const elementBytes = SCALAR_BYTES[element];
    if (elementBytes !== undefined) return cursor.skip(count * BigInt(elementBytes));
    if (element !== STRING && element !== ARRAY) throw new Error(`unknown array element type ${element}`);
    // Each element takes at least a length (or a type and a count): the loop ends at the end of the bytes allowed.
    for (let i = 0n; i < count; i++) await skipValue(element, depth + 1);
  };
  const integer = async (type: number): Promise<number | null> => {
    const b = await cursor.take(SCALAR_BYTES[type] ?? 0);
    switch (type) {
      case 0: return b.readUInt8(0);
      case 1: return b.readInt8(0);
      case 2: return b.readUInt16LE(0);
      case 3: return b.readInt16LE(0);
      case 4: return b.readUInt32LE(0);
      case 5: return b.readInt32LE(0);
      case 10: return Number(b.readBigUInt64LE(0));
      case 11: return Number(b.readBigInt64LE(0));
      default: return null;
    }
  };

  let architecture: string | null = null;
  // Context lengths seen before the architecture was known (general.architecture normally comes first); at most a few.
  const lengths = new Map<string, number>();
  for (let i = 0n; i < pairs; i++) {
    const key = await text("a key");
    const type = (await cursor.take(4)).readUInt32LE(0);
    if (key === "general.architecture" && type === STRING) {
      architecture = await text("general.architecture");
    } else if (key.endsWith(".context_length") && SCALAR_BYTES[type] !== undefined && lengths.size < 16) {
      const value = await integer(type);
      if (value == null) throw new Error(`${key} is not an integer (type ${type})`);
      lengths.set(key, value);
    } else {
      await skipValue(type, 0);
    }
    const found = architecture == null ? undefined : lengths.get(`${architecture}.context_length`);
    if (found !== undefined) {
      if (!Number.isSafeInteger(found) || found <= 0) throw new Error(`${architecture}.context_length is ${found}, not a positive integer`);
      return found;
    }
  }
  throw new Error(architecture == null ? "no general.architecture" : `no ${architecture}.context_length`);
}
