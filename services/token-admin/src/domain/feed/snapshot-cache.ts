import { createHash } from "node:crypto";
import { toBinary } from "@bufbuild/protobuf";
import { ChangeRecordSchema } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import type { SnapshotSink } from "@tessera/shared/snapshot/database-snapshot";
import { packedTokenLength } from "@tessera/shared/snapshot/packed-token-layout";
import { ProfiledTokenWriter, rowsInIndexOrder } from "@tessera/shared/snapshot/profiled-token-layout";
import { encodeEndFrame, encodeFrameHead, encodeSnapshotHeader, frameKind } from "@tessera/shared/snapshot/snapshot-stream";

/** One consistent snapshot, encoded (snapshot-stream.ts) and held for every validator that asks. */
export interface CachedSnapshot {
  readonly headSeq: bigint;
  readonly builtAtMs: number;
  /** The body before its seal, in pieces to write one after another. */
  readonly parts: readonly Uint8Array[];
  readonly bytes: number;
  /** SHA-256 of the body before its seal: a request's seal covers it and its nonce. */
  readonly sha256: Buffer;
  readonly records: number;
  readonly tokens: number;
}

export interface SnapshotCacheDeps {
  /** Reads one consistent snapshot, without tokens dead before `cutoffMs`, into the sink; returns the feed position it reflects. */
  readonly readSnapshot: (sink: SnapshotSink, cutoffMs: number) => Promise<bigint>;
  /** Tokens dead before this are left out: as the validators' own retention does, or earlier. */
  readonly cutoffMs: (nowMs: number) => number;
  readonly now: () => number;
  /** A snapshot younger than this is served as it is; older, the next request rebuilds it. */
  readonly intervalMs: number;
  /** Told of every build (metrics, logs). */
  readonly onBuilt?: (snapshot: CachedSnapshot, durationMs: number) => void;
}

export interface SnapshotCache {
  /** The cached snapshot if younger than the interval, else a new one (built once for everyone waiting). Throws what the build threw. */
  get(): Promise<CachedSnapshot>;
  /** Drops the held snapshot (its memory); the next request builds anew. */
  clear(): void;
}

/** Counts packed tokens in a chunk of whole tokens (packed-token-layout.ts) without unpacking them. */
function countPackedTokens(chunk: Uint8Array): number {
  let count = 0;
  for (let at = 0; at < chunk.length; count++) {
    const length = packedTokenLength(chunk, at);
    if (length === undefined) throw new Error("the database returned a partial packed token");
    at += length;
  }
  return count;
}

/** Parts smaller than this are joined into pieces up to this size. */
const pieceBytes = 64 * 1024;

/**
 * The parts as the wire should see them: runs of small ones (two per record:
 * a frame head and its bytes) joined into pieces of up to 64 KiB, so a
 * snapshot of many principals is not tens of thousands of tiny writes, each a
 * syscall here and a read for every validator. Large parts (token chunks) pass as they are.
 */
export function joinSmallParts(parts: readonly Uint8Array[]): Uint8Array[] {
  const joined: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  let runBytes = 0;
  const flush = () => {
    if (run.length > 0) joined.push(run.length === 1 ? run[0]! : Buffer.concat(run, runBytes));
    run = [];
    runBytes = 0;
  };
  for (const part of parts) {
    if (runBytes + part.length > pieceBytes) flush();
    if (part.length >= pieceBytes) joined.push(part);
    else {
      run.push(part);
      runBytes += part.length;
    }
  }
  flush();
  return joined;
}

async function buildSnapshot(deps: SnapshotCacheDeps): Promise<CachedSnapshot> {
  const builtAtMs = deps.now();
  const cutoffMs = deps.cutoffMs(builtAtMs);
  const frames: Uint8Array[] = [];
  let records = 0;
  let tokens = 0;
  // Validators load profiled rows: each profile resolved once, a row half the bytes.
  const writer = new ProfiledTokenWriter();
  const rowChunks: Buffer[] = [];
  const headSeq = await deps.readSnapshot({
    record(record) {
      const bytes = toBinary(ChangeRecordSchema, record);
      frames.push(encodeFrameHead(frameKind.record, bytes.length), bytes);
      records++;
    },
    tokens(chunk) {
      tokens += countPackedTokens(chunk);
      const { rows, profiles } = writer.rewrite(chunk);
      if (profiles) frames.push(encodeFrameHead(frameKind.profiles, profiles.length), profiles);
      rowChunks.push(rows);
    },
  }, cutoffMs);
  // Every profile is listed before the first row: rows go last, in the order validators index fastest.
  for (const rows of rowsInIndexOrder(rowChunks)) frames.push(encodeFrameHead(frameKind.profiledTokens, rows.length), rows);
  rowChunks.length = 0;
  const parts = joinSmallParts([encodeSnapshotHeader({ headSeq, builtAtMs, cutoffMs }), ...frames, encodeEndFrame(records, tokens)]);
  const hash = createHash("sha256");
  let bytes = 0;
  for (const part of parts) {
    hash.update(part);
    bytes += part.length;
  }
  return { headSeq, builtAtMs, parts, bytes, sha256: hash.digest(), records, tokens };
}

/**
 * token-admin's cached snapshot: so that a herd of validators starting at once
 * costs Postgres one snapshot read, not one each. Rebuilt at most once per
 * interval and only when asked for after it aged; requests meanwhile share the
 * build under way (single flight). A snapshot served up to an interval old is
 * safe: a validator catches it up from change_log to the primary's head before
 * using it.
 */
export function createSnapshotCache(deps: SnapshotCacheDeps): SnapshotCache {
  let held: CachedSnapshot | undefined;
  let building: Promise<CachedSnapshot> | undefined;
  return {
    get() {
      if (held && deps.now() - held.builtAtMs < deps.intervalMs) return Promise.resolve(held);
      building ??= (async () => {
        const startedMs = deps.now();
        try {
          const snapshot = await buildSnapshot(deps);
          held = snapshot;
          deps.onBuilt?.(snapshot, deps.now() - startedMs);
          return snapshot;
        } finally {
          building = undefined;
        }
      })();
      return building;
    },
    clear() {
      held = undefined;
    },
  };
}
