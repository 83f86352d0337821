import fs from "fs"
import path from "path"
import { chromium, type Browser, type Page } from "playwright-core"

/**
 * Debian's Chromium driven by playwright-core (browser downloads are not possible here).
 * CHROMIUM_PATH overrides the executable.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium"
export const SCREENSHOT_DIR = path.resolve(__dirname, "../../.data/screenshots")

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: apt-get install chromium (or set CHROMIUM_PATH)`)
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  })
}

/** Saves a full-page PNG under .data/screenshots/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const file = path.join(SCREENSHOT_DIR, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}

/** The same page at phone width (390 px) as `${name}-phone.png`, then back to the size it had. */
export async function phoneScreenshot(page: Page, name: string): Promise<string> {
  const size = page.viewportSize()
  await page.setViewportSize({ width: 390, height: 844 })
  await page.waitForTimeout(500) // the layout settles (the admin collapses its sidebar)
  const file = await screenshot(page, `${name}-phone`)
  if (size) await page.setViewportSize(size)
  return file
}
