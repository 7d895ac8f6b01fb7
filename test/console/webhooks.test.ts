import { AxeBuilder } from "@axe-core/playwright";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrincipalKind, Role } from "@tessera/shared/gen/tessera/v1/identity_pb";
import { eventually } from "../support/clients.js";
import { startDeployment, type Deployment } from "../support/deployment.js";
import { webhookClient, type WebhookClient } from "../support/webhook-client.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";
import { createThroughDialog, goTo, launchBrowser, openConsole, signInWithPassword, signInWithToken, waitForFocus, type ConsolePage } from "./support/console-browser.js";

// Webhooks through the console, as an organisation admin: add an endpoint that
// points at a real receiver, see its secret once, create a token, and the
// receiver verifies the token.created delivery with that secret (standardwebhooks);
// then the deliveries view, disable, delete behind an alertdialog; axe throughout.

async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")}`));
}

describe("console: webhooks", () => {
  let d: Deployment;
  let browser: Browser;
  let olga: ConsolePage;
  let api: WebhookClient;
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    [d, browser] = await Promise.all([startDeployment({
        TESSERA_WEBHOOK_ALLOW_PRIVATE: "true",
        TESSERA_WEBHOOK_POLL_MS: "100",
        // A short retry window, so a failing receiver's delivery becomes a dead letter within the test.
        TESSERA_WEBHOOK_RETRY_FOR_MS: "1500",
        TESSERA_WEBHOOK_BACKOFF_MS: "100",
        TESSERA_WEBHOOK_BACKOFF_MAX_MS: "200",
      }), launchBrowser()]);
    api = webhookClient(d.admin.port, d.admin.bootstrapped!.adminToken);
    const org = (await d.adminApi.createOrganisation({ name: "hooks" })).organisation!;
    await d.adminApi.createPrincipal({ organisationId: org.id, name: "olga", kind: PrincipalKind.HUMAN, role: Role.ORG_ADMIN, permissions: ["orders:read"], password: "correct horse battery" });
    olga = await openConsole(browser, d.admin.port);
    await signInWithPassword(olga.page, "hooks", "olga", "correct horse battery");
  });
  afterAll(async () => {
    await olga?.close();
    await browser?.close();
    await d?.close();
    await receiver.stop();
  });

  it("adds an endpoint, shows its secret once, and a token created in the console arrives signed with it", async () => {
    const { page } = olga;
    await goTo(page, "Webhooks");
    await page.getByText("No webhook endpoint yet.").waitFor();
    expect(await violations(page)).toEqual([]);

    await page.getByRole("button", { name: "Add endpoint" }).click();
    const add = page.getByRole("dialog", { name: "Add a webhook endpoint" });
    await waitForFocus(add.getByLabel("URL"));
    await add.getByLabel("URL").fill(receiver.url);
    expect(await violations(page)).toEqual([]);
    // No event ticked: token-admin refuses, and its words are shown.
    await add.getByRole("button", { name: "Add endpoint" }).click();
    await add.getByRole("alert").filter({ hasText: /event/i }).waitFor();
    expect((await api.listWebhookEndpoints({})).endpoints).toEqual([]);

    await add.getByRole("checkbox", { name: "token.created" }).check();
    await add.getByRole("button", { name: "Add endpoint" }).click();
    const secretDialog = page.getByRole("dialog", { name: `Signing secret for ${receiver.url}` });
    const secret = await secretDialog.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_/);
    await waitForFocus(secretDialog.getByRole("button", { name: "Copy" }));
    expect(await violations(page)).toEqual([]);
    await secretDialog.getByRole("button", { name: "Copy" }).click();
    await secretDialog.getByRole("status").filter({ hasText: "Copied" }).waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(secret);
    await secretDialog.getByRole("button", { name: "Close" }).click();
    await secretDialog.getByRole("button", { name: "Yes, close" }).click();
    await secretDialog.waitFor({ state: "detached" });
    // Once: the page holds it nowhere after the dialog closed.
    expect(await page.content()).not.toContain(secret);
    receiver.secret = secret;

    const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: receiver.url }) });
    await row.getByText("token.created").waitFor();
    await row.getByText("Enabled").waitFor();
    const [endpoint] = (await api.listWebhookEndpoints({})).endpoints;
    expect(endpoint?.url).toBe(receiver.url);

    await goTo(page, "My tokens");
    await createThroughDialog(page, async (dialog) => {
      await dialog.getByLabel("Name", { exact: true }).fill("hooked");
      await dialog.getByLabel("orders:read").check();
    });
    await eventually(async () => receiver.received.some((r) => r.type === "token.created"), 10_000);
    const delivery = receiver.received.find((r) => r.type === "token.created")!;
    expect((delivery.data.token as { name: string }).name).toBe("hooked");
    expect(receiver.rejected).toBe(0);

    // The endpoint's deliveries, filtered to those delivered.
    await goTo(page, "Webhooks");
    await row.getByRole("link", { name: receiver.url }).click();
    await page.getByRole("heading", { level: 2, name: `Deliveries to ${receiver.url}` }).waitFor();
    await page.getByLabel("State").selectOption({ label: "Delivered" });
    const deliveredRow = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: delivery.id }) });
    await deliveredRow.getByText("Delivered").waitFor();
    await page.getByLabel("State").selectOption({ label: "Dead" });
    await page.getByText("No delivery in state Dead.").waitFor();
    expect(await violations(page)).toEqual([]);
  });

  it("rotates (secret shown once), disables, and deletes behind an alertdialog that keeps focus", async () => {
    const { page } = olga;
    await goTo(page, "Webhooks");
    const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: receiver.url }) });

    await row.getByRole("button", { name: `Rotate secret of ${receiver.url}` }).click();
    const rotate = page.getByRole("dialog", { name: `Rotate the secret of ${receiver.url}` });
    await rotate.getByLabel("The old secret keeps signing").selectOption({ label: "Not at all: it stops at once" });
    expect(await violations(page)).toEqual([]);
    await rotate.getByRole("button", { name: "Rotate secret" }).click();
    const secretDialog = page.getByRole("dialog", { name: `New signing secret for ${receiver.url}` });
    const rotated = await secretDialog.getByLabel("Signing secret").inputValue();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(receiver.secret);
    await secretDialog.getByRole("button", { name: "Close" }).click();
    await secretDialog.getByRole("button", { name: "Yes, close" }).click();
    await secretDialog.waitFor({ state: "detached" });
    receiver.secret = rotated;

    await row.getByRole("button", { name: `Disable ${receiver.url}` }).click();
    await row.getByText("Disabled").waitFor();
    await page.getByRole("status").filter({ hasText: `Disabled ${receiver.url}.` }).waitFor();
    expect((await api.listWebhookEndpoints({})).endpoints[0]?.enabled).toBe(false);

    const opener = row.getByRole("button", { name: `Delete ${receiver.url}` });
    await opener.click();
    const confirm = page.getByRole("alertdialog", { name: `Delete the endpoint ${receiver.url}?` });
    await waitForFocus(confirm.getByRole("button", { name: "Cancel" }));
    expect(await violations(page)).toEqual([]);
    // Focus stays inside: the browser's own UI may take it from the last control (then body is active), the page behind never.
    let escaped = 0;
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press(i % 5 === 4 ? "Shift+Tab" : "Tab");
      if ((await page.evaluate("document.activeElement !== document.body && !document.activeElement.closest('dialog')")) as boolean) escaped++;
    }
    expect(escaped).toBe(0);
    await page.keyboard.press("Escape");
    await confirm.waitFor({ state: "detached" });
    await waitForFocus(opener);
    expect((await api.listWebhookEndpoints({})).endpoints).toHaveLength(1);

    await opener.click();
    await confirm.getByRole("button", { name: "Delete" }).click();
    await confirm.waitFor({ state: "detached" });
    await page.getByRole("status").filter({ hasText: `Deleted ${receiver.url}.` }).waitFor();
    await page.getByText("No webhook endpoint yet.").waitFor();
    expect((await api.listWebhookEndpoints({})).endpoints).toEqual([]);
    // Under the strict CSP nothing on these screens was refused, nothing threw, and no secret was logged.
    const said = olga.consoleLines.join("\n");
    expect(said).not.toMatch(/Content Security Policy|pageerror/);
    expect(said).not.toContain("whsec_");
  });

  it("an admin adds an instance endpoint; a dead letter shows in the deliveries view and Replay sends it again", async () => {
    const failing = new WebhookReceiver();
    await failing.start();
    failing.mode = "fail";
    const admin = await openConsole(browser, d.admin.port);
    try {
      const { page } = admin;
      await signInWithToken(page, d.admin.bootstrapped!.adminToken);
      await goTo(page, "Webhooks");
      await page.getByRole("button", { name: "Add endpoint" }).click();
      const add = page.getByRole("dialog", { name: "Add a webhook endpoint" });
      await add.getByLabel("URL").fill(failing.url);
      await add.getByLabel("Events from").selectOption({ label: "The whole instance (every organisation)" });
      await add.getByRole("checkbox", { name: "token.created" }).check();
      expect(await violations(page)).toEqual([]);
      await add.getByRole("button", { name: "Add endpoint" }).click();
      const secretDialog = page.getByRole("dialog", { name: `Signing secret for ${failing.url}` });
      failing.secret = await secretDialog.getByLabel("Signing secret").inputValue();
      await secretDialog.getByRole("button", { name: "Close" }).click();
      await secretDialog.getByRole("button", { name: "Yes, close" }).click();
      await secretDialog.waitFor({ state: "detached" });

      const endpointId = (await api.listWebhookEndpoints({})).endpoints.find((e) => e.url === failing.url)!.id;
      expect((await api.listWebhookEndpoints({})).endpoints.find((e) => e.id === endpointId)?.organisationId).toBe("");
      await d.adminApi.createToken({ name: "undelivered", scopes: ["orders:read"] });
      await eventually(async () => (await api.listWebhookEndpoints({})).endpoints.find((e) => e.id === endpointId)!.deadDeliveries === 1n, 15_000);

      await page.reload();
      await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
      const row = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: failing.url }) });
      await row.getByText("Instance (every organisation)").waitFor();
      await row.getByRole("cell", { name: "1", exact: true }).waitFor();
      await row.getByRole("link", { name: failing.url }).click();
      await page.getByLabel("State").selectOption({ label: "Dead" });
      const deadRow = page.getByRole("row").filter({ has: page.getByText("token.created") });
      await deadRow.getByText("Dead").waitFor();
      await deadRow.getByText(/500/).waitFor();
      expect(await violations(page)).toEqual([]);

      failing.mode = "ok";
      await deadRow.getByRole("button", { name: /^Replay delivery / }).click();
      await page.getByRole("status").filter({ hasText: "Replayed 1 delivery." }).waitFor();
      await eventually(async () => failing.received.some((r) => r.type === "token.created" && (r.data.token as { name: string }).name === "undelivered"), 10_000);
      expect(failing.rejected).toBe(0);
      await api.deleteWebhookEndpoint({ endpointId });
    } finally {
      await admin.close();
      await failing.stop();
    }
  });
});
