import fs from "node:fs";
import path from "node:path";
import { type Browser, type FrameLocator, type Locator, type Page, chromium } from "playwright-core";

export const CHROMIUM = process.env.DATABRIDGE_CHROMIUM ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Drives the VS Code workbench in code-server through the keyboard and DOM, waiting on selectors only. */
export class Workbench {
  private shot = 0;
  /** Console lines of the page and every frame in it (webviews included). */
  readonly console: string[] = [];

  constructor(
    readonly page: Page,
    private readonly screenshotDir: string,
  ) {
    fs.mkdirSync(screenshotDir, { recursive: true });
  }

  static async open(browser: Browser, url: string, folder: string, screenshotDir: string): Promise<Workbench> {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    const workbench = new Workbench(page, screenshotDir);
    page.on("console", (message) => workbench.console.push(`[${message.type()}] ${message.text()}`));
    await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    return workbench;
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.screenshotDir, `${String(++this.shot).padStart(2, "0")}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Runs a command from the palette by its title. */
  async command(title: string): Promise<void> {
    await this.page.keyboard.press("F1");
    const input = this.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor();
    await input.fill(`>${title}`);
    const row = this.page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first();
    await row.waitFor();
    await this.page.keyboard.press("Enter");
  }

  /** Opens a workspace file (its tab when it is open, else Quick Open) and waits for its editor. */
  async openFile(name: string): Promise<Locator> {
    const tab = this.page.locator(".tabs-container .tab", { hasText: name }).first();
    if (await tab.count()) {
      // Clicking the tab also takes the focus back from a webview, which keeps keystrokes to itself.
      await tab.click();
      await this.page.locator(".tabs-container .tab.active", { hasText: name }).first().waitFor();
      const editor = this.page.locator(".editor-instance .monaco-editor").first();
      await editor.waitFor();
      return editor;
    }
    await this.page.keyboard.press("Control+P");
    const input = this.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor();
    await input.fill(name);
    await this.page.locator(".quick-input-widget .monaco-list-row", { hasText: name }).first().waitFor();
    await this.page.keyboard.press("Enter");
    await this.page.locator(".tabs-container .tab.active", { hasText: name }).first().waitFor();
    const editor = this.page.locator(".editor-instance .monaco-editor").first();
    await editor.waitFor();
    return editor;
  }

  /** Moves the cursor to a line (1-based) and column with Go to Line. */
  async goTo(line: number, column = 1): Promise<void> {
    await this.page.keyboard.press("Control+G");
    const input = this.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor();
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press("Enter");
    await input.waitFor({ state: "hidden" });
  }

  /** Answers the visible QuickPick by picking the row with this label. */
  async pick(label: string): Promise<void> {
    const row = this.page.locator(".quick-input-widget .monaco-list-row", { hasText: label }).first();
    await row.waitFor();
    await row.click();
  }

  /** Answers the visible InputBox (replacing its value; `undefined` keeps the proposed value). */
  async answer(value: string | undefined, promptContains?: string): Promise<void> {
    const widget = this.page.locator(".quick-input-widget");
    const prompt = promptContains ? widget.locator(".quick-input-message, .quick-input-description, .quick-input-title", { hasText: promptContains }).first() : undefined;
    if (prompt) await prompt.waitFor();
    const input = widget.locator(".quick-input-box input");
    await input.waitFor();
    if (value !== undefined) await input.fill(value);
    // Pressed on the input itself: a keystroke sent while the previous step's widget was still taking the focus went nowhere.
    await input.press("Enter");
    if (prompt) {
      await prompt.waitFor({ state: "hidden", timeout: 10_000 }).catch(async () => {
        await input.press("Enter");
        await prompt.waitFor({ state: "hidden" });
      });
    }
  }

  /** A notification toast containing the text. */
  notification(text: string | RegExp): Locator {
    return this.page.locator(".notifications-toasts .notification-toast", { hasText: text }).first();
  }

  /** The DataBridge panel's webview content (two nested frames in VS Code's webview host). */
  panelFrame(): FrameLocator {
    return this.page.frameLocator("iframe.webview.ready").frameLocator("iframe#active-frame");
  }

  /** The lines of the Problems panel. */
  async problems(): Promise<Locator> {
    await this.page.keyboard.press("Control+Shift+M");
    const panel = this.page.locator(".markers-panel");
    await panel.waitFor();
    return panel.locator(".monaco-list-row");
  }
}
