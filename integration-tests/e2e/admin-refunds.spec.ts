import type { Browser, Page } from "playwright-core"
import { Client } from "pg"
import { launchBrowser, phoneScreenshot, screenshot } from "../helpers/browser"
import { ADMIN_EMAIL, ADMIN_PASSWORD, startDevStack, type DevStack } from "../helpers/dev-stack"
import { cartWithSession as cartWithDemoSession, demoCatalog, readyCart, storeApi, waitFor, type StoreApi } from "../helpers/demo-store-api"
import { stepTimer } from "../helpers/step-timings"

/**
 * Refunds (issue 9) the merchant's way, on the real `npm run dev` stack with the Daraja simulator:
 *
 *   1. a paid M-Pesa demo order, refunded in full with Medusa's own Refund action on the order
 *      page's payment: the M-Pesa widget shows the Daraja reversal as "Reversed" with its receipt;
 *   2. an unmatched payment (the cart changed while the prompt was open, then the shopper paid),
 *      reversed from Settings -> M-Pesa transactions -> Unmatched: it leaves that tab and shows
 *      on the Refunds tab;
 *   3. another unmatched payment attached to a new cart of the same amount: the cart becomes an
 *      order paid by that M-Pesa payment.
 *
 * Screenshots in .data/screenshots/admin-refund-*.png; step timings printed.
 */
jest.setTimeout(5 * 60_000)

const PAYING_PHONE = "0708374149" // the simulator approves it
const WAITING_PHONE = "0722000111" // the simulator waits for the virtual phone (or its control API)
const SECOND_WAITING_PHONE = "0722000112" // another such number: Daraja refuses the same phone and amount twice in 2 minutes

const { step, report } = stepTimer()

let stack: DevStack
let browser: Browser
let page: Page
let api: StoreApi
let region: { id: string }
let variantId: string

beforeAll(async () => {
  stack = await step("boot npm run dev stack", () => startDevStack({ database: "mpesa_e2e_admin_refunds" }))
  // The demo database is kept between runs (the seed is idempotent): the environment's credentials apply,
  // and the prompt counters start afresh (the phone limit, 3 prompts per 10 minutes, would refuse a
  // second run of this spec within 10 minutes with 429).
  const pg = new Client({ connectionString: stack.env.DATABASE_URL })
  await pg.connect()
  await pg.query("delete from mpesa_setting")
  await pg.query("delete from mpesa_prompt_limit")
  await pg.end()

  api = storeApi(stack.storeUrl, stack.publishableKey)
  ;({ region, variantId } = await demoCatalog(api))

  browser = await launchBrowser()
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
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
}, 10 * 60_000)

afterAll(async () => {
  console.log(report("admin refunds e2e timings"))
  await browser?.close()
  await stack?.stop()
})


/** GET an admin route with the browser's session (the admin user logged in above). */
async function adminGet<T>(path: string): Promise<T> {
  return page.evaluate(async (p) => {
    const res = await fetch(p, { credentials: "include" })
    return (await res.json()) as unknown
  }, path) as Promise<T>
}


function cartWithSession(phone: string) {
  return cartWithDemoSession(api, { region, variantId }, phone)
}

type Refund = { status: string; status_label: string; reversal_receipt: string | null; reason: string | null; amount: number }

