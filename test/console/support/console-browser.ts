import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";

/** Debian's Chromium: `npx playwright install` cannot download browsers here, and CI installs this package. */
export const chromiumPath = process.env.TESSERA_CHROMIUM ?? "/usr/bin/chromium";

/** One headless Chromium per test file; pages come from contexts (axe needs that). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}

/** Everything the page said on its console and every uncaught error, for tests that read them. */
export interface ConsolePage {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly consoleLines: string[];
  close(): Promise<void>;
}

/** A fresh context (its own sessionStorage) on the console at `port`, clipboard allowed. */
export async function openConsole(browser: Browser, port: number): Promise<ConsolePage> {
  const origin = `http://127.0.0.1:${port}`;
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, baseURL: origin });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  const page = await context.newPage();
  // Fail fast and say where, well inside the test timeout.
  page.setDefaultTimeout(8000);
  const consoleLines: string[] = [];
  page.on("console", (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => consoleLines.push(`pageerror: ${error.message}`));
  await page.goto("/");
  return { page, context, consoleLines, close: () => context.close() };
}

/** Signs in by pasting a token, as the built-in admin does on a first visit. */
export async function signInWithToken(page: Page, token: string): Promise<void> {
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in with token" }).click();
  await page.getByRole("heading", { level: 1, name: "My tokens" }).waitFor();
}

/** Signs in with organisation, user name and password. */
export async function signInWithPassword(page: Page, organisation: string, user: string, password: string): Promise<void> {
  await page.getByLabel("Organisation").fill(organisation);
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "My tokens" }).waitFor();
}

/** Goes to a screen by its navigation link, as a person would. */
export async function goTo(page: Page, screen: string): Promise<void> {
  await page.getByRole("navigation", { name: "Screens" }).getByRole("link", { name: screen, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: screen }).waitFor();
}

/** The row of the token table whose name cell starts with `name`. */
export function tokenRow(page: Page, name: string) {
  return page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`) }) });
}

/**
 * Creates a token through the create dialog: `fill` sets the fields, then
 * Create; returns the value the secret dialog shows once, and closes it the way
 * a person does (Close, then confirm).
 */
export async function createThroughDialog(page: Page, fill: (dialog: ReturnType<Page["getByRole"]>) => Promise<void>): Promise<string> {
  await page.getByRole("button", { name: "Create token" }).first().click();
  const dialog = page.getByRole("dialog", { name: "Create a token" });
  await fill(dialog);
  await dialog.getByRole("button", { name: "Create token" }).click();
  const secret = page.getByRole("dialog", { name: /^Your new token/ });
  const value = await secret.getByLabel("Token value").inputValue();
  await secret.getByRole("button", { name: "Close" }).click();
  await secret.getByRole("button", { name: "Yes, close" }).click();
  await secret.waitFor({ state: "detached" });
  return value;
}

/** Waits (up to `timeoutMs`) until `locator` has focus; throws if it never does. */
export async function waitForFocus(locator: Locator, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!(await locator.evaluate((el) => el === el.ownerDocument.activeElement).catch(() => false))) {
    if (Date.now() - started > timeoutMs) throw new Error(`never focused: ${locator}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
