import { readFileSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { createTokenFormat, defaultTokenFormat, type TokenFormat, type TokenKindName } from "@tessera/shared/token/token-format";

// The detection rules published in docs/leak-detection.md, read from the file
// itself and applied as each scanner applies them. gitleaks and trufflehog are
// not installed here: their TOML and YAML are parsed and their regular
// expressions (plus gitleaks' keyword and entropy filters) applied with
// JavaScript's RegExp, in syntax RE2 reads the same way.

const doc = readFileSync(new URL("../../docs/leak-detection.md", import.meta.url), "utf8");

/** The fenced block after `<!-- rule: name -->`. */
function ruleBlock(name: string): string {
  const match = new RegExp(`<!-- rule: ${name} -->\\s*\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(doc);
  if (!match) throw new Error(`no ${name} rule in docs/leak-detection.md`);
  return match[1]!;
}

/** The documented rules are for "tsr"; a deployment replaces the prefix, as the doc says. */
const forPrefix = (text: string, prefix: string) => text.replaceAll("tsr", prefix);

/** gitleaks' Shannon entropy of a secret, in bits per character. */
function shannon(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) bits -= (count / text.length) * Math.log2(count / text.length);
  return bits;
}

type Scanner = (text: string) => string[];

function githubScanner(prefix: string): Scanner {
  const fields = Object.fromEntries(
    forPrefix(ruleBlock("github-custom-pattern"), prefix)
      .split("\n")
      .filter((line) => line.includes(":"))
      .map((line) => [line.slice(0, line.indexOf(":")).trim(), line.slice(line.indexOf(":") + 1).trim()]),
  );
  // GitHub joins the three fields; \A and \z are the input's start and end.
  const js = (part: string) => part.replaceAll("\\A", "^").replaceAll("\\z", "$");
  const regex = new RegExp(`(?:${js(fields["Before secret"]!)})(${fields["Secret format"]})(?=${js(fields["After secret"]!)})`, "g");
  return (text) => [...text.matchAll(regex)].map((m) => m[1]!);
}

function gitleaksScanner(prefix: string): Scanner {
  const config = parseToml(forPrefix(ruleBlock("gitleaks"), prefix)) as { rules: { regex: string; secretGroup: number; entropy: number; keywords: string[] }[] };
  const [rule] = config.rules;
  const regex = new RegExp(rule!.regex, "g");
  return (text) => {
    // gitleaks runs a rule only on fragments holding one of its keywords (case-insensitive).
    if (!rule!.keywords.some((keyword) => text.toLowerCase().includes(keyword.toLowerCase()))) return [];
    return [...text.matchAll(regex)].map((m) => m[rule!.secretGroup]!).filter((secret) => shannon(secret) >= rule!.entropy);
  };
}

function trufflehogScanner(prefix: string): Scanner {
  const config = parseYaml(forPrefix(ruleBlock("trufflehog"), prefix)) as { detectors: { keywords: string[]; regex: Record<string, string> }[] };
  const [detector] = config.detectors;
  const regexes = Object.values(detector!.regex).map((source) => new RegExp(source, "g"));
  return (text) => {
    if (!detector!.keywords.some((keyword) => text.toLowerCase().includes(keyword.toLowerCase()))) return [];
    return regexes.flatMap((regex) => [...text.matchAll(regex)].map((m) => m[1] ?? m[0]));
  };
}

const scanners: [string, (prefix: string) => Scanner][] = [
  ["GitHub custom pattern", githubScanner],
  ["gitleaks", gitleaksScanner],
  ["trufflehog", trufflehogScanner],
];
const kinds: TokenKindName[] = ["personal", "exchanged", "session"];
const notBase62 = ["-", ".", "+", "/", "=", " ", "\n", '"', "é"];

/** Places a token can sit in a file, a log line or a URL. */
const contexts = (token: string) => [
  token,
  `export TESSERA_TOKEN=${token}`,
  `{"token":"${token}","scope":"orders:read"}`,
  `Authorization: Bearer ${token}\r\n`,
  `https://api.example/orders?access_token=${token}&page=2`,
  `const key = '${token}';`,
  `line one\n${token}\nline three`,
];

/** Strings a scanner must not report: one per way a near miss can go wrong. */
function nearMisses(format: TokenFormat, token: string): string[] {
  const prefixLength = format.issuer.length + 5;
  const misses = [
    token.slice(0, -1), // truncated
    token.slice(1), // lost its first character
    `${token}x`, // one character too many
    `${token.slice(0, -1)}${token.slice(-1)}0`,
    token.toUpperCase().slice(0, prefixLength) + token.slice(prefixLength), // prefix in upper case
    token.replace(`${format.issuer}_`, "ghp_"), // another issuer's prefix
    token.replace("_pat_", "_pax_").replace("_bat_", "_bax_").replace("_ses_", "_sex_"), // unknown kind
    `x${token}`, // glued to a word
    `_${token}`,
  ];
  // The issuer prefix with one letter changed.
  for (let i = 0; i < format.issuer.length; i++) misses.push(token.slice(0, i) + (token[i] === "q" ? "r" : "q") + token.slice(i + 1));
  // Any character of the body or checksum replaced by one outside base62.
  for (let i = prefixLength; i < token.length; i++) for (const ch of notBase62) misses.push(token.slice(0, i) + ch + token.slice(i + 1));
  return misses;
}

describe.each(["tsr", "acme"])("the detection rules in docs/leak-detection.md, for prefix %s", (prefix) => {
  const format = createTokenFormat(prefix);

  describe.each(scanners)("%s", (_name, scannerFor) => {
    const scan = scannerFor(prefix);

    it("finds every fresh token of every kind, wherever it sits, as exactly that token", () => {
      for (let i = 0; i < 300; i++) {
        const token = format.generate(kinds[i % 3]);
        for (const text of contexts(token)) expect(scan(text), text).toEqual([token]);
      }
    });

    it("finds none of the near misses", () => {
      for (let i = 0; i < 30; i++) {
        const token = format.generate(kinds[i % 3]);
        for (const miss of nearMisses(format, token)) {
          // Only a miss that is not itself a well-formed token: a suffix swap can make one by chance.
          if (format.parse(miss) !== undefined) continue;
          expect(scan(miss), JSON.stringify(miss)).toEqual([]);
        }
      }
    });

    it("does not find another deployment's tokens", () => {
      const other = createTokenFormat(prefix === "tsr" ? "acme" : "tsr");
      for (let i = 0; i < 50; i++) expect(scan(other.generate())).toEqual([]);
    });
  });
});

describe("gitleaks' entropy filter", () => {
  it("passes every fresh token and drops low-entropy placeholders of the right shape", () => {
    const scan = gitleaksScanner("tsr");
    for (let i = 0; i < 1000; i++) expect(scan(defaultTokenFormat.generate(kinds[i % 3]))).toHaveLength(1);
    for (const placeholder of ["a".repeat(36), "0".repeat(36), "abcd".repeat(9), "xxxxxxxxxxxxxxxxxxYYYYYYYYYYYYYYYYYY"]) expect(scan(`tsr_pat_${placeholder}`)).toEqual([]);
  });
});

describe("what a regular expression cannot see", () => {
  it("a base62 character replaced by another matches every rule's format, and the checksum refuses it", () => {
    const token = defaultTokenFormat.generate();
    const i = 20;
    const changed = token.slice(0, i) + (token[i] === "a" ? "b" : "a") + token.slice(i + 1);
    for (const [, scannerFor] of scanners) expect(scannerFor("tsr")(changed)).toEqual([changed]);
    expect(defaultTokenFormat.parse(changed)).toBeUndefined();
  });
});