it("Medusa's Refund on an M-Pesa order reverses the payment through Daraja and the widget shows it Reversed", async () => {
  const paid = await step("paid demo order (store API + simulator)", async () => {
    const { session } = await cartWithSession(PAYING_PHONE)
    expect(session.status).toBe(200)
    const sessionId = session.body.payment_collection.payment_sessions[0].id
    return waitFor("the order", async () => {
      const { body } = await api("GET", `/store/mpesa/payment-sessions/${sessionId}`)
      return body.mpesa_payment?.order_id ? body.mpesa_payment : null
    })
  })

  const widget = page.getByTestId("mpesa-order-payment")
  await step("open the order", async () => {
    await page.goto(`${stack.adminUrl}/orders/${paid.order_id}`, { waitUntil: "domcontentloaded" })
    await page.getByTestId("mpesa-receipt").getByText(paid.mpesa_receipt_number).waitFor({ timeout: 60_000 })
  })
  await screenshot(page, "admin-refund-1-order")

  await step("Refund in the payment's action menu (Medusa's own form)", async () => {
    // The payment row of Medusa's Payments section: id, date, provider, status, amount, "…" menu.
    const paymentRow = page.locator('div[class*="grid-cols-[1fr_1fr_1fr_20px]"]').filter({ hasText: "pp_mpesa_mpesa" })
    await paymentRow.getByRole("button").click({ timeout: 30_000 })
    await page.getByRole("menuitem", { name: "Refund" }).click()
    await page.waitForURL(/\/orders\/[^/]+\/refund\?paymentId=/, { timeout: 30_000 })
    await page.getByRole("dialog").getByRole("button", { name: "Save" }).waitFor({ timeout: 30_000 })
  })
  // The form offers the whole payment (a reversal is all or nothing).
  const amountInput = page.getByRole("dialog").locator("input").first()
  expect(Number((await amountInput.inputValue()).replace(/[^\d.]/g, ""))).toBe(paid.amount)
  await screenshot(page, "admin-refund-2-refund-form")

  await step("submit the refund (Daraja reversal)", async () => {
    await page.getByRole("dialog").getByRole("button", { name: "Save" }).click()
    // Medusa closes its drawer once the refund is recorded; a refused refund is an error toast instead.
    await waitFor("Medusa's refund drawer to close", async () => {
      if (!(await page.getByRole("dialog").count())) return true
      const errors = await page.locator("[data-sonner-toast]:has(.text-ui-tag-red-icon)").allInnerTexts()
      if (errors.length) throw new Error(`Medusa's Refund was refused: ${errors.join(" | ").replace(/\s+/g, " ")}`)
      return false
    }).catch(async (e) => {
      await screenshot(page, "admin-refund-failed-drawer")
      throw new Error(`${(e as Error).message} (at ${page.url()})`)
    })
  })

  const reversed = widget.locator('[data-testid="mpesa-refund"][data-refund-status="completed"]')
  await step("the widget shows the reversal as Reversed with its receipt", async () => {
    await reversed.first().waitFor({ timeout: 60_000 }).catch(async () => {
      const now = await widget.getByTestId("mpesa-payment-refunds").innerText().catch(() => "(no refunds shown)")
      throw new Error(`the widget shows no completed reversal; it shows: ${now}`)
    })
  })
  await expect(reversed.first().innerText()).resolves.toMatch(/Reversed/)
  const receipt = (await reversed.first().getByTestId("mpesa-reversal-receipt").innerText()).replace(/^Reversal receipt\s*/, "").trim()
  expect(receipt).toMatch(/^[A-Z0-9]{8,12}$/)
  expect(receipt).not.toBe(paid.mpesa_receipt_number)
  await expect(widget.getByTestId("mpesa-refund-failed").count()).resolves.toBe(0)
  expect(await widget.getByTestId("mpesa-refunded-badge").innerText()).toBe("Refunded in full")
  await widget.getByTestId("mpesa-payment-refunds").scrollIntoViewIfNeeded()
  await screenshot(page, "admin-refund-3-reversed")
  await phoneScreenshot(page, "admin-refund-3-reversed")

  // What the widget shows is what the server says, and Medusa has the refund on the order.
  const orderPayments = await adminGet<{ payments: { payment: { transaction_id: string; refunds: Refund[] } }[] }>(
    `/admin/mpesa/orders/${paid.order_id}`
  )
  const refunds = orderPayments.payments.flatMap((p) => p.payment.refunds)
  expect(refunds).toEqual([expect.objectContaining({ status: "completed", amount: paid.amount, reversal_receipt: receipt })])
  const { order } = await adminGet<{ order: { payment_status: string } }>(`/admin/orders/${paid.order_id}?fields=payment_status`)
  expect(order.payment_status).toBe("refunded")
})

/** The shopper changes the cart while the prompt is open (Medusa drops the session), then pays the old prompt. */
async function unmatchedPayment(phone: string) {
  const { cart, session } = await cartWithSession(phone)
  expect(session.status).toBe(200)
  const checkoutRequestId = session.body.payment_collection.payment_sessions[0].data.checkout_request_id
  // The shopper adds a second towel: Medusa drops the session (the amount changed)…
  const changed = await api("POST", `/store/carts/${cart.id}/line-items/${cart.items[0].id}`, { quantity: 2 })
  expect(changed.status).toBe(200)
  // …and then pays the old prompt on their phone.
  const approve = await fetch(`${stack.simulatorUrl}/simulator/prompts/${checkoutRequestId}/approve`, { method: "POST" })
  expect(approve.status).toBe(200)
  return waitFor("the unmatched payment", async () => {
    const { transactions } = await adminGet<{ transactions: { checkout_request_id: string; mpesa_receipt_number: string; amount: number; phone: string }[] }>(
      "/admin/mpesa/transactions?view=unmatched"
    )
    return transactions.find((r) => r.checkout_request_id === checkoutRequestId) ?? null
  })
}

