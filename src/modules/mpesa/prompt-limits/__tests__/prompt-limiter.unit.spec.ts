import { keyHasher } from "../keys"
import { promptLimitsSchema } from "../options"
import { decide, limitChecks, PromptLimiter, type CounterRow, type LimitCheck } from "../prompt-limiter"
import { PromptLimitStore } from "../../stores/prompt-limit-store"

const limits = promptLimitsSchema.parse({
  phone: { max: 3, windowSeconds: 600 },
  paymentCollection: { max: 5, windowSeconds: 86_400 },
  client: { max: 20, windowSeconds: 600 },
})
const hash = keyHasher()
const NOW = new Date("2026-11-29T12:00:00Z")
const ago = (s: number) => new Date(NOW.getTime() - s * 1000)

function rowsFor(checks: LimitCheck[], state: Partial<Record<LimitCheck["limit"], { hits: number; startedSecondsAgo: number }>>) {
  const rows = new Map<string, CounterRow>()
  for (const c of checks) {
    const s = state[c.limit]
    rows.set(c.key, { id: c.key, hits: s?.hits ?? 0, window_started_at: s ? ago(s.startedSecondsAgo) : NOW })
  }
  return rows
}

describe("limitChecks", () => {
  it("makes one check per limit, sorted by key (the lock order)", () => {
    const checks = limitChecks({ phone: "254712345678", paymentCollectionId: "pay_col_1", clientIp: "203.0.113.7" }, limits, hash)
    expect(checks.map((c) => c.limit).sort()).toEqual(["client", "payment_collection", "phone"])
    const keys = checks.map((c) => c.key)
    expect(keys).toEqual([...keys].sort())
    expect(checks.find((c) => c.limit === "phone")).toMatchObject({ max: 3, windowMs: 600_000 })
  })

  it("skips a missing phone or address and limits switched off with max 0", () => {
    const off = promptLimitsSchema.parse({ client: { max: 0 } })
    const checks = limitChecks({ phone: null, paymentCollectionId: "pay_col_1", clientIp: "203.0.113.7" }, off, hash)
    expect(checks.map((c) => c.limit)).toEqual(["payment_collection"])
  })
})

describe("decide", () => {
  const checks = limitChecks({ phone: "254712345678", paymentCollectionId: "pay_col_1", clientIp: "203.0.113.7" }, limits, hash)

  it("allows and counts one hit on every counter", () => {
    const { allowance, updates } = decide(checks, rowsFor(checks, { phone: { hits: 2, startedSecondsAgo: 60 } }), NOW)
    expect(allowance).toEqual({ allowed: true })
    const phone = updates.find((u) => u.id.startsWith("phone:"))!
    expect(phone).toEqual({ id: phone.id, hits: 3, window_started_at: ago(60) })
    expect(updates).toHaveLength(3)
  })

  it("refuses at the max, reports the wait until the window ends, and changes nothing", () => {
    const { allowance, updates } = decide(checks, rowsFor(checks, { phone: { hits: 3, startedSecondsAgo: 199.5 } }), NOW)
    expect(allowance).toEqual({ allowed: false, limit: "phone", retryAfterSeconds: 401 })
    expect(updates).toEqual([])
  })

  it("reports the longest wait when several limits are exhausted", () => {
    const rows = rowsFor(checks, {
      phone: { hits: 3, startedSecondsAgo: 500 }, // 100 s left
      payment_collection: { hits: 5, startedSecondsAgo: 3600 }, // 23 h left
      client: { hits: 20, startedSecondsAgo: 10 }, // 590 s left
    })
    expect(decide(checks, rows, NOW).allowance).toEqual({
      allowed: false,
      limit: "payment_collection",
      retryAfterSeconds: 86_400 - 3600,
    })
  })

  it("starts a new window once the old one has elapsed", () => {
    const { allowance, updates } = decide(checks, rowsFor(checks, { phone: { hits: 3, startedSecondsAgo: 600 } }), NOW)
    expect(allowance.allowed).toBe(true)
    expect(updates.find((u) => u.id.startsWith("phone:"))).toMatchObject({ hits: 1, window_started_at: NOW })
  })

  it("never asks for more than one window when another server's clock ran ahead", () => {
    const { allowance } = decide(checks, rowsFor(checks, { phone: { hits: 3, startedSecondsAgo: -120 } }), NOW)
    expect(allowance).toEqual({ allowed: false, limit: "phone", retryAfterSeconds: 600 })
  })
})

describe("PromptLimiter without work to do", () => {
  const noDb = (): never => {
    throw new Error("the database must not be touched")
  }

  it("allows everything without touching the database when disabled", async () => {
    const limiter = new PromptLimiter({ store: new PromptLimitStore(noDb), limits: { ...limits, enabled: false } })
    await expect(limiter.consume({ phone: "254712345678", paymentCollectionId: "pc", clientIp: "1.2.3.4" }, NOW)).resolves.toEqual({
      allowed: true,
    })
    await expect(limiter.check({ phone: "254712345678", paymentCollectionId: "pc", clientIp: "1.2.3.4" }, NOW)).resolves.toEqual({
      allowed: true,
    })
  })

  it("allows without touching the database when every applicable limit is off", async () => {
    const off = promptLimitsSchema.parse({ phone: { max: 0 }, paymentCollection: { max: 0 }, client: { max: 0 } })
    const limiter = new PromptLimiter({ store: new PromptLimitStore(noDb), limits: off })
    await expect(limiter.consume({ phone: "254712345678", paymentCollectionId: "pc", clientIp: "1.2.3.4" }, NOW)).resolves.toEqual({
      allowed: true,
    })
  })
})
