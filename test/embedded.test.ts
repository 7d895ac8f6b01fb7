import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnService, type SpawnedService } from "./support/spawn-service.js";
import { lateDenials, runTokenSlice } from "./support/token-slice.js";

/** Scheduling on a busy two-core machine. */
const marginMs = 500;

describe("embedded mode (npm start): one process, PGlite, in-process bus", () => {
  let dataDir: string;
  let tessera: SpawnedService;
  let adminPort: number;
  let validatorPort: number;
  let adminToken: string;

  beforeAll(async () => {
    // A folder Tessera creates itself (mkdtemp's would be 0700 already).
    dataDir = join(mkdtempSync(join(tmpdir(), "tessera-embedded-")), "data");
    tessera = spawnService("embedded", { TESSERA_SHUTDOWN_DELAY_MS: "0", TESSERA_DATA_DIR: dataDir, TESSERA_ADMIN_PORT: "0", TESSERA_VALIDATOR_PORT: "0", TESSERA_VALIDATOR_HTTP_PORT: "0" });
    const ready = await tessera.waitForLog((l) => l.msg === "tessera embedded: ready", 60_000);
    adminPort = Number(ready.adminPort);
    validatorPort = Number(ready.validatorPort);
    adminToken = await tessera.waitForText(/TESSERA_TOKEN=(tsr_pat_\w+)/);
  });

  afterAll(async () => {
    await tessera?.stop();
    rmSync(join(dataDir, ".."), { recursive: true, force: true });
  });

  it("prints the one-time admin token and copy-paste examples", () => {
    const banner = tessera.lines.join("\n");
    expect(banner).toContain("curl -s http://127.0.0.1:");
    expect(banner).toContain("buf curl --protocol grpc");
    expect(banner).toMatch(/curl -si http:\/\/127\.0\.0\.1:\d+\/auth\?scope=orders:read/);
  });

  it("does the whole slice, and refuses every revoked token within the poll interval (counted over 10 trials)", async () => {
    await runTokenSlice(adminPort, adminToken, [validatorPort]);
    // The default poll interval is one second; the in-process feed usually brings it in a millisecond.
    expect(await lateDenials(adminPort, adminToken, [validatorPort], 10, 1000 + marginMs)).toEqual([]);
  });

  it("keeps its data folder and every file in it to its owner alone (0700 / 0600)", () => {
    expect(statSync(join(dataDir, "pepper")).mode & 0o077).toBe(0);
    const entries = readdirSync(dataDir, { recursive: true, encoding: "utf8" }).map((entry) => join(dataDir, entry));
    expect(entries.length).toBeGreaterThan(100); // PGlite's own files are among them
    const open = [dataDir, ...entries].filter((path) => (statSync(path).mode & 0o077) !== 0);
    expect(open).toEqual([]);
  });
});