it("an unmatched payment is reversed from the Unmatched tab and moves to the Refunds tab", async () => {
  const unmatched = await step("an unmatched payment (cart changed while the prompt was open, then paid)", () =>
    unmatchedPayment(WAITING_PHONE)
  )

  const row = page.locator(`tr[data-receipt="${unmatched.mpesa_receipt_number}"]`)
  await step("find it on the Unmatched tab", async () => {
    await page.goto(`${stack.adminUrl}/settings/mpesa-transactions`, { waitUntil: "domcontentloaded" })
    await page.getByTestId("mpesa-view-unmatched").click({ timeout: 60_000 })
    await row.waitFor({ timeout: 30_000 })
  })
  // The reason it is unmatched is on the row.
  expect(await row.getByTestId("mpesa-row-reason").innerText()).toMatch(/no order was created/i)

  await step("Reverse payment: the prompt names amount, phone and receipt", async () => {
    await row.getByTestId("mpesa-row-actions").click()
    await page.getByTestId("mpesa-action-reverse").click()
    await page.getByTestId("mpesa-reverse-prompt").waitFor({ timeout: 10_000 })
    await page.getByRole("menu").waitFor({ state: "detached" })
    await page.waitForTimeout(300) // the prompt's 200 ms fade-in, for the screenshot
  })
  const prompt = page.getByTestId("mpesa-reverse-prompt")
  const promptText = await prompt.innerText()
  expect(promptText).toContain(`M-Pesa returns the whole KES ${unmatched.amount.toLocaleString("en-KE")} to ${unmatched.phone}`)
  expect(promptText).toContain(unmatched.mpesa_receipt_number)
  expect(promptText).toContain("This cannot be undone.")
  await screenshot(page, "admin-refund-4-reverse-prompt")
  await phoneScreenshot(page, "admin-refund-4-reverse-prompt")

  await step("confirm; the outcome shows Reversed with the reversal receipt", async () => {
    await page.getByTestId("mpesa-reverse-confirm").click()
    await page.locator('[data-testid="mpesa-outcome"][data-refund-status="completed"]').waitFor({ timeout: 60_000 }).catch(async () => {
      const shown = await page.getByTestId("mpesa-outcome").innerText().catch(async () => {
        return `no outcome; prompt: ${await prompt.innerText().catch(() => "(closed)")}`
      })
      throw new Error(`the reversal did not complete: ${shown}`)
    })
  })
  expect(await page.getByTestId("mpesa-outcome-status").innerText()).toMatch(/^Reversed · reversal receipt [A-Z0-9]{8,12}$/)
  // Reversed in full: it is no longer money waiting for the merchant.
  await row.waitFor({ state: "detached", timeout: 30_000 })
  await screenshot(page, "admin-refund-5-unmatched-cleared")

  await step("the Refunds tab lists it with the refund's status", async () => {
    await page.getByTestId("mpesa-view-refunds").click()
    await row.locator('[data-testid="mpesa-refund"][data-refund-status="completed"]').waitFor({ timeout: 30_000 })
  })
  expect(await page.getByTestId("mpesa-view-refunds").getAttribute("data-state")).toBe("active")
  expect(await row.getByTestId("mpesa-reversal-receipt").innerText()).toMatch(/[A-Z0-9]{8,12}/)
  await screenshot(page, "admin-refund-6-refunds-tab")
  await phoneScreenshot(page, "admin-refund-6-refunds-tab")
})

