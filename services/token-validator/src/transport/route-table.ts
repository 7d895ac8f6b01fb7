import { z } from "zod";
import { isWellFormedScope } from "@tessera/shared/token/scope";

/** One row of the route table: requests whose path starts with `prefix` (and whose method is `method`, if set) need `scope`. */
export interface Route {
  /** Upper case; unset: any method. HEAD is matched as GET. */
  readonly method: string | undefined;
  /** Starts with "/"; matches whole path segments ("/orders" matches "/orders/1", not "/orders-x"). */
  readonly prefix: string;
  /** Empty: any valid token. */
  readonly scope: string;
  /** False: the prefix matches whatever the case of the path ("/admin" covers "/ADMIN"), for upstreams that ignore case. */
  readonly caseSensitive: boolean;
}

/** Answers which scope a request needs. Pure and allocation-free on the usual path. */
export interface RouteTable {
  /** True when no routes are configured: every request needs only a valid token. */
  readonly empty: boolean;
  /** The scope a request needs; "" (any valid token) when no route matches. */
  requiredScope(method: string, path: string): string;
}

const maxRoutes = 1000;

const routeSchema = z
  .object({
    method: z
      .string()
      .regex(/^[A-Za-z]{1,20}$/, "must be an HTTP method")
      .transform((method) => method.toUpperCase())
      .refine((method) => method !== "HEAD", "HEAD is matched as GET: write GET")
      .optional(),
    prefix: z.string().max(1000).regex(/^\/[^?#\s]*$/, 'must start with "/" and hold no query, fragment or spaces'),
    scope: z.string().refine((scope) => scope === "" || isWellFormedScope(scope), "must be a scope such as orders:read, or empty for any valid token"),
    caseSensitive: z.boolean().default(true),
  })
  .strict();

const routeListSchema = z.array(routeSchema).max(maxRoutes);

/**
 * The route table from its JSON text (TESSERA_ROUTES or the file named by
 * TESSERA_ROUTES_FILE). Throws an Error naming the problem, never echoing input.
 */
export function parseRoutes(json: string): readonly Route[] {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('must be a JSON array such as [{"method":"GET","prefix":"/orders","scope":"orders:read"}]');
  }
  const result = routeListSchema.safeParse(raw);
  if (!result.success) {
    throw new Error(result.error.issues.map((issue) => `[${issue.path.join(".")}] ${issue.message}`).join("; "));
  }
  return Object.freeze(result.data.map((route) => Object.freeze({ method: route.method, prefix: route.prefix, scope: route.scope, caseSensitive: route.caseSensitive })));
}

/**
 * A path that a proxy may forward un-normalised: dot segments, doubled or back
 * slashes, percent-encodings (an upstream decodes "/%61dmin" to "/admin"),
 * or path parameters (some upstreams read "/admin;x" as "/admin").
 */
const needsNormalising = /\/\.|\/\/|\\|%|;/;
/** Encoded separators and control characters: upstreams disagree on what they mean, so no route can be chosen safely. */
const ambiguousEncoding = /%(?:2f|5c|[01][0-9a-f]|7f)/i;
const unreservedCharacter = /[A-Za-z0-9\-._~]/;

/** Decodes percent-encoded unreserved characters (RFC 3986 §2.3), which mean the same either way; upper-cases the rest. */
function decodeUnreserved(path: string): string {
  return path.replace(/%[0-9a-f]{2}/gi, (escape) => {
    const character = String.fromCharCode(parseInt(escape.slice(1), 16));
    return unreservedCharacter.test(character) ? character : escape.toUpperCase();
  });
}

/**
 * The path to match, or undefined if it cannot be read safely: query and
 * fragment dropped, unreserved characters decoded, path parameters dropped,
 * dot segments resolved (as the upstream will resolve them, so
 * "/public/../admin" is matched as "/admin"), doubled slashes merged. A path
 * that needs none of this is returned as it is, with no allocation.
 */
export function pathForMatching(target: string): string | undefined {
  let end = target.length;
  const query = target.indexOf("?");
  if (query !== -1) end = query;
  const fragment = target.indexOf("#");
  if (fragment !== -1 && fragment < end) end = fragment;
  let path = end === target.length ? target : target.slice(0, end);
  if (path.charCodeAt(0) !== 47) {
    // nginx's $request_uri keeps a request line in absolute form ("http://host/path"): match its path.
    const authority = /^https?:\/\/[^/]*/i.exec(path);
    if (authority === null) return undefined; // neither origin nor absolute form: nothing a route can match
    path = path.slice(authority[0].length) || "/";
  }
  if (!needsNormalising.test(path)) return path;
  if (ambiguousEncoding.test(path)) return undefined;
  // Drop ";params" from each segment: matching "/admin;x" as "/admin" errs on the side of its route.
  path = decodeUnreserved(path).replace(/;[^/]*/g, "");
  try {
    // WHATWG URL parsing resolves "." and ".." and turns "\\" into "/".
    // Prefixing the origin keeps a leading "//" from being read as a host.
    return new URL(`http://route.invalid${path}`).pathname.replace(/\/{2,}/g, "/");
  } catch {
    return undefined;
  }
}

/** Whether `path` is `prefix` or lies below it, on a segment boundary. */
function underPrefix(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || prefix.endsWith("/") || path.charCodeAt(prefix.length) === 47; // "/"
}

/**
 * A route table: the longest matching prefix wins; at equal length a route
 * naming the method beats one that does not. Routes are sorted once, so a
 * lookup is one scan that stops at the first match. A route that ignores case
 * is matched against the path in lower case, computed once per lookup and only
 * if the table has such a route.
 */
export function createRouteTable(routes: readonly Route[]): RouteTable {
  const sorted = [...routes]
    .sort((a, b) => b.prefix.length - a.prefix.length || Number(a.method === undefined) - Number(b.method === undefined))
    .map((route) => (route.caseSensitive ? route : { ...route, prefix: route.prefix.toLowerCase() }));
  const anyIgnoresCase = sorted.some((route) => !route.caseSensitive);
  return {
    empty: sorted.length === 0,
    requiredScope(method, path) {
      const wanted = method === "HEAD" ? "GET" : method.toUpperCase();
      const lowerPath = anyIgnoresCase ? path.toLowerCase() : path;
      for (const route of sorted) {
        if ((route.method === undefined || route.method === wanted) && underPrefix(route.caseSensitive ? path : lowerPath, route.prefix)) return route.scope;
      }
      return "";
    },
  };
}
