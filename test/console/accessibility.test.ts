import { AxeBuilder } from "@axe-core/playwright";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { goTo, launchBrowser, openConsole, signInWithToken, tokenRow, waitForFocus, type ConsolePage } from "./support/console-browser.js";

// Every screen and dialog, checked by axe-core against WCAG 2.1 A and AA, and
// driven by keyboard alone; tables and dialogs checked for the semantics that need code.

/** WCAG violations on the page as it is now: "rule: target" lines, empty when none. */
async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
}


describe("console: accessibility", () => {
  let d: Deployment;
  let browser: Browser;
  let admin: ConsolePage;
  let orgId: string;

  beforeAll(async () => {
    [d, browser] = await Promise.all([startDeployment(), launchBrowser()]);
    orgId = (await d.adminApi.createOrganisation({ name: "axe" })).organisation!.id;
    const group = (await d.adminApi.createGroup({ organisationId: orgId, name: "team" })).group!;
    const tina = (await d.adminApi.createPrincipal({ organisationId: orgId, groupId: group.id, name: "tina", kind: PrincipalKind.HUMAN, role: Role.MEMBER, permissions: ["orders:read"] })).principal!;
    // One token of every status the table shows.
    const make = (name: string, expiry?: { amount: number; unit: number }) =>
      d.adminApi.createToken({ name, scopes: ["orders:read"], ownerId: tina.id, expiry: expiry && { kind: { case: "after", value: expiry } } });
    await make("active");
    await make("soon", { amount: 2, unit: 3 });
    await d.adminApi.revokeToken({ tokenId: (await make("revoked")).token!.id });
    await d.adminApi.disableToken({ tokenId: (await make("disabled")).token!.id });
    await d.adminApi.createToken({ name: "admin's own", scopes: ["orders:read"] });
    admin = await openConsole(browser, d.admin.port);
    expect(await violations(admin.page)).toEqual([]); // the sign-in screen
    await signInWithToken(admin.page, d.admin.bootstrapped!.adminToken);
  });
  afterAll(async () => {
    await admin?.close();
    await browser?.close();
    await d?.close();
  });

  it("every screen has no WCAG A/AA violation", async () => {
    const { page } = admin;
    const screens: [string, () => Promise<void>][] = [
      ["My tokens", () => tokenRow(page, "admin's own").waitFor()],
      ["All tokens", async () => (await page.getByLabel("Organisation").selectOption({ label: "axe" }), await tokenRow(page, "soon").waitFor())],
      ["Organisations", () => page.getByRole("link", { name: "axe" }).waitFor()],
      ["Organisation", () => page.getByRole("button", { name: "Save settings" }).waitFor()],
      ["Audit log", () => page.getByRole("cell", { name: "Revoked token" }).first().waitFor()],
      ["Validators", () => page.getByRole("rowheader").first().waitFor()],
    ];
    for (const [screen, loaded] of screens) {
      await goTo(page, screen);
      await loaded();
      expect({ screen, violations: await violations(page) }).toEqual({ screen, violations: [] });
    }
    // The organisation's tabs and a group page.
    await page.goto(`/#/organisation/${orgId}/tokens`);
    await page.getByRole("heading", { level: 2, name: "Organisation tokens" }).waitFor();
    expect(await violations(page)).toEqual([]);
    await page.goto(`/#/organisation/${orgId}/groups`);
    await page.getByRole("link", { name: "team" }).click();
    await page.getByRole("heading", { level: 2, name: "Group tokens" }).waitFor();
    expect(await violations(page)).toEqual([]);
    await page.getByRole("link", { name: "Members" }).click();
    await page.getByRole("rowheader", { name: "tina" }).waitFor();
    expect(await violations(page)).toEqual([]);
    await page.getByRole("button", { name: "Edit tina" }).click();
    await page.getByRole("dialog", { name: "Edit tina" }).waitFor();
    expect(await violations(page)).toEqual([]);
    await page.keyboard.press("Escape");
    // The check can fail: a field without a label is reported.
    await page.evaluate("document.querySelector('main').append(document.createElement('input'))");
    expect((await violations(page)).some((v) => v.startsWith("label:"))).toBe(true);
    await page.reload();
  });

  it("every dialog has no violation; dialogs keep focus inside and give it back to their opener", async () => {
    const { page } = admin;
    await goTo(page, "My tokens");
    const opener = page.getByRole("button", { name: "Create token" });
    await opener.click();
    const create = page.getByRole("dialog", { name: "Create a token" });
    await waitForFocus(create.getByLabel("Name", { exact: true }));
    expect(await violations(page)).toEqual([]);
    let escaped = 0;
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press(i % 5 === 4 ? "Shift+Tab" : "Tab");
      // The browser's own UI may take focus from the last control (then document.body is active); the page behind never may.
      const outside = (await page.evaluate("document.activeElement !== document.body && !document.activeElement.closest('dialog')")) as boolean;
      if (outside) escaped++;
    }
    expect(escaped).toBe(0);
    await page.keyboard.press("Escape");
    await create.waitFor({ state: "detached" });
    await waitForFocus(opener);

    await tokenRow(page, "admin's own").getByRole("button", { name: "Revoke admin's own" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Revoke “admin's own”?" });
    await confirm.getByText("never used").waitFor();
    expect(await violations(page)).toEqual([]);
    await confirm.getByRole("button", { name: "Cancel" }).click();

    await tokenRow(page, "admin's own").getByRole("button", { name: "Regenerate admin's own" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Regenerate" }).click();
    const secret = page.getByRole("dialog", { name: "New value for “admin's own”" });
    await secret.waitFor();
    expect(await violations(page)).toEqual([]);
    await secret.getByRole("button", { name: "Close" }).click();
    await secret.getByRole("button", { name: "Yes, close" }).click();
  });

  it("creates a token by keyboard alone", async () => {
    const { page } = admin;
    await goTo(page, "My tokens");
    const tabTo = async (locator: ReturnType<Page["getByRole"]>, limit = 40) => {
      for (let i = 0; i < limit; i++) {
        if (await locator.evaluate((el) => el === el.ownerDocument.activeElement).catch(() => false)) return;
        await page.keyboard.press("Tab");
      }
      throw new Error(`Tab never reached ${locator}`);
    };
    const opener = page.getByRole("button", { name: "Create token" });
    await tabTo(opener);
    await page.keyboard.press("Enter");
    const create = page.getByRole("dialog", { name: "Create a token" });
    await waitForFocus(create.getByLabel("Name", { exact: true }));
    await page.keyboard.type("by keyboard");
    await tabTo(create.getByRole("button", { name: "Create token" }));
    await page.keyboard.press("Enter");
    const secret = page.getByRole("dialog", { name: "Your new token “by keyboard”" });
    await waitForFocus(secret.getByRole("button", { name: "Copy" }));
    await page.keyboard.press("Enter");
    await secret.getByText("Copied").waitFor();
    await tabTo(secret.getByRole("button", { name: "Close" }));
    await page.keyboard.press("Enter");
    await waitForFocus(secret.getByRole("button", { name: "Yes, close" }));
    await page.keyboard.press("Enter");
    await secret.waitFor({ state: "detached" });
    await waitForFocus(opener);
    await tokenRow(page, "by keyboard").waitFor();
  });

  it("tables: column headers with scope, a sortable expiry with aria-sort, named row checkboxes, a mixed select-all", async () => {
    const { page } = admin;
    await goTo(page, "All tokens");
    await page.getByLabel("Organisation").selectOption({ label: "axe" });
    await tokenRow(page, "soon").waitFor();
    const headers = page.locator("thead th");
    expect(await headers.count()).toBe(await page.locator('thead th[scope="col"]').count());
    const expires = page.getByRole("columnheader", { name: /^Expires/ });
    expect(await expires.getAttribute("aria-sort")).toBe("none");
    await expires.getByRole("button").click();
    expect(await expires.getAttribute("aria-sort")).toBe("ascending");
    // Ascending: the token expiring in two days comes before those that never expire.
    const names = await page.getByRole("rowheader").allTextContents();
    expect(names[0]).toMatch(/^soon/);
    await expires.getByRole("button").click();
    expect(await expires.getAttribute("aria-sort")).toBe("descending");

    await page.getByRole("checkbox", { name: "Select soon" }).check();
    const all = page.getByRole("checkbox", { name: "Select all tokens on this page" });
    // Native "indeterminate" is what assistive technology hears as aria-checked="mixed".
    await eventually(() => all.evaluate((el) => (el as unknown as { indeterminate: boolean }).indeterminate), 3000);
    await all.click();
    expect(await all.isChecked()).toBe(true);
    const rows = await page.getByRole("rowheader").count();
    await page.getByText(`${rows} selected`).waitFor();
    await all.click();
    await page.getByText("0 selected").waitFor();
  });
});