it("an unmatched payment is attached to a cart of the same amount, which becomes its order", async () => {
  const unmatched = await step("another unmatched payment", () => unmatchedPayment(SECOND_WAITING_PHONE))
  // The shopper's new cart for the same towel (KES 1,500 + 200 delivery = the KES 1,700 paid), no payment of its own.
  const cart = await readyCart(api, { region, variantId }, SECOND_WAITING_PHONE)
  expect(cart.total).toBe(unmatched.amount)

  const row = page.locator(`tr[data-receipt="${unmatched.mpesa_receipt_number}"]`)
  await step("Attach to cart or order from the Unmatched tab", async () => {
    await page.getByTestId("mpesa-view-unmatched").click()
    await row.waitFor({ timeout: 30_000 })
    await row.getByTestId("mpesa-row-actions").click()
    await page.getByTestId("mpesa-action-attach").click()
    await page.locator("#mpesa-attach-target").fill(cart.id)
  })
  await screenshot(page, "admin-refund-7-attach")

  await step("submit; the outcome links the new order", async () => {
    await page.getByTestId("mpesa-attach-drawer-submit").click()
    await page.getByTestId("mpesa-attach-drawer").waitFor({ state: "detached", timeout: 60_000 }).catch(async () => {
      const shown = await page.getByTestId("mpesa-action-error").innerText().catch(() => "(no error shown)")
      throw new Error(`the attach drawer stayed open: ${shown}`)
    })
    await page.getByTestId("mpesa-outcome").getByRole("link", { name: "Open order" }).waitFor({ timeout: 30_000 })
  })
  await row.waitFor({ state: "detached", timeout: 30_000 })
  await screenshot(page, "admin-refund-8-attached")
  const href = await page.getByTestId("mpesa-outcome").getByRole("link", { name: "Open order" }).getAttribute("href")
  const orderId = href!.split("/").pop()!
  const { order } = await adminGet<{ order: { payment_status: string; total: number } }>(`/admin/orders/${orderId}?fields=payment_status,total`)
  expect(order).toEqual(expect.objectContaining({ payment_status: "captured", total: unmatched.amount }))
})

