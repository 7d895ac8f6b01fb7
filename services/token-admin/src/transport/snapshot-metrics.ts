import { Counter, Gauge, type Registry } from "prom-client";
import type { CachedSnapshot } from "../domain/feed/snapshot-cache.js";

/** The cached snapshot: how often it was read from Postgres, how large and slow the last read was. */
export function createSnapshotMetrics(registry: Registry) {
  const builds = new Counter({ name: "tessera_snapshot_builds_total", help: "Snapshots read from Postgres for the cache validators load from.", registers: [registry] });
  const bytes = new Gauge({ name: "tessera_snapshot_bytes", help: "Size of the cached snapshot.", registers: [registry] });
  const tokens = new Gauge({ name: "tessera_snapshot_tokens", help: "Tokens in the cached snapshot.", registers: [registry] });
  const seconds = new Gauge({ name: "tessera_snapshot_build_seconds", help: "How long the last snapshot took to read and encode.", registers: [registry] });
  builds.inc(0);
  return {
    built(snapshot: CachedSnapshot, durationMs: number) {
      builds.inc();
      bytes.set(snapshot.bytes);
      tokens.set(snapshot.tokens);
      seconds.set(durationMs / 1000);
    },
  };
}
