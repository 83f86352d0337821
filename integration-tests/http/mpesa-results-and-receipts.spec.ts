import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import { startDarajaSimulator, type DarajaSimulator } from "../../src/simulator"
import { seedDemoStore } from "../../src/scripts/seed-demo"
import mpesaReconcile from "../../src/jobs/mpesa-reconcile"
import { adminToken } from "../helpers/admin-auth"
import { applyTestEnv, freePort, simulatorAppEnv } from "../helpers/env"
import { CART_TOTAL, moneyDesk, phoneSequence, waitFor } from "../helpers/money-desk-scenarios"
import { StoreCheckout, sleep } from "../helpers/store-checkout"

/**
 * Issue 14, sections 3 and 2.1, on a real Medusa app and the simulator over
 * HTTP: Daraja's Reversal and Transaction Status results are applied only
 * when they answer the very request they were posted for (forged ones change
 * nothing), and a payment confirmed only by STK Query (no receipt) has
 * actions that work: Add receipt (checked with Transaction Status), then
 * Reverse; Record outside without one; Refund and Cancel say what to do.
 */
const REVERSAL_WAIT_MS = 3_000

applyTestEnv()
jest.setTimeout(180_000)

let sim: DarajaSimulator
beforeAll(async () => {
  sim = await startDarajaSimulator({ callbackDelayMs: 200, promptTimeoutMs: 30_000, strict: true })
  const port = await freePort()
  applyTestEnv(
    simulatorAppEnv(sim, port, {
      initiatorPassword: "Initiator-Pa55word-results",
      overrides: {
        MPESA_REVERSAL_WAIT_MS: String(REVERSAL_WAIT_MS),
        MPESA_REVERSAL_CHECK_AFTER_MS: "1000",
        MPESA_MAX_REVERSAL_CHECKS: "3",
      },
    })
  )
})

afterAll(async () => {
  await sim?.close()
})

const nextPhone = phoneSequence("07232")

