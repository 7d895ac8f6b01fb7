import type { Attributes, Span } from "@opentelemetry/api";

/** Where and how traces are exported; from OTEL_EXPORTER_OTLP_ENDPOINT and friends. */
export interface TracingOptions {
  /** OTLP/HTTP base URL; spans are POSTed to `${endpoint}/v1/traces`. */
  readonly endpoint: string;
  /** The `service.name` resource attribute. */
  readonly serviceName: string;
  /** How often finished spans are sent in a batch. */
  readonly exportDelayMs: number;
}

/** W3C trace context as it arrives: `traceparent` and `tracestate` header values. */
export interface TraceCarrier {
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

/**
 * OpenTelemetry tracing as Tessera uses it, behind a small port: callers never
 * import the SDK, so with tracing off not one of its modules is loaded. The
 * current span is carried in an AsyncLocalStorage of this object's own: no
 * global provider, context manager or propagator is registered.
 */
export interface Tracing {
  /** A server span for an incoming request, child of the caller's W3C context when it sent one. */
  startServerSpan(name: string, carrier: TraceCarrier, attributes?: Attributes): Span;
  /** Whether the caller's W3C context asks for sampling; undefined when it sent none (or none that parses). */
  callerSampled(carrier: TraceCarrier): boolean | undefined;
  /** Runs `fn` with `span` current, across its awaits. */
  withSpan<T>(span: Span, fn: () => T): T;
  /**
   * Records finished work (a database query) as a child of the current span,
   * if there is one that records; `durationMs` ends now. `error`: a short,
   * value-free description.
   */
  recordChild(name: string, durationMs: number, attributes: Attributes, error?: string): void;
  /** Ends `span`, as failed when `error` (a status name, never user data) is given. */
  end(span: Span, error?: string): void;
  /** Sends what is buffered and stops exporting. */
  close(): Promise<void>;
}

/** Loads the OpenTelemetry SDK, only now, and starts exporting over OTLP/HTTP. */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const { createSdkTracing } = await import("./sdk-tracing.js");
  return createSdkTracing(options);
}
