// Addresses and routes as validators report them (use sources, honeytoken alarms) are
// what a client or proxy sent: trimmed and checked here, once, before anything stores them.

/** What an address may hold once trimmed: IPv4, IPv6 (with a zone), a host name. Anything else is dropped, not stored. */
const addressPattern = /^[0-9A-Za-z.:%_-]{1,64}$/;
const maxRouteChars = 200;
const controlCharacters = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * An address as shown: the first of an X-Forwarded-For list, without a gRPC
 * peer's port or an IPv4-mapped IPv6 prefix; "" when it is not an address.
 */
export function displayAddress(surface: string, raw: string): string {
  let address = raw.split(",", 1)[0]!.trim();
  // grpc-js peers are "<address>:<port>" (IPv6 unbracketed); the port differs per connection.
  if (surface === "grpc" || surface === "ext_authz") address = address.replace(/:\d+$/, "");
  address = address.replace(/^\[(.*)\]$/, "$1").replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  return addressPattern.test(address) ? address : "";
}

/** A route as shown: the path without query or fragment, bounded; "" when unreadable. */
export function displayRoute(raw: string): string {
  const path = raw.split(/[?#]/, 1)[0]!.slice(0, maxRouteChars);
  return controlCharacters.test(path) ? "" : path;
}
