// A table of tokens laid out for memory: every token is a slot, a row across
// typed-array columns (no object per token), and a hash index finds a slot by
// the first 16 bytes of a digest. At a million tokens that is about 50 bytes a
// token where a Map of objects took over 200 (bench/replica-memory.ts measures it).
//
// Digests are HMACs under a secret pepper: their bytes are uniformly random, so
// they hash themselves (no hash function), and 128 bits tell tokens apart — two
// held tokens sharing a prefix is a 1-in-10^22 event at 10 million tokens, and
// without the pepper no one can aim for one.

/** Slots per chunk: columns grow a chunk at a time, never copying what they hold. */
const chunkBits = 16;
const chunkSlots = 1 << chunkBits;
const slotMask = chunkSlots - 1;
/** Index shards, chosen by a digest's first byte: each grows on its own, a 256th of the table at a time. */
const shardBits = 8;
const shardCount = 1 << shardBits;
const initialShardSize = 16;

/** 16 bytes (a digest's first, or an id) as four little-endian words. */
export type Words = [number, number, number, number];
export type DigestWords = Readonly<Words>;

const word = (bytes: Uint8Array, at: number) => (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;

const charWord = (key: string, at: number) =>
  (key.charCodeAt(at) | (key.charCodeAt(at + 1) << 8) | (key.charCodeAt(at + 2) << 16) | (key.charCodeAt(at + 3) << 24)) >>> 0;

/** Reads the 16 bytes at `at` into `into` (reused: no allocation on the request path). */
export function readWords(bytes: Uint8Array, at: number, into: Words): Words {
  into[0] = word(bytes, at);
  into[1] = word(bytes, at + 4);
  into[2] = word(bytes, at + 8);
  into[3] = word(bytes, at + 12);
  return into;
}

/** A slot's four words of a 16-byte column into `into`. */
function copyWords(column: Uint32Array, slot: number, into: Words): Words {
  const at = (slot & slotMask) * 4;
  into[0] = column[at]!;
  into[1] = column[at + 1]!;
  into[2] = column[at + 2]!;
  into[3] = column[at + 3]!;
  return into;
}

/** 16 bytes from `bytes[at]` into a slot's four words of a 16-byte column. */
function storeWords(column: Uint32Array, slot: number, bytes: Uint8Array, at: number): void {
  const to = (slot & slotMask) * 4;
  column[to] = word(bytes, at);
  column[to + 1] = word(bytes, at + 4);
  column[to + 2] = word(bytes, at + 8);
  column[to + 3] = word(bytes, at + 12);
}

/**
 * The same from a DataView: one load a word where word() makes four and
 * shifts them — a snapshot's rows took a seventh of the time to read this way.
 */
function storeViewWords(column: Uint32Array, slot: number, view: DataView, at: number): void {
  const to = (slot & slotMask) * 4;
  column[to] = view.getUint32(at, true);
  column[to + 1] = view.getUint32(at + 4, true);
  column[to + 2] = view.getUint32(at + 8, true);
  column[to + 3] = view.getUint32(at + 12, true);
}

/** One chunk of every column. */
interface Chunk {
  readonly digest: Uint32Array;
  readonly id: Uint32Array;
  /** Index into the replica's table of profiles: (owner, organisation, group) and scope set. */
  readonly profile: Int32Array;
  readonly expiresAt: Int32Array;
  readonly createdAt: Int32Array;
  /** packed-token-layout's tokenFlags(); 0 marks a free slot (no held token has state UNSPECIFIED). */
  readonly flags: Uint16Array;
}

/** Bytes a slot takes across the columns. */
const slotBytes = 16 + 16 + 4 + 4 + 4 + 2;

const chunkBytes = chunkSlots * slotBytes;
/**
 * Chunks made in one allocation while a reservation lasts (~9 MB, three or four
 * huge pages). Not more: with 4 KB pages, allocations of ~23 MB measured 10,000
 * more page faults a 1 M-token load (glibc returns and takes back memory around
 * them) and no gain; with huge pages, three chunks a time load it ~25 % faster.
 */
const chunksPerAllocation = 3;

/**
 * One chunk of every column: views of `memory` from `offset` (one allocation of
 * its own unless reserve() made several chunks at once).
 */
function newChunk(memory = new ArrayBuffer(chunkBytes), offset = 0): Chunk {
  let at = offset;
  const column = <T>(make: (buffer: ArrayBuffer, offset: number, length: number) => T, bytesPerSlot: number, wordsPerSlot: number): T => {
    const view = make(memory, at, chunkSlots * wordsPerSlot);
    at += chunkSlots * bytesPerSlot;
    return view;
  };
  return {
    digest: column((b, o, n) => new Uint32Array(b, o, n), 16, 4),
    id: column((b, o, n) => new Uint32Array(b, o, n), 16, 4),
    profile: column((b, o, n) => new Int32Array(b, o, n), 4, 1),
    expiresAt: column((b, o, n) => new Int32Array(b, o, n), 4, 1),
    createdAt: column((b, o, n) => new Int32Array(b, o, n), 4, 1),
    flags: column((b, o, n) => new Uint16Array(b, o, n), 2, 1),
  };
}

// An index entry is 32 bits: (slot + 1) in the top 26, then 1 bit for an alias
// (the previous value of a regenerated token), then 5 bits of the digest (a tag:
// most probes past another key end there, without reading its digest); 0 is empty.
const tagBits = 5;
const tagMask = (1 << tagBits) - 1;
const aliasBit = 1 << tagBits;
const slotShift = tagBits + 1;
/** The most slots an index entry can name. */
export const maxSlots = 2 ** (32 - slotShift) - 1;
const entryOf = (slot: number, alias: boolean, w2: number) => (slot + 1) * (1 << slotShift) + (alias ? aliasBit : 0) + (w2 & tagMask);
const slotOf = (entry: number) => Math.floor(entry / (1 << slotShift)) - 1;

/** `shardCount` empty shards of `size` entries, views of one allocation. */
function slabOfShards(size: number): Uint32Array[] {
  const slab = new Uint32Array(shardCount * size);
  return Array.from({ length: shardCount }, (_, shard) => slab.subarray(shard * size, (shard + 1) * size));
}

/**
 * Slots and their columns, and the index from digest prefixes to slots. Knows
 * nothing of what the columns mean beyond the digest: the replica does.
 */
export class TokenTable {
  private readonly chunks: Chunk[] = [];
  /** Chunks made ahead, several in one allocation (see reserve()), taken in order as slots run out. */
  private readonly madeChunks: Chunk[] = [];
  /** How many chunks reserve() said will be wanted. */
  private chunksReserved = 0;
  /** Slots below this have been used; the rest of the last chunk is fresh. */
  private highWater = 0;
  private readonly freeSlots: number[] = [];
  /** Views of one allocation at first (see reserve()). */
  private readonly shards: Uint32Array[] = slabOfShards(initialShardSize);
  private readonly shardFill = new Int32Array(shardCount);
  /** The previous values' digests (few: regenerations in their grace period), by slot. */
  private readonly aliases = new Map<number, DigestWords>();
  private readonly scratch: Words = [0, 0, 0, 0];

  /** Slots in use or freed: a sweep walks [0, slotLimit). */
  get slotLimit(): number {
    return this.highWater;
  }

  /** Bytes the columns and the index hold (arrays only): for the memory bench and metrics. */
  get bytes(): number {
    let total = (this.chunks.length + this.madeChunks.length) * chunkBytes;
    for (const shard of this.shards) total += shard.byteLength;
    return total;
  }

  /**
   * Makes room for `tokens` more before a snapshot adds them: the columns'
   * chunks will be made several at a time (nextChunk()), and the index is sized.
   * The index: shards grown one doubling at a time rehash as many entries again
   * as they end up holding, each a digest read from a random slot. The grown
   * shards share one allocation: V8 makes a few hundred small typed arrays far
   * slower than one large one (tens of ms against one). Never shrinks a shard.
   */
  reserve(tokens: number): void {
    this.chunksReserved = Math.max(this.chunksReserved, Math.ceil(Math.min(this.highWater + tokens, maxSlots) / chunkSlots));
    // Digests fall in shards at random: room for four standard deviations over the mean, so no shard grows.
    const mean = Math.min(tokens, maxSlots) / shardCount;
    const perShard = Math.ceil(mean + 4 * Math.sqrt(mean) + 8);
    const sizes = this.shards.map((shard, shardIndex) => {
      let size = shard.length;
      while ((this.shardFill[shardIndex]! + perShard) * 5 > size * 4) size *= 2;
      return size > shard.length ? size : 0;
    });
    const slab = new Uint32Array(sizes.reduce((sum, size) => sum + size, 0));
    let offset = 0;
    for (const [shardIndex, size] of sizes.entries()) {
      if (size === 0) continue;
      this.rehash(shardIndex, slab.subarray(offset, offset + size));
      offset += size;
    }
  }

  /**
   * The next chunk of columns. While reserve() said more are wanted, they are
   * made `chunksPerAllocation` at a time in one allocation: first touches of
   * memory (page faults) were a third of a snapshot's load here, and where glibc
   * is told to use huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, as the image
   * sets; docs/replica.md) an allocation of several megabytes takes them, where
   * one chunk's ~3 MB mostly cannot. Not all of a reservation at once: V8 answered
   * 46 MB of new memory with a full GC on the spot (a stall).
   */
  private nextChunk(): Chunk {
    const made = this.madeChunks.shift();
    if (made) return made;
    const wanted = Math.min(this.chunksReserved - this.chunks.length, chunksPerAllocation);
    if (wanted <= 1) return newChunk();
    const memory = new ArrayBuffer(wanted * chunkBytes);
    for (let n = 1; n < wanted; n++) this.madeChunks.push(newChunk(memory, n * chunkBytes));
    return newChunk(memory, 0);
  }

  /** A free slot, its flags still 0 until the caller fills it. */
  allocate(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    if (this.highWater >= maxSlots) throw new Error(`a replica holds at most ${maxSlots} tokens`);
    const slot = this.highWater++;
    if (slot >>> chunkBits >= this.chunks.length) this.chunks.push(this.nextChunk());
    return slot;
  }

  /**
   * A new slot filled whole — digest and id (16 bytes each of `row` at
   * `digestAt` and `idAt`), facts, flags (not 0) — and its digest indexed: what
   * loading a snapshot does a million times, with one look-up of the slot's chunk.
   */
  add(row: DataView, digestAt: number, idAt: number, profile: number, expiresAt: number, createdAt: number, flags: number): number {
    const slot = this.allocate();
    const chunk = this.chunk(slot);
    const at = slot & slotMask;
    storeViewWords(chunk.id, slot, row, idAt);
    storeViewWords(chunk.digest, slot, row, digestAt);
    chunk.profile[at] = profile;
    chunk.expiresAt[at] = expiresAt;
    chunk.createdAt[at] = createdAt;
    chunk.flags[at] = flags;
    const d = at * 4;
    this.insert(chunk.digest[d]!, chunk.digest[d + 1]!, entryOf(slot, false, chunk.digest[d + 2]!));
    return slot;
  }

  /** Gives a slot back: unindexes its digest and alias, clears its flags. */
  free(slot: number): void {
    this.unindex(slot, false);
    if (this.aliases.has(slot)) this.setAlias(slot, undefined);
    this.chunk(slot).flags[slot & slotMask] = 0;
    this.freeSlots.push(slot);
  }

  // Columns. Each reads or writes one slot; `chunk()` is the only place that splits a slot.
  private chunk(slot: number): Chunk {
    return this.chunks[slot >>> chunkBits]!;
  }
  inUse(slot: number): boolean {
    return this.chunk(slot).flags[slot & slotMask] !== 0;
  }
  flags(slot: number): number {
    return this.chunk(slot).flags[slot & slotMask]!;
  }
  setFlags(slot: number, flags: number): void {
    this.chunk(slot).flags[slot & slotMask] = flags;
  }
  profile(slot: number): number {
    return this.chunk(slot).profile[slot & slotMask]!;
  }
  expiresAt(slot: number): number {
    return this.chunk(slot).expiresAt[slot & slotMask]!;
  }
  createdAt(slot: number): number {
    return this.chunk(slot).createdAt[slot & slotMask]!;
  }
  setFacts(slot: number, profile: number, expiresAt: number, createdAt: number): void {
    const chunk = this.chunk(slot);
    const at = slot & slotMask;
    chunk.profile[at] = profile;
    chunk.expiresAt[at] = expiresAt;
    chunk.createdAt[at] = createdAt;
  }
  /** The token's id, 16 bytes as four words. */
  idWords(slot: number, into: Words): Words {
    return copyWords(this.chunk(slot).id, slot, into);
  }
  setId(slot: number, bytes: Uint8Array, at: number): void {
    storeWords(this.chunk(slot).id, slot, bytes, at);
  }
  idEquals(slot: number, words: DigestWords): boolean {
    const id = this.chunk(slot).id;
    const at = (slot & slotMask) * 4;
    return id[at] === words[0] && id[at + 1] === words[1] && id[at + 2] === words[2] && id[at + 3] === words[3];
  }
  /** The slot's digest prefix. */
  digestWords(slot: number, into: Words): Words {
    return copyWords(this.chunk(slot).digest, slot, into);
  }

  /** Sets the slot's digest (the first 16 bytes of `bytes` from `at`) and indexes it; unindexes the one it had. */
  setDigest(slot: number, bytes: Uint8Array, at: number): void {
    if (this.inUse(slot)) this.unindex(slot, false);
    const digest = this.chunk(slot).digest;
    const to = (slot & slotMask) * 4;
    storeWords(digest, slot, bytes, at);
    this.insert(digest[to]!, digest[to + 1]!, entryOf(slot, false, digest[to + 2]!));
  }

  /** The previous value's digest prefix (a regeneration's grace), or undefined. */
  alias(slot: number): DigestWords | undefined {
    return this.aliases.get(slot);
  }

  /** Sets or clears the slot's previous-value digest, indexing it. */
  setAlias(slot: number, words: DigestWords | undefined): void {
    const had = this.aliases.get(slot);
    if (had) {
      if (words && had[0] === words[0] && had[1] === words[1] && had[2] === words[2] && had[3] === words[3]) return;
      this.unindex(slot, true);
      this.aliases.delete(slot);
    }
    if (!words) return;
    this.aliases.set(slot, words);
    this.insert(words[0], words[1], entryOf(slot, true, words[2]));
  }

  /**
   * What a digest (its first 16 bytes at `at`) finds: slot * 2 + 1 if it is a
   * token's alias (its previous value), slot * 2 if its current one; -1 if none.
   */
  find(bytes: Uint8Array, at = 0): number {
    const w = readWords(bytes, at, this.scratch);
    return this.findWords(w[0]!, w[1]!, w[2]!, w[3]!);
  }

  /** find() for a digest held as a latin1 string (one char per byte): what the request path makes, with no Buffer. */
  findKey(key: string): number {
    if (key.length < 16) return -1;
    return this.findWords(charWord(key, 0), charWord(key, 4), charWord(key, 8), charWord(key, 12));
  }

  findWords(w0: number, w1: number, w2: number, w3: number): number {
    const shard = this.shards[w0 & (shardCount - 1)]!;
    const mask = shard.length - 1;
    const tag = w2 & tagMask;
    for (let i = w1 & mask; ; i = (i + 1) & mask) {
      const entry = shard[i]!;
      if (entry === 0) return -1;
      if ((entry & tagMask) !== tag) continue;
      const slot = slotOf(entry);
      if ((entry & aliasBit) === 0) {
        const digest = this.chunks[slot >>> chunkBits]!.digest;
        const d = (slot & slotMask) * 4;
        if (digest[d] === w0 && digest[d + 1] === w1 && digest[d + 2] === w2 && digest[d + 3] === w3) return slot * 2;
      } else {
        const alias = this.aliases.get(slot)!;
        if (alias[0] === w0 && alias[1] === w1 && alias[2] === w2 && alias[3] === w3) return slot * 2 + 1;
      }
    }
  }

  /** Index entries (digests and aliases) held: for tests and metrics. */
  get indexed(): number {
    let total = 0;
    for (const fill of this.shardFill) total += fill;
    return total;
  }

  /** Word `n` (0: its shard, 1: its home, 2: its tag) of the digest an index entry stands for. */
  private keyWord(entry: number, n: 0 | 1 | 2): number {
    const slot = slotOf(entry);
    if ((entry & aliasBit) !== 0) return this.aliases.get(slot)![n];
    return this.chunk(slot).digest[(slot & slotMask) * 4 + n]!;
  }

  /** The index entry of the slot's digest (or alias), from the words it holds. */
  private entryFor(slot: number, alias: boolean): number {
    const w2 = alias ? this.aliases.get(slot)![2] : this.chunk(slot).digest[(slot & slotMask) * 4 + 2]!;
    return entryOf(slot, alias, w2);
  }

  private insert(w0: number, w1: number, entry: number): void {
    const shardIndex = w0 & (shardCount - 1);
    // Grown at four fifths full: with the tags, a probe past another key rarely reads its digest.
    if ((this.shardFill[shardIndex]! + 1) * 5 > this.shards[shardIndex]!.length * 4) this.rehash(shardIndex, new Uint32Array(this.shards[shardIndex]!.length * 2));
    const shard = this.shards[shardIndex]!;
    const mask = shard.length - 1;
    let i = w1 & mask;
    while (shard[i] !== 0) i = (i + 1) & mask;
    shard[i] = entry;
    this.shardFill[shardIndex]!++;
  }

  /** Moves one shard into `shard` (larger, empty): a 256th of the index is rehashed, the rest untouched. */
  private rehash(shardIndex: number, shard: Uint32Array): void {
    const old = this.shards[shardIndex]!;
    const mask = shard.length - 1;
    for (const entry of old) {
      if (entry === 0) continue;
      let i = this.keyWord(entry, 1) & mask;
      while (shard[i] !== 0) i = (i + 1) & mask;
      shard[i] = entry;
    }
    this.shards[shardIndex] = shard;
  }

  /** Removes the slot's digest (or alias) entry, shifting back the entries probed past it (no tombstones). */
  private unindex(slot: number, alias: boolean): void {
    const entry = this.entryFor(slot, alias);
    const shardIndex = this.keyWord(entry, 0) & (shardCount - 1);
    const shard = this.shards[shardIndex]!;
    const mask = shard.length - 1;
    let i = this.keyWord(entry, 1) & mask;
    while (shard[i] !== entry) {
      if (shard[i] === 0) return; // not indexed
      i = (i + 1) & mask;
    }
    for (let j = (i + 1) & mask; shard[j] !== 0; j = (j + 1) & mask) {
      const home = this.keyWord(shard[j]!, 1) & mask;
      // The entry at j may move to the hole at i if its home is not in (i, j], cyclically.
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        shard[i] = shard[j]!;
        i = j;
      }
    }
    shard[i] = 0;
    this.shardFill[shardIndex]!--;
  }
}
