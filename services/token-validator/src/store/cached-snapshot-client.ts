import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { minimumProfiledTokenBytes, profileEntryLength, profiledTokenLength } from "@tessera/shared/snapshot/profiled-token-layout";
import { snapshotAuthHeader, type SnapshotAuth } from "@tessera/shared/snapshot/snapshot-auth";
import { readSnapshotStream, SnapshotStreamError, snapshotTokensHeader } from "@tessera/shared/snapshot/snapshot-stream";
import type { SnapshotTarget } from "../domain/feed-source.js";
import { decodeChangeRecord } from "./change-record-reader.js";
import { applyRowsInSlices, applyTokensInSlices, sliceClock, StepSize } from "./snapshot-target-sink.js";

export interface CachedSnapshotClientOptions {
  /** token-admin's base URL (TESSERA_SNAPSHOT_URL). */
  readonly url: string;
  readonly auth: SnapshotAuth;
  /** The body must keep arriving: a gap longer than this fails the read. */
  readonly idleTimeoutMs: number;
  /** The validator's own retention: a snapshot that left out tokens dead more recently is refused. */
  readonly deadTokenRetentionMs: number;
  readonly now: () => number;
}

/** Ends an async iterable of pieces when no piece arrives within `idleMs`. */
async function* withIdleTimeout(body: AsyncIterable<Uint8Array>, idleMs: number, abort: () => void): AsyncGenerator<Uint8Array> {
  let timer = setTimeout(abort, idleMs);
  try {
    for await (const piece of body) {
      clearTimeout(timer);
      yield piece;
      timer = setTimeout(abort, idleMs);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Profile entries applied a step: their own, as a first-seen profile costs tens of times a token row. */
const profileSteps = new StepSize();

/**
 * A GET through node:http(s): on a body of a hundred megabytes it costs a
 * fraction of fetch's (whose WHATWG stream sits between the socket and us).
 * Aborting the signal ends the request or the body's reading with an error.
 */
function get(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    request(url, { headers, signal }, resolve).on("error", reject).end();
  });
}

/**
 * How many tokens the body holds, as token-admin says (x-tessera-snapshot-tokens),
 * to size the index before they arrive. Outside the seal, so never trusted past
 * what the body's length can hold: 0 when either is missing or malformed.
 */
export function tokensHint(headers: IncomingHttpHeaders): number {
  const said = Number(headers[snapshotTokensHeader]);
  const length = Number(headers["content-length"]);
  if (!Number.isSafeInteger(said) || !Number.isSafeInteger(length) || said < 0 || length < 0) return 0;
  return Math.min(said, Math.floor(length / minimumProfiledTokenBytes));
}

/** A record frame's ChangeRecord; bytes that are not one fail the read as any malformed frame does. */
function decodeRecord(bytes: Uint8Array): ChangeRecord {
  try {
    return decodeChangeRecord(bytes);
  } catch (err) {
    throw new SnapshotStreamError(`snapshot record: ${(err as Error).message}`);
  }
}

/** Applies a frame of tokens; a frame that ends inside a token (or names a profile not listed) is refused. */
async function applyTokenFrame(apply: Promise<number>): Promise<number> {
  try {
    return await apply;
  } catch (err) {
    throw new SnapshotStreamError(`snapshot token frame: ${(err as Error).message}`);
  }
}

/**
 * Reads token-admin's cached snapshot (GET /v1/snapshot) into `into`, streaming:
 * records and token slices are applied as they arrive, yielding between them.
 * Returns the feed position it reflects. Throws on any failure — refused,
 * unreachable, stalled, truncated, malformed, or a seal that does not check — by
 * which time part of it may be applied: `into` must be a fresh replica that is
 * dropped on failure.
 */
export async function readCachedSnapshot(options: CachedSnapshotClientOptions, into: SnapshotTarget): Promise<bigint> {
  const { header, nonce } = options.auth.signRequest(options.now());
  const controller = new AbortController();
  const connectTimer = setTimeout(() => controller.abort(), options.idleTimeoutMs);
  let response: IncomingMessage;
  try {
    response = await get(new URL("/v1/snapshot", options.url), { [snapshotAuthHeader]: header }, controller.signal);
  } finally {
    clearTimeout(connectTimer);
  }
  if (response.statusCode !== 200) {
    controller.abort();
    throw new Error(`token-admin answered the snapshot request ${response.statusCode}`);
  }
  into.reserve(tokensHint(response.headers));
  let seq: bigint | undefined;
  let records = 0;
  let tokens = 0;
  const clock = sliceClock();
  /** The stream's profiles by number, each counted once until the end (given back whatever happens). */
  const profiles: number[] = [];
  let counted: { records: number; tokens: number } | undefined;
  try {
    const body = withIdleTimeout(response, options.idleTimeoutMs, () => controller.abort());
    for await (const part of readSnapshotStream(body)) {
      switch (part.type) {
        case "header":
          if (part.cutoffMs > options.now() - options.deadTokenRetentionMs) {
            throw new SnapshotStreamError("the cached snapshot leaves out tokens this validator still holds (token-admin's TESSERA_DEAD_TOKEN_RETENTION_MS is shorter)");
          }
          seq = part.headSeq;
          break;
        case "record":
          into.applyRecord(decodeRecord(part.bytes));
          records++;
          await clock.due();
          break;
        case "tokens":
          tokens += await applyTokenFrame(applyTokensInSlices(part.bytes, into));
          break;
        case "profiles":
          try {
            await applyRowsInSlices(part.bytes, profileEntryLength, (entries) => into.acquireProfiles(entries, profiles), profileSteps);
          } catch (err) {
            throw new SnapshotStreamError(`snapshot profiles frame: ${(err as Error).message}`);
          }
          break;
        case "profiledTokens":
          tokens += await applyTokenFrame(applyRowsInSlices(part.bytes, profiledTokenLength, (rows) => into.addProfiledTokens(rows, profiles)));
          break;
        case "end":
          counted = { records: part.records, tokens: part.tokens };
          if (counted.records !== records || counted.tokens !== tokens) throw new SnapshotStreamError("the snapshot's counts do not match its contents");
          break;
        case "seal":
          if (!options.auth.checkSeal(nonce, part.bodySha256, part.seal)) throw new SnapshotStreamError("the snapshot's seal does not check: not sent by token-admin, or altered on the way");
          if (seq === undefined || !counted) throw new SnapshotStreamError("snapshot stream incomplete");
          return seq;
      }
    }
    throw new SnapshotStreamError("snapshot stream ended without its seal");
  } finally {
    into.releaseProfiles(profiles);
    // The body first, quietly: aborted while unread, it would emit an error no one listens for any more
    // (a process-ending 'error' event). Then the request, whatever happened, to release the connection.
    response.destroy();
    controller.abort();
  }
}
