import { SMTPServer } from "smtp-server";

/** One email as it arrived: envelope recipients and the raw message. */
export interface ReceivedEmail {
  readonly to: readonly string[];
  readonly subject: string;
  readonly raw: string;
  /** The body, its transfer encoding (quoted-printable or base64) undone. */
  readonly text: string;
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= and =?UTF-8?B?…?=), as mail clients decode a subject; adjacent words join. */
function decodeEncodedWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_, encoding: string, text: string) =>
      encoding.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1").toString("utf8"),
    );
}

/** A real SMTP server in this process (smtp-server), no TLS, no auth: it keeps every message it accepts. */
export async function startSmtpReceiver(): Promise<{ port: number; received: ReceivedEmail[]; close(): Promise<void> }> {
  const received: ReceivedEmail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const folded = /^Subject: (.*(?:\r\n[ \t].*)*)$/m.exec(raw)?.[1] ?? "";
        const subject = decodeEncodedWords(folded.replace(/\r\n[ \t]/g, " "));
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), subject, raw, text: bodyText(raw) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as { port: number }).port;
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A single-part message's body as text: nodemailer sends plain text quoted-printable (or base64 when that is shorter). */
function bodyText(raw: string): string {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split);
  const body = raw.slice(split + 4);
  if (/^Content-Transfer-Encoding: base64/im.test(head)) return Buffer.from(body, "base64").toString("utf8");
  if (/^Content-Transfer-Encoding: quoted-printable/im.test(head)) {
    const bytes = body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}
