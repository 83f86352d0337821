import { createMpesaCheckout, createMpesaClient, type MpesaCheckoutState } from ".."
import { normalizeKenyanPhone } from "../../lib/daraja"
import { fakeStore, payment, sessionCreated } from "./fake-store"

const BASE = "http://shop.test"
const PC = "/store/payment-collections/pay_col_1/payment-sessions"
const POLL = "/store/mpesa/payment-sessions/payses_1"

beforeEach(() => jest.useFakeTimers({ now: new Date("2026-11-29T10:00:00Z") }))
afterEach(() => jest.useRealTimers())

function client(store: ReturnType<typeof fakeStore>) {
  return createMpesaClient({ baseUrl: `${BASE}/`, publishableKey: "pk_test", fetch: store.fetch })
}

/** Runs the fake clock until `p` settles (bounded), returning its value. */
async function settle<T>(p: Promise<T>, maxMs = 10 * 60_000): Promise<T> {
  let done = false
  let value: T
  p.then((v) => {
    done = true
    value = v
  })
  for (let t = 0; t < maxMs && !done; t += 250) await jest.advanceTimersByTimeAsync(250)
  if (!done) throw new Error("did not settle")
  return value!
}

describe("phone rules: the client and the server share one implementation", () => {
  it.each(["0712345678", "+254 712 345 678", "254112345678", "712-345-678", "(0712) 345.678"])("accepts %s like the server", (raw) => {
    const store = fakeStore(() => undefined)
    const { startPrompt } = client(store)
    void startPrompt({ paymentCollectionId: "pay_col_1", phone: raw })
    // What the client sends is exactly what the server's normaliser makes of it.
    return Promise.resolve().then(async () => {
      await jest.advanceTimersByTimeAsync(0)
      expect(store.calls[0].body).toEqual({ provider_id: "pp_mpesa_mpesa", data: { phone: normalizeKenyanPhone(raw) } })
    })
  })

  it.each(["", "0812345678", "07123", "254812345678", "0712345678901"])("refuses %p without calling the store", async (raw) => {
    const store = fakeStore(() => undefined)
    const r = await client(store).startPrompt({ paymentCollectionId: "pay_col_1", phone: raw })
    expect(r).toMatchObject({ ok: false, kind: "invalid_phone" })
    expect(store.calls).toHaveLength(0)
    expect(() => normalizeKenyanPhone(raw)).toThrow()
  })
})

describe("startPrompt", () => {
  it("creates the M-Pesa session with the publishable key and returns its id", async () => {
    const store = fakeStore((m, p) => (m === "POST" && p === PC ? sessionCreated() : undefined))
    const r = await client(store).startPrompt({ paymentCollectionId: "pay_col_1", phone: "0712345678" })
    expect(r).toEqual({ ok: true, sessionId: "payses_1", payment: null })
    expect(store.calls[0].headers["x-publishable-api-key"]).toBe("pk_test")
  })

  it("429: the limit's message and wait (body first, then Retry-After)", async () => {
    const body = { type: "too_many_requests", code: "mpesa_prompt_limit", limit: "phone", retry_after_seconds: 412, message: "Too many M-Pesa prompts to this phone number. Please wait 7 minutes before trying again." }
    const store = fakeStore(() => ({ status: 429, body, headers: { "retry-after": "412" } }))
    expect(await client(store).startPrompt({ paymentCollectionId: "pay_col_1", phone: "0712345678" })).toEqual({
      ok: false,
      kind: "rate_limited",
      retryAfterSeconds: 412,
      message: body.message,
    })
    const headerOnly = fakeStore(() => ({ status: 429, body: { message: "slow down" }, headers: { "retry-after": "30" } }))
    expect(await client(headerOnly).startPrompt({ paymentCollectionId: "pay_col_1", phone: "0712345678" })).toMatchObject({ retryAfterSeconds: 30 })
  })

  it("400: the server's sentence without the field prefix; 500: a setup message; network: a connection message", async () => {
    const bad = fakeStore(() => ({ status: 400, body: { type: "invalid_data", message: "amount: M-Pesa Express takes KES 1 to KES 250,000 per payment" } }))
    expect(await client(bad).startPrompt({ paymentCollectionId: "pay_col_1", phone: "0712345678" })).toEqual({
      ok: false,
      kind: "refused",
      httpStatus: 400,
      message: "M-Pesa Express takes KES 1 to KES 250,000 per payment",
    })
    const down = fakeStore(() => ({ status: 500, body: { message: "Daraja credentials rejected" } }))
    const r = await client(down).startPrompt({ paymentCollectionId: "pay_col_1", phone: "0712345678" })
    expect(r).toMatchObject({ ok: false, kind: "refused", httpStatus: 500 })
    expect((r as { message: string }).message).not.toContain("credentials")
    const offline = fakeStore(() => new TypeError("Failed to fetch"))
    expect(await client(offline).startPrompt({ paymentCollectionId: "pay_col_1", phone: "0712345678" })).toMatchObject({ kind: "network" })
  })
})

