import { AsyncLocalStorage } from "node:async_hooks";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, defaultTextMapGetter, trace, type Context, type Span } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler } from "@opentelemetry/sdk-trace-base";
import type { TraceCarrier, Tracing, TracingOptions } from "./tracing.js";

/** Span attribute values are bounded: a long SQL text is cut here. */
const maxAttributeLength = 2048;

/**
 * The SDK behind Tracing: one provider, batches exported over OTLP/HTTP
 * (JSON), the caller's sampling decision honoured and everything else
 * sampled — callers that must not trace every request (the validator's hot
 * path) decide before they start a span. Loaded only by startTracing.
 */
export function createSdkTracing(options: TracingOptions): Tracing {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": options.serviceName }),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanLimits: { attributeValueLengthLimit: maxAttributeLength },
    // Bounded: past 2048 waiting spans new ones are dropped, never buffered without end.
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, "")}/v1/traces` }), { scheduledDelayMillis: options.exportDelayMs, maxQueueSize: 2048 })],
  });
  const tracer = provider.getTracer("tessera");
  const propagator = new W3CTraceContextPropagator();
  const current = new AsyncLocalStorage<Span>();

  const callerContext = (carrier: TraceCarrier): Context | undefined => {
    if (carrier.traceparent === undefined) return undefined;
    const context = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
    return trace.getSpanContext(context) ? context : undefined;
  };

  return {
    startServerSpan: (name, carrier, attributes) => tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, callerContext(carrier) ?? ROOT_CONTEXT),
    callerSampled(carrier) {
      const context = callerContext(carrier);
      return context === undefined ? undefined : (trace.getSpanContext(context)!.traceFlags & TraceFlags.SAMPLED) !== 0;
    },
    withSpan: (span, fn) => current.run(span, fn),
    recordChild(name, durationMs, attributes, error) {
      const parent = current.getStore();
      if (!parent?.isRecording()) return;
      const endMs = performance.timeOrigin + performance.now();
      const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes, startTime: endMs - durationMs }, trace.setSpan(ROOT_CONTEXT, parent));
      if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      span.end(endMs);
    },
    end(span, error) {
      if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      span.end();
    },
    close: () => provider.shutdown(),
  };
}
