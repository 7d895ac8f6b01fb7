import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { ValidationCode } from "@tessera/shared/gen/tessera/v1/validator_pb";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { createThroughDialog, launchBrowser, openConsole, signInWithPassword, tokenRow, waitForFocus, type ConsolePage } from "./support/console-browser.js";

// Seed: personal access tokens as alternative passwords: create, copy, exchange,
// revoke with confirmation, regenerate (new value, same record), status.

describe("console: personal access tokens", () => {
  let d: Deployment;
  let browser: Browser;
  let pat: ConsolePage;

  const create = (name: string) =>
    createThroughDialog(pat.page, async (dialog) => {
      await dialog.getByLabel("Name", { exact: true }).fill(name);
      await dialog.getByLabel("repo:read").check();
    });

  beforeAll(async () => {
    [d, browser] = await Promise.all([startDeployment(), launchBrowser()]);
    const org = (await d.adminApi.createOrganisation({ name: "forge" })).organisation!;
    await d.adminApi.createPrincipal({ organisationId: org.id, name: "pia", kind: PrincipalKind.HUMAN, permissions: ["repo:read", "repo:write"], password: "correct horse battery" });
    pat = await openConsole(browser, d.admin.port);
    await signInWithPassword(pat.page, "forge", "pia", "correct horse battery");
  });
  afterAll(async () => {
    await pat?.close();
    await browser?.close();
    await d?.close();
  });

  it("revoke asks first — focus on Cancel, when and from where it was last used — then the validator refuses it", async () => {
    const { page } = pat;
    const value = await create("laptop");
    expect((await d.validation.validate(value, "repo:read")).valid).toBe(true);
    const id = (await d.adminApi.listTokens({ nameContains: "laptop" })).tokens[0]!.id;
    await eventually(async () => (await d.adminApi.getToken({ tokenId: id })).token?.useSources.length === 1, 5000);

    await tokenRow(page, "laptop").getByRole("button", { name: "Revoke laptop" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Revoke “laptop”?" });
    await waitForFocus(confirm.getByRole("button", { name: "Cancel" }));
    await confirm.getByText(/last used just now \(.*, UTC\) from grpc/).waitFor();
    // …and every place it was used from: here ValidateToken from this machine.
    await confirm.getByRole("list", { name: "Where laptop is used" }).getByText(/ValidateToken \(gRPC\) from 127\.0\.0\.1 — 1 use, last/).waitFor();
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "detached" });
    // Focus went back to the button that opened it, and nothing happened.
    await waitForFocus(tokenRow(page, "laptop").getByRole("button", { name: "Revoke laptop" }));
    expect((await d.validation.validate(value)).valid).toBe(true);

    await tokenRow(page, "laptop").getByRole("button", { name: "Revoke laptop" }).click();
    await confirm.getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("status").filter({ hasText: /Revoked “laptop”\. 1 of 1 live validator applied it\./ }).waitFor();
    await tokenRow(page, "laptop").getByText("Revoked").waitFor();
    expect((await d.validation.validate(value)).code).toBe(ValidationCode.REVOKED);
  });

  it("regenerate keeps the record and gives a new value; the old one is refused", async () => {
    const { page } = pat;
    const old = await create("ci");
    const before = (await d.adminApi.listTokens({ nameContains: "ci" })).tokens.filter((t) => t.name === "ci");
    await tokenRow(page, "ci").getByRole("button", { name: "Regenerate ci" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Regenerate “ci”?" });
    await confirm.getByLabel("The old value keeps working").selectOption({ label: "Not at all: it stops at once" });
    await confirm.getByRole("button", { name: "Regenerate" }).click();
    const secret = page.getByRole("dialog", { name: "New value for “ci”" });
    const fresh = await secret.getByLabel("Token value").inputValue();
    await secret.getByRole("button", { name: "Close" }).click();
    await secret.getByRole("button", { name: "Yes, close" }).click();

    expect(fresh).not.toBe(old);
    const after = (await d.adminApi.listTokens({ nameContains: "ci" })).tokens.filter((t) => t.name === "ci");
    expect(after.map((t) => t.id)).toEqual(before.map((t) => t.id));
    await eventually(async () => (await d.validation.validate(fresh, "repo:read")).valid, 3000);
    expect((await d.validation.validate(old)).valid).toBe(false);
    expect(await tokenRow(page, "ci").count()).toBe(1);
  });

  it("exchanges a token, pasted, for a short-lived bearer token that works", async () => {
    const { page } = pat;
    const value = await create("cli");
    await tokenRow(page, "cli").getByRole("button", { name: "Exchange cli" }).click();
    const dialog = page.getByRole("dialog", { name: "Exchange “cli” for a short-lived token" });
    await dialog.getByLabel(/^Value of /).fill(value);
    await dialog.getByLabel("Lifetime").selectOption({ label: "15 minutes" });
    await dialog.getByRole("button", { name: "Exchange" }).click();
    const secret = page.getByRole("dialog", { name: "Short-lived token from “cli”" });
    const bearer = await secret.getByLabel("Token value").inputValue();
    expect(bearer).toMatch(/^tsr_bat_/);
    await secret.getByRole("button", { name: "Close" }).click();
    await secret.getByRole("button", { name: "Yes, close" }).click();
    await eventually(async () => (await d.validation.validate(bearer, "repo:read")).valid, 3000);
  });

  it("filters by status and searches by name", async () => {
    const { page } = pat;
    await page.getByLabel("Status").selectOption({ label: "Revoked" });
    await tokenRow(page, "laptop").waitFor();
    await tokenRow(page, "ci").waitFor({ state: "detached" });
    await page.getByLabel("Status").selectOption({ label: "Any" });
    await page.getByLabel("Search by name").fill("lap");
    await tokenRow(page, "cli").waitFor({ state: "detached" });
    expect(await tokenRow(page, "laptop").count()).toBe(1);
    await page.getByLabel("Search by name").fill("");
  });
});
