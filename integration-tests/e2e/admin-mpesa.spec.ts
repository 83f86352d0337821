import type { Browser, Locator, Page, Response } from "playwright-core"
import { Client } from "pg"
import { launchBrowser, screenshot } from "../helpers/browser"
import { ADMIN_EMAIL, ADMIN_PASSWORD, startDevStack, type DevStack } from "../helpers/dev-stack"
import { cartWithSession as cartWithDemoSession, demoCatalog, storeApi, waitFor } from "../helpers/demo-store-api"
import { stepTimer } from "../helpers/step-timings"

/**
 * The merchant's path, on the real `npm run dev` stack started WITHOUT Daraja credentials in the
 * environment (MPESA_DEV_CREDENTIALS=admin): log in, Settings -> M-Pesa, type the credentials,
 * save (the secret shows only as "ending in …"), Test connection, then a paid demo order shows
 * its receipt in the order widget, and a deliberately unmatched payment shows on the
 * transactions page. Screenshots in .data/screenshots/admin-*.png; step timings printed.
 */
jest.setTimeout(15 * 60_000)

const CREDENTIALS = {
  consumer_key: "simulator-consumer-key",
  consumer_secret: "simulator-consumer-secret",
  shortcode: "174379",
  passkey: "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
}
const SECRETS = [CREDENTIALS.consumer_secret, CREDENTIALS.passkey]
const PAYING_PHONE = "0708374149" // the simulator approves it
const WAITING_PHONE = "0722000111" // the simulator waits for the virtual phone (or its control API)

const { step, report } = stepTimer()

let stack: DevStack
let browser: Browser

afterAll(async () => {
  console.log(report("admin e2e timings"))
  await browser?.close()
  await stack?.stop()
})



