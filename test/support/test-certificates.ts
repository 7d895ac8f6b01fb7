import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";

/** PEM files a test made for itself: a CA, a server certificate it signed, and client certificates. */
export interface TestCertificates {
  readonly dir: string;
  /** The CA that signed the server's and the client's certificates. */
  readonly caFile: string;
  readonly ca: string;
  /** For localhost and 127.0.0.1. */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** The same server certificate and key as PEM text. */
  readonly server: { readonly cert: string; readonly key: string };
  /** A client certificate the CA signed, as Buffer-ready PEM text. */
  readonly client: { readonly cert: string; readonly key: string };
  /** A client certificate from another CA: must be refused. */
  readonly stranger: { readonly cert: string; readonly key: string };
  /** Another CA altogether (trusting it must not trust the server). */
  readonly otherCaFile: string;
  remove(): void;
}

const ec = { keyType: "ec", algorithm: "sha256" } as const;

async function certificateAuthority(name: string) {
  return generate([{ name: "commonName", value: name }], {
    ...ec,
    extensions: [{ name: "basicConstraints", cA: true, critical: true }, { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }],
  });
}

/** Makes every certificate a TLS test needs, in a fresh folder (EC P-256: milliseconds, not seconds). */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-tls-"));
  const ca = await certificateAuthority("Tessera test CA");
  const other = await certificateAuthority("Someone else's CA");
  const signedBy = (authority: { private: string; cert: string }, name: string, usage: "serverAuth" | "clientAuth") =>
    generate([{ name: "commonName", value: name }], {
      ...ec,
      ca: { key: authority.private, cert: authority.cert },
      extensions: [
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
        { name: "extKeyUsage", [usage]: true },
        ...(usage === "serverAuth" ? [{ name: "subjectAltName" as const, altNames: [{ type: 2 as const, value: "localhost" }, { type: 7 as const, ip: "127.0.0.1" }] }] : []),
      ],
    });
  const server = await signedBy(ca, "localhost", "serverAuth");
  const client = await signedBy(ca, "an internal service", "clientAuth");
  const stranger = await signedBy(other, "a stranger", "clientAuth");
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  return {
    dir,
    caFile: file("ca.pem", ca.cert),
    ca: ca.cert,
    serverCertFile: file("server.pem", server.cert),
    serverKeyFile: file("server.key", server.private),
    server: { cert: server.cert, key: server.private },
    client: { cert: client.cert, key: client.private },
    stranger: { cert: stranger.cert, key: stranger.private },
    otherCaFile: file("other-ca.pem", other.cert),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
