/**
 * A map keyed by digest (a latin1 string of uniformly random bytes), split
 * into shards by the key's first byte. A single Map of a million entries
 * rehashes all of them in one step each time it doubles — 40 ms with no
 * yield, during a snapshot load — where 64 shards grow a sixty-fourth at a time.
 * Lookups cost one array index more.
 */
export class DigestMap<V> {
  private static readonly shardCount = 64; // a power of two: the shard is the first byte's low bits
  private readonly shards: Map<string, V>[] = Array.from({ length: DigestMap.shardCount }, () => new Map<string, V>());

  private shardOf(key: string): Map<string, V> {
    // "" (no digest) gives NaN, and NaN & 63 is 0.
    return this.shards[key.charCodeAt(0) & (DigestMap.shardCount - 1)]!;
  }

  get(key: string): V | undefined {
    return this.shardOf(key).get(key);
  }

  set(key: string, value: V): void {
    this.shardOf(key).set(key, value);
  }

  delete(key: string): boolean {
    return this.shardOf(key).delete(key);
  }

  get size(): number {
    let size = 0;
    for (const shard of this.shards) size += shard.size;
    return size;
  }

  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (const shard of this.shards) yield* shard;
  }
}