it("a merchant sets M-Pesa up in the admin, sees the receipt on a paid order and finds an unmatched payment", async () => {
  stack = await step("boot npm run dev stack (no credentials in the environment)", () =>
    startDevStack({ database: "mpesa_e2e_admin", env: { MPESA_DEV_CREDENTIALS: "admin" } })
  )
  // The demo database is kept between runs (the seed is idempotent): start from no saved settings.
  const pg = new Client({ connectionString: stack.env.DATABASE_URL })
  await pg.connect()
  await pg.query("delete from mpesa_setting")
  // Prompt counters start afresh: the phone limit (3 prompts per 10 minutes) would refuse a second run
  // of this spec within 10 minutes with 429.
  await pg.query("delete from mpesa_prompt_limit")
  await pg.end()

  const api = storeApi(stack.storeUrl, stack.publishableKey)
  const catalog = await demoCatalog(api)
  const region = catalog.region
  const cartWithSession = (phone: string) => cartWithDemoSession(api, catalog, phone)

  // Before the merchant types anything, M-Pesa cannot be used: the environment has no credentials.
  const refused = await cartWithSession(PAYING_PHONE)
  expect(refused.session.status).toBe(500)
  // The shopper is told only that M-Pesa is unavailable; what is missing goes to the server log.
  expect(JSON.stringify(refused.session.body)).toMatch(/M-Pesa payments are not available right now/)
  expect(JSON.stringify(refused.session.body)).not.toContain("MPESA_")

  browser = await launchBrowser()
  const page: Page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  const adminBodies: string[] = []
  page.on("response", async (res: Response) => {
    if (res.url().includes("/admin/mpesa/")) adminBodies.push(await res.text().catch(() => ""))
  })

  await step("log in at /app (cold Vite load)", async () => {
    await page.goto(stack.adminUrl, { waitUntil: "domcontentloaded", timeout: 120_000 })
    const email = page.locator('input[name="email"]')
    await email.waitFor({ timeout: 120_000 })
    await page.waitForTimeout(1000) // a cold Vite start may re-optimise and reload once
    await page.locator('input[name="email"]').fill(ADMIN_EMAIL)
    await page.locator('input[name="password"]').fill(ADMIN_PASSWORD)
    await page.locator('button[type="submit"]').click()
    await page.waitForURL(/\/app\/(orders|products|$)/, { timeout: 120_000 })
  })

  await step("open Settings -> M-Pesa", async () => {
    await page.goto(`${stack.adminUrl}/settings`, { waitUntil: "domcontentloaded" })
    await page.getByRole("link", { name: "M-Pesa", exact: true }).click({ timeout: 60_000 })
    await page.locator("#consumer_key").waitFor({ timeout: 60_000 })
  })
  await expectText(page.getByTestId("mpesa-configured")).toHaveTextOrThrow("Not set up")
  await screenshot(page, "admin-01-settings-fresh")

  await step("fill and save the credentials", async () => {
    await page.locator("#consumer_key").fill(CREDENTIALS.consumer_key)
    await page.locator("#consumer_secret").fill(CREDENTIALS.consumer_secret)
    await page.locator("#shortcode").fill(CREDENTIALS.shortcode)
    await page.locator("#passkey").fill(CREDENTIALS.passkey)
    await page.getByTestId("mpesa-save").click()
    await page.locator('#passkey[placeholder*="ending in …c919"]').waitFor({ timeout: 30_000 })
  })
  await expectText(page.getByTestId("mpesa-configured")).toHaveTextOrThrow("Configured")
  expect(await page.locator("#consumer_secret").getAttribute("placeholder")).toMatch(/ending in …cret/)
  await page.locator("#environment").scrollIntoViewIfNeeded() // the admin scrolls an inner pane: show the masked secrets
  await screenshot(page, "admin-02-settings-saved")

  await step("test connection", async () => {
    await page.getByTestId("mpesa-test-connection").click()
    await page.getByTestId("mpesa-connection-result").waitFor({ timeout: 30_000 })
  })
  expect(await page.getByTestId("mpesa-connection-result").innerText()).toMatch(/^Connected/)
  await screenshot(page, "admin-03-test-connection")

  const paid = await step("paid demo order (store API + simulator)", async () => {
    const { session } = await cartWithSession(PAYING_PHONE)
    expect(session.status).toBe(200)
    const sessionId = session.body.payment_collection.payment_sessions[0].id
    return waitFor("the order", async () => {
      const { body } = await api("GET", `/store/mpesa/payment-sessions/${sessionId}`)
      return body.mpesa_payment?.order_id ? body.mpesa_payment : null
    })
  })

  await step("see the receipt in the order widget", async () => {
    await page.goto(`${stack.adminUrl}/orders/${paid.order_id}`, { waitUntil: "domcontentloaded" })
    await page.getByTestId("mpesa-receipt").getByText(paid.mpesa_receipt_number).waitFor({ timeout: 60_000 })
  })
  await page.getByTestId("mpesa-order-payment").scrollIntoViewIfNeeded()
  await screenshot(page, "admin-04-order-widget")

  const unmatched = await step("an unmatched payment (cart changed while the prompt was open, then paid)", async () => {
    const { cart, session } = await cartWithSession(WAITING_PHONE)
    expect(session.status).toBe(200)
    const checkoutRequestId = session.body.payment_collection.payment_sessions[0].data.checkout_request_id
    // The shopper adds a second towel: Medusa drops the session (the amount changed)…
    const item = cart.items[0]
    const changed = await api("POST", `/store/carts/${cart.id}/line-items/${item.id}`, { quantity: 2 })
    expect(changed.status).toBe(200)
    // …and then pays the old prompt on their phone.
    const approve = await fetch(`${stack.simulatorUrl}/simulator/prompts/${checkoutRequestId}/approve`, { method: "POST" })
    expect(approve.status).toBe(200)
    return waitFor("the unmatched payment", async () => {
      const rows = await page.evaluate(async () => {
        const res = await fetch("/admin/mpesa/transactions?view=unmatched", { credentials: "include" })
        return (await res.json()).transactions as { checkout_request_id: string; mpesa_receipt_number: string }[]
      })
      return rows.find((r) => r.checkout_request_id === checkoutRequestId) ?? null
    })
  })

  await step("find it on the transactions page", async () => {
    await page.goto(`${stack.adminUrl}/settings/mpesa-transactions`, { waitUntil: "domcontentloaded" })
    await page.getByTestId("mpesa-view-unmatched").click({ timeout: 60_000 })
    await page.locator('tr[data-unmatched="true"]').getByText(unmatched.mpesa_receipt_number, { exact: true }).waitFor({ timeout: 30_000 })
  })
  await screenshot(page, "admin-05-transactions-unmatched")
  await page.getByTestId("mpesa-view-all").click()
  await page.getByText(paid.mpesa_receipt_number, { exact: true }).first().waitFor({ timeout: 30_000 })
  // The tab the merchant is looking at is the one marked active.
  expect(await page.getByTestId("mpesa-view-all").getAttribute("data-state")).toBe("active")
  expect(await page.getByTestId("mpesa-view-unmatched").getAttribute("data-state")).toBe("inactive")
  await screenshot(page, "admin-06-transactions-all")

  await step("region widget", async () => {
    await page.goto(`${stack.adminUrl}/settings/regions/${region.id}`, { waitUntil: "domcontentloaded" })
    await page.getByTestId("mpesa-region-status").waitFor({ timeout: 60_000 })
  })
  await screenshot(page, "admin-07-region-widget")

  // Nothing the admin's browser received carries a secret.
  expect(adminBodies.length).toBeGreaterThan(3)
  for (const body of adminBodies) for (const secret of SECRETS) expect(body).not.toContain(secret)
})

/** Waits for an element's exact text; the failure names the text found instead. */
function expectText(locator: Locator) {
  return {
    async toHaveTextOrThrow(text: string) {
      await locator.getByText(text, { exact: true }).waitFor({ timeout: 30_000 }).catch(async () => {
        throw new Error(`expected "${text}", found "${await locator.innerText().catch(() => "(nothing)")}"`)
      })
    },
  }
}
