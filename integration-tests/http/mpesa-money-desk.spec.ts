import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import { startDarajaSimulator, type DarajaSimulator } from "../../src/simulator"
import { seedDemoStore } from "../../src/scripts/seed-demo"
import mpesaReconcile from "../../src/jobs/mpesa-reconcile"
import { adminToken } from "../helpers/admin-auth"
import { applyTestEnv, freePort, simulatorAppEnv } from "../helpers/env"
import { CART_TOTAL, moneyDesk, phoneSequence, waitFor } from "../helpers/money-desk-scenarios"
import { StoreCheckout, sleep } from "../helpers/store-checkout"

/**
 * The money desk under concurrency (issue 14): one decision per shilling
 * when two admin tabs, Medusa's Refund and Cancel, the reconcile job and a
 * retried request act on one payment at once; and no paid shilling left
 * where nobody can act. Real Medusa + PostgreSQL, the simulator over HTTP.
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
      initiatorPassword: "Initiator-Pa55word-desk",
      overrides: {
        MPESA_REVERSAL_WAIT_MS: String(REVERSAL_WAIT_MS),
        MPESA_REVERSAL_CHECK_AFTER_MS: "1000",
        MPESA_MAX_REVERSAL_CHECKS: "2",
      },
    })
  )
})

afterAll(async () => {
  await sim?.close()
})

const nextPhone = phoneSequence("07231")

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    let seed: Awaited<ReturnType<typeof seedDemoStore>>
    let store: StoreCheckout
    let admin: { headers: Record<string, string> }
    const container = (): MedusaContainer => getContainer()
    const desk = moneyDesk({ api, container, sim: () => sim, seed: () => seed, store: () => store, admin: () => admin })
    const reconcile = () => mpesaReconcile(container())
    const db = () => container().resolve(ContainerRegistrationKeys.PG_CONNECTION)
    /** Reversals that actually moved money, per original receipt: never more than one. */
    const reversedReceipts = () => sim.reversals().filter((r) => r.reversed).map((r) => r.transactionId)

    beforeAll(async () => {
      seed = await seedDemoStore(container())
      store = new StoreCheckout(api, seed.publishableKey)
    })

    beforeEach(async () => {
      sim.reset()
      admin = { headers: { authorization: `Bearer ${await adminToken(api, container(), "admin-desk@example.co.ke")}` } }
    })

    afterEach(async () => {
      sim.setFaults({ dropCallbacks: true })
      await sleep(1_000)
    })

    it("Attach and Reverse of unmatched money at once, in either order, 0-300 ms apart: exactly one wins, the other says what happened", async () => {
      // "request": Reverse is pressed the moment the attach request is on the ledger (the attach's session
      // is still being created) — the narrowest of the windows, hit every time.
      const rounds = [
        { first: "attach", gapMs: "request" },
        { first: "attach", gapMs: "request" },
        { first: "attach", gapMs: 0 },
        { first: "attach", gapMs: 150 },
        { first: "attach", gapMs: 300 },
        { first: "reverse", gapMs: 150 },
      ] as const
      const attachRequested = (transactionId: string) =>
        waitFor(() => db()("mpesa_transaction").where({ id: transactionId }).first(), (r) => !!r?.attach_collection_id, 5_000, 2)
      for (const round of rounds) {
        const paid = await desk.unmatchedForCart(nextPhone())
        const attach = () => desk.adminPost(`/admin/mpesa/transactions/${paid.transactionId}/attach`, { cart_id: paid.cartId })
        const reverse = () => desk.adminPost(`/admin/mpesa/transactions/${paid.transactionId}/reverse`, { note: "second tab" })
        const [a, b] = round.first === "attach" ? [attach, reverse] : [reverse, attach]
        const firstCall = a()
        if (round.gapMs === "request") await attachRequested(paid.transactionId)
        else await sleep(round.gapMs)
        const [r1, r2] = await Promise.all([firstCall, b()])
        const [attached, reversed] = round.first === "attach" ? [r1, r2] : [r2, r1]
        const label = `${round.first} first, ${round.gapMs === "request" ? "on the attach request" : `${round.gapMs} ms`}`
        const winners = [attached, reversed].filter((r) => r.status === 200)
        expect({ label, winners: winners.length }).toEqual({ label, winners: 1 })
        const loser = attached.status === 200 ? reversed : attached
        expect(loser.status).toBe(400)
        expect(loser.data.message).toMatch(/being attached to a cart|being reversed|reversed in full|without an order|already|creat/i)

        const orderId = await desk.orderOfCart(paid.cartId)
        const refunds = (await desk.refundsOf(paid.transactionId)).filter((r) => r.status !== "failed")
        if (attached.status === 200) {
          expect({ label, orderId: !!orderId, refunds: refunds.length }).toEqual({ label, orderId: true, refunds: 0 })
        } else {
          expect({ label, orderId, refunds: refunds.map((r) => r.status) }).toEqual({ label, orderId: null, refunds: ["completed"] })
        }
      }
      expect(new Set(reversedReceipts()).size).toBe(reversedReceipts().length)
    })

    it("Record outside and Attach at once: one wins; nothing refunded is also spent on an order", async () => {
      const paid = await desk.unmatchedForCart(nextPhone())
      const [outside, attached] = await Promise.all([
        desk.adminPost(`/admin/mpesa/transactions/${paid.transactionId}/refund-outside`, { amount: CART_TOTAL, note: "Org portal RTN-A1" }),
        (async () => {
          await sleep(50)
          return desk.adminPost(`/admin/mpesa/transactions/${paid.transactionId}/attach`, { cart_id: paid.cartId })
        })(),
      ])
      expect([outside, attached].filter((r) => r.status === 200)).toHaveLength(1)
      const orderId = await desk.orderOfCart(paid.cartId)
      const row = (await desk.mpesa().getLedgerRow(paid.transactionId))!
      if (attached.status === 200) expect({ orderId: !!orderId, refunded: row.refunded_amount }).toEqual({ orderId: true, refunded: 0 })
      else expect({ orderId, refunded: row.refunded_amount }).toEqual({ orderId: null, refunded: CART_TOTAL })
    })

    it("a KES 1 Medusa refund made before the job records a late-confirmed reversal never claims it; the job then records the whole payment", async () => {
      const order = await desk.paidOrder(nextPhone())
      sim.setFaults({ reversalOutcome: "lost_result", dropCallbacks: true })
      const first = await desk.refund(order.paymentId, CART_TOTAL)
      expect(first.status).toBe(400)
      expect(first.data.message).toMatch(/has not confirmed the reversal/)
      // M-Pesa's result arrives late (delivered by hand here: the very body and URL Daraja used).
      sim.setFaults({ reversalOutcome: "normal", dropCallbacks: false })
      const lost = sim.callbacks().find((c) => c.kind === "reversal" && c.outcome === "dropped")!
      expect((await api.post(new URL(lost.url).pathname, lost.payload, { validateStatus: () => true })).status).toBe(200)
      await waitFor(() => desk.refundsOf(order.transactionId), (rs) => rs[0]?.status === "completed")

      const partial = await desk.refund(order.paymentId, 1)
      expect(partial.status).toBeGreaterThanOrEqual(400)
      expect(partial.data.message).toMatch(/already being reversed in full through M-Pesa \(KES 1,700\)/)
      expect((await desk.medusaPayment(order.sessionId))!.refunds).toHaveLength(0)

      const payment = await waitFor(
        async () => {
          await reconcile()
          return (await desk.medusaPayment(order.sessionId))!
        },
        (p) => p.refunds.length > 0,
        30_000
      )
      expect(payment.refunds.map((r) => Number(r.amount))).toEqual([CART_TOTAL])
      expect(sim.stats().calls.reversal).toBe(1)
    })

    it("Refund and Cancel of one order at once, and a retried Refund: one Reversal, one refund recorded", async () => {
      const order = await desk.paidOrder(nextPhone())
      const [refunded, canceled, retried] = await Promise.all([
        desk.refund(order.paymentId, CART_TOTAL),
        desk.adminPost(`/admin/orders/${order.orderId}/cancel`, {}),
        desk.refund(order.paymentId, CART_TOTAL),
      ])
      expect([refunded, canceled, retried].some((r) => r.status === 200)).toBe(true)
      const payment = await waitFor(
        async () => {
          await reconcile()
          return (await desk.medusaPayment(order.sessionId))!
        },
        (p) => p.refunds.length > 0
      )
      expect(payment.refunds.map((r) => Number(r.amount))).toEqual([CART_TOTAL])
      expect(sim.stats().calls.reversal).toBe(1)
      const refunds = await desk.refundsOf(order.transactionId)
      expect(refunds.map((r) => r.status)).toEqual(["completed"])
      expect((await desk.mpesa().getLedgerRow(order.transactionId))!.refunded_amount).toBe(CART_TOTAL)
    })

    it("a reversal M-Pesa never confirms: flagged, then Check again settles it, or the admin closes it as returned; the order can then be cancelled", async () => {
      const checked = await desk.paidOrder(nextPhone())
      const closed = await desk.paidOrder(nextPhone())
      // Neither the reversal's result nor any Transaction Status answer ever arrives.
      sim.setFaults({ reversalOutcome: "lost_result", dropCallbacks: true })
      expect((await desk.refund(checked.paymentId, CART_TOTAL)).status).toBe(400)
      expect((await desk.refund(closed.paymentId, CART_TOTAL)).status).toBe(400)
      for (const order of [checked, closed]) {
        await waitFor(
          async () => {
            await reconcile()
            return (await desk.refundsOf(order.transactionId))[0]
          },
          (r) => !!r.reason?.includes("has not confirmed this reversal after 2 checks"),
          30_000
        )
        const tx = (await desk.mpesa().getAdminTransaction(order.transactionId))!
        expect(tx.actions.open_reversal_id).toBe(tx.refunds[0].id)
        // Still refused: refunding again and recording outside (the reversal may have moved the money).
        expect((await desk.adminPost(`/admin/mpesa/transactions/${order.transactionId}/refund-outside`, { amount: CART_TOTAL, note: "x" })).status).toBe(400)
      }

      // Check again, with M-Pesa answering now: Transaction Status confirms the reversal.
      sim.setFaults({ dropCallbacks: false, reversalOutcome: "normal" })
      const refundId = (await desk.refundsOf(checked.transactionId))[0].id
      const again = await desk.adminPost(`/admin/mpesa/refunds/${refundId}/check`)
      expect(again.status).toBe(200)
      await waitFor(() => desk.refundsOf(checked.transactionId), (rs) => rs[0].status === "completed")

      // Close as returned: needs the Org portal reference; counted as refunded.
      const closedId = (await desk.refundsOf(closed.transactionId))[0].id
      const noNote = await desk.adminPost(`/admin/mpesa/refunds/${closedId}/close`, {})
      expect(noNote.status).toBe(400)
      expect(noNote.data.message).toMatch(/note/)
      const close = await desk.adminPost(`/admin/mpesa/refunds/${closedId}/close`, { note: "Org portal shows reversal RVX123" })
      expect(close.status).toBe(200)
      expect(close.data.refund).toMatchObject({ status: "completed" })
      expect(close.data.transaction.refunded_amount).toBe(CART_TOTAL)
      expect((await desk.adminPost(`/admin/mpesa/refunds/${closedId}/close`, { note: "twice" })).status).toBe(400)

      // Both orders can now be cancelled: the refunds recorded in Medusa are the reversals, once each.
      for (const order of [checked, closed]) {
        const cancel = await desk.adminPost(`/admin/orders/${order.orderId}/cancel`, {})
        const payment = await waitFor(
          async () => {
            await reconcile()
            return (await desk.medusaPayment(order.sessionId))!
          },
          (p) => p.refunds.length > 0,
          30_000
        )
        expect(payment.refunds.map((r) => Number(r.amount))).toEqual([CART_TOTAL])
        if (cancel.status !== 200) {
          // The job recorded the refund first; cancelling now needs nothing refunded again.
          expect((await desk.adminPost(`/admin/orders/${order.orderId}/cancel`, {})).status).toBe(200)
        }
        const { data } = await api.get(`/admin/orders/${order.orderId}?fields=status`, admin)
        expect(data.order.status).toBe("canceled")
      }
      expect(sim.stats().calls.reversal).toBe(2)
    })

    it("paid, matched, but the order cannot be created (out of stock): Reverse is offered, and once it is sent no order is ever made from that money", async () => {
      const phone = nextPhone()
      const cartId = await desk.readyCart()
      const { sessionId } = await store.createPaymentSession(cartId, { phone })
      await desk.setStock(0)
      try {
        const prompt = sim.prompts().find((p) => p.state === "awaiting_customer")!
        sim.approve(prompt.checkoutRequestId)
        const transactionId = (await desk.mpesa().getPaymentBySession(sessionId))!.transaction_id
        await waitFor(() => desk.mpesa().getLedgerRow(transactionId), (r) => (r?.completion_attempts ?? 0) >= 1, 30_000)
        const tx = (await desk.mpesa().getAdminTransaction(transactionId))!
        expect(tx.actions).toMatchObject({ reverse: true, record_outside_max: CART_TOTAL })

        const res = await desk.adminPost(`/admin/mpesa/transactions/${transactionId}/reverse`, { note: "out of stock" })
        expect(res.status).toBe(200)
        expect(res.data.refund).toMatchObject({ kind: "reversal", status: "completed", amount: CART_TOTAL })

        // Stock comes back: the completion retry must not make an order from money that went back.
        await desk.setStock(100)
        await db()("mpesa_transaction").where({ id: transactionId }).update({ next_completion_at: new Date(Date.now() - 1000) })
        await reconcile()
        expect(await desk.mpesa().claimCompletion(transactionId)).toBeNull()
        expect(await desk.orderOfCart(cartId)).toBeNull()
        expect(sim.stats().calls.reversal).toBe(1)
      } finally {
        await desk.setStock(100)
      }
    })

    it("Close as returned and M-Pesa's late Transaction Status answer at once: the reversal is settled once, the money counted once", async () => {
      const order = await desk.paidOrder(nextPhone())
      // The reversal moves the money but its result is lost, and the job's status check answer is held back.
      sim.setFaults({ reversalOutcome: "lost_result", dropCallbacks: true })
      expect((await desk.refund(order.paymentId, CART_TOTAL)).status).toBe(400)
      const held = await waitFor(
        async () => {
          await reconcile()
          return sim.callbacks().find((c) => c.kind === "transaction_status")
        },
        (c) => !!c,
        20_000
      )
      const refundId = (await desk.refundsOf(order.transactionId))[0].id
      // Daraja's genuine answer arrives the moment the admin closes the reversal as returned (two tabs, one click each).
      const [closed, answered] = await Promise.all([
        desk.adminPost(`/admin/mpesa/refunds/${refundId}/close`, { note: "Org portal shows reversal RVX-RACE" }),
        api.post(new URL(held!.url).pathname, held!.payload, { validateStatus: () => true }),
      ])
      expect(answered.status).toBe(200)
      expect([200, 400]).toContain(closed.status)
      if (closed.status === 400) expect(closed.data.message).toMatch(/settled this reversal meanwhile|already completed/)
      const refunds = await waitFor(() => desk.refundsOf(order.transactionId), (rs) => rs[0].status === "completed")
      expect(refunds.map((r) => r.status)).toEqual(["completed"])
      expect((await desk.mpesa().getLedgerRow(order.transactionId))!.refunded_amount).toBe(CART_TOTAL)
      const payment = await waitFor(
        async () => {
          await reconcile()
          return (await desk.medusaPayment(order.sessionId))!
        },
        (p) => p.refunds.length > 0,
        30_000
      )
      await reconcile()
      expect((await desk.medusaPayment(order.sessionId))!.refunds.map((r) => Number(r.amount))).toEqual([CART_TOTAL])
      expect(payment.refunds).toHaveLength(1)
      expect(sim.reversals().filter((r) => r.reversed)).toHaveLength(1)
    })

    it("an outside refund left in 'sending' by a crash is swept and stops blocking later refunds", async () => {
      const order = await desk.paidOrder(nextPhone())
      // The process dies between our ledger write and Medusa's refund flow.
      const stuck = await desk.mpesa().recordOutsideRefund({
        transactionId: order.transactionId,
        amount: 500,
        note: "Org portal RTN-S1",
        actor: "admin:user_test",
        medusaPaymentId: order.paymentId,
      })
      expect(stuck.status).toBe("sending")
      const blocked = await desk.adminPost(`/admin/mpesa/transactions/${order.transactionId}/refund-outside`, { amount: 500, note: "Org portal RTN-S2" })
      expect(blocked.status).toBe(400)
      expect(blocked.data.message).toMatch(/being recorded for this payment right now/)
      await db()("mpesa_refund").where({ id: stuck.id }).update({ created_at: new Date(Date.now() - 11 * 60_000) })
      await reconcile()
      expect((await desk.mpesa().getRefund(stuck.id))!.status).toBe("failed")
      const ok = await desk.adminPost(`/admin/mpesa/transactions/${order.transactionId}/refund-outside`, { amount: 500, note: "Org portal RTN-S2" })
      expect(ok.status).toBe(200)
      expect((await desk.medusaPayment(order.sessionId))!.refunds.map((r) => Number(r.amount))).toEqual([500])
    })
  },
})
