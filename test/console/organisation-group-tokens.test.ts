import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { createThroughDialog, goTo, launchBrowser, openConsole, signInWithPassword, tokenRow } from "./support/console-browser.js";

// Seed: an organisation's and a group's "Access Tokens" tabs: tokens backed by a
// system-made technical user, "assign the admin role", revoke = temporarily disable, delete = permanent.

describe("console: organisation and group tokens", () => {
  let d: Deployment;
  let browser: Browser;
  const password = "correct horse battery";

  const openTab = async (page: Page, tab: string) => {
    await goTo(page, "Organisation");
    await page.getByRole("navigation", { name: "Organisation sections" }).getByRole("link", { name: tab }).click();
  };

  beforeAll(async () => {
    [d, browser] = await Promise.all([startDeployment(), launchBrowser()]);
    const org = (await d.adminApi.createOrganisation({ name: "acme" })).organisation!;
    const ops = (await d.adminApi.createGroup({ organisationId: org.id, name: "ops" })).group!;
    await d.adminApi.createPrincipal({ organisationId: org.id, name: "olga", kind: PrincipalKind.HUMAN, role: Role.ORG_ADMIN, permissions: ["deploy:run", "deploy:read"], password });
    await d.adminApi.createPrincipal({ organisationId: org.id, groupId: ops.id, name: "gary", kind: PrincipalKind.HUMAN, role: Role.GROUP_ADMIN, permissions: ["deploy:read"], password });
  });
  afterAll(async () => {
    await browser?.close();
    await d?.close();
  });

  it("an org admin makes an organisation token with the admin role on the organisation's Access tokens tab", async () => {
    const { page, close } = await openConsole(browser, d.admin.port);
    await signInWithPassword(page, "acme", "olga", password);
    await openTab(page, "Access tokens");
    const value = await createThroughDialog(page, async (dialog) => {
      expect(await dialog.getByRole("radio").count()).toBe(0); // the level is the tab's
      await dialog.getByLabel("Name", { exact: true }).fill("org deployer");
      await dialog.getByLabel("deploy:run").check();
      await dialog.getByLabel("Assign the admin role").check();
    });
    const row = tokenRow(page, "org deployer");
    await row.getByText("admin role").waitFor();
    expect(await row.getByRole("cell", { name: "Organisation", exact: true }).count()).toBe(1);
    const asToken = await d.as(value).getCaller({});
    expect(asToken.principal).toMatchObject({ role: Role.ORG_ADMIN, systemManaged: true, kind: PrincipalKind.TECHNICAL });
    await eventually(async () => (await d.validation.validate(value, "deploy:run")).valid, 3000);
    await close();
  });

  it("a group admin makes a group token on the group's page; disable stops it for a while, enable brings it back", async () => {
    const { page, close } = await openConsole(browser, d.admin.port);
    await signInWithPassword(page, "acme", "gary", password);
    await openTab(page, "Groups");
    await page.getByRole("link", { name: "ops" }).click();
    await page.getByRole("heading", { level: 2, name: "Group tokens" }).waitFor();
    const value = await createThroughDialog(page, async (dialog) => {
      await dialog.getByLabel("Name", { exact: true }).fill("ops bot");
      await dialog.getByLabel("deploy:read").check();
      await dialog.getByLabel("Assign the admin role").check();
    });
    expect((await d.as(value).getCaller({})).principal?.role).toBe(Role.GROUP_ADMIN);
    await eventually(async () => (await d.validation.validate(value, "deploy:read")).valid, 3000);

    const row = tokenRow(page, "ops bot");
    await row.getByRole("button", { name: "Disable ops bot" }).click();
    await row.getByText("Disabled").waitFor();
    expect((await d.validation.validate(value)).code).toBe(ValidationCode.DISABLED);
    await row.getByRole("button", { name: "Enable ops bot" }).click();
    await row.getByText("Active").waitFor();
    await eventually(async () => (await d.validation.validate(value)).valid, 3000);

    // The group admin reaches no organisation token: the org tab lists none.
    await openTab(page, "Access tokens");
    await page.getByRole("heading", { level: 2, name: "Organisation tokens" }).waitFor();
    await page.getByText("No tokens match.").waitFor();
    await close();
  });

  it("delete is permanent: gone from the tab and refused", async () => {
    const { page, close } = await openConsole(browser, d.admin.port);
    await signInWithPassword(page, "acme", "olga", password);
    await openTab(page, "Access tokens");
    const value = await createThroughDialog(page, async (dialog) => {
      await dialog.getByLabel("Name", { exact: true }).fill("short lived");
    });
    await tokenRow(page, "short lived").getByRole("button", { name: "Delete short lived" }).click();
    await page.getByRole("alertdialog", { name: "Delete “short lived”?" }).getByRole("button", { name: "Delete" }).click();
    await tokenRow(page, "short lived").waitFor({ state: "detached" });
    expect((await d.validation.validate(value)).valid).toBe(false);
    await close();
  });

  it("an org admin sees the live validator caught up with the feed head", async () => {
    const { page, close } = await openConsole(browser, d.admin.port);
    await signInWithPassword(page, "acme", "olga", password);
    await goTo(page, "Validators");
    const row = page.getByRole("row").filter({ has: page.getByRole("rowheader") });
    await row.getByText("0 (caught up)").waitFor();
    await row.getByText(/^Current: proven \d+\.\d s ago, heard \d+\.\d s ago$/).waitFor();
    expect(await row.count()).toBe(1);
    await close();
  });
});
