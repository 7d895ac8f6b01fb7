import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { createThroughDialog, goTo, launchBrowser, openConsole, signInWithPassword, tokenRow, type ConsolePage } from "./support/console-browser.js";

// Seed: an ERP's "API tokens" table: a feature flag, technical users only,
// expiry defaulting to today, remove (kept with a removal date) versus delete.

describe("console: ERP technical-user tokens", () => {
  let d: Deployment;
  let browser: Browser;
  let admin: ConsolePage;
  let orgId: string;

  beforeAll(async () => {
    [d, browser] = await Promise.all([startDeployment(), launchBrowser()]);
    orgId = (
      await d.adminApi.createOrganisation({ name: "erp", settings: { technicalUsersOnly: true, allowNoExpiry: false, timeZone: "Asia/Tokyo", defaultExpiry: { kind: { case: "endOfToday", value: true } } } })
    ).organisation!.id;
    await d.adminApi.createPrincipal({ organisationId: orgId, name: "erika", kind: PrincipalKind.HUMAN, role: Role.ORG_ADMIN, permissions: ["sales:read", "sales:write"], password: "correct horse battery" });
    await d.adminApi.createPrincipal({ organisationId: orgId, name: "batch", kind: PrincipalKind.TECHNICAL, permissions: ["sales:read"] });
    await d.adminApi.createPrincipal({ organisationId: orgId, name: "hans", kind: PrincipalKind.HUMAN, permissions: ["sales:read"] });
    admin = await openConsole(browser, d.admin.port);
    await signInWithPassword(admin.page, "erp", "erika", "correct horse battery");
  });
  afterAll(async () => {
    await admin?.close();
    await browser?.close();
    await d?.close();
  });

  it("offers only active technical users as owners, and expiry defaults to the end of today in the organisation's zone", async () => {
    const { page } = admin;
    await goTo(page, "All tokens");
    const value = await createThroughDialog(page, async (dialog) => {
      await dialog.getByLabel("Name", { exact: true }).fill("nightly export");
      const owners = await dialog.getByLabel("Owner", { exact: true }).locator("option").allTextContents();
      expect(owners).toEqual(["batch"]);
      await dialog.getByLabel("Owner", { exact: true }).selectOption({ label: "batch" });
      expect(await dialog.getByLabel("Expires").inputValue()).toBe("date");
      await dialog.getByLabel("sales:read").check();
    });
    const token = (await d.adminApi.listTokens({ nameContains: "nightly export" })).tokens[0]!;
    const tokyoMidnight = timestampDate(token.expireTime!);
    expect(tokyoMidnight.getUTCHours()).toBe(15); // 00:00 in Tokyo (UTC+9)
    expect(tokyoMidnight.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    await eventually(async () => (await d.validation.validate(value, "sales:read")).valid, 3000);
  });

  it("remove (revoke) keeps the row with its removal date and stops it working; delete erases it from the list", async () => {
    const { page } = admin;
    const row = tokenRow(page, "nightly export");
    await row.getByRole("button", { name: "Revoke nightly export" }).click();
    await page.getByRole("alertdialog", { name: "Revoke “nightly export”?" }).getByRole("button", { name: "Revoke" }).click();
    await row.getByText(/^Revoked \d+ \w{3} \d{4}, \d\d:\d\d$/).waitFor();
    const value = (await d.adminApi.listTokens({ nameContains: "nightly export" })).tokens[0]!;
    expect(value.revokeTime).toBeDefined();

    await row.getByRole("button", { name: "Delete nightly export" }).click();
    await page.getByRole("alertdialog", { name: "Delete “nightly export”?" }).getByRole("button", { name: "Delete" }).click();
    await row.waitFor({ state: "detached" });
    expect((await d.adminApi.listTokens({ nameContains: "nightly export" })).tokens).toHaveLength(0);
  });

  it("switching API tokens off in the settings refuses creation, says why, and stops existing tokens", async () => {
    const { page } = admin;
    const existing = await d.adminApi.createToken({ name: "still here", scopes: ["sales:read"], ownerId: (await d.adminApi.listPrincipals({ organisationId: orgId })).principals.find((p) => p.name === "batch")!.id });
    await eventually(async () => (await d.validation.validate(existing.tokenValue)).valid, 3000);

    await goTo(page, "Organisation");
    await page.getByRole("switch", { name: "API tokens enabled" }).uncheck();
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByRole("status").filter({ hasText: "Settings saved. 1 of 1 live validators applied the change." }).waitFor();
    expect((await d.validation.validate(existing.tokenValue)).code).toBe(ValidationCode.TOKENS_DISABLED);

    await goTo(page, "All tokens");
    const create = page.getByRole("button", { name: "Create token" });
    expect(await create.isDisabled()).toBe(true);
    const reason = await create.evaluate((button) => button.ownerDocument.getElementById(button.getAttribute("aria-describedby") ?? "")?.textContent);
    expect(reason).toContain("API tokens are switched off for erp");

    await goTo(page, "Organisation");
    await page.getByRole("switch", { name: "API tokens enabled" }).check();
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByRole("status").filter({ hasText: "Settings saved." }).waitFor();
    await eventually(async () => (await d.validation.validate(existing.tokenValue)).valid, 3000);
  });
});
