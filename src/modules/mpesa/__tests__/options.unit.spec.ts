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
