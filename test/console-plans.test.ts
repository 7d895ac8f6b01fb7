import { CompiledQuery } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleQueries, openConsoleWorld, type ConsoleWorld } from "./support/console-queries.js";

// The console's lists stay flat from 10 k to 1 M rows only while every one of
// them walks an index in its own order and stops after a page. This checks the
// plan of each query the console and the CLI actually send (captured from
// token-admin as it answers them), on a store big enough for the planner to
// prefer a whole-table scan where no index fits — so a new filter or a changed
// query cannot quietly bring the scan back. bench/console.ts times the same
// queries at 10 k and 1 M.

const tokens = 100_000;
/** A page is 50 rows; walks past non-matching rows and merges read a few thousand at most. */
const maxRowsRead = 5_000;
const maxRowsSorted = 1_000;
const bigTables = new Set(["token", "audit_log"]);

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  Plans?: PlanNode[];
}

const scans = new Set(["Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan"]);

/** What is wrong with a plan: a sequential scan of a big table, a big sort, too many rows read. */
function planProblems(root: PlanNode): string[] {
  const problems: string[] = [];
  let rowsRead = 0;
  const visit = (node: PlanNode) => {
    const relation = node["Relation Name"];
    if (node["Node Type"] === "Seq Scan" && relation && bigTables.has(relation)) problems.push(`sequential scan of ${relation}`);
    if (scans.has(node["Node Type"]) && relation && bigTables.has(relation)) {
      rowsRead += (node["Actual Rows"] + (node["Rows Removed by Filter"] ?? 0) + (node["Rows Removed by Index Recheck"] ?? 0)) * node["Actual Loops"];
    }
    if (node["Node Type"].endsWith("Sort")) {
      const input = node.Plans?.[0];
      const sorted = input ? input["Actual Rows"] * input["Actual Loops"] : 0;
      if (sorted > maxRowsSorted) problems.push(`${node["Node Type"]} of ${sorted} rows`);
    }
    node.Plans?.forEach(visit);
  };
  visit(root);
  if (rowsRead > maxRowsRead) problems.push(`reads ${rowsRead} rows of token and audit_log`);
  return problems;
}

describe(`the console's queries on ${tokens.toLocaleString("en")} tokens`, () => {
  let world: ConsoleWorld;
  const captured: CompiledQuery[] = [];

  beforeAll(async () => {
    world = await openConsoleWorld(tokens, { log: (query) => captured.push(query) });
  }, 120_000);
  afterAll(() => world?.close());

  it("each reads through an index in its own order: no sequential scan of token or audit_log, no sort of a whole table", async () => {
    const problems: string[] = [];
    let explained = 0;
    for (const query of consoleQueries(world.facts)) {
      captured.length = 0;
      await query.call(world.clients[query.role]);
      for (const sent of captured.splice(0)) {
        if (!/^\s*\(?\s*select/i.test(sent.sql)) continue;
        const { rows } = await world.database.handle.db.executeQuery<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
          CompiledQuery.raw(`explain (analyze, format json) ${sent.sql}`, [...sent.parameters]),
        );
        explained++;
        for (const problem of planProblems(rows[0]!["QUERY PLAN"][0].Plan)) problems.push(`${query.role} · ${query.name}: ${problem}\n    ${sent.sql}`);
      }
    }
    expect(explained).toBeGreaterThan(consoleQueries(world.facts).length); // each call's authentication and its list
    expect(problems).toEqual([]);
  });
});
