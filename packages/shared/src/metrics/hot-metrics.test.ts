import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { HotCounter } from "./hot-counter.js";
import { HotHistogram } from "./hot-histogram.js";

describe("hot-path metrics in a prom-client registry", () => {
  it("expose counters per reserved label set, zeros included", async () => {
    const registry = new Registry();
    const counter = new HotCounter(registry, "test_answers_total", "Answers", ["surface", "code"]);
    const valid = counter.slot(["http", "valid"]);
    counter.slot(["http", "revoked"]);
    for (let i = 0; i < 40; i++) counter.slot(["grpc", `code${i}`]); // grows past the initial array
    counter.inc(valid);
    counter.inc(valid, 2);
    const text = await registry.metrics();
    expect(text).toContain("# TYPE test_answers_total counter");
    expect(text).toContain('test_answers_total{surface="http",code="valid"} 3');
    expect(text).toContain('test_answers_total{surface="http",code="revoked"} 0');
    expect(text).toContain('test_answers_total{surface="grpc",code="code39"} 0');
    expect(() => counter.slot(["only-one"])).toThrow(/2 label values/);
  });

  it("expose histograms with cumulative buckets, sum and count", async () => {
    const registry = new Registry();
    const histogram = new HotHistogram(registry, "test_seconds", "Durations", ["surface"], [0.001, 0.01]);
    const http = histogram.slot(["http"]);
    const grpc = histogram.slot(["grpc"]);
    histogram.observe(http, 0.0005);
    histogram.observe(http, 0.001);
    histogram.observe(http, 0.005);
    histogram.observe(http, 5);
    histogram.observe(grpc, 0.02);
    const text = await registry.metrics();
    expect(text).toContain("# TYPE test_seconds histogram");
    expect(text).toContain('test_seconds_bucket{surface="http",le="0.001"} 2');
    expect(text).toContain('test_seconds_bucket{surface="http",le="0.01"} 3');
    expect(text).toContain('test_seconds_bucket{surface="http",le="+Inf"} 4');
    expect(text).toContain('test_seconds_count{surface="http"} 4');
    expect(text).toContain('test_seconds_sum{surface="http"} 5.0065');
    expect(text).toContain('test_seconds_bucket{surface="grpc",le="0.01"} 0');
    expect(text).toContain('test_seconds_count{surface="grpc"} 1');
    registry.resetMetrics();
    expect(await registry.metrics()).toContain('test_seconds_count{surface="http"} 0');
  });
});
