import type { IncomingMessage, ServerResponse } from "node:http";
import type { Span } from "@opentelemetry/api";
import type { handleUnaryCall, ServerUnaryCall } from "@grpc/grpc-js";
import type { TraceCarrier, Tracing } from "@tessera/shared/tracing/tracing";
import type { DecisionObserver, Surface } from "../domain/surface.js";
import type { ForwardAuthHandler } from "./forward-auth.js";
import type { IntrospectHandler } from "./introspect.js";

/**
 * Spans for the validator's decisions, wrapped around each surface's handler
 * at the composition root — installed only when tracing is on, so with it off
 * the handlers run exactly as they are. A request is traced when its caller's
 * W3C context says sampled, or, without one, at `sampleRatio`; a caller that
 * sent an unsampled context is not traced. An unsampled request costs a header
 * read and a random number: no span is made for it.
 */
export interface DecisionTracing {
  /** Writes the decision (code, seq, token id, freshness) onto the span of the request being answered. */
  readonly observe: DecisionObserver;
  forwardAuth(handler: ForwardAuthHandler): ForwardAuthHandler;
  introspect(handler: IntrospectHandler): IntrospectHandler;
  /** A gRPC surface; `carrier` reads the trace context from the call (metadata, or the CheckRequest's headers). */
  unary<Req, Res>(name: string, surface: Surface, handler: handleUnaryCall<Req, Res>, carrier: (call: ServerUnaryCall<Req, Res>) => TraceCarrier): handleUnaryCall<Req, Res>;
}

/**
 * traceparent and tracestate from the raw headers: cheaper than req.headers,
 * which the surfaces never build. Of repeats the last counts; a malformed
 * value is ignored where it is parsed.
 */
function traceHeaders(raw: readonly string[]): TraceCarrier {
  let traceparent: string | undefined;
  let tracestate: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 11 && name.toLowerCase() === "traceparent") traceparent = raw[i + 1];
    else if (name.length === 10 && name.toLowerCase() === "tracestate") tracestate = raw[i + 1];
  }
  return { traceparent, tracestate };
}

const none: TraceCarrier = Object.freeze({});

/** The trace context in gRPC metadata (ValidateToken); tracestate is read only beside a traceparent. */
export function metadataCarrier(call: ServerUnaryCall<unknown, unknown>): TraceCarrier {
  const [traceparent] = call.metadata.get("traceparent");
  if (traceparent === undefined) return none;
  const [tracestate] = call.metadata.get("tracestate");
  return { traceparent: String(traceparent), tracestate: tracestate === undefined ? undefined : String(tracestate) };
}

/** Decision tracing over `tracing`, sampling callers without trace context at `sampleRatio` (0..1). */
export function createDecisionTracing(tracing: Tracing, sampleRatio: number, random: () => number = Math.random): DecisionTracing {
  // Every surface answers synchronously, so the span of the request being answered is this one.
  let answering: Span | undefined;

  const start = (name: string, surface: Surface, carrier: TraceCarrier): Span | undefined => {
    const sampled = tracing.callerSampled(carrier) ?? random() < sampleRatio;
    return sampled ? tracing.startServerSpan(name, carrier, { "tessera.surface": surface }) : undefined;
  };

  /** Runs one synchronous answer with `span` receiving its decision. */
  const answer = (span: Span, run: () => void) => {
    answering = span;
    try {
      run();
    } finally {
      answering = undefined;
    }
  };

  const httpCarrier = (req: IncomingMessage): TraceCarrier => traceHeaders(req.rawHeaders);
  const endHttp = (span: Span, res: ServerResponse) => {
    span.setAttribute("http.response.status_code", res.statusCode);
    tracing.end(span, res.statusCode >= 500 ? String(res.statusCode) : undefined);
  };

  return {
    observe(decision, _surface, _nowMs) {
      if (answering === undefined) return;
      answering.setAttributes({
        "tessera.decision": decision.code,
        "tessera.seq": Number(decision.seq),
        "tessera.freshness": decision.freshness.state,
      });
      if (decision.token) answering.setAttribute("tessera.token_id", decision.token.id);
    },

    forwardAuth: (handler) => (req, res, url) => {
      const span = start(`${req.method ?? "GET"} /auth`, "forward_auth", httpCarrier(req));
      if (span === undefined) return handler(req, res, url);
      try {
        answer(span, () => handler(req, res, url));
      } finally {
        endHttp(span, res);
      }
    },

    // The caller's own token is decided at once; the answer may wait for the form: the span ends with it.
    introspect: (handler) => (req, res) => {
      const span = start("POST /introspect", "introspect", httpCarrier(req));
      if (span === undefined) return handler(req, res);
      res.once("close", () => endHttp(span, res));
      answer(span, () => handler(req, res));
    },

    unary: (name, surface, handler, carrier) => (call, callback) => {
      const span = start(name, surface, carrier(call));
      if (span === undefined) return handler(call, callback);
      try {
        answer(span, () => handler(call, callback));
      } finally {
        tracing.end(span);
      }
    },
  };
}