describe("follow: polls our store route with back-off until an outcome", () => {
  it("pending -> paid with the order id; polls back off 1 s, 1.5 s, 2.25 s, then every 3 s", async () => {
    const times: number[] = []
    const t0 = Date.now()
    const store = fakeStore((_m, p, _b, n) => {
      if (p !== POLL) return undefined
      times.push(Date.now() - t0)
      return { status: 200, body: { mpesa_payment: n < 6 ? payment() : payment({ state: "paid", mpesa_receipt_number: "UKOEA65ZHW", message: "Payment received. M-Pesa receipt UKOEA65ZHW.", order_id: "order_1" }) } }
    })
    const updates: string[] = []
    const outcome = await settle(client(store).follow("payses_1", { onUpdate: (p) => updates.push(p.state) }))
    expect(outcome).toMatchObject({ status: "paid", orderId: "order_1", receipt: "UKOEA65ZHW" })
    expect(times).toEqual([1000, 2500, 4750, 7750, 10750, 13750])
    expect(updates).toEqual(["pending", "pending", "pending", "pending", "pending", "paid"])
  })

  it.each([
    ["canceled", "1032", true, "You cancelled the M-Pesa prompt."],
    ["failed", "2001", true, "Wrong M-Pesa PIN."],
    ["failed", "1", true, "Insufficient M-Pesa balance."],
    ["expired", "1037", true, "Your phone could not be reached."],
    ["failed", "17", false, "Please wait 2 minutes."],
  ] as const)("%s (%s) -> failed with the server's message and retryable=%s", async (state, code, retryable, message) => {
    const store = fakeStore((_m, p, _b, n) =>
      p === POLL ? { status: 200, body: { mpesa_payment: n < 2 ? payment() : payment({ state, result_code: code, retryable, message }) } } : undefined
    )
    const outcome = await settle(client(store).follow("payses_1"))
    expect(outcome).toEqual({ status: "failed", reason: state, retryable, resultCode: code, message, payment: expect.any(Object) })
  })

  it("indeterminate past expiry + grace -> unknown with its 'do not pay twice' message; never before", async () => {
    const expires = new Date(Date.now() + 60_000).toISOString()
    const msg = "We sent the M-Pesa prompt but could not confirm it reached your phone. Please do not pay twice."
    const store = fakeStore((_m, p) => (p === POLL ? { status: 200, body: { mpesa_payment: payment({ state: "indeterminate", expires_at: expires, message: msg }) } } : undefined))
    const t0 = Date.now()
    const outcome = await settle(client(store).follow("payses_1"))
    expect(outcome).toMatchObject({ status: "unknown", message: msg })
    const waited = Date.now() - t0
    expect(waited).toBeGreaterThan(90_000) // 60 s to expiry + 30 s grace
    expect(waited).toBeLessThan(94_000)
  })

  it("failed polls (network, 5xx, 404) back off up to 15 s and do not end the wait before expiry", async () => {
    const times: number[] = []
    const t0 = Date.now()
    const store = fakeStore((_m, p, _b, n) => {
      if (p !== POLL) return undefined
      times.push(Date.now() - t0)
      if (n === 1) return { status: 200, body: { mpesa_payment: payment() } }
      if (n < 8) return n % 2 ? new TypeError("Failed to fetch") : { status: 503, body: {} }
      return { status: 200, body: { mpesa_payment: payment({ state: "paid", order_id: "order_9", mpesa_receipt_number: "R1" }) } }
    })
    const outcome = await settle(client(store).follow("payses_1"))
    expect(outcome).toMatchObject({ status: "paid", orderId: "order_9" })
    const gaps = times.slice(1).map((t, i) => t - times[i])
    expect(gaps).toEqual([1500, 2000, 4000, 8000, 15000, 15000, 15000])
  })

  it("paid without an order: completes the cart itself after 8 s (Medusa returns the plugin's order)", async () => {
    const store = fakeStore((m, p) => {
      if (p === POLL) return { status: 200, body: { mpesa_payment: payment({ state: "paid", mpesa_receipt_number: "R2" }) } }
      if (m === "POST" && p === "/store/carts/cart_1/complete") return { status: 200, body: { type: "order", order: { id: "order_2" } } }
      return undefined
    })
    const outcome = await settle(client(store).follow("payses_1", { cartId: "cart_1" }))
    expect(outcome).toMatchObject({ status: "paid", orderId: "order_2", receipt: "R2" })
    expect(store.calls.filter((c) => c.path.endsWith("/complete"))).toHaveLength(1)
  })

  it("abort stops polling at once", async () => {
    const store = fakeStore((_m, p) => (p === POLL ? { status: 200, body: { mpesa_payment: payment() } } : undefined))
    const ac = new AbortController()
    const p = client(store).follow("payses_1", { signal: ac.signal })
    await jest.advanceTimersByTimeAsync(5000)
    const before = store.polls().length
    ac.abort()
    expect(await p).toEqual({ status: "aborted" })
    await jest.advanceTimersByTimeAsync(60_000)
    expect(store.polls().length).toBe(before)
  })
})