it("a payment confirmed only by M-Pesa's status query gets its receipt from the order page, checked with M-Pesa", async () => {
  const faults = (update: Record<string, unknown>) =>
    fetch(`${stack.simulatorUrl}/simulator/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(update) })
  // The STK callback never arrives: the plugin's status query confirms the payment, without a receipt.
  expect((await faults({ dropCallbacks: true })).status).toBe(200)
  const paid = await step("paid demo order confirmed by STK Query (callback dropped)", async () => {
    const { session } = await cartWithSession("0722000113")
    expect(session.status).toBe(200)
    const { id: sessionId, data } = session.body.payment_collection.payment_sessions[0]
    const approve = await fetch(`${stack.simulatorUrl}/simulator/prompts/${data.checkout_request_id}/approve`, { method: "POST" })
    expect(approve.status).toBe(200)
    const payment = await waitFor("the order", async () => {
      const { body } = await api("GET", `/store/mpesa/payment-sessions/${sessionId}`)
      return body.mpesa_payment?.order_id ? body.mpesa_payment : null
    })
    const { prompts } = (await (await fetch(`${stack.simulatorUrl}/simulator/prompts`)).json()) as {
      prompts: { checkoutRequestId: string; mpesaReceiptNumber: string | null }[]
    }
    return { ...payment, receipt: prompts.find((p) => p.checkoutRequestId === data.checkout_request_id)!.mpesaReceiptNumber! }
  })
  expect(paid.mpesa_receipt_number ?? null).toBeNull()
  expect((await faults({ dropCallbacks: false })).status).toBe(200)

  const widget = page.getByTestId("mpesa-order-payment")
  await step("open the order: the widget says the receipt is missing", async () => {
    await page.goto(`${stack.adminUrl}/orders/${paid.order_id}`, { waitUntil: "domcontentloaded" })
    await widget.getByTestId("mpesa-missing-receipt").waitFor({ timeout: 60_000 })
  })
  await widget.getByTestId("mpesa-missing-receipt").scrollIntoViewIfNeeded()
  await screenshot(page, "admin-refund-9-missing-receipt")
  await phoneScreenshot(page, "admin-refund-9-missing-receipt")

  const drawer = page.getByTestId("mpesa-receipt-drawer")
  await step("Add receipt: a wrong one is refused with M-Pesa's reason", async () => {
    await widget.getByTestId("mpesa-add-receipt").click()
    await drawer.waitFor()
    await drawer.locator("#mpesa-receipt").fill("UZZ9ZZZZZZ")
    await page.getByTestId("mpesa-receipt-drawer-submit").click()
    await drawer.getByTestId("mpesa-action-error").waitFor({ timeout: 60_000 })
  })
  expect(await drawer.getByTestId("mpesa-action-error").innerText()).toMatch(/M-Pesa has no transaction UZZ9ZZZZZZ/)
  await screenshot(page, "admin-refund-10-receipt-refused")
  await phoneScreenshot(page, "admin-refund-10-receipt-refused")

  await step("Add receipt: the right one is checked and added", async () => {
    await drawer.locator("#mpesa-receipt").fill(paid.receipt.toLowerCase())
    await page.getByTestId("mpesa-receipt-drawer-submit").click()
    await drawer.waitFor({ state: "detached", timeout: 60_000 })
    await page.getByTestId("mpesa-receipt").getByText(paid.receipt).waitFor({ timeout: 30_000 })
  })
  await expect(widget.getByTestId("mpesa-missing-receipt").count()).resolves.toBe(0)
  await screenshot(page, "admin-refund-11-receipt-added")
})

it("a reversal M-Pesa has not confirmed is offered Check again and Close as returned on the transactions page", async () => {
  const faults = (update: Record<string, unknown>) =>
    fetch(`${stack.simulatorUrl}/simulator/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(update) })
  const paid = await step("paid demo order", async () => {
    const { session } = await cartWithSession("0722000114")
    expect(session.status).toBe(200)
    const { id: sessionId, data } = session.body.payment_collection.payment_sessions[0]
    expect((await fetch(`${stack.simulatorUrl}/simulator/prompts/${data.checkout_request_id}/approve`, { method: "POST" })).status).toBe(200)
    return waitFor("the order", async () => {
      const { body } = await api("GET", `/store/mpesa/payment-sessions/${sessionId}`)
      return body.mpesa_payment?.order_id && body.mpesa_payment?.mpesa_receipt_number ? body.mpesa_payment : null
    })
  })
  // M-Pesa reverses the payment but no answer (result or status check) arrives.
  expect((await faults({ reversalOutcome: "lost_result", dropCallbacks: true })).status).toBe(200)
  try {
    await step("Medusa's Refund: M-Pesa has not confirmed it", async () => {
      const { order } = await adminGet<{ order: { payment_collections: { payments: { id: string }[] }[] } }>(
        `/admin/orders/${paid.order_id}?fields=payment_collections.payments.id`
      )
      const paymentId = order.payment_collections[0].payments[0].id
      const res = await page.evaluate(async (p) => {
        const r = await fetch(`/admin/payments/${p.id}/refund`, {
          method: "POST",
          credentials: "include",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ amount: p.amount }),
        })
        return { status: r.status, body: (await r.json()) as { message?: string } }
      }, { id: paymentId, amount: paid.amount })
      expect(res.status).toBe(400)
      expect(res.body.message).toMatch(/has not confirmed the reversal/)
    })

    const row = page.locator(`tr[data-receipt="${paid.mpesa_receipt_number}"]`)
    await step("the row's menu offers Check reversal again and Close reversal as returned", async () => {
      await page.goto(`${stack.adminUrl}/settings/mpesa-transactions`, { waitUntil: "domcontentloaded" })
      await row.waitFor({ timeout: 60_000 })
      await row.getByTestId("mpesa-row-actions").click()
      await page.getByTestId("mpesa-action-close-reversal").waitFor({ timeout: 10_000 })
    })
    await expect(page.getByTestId("mpesa-action-check-reversal").count()).resolves.toBe(1)
    await screenshot(page, "admin-refund-12-unconfirmed-menu")

    const drawer = page.getByTestId("mpesa-close-reversal-drawer")
    await step("Close reversal as returned: the drawer asks for the Org portal reference", async () => {
      await page.getByTestId("mpesa-action-close-reversal").click()
      await drawer.waitFor({ timeout: 10_000 })
      await page.waitForTimeout(300)
    })
    await screenshot(page, "admin-refund-13-close-reversal")
    await phoneScreenshot(page, "admin-refund-13-close-reversal")
    await step("close it with a reference: counted as refunded", async () => {
      await drawer.locator("textarea").fill("Org portal shows reversal RVX-E2E")
      await page.getByTestId("mpesa-close-reversal-drawer-submit").click()
      await drawer.waitFor({ state: "detached", timeout: 60_000 })
    })
    const orderPayments = await adminGet<{ payments: { payment: { refunds: Refund[] } }[] }>(`/admin/mpesa/orders/${paid.order_id}`)
    expect(orderPayments.payments.flatMap((p) => p.payment.refunds)).toEqual([expect.objectContaining({ status: "completed", amount: paid.amount })])
  } finally {
    await faults({ reversalOutcome: "normal", dropCallbacks: false })
  }
})
