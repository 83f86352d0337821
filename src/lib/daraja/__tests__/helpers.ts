import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import nock from "nock"
import { DarajaClient, type DarajaClientOptions } from "../client"
import type { DarajaLogger } from "../logger"

export const BASE_URL = "https://daraja.test"
export const CONSUMER_KEY = "test-consumer-key"
export const CONSUMER_SECRET = "S3cr3t-consumer-secret-value"
export const BASIC_AUTH = Buffer.from(`${CONSUMER_KEY}:${CONSUMER_SECRET}`).toString("base64")
export const ACCESS_TOKEN = "tok-AAAAAAAAAAAAAAAAAAAAAAAA"
export const FIXED_NOW = new Date("2024-12-31T22:30:00Z") // 2025-01-01 01:30:00 in Nairobi

export type LogEntry = { level: keyof DarajaLogger; msg: string; meta?: Record<string, unknown> }

export function recordingLogger(): DarajaLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = []
  const at = (level: keyof DarajaLogger) => (msg: string, meta?: Record<string, unknown>) => {
    entries.push({ level, msg, meta })
  }
  return { entries, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }
}

export function makeClient(overrides: Partial<DarajaClientOptions> = {}): DarajaClient {
  return new DarajaClient({
    baseUrl: BASE_URL,
    consumerKey: CONSUMER_KEY,
    consumerSecret: CONSUMER_SECRET,
    // Generous: a loaded machine must not turn a normal answer into a timeout. Timeout tests set their own.
    timeoutMs: 10_000,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
    now: () => FIXED_NOW,
    ...overrides,
  })
}

/** Expect exactly `times` token requests, answering with `token`. */
export function mockToken(token = ACCESS_TOKEN, times = 1, expiresIn: number | string = 3599): nock.Scope {
  return nock(BASE_URL, { reqheaders: { authorization: `Basic ${BASIC_AUTH}` } })
    .get("/oauth/v1/generate")
    .query({ grant_type: "client_credentials" })
    .times(times)
    .reply(200, { access_token: token, expires_in: expiresIn })
}

/** Await a promise that must reject and return the rejection. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error("expected the promise to reject")
}

export function setupNock(): void {
  beforeAll(() => nock.disableNetConnect())
  afterEach(() => nock.cleanAll())
  afterAll(() => nock.enableNetConnect())
}

export type ScriptStep = "reset" | { status: number; body: unknown }

export type RecordedRequest = { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: string }

/**
 * A real local HTTP server that answers each request with the next scripted step; "reset" destroys the
 * connection (the client sees ECONNRESET / "socket hang up").
 *
 * Why not nock's replyWithError: in nock 14 (@mswjs/interceptors) the socket error is emitted asynchronously and,
 * when test files run in parallel, sometimes after the request stopped listening, which Jest then reports as an
 * unhandled error. A real socket reset has no such race and is closer to what Daraja's load balancer does.
 */
export async function scriptedServer(steps: ScriptStep[]): Promise<{
  baseUrl: string
  requests: RecordedRequest[]
  close(): Promise<void>
}> {
  const requests: RecordedRequest[] = []
  const queue = [...steps]
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") })
      const step = queue.shift()
      if (step === undefined) {
        res.writeHead(599).end("unexpected request")
      } else if (step === "reset") {
        req.socket.destroy()
      } else {
        const text = typeof step.body === "string" ? step.body : JSON.stringify(step.body)
        const type = typeof step.body === "string" ? "text/html" : "application/json"
        res.writeHead(step.status, { "content-type": type, connection: "close" }).end(text)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  nock.enableNetConnect("127.0.0.1")
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        nock.disableNetConnect()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
