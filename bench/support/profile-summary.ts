import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** The top functions of a .cpuprofile by self time, as shares of all sampled (non-idle) time. */
export function topSelfTime(path: string, limit = 25): { name: string; share: number }[] {
  const profile = JSON.parse(readFileSync(path, "utf8")) as { nodes: ProfileNode[]; samples: number[] };
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byName = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") continue;
    const file = url.replace(/^.*\/(node_modules\/|services\/|packages\/)/, "$1");
    const name = `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
    byName.set(name, (byName.get(name) ?? 0) + count);
    busy += count;
  }
  return [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, count]) => ({ name, share: count / busy }));
}

if (process.argv[1]?.endsWith("profile-summary.ts")) {
  for (const { name, share } of topSelfTime(process.argv[2]!, Number(process.argv[3] ?? 25))) {
    process.stdout.write(`${(share * 100).toFixed(1).padStart(5)}%  ${name}\n`);
  }
}
