import { createHash } from "node:crypto";

/** A stable uuid for a name a test reads better ("t1", "parent"): token ids must be uuids. */
export function namedUuid(name: string): string {
  const hex = createHash("sha256").update(name).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
