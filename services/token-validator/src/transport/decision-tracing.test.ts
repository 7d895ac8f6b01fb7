import type { IncomingMessage, ServerResponse } from "node:http";
import type { Span } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import type { TraceCarrier, Tracing } from "@tessera/shared/tracing/tracing";
import { createDecisionTracing } from "./decision-tracing.js";

/** Tracing that only counts the spans asked for; the SDK's part is tested end to end in test/tracing.test.ts. */
function countingTracing(): Tracing & { started: string[] } {
  const span = { setAttribute: () => span, setAttributes: () => span } as unknown as Span;
  const started: string[] = [];
  return {
    started,
    startServerSpan: (name) => (started.push(name), span),
    callerSampled: (carrier: TraceCarrier) => (carrier.traceparent === undefined ? undefined : carrier.traceparent.endsWith("-01")),
    withSpan: (_span, fn) => fn(),
    recordChild: () => {},
    end: () => {},
    close: async () => {},
  };
}

const request = (headers: Record<string, string> = {}) => ({ method: "GET", rawHeaders: Object.entries(headers).flat() }) as unknown as IncomingMessage;
const response = { statusCode: 200 } as ServerResponse;

describe("createDecisionTracing", () => {
  it("traces a share of the requests without trace context equal to the ratio (counted over 10,000 requests)", () => {
    const tracing = countingTracing();
    let seed = 42;
    // A fixed pseudo-random sequence, so the count is exact run after run.
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const handler = createDecisionTracing(tracing, 0.01, random).forwardAuth(() => {});
    for (let i = 0; i < 10_000; i++) handler(request(), response, "/auth");
    expect(tracing.started.length).toBeGreaterThan(70);
    expect(tracing.started.length).toBeLessThan(130);
  });

  it("follows the caller's decision when it sent one, whatever the ratio", () => {
    const tracing = countingTracing();
    const handler = createDecisionTracing(tracing, 0, () => 0).forwardAuth(() => {});
    handler(request({ traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }), response, "/auth");
    expect(tracing.started).toEqual(["GET /auth"]);
    const always = createDecisionTracing(tracing, 1, () => 0).forwardAuth(() => {});
    always(request({ traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00" }), response, "/auth");
    expect(tracing.started).toEqual(["GET /auth"]);
  });
});
