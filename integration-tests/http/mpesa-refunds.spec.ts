import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import { startDarajaSimulator, type DarajaSimulator } from "../../src/simulator"
import { createOrderPaymentCollectionWorkflow } from "@medusajs/medusa/core-flows"
import { seedDemoStore } from "../../src/scripts/seed-demo"
import { MPESA_MODULE, type IMpesaModuleService } from "../../src/modules/mpesa"
import mpesaReconcile from "../../src/jobs/mpesa-reconcile"
import { adminToken } from "../helpers/admin-auth"
import { captureProcessOutput } from "../helpers/captured-output"
import { applyTestEnv, freePort, simulatorAppEnv } from "../helpers/env"
import { StoreCheckout, sleep } from "../helpers/store-checkout"

/**
 * Refunds through Daraja's Reversal API, order cancel, refunds recorded as
 * made outside, and unmatched money reversed or attached to its cart — on a
 * real Medusa server and PostgreSQL, against the simulator (strict), which
 * answers reversals asynchronously with success, failure, a queue timeout or
 * a lost result as told.
 */
const INITIATOR_PASSWORD = "Initiator-Pa55word-refunds"
const REVERSAL_WAIT_MS = 4_000
// Longer than the wait, so a lost result is still open when the refund call gives up (the reconcile job
// runs every 2 s in these tests).
const CHECK_AFTER_MS = 8_000

const output = captureProcessOutput()
applyTestEnv()
jest.setTimeout(150_000)

let sim: DarajaSimulator
beforeAll(async () => {
  sim = await startDarajaSimulator({ callbackDelayMs: 250, promptTimeoutMs: 20_000, strict: true })
  const port = await freePort()
  applyTestEnv(
    simulatorAppEnv(sim, port, {
      initiatorPassword: INITIATOR_PASSWORD,
      overrides: {
        MPESA_REVERSAL_WAIT_MS: String(REVERSAL_WAIT_MS),
        MPESA_REVERSAL_CHECK_AFTER_MS: String(CHECK_AFTER_MS),
      },
    })
  )
})

afterAll(async () => {
  await sim?.close()
})

