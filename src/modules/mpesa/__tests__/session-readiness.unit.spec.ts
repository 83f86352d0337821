import { ANSWER_WRITE_MARGIN_MS, sessionReadiness, sessionSnapshotSchema } from "../session-readiness"

const TIMEOUT = 15_000
const created = new Date("2026-12-02T10:00:00.000Z")
const at = (ms: number) => new Date(created.getTime() + ms)
const notAnswered = { answered_session_id: null, session_answered_at: null }

describe("sessionReadiness: completion waits for Medusa's write of our answer onto the session", () => {
  it("is ready once the session data carries our answer for this very session", () => {
    const r = sessionReadiness(notAnswered, { id: "payses_1", data: { phone: "0708374149", session_id: "payses_1" }, created_at: created }, at(50), TIMEOUT)
    expect(r.ready).toBe(true)
  })

  it("is not ready while the session holds only the storefront's input and our provider has not answered", () => {
    const r = sessionReadiness(notAnswered, { id: "payses_1", data: { phone: "0708374149" }, created_at: created }, at(1_000), TIMEOUT)
    expect(r).toMatchObject({ ready: false, why: "Medusa is still creating the payment session" })
    // ...until the session POST cannot be running any more (token + push, each bounded by the request timeout).
    expect(sessionReadiness(notAnswered, { id: "payses_1", data: {}, created_at: created }, at(2 * TIMEOUT + 5_000), TIMEOUT).ready).toBe(true)
  })

  it("does not take another session's copied data for this session's answer (a re-created session)", () => {
    const copied = { id: "payses_2", data: { session_id: "payses_1", mpesa_state: "paid" }, created_at: created }
    expect(sessionReadiness(notAnswered, copied, at(100), TIMEOUT).ready).toBe(false)
  })

  it("after our answer, waits a short margin for Medusa's write, then goes ahead (Medusa died before writing)", () => {
    const answered = { answered_session_id: "payses_1", session_answered_at: at(1_000) }
    const session = { id: "payses_1", data: { phone: "0708374149" }, created_at: created }
    expect(sessionReadiness(answered, session, at(1_000 + ANSWER_WRITE_MARGIN_MS - 1), TIMEOUT).ready).toBe(false)
    expect(sessionReadiness(answered, session, at(1_000 + ANSWER_WRITE_MARGIN_MS), TIMEOUT).ready).toBe(true)
  })

  it("parses what Medusa returns for a session (dates as strings, data missing)", () => {
    expect(sessionSnapshotSchema.parse({ id: "payses_1", created_at: created.toISOString() })).toEqual({ id: "payses_1", created_at: created })
  })
})
