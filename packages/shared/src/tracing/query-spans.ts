import type { LogEvent } from "kysely";
import type { Tracing } from "./tracing.js";

/**
 * A kysely `log` hook that records each query as a child span of the current
 * one (an admin RPC). Queries outside any span — polls, heartbeats, usage
 * writes — make none. The SQL text has placeholders, never the parameters: a
 * digest or a password hash must not leave the process in a span.
 */
export function traceQueries(tracing: Tracing): (event: LogEvent) => void {
  return (event) => {
    const sql = event.query.sql;
    const operation = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? "QUERY";
    // A Postgres error's SQLSTATE says what went wrong; its message may quote values.
    const error = event.level === "error" ? `SQLSTATE ${String((event.error as { code?: unknown }).code ?? "unknown")}` : undefined;
    tracing.recordChild(operation, event.queryDurationMillis, { "db.system.name": "postgresql", "db.operation.name": operation, "db.query.text": sql }, error);
  };
}