const PHONE_SUCCESS = "0708374149" // approves at once
const PHONE_MANUAL = "0722000111" // waits for the virtual phone
const PHONE_MANUAL_2 = "0722000222"
const CART_TOTAL = 1700

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let seed: Awaited<ReturnType<typeof seedDemoStore>>
    let store: StoreCheckout
    let mpesa: IMpesaModuleService
    let admin: { headers: Record<string, string> }
    const container = (): MedusaContainer => getContainer()
    const query = () => container().resolve(ContainerRegistrationKeys.QUERY)


    async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
      const deadline = Date.now() + timeoutMs
      let last = await read()
      while (!ok(last)) {
        if (Date.now() > deadline) throw new Error(`condition not met in time; last value ${JSON.stringify(last)}`)
        await sleep(150)
        last = await read()
      }
      return last
    }

    async function readyCart() {
      const cartId = await store.createCart({ regionId: seed.regionId, variantId: seed.variantId })
      await store.addShipping(cartId, seed.shippingOptionId)
      return cartId
    }

    async function medusaPayment(sessionId: string) {
      const { data } = await query().graph({
        entity: "payment",
        fields: ["id", "amount", "refunds.id", "refunds.amount", "refunds.note"],
        filters: { payment_session_id: sessionId },
      })
      return data[0] as { id: string; amount: number; refunds: { id: string; amount: number; note: string | null }[] }
    }

    /** A paid M-Pesa order, completed from the callback alone (a phone outside the table is approved on the virtual phone). */
    async function paidOrder(phone = PHONE_SUCCESS) {
      const cartId = await readyCart()
      const { sessionId } = await store.createPaymentSession(cartId, { phone })
      if (phone !== PHONE_SUCCESS) {
        const prompt = await sim.waitForPrompt()
        sim.approve(prompt.checkoutRequestId)
      }
      const status = await store.waitForStatus(sessionId, (s) => !!s.order_id)
      const payment = await waitFor(
        () => medusaPayment(sessionId),
        (p) => !!p
      )
      const view = (await mpesa.getPaymentBySession(sessionId))!
      return { cartId, sessionId, orderId: status.order_id as string, paymentId: payment.id, transactionId: view.transaction_id, receipt: view.mpesa_receipt_number! }
    }

    const refund = (paymentId: string, amount: number) =>
      api.post(`/admin/payments/${paymentId}/refund`, { amount }, { ...admin, validateStatus: () => true })

    const adminPost = (path: string, body: Record<string, unknown>) => api.post(path, body, { ...admin, validateStatus: () => true })

    async function orderPayments(orderId: string) {
      const { data } = await api.get(`/admin/mpesa/orders/${orderId}`, admin)
      return data.payments as { payment: any; timeline: any[] }[]
    }

    async function refundsOf(transactionId: string) {
      return (await mpesa.getAdminTransaction(transactionId))!.refunds
    }

    /** Unmatched money: the shopper paid a prompt after the cart's total changed (Medusa dropped that session). */
    async function unmatchedAfterCartChange() {
      const cartId = await readyCart()
      const { sessionId } = await store.createPaymentSession(cartId, { phone: PHONE_MANUAL })
      const transactionId = (await mpesa.getPaymentBySession(sessionId))!.transaction_id
      const { data } = await api.post(
        `/store/carts/${cartId}/line-items`,
        { variant_id: seed.variantId, quantity: 1 },
        store.headers
      )
      const added = (data.cart.items as { id: string; quantity: number }[]).find((i) => i.quantity === 2)!
      const prompt = sim.prompts().find((p) => p.state === "awaiting_customer")!
      sim.approve(prompt.checkoutRequestId)
      const row = await waitFor(
        () => mpesa.getLedgerRow(transactionId),
        (r) => r?.status === "paid" && r.unmatched
      )
      return { cartId, transactionId, receipt: row!.mpesa_receipt_number!, lineItemId: added.id }
    }

    beforeAll(async () => {
      seed = await seedDemoStore(container())
      mpesa = container().resolve<IMpesaModuleService>(MPESA_MODULE)
      store = new StoreCheckout(api, seed.publishableKey)
    })

    beforeEach(async () => {
      sim.reset()
      admin = { headers: { authorization: `Bearer ${await adminToken(api, container(), "admin-refunds@example.co.ke")}` } }
    })

    afterEach(async () => {
      // Let background work finish before the runner resets the database under it.
      sim.setFaults({ dropCallbacks: true })
      await sleep(1_000)
    })

    it("refunds an order in full through a Daraja Reversal: Medusa records it, the widget shows it, once", async () => {
      const order = await paidOrder()
      const res = await refund(order.paymentId, CART_TOTAL)
      expect(res.status).toBe(200)

      const payment = await medusaPayment(order.sessionId)
      expect(payment.refunds).toHaveLength(1)
      expect(Number(payment.refunds[0].amount)).toBe(CART_TOTAL)
      expect(sim.stats().calls.reversal).toBe(1)

      const [r] = await refundsOf(order.transactionId)
      expect(r).toMatchObject({ kind: "reversal", status: "completed", status_label: "Reversed", amount: CART_TOTAL, requested_by: "medusa" })
      expect(r.medusa_refund_id).toBe(payment.refunds[0].id)
      expect(r.reversal_receipt).toMatch(/^[A-Z0-9]{10}$/)
      expect(r.reversal_receipt).not.toBe(order.receipt)

      // What the order widget reads: the refund and its timeline events.
      const [p] = await orderPayments(order.orderId)
      expect(p.payment.refunded_amount).toBe(CART_TOTAL)
      expect(p.payment.refunds[0].status).toBe("completed")
      expect(p.timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(["refund_requested", "refund_completed"]))

      // A second refund of the same payment: Medusa refuses (nothing left), M-Pesa is not called again.
      const again = await refund(order.paymentId, CART_TOTAL)
      expect(again.status).toBeGreaterThanOrEqual(400)
      expect(sim.stats().calls.reversal).toBe(1)

      // The initiator password and the credential made from it never reach a log line.
      expect(output.join("")).not.toContain(INITIATOR_PASSWORD)
    })

    it("a failed reversal records nothing in Medusa and says why in plain words; refunding again then works", async () => {
      const order = await paidOrder()
      sim.setFaults({ reversalOutcome: "fail" })
      const res = await refund(order.paymentId, CART_TOTAL)
      expect(res.status).toBe(400)
      expect(res.data.message).toMatch(/balance cannot cover the reversal.*Nothing was refunded/i)
      expect((await medusaPayment(order.sessionId)).refunds).toHaveLength(0)
      const [failed] = await refundsOf(order.transactionId)
      expect(failed).toMatchObject({ status: "failed", status_label: "Reversal failed", result_code: "1" })

      // A success for that same request arriving afterwards contradicts the failure: flagged, never hidden.
      const db = container().resolve(ContainerRegistrationKeys.PG_CONNECTION)
      const row = await db("mpesa_refund").where({ id: failed.id }).first()
      const late = await api.post(
        new URL(sim.callbacks().find((c) => c.kind === "reversal")!.url).pathname,
        {
          Result: {
            ResultType: 0,
            ResultCode: 0,
            ResultDesc: "The service request is processed successfully.",
            OriginatorConversationID: row.originator_conversation_id,
            ConversationID: row.conversation_id,
            TransactionID: "UKLATE0001",
            ResultParameters: { ResultParameter: [{ Key: "Amount", Value: CART_TOTAL }, { Key: "OriginalTransactionID", Value: order.receipt }] },
          },
        },
        { validateStatus: () => true }
      )
      expect(late.status).toBe(200)
      const flagged = await waitFor(
        () => refundsOf(order.transactionId),
        (rs) => !!rs[0]?.reason?.includes("after it had been marked failed")
      )
      expect(flagged[0].status).toBe("failed")
      const { data: attention } = await api.get("/admin/mpesa/transactions?view=attention", admin)
      expect(attention.transactions.map((t: any) => t.transaction_id)).toContain(order.transactionId)

      sim.setFaults({ reversalOutcome: "normal" })
      const retry = await refund(order.paymentId, CART_TOTAL)
      expect(retry.status).toBe(200)
      expect((await medusaPayment(order.sessionId)).refunds).toHaveLength(1)
      expect(sim.stats().calls.reversal).toBe(2)
      const refunds = await refundsOf(order.transactionId)
      expect(refunds.map((r) => r.status).sort()).toEqual(["completed", "failed"])
    })

    it("a reversal that times out in Daraja's queue: nothing recorded, Transaction Status settles it as not done", async () => {
      const order = await paidOrder()
      sim.setFaults({ reversalOutcome: "queue_timeout" })
      const res = await refund(order.paymentId, CART_TOTAL)
      expect(res.status).toBe(400)
      // The queue timeout is doubtful, so it is checked at once; whether that check beats the refund call's
      // wait or not, Medusa records nothing.
      expect(res.data.message).toMatch(/has not confirmed the reversal .*nothing is recorded in Medusa|no record of this reversal.*Nothing was refunded/i)
      expect((await medusaPayment(order.sessionId)).refunds).toHaveLength(0)
      const callbacks = await mpesa.listCallbacks({}, { take: 50 })
      expect(callbacks.some((c) => c.kind === "reversal_timeout" && c.status === "applied")).toBe(true)

      // The reconcile job asks Transaction Status by the request's conversation id: M-Pesa never processed it.
      await waitFor(
        async () => {
          await mpesaReconcile(container())
          return (await refundsOf(order.transactionId))[0]
        },
        (r) => r.status === "failed"
      )
      expect(sim.stats().calls.transactionStatus).toBeGreaterThanOrEqual(1)
      const [failed] = await refundsOf(order.transactionId)
      expect(failed.reason).toMatch(/no record of this reversal/i)
      expect((await medusaPayment(order.sessionId)).refunds).toHaveLength(0)
    })

    it("a reversal whose result is lost: Transaction Status confirms it later and the refund is then recorded in Medusa", async () => {
      const order = await paidOrder()
      sim.setFaults({ reversalOutcome: "lost_result" })
      const started = Date.now()
      const res = await refund(order.paymentId, CART_TOTAL)
      expect(res.status).toBe(400)
      expect(res.data.message).toMatch(/has not confirmed the reversal of KES 1,700 .*nothing is recorded in Medusa.*will not reverse the payment twice/i)
      expect(Date.now() - started).toBeGreaterThanOrEqual(REVERSAL_WAIT_MS - 200)
      expect((await medusaPayment(order.sessionId)).refunds).toHaveLength(0)
      expect((await refundsOf(order.transactionId))[0].status).toBe("requested")

      sim.setFaults({ reversalOutcome: "normal" })
      const payment = await waitFor(
        async () => {
          await mpesaReconcile(container())
          return medusaPayment(order.sessionId)
        },
        (p) => p.refunds.length > 0,
        30_000
      )
      expect(payment.refunds).toHaveLength(1)
      expect(Number(payment.refunds[0].amount)).toBe(CART_TOTAL)
      expect(payment.refunds[0].note).toMatch(/M-Pesa reversal .* confirmed after the refund request/)
      const [r] = await refundsOf(order.transactionId)
      expect(r).toMatchObject({ status: "completed", medusa_refund_id: payment.refunds[0].id })
      expect(sim.stats().calls.reversal).toBe(1)

      // Later runs of the job record nothing more, and pressing Refund again sends nothing.
      await mpesaReconcile(container())
      expect((await medusaPayment(order.sessionId)).refunds).toHaveLength(1)
      expect((await refund(order.paymentId, CART_TOTAL)).status).toBeGreaterThanOrEqual(400)
      expect(sim.stats().calls.reversal).toBe(1)
    })

    it("a retried or concurrent refund never reverses twice", async () => {
      const order = await paidOrder()
      // The same Medusa refund id twice (Medusa retrying its call): one reversal, the same answer.
      const first = await mpesa.refundFromMedusa({ sessionId: order.sessionId, amount: CART_TOTAL, medusaRefundId: "refund_retry_1" })
      const second = await mpesa.refundFromMedusa({ sessionId: order.sessionId, amount: CART_TOTAL, medusaRefundId: "refund_retry_1" })
      expect(second.id).toBe(first.id)
      expect(sim.stats().calls.reversal).toBe(1)
      // Another refund id for the same payment: refused, still one reversal.
      await expect(
        mpesa.refundFromMedusa({ sessionId: order.sessionId, amount: CART_TOTAL, medusaRefundId: "refund_retry_2" })
      ).rejects.toThrow(/already reversed in full/)

      // Two admins pressing Refund at the same moment on another order (another phone: Daraja refuses the
      // same phone and amount twice within 2 minutes).
      const other = await paidOrder(PHONE_MANUAL)
      const both = await Promise.all([refund(other.paymentId, CART_TOTAL), refund(other.paymentId, CART_TOTAL)])
      expect(both.filter((r) => r.status === 200)).toHaveLength(1)
      expect((await medusaPayment(other.sessionId)).refunds).toHaveLength(1)
      expect(sim.stats().calls.reversal).toBe(2)
    })

    it("refuses a partial refund with what to do instead, and records one made outside M-Pesa without calling Daraja", async () => {
      const order = await paidOrder()
      const partial = await refund(order.paymentId, 500)
      expect(partial.status).toBe(400)
      expect(partial.data.message).toMatch(/amount: M-Pesa reverses whole payments only.*Record refund made outside M-Pesa/)
      expect((await medusaPayment(order.sessionId)).refunds).toHaveLength(0)
      expect(sim.stats().calls.reversal).toBe(0)

      const path = `/admin/mpesa/transactions/${order.transactionId}/refund-outside`
      const noNote = await adminPost(path, { amount: 500 })
      expect(noNote.status).toBe(400)
      expect(noNote.data.message).toMatch(/note/)
      const tooMuch = await adminPost(path, { amount: 5000, note: "Org portal QWE123" })
      expect(tooMuch.status).toBe(400)
      expect(tooMuch.data.message).toMatch(/amount: at most KES 1,700/)

      const ok = await adminPost(path, { amount: 500, note: "Org portal QWE123" })
      expect(ok.status).toBe(200)
      expect(ok.data.refund).toMatchObject({ kind: "outside", status: "completed", amount: 500, note: "Org portal QWE123" })
      expect(ok.data.refund.requested_by).toMatch(/^admin:user_/)
      const payment = await medusaPayment(order.sessionId)
      expect(payment.refunds).toHaveLength(1)
      expect(Number(payment.refunds[0].amount)).toBe(500)
      expect(payment.refunds[0].note).toMatch(/Refunded outside M-Pesa Express: Org portal QWE123/)
      expect(ok.data.medusa_refund_id).toBe(payment.refunds[0].id)
      // The same submission again (a double click): refused, naming the note; nothing more recorded.
      const twice = await adminPost(path, { amount: 500, note: "org portal qwe123 " })
      expect(twice.status).toBe(400)
      expect(twice.data.message).toMatch(/^note: a refund with this note is already recorded/)
      expect((await medusaPayment(order.sessionId)).refunds).toHaveLength(1)
      expect(ok.data.transaction.refunded_amount).toBe(500)
      expect(ok.data.transaction.actions).toMatchObject({ reverse: false, record_outside_max: 1200 })
      expect(sim.stats().calls.reversal).toBe(0)

      // A reversal would now return the whole payment again: refused, with the remaining amount.
      const reverse = await refund(order.paymentId, 1200)
      expect(reverse.status).toBe(400)
      expect(reverse.data.message).toMatch(/KES 500 of this payment was already refunded outside/)
      expect(sim.stats().calls.reversal).toBe(0)
    })

    it("cancelling an M-Pesa order refunds it through Daraja", async () => {
      const order = await paidOrder()
      const res = await adminPost(`/admin/orders/${order.orderId}/cancel`, {})
      expect(res.status).toBe(200)
      const { data } = await api.get(`/admin/orders/${order.orderId}?fields=status`, admin)
      expect(data.order.status).toBe("canceled")
      const payment = await medusaPayment(order.sessionId)
      expect(payment.refunds).toHaveLength(1)
      expect(Number(payment.refunds[0].amount)).toBe(CART_TOTAL)
      const [r] = await refundsOf(order.transactionId)
      expect(r).toMatchObject({ kind: "reversal", status: "completed" })
      expect(sim.stats().calls.reversal).toBe(1)
    })

    it("an unmatched payment from a second prompt is listed with its reason and reversed from the admin", async () => {
      // Two prompts for one cart (two phones); the second is paid and completes the order, then the first is paid too.
      const cartId = await readyCart()
      const { sessionId: firstSession } = await store.createPaymentSession(cartId, { phone: PHONE_MANUAL })
      const firstTx = (await mpesa.getPaymentBySession(firstSession))!.transaction_id
      const { sessionId: secondSession } = await store.createPaymentSession(cartId, { phone: PHONE_MANUAL_2 })
      const [firstPrompt, secondPrompt] = sim.prompts()
      sim.approve(secondPrompt.checkoutRequestId)
      await store.waitForStatus(secondSession, (s) => !!s.order_id)
      sim.approve(firstPrompt.checkoutRequestId)
      await waitFor(
        () => mpesa.getLedgerRow(firstTx),
        (r) => r?.status === "paid" && r.unmatched
      )

      const { data: list } = await api.get("/admin/mpesa/transactions?view=unmatched", admin)
      const listed = list.transactions.find((t: any) => t.transaction_id === firstTx)
      expect(listed).toMatchObject({ amount: CART_TOTAL, unmatched: true, actions: { reverse: true, attach: true } })
      expect(listed.mpesa_receipt_number).toBe(sim.prompts().find((p) => p.checkoutRequestId === firstPrompt.checkoutRequestId)!.mpesaReceiptNumber)
      expect(listed.phone).toBe("2547****0111")
      expect(listed.reason).toMatch(/no order was created for this money/)

      // An order's payment cannot be reversed here (the order page's Refund does that).
      const secondTx = (await mpesa.getPaymentBySession(secondSession))!.transaction_id
      const wrong = await adminPost(`/admin/mpesa/transactions/${secondTx}/reverse`, {})
      expect(wrong.status).toBe(400)
      expect(wrong.data.message).toMatch(/Only paid M-Pesa payments without an order can be reversed here/)

      const res = await adminPost(`/admin/mpesa/transactions/${firstTx}/reverse`, { note: "paid twice" })
      expect(res.status).toBe(200)
      expect(res.data.refund).toMatchObject({ kind: "reversal", status: "completed", amount: CART_TOTAL, note: "paid twice" })
      expect(res.data.transaction.actions).toMatchObject({ reverse: false, attach: false, record_outside_max: 0 })
      expect(sim.stats().calls.reversal).toBe(1)

      // Cleared: gone from Unmatched, on the Refunds tab; a second press changes nothing.
      const { data: after } = await api.get("/admin/mpesa/transactions?view=unmatched", admin)
      expect(after.transactions.map((t: any) => t.transaction_id)).not.toContain(firstTx)
      const { data: refunds } = await api.get("/admin/mpesa/transactions?view=refunds", admin)
      expect(refunds.transactions.map((t: any) => t.transaction_id)).toContain(firstTx)
      // A second press answers with the same reversal; nothing is sent again.
      const twice = await adminPost(`/admin/mpesa/transactions/${firstTx}/reverse`, {})
      expect(twice.status).toBe(200)
      expect(twice.data.refund.id).toBe(res.data.refund.id)
      expect(sim.stats().calls.reversal).toBe(1)
      // The order that was paid stays paid.
      expect((await medusaPayment(secondSession)).refunds).toHaveLength(0)
    })

    it("attaches unmatched money to its cart once the amounts agree and completes the cart into an order", async () => {
      const paid = await unmatchedAfterCartChange()
      const path = `/admin/mpesa/transactions/${paid.transactionId}/attach`

      // The cart now costs more than was paid.
      const mismatch = await adminPost(path, { cart_id: paid.cartId })
      expect(mismatch.status).toBe(400)
      expect(mismatch.data.message).toMatch(/cart_id: the amounts must agree: cart .* costs KES 3,200 and this payment is KES 1,700/)
      const bad = await adminPost(path, { cart_id: "not-a-cart" })
      expect(bad.status).toBe(400)
      expect(bad.data.message).toMatch(/cart_id/)

      // The shopper's cart goes back to what they paid for.
      await api.post(`/store/carts/${paid.cartId}/line-items/${paid.lineItemId}`, { quantity: 1 }, store.headers)
      const res = await adminPost(path, { cart_id: paid.cartId })
      expect(res.status).toBe(200)
      expect(res.data.order_id).toMatch(/^order_/)
      expect(res.data.transaction).toMatchObject({ unmatched: false, state: "paid" })
      const { data: links } = await query().graph({ entity: "order_cart", fields: ["order_id"], filters: { cart_id: paid.cartId } })
      expect(links).toHaveLength(1)
      // No second prompt was sent for it, and the money is no longer unmatched.
      expect(sim.stats().calls.stkPush).toBe(1)
      const { data: list } = await api.get("/admin/mpesa/transactions?view=unmatched", admin)
      expect(list.transactions.map((t: any) => t.transaction_id)).not.toContain(paid.transactionId)
      const { data: order } = await api.get(`/admin/orders/${res.data.order_id}?fields=payment_status,total`, admin)
      expect(order.order.payment_status).toBe("captured")

      // Attaching again is refused; nothing changes.
      const again = await adminPost(path, { cart_id: paid.cartId })
      expect(again.status).toBe(400)
    })

    it("attaches unmatched money to an order with an unpaid amount of exactly that much, and refuses a paid order", async () => {
      const paid = await unmatchedAfterCartChange()
      const path = `/admin/mpesa/transactions/${paid.transactionId}/attach`
      const order = await paidOrder(PHONE_MANUAL_2)

      const both = await adminPost(path, { cart_id: paid.cartId, order_id: order.orderId })
      expect(both.status).toBe(400)
      expect(both.data.message).toMatch(/either cart_id .* or order_id/)
      const fullyPaid = await adminPost(path, { order_id: order.orderId })
      expect(fullyPaid.status).toBe(400)
      expect(fullyPaid.data.message).toMatch(/order_id: order #\d+ has nothing left to pay, so this money is extra/)

      // The order now owes KES 1,700 more (as after an order edit): the money pays that.
      const { result: pc } = await createOrderPaymentCollectionWorkflow(container()).run({
        input: { order_id: order.orderId, amount: CART_TOTAL },
      })
      const res = await adminPost(path, { order_id: order.orderId })
      expect(res.status).toBe(200)
      expect(res.data.order_id).toBe(order.orderId)
      expect(res.data.transaction).toMatchObject({ unmatched: false, state: "paid" })
      expect(res.data.transaction.completed_at).toBeTruthy()
      const { data } = await query().graph({
        entity: "payment_collection",
        fields: ["id", "status", "payments.captured_at"],
        filters: { id: pc[0].id },
      })
      expect(data[0].status).toBe("completed")
      expect(data[0].payments![0]!.captured_at).toBeTruthy()
      expect(sim.stats().calls.stkPush).toBe(2) // the two paid prompts; none for the attach
    })

    it("records unmatched money refunded from the Org portal, without a Daraja call", async () => {
      const paid = await unmatchedAfterCartChange()
      const res = await adminPost(`/admin/mpesa/transactions/${paid.transactionId}/refund-outside`, {
        amount: CART_TOTAL,
        note: "Returned from the Org portal, ref RTN123",
      })
      expect(res.status).toBe(200)
      expect(res.data.refund).toMatchObject({ kind: "outside", status: "completed", amount: CART_TOTAL })
      expect(res.data.medusa_refund_id).toBeNull()
      expect(sim.stats().calls.reversal).toBe(0)
      const { data: list } = await api.get("/admin/mpesa/transactions?view=unmatched", admin)
      expect(list.transactions.map((t: any) => t.transaction_id)).not.toContain(paid.transactionId)
    })

    it("result URLs: a forged signature is 404 and changes nothing; a duplicate result is recorded as a duplicate", async () => {
      const order = await paidOrder()
      expect((await refund(order.paymentId, CART_TOTAL)).status).toBe(200)
      const [r] = await refundsOf(order.transactionId)
      const url = new URL(sim.callbacks().find((c) => c.kind === "reversal")!.url)
      const forged = await api.post(url.pathname.replace(/\/[^/]+$/, "/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), {}, { validateStatus: () => true })
      expect(forged.status).toBe(404)
      const otherKind = await api.post(url.pathname.replace("/reversal/", "/status/"), {}, { validateStatus: () => true })
      expect(otherKind.status).toBe(404)

      // Replaying Daraja's own result body to the right URL: stored, acknowledged, a duplicate.
      const delivered = sim.callbacks().find((c) => c.kind === "reversal")!
      const replay = await api.post(url.pathname, delivered.payload, { validateStatus: () => true })
      expect(replay.status).toBe(200)
      const results = await waitFor(
        () => mpesa.listCallbacks({}, { take: 50 }),
        (cbs) => cbs.filter((c) => c.refund_id === r.id && c.processed_at).length >= 2
      )
      expect(results.filter((c) => c.refund_id === r.id).map((c) => c.status).sort()).toEqual(["applied", "duplicate"])
      expect((await medusaPayment(order.sessionId)).refunds).toHaveLength(1)
      const malformed = await api.post(url.pathname, { Result: { nope: 1 } }, { validateStatus: () => true })
      expect(malformed.status).toBe(400)
    })
  },
})
