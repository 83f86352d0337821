import { config } from "../../../jobs/mpesa-reconcile"
import validateOptionsLoader from "../loaders/validate-options"
import { mpesaOptionsFromEnv, parseMpesaOptions } from "../options"
import { canTransition, LEDGER_TRANSITIONS } from "../stores/ledger-transitions"

import { MINIMAL_OPTIONS as BASE } from "./fixtures"

describe("options", () => {
  it("requires expiryMs to exceed requestTimeoutMs + firstQueryDelayMs, naming the field", () => {
    expect(() => parseMpesaOptions({ ...BASE, expiryMs: 30_000, requestTimeoutMs: 15_000, firstQueryDelayMs: 20_000 })).toThrow(
      /expiryMs: expiryMs must exceed requestTimeoutMs \+ firstQueryDelayMs \(35000 ms\)/
    )
    expect(parseMpesaOptions({ ...BASE, expiryMs: 36_000, requestTimeoutMs: 15_000, firstQueryDelayMs: 20_000 }).expiryMs).toBe(36_000)
  })

  it("keeps every timing in the schema with bounded defaults", () => {
    const o = parseMpesaOptions(BASE)
    expect(o).toMatchObject({ maxQueriesPerPush: 6, maxCallbackChecks: 8, completionGiveUpMs: 48 * 60 * 60_000 })
    expect(() => parseMpesaOptions({ ...BASE, maxQueriesPerPush: 0 })).toThrow(/maxQueriesPerPush/)
  })

  it("bounds the callbacks stored per signed URL: 20 by default, a whole number from 1 to 1000, read from MPESA_MAX_CALLBACKS_PER_URL", () => {
    expect(parseMpesaOptions(BASE).maxCallbacksPerUrl).toBe(20)
    expect(parseMpesaOptions({ ...BASE, maxCallbacksPerUrl: 1000 }).maxCallbacksPerUrl).toBe(1000)
    for (const bad of [0, 1001, 2.5, Number.NaN, "20"]) {
      expect(() => parseMpesaOptions({ ...BASE, maxCallbacksPerUrl: bad })).toThrow(
        /maxCallbacksPerUrl: maxCallbacksPerUrl must be a whole number from 1 to 1000/
      )
    }
    expect(mpesaOptionsFromEnv({ MPESA_MAX_CALLBACKS_PER_URL: "7" }).maxCallbacksPerUrl).toBe(7)
    expect(mpesaOptionsFromEnv({}).maxCallbacksPerUrl).toBeUndefined()
  })
})

describe("the reconcile job's interval", () => {
  it("is pollIntervalMs in the schema: 5 s by default, 1 s to 10 min, read from MPESA_POLL_INTERVAL_MS", () => {
    expect(parseMpesaOptions(BASE).pollIntervalMs).toBe(5_000)
    expect(parseMpesaOptions({ ...BASE, ...pick(mpesaOptionsFromEnv({ MPESA_POLL_INTERVAL_MS: "2000" }), "pollIntervalMs") }).pollIntervalMs).toBe(2_000)
    for (const bad of [999, 600_001, 1500.5]) {
      expect(() => parseMpesaOptions({ ...BASE, pollIntervalMs: bad })).toThrow(/pollIntervalMs: pollIntervalMs must be a whole number from 1000 to 600000/)
    }
  })

  it("is what the module's loader validated, read by the job when Medusa loads it", async () => {
    const registered: Record<string, unknown> = {}
    const container = { register: (values: Record<string, unknown>) => Object.assign(registered, values) }
    await validateOptionsLoader({ container, options: { ...BASE, pollIntervalMs: 7_000 } } as never)
    expect(config.schedule).toEqual({ interval: 7_000 })
    await expect(validateOptionsLoader({ container, options: { ...BASE, pollIntervalMs: 10 } } as never)).rejects.toThrow(/pollIntervalMs/)
  })
})

function pick<T extends object, K extends keyof T>(o: T, k: K): Pick<T, K> {
  return { [k]: o[k] } as Pick<T, K>
}

describe("ledger transitions", () => {
  it("lets nothing leave paid, failed or canceled, and lets only our own expiry be overtaken by money", () => {
    for (const t of LEDGER_TRANSITIONS) {
      expect(["paid", "failed", "canceled"]).not.toContain(t.from)
    }
    expect(canTransition({ status: "expired", result_code: null }, "paid")).toBe(true)
    expect(canTransition({ status: "expired", result_code: "1037" }, "paid")).toBe(false)
    expect(canTransition({ status: "paid", result_code: "0" }, "paid")).toBe(false)
    expect(canTransition({ status: "pending", result_code: null }, "paid")).toBe(true)
  })
})
