// The cost of one decision (format check, HMAC, lookup, the checks) on a replica
// of N tokens, against the same at another git ref (default: the last commit
// before the compact table), interleaved in one process, as a ratio.
//   node --import tsx bench/decide-cost.ts [N] [ref]
import { create } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ChangeRecordSchema, TokenState, type ChangeRecord } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { createDigester, createDigestKeyer } from "@tessera/shared/token/token-digest";
import { defaultTokenFormat, generateToken } from "@tessera/shared/token/token-format";
import { baselineCheckout } from "./support/baseline-checkout.js";

const count = Number(process.argv[2] ?? 200_000);
const ref = process.argv[3] ?? "04e99b1";
const pepper = "decide-cost-pepper-decide-cost-pepper-0123";
const digest = createDigester(pepper);
const organisation = randomUUID();
const owners = Array.from({ length: 1000 }, () => randomUUID());
const values = Array.from({ length: count }, () => generateToken());
const records: ChangeRecord[] = [
  create(ChangeRecordSchema, { record: { case: "organisation", value: { id: organisation, apiTokensEnabled: true } } }),
  ...owners.map((id) => create(ChangeRecordSchema, { record: { case: "principal", value: { id, organisationId: organisation, permissions: ["orders:read"] } } })),
  ...values.map((value, i) =>
    create(ChangeRecordSchema, {
      record: { case: "token", value: { id: randomUUID(), digest: digest(value), ownerId: owners[i % owners.length]!, organisationId: organisation, scopes: ["orders:read"], state: TokenState.ACTIVE, kind: TokenKind.PERSONAL, level: TokenLevel.USER } },
    }),
  ),
];

interface Subject {
  readonly name: string;
  readonly run: (value: string) => { valid: boolean; token?: { id: string } };
}

async function subject(name: string, root: string): Promise<Subject> {
  const load = (path: string) => import(pathToFileURL(join(root, "services/token-validator/dist/domain", path)).href);
  const { Replica } = await load("replica.js");
  const { decide } = await load("decide.js");
  const replica = new Replica();
  replica.applyEvent(1n, records);
  const current = { state: "current", stalenessMs: 0, detail: "", loaded: true };
  // Both generations' contexts: the earlier one looks up by a latin1 key, this one by the digest's bytes.
  const ctx = { replica, digest: createDigester(pepper), digestKey: createDigestKeyer(pepper), freshness: () => current, failOpen: false, tokenFormat: defaultTokenFormat };
  // Reading the id, as every answer does.
  return { name, run: (value) => { const d = decide(ctx, value, "orders:read", Date.now()); if (process.env.READ_ID) void d.token?.id; return d; } };
}

const subjects = [await subject("this tree", process.cwd()), await subject(ref, baselineCheckout(ref))];
const order = Uint32Array.from({ length: 500_000 }, () => Math.floor(Math.random() * count));
const results = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
for (let round = 0; round < 7; round++) {
  for (const s of round % 2 === 0 ? subjects : [...subjects].reverse()) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < order.length; i++) if (!s.run(values[order[i]!]!).valid) throw new Error(`${s.name}: refused a live token`);
    results.get(s.name)!.push(Number(process.hrtime.bigint() - started) / order.length);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [mine, theirs] = subjects.map((s) => median(results.get(s.name)!));
process.stdout.write(`${JSON.stringify({ tokens: count, thisNs: Math.round(mine!), baselineNs: Math.round(theirs!), ratio: Number((mine! / theirs!).toFixed(2)) })}\n`);
