import type { MpesaPayment } from "../types"

/** A fake `fetch` for the client's own boundary: answers store-API paths from a script, records calls. */
export type FakeAnswer = { status: number; body?: unknown; headers?: Record<string, string> } | Error

export function fakeStore(route: (method: string, path: string, body: unknown, n: number) => FakeAnswer | undefined) {
  const calls: Array<{ method: string; path: string; body: unknown; headers: Record<string, string> }> = []
  const counts = new Map<string, number>()
  const fetchImpl = (async (url: string, init: RequestInit = {}) => {
    const path = new URL(url).pathname
    const method = init.method ?? "GET"
    const body = init.body ? JSON.parse(String(init.body)) : undefined
    calls.push({ method, path, body, headers: init.headers as Record<string, string> })
    if (init.signal?.aborted) throw Object.assign(new Error("aborted"), { name: "AbortError" })
    const key = `${method} ${path}`
    const n = (counts.get(key) ?? 0) + 1
    counts.set(key, n)
    const answer = route(method, path, body, n) ?? { status: 404, body: { message: "no route" } }
    if (answer instanceof Error) throw answer
    return new Response(answer.body === undefined ? "" : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { "content-type": "application/json", ...(answer.headers ?? {}) },
    })
  }) as unknown as typeof fetch
  return { fetch: fetchImpl, calls, polls: () => calls.filter((c) => c.path.startsWith("/store/mpesa/")) }
}

export function payment(overrides: Partial<MpesaPayment> = {}): MpesaPayment {
  return {
    session_id: "payses_1",
    state: "pending",
    message: "Check your phone: enter your M-Pesa PIN to pay KES 1,700.",
    result_code: null,
    checkout_request_id: "ws_CO_1",
    phone: "2547****5678",
    amount: 1700,
    currency_code: "kes",
    mpesa_receipt_number: null,
    expires_at: new Date(Date.now() + 180_000).toISOString(),
    order_id: null,
    retryable: false,
    unmatched: false,
    ...overrides,
  }
}

export const sessionCreated = (id = "payses_1") => ({
  status: 200,
  body: { payment_collection: { id: "pay_col_1", payment_sessions: [{ id, provider_id: "pp_mpesa_mpesa" }] } },
})
