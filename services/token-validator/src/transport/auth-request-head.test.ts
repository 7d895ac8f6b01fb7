import { describe, expect, it } from "vitest";
import { incomplete, notMine, readAuthRequestHead, type AuthRequestHead } from "./auth-request-head.js";

const read = (text: string, start = 0) => readAuthRequestHead(Buffer.from(text, "latin1"), start, 64 * 1024, 100);
const plain = "GET /auth HTTP/1.1\r\nHost: v\r\nAuthorization: Bearer abc\r\nX-Original-URI: /orders/1\r\n\r\n";

describe("a forward-auth request head read off the socket", () => {
  it("is read whole: method, target, raw headers as node:http gives them (values trimmed), and where it ends", () => {
    const text = "POST /auth?scope=orders:read HTTP/1.1\r\nHost: v\r\nX-Original-URI: \t /a b \t\r\nconnection: Keep-Alive\r\nX-Empty:\r\n\r\n";
    const head = read(`${text}GET /next`) as AuthRequestHead;
    expect(head).toEqual({
      method: "POST",
      url: "/auth?scope=orders:read",
      rawHeaders: ["Host", "v", "X-Original-URI", "/a b", "connection", "Keep-Alive", "X-Empty", ""],
      end: text.length,
    });
  });

  it("reads pipelined requests one after another, from where the last ended", () => {
    const two = plain + plain.replace("/orders/1", "/orders/2");
    const first = read(two) as AuthRequestHead;
    expect(first.end).toBe(plain.length);
    const second = read(two, first.end) as AuthRequestHead;
    expect(second.rawHeaders).toContain("/orders/2");
    expect(second.end).toBe(two.length);
  });

  it("waits for the rest of a head cut short, unless it is already past the limit", () => {
    expect(read(plain.slice(0, -1))).toBe(incomplete);
    expect(read("GET /auth HTTP/1.1\r\nHost: v\r\n")).toBe(incomplete);
    expect(readAuthRequestHead(Buffer.from(`GET /auth HTTP/1.1\r\nX-Pad: ${"p".repeat(200)}`), 0, 100, 100)).toBe(notMine);
    expect(readAuthRequestHead(Buffer.from(`GET /auth HTTP/1.1\r\nHost: v\r\nX-Pad: ${"p".repeat(200)}\r\n\r\n`), 0, 100, 100)).toBe(notMine);
  });

  // Each of these is node:http's to read: its parser answers, or reads a body, as it always has.
  const notPlain: Record<string, string> = {
    "another path": plain.replace("/auth", "/ready"),
    "a path that only starts with /auth": plain.replace("/auth", "/authz"),
    "a fragment": plain.replace("/auth", "/auth#x"),
    "HTTP/1.0": plain.replace("HTTP/1.1", "HTTP/1.0"),
    "a lower-case method": plain.replace("GET", "get"),
    HEAD: plain.replace("GET", "HEAD"),
    CONNECT: plain.replace("GET", "CONNECT"),
    "two spaces in the request line": plain.replace("GET ", "GET  "),
    "a body by Content-Length": plain.replace("Host: v", "Host: v\r\nContent-Length: 0"),
    "a body by Transfer-Encoding": plain.replace("Host: v", "Host: v\r\nTransfer-Encoding: chunked"),
    Expect: plain.replace("Host: v", "Host: v\r\nExpect: 100-continue"),
    Upgrade: plain.replace("Host: v", "Host: v\r\nUpgrade: websocket"),
    "Connection: close": plain.replace("Host: v", "Host: v\r\nConnection: close"),
    "no Host": plain.replace("Host: v\r\n", ""),
    "two Hosts": plain.replace("Host: v", "Host: v\r\nhost: w"),
    "a folded line": plain.replace("Host: v", "Host: v\r\n continued"),
    "a bare LF": plain.replace("Host: v\r\n", "Host: v\n"),
    "a bare CR in a value": plain.replace("Bearer abc", "Bearer a\rbc"),
    "a control character in a value": plain.replace("Bearer abc", "Bearer a\x01bc"),
    "obs-text in a value": plain.replace("/orders/1", "/ordérs/1"),
    "a space before the colon": plain.replace("Host: v", "Host : v"),
    "an empty name": plain.replace("Host: v", "Host: v\r\n: x"),
    "a non-token name": plain.replace("Host: v", "Host: v\r\nX(y): z"),
  };
  for (const [what, text] of Object.entries(notPlain)) {
    it(`leaves to node:http a request with ${what}`, () => {
      expect(read(text)).toBe(notMine);
    });
  }

  it("leaves to node:http a request with more fields than its limit", () => {
    const many = `GET /auth HTTP/1.1\r\nHost: v\r\n${"X-A: 1\r\n".repeat(100)}\r\n`;
    expect(readAuthRequestHead(Buffer.from(many), 0, 64 * 1024, 100)).toBe(notMine);
    expect(readAuthRequestHead(Buffer.from(many), 0, 64 * 1024, 101)).not.toBe(notMine);
  });
});