describe("createMpesaCheckout: the state machine a UI renders", () => {
  function checkout(route: Parameters<typeof fakeStore>[0]) {
    const store = fakeStore((m, p, b, n) => {
      if (m === "POST" && p === "/store/payment-collections") return { status: 200, body: { payment_collection: { id: "pay_col_1" } } }
      return route(m, p, b, n)
    })
    const c = createMpesaCheckout({ client: client(store), cartId: "cart_1" })
    const seen: string[] = []
    c.subscribe((s) => seen.push(s.status))
    return { c, store, seen }
  }

  it("decline -> failed (retryable) -> retry sends a new prompt -> paid", async () => {
    let sessions = 0
    const { c, store, seen } = checkout((m, p) => {
      if (m === "POST" && p === PC) return sessionCreated(`payses_${++sessions}`)
      if (p === "/store/mpesa/payment-sessions/payses_1")
        return { status: 200, body: { mpesa_payment: payment({ state: "canceled", result_code: "1032", retryable: true, message: "You cancelled the prompt." }) } }
      if (p === "/store/mpesa/payment-sessions/payses_2")
        return { status: 200, body: { mpesa_payment: payment({ session_id: "payses_2", state: "paid", order_id: "order_1", mpesa_receipt_number: "R3", message: "Payment received." }) } }
      return undefined
    })
    const t0 = Date.now()
    const first = await settle(c.pay("0712 345 678"))
    expect(first).toMatchObject({ status: "failed", reason: "canceled", retryable: true, message: "You cancelled the prompt." })
    // Daraja's rule: the same number and amount again within 2 minutes ends in ResultCode 17, so no request yet.
    expect(c.sameNumberRetryAt("0712345678")).toBe(t0 + 120_000)
    expect(await c.retry()).toBe(first)
    expect(store.calls.filter((x) => x.path === PC)).toHaveLength(1)
    await jest.advanceTimersByTimeAsync(t0 + 120_000 - Date.now())
    expect(c.sameNumberRetryAt("0712345678")).toBe(0)
    const second = await settle(c.retry())
    expect(second).toMatchObject({ status: "paid", orderId: "order_1", receipt: "R3" })
    expect(seen).toEqual(["sending", "waiting", "failed", "sending", "waiting", "paid"])
    expect(store.calls.filter((x) => x.path === PC).map((x) => x.body)).toEqual([
      { provider_id: "pp_mpesa_mpesa", data: { phone: "254712345678" } },
      { provider_id: "pp_mpesa_mpesa", data: { phone: "254712345678" } },
    ])
    // The collection was asked for once and reused.
    expect(store.calls.filter((x) => x.path === "/store/payment-collections")).toHaveLength(1)
  })

  it("after a failure another number can be prompted at once", async () => {
    let sessions = 0
    const { c, store } = checkout((m, p) => {
      if (m === "POST" && p === PC) return sessionCreated(`payses_${++sessions}`)
      if (p === "/store/mpesa/payment-sessions/payses_1")
        return { status: 200, body: { mpesa_payment: payment({ state: "failed", result_code: "2001", retryable: true, message: "Wrong PIN." }) } }
      if (p === "/store/mpesa/payment-sessions/payses_2") return { status: 200, body: { mpesa_payment: payment({ state: "paid", order_id: "order_2" }) } }
      return undefined
    })
    await settle(c.pay("0712345678"))
    expect(c.sameNumberRetryAt("0722 000 111")).toBe(0)
    expect(await settle(c.pay("0722 000 111"))).toMatchObject({ status: "paid", orderId: "order_2" })
    expect(store.calls.filter((x) => x.path === PC).map((x) => (x.body as { data: { phone: string } }).data.phone)).toEqual([
      "254712345678",
      "254722000111",
    ])
  })

  it("a non-retryable failure cannot be retried", async () => {
    const { c, store } = checkout((m, p) => {
      if (m === "POST" && p === PC) return sessionCreated()
      if (p === POLL) return { status: 200, body: { mpesa_payment: payment({ state: "failed", result_code: "17", retryable: false, message: "wait" }) } }
      return undefined
    })
    await settle(c.pay("0712345678"))
    await settle(c.retry())
    expect(store.calls.filter((x) => x.path === PC)).toHaveLength(1)
  })

  it("429 -> rate_limited with the wait; Pay is refused until it has passed", async () => {
    let n = 0
    const { c, store } = checkout((m, p) => {
      if (m === "POST" && p === PC) return ++n === 1 ? { status: 429, body: { retry_after_seconds: 45, message: "Please wait 45 seconds" } } : sessionCreated()
      if (p === POLL) return { status: 200, body: { mpesa_payment: payment({ state: "paid", order_id: "order_1" }) } }
      return undefined
    })
    const t0 = Date.now()
    const s = (await settle(c.pay("0712345678"))) as Extract<MpesaCheckoutState, { status: "rate_limited" }>
    expect(s.status).toBe("rate_limited")
    expect(s.retryAt - t0).toBe(45_000)
    expect(s.message).toBe("Please wait 45 seconds")
    await settle(c.retry())
    expect(store.calls.filter((x) => x.path === PC)).toHaveLength(1)
    await jest.advanceTimersByTimeAsync(45_000)
    expect(await settle(c.retry())).toMatchObject({ status: "paid" })
  })

  it("invalid phone: no request at all", async () => {
    const { c, store } = checkout(() => undefined)
    expect(await settle(c.pay("12345"))).toMatchObject({ status: "invalid_phone" })
    expect(store.calls.filter((x) => x.path === PC)).toHaveLength(0)
  })

  it("waiting carries a countdown to the prompt's end, capped by the plugin's expiry", async () => {
    const expiresAt = new Date(Date.now() + 30_000).toISOString()
    const { c } = checkout((m, p) => {
      if (m === "POST" && p === PC) return sessionCreated()
      if (p === POLL) return { status: 200, body: { mpesa_payment: payment({ expires_at: expiresAt }) } }
      return undefined
    })
    const t0 = Date.now()
    void c.pay("0712345678")
    await jest.advanceTimersByTimeAsync(0)
    expect(c.getState()).toMatchObject({ status: "waiting", promptExpiresAt: t0 + 60_000 })
    await jest.advanceTimersByTimeAsync(1000)
    expect(c.getState()).toMatchObject({ status: "waiting", promptExpiresAt: t0 + 30_000 })
    c.abort()
  })

  it("unknown -> check follows the same session again and never sends a new prompt", async () => {
    let verdict = false
    const { c, store } = checkout((m, p) => {
      if (m === "POST" && p === PC) return sessionCreated()
      if (p === POLL)
        return {
          status: 200,
          body: { mpesa_payment: verdict ? payment({ state: "paid", order_id: "order_7" }) : payment({ state: "indeterminate", expires_at: new Date(Date.now() - 31_000).toISOString() }) },
        }
      return undefined
    })
    expect(await settle(c.pay("0712345678"))).toMatchObject({ status: "unknown" })
    // No new prompt while the first may still be paid, not even to another number.
    expect(await c.pay("0722000111")).toMatchObject({ status: "unknown" })
    verdict = true
    expect(await settle(c.check())).toMatchObject({ status: "paid", orderId: "order_7" })
    expect(store.calls.filter((x) => x.path === PC)).toHaveLength(1)
  })

  it("abort (unmount) leaves no polling behind", async () => {
    const { c, store } = checkout((m, p) => {
      if (m === "POST" && p === PC) return sessionCreated()
      if (p === POLL) return { status: 200, body: { mpesa_payment: payment() } }
      return undefined
    })
    void c.pay("0712345678")
    await jest.advanceTimersByTimeAsync(4000)
    c.abort()
    const n = store.polls().length
    await jest.advanceTimersByTimeAsync(120_000)
    expect(store.polls().length).toBe(n)
  })
})
