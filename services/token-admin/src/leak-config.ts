import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseGithubKeys, type GithubKeys } from "./crypto/github-signature.js";

/** GitHub secret scanning's signing keys as JSON (see parseGithubKeys), inline or from a file. */
const githubKeysJson = () =>
  z
    .string()
    .min(1)
    .optional()
    .transform((json, ctx): GithubKeys | undefined => {
      if (json === undefined) return undefined;
      try {
        return parseGithubKeys(json);
      } catch (err) {
        ctx.issues.push({ code: "custom", message: (err as Error).message, input: "(hidden)" });
        return z.NEVER;
      }
    });

const githubKeysFile = () =>
  z
    .string()
    .min(1)
    .optional()
    .transform((path, ctx): GithubKeys | undefined => {
      if (path === undefined) return undefined;
      let json: string;
      try {
        json = readFileSync(path, "utf8");
      } catch (err) {
        ctx.issues.push({ code: "custom", message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`, input: path });
        return z.NEVER;
      }
      try {
        return parseGithubKeys(json);
      } catch (err) {
        ctx.issues.push({ code: "custom", message: `${path}: ${(err as Error).message}`, input: path });
        return z.NEVER;
      }
    });

/** The leak-response and honeytoken settings of token-admin's environment. */
export const leakEnv = {
  // Unauthenticated leak reports (POST /v1/leaks) each source address may make per minute; signed GitHub reports are exempt.
  TESSERA_LEAK_REPORTS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
  // GitHub secret scanning's public keys: GitHub's /meta/public_keys/secret_scanning answer, or {"<key id>": "<PEM>"}.
  TESSERA_GITHUB_SCANNING_KEYS: githubKeysJson(),
  TESSERA_GITHUB_SCANNING_KEYS_FILE: githubKeysFile(),
  // How often validators' honeytoken alarms are taken from the bus and audited.
  TESSERA_HONEYTOKEN_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
};

/** The leak settings, from a parsed environment: keys from both sources merged (the file's win on a clash). */
export function leakSettingsOf(env: {
  TESSERA_LEAK_REPORTS_PER_MINUTE: number;
  TESSERA_GITHUB_SCANNING_KEYS?: GithubKeys | undefined;
  TESSERA_GITHUB_SCANNING_KEYS_FILE?: GithubKeys | undefined;
  TESSERA_HONEYTOKEN_POLL_MS: number;
}) {
  return {
    leakReports: { perSource: env.TESSERA_LEAK_REPORTS_PER_MINUTE, windowMs: 60_000, maxSources: 10_000 },
    githubKeys: new Map([...(env.TESSERA_GITHUB_SCANNING_KEYS ?? []), ...(env.TESSERA_GITHUB_SCANNING_KEYS_FILE ?? [])]) as GithubKeys,
    honeytokenPollMs: env.TESSERA_HONEYTOKEN_POLL_MS,
  };
}
