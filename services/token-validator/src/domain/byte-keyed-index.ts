/**
 * Numbers found by a run of bytes without making a string of them (a snapshot
 * row's owner ids and scopes, a million times a load): a hash of the bytes,
 * then the bytes compared. Two runs with the same hash: the later one is not
 * indexed, and its caller takes its slower path each time.
 */
export class ByteKeyedIndex {
  private readonly byHash = new Map<number, { readonly bytes: Buffer; readonly value: number }>();

  get(bytes: Uint8Array, start: number, end: number): number | undefined {
    const entry = this.byHash.get(hashOf(bytes, start, end));
    return entry && sameBytes(entry.bytes, bytes, start, end) ? entry.value : undefined;
  }

  set(bytes: Uint8Array, start: number, end: number, value: number): void {
    const hash = hashOf(bytes, start, end);
    if (!this.byHash.has(hash)) this.byHash.set(hash, { bytes: Buffer.from(bytes.subarray(start, end)), value });
  }

  /** Forgets `bytes` if it is what its hash finds. */
  delete(bytes: Uint8Array): void {
    const hash = hashOf(bytes, 0, bytes.length);
    const entry = this.byHash.get(hash);
    if (entry && sameBytes(entry.bytes, bytes, 0, bytes.length)) this.byHash.delete(hash);
  }

  get size(): number {
    return this.byHash.size;
  }
}

/** FNV-1a, 32 bits. */
function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash;
}

function sameBytes(kept: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (kept.length !== end - start) return false;
  for (let i = 0; i < kept.length; i++) if (kept[i] !== bytes[start + i]) return false;
  return true;
}