/** A Daraja-shaped Transaction Status success, with ids of the forger's choosing. */
function forgedStatusResult(ids: { originator: string; conversation: string }) {
  return {
    Result: {
      ResultType: 0,
      ResultCode: 0,
      ResultDesc: "The service request is processed successfully.",
      OriginatorConversationID: ids.originator,
      ConversationID: ids.conversation,
      TransactionID: "UKFORGED01",
      ResultParameters: {
        ResultParameter: [
          { Key: "TransactionStatus", Value: "Completed" },
          { Key: "ReasonType", Value: "Reversal" },
          { Key: "ReceiptNo", Value: "UKFORGED01" },
          { Key: "Amount", Value: CART_TOTAL },
        ],
      },
    },
  }
}

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let seed: Awaited<ReturnType<typeof seedDemoStore>>
    let store: StoreCheckout
    let admin: { headers: Record<string, string> }
    const container = (): MedusaContainer => getContainer()
    const desk = moneyDesk({ api, container, sim: () => sim, seed: () => seed, store: () => store, admin: () => admin })
    const reconcile = () => mpesaReconcile(container())
    const post = (path: string, body: unknown) => api.post(path, body, { validateStatus: () => true })

    beforeAll(async () => {
      seed = await seedDemoStore(container())
      store = new StoreCheckout(api, seed.publishableKey)
    })

    beforeEach(async () => {
      sim.reset()
      admin = { headers: { authorization: `Bearer ${await adminToken(api, container(), "admin-results@example.co.ke")}` } }
    })

    afterEach(async () => {
      sim.setFaults({ dropCallbacks: true })
      await sleep(1_000)
    })

    /** A paid order whose STK callback never arrived: confirmed by STK Push Query, which carries no receipt. */
    async function queriedOrder(phone: string) {
      sim.setFaults({ dropCallbacks: true })
      const cartId = await desk.readyCart()
      const { sessionId } = await store.createPaymentSession(cartId, { phone })
      const prompt = await waitFor(
        async () => sim.prompts().find((p) => p.state === "awaiting_customer" && p.phoneNumber.endsWith(phone.slice(-9))),
        (p) => !!p
      )
      sim.approve(prompt!.checkoutRequestId)
      const status = await store.waitForStatus(sessionId, (s) => !!s.order_id, 30_000)
      const view = (await desk.mpesa().getPaymentBySession(sessionId))!
      await waitFor(() => desk.mpesa().getLedgerRow(view.transaction_id), (r) => !!r?.completed_at)
      sim.setFaults({ dropCallbacks: false })
      const receipt = sim.prompts().find((p) => p.checkoutRequestId === prompt!.checkoutRequestId)!.mpesaReceiptNumber!
      const payment = (await desk.medusaPayment(sessionId))!
      return { cartId, sessionId, orderId: status.order_id as string, paymentId: payment.id, transactionId: view.transaction_id, receipt }
    }

    it("a forged Transaction Status success posted to the status URL while a reversal waits changes nothing; M-Pesa's own answer then settles it", async () => {
      const order = await desk.paidOrder(nextPhone())
      // M-Pesa drops the reversal in its queue (no money moves) and no answer arrives.
      sim.setFaults({ reversalOutcome: "queue_timeout", dropCallbacks: true })
      expect((await desk.refund(order.paymentId, CART_TOTAL)).status).toBe(400)
      // The job checks with Transaction Status; its signed Result URL is what leaks (logs, a proxy, Daraja's side).
      const check = await waitFor(
        async () => {
          await reconcile()
          return sim.callbacks().find((c) => c.kind === "transaction_status")
        },
        (c) => !!c,
        20_000
      )
      const statusUrl = new URL(check!.url).pathname
      const reversal = sim.reversals()[0]

      // Forged: a success with made-up ids, and one copying the reversal's own ids (visible in its result URL's answers).
      for (const ids of [
        { originator: "AG_20261203_forged00001", conversation: "AG_20261203_forged00002" },
        { originator: reversal.originatorConversationId, conversation: reversal.conversationId },
      ]) {
        expect((await post(statusUrl, forgedStatusResult(ids))).status).toBe(200)
      }
      const stored = await waitFor(
        async () => (await desk.mpesa().listCallbacks({ transactionId: order.transactionId }, { take: 50 })).filter((c) => c.kind === "status_result"),
        (cbs) => cbs.length === 2 && cbs.every((c) => !!c.processed_at)
      )
      expect(stored.map((c) => c.status)).toEqual(["suspicious", "suspicious"])
      await reconcile()
      const [open] = await desk.refundsOf(order.transactionId)
      expect(open.status).not.toBe("completed")
      expect((await desk.mpesa().getLedgerRow(order.transactionId))!.refunded_amount).toBe(0)
      expect((await desk.medusaPayment(order.sessionId))!.refunds).toHaveLength(0)
      const suspicious = await api.get("/admin/mpesa/transactions?view=suspicious", admin).catch(() => null)
      if (suspicious) expect(JSON.stringify(suspicious.data)).not.toContain("Initiator-Pa55word")

      // M-Pesa's own answer to the next check: no such reversal (it died in the queue) -> failed, refund again works.
      sim.setFaults({ dropCallbacks: false, reversalOutcome: "normal" })
      expect((await desk.adminPost(`/admin/mpesa/refunds/${open.id}/check`)).status).toBe(200)
      await waitFor(() => desk.refundsOf(order.transactionId), (rs) => rs[0].status === "failed")
      expect(sim.reversals().filter((r) => r.reversed)).toHaveLength(0)
      expect((await desk.refund(order.paymentId, CART_TOTAL)).status).toBe(200)
      expect((await desk.medusaPayment(order.sessionId))!.refunds.map((r) => Number(r.amount))).toEqual([CART_TOTAL])
      expect(sim.reversals().filter((r) => r.reversed)).toHaveLength(1)
    })

    it("a forged Reversal failure on the reversal's own result URL changes nothing (no second refund is invited)", async () => {
      const order = await desk.paidOrder(nextPhone())
      // M-Pesa reverses the payment but its result never arrives.
      sim.setFaults({ reversalOutcome: "lost_result", dropCallbacks: true })
      expect((await desk.refund(order.paymentId, CART_TOTAL)).status).toBe(400)
      const reversalUrl = new URL(sim.callbacks().find((c) => c.kind === "reversal")!.url).pathname
      const res = await post(reversalUrl, {
        Result: {
          ResultType: 0,
          ResultCode: 1,
          ResultDesc: "The balance is insufficient for the transaction.",
          OriginatorConversationID: "AG_20261203_forged00003",
          ConversationID: "AG_20261203_forged00004",
          TransactionID: "UKFORGED02",
        },
      })
      expect(res.status).toBe(200)
      const [cb] = await waitFor(
        async () => (await desk.mpesa().listCallbacks({ transactionId: order.transactionId }, { take: 50 })).filter((c) => c.kind === "reversal_result"),
        (cbs) => cbs.length === 1 && !!cbs[0].processed_at
      )
      expect(cb.status).toBe("suspicious")
      expect((await desk.refundsOf(order.transactionId))[0].status).toBe("requested")

      // The job's Transaction Status (M-Pesa answering again) finds the reversal done.
      sim.setFaults({ dropCallbacks: false, reversalOutcome: "normal" })
      const refunds = await waitFor(
        async () => {
          await reconcile()
          return desk.refundsOf(order.transactionId)
        },
        (rs) => rs[0].status === "completed",
        20_000
      )
      expect(refunds.map((r) => r.status)).toEqual(["completed"])
      expect(sim.reversals().filter((r) => r.reversed)).toHaveLength(1)
    })

    it("paid, confirmed only by STK Query: Refund and Cancel say the receipt is missing; Add receipt is checked with M-Pesa, then Refund reverses it", async () => {
      const order = await queriedOrder(nextPhone())
      const other = await desk.paidOrder(nextPhone())
      expect((await desk.mpesa().getLedgerRow(order.transactionId))!.mpesa_receipt_number).toBeNull()

      const refused = await desk.refund(order.paymentId, CART_TOTAL)
      expect(refused.status).toBe(400)
      expect(refused.data.message).toMatch(/no M-Pesa receipt number.*Add the receipt/)
      const cancel = await desk.adminPost(`/admin/orders/${order.orderId}/cancel`, {})
      expect(cancel.status).toBe(400)
      expect(cancel.data.message).toMatch(/no M-Pesa receipt number.*Add the receipt/)
      const { data: afterCancel } = await api.get(`/admin/orders/${order.orderId}?fields=status`, admin)
      expect(afterCancel.order.status).not.toBe("canceled")
      let tx = (await desk.mpesa().getAdminTransaction(order.transactionId))!
      expect(tx.actions).toMatchObject({ add_receipt: true, reverse: false, record_outside_max: CART_TOTAL })

      const receiptPath = `/admin/mpesa/transactions/${order.transactionId}/receipt`
      const malformed = await desk.adminPost(receiptPath, { receipt: "12-34" })
      expect(malformed.status).toBe(400)
      expect(malformed.data.message).toMatch(/receipt must be an M-Pesa receipt number, ten letters and digits/)
      const taken = await desk.adminPost(receiptPath, { receipt: (await desk.mpesa().getLedgerRow(other.transactionId))!.mpesa_receipt_number })
      expect(taken.status).toBe(400)
      expect(taken.data.message).toMatch(/already the receipt of another M-Pesa payment/)
      const unknown = await desk.adminPost(receiptPath, { receipt: "UZZ9ZZZZZZ" })
      expect(unknown.status).toBe(400)
      expect(unknown.data.message).toMatch(/M-Pesa has no transaction UZZ9ZZZZZZ/)
      expect((await desk.mpesa().getLedgerRow(order.transactionId))!.mpesa_receipt_number).toBeNull()

      // Two admin tabs add the right receipt at once (lower case in one): one check puts it on, the other agrees.
      const added = await Promise.all([
        desk.adminPost(receiptPath, { receipt: order.receipt }),
        desk.adminPost(receiptPath, { receipt: order.receipt.toLowerCase() }),
      ])
      expect(added.map((r) => r.status)).toEqual([200, 200])
      expect(added.map((r) => r.data.check.status)).toEqual(["verified", "verified"])
      expect((await desk.mpesa().getLedgerRow(order.transactionId))!.mpesa_receipt_number).toBe(order.receipt)
      tx = (await desk.mpesa().getAdminTransaction(order.transactionId))!
      expect(tx.actions.add_receipt).toBe(false)
      expect((await api.get(receiptPath, admin)).data.check).toMatchObject({ receipt: order.receipt, status: "verified" })

      // Now M-Pesa can reverse it: the order is cancelled and refunded once.
      const cancelled = await desk.adminPost(`/admin/orders/${order.orderId}/cancel`, {})
      expect(cancelled.status).toBe(200)
      const payment = await waitFor(
        async () => {
          await reconcile()
          return (await desk.medusaPayment(order.sessionId))!
        },
        (p) => p.refunds.length > 0
      )
      expect(payment.refunds.map((r) => Number(r.amount))).toEqual([CART_TOTAL])
      expect(sim.reversals().filter((r) => r.reversed).map((r) => r.transactionId)).toEqual([order.receipt])
    })

    it("paid, confirmed only by STK Query: a refund made outside M-Pesa is recorded without any receipt", async () => {
      const order = await queriedOrder(nextPhone())
      const res = await desk.adminPost(`/admin/mpesa/transactions/${order.transactionId}/refund-outside`, {
        amount: 700,
        note: "Sent from the Org portal, ref OUT123",
      })
      expect(res.status).toBe(200)
      expect(res.data.refund).toMatchObject({ kind: "outside", status: "completed", amount: 700 })
      expect((await desk.medusaPayment(order.sessionId))!.refunds.map((r) => Number(r.amount))).toEqual([700])
      expect(sim.stats().calls.reversal).toBe(0)
    })
  },
})
