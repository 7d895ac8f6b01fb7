import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { createThroughDialog, launchBrowser, openConsole, signInWithPassword, tokenRow } from "./support/console-browser.js";

// Seed: a service desk's "Access Tokens" screen: one user, one API resource,
// the value shown once, expiry at midnight of the chosen date in the org's zone, date of last use.

describe("console: service-desk access tokens", () => {
  let d: Deployment;
  let browser: Browser;

  beforeAll(async () => {
    [d, browser] = await Promise.all([startDeployment(), launchBrowser()]);
    const org = (await d.adminApi.createOrganisation({ name: "servicedesk", settings: { timeZone: "Europe/Berlin" } })).organisation!;
    await d.adminApi.createPrincipal({ organisationId: org.id, name: "sam", kind: PrincipalKind.HUMAN, permissions: ["tickets:read", "tickets:write"], password: "correct horse battery" });
  });
  afterAll(async () => {
    await browser?.close();
    await d?.close();
  });

  it("a calendar-date expiry ends at that date's midnight in the organisation's zone, and the table says so", async () => {
    const { page, close } = await openConsole(browser, d.admin.port);
    await signInWithPassword(page, "servicedesk", "sam", "correct horse battery");
    await createThroughDialog(page, async (dialog) => {
      await dialog.getByLabel("Name", { exact: true }).fill("ticket export");
      await dialog.getByLabel("tickets:read").check();
      await dialog.getByLabel("Expires").selectOption({ label: "At the end of a date…" });
      await dialog.getByLabel("Last day").fill("2031-12-31");
      expect(await dialog.getByText("midnight at the end of this date in Europe/Berlin").count()).toBe(1);
    });
    expect(await page.getByRole("columnheader", { name: "Expires (Europe/Berlin)" }).count()).toBe(1);
    await tokenRow(page, "ticket export").getByRole("cell", { name: "End of 31 Dec 2031" }).waitFor();
    const sam = (await d.adminApi.listTokens({ nameContains: "ticket export" })).tokens[0]!;
    // Midnight in Berlin (UTC+1 in winter) at the end of 31 December.
    expect(timestampDate(sam.expireTime!).toISOString()).toBe("2031-12-31T23:00:00.000Z");
    await close();
  });

  it("the value is shown once, copied without being announced, and gone after close — from the page, storage, URL and log", async () => {
    const { page, context, consoleLines, close } = await openConsole(browser, d.admin.port);
    await signInWithPassword(page, "servicedesk", "sam", "correct horse battery");
    await page.getByRole("button", { name: "Create token" }).click();
    const dialog = page.getByRole("dialog", { name: "Create a token" });
    await dialog.getByLabel("Name", { exact: true }).fill("one look");
    await dialog.getByLabel("tickets:write").check();
    await dialog.getByRole("button", { name: "Create token" }).click();
    const secret = page.getByRole("dialog", { name: "Your new token “one look”" });
    const value = await secret.getByLabel("Token value").inputValue();
    expect(value).toMatch(/^tsr_pat_\w{36}$/);
    expect(await secret.getByText("You will not see it again.").count()).toBe(1);
    await secret.getByRole("button", { name: "Copy" }).click();
    await secret.getByRole("status").filter({ hasText: /^Copied$/ }).waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(value);
    // Escape asks first; "Go back" keeps the value on screen.
    await page.keyboard.press("Escape");
    await secret.getByRole("button", { name: "Go back" }).click();
    expect(await secret.getByLabel("Token value").inputValue()).toBe(value);
    await secret.getByRole("button", { name: "Close" }).click();
    await secret.getByRole("button", { name: "Yes, close" }).click();
    await secret.waitFor({ state: "detached" });

    expect(await page.content()).not.toContain(value);
    const stored = (await page.evaluate("JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage), document.cookie])")) as string;
    expect(stored).not.toContain(value);
    expect((await context.cookies()).length).toBe(0);
    expect(page.url()).not.toContain(value);
    expect(consoleLines.join("\n")).not.toContain(value);
    expect((await d.validation.validate(value, "tickets:write")).valid).toBe(true);
    await close();
  });

  it("shows the date of last use and where from", async () => {
    const created = await d.adminApi.createToken({ name: "used", scopes: [], ownerId: (await d.adminApi.listPrincipals({ organisationId: (await d.adminApi.listOrganisations({})).organisations.find((o) => o.name === "servicedesk")!.id })).principals[0]!.id });
    // Valid once the validator has applied the creation (the feed brings it within milliseconds).
    await eventually(async () => (await d.validation.validate(created.tokenValue)).valid, 5000);
    await eventually(async () => (await d.adminApi.getToken({ tokenId: created.token!.id })).token?.lastUsedTime !== undefined, 5000);
    const { page, close } = await openConsole(browser, d.admin.port);
    await signInWithPassword(page, "servicedesk", "sam", "correct horse battery");
    const row = tokenRow(page, "used");
    await row.getByText("just now").waitFor();
    await row.getByText("from grpc").waitFor();
    await close();
  });
});
