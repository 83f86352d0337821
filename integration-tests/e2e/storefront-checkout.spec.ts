/**
 * The demo shop end to end, as a shopper on a 360-px phone screen: the real `npm run dev` stack
 * (Medusa, PostgreSQL, the Daraja simulator, the demo shop built from the package's own component),
 * headless Chromium, and the simulator's virtual phone page to answer the prompt.
 *
 *   1. buy the towel, approve on the virtual phone, see the confirmation with order number and receipt;
 *   2. decline -> message -> (Daraja's 2-minute same-number rule) -> retry -> approve -> exactly one order.
 *
 * Screenshots (not committed): .data/screenshots/storefront-*.png
 */
import { Client } from "pg"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { launchBrowser, screenshot } from "../helpers/browser"
import { startDevStack, type DevStack } from "../helpers/dev-stack"

jest.setTimeout(600_000)

const PHONE_WIDTH = { width: 360, height: 740 }

let stack: DevStack
let browser: Browser
let readyAt = 0

beforeAll(async () => {
  stack = await startDevStack({ database: "mpesa_e2e_storefront" })
  readyAt = Date.now()
  browser = await launchBrowser()
}, 600_000)

afterAll(async () => {
  await browser?.close().catch(() => {})
  await stack?.stop()
})

async function shopper(): Promise<{ context: BrowserContext; shop: Page; phone: Page }> {
  const context = await browser.newContext({ viewport: PHONE_WIDTH, deviceScaleFactor: 2, isMobile: true, hasTouch: true })
  const shop = await context.newPage()
  const phone = await context.newPage()
  await phone.goto(stack.simulatorUrl)
  return { context, shop, phone }
}

/** Product page -> cart -> prefilled Nairobi address -> delivery -> the M-Pesa step. Returns the cart id. */
async function toPayment(shop: Page, shot?: string): Promise<string> {
  await shop.goto(stack.shopUrl)
  await shop.getByRole("button", { name: "Add to cart" }).waitFor()
  if (shot) await screenshot(shop, shot)
  await shop.getByRole("button", { name: "Add to cart" }).click()
  await shop.waitForURL("**/checkout")
  await shop.getByRole("button", { name: "Continue to payment" }).click()
  await shop.getByRole("button", { name: "Pay KES 1,700 with M-Pesa" }).waitFor()
  const cartId = await shop.evaluate(() => localStorage.getItem("mpesa-demo-cart"))
  expect(cartId).toMatch(/^cart_/)
  return cartId!
}

/** Answers the open prompt for `msisdn` on the simulator's virtual phone page. */
async function answerOnPhone(phone: Page, msisdn: string, answer: "approve" | "cancel"): Promise<void> {
  await phone.bringToFront()
  const dialog = phone.locator(".dialog", { hasText: `To ${msisdn}` })
  await dialog.waitFor({ timeout: 30_000 })
  expect(await dialog.locator(".ask").textContent()).toMatch(/Pay KES 1,700 to/)
  if (answer === "approve") {
    await dialog.getByLabel("M-PESA PIN").fill("1234")
    await dialog.getByRole("button", { name: "Send" }).click()
  } else {
    await dialog.getByRole("button", { name: "Cancel (1032)" }).click()
  }
  await dialog.waitFor({ state: "detached", timeout: 15_000 })
}

