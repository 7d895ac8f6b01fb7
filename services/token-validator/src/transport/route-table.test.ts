import { describe, expect, it } from "vitest";
import { createRouteTable, parseRoutes, pathForMatching } from "./route-table.js";

describe("route table", () => {
  const table = createRouteTable(
    parseRoutes(
      JSON.stringify([
        { prefix: "/orders", scope: "orders:read" },
        { method: "post", prefix: "/orders", scope: "orders:write" },
        { prefix: "/orders/admin", scope: "orders:admin" },
        { method: "GET", prefix: "/static/", scope: "" },
      ]),
    ),
  );

  it("picks the longest matching prefix, then a route naming the method over one that does not", () => {
    expect(table.requiredScope("GET", "/orders")).toBe("orders:read");
    expect(table.requiredScope("POST", "/orders")).toBe("orders:write");
    expect(table.requiredScope("post", "/orders/1")).toBe("orders:write");
    expect(table.requiredScope("POST", "/orders/admin/x")).toBe("orders:admin");
    expect(table.requiredScope("HEAD", "/static/app.js")).toBe("");
  });

  it("matches whole path segments only, and needs only a valid token where nothing matches", () => {
    expect(table.requiredScope("GET", "/orders-archive")).toBe("");
    expect(table.requiredScope("GET", "/ordersx/1")).toBe("");
    expect(table.requiredScope("GET", "/")).toBe("");
    expect(table.empty).toBe(false);
    expect(createRouteTable([]).empty).toBe(true);
  });

  it("matches a case-insensitive route whatever the case of the path, and only that route", () => {
    const mixed = createRouteTable(
      parseRoutes(
        JSON.stringify([
          { prefix: "/admin", scope: "orders:admin", caseSensitive: false },
          { prefix: "/Reports", scope: "reports:read" },
        ]),
      ),
    );
    for (const path of ["/admin", "/ADMIN", "/Admin/users", "/aDmIn/"]) expect(mixed.requiredScope("GET", path), path).toBe("orders:admin");
    // Percent-encoded unreserved letters are decoded before matching, so case cannot hide behind them either.
    expect(mixed.requiredScope("GET", pathForMatching("/%41DMIN/x")!)).toBe("orders:admin");
    expect(mixed.requiredScope("GET", "/administrators")).toBe("");
    // Case-sensitive by default.
    expect(mixed.requiredScope("GET", "/Reports/1")).toBe("reports:read");
    expect(mixed.requiredScope("GET", "/reports/1")).toBe("");
    expect(table.requiredScope("GET", "/ORDERS")).toBe("");
  });

  it("refuses a caseSensitive that is not a boolean", () => {
    expect(() => parseRoutes(JSON.stringify([{ prefix: "/x", scope: "", caseSensitive: "no" }]))).toThrow(/\[0\.caseSensitive\]/);
  });

  it("refuses a bad table, naming the problem without echoing it", () => {
    expect(() => parseRoutes("{not json")).toThrow(/JSON array/);
    expect(() => parseRoutes(JSON.stringify([{ prefix: "orders", scope: "orders:read" }]))).toThrow(/\[0\.prefix\]/);
    expect(() => parseRoutes(JSON.stringify([{ prefix: "/orders", scope: "Orders Read" }]))).toThrow(/\[0\.scope\]/);
    expect(() => parseRoutes(JSON.stringify([{ method: "HEAD", prefix: "/x", scope: "" }]))).toThrow(/HEAD is matched as GET/);
    expect(() => parseRoutes(JSON.stringify([{ prefix: "/x", scope: "", path: "/y" }]))).toThrow(/\[0\]/);
  });
});

describe("pathForMatching", () => {
  it("drops query and fragment without allocating for plain paths", () => {
    const plain = "/orders/1";
    expect(pathForMatching(plain)).toBe(plain);
    expect(pathForMatching("/orders/1?a=b/../c")).toBe("/orders/1");
    expect(pathForMatching("/orders/1#top")).toBe("/orders/1");
  });

  it("resolves dot segments (also percent-encoded), backslashes and doubled slashes as an upstream would", () => {
    expect(pathForMatching("/public/../orders")).toBe("/orders");
    expect(pathForMatching("/public/%2e%2E/orders")).toBe("/orders");
    expect(pathForMatching("/./orders/./1")).toBe("/orders/1");
    expect(pathForMatching("/public/..\\orders")).toBe("/orders");
    expect(pathForMatching("//orders///1")).toBe("/orders/1");
    expect(pathForMatching("/../../orders")).toBe("/orders");
  });

  it("decodes encoded unreserved characters and drops path parameters, so /%61dmin and /admin;x meet the /admin route", () => {
    expect(pathForMatching("/%61dmin/%7e1")).toBe("/admin/~1");
    expect(pathForMatching("/ORDERS%2d1")).toBe("/ORDERS-1");
    expect(pathForMatching("/admin;jsessionid=1/x")).toBe("/admin/x");
    expect(pathForMatching("/public;x/..;y/admin")).toBe("/admin");
    expect(pathForMatching("/a%20b")).toBe("/a%20b");
    expect(pathForMatching("/a%3fb")).toBe("/a%3Fb");
    const table = createRouteTable(parseRoutes(JSON.stringify([{ prefix: "/orders", scope: "orders:read" }])));
    expect(table.requiredScope("GET", pathForMatching("/%6Frders/1")!)).toBe("orders:read");
  });

  it("refuses encoded slashes, backslashes and control characters, on which upstreams disagree", () => {
    for (const path of ["/public%2F..%2Fadmin", "/public%5c..%5cadmin", "/admin%00", "/admin%0a", "/x%7F"]) {
      expect(pathForMatching(path), path).toBeUndefined();
    }
  });

  it("reads the path of an absolute-form target and refuses anything else", () => {
    expect(pathForMatching("http://shop.example/orders/1?x")).toBe("/orders/1");
    expect(pathForMatching("HTTPS://shop.example")).toBe("/");
    expect(pathForMatching("*")).toBeUndefined();
    expect(pathForMatching("")).toBeUndefined();
    expect(pathForMatching("orders/1")).toBeUndefined();
  });
});
