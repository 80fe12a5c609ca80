// Typed arrays a request brought into the engine (a generated adapter's A and B: 64 KiB to a few MiB each) are
// garbage once the request is done, but their memory lies outside V8's heap, which V8 collects for only after tens of
// MiB have piled up: over the bench's 1,000 adapters (bench/partial/2026-12-07-quiet-issue18-final.json) the engine's
// resident memory swung by 27.7 MiB while what it kept grew by 1.2 MiB. Counting what requests bring and collecting
// once that passes a limit bounds the swing, at one full collection per limit's worth of adapters (16 MiB: 256 of the
// bench's rank-8, 1024-wide adapters). With it, RSS over the 1,000 adapters fell by 4.11 MiB from the first hundred to
// the last (it grew by 10.46 before), and the last 10,000 of 20,000 added 1.76 MiB
// (bench/partial/2026-12-07-quiet-issue18-received-buffers.json).

/** Bytes of received typed arrays after which the engine collects. */
export const RECEIVED_BYTES_LIMIT = 16 * 2 ** 20;

/** Levels of a request's params searched for typed arrays (an adapter's arrays are at params.adapter.lora.layers[i]). */
const MAX_DEPTH = 6;

export class ReceivedBuffers {
  private bytes = 0;

  constructor(
    private readonly collect: () => void,
    private readonly limit = RECEIVED_BYTES_LIMIT,
  ) {}

  /** Counts the typed arrays in a finished request's params; collects when the count passes the limit. */
  finished(params: unknown): void {
    this.bytes += typedArrayBytes(params, MAX_DEPTH);
    if (this.bytes < this.limit) return;
    this.bytes = 0;
    this.collect();
  }
}

/** Bytes of the typed arrays in `value`, down to `depth` levels of objects and arrays. */
export function typedArrayBytes(value: unknown, depth: number): number {
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value == null || typeof value !== "object" || depth <= 0) return 0;
  // A plain array of numbers (an adapter sent as JSON) holds no typed array: not walked, however long.
  if (Array.isArray(value) && typeof value[0] === "number") return 0;
  let sum = 0;
  for (const v of Array.isArray(value) ? value : Object.values(value)) sum += typedArrayBytes(v, depth - 1);
  return sum;
}
