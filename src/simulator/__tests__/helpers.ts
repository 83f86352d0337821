/**
 * Test helpers: a real local HTTP callback receiver, a tiny Daraja caller, and valid request bodies.
 * Not a spec file (no `.unit.spec.ts`), so jest only loads it through imports.
 */
import http from "node:http"
import type { AddressInfo } from "node:net"
import { nairobiTimestamp } from "../clock"
import { stkPassword } from "../merchant-auth"
import { SANDBOX_PASSKEY } from "../options"
import { startDarajaSimulator, type DarajaSimulator } from "../server"

export const PAYBILL = "174379"
export const STORE = "174380"
export const TILL = "5123456"
export const CONSUMER_KEY = "simulator-consumer-key"
export const CONSUMER_SECRET = "simulator-consumer-secret"

/** Fast but not so fast that ordering between pushes and callbacks becomes racy: 2 s delay -> 20 ms. */
export const FAST = { timeScale: 0.01 }

export interface Received {
  path: string
  body: unknown
  at: number
}

export interface Receiver {
  /** Base URL for callbacks; changes on reset() so stragglers from an earlier test are ignored. */
  url: string
  received: Received[]
  /** HTTP status the receiver answers with (default 200). */
  status: number
  /** Extra delay before answering, to prove a delivery was awaited. */
  delayMs: number
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>
  /** Forgets what was received, answers 200 again, and ignores callbacks sent to earlier URLs. */
  reset(): void
  close(): Promise<void>
}

/** A real HTTP server standing in for the merchant's callback endpoint. */
export async function startReceiver(): Promise<Receiver> {
  const waiters: Array<() => void> = []
  let base = ""
  let generation = 0
  const prefix = () => `/t${generation}`
  const receiver: Receiver = {
    url: "",
    received: [],
    status: 200,
    delayMs: 0,
    waitFor(n, timeoutMs = 3000) {
      if (receiver.received.length >= n) return Promise.resolve(receiver.received)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`receiver got ${receiver.received.length} of ${n} callbacks`)),
          timeoutMs,
        )
        const check = () => {
          if (receiver.received.length < n) return waiters.push(check)
          clearTimeout(timer)
          resolve(receiver.received)
        }
        waiters.push(check)
      })
    },
    reset() {
      generation += 1
      receiver.received.length = 0
      receiver.status = 200
      receiver.delayMs = 0
      receiver.url = base + prefix()
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8")
      const path = req.url ?? "/"
      const current = path.startsWith(prefix())
      setTimeout(() => {
        if (current) receiver.received.push({ path: path.slice(prefix().length) || "/", body: JSON.parse(text) as unknown, at: Date.now() })
        res.writeHead(receiver.status, { "content-type": "application/json" })
        res.end(JSON.stringify({ ResultCode: 0, ResultDesc: "Accepted" }))
        waiters.splice(0).forEach((w) => w())
      }, receiver.delayMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  receiver.reset()
  return receiver
}

export interface CallResult {
  status: number
  body: unknown
  text: string
  contentType: string
}

export interface CallOptions {
  method?: string
  body?: unknown
  token?: string | null
  headers?: Record<string, string>
}

/** One HTTP call to the simulator; JSON bodies are parsed, others left as text. */
export async function call(sim: DarajaSimulator, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  let body: string | undefined
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body)
    headers["content-type"] ??= "application/json"
  }
  const res = await fetch(sim.url + path, { method: options.method ?? (body ? "POST" : "GET"), headers, body })
  const text = await res.text()
  const contentType = res.headers.get("content-type") ?? ""
  let parsed: unknown = text
  if (contentType.includes("json")) parsed = JSON.parse(text) as unknown
  return { status: res.status, body: parsed, text, contentType }
}

export function basic(key = CONSUMER_KEY, secret = CONSUMER_SECRET): string {
  return "Basic " + Buffer.from(`${key}:${secret}`).toString("base64")
}

export async function token(sim: DarajaSimulator): Promise<string> {
  const res = await call(sim, "/oauth/v1/generate?grant_type=client_credentials", { headers: { authorization: basic() } })
  if (res.status !== 200) throw new Error(`token: HTTP ${res.status} ${res.text}`)
  return (res.body as { access_token: string }).access_token
}

export function credentials(shortcode = PAYBILL, at = new Date()) {
  const timestamp = nairobiTimestamp(at)
  return { BusinessShortCode: shortcode, Password: stkPassword(shortcode, SANDBOX_PASSKEY, timestamp), Timestamp: timestamp }
}

export function pushBody(overrides: Record<string, unknown> = {}, callbackUrl = "http://127.0.0.1:9/cb"): Record<string, unknown> {
  const phone = (overrides.PhoneNumber as string | undefined) ?? "254708374149"
  return {
    ...credentials(),
    TransactionType: "CustomerPayBillOnline",
    Amount: 1250,
    PartyA: phone,
    PartyB: PAYBILL,
    PhoneNumber: phone,
    CallBackURL: callbackUrl,
    AccountReference: "ORDER123",
    TransactionDesc: "Payment",
    ...overrides,
  }
}

export function tillPushBody(overrides: Record<string, unknown> = {}, callbackUrl?: string): Record<string, unknown> {
  return pushBody({ ...credentials(STORE), TransactionType: "CustomerBuyGoodsOnline", PartyB: TILL, ...overrides }, callbackUrl)
}

export interface PushAccepted {
  MerchantRequestID: string
  CheckoutRequestID: string
  ResponseCode: string
  ResponseDescription: string
  CustomerMessage: string
}

export async function push(sim: DarajaSimulator, bearer: string, body: Record<string, unknown>): Promise<PushAccepted> {
  const res = await call(sim, "/mpesa/stkpush/v1/processrequest", { token: bearer, body })
  if (res.status !== 200) throw new Error(`push: HTTP ${res.status} ${res.text}`)
  return res.body as PushAccepted
}

export function query(sim: DarajaSimulator, bearer: string, checkoutRequestId: string, shortcode = PAYBILL): Promise<CallResult> {
  return call(sim, "/mpesa/stkpushquery/v1/query", {
    token: bearer,
    body: { ...credentials(shortcode), CheckoutRequestID: checkoutRequestId },
  })
}

export function errorBody(code: string, message: string) {
  return { requestId: expect.any(String), errorCode: code, errorMessage: message }
}

export interface SimulatorWithReceiver {
  sim: DarajaSimulator
  receiver: Receiver
  bearer: string
}

/**
 * Registers the hooks most simulator specs share: one fast simulator and one
 * callback receiver per file, both reset and a fresh token issued before each
 * test. Read the fields inside tests (they are filled in by the hooks).
 */
export function useSimulatorWithReceiver(): SimulatorWithReceiver {
  const env = {} as SimulatorWithReceiver
  beforeAll(async () => {
    env.sim = await startDarajaSimulator(FAST)
    env.receiver = await startReceiver()
  })
  afterAll(async () => {
    await env.sim?.close()
    await env.receiver?.close()
  })
  beforeEach(async () => {
    env.sim.reset()
    env.receiver.reset()
    env.bearer = await token(env.sim)
  })
  return env
}
