import { create } from "@bufbuild/protobuf";
import { credentials, makeGenericClientConstructor, type Client as GrpcClient, type ServiceError } from "@grpc/grpc-js";
import {
  Freshness,
  TokenValidatorService,
  ValidateTokenRequestSchema,
  ValidationCode,
  type ValidateTokenResponse,
} from "@tessera/shared/gen/tessera/v1/validator_pb";
import { grpcServiceDefinition } from "@tessera/shared/grpc/grpc-definition";

// A load generator and a ledger for fault tests: many validations per second
// against several validators, every answer recorded with the instant its request
// was sent, and every revocation with the instant RevokeToken returned — so the
// promised bounds can be checked by counting violations afterwards.

/** One recorded answer. */
export interface Answer {
  readonly validatorId: string;
  readonly tokenId: string;
  /** When the request left the client: the answer reflects nothing older than this. */
  readonly sentAtMs: number;
  readonly valid: boolean;
  readonly code: ValidationCode;
  readonly freshness: Freshness;
}

/** A revocation as its caller saw it. */
export interface Revocation {
  readonly tokenId: string;
  readonly returnedAtMs: number;
  /** With await_validators: whether the acknowledgement was complete, and who it counted. */
  readonly acknowledged?: { readonly complete: boolean; readonly appliedValidatorIds: readonly string[] };
}

export interface LoadTarget {
  readonly validatorId: string;
  readonly port: number;
}

export interface LoadToken {
  readonly id: string;
  readonly value: string;
}

export interface ValidationLoad {
  readonly answers: Answer[];
  /** Calls that got no answer (deadline passed, connection refused), by validator and send second: a frozen validator's, mostly. */
  readonly failures: { validatorId: string; sentAtMs: number; message: string }[];
  stop(): Promise<void>;
}

type Stub = GrpcClient & {
  validateToken(req: unknown, options: { deadline: number }, callback: (err: ServiceError | null, res: ValidateTokenResponse) => void): void;
};
const ValidatorStub = makeGenericClientConstructor(grpcServiceDefinition(TokenValidatorService), "TokenValidatorService");

/**
 * Sends `perSecond` ValidateToken calls a second, spread over `targets`, each for
 * a token `pick` chooses, with a short deadline so a frozen validator cannot stall
 * the load. Records every answer.
 */
export function startValidationLoad(options: {
  readonly targets: readonly LoadTarget[];
  readonly pick: () => LoadToken;
  readonly perSecond: number;
  readonly deadlineMs: number;
}): ValidationLoad {
  const tickMs = 10;
  const perTick = options.perSecond / (1000 / tickMs);
  const stubs = options.targets.map((target) => ({ target, stub: new ValidatorStub(`127.0.0.1:${target.port}`, credentials.createInsecure()) as unknown as Stub }));
  const answers: Answer[] = [];
  const inFlight = new Set<Promise<void>>();
  const failures: { validatorId: string; sentAtMs: number; message: string }[] = [];
  let owed = 0;
  let next = 0;

  const send = () => {
    const { target, stub } = stubs[next++ % stubs.length]!;
    const token = options.pick();
    const sentAtMs = Date.now();
    const call = new Promise<void>((resolve) => {
      stub.validateToken(create(ValidateTokenRequestSchema, { token: token.value }), { deadline: sentAtMs + options.deadlineMs }, (err, res) => {
        if (err) failures.push({ validatorId: target.validatorId, sentAtMs, message: err.details });
        else answers.push({ validatorId: target.validatorId, tokenId: token.id, sentAtMs, valid: res.valid, code: res.code, freshness: res.freshness });
        resolve();
      });
    });
    inFlight.add(call);
    void call.then(() => inFlight.delete(call));
  };
  const timer = setInterval(() => {
    owed += perTick;
    for (; owed >= 1; owed--) send();
  }, tickMs);

  return {
    answers,
    failures,
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      for (const { stub } of stubs) stub.close();
    },
  };
}

/** The answers that break a promise, by promise; each list must be empty. */
export interface Violations {
  /** A token accepted by a request sent later than its RevokeToken returned + the bound. */
  readonly pastBound: Answer[];
  /** A token accepted, by a request sent after a complete acknowledgement, by a validator that acknowledgement counted. */
  readonly afterAcknowledgement: Answer[];
}

/** Checks every recorded answer against every revocation. */
export function findViolations(answers: readonly Answer[], revocations: readonly Revocation[], boundMs: number): Violations {
  const byToken = new Map(revocations.map((r) => [r.tokenId, r]));
  const pastBound: Answer[] = [];
  const afterAcknowledgement: Answer[] = [];
  for (const answer of answers) {
    if (!answer.valid) continue;
    const revocation = byToken.get(answer.tokenId);
    if (!revocation) continue;
    if (answer.sentAtMs > revocation.returnedAtMs + boundMs) pastBound.push(answer);
    const ack = revocation.acknowledged;
    if (ack?.complete && ack.appliedValidatorIds.includes(answer.validatorId) && answer.sentAtMs > revocation.returnedAtMs) afterAcknowledgement.push(answer);
  }
  return { pastBound, afterAcknowledgement };
}

/** Violating answers counted by validator and freshness, e.g. `{ "frozen DEGRADED": 3 }`: empty when none. */
export function summarize(answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = `${a.validatorId} ${Freshness[a.freshness]}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Answers counted by validator and code, for a report. */
export function summarizeCodes(answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = `${a.validatorId} ${ValidationCode[a.code]}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Answers from one validator in [fromMs, untilMs) of send time, counted by code. */
export function codesBetween(answers: readonly Answer[], validatorId: string, fromMs: number, untilMs: number): Map<ValidationCode, number> {
  const counts = new Map<ValidationCode, number>();
  for (const a of answers) {
    if (a.validatorId !== validatorId || a.sentAtMs < fromMs || a.sentAtMs >= untilMs) continue;
    counts.set(a.code, (counts.get(a.code) ?? 0) + 1);
  }
  return counts;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
