import type { Logger } from "@tessera/shared/log/logger";
import type { FeedSource, SnapshotTarget } from "../domain/feed-source.js";
import { catchUpToHead, SnapshotBehindOrAhead } from "./feed-store.js";

/**
 * A feed source whose snapshots come first from `readCached` (token-admin's
 * cached snapshot), brought up to the primary's head from change_log, and from
 * `store` (Postgres) when that fails. A failure before anything was applied
 * falls back at once; one after (truncated, forged, or change_log no longer
 * reaching it) throws, so the follower drops the half-built replica — and the
 * attempt after it reads Postgres. Postgres failing during the catch-up throws
 * too, but leaves the cache in favour: a snapshot of Postgres would fail alike. The first failure is logged as a warning,
 * later ones only at debug level.
 */
export function withCachedSnapshots(store: FeedSource, readCached: (into: SnapshotTarget) => Promise<bigint>, log: Logger): FeedSource {
  let postgresNext = false;
  let warned = false;
  const report = (err: unknown) => {
    const detail = { err: (err as Error).message };
    if (warned) log.debug(detail, "cached snapshot not used; reading Postgres");
    else log.warn(detail, "cached snapshot not used; reading Postgres (said once)");
    warned = true;
  };
  return {
    readHead: () => store.readHead(),
    readChanges: (afterSeq, limit) => store.readChanges(afterSeq, limit),
    async readSnapshot(into) {
      if (!postgresNext) {
        let applied = false;
        const watched: SnapshotTarget = {
          applyRecord: (record) => ((applied = true), into.applyRecord(record)),
          addPackedTokens: (chunk) => ((applied = true), into.addPackedTokens(chunk)),
          acquireProfiles: (entries, numbers) => ((applied = true), into.acquireProfiles(entries, numbers)),
          addProfiledTokens: (rows, profiles) => ((applied = true), into.addProfiledTokens(rows, profiles)),
          releaseProfiles: (profiles) => into.releaseProfiles(profiles),
          reserve: (tokens) => into.reserve(tokens), // sizing only: the replica still holds nothing
        };
        let seq: bigint;
        try {
          seq = await readCached(watched);
        } catch (err) {
          report(err);
          if (applied) {
            postgresNext = true;
            throw new Error(`cached snapshot refused part-way (${(err as Error).message}); the next attempt reads Postgres`, { cause: err });
          }
          return store.readSnapshot(into);
        }
        // The cached snapshot checked; catching it up needs Postgres as a snapshot of it would, so a
        // failure here says nothing against the cache (the next attempt may use it again) — unless
        // the snapshot itself is the problem (change_log no longer reaches it, or it is ahead of the head).
        try {
          return await catchUpToHead(store, into, seq);
        } catch (err) {
          if (err instanceof SnapshotBehindOrAhead) {
            report(err);
            postgresNext = true;
          }
          throw err;
        }
      }
      postgresNext = false;
      return store.readSnapshot(into);
    },
  };
}