async function expectConfirmation(shop: Page): Promise<{ orderNumber: string; receipt: string }> {
  await shop.bringToFront()
  await shop.waitForURL("**/order/**", { timeout: 60_000 })
  const orderNumber = (await shop.getByTestId("order-number").textContent())!.trim()
  const receipt = (await shop.getByTestId("mpesa-receipt").textContent())!.trim()
  expect(orderNumber).toMatch(/^#\d+$/)
  expect(receipt).toMatch(/^[A-Z0-9]{10}$/)
  return { orderNumber, receipt }
}

async function ordersOfCart(cartId: string): Promise<Array<{ id: string; display_id: number }>> {
  const pg = new Client({ connectionString: stack.env.DATABASE_URL })
  await pg.connect()
  try {
    const { rows } = await pg.query(
      `SELECT o.id, o.display_id FROM order_cart co JOIN "order" o ON o.id = co.order_id
       WHERE co.cart_id = $1 AND co.deleted_at IS NULL AND o.deleted_at IS NULL`,
      [cartId]
    )
    return rows
  } finally {
    await pg.end()
  }
}

async function pushesOfCart(cartId: string): Promise<Array<{ status: string; result_code: string | null }>> {
  const pg = new Client({ connectionString: stack.env.DATABASE_URL })
  await pg.connect()
  try {
    const { rows } = await pg.query(
      `SELECT t.status, t.result_code FROM mpesa_transaction t
       JOIN cart_payment_collection cpc ON cpc.payment_collection_id = t.payment_collection_id AND cpc.deleted_at IS NULL
       WHERE cpc.cart_id = $1 ORDER BY t.created_at`,
      [cartId]
    )
    return rows
  } finally {
    await pg.end()
  }
}

it("buys the towel: prompt on the virtual phone, approve, confirmation with order number and M-Pesa receipt", async () => {
  const { context, shop, phone } = await shopper()
  const started = Date.now()
  const cartId = await toPayment(shop, "storefront-0-product")

  // The prompt is sent only now, at Pay (never at "continue to payment").
  await shop.getByRole("button", { name: "Pay KES 1,700 with M-Pesa" }).click()
  const status = shop.getByRole("status")
  await status.getByText("Prompt sent").waitFor()
  await status.getByText(/enter your M-Pesa PIN to pay KES 1,700/).waitFor()
  await status.getByText(/The prompt expires in \d:\d\d/).waitFor()
  expect(await shop.evaluate(() => document.activeElement?.getAttribute("role"))).toBe("status")
  await screenshot(shop, "storefront-1-waiting")

  await answerOnPhone(phone, "254712345678", "approve")
  const { orderNumber, receipt } = await expectConfirmation(shop)
  await screenshot(shop, "storefront-2-confirmation")
  const ms = Date.now() - started
  process.stdout.write(
    `\n[storefront e2e] purchase in the shop: ${(ms / 1000).toFixed(1)} s from opening the shop to the confirmation ` +
      `(${((Date.now() - readyAt) / 1000).toFixed(1)} s after the stack was ready); order ${orderNumber}, receipt ${receipt}\n`
  )
  expect(await ordersOfCart(cartId)).toHaveLength(1)
  await context.close()
})

it("decline -> message -> retry (after Daraja's 2-minute same-number window) -> approve -> exactly one order", async () => {
  const { context, shop, phone } = await shopper()
  const cartId = await toPayment(shop)
  const field = shop.getByLabel("M-Pesa phone number")
  await field.fill("0722 000 111")

  await shop.getByRole("button", { name: "Pay KES 1,700 with M-Pesa" }).click()
  await answerOnPhone(phone, "254722000111", "cancel")
  await shop.bringToFront()
  const status = shop.getByRole("status")
  await status.getByText("Payment not completed").waitFor({ timeout: 30_000 })
  await status.getByText(/cancel/i).first().waitFor()
  const retry = shop.getByRole("button", { name: "Try again: pay KES 1,700" })
  expect(await retry.isDisabled()).toBe(true)
  await status.getByText(/M-Pesa accepts a new prompt to this number in \d:\d\d/).waitFor()
  await screenshot(shop, "storefront-3-failure")

  // The same number can be prompted again 2 minutes after the last prompt (else Daraja answers 17).
  await shop.waitForFunction(
    () => !(document.querySelector(".mpesa-prompt__pay") as HTMLButtonElement | null)?.disabled,
    undefined,
    { timeout: 150_000, polling: 1000 }
  )
  await retry.click()
  await status.getByText(/enter your M-Pesa PIN to pay KES 1,700/).waitFor()
  await answerOnPhone(phone, "254722000111", "approve")
  await expectConfirmation(shop)
  await screenshot(shop, "storefront-4-confirmation-after-retry")

  expect(await ordersOfCart(cartId)).toHaveLength(1)
  expect((await pushesOfCart(cartId)).map((p) => p.status)).toEqual(["canceled", "paid"])
  await context.close()
})
