import { createHash } from "node:crypto";

// A cached snapshot as token-admin serves it: self-describing, streamed, sealed.
//
//   header   "TSNP", u8 version, u64 head seq, u64 built at (Unix ms), u64 cutoff (Unix ms)
//   frames   u8 kind, u32 length, payload — kind 1: a ChangeRecord (protobuf);
//            2: whole packed tokens (packed-token-layout.ts); 3: the end, u32 records + u32 tokens;
//            5: profile entries and 6: whole profiled tokens (profiled-token-layout.ts; version 2),
//            each profile listed before the first row that names it
//   seal     u8 kind 4, u32 32, HMAC over the request's nonce and the SHA-256 of every byte before it
//
// The end frame's counts and the seal make a truncated or altered body fail as a
// whole; a reader applies into a fresh replica and keeps it only once the seal checks.

const magic = Buffer.from("TSNP", "latin1");
/** Version 2 added frames 5 and 6; a reader of version 1 refuses it (and a validator then reads Postgres). */
export const snapshotStreamVersion = 2;
const readableVersions: readonly number[] = [1, 2];
const headerBytes = magic.length + 1 + 3 * 8;
const frameHeadBytes = 5;

/** The response header telling how many tokens the body holds (a sizing hint: outside the seal). */
export const snapshotTokensHeader = "x-tessera-snapshot-tokens";

export const frameKind = { record: 1, tokens: 2, end: 3, seal: 4, profiles: 5, profiledTokens: 6 } as const;

export interface SnapshotHeader {
  /** The feed position the snapshot reflects. */
  readonly headSeq: bigint;
  readonly builtAtMs: number;
  /** Tokens dead (revoked or expired) before this instant were left out. */
  readonly cutoffMs: number;
}

/** The header's bytes. */
export function encodeSnapshotHeader(header: SnapshotHeader): Buffer {
  const bytes = Buffer.alloc(headerBytes);
  magic.copy(bytes, 0);
  bytes[magic.length] = snapshotStreamVersion;
  bytes.writeBigUInt64BE(header.headSeq, 5);
  bytes.writeBigUInt64BE(BigInt(Math.floor(header.builtAtMs)), 13);
  bytes.writeBigUInt64BE(BigInt(Math.floor(header.cutoffMs)), 21);
  return bytes;
}

/** A frame's head (kind and payload length); the payload follows it unchanged. */
export function encodeFrameHead(kind: number, payloadBytes: number): Buffer {
  const head = Buffer.alloc(frameHeadBytes);
  head[0] = kind;
  head.writeUInt32BE(payloadBytes, 1);
  return head;
}

/** The end frame, whole. */
export function encodeEndFrame(records: number, tokens: number): Buffer {
  const frame = Buffer.alloc(frameHeadBytes + 8);
  frame[0] = frameKind.end;
  frame.writeUInt32BE(8, 1);
  frame.writeUInt32BE(records, 5);
  frame.writeUInt32BE(tokens, 9);
  return frame;
}

/** The seal frame, whole. */
export function encodeSealFrame(seal: Uint8Array): Buffer {
  return Buffer.concat([encodeFrameHead(frameKind.seal, seal.length), seal]);
}

/** The bytes a seal frame adds to a body. */
export const sealFrameBytes = frameHeadBytes + 32;

/**
 * What readSnapshotStream() yields. The `bytes` of tokens, profiles and
 * profiledTokens are good until the next part is asked for: such a frame cut
 * across pieces of the body is read into a buffer the reader reuses (a snapshot
 * is hundreds of them; a new buffer each was tens of megabytes of fresh memory
 * per load). A record's bytes are its own (a decoded message may keep views of them).
 */
export type SnapshotPart =
  | ({ readonly type: "header" } & SnapshotHeader)
  | { readonly type: "record"; readonly bytes: Buffer }
  | { readonly type: "tokens"; readonly bytes: Buffer }
  | { readonly type: "profiles"; readonly bytes: Buffer }
  | { readonly type: "profiledTokens"; readonly bytes: Buffer }
  | { readonly type: "end"; readonly records: number; readonly tokens: number }
  /** Last: the seal as sent, and the SHA-256 of every byte before it as received. */
  | { readonly type: "seal"; readonly seal: Buffer; readonly bodySha256: Buffer };

export interface SnapshotStreamLimits {
  /** Largest record frame read. */
  readonly maxRecordBytes: number;
  /** Largest token frame read (token-admin sends a database chunk, ~1 MB, per frame). */
  readonly maxTokenFrameBytes: number;
}

export const defaultSnapshotStreamLimits: SnapshotStreamLimits = { maxRecordBytes: 1024 * 1024, maxTokenFrameBytes: 64 * 1024 * 1024 };

/** A malformed, truncated or oversized snapshot stream. */
export class SnapshotStreamError extends Error {
  override readonly name = "SnapshotStreamError";
}

