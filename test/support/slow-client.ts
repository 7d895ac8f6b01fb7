import { connect, type Socket } from "node:net";

/** What a slow or idle client does once connected. */
export type Behaviour = (socket: Socket) => void;

/** The HTTP/2 client preface, and an empty SETTINGS frame that completes it. */
export const http2Preface = Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

/** The kinds of slow client every listener must shed. */
export const slowClients = {
  "sends nothing": () => {},
  "sends one byte": (socket) => socket.write("P"),
  "sends half an HTTP/1.1 request": (socket) => socket.write("POST /tessera.v1.TokenAdminService/ListTokens HTTP/1.1\r\nHost: tessera\r\nContent-Type: application/json\r\n"),
  "sends only the HTTP/2 preface": (socket) => socket.write(http2Preface),
} satisfies Record<string, Behaviour>;

/**
 * Connects, behaves, and resolves with the milliseconds from connecting until
 * the server closed the connection (FIN or reset) — or undefined if it was still
 * open after `giveUpMs`, when the client closes it itself.
 */
export function timeUntilClosed(port: number, behave: Behaviour, giveUpMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    let connectedAt = Date.now();
    const socket = connect(port, "127.0.0.1", () => {
      connectedAt = Date.now();
      behave(socket);
    });
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, giveUpMs);
    const closed = () => {
      clearTimeout(giveUp);
      socket.destroy();
      resolve(Date.now() - connectedAt);
    };
    socket.on("data", () => {}); // drained, so the server's writes never stall on us
    socket.once("end", closed);
    socket.once("close", closed);
    socket.on("error", () => {});
  });
}

/**
 * Runs `clients` of one kind at once and returns those not closed within
 * `boundMs + marginMs` (a count of violations: the bound holds when it is 0),
 * with every measured time for the message.
 */
export async function boundViolations(port: number, behave: Behaviour, clients: number, boundMs: number, marginMs: number): Promise<{ violations: number; closedAfterMs: (number | undefined)[] }> {
  const closedAfterMs = await Promise.all(Array.from({ length: clients }, () => timeUntilClosed(port, behave, boundMs + marginMs + 2000)));
  return { violations: closedAfterMs.filter((ms) => ms === undefined || ms > boundMs + marginMs).length, closedAfterMs };
}
