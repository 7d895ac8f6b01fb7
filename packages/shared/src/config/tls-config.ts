import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { z } from "zod";

/** What a listener needs to speak TLS. */
export interface ServerTls {
  /** PEM: the certificate chain, leaf first. */
  readonly cert: Buffer;
  /** PEM: its private key. */
  readonly key: Buffer;
  /** PEM: set, clients must present a certificate this CA signed (mTLS). */
  readonly clientCa: Buffer | undefined;
}

/** A PEM file's path, read once at start: the problem is named (never the content). */
export const pemFile = () =>
  z
    .string()
    .min(1)
    .optional()
    .transform((path, ctx): Buffer | undefined => {
      if (path === undefined) return undefined;
      let content: Buffer;
      try {
        content = readFileSync(path);
      } catch (err) {
        ctx.issues.push({ code: "custom", message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`, input: path });
        return z.NEVER;
      }
      if (!content.includes("-----BEGIN ")) {
        ctx.issues.push({ code: "custom", message: `${path} is not a PEM file`, input: path });
        return z.NEVER;
      }
      return content;
    });

/** Settings of every Tessera process's own listeners: TLS when both files are given. */
export const serverTlsEnv = {
  TESSERA_TLS_CERT_FILE: pemFile(),
  TESSERA_TLS_KEY_FILE: pemFile(),
};

/**
 * The listeners' TLS from the parsed settings, or a problem to report: both
 * files or neither; a key that fits the certificate; a client CA only with TLS.
 */
function serverTlsFrom(cert: Buffer | undefined, key: Buffer | undefined, clientCa?: Buffer): { tls: ServerTls | undefined } | { problem: { path: string; message: string } } {
  if (!cert && !key) {
    return clientCa ? { problem: { path: "TESSERA_TLS_CLIENT_CA_FILE", message: "needs TESSERA_TLS_CERT_FILE and TESSERA_TLS_KEY_FILE (client certificates are checked over TLS)" } } : { tls: undefined };
  }
  if (!cert || !key) return { problem: { path: cert ? "TESSERA_TLS_KEY_FILE" : "TESSERA_TLS_CERT_FILE", message: "TESSERA_TLS_CERT_FILE and TESSERA_TLS_KEY_FILE go together" } };
  try {
    createSecureContext({ cert, key, ca: clientCa });
  } catch (err) {
    // OpenSSL's reason ("key values mismatch", "bad decrypt" …): never the key itself.
    return { problem: { path: "TESSERA_TLS_KEY_FILE", message: `does not fit TESSERA_TLS_CERT_FILE, or one of them is unusable (${(err as Error).message})` } };
  }
  return { tls: { cert, key, clientCa } };
}

/** The settings every process's TLS step reads. */
interface TlsSettings {
  readonly TESSERA_TLS_CERT_FILE?: Buffer | undefined;
  readonly TESSERA_TLS_KEY_FILE?: Buffer | undefined;
  readonly TESSERA_TLS_CLIENT_CA_FILE?: Buffer | undefined;
  readonly TESSERA_REDIS_CA_FILE?: Buffer | undefined;
  readonly REDIS_URL?: { readonly tls: boolean } | undefined;
}

/**
 * A config schema's step that attaches its listeners' TLS to the parsed
 * settings (`{ env, tls }`), or reports what is wrong with the TLS settings,
 * Redis's included, under the variable to change.
 */
export function withServerTls<E extends TlsSettings>(env: E, ctx: z.core.$RefinementCtx<E>): { env: E; tls: ServerTls | undefined } {
  if (env.TESSERA_REDIS_CA_FILE && !env.REDIS_URL?.tls) {
    ctx.issues.push({ code: "custom", path: ["TESSERA_REDIS_CA_FILE"], message: "needs a rediss:// REDIS_URL (TLS; rediss+sentinel:// for a Sentinel group)", input: undefined });
  }
  const served = serverTlsFrom(env.TESSERA_TLS_CERT_FILE, env.TESSERA_TLS_KEY_FILE, env.TESSERA_TLS_CLIENT_CA_FILE);
  if ("problem" in served) {
    ctx.issues.push({ code: "custom", path: [served.problem.path], message: served.problem.message, input: undefined });
    return { env, tls: undefined };
  }
  return { env, tls: served.tls };
}