/** Reads exact byte counts from a stream of pieces, hashing what it hands out. */
class ByteReader {
  private pieces: Buffer[] = [];
  private buffered = 0;
  /** Where frames cut across pieces are put together when the caller is done with each before the next (take's `reuse`). */
  private reused = Buffer.alloc(0);
  readonly hash = createHash("sha256");
  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** `n` bytes, or undefined when the stream ends first (with none buffered: at a clean end); see takeBuffered() for `reuse`. */
  async take(n: number, hashed = true, reuse = false): Promise<Buffer | undefined> {
    while (this.buffered < n) {
      const { value, done } = await this.source.next();
      if (done) return undefined;
      this.pieces.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      this.buffered += value.byteLength;
    }
    return this.takeBuffered(n, hashed, reuse);
  }

  /**
   * `n` bytes if they have arrived, else undefined, with no promise: most frames
   * of a snapshot (ten thousand principal records, say) are read from a piece
   * already buffered, and a promise each was a third of reading them.
   */
  takeBuffered(n: number, hashed = true, reuse = false): Buffer | undefined {
    if (this.buffered < n) return undefined;
    const first = this.pieces[0]!;
    // Within the first piece: a view. Across pieces: only the n bytes are copied (with `reuse`, into the one buffer
    // kept for that, good until the next take), what follows stays where it is.
    const taken = first.length >= n ? first.subarray(0, n) : reuse ? this.reusable(n) : Buffer.allocUnsafe(n);
    for (let filled = first.length >= n ? n : 0; filled < n; ) {
      const piece = this.pieces[0]!;
      const used = Math.min(piece.length, n - filled);
      piece.copy(taken, filled, 0, used);
      filled += used;
      if (used === piece.length) this.pieces.shift();
      else this.pieces[0] = piece.subarray(used);
    }
    if (first.length > n) this.pieces[0] = first.subarray(n);
    else if (first.length === n) this.pieces.shift();
    this.buffered -= n;
    if (hashed) this.hash.update(taken);
    return taken;
  }

  /** The reused buffer's first `n` bytes, grown once the bytes it is for have arrived (never on a length alone). */
  private reusable(n: number): Buffer {
    if (this.reused.length < n) this.reused = Buffer.allocUnsafe(n);
    return this.reused.subarray(0, n);
  }

  /** True when nothing is left. */
  async atEnd(): Promise<boolean> {
    if (this.buffered > 0) return false;
    const { value, done } = await this.source.next();
    if (done) return true;
    if (value.byteLength === 0) return this.atEnd();
    this.pieces.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    this.buffered += value.byteLength;
    return false;
  }
}

/**
 * The parts of a snapshot stream, in order, as they arrive: header, frames, the
 * end frame, the seal. Throws SnapshotStreamError on anything malformed,
 * oversized or cut short. Checking the seal is the caller's (it knows the nonce).
 */
export async function* readSnapshotStream(body: AsyncIterable<Uint8Array>, limits: SnapshotStreamLimits = defaultSnapshotStreamLimits): AsyncGenerator<SnapshotPart> {
  const reader = new ByteReader(body[Symbol.asyncIterator]());
  const need = async (n: number, hashed = true, reuse = false) => {
    const bytes = await reader.take(n, hashed, reuse);
    if (!bytes) throw new SnapshotStreamError("snapshot stream cut short");
    return bytes;
  };
  const header = await need(headerBytes);
  if (!header.subarray(0, magic.length).equals(magic)) throw new SnapshotStreamError("not a snapshot stream");
  if (!readableVersions.includes(header[magic.length]!)) throw new SnapshotStreamError(`snapshot stream version ${header[magic.length]} is not one of ${readableVersions.join(", ")}`);
  yield { type: "header", headSeq: header.readBigUInt64BE(5), builtAtMs: Number(header.readBigUInt64BE(13)), cutoffMs: Number(header.readBigUInt64BE(21)) };
  for (let ended = false; ; ) {
    // Without a promise when the bytes have arrived, as most have.
    const head = reader.takeBuffered(frameHeadBytes, !ended) ?? (await need(frameHeadBytes, !ended));
    const kind = head[0]!;
    const length = head.readUInt32BE(1);
    if (ended) {
      if (kind !== frameKind.seal || length !== 32) throw new SnapshotStreamError("snapshot stream has no seal after its end");
      const bodySha256 = reader.hash.digest();
      const seal = await need(length, false);
      if (!(await reader.atEnd())) throw new SnapshotStreamError("snapshot stream continues past its seal");
      yield { type: "seal", seal, bodySha256 };
      return;
    }
    switch (kind) {
      case frameKind.record:
        if (length > limits.maxRecordBytes) throw new SnapshotStreamError("snapshot record too large");
        yield { type: "record", bytes: reader.takeBuffered(length) ?? (await need(length)) };
        break;
      case frameKind.tokens:
      case frameKind.profiles:
      case frameKind.profiledTokens:
        if (length > limits.maxTokenFrameBytes) throw new SnapshotStreamError("snapshot token frame too large");
        yield { type: kind === frameKind.tokens ? "tokens" : kind === frameKind.profiles ? "profiles" : "profiledTokens", bytes: await need(length, true, true) };
        break;
      case frameKind.end: {
        if (length !== 8) throw new SnapshotStreamError("malformed snapshot end");
        const counts = await need(length);
        ended = true;
        yield { type: "end", records: counts.readUInt32BE(0), tokens: counts.readUInt32BE(4) };
        break;
      }
      default:
        throw new SnapshotStreamError(`unknown snapshot frame kind ${kind}`);
    }
  }
}
