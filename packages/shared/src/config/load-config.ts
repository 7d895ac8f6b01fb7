import { accessSync, constants } from "node:fs";
import { z } from "zod";
import { StartupError } from "../runtime/startup-error.js";
import { estimateEntropyBits, minPepperBits } from "./pepper-entropy.js";
import { pemFile } from "./tls-config.js";

/**
 * Parses the environment once at start. Names every bad variable at once and
 * never echoes a value (the pepper is one), then freezes the result.
 */
export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): Readonly<z.output<T>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(config)"}: ${issue.message}`);
    throw new StartupError(`invalid configuration: ${problems.join("; ")}`);
  }
  return Object.freeze(result.data);
}

/** A TCP port; 0 asks the OS for a free one (tests). */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** A positive integer of milliseconds. */
export const millis = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** "true"/"false"/"1"/"0" → boolean; `z.coerce.boolean` would turn "false" into true. */
export const flag = (fallback: boolean) =>
  z.enum(["true", "false", "1", "0"]).default(fallback ? "true" : "false").transform((v) => v === "true" || v === "1");

const sslModes = new Set(["disable", "prefer", "require", "verify-ca", "verify-full", "no-verify"]);

/**
 * A postgres:// URL whose TLS parameters (libpq's sslmode, sslrootcert, sslcert,
 * sslkey, which node-postgres reads) are usable: a file it names that cannot be
 * read is reported here, once, rather than as a stack trace from deep in pg.
 * Problems name the parameter, never the URL (it may hold a password).
 */
const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
  .superRefine((value, ctx) => {
    let params: URLSearchParams;
    try {
      params = new URL(value).searchParams;
    } catch {
      ctx.addIssue({ code: "custom", message: "is not a valid URL" });
      return;
    }
    const mode = params.get("sslmode");
    if (mode !== null && !sslModes.has(mode)) ctx.addIssue({ code: "custom", message: `sslmode must be one of ${[...sslModes].join(", ")}` });
    for (const param of ["sslrootcert", "sslcert", "sslkey"]) {
      const path = params.get(param);
      if (path === null) continue;
      try {
        accessSync(path, constants.R_OK);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: `${param}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})` });
      }
    }
  });

/** Settings every Tessera process shares. */
export const commonEnv = {
  DATABASE_URL: postgresUrl.optional(),
  // redis://[:password@]host:port, or rediss:// for TLS (the server's CA in TESSERA_REDIS_CA_FILE unless the system trusts it).
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL").optional(),
  TESSERA_REDIS_CA_FILE: pemFile(),
  TESSERA_DATA_DIR: z.string().min(1).default(".tessera"),
  // Shorter than 32 characters, or repetitive, is too weak to key an HMAC that guards every token.
  TESSERA_PEPPER: z
    .string()
    .min(32, "must be at least 32 characters")
    .refine((pepper) => estimateEntropyBits(pepper) >= minPepperBits, {
      message: `must carry at least ${minPepperBits} bits of entropy (length × Shannon entropy of its characters): use \`openssl rand -base64 32\``,
    })
    .optional(),
  TESSERA_HOST: z.string().min(1).default("127.0.0.1"),
  TESSERA_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Namespaces Redis channels and keys, so that deployments (and test runs) can share a Redis.
  TESSERA_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/).default("tessera"),
};
