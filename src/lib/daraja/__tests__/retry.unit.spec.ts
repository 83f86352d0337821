import { backoffDelayMs, DEFAULT_RETRY_POLICY, withRetry } from "../retry"

describe("backoffDelayMs (full jitter)", () => {
  it("defaults to 3 attempts, 250 ms base, 4000 ms cap", () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ attempts: 3, baseDelayMs: 250, maxDelayMs: 4000 })
  })

  it.each([
    [1, 249],
    [2, 499],
    [3, 999],
    [5, 3996], // 250 * 16 = 4000 -> capped
    [9, 3996],
  ])("attempt %i with random ~1 -> %i ms", (attempt, expected) => {
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, attempt, () => 0.999)).toBe(expected)
  })

  it("can be zero (random 0)", () => {
    expect(backoffDelayMs(DEFAULT_RETRY_POLICY, 3, () => 0)).toBe(0)
  })
})

describe("withRetry", () => {
  const policy = { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 }

  it("stops at the configured attempts and rethrows the last error", async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw new Error(`fail ${calls}`)
        },
        { policy, shouldRetry: () => true }
      )
    ).rejects.toThrow("fail 3")
    expect(calls).toBe(3)
  })

  it("does not retry when shouldRetry says no", async () => {
    let calls = 0
    await expect(
      withRetry(
        async () => {
          calls++
          throw new Error("definite")
        },
        { policy, shouldRetry: () => false }
      )
    ).rejects.toThrow("definite")
    expect(calls).toBe(1)
  })

  it("returns the first success and reports each retry", async () => {
    const retries: Array<[number, number]> = []
    let calls = 0
    const result = await withRetry(
      async (attempt) => {
        calls++
        if (attempt < 3) throw new Error("transient")
        return "ok"
      },
      { policy: { attempts: 5, baseDelayMs: 4, maxDelayMs: 100 }, shouldRetry: () => true, random: () => 0.5, onRetry: (_e, a, d) => retries.push([a, d]) }
    )
    expect(result).toBe("ok")
    expect(calls).toBe(3)
    expect(retries).toEqual([
      [1, 2],
      [2, 4],
    ])
  })
})
