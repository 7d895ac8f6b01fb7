// Heap per live token: a replica filled with N tokens (the shape a snapshot
// delivers: 10,000 owners, a few scope sets), heapUsed after GC minus before,
// divided by N. Run: node --expose-gc --import tsx bench/replica-memory.ts [N]
import { randomBytes, randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { ChangeRecordSchema, TokenState } from "@tessera/shared/gen/tessera/feed/v1/feed_pb";
import { TokenKind, TokenLevel } from "@tessera/shared/gen/tessera/v1/token_pb";
import { Replica } from "../services/token-validator/src/domain/replica.js";

const count = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

// Ids as the feed delivers them: flat strings decoded from bytes. (randomUUID's own
// result is a concatenation, which V8 keeps as a rope several times larger.)
const flatId = () => Buffer.from(randomUUID(), "latin1").toString("latin1");
const owners = Array.from({ length: 10_000 }, flatId);
const scopeSets = [["orders:read"], ["orders:read", "orders:write"], ["invoices:read"], [], ["repo:read", "repo:write", "pipelines:run"]];
const organisation = flatId();

function settle(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

const replica = new Replica();
replica.applyEvent(1n, [
  create(ChangeRecordSchema, { record: { case: "organisation", value: { id: organisation, apiTokensEnabled: true } } }),
  ...owners.map((id) => create(ChangeRecordSchema, { record: { case: "principal", value: { id, organisationId: organisation, permissions: ["orders:read"] } } })),
]);
const before = settle();
const started = performance.now();
for (let i = 0; i < count; i++) {
  replica.applyRecord(
    create(ChangeRecordSchema, {
      record: {
        case: "token",
        value: {
          id: flatId(),
          digest: randomBytes(32),
          ownerId: owners[i % owners.length]!,
          organisationId: organisation,
          scopes: scopeSets[i % scopeSets.length]!,
          expiresAtMs: BigInt(Date.now() + 30 * 86_400_000 + (i % 1000) * 1000),
          createdAtMs: BigInt(Date.now()),
          state: TokenState.ACTIVE,
          kind: TokenKind.PERSONAL,
          level: TokenLevel.USER,
        },
      },
    }),
  );
}
const applyMs = performance.now() - started;
const after = settle();
process.stdout.write(`${JSON.stringify({ tokens: replica.tokenCount, bytesPerToken: Math.round((after - before) / count), applyMs: Math.round(applyMs) })}\n`);
