/**
 * Maps requests to handlers. Daraja paths get Daraja's treatment in Daraja's order: unknown path
 * (404.001.01), wrong method (405.001), bearer token (404.001.03), then the endpoint itself.
 * `/` is the virtual phone and `/simulator/…` the control API.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http"
import { sleep } from "./clock"
import { discardBody, readJsonBody, writeReply, type JsonBody } from "./http-io"
import { darajaError, errors, json, type Reply } from "./replies"
import type { DarajaEndpoint } from "./stats"
import type { SimulatorLogger } from "./options"

interface DarajaRoute {
  endpoint: DarajaEndpoint
  method: "GET" | "POST"
}

export const DARAJA_ROUTES: Readonly<Record<string, DarajaRoute>> = Object.freeze({
  "/oauth/v1/generate": { endpoint: "oauth", method: "GET" },
  "/mpesa/stkpush/v1/processrequest": { endpoint: "stkPush", method: "POST" },
  "/mpesa/stkpushquery/v1/query": { endpoint: "stkQuery", method: "POST" },
  "/mpesa/reversal/v1/request": { endpoint: "reversal", method: "POST" },
  "/mpesa/transactionstatus/v1/query": { endpoint: "transactionStatus", method: "POST" },
})

export interface RouterDeps {
  oauth(query: URLSearchParams, headers: IncomingHttpHeaders): Reply
  /** Every Daraja endpoint except OAuth. */
  post(endpoint: Exclude<DarajaEndpoint, "oauth">, body: JsonBody): Promise<Reply>
  isAuthorized(headers: IncomingHttpHeaders): boolean
  countCall(endpoint: DarajaEndpoint): void
  /** Current artificial latency in real milliseconds. */
  latencyMs(): number
  control(method: string, path: string, req: IncomingMessage): Promise<Reply>
  page(): Reply
  /** Keeps responses that must never be answered, so close() can end them. */
  hold(res: ServerResponse): void
  log: SimulatorLogger
}

export function createRequestListener(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(req, deps)
      .catch((e: unknown) => {
        deps.log.warn(`[daraja-simulator] ${req.method} ${req.url} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`)
        return darajaError(500, "500.003.1001", "Internal Server Error")
      })
      .then((reply) => writeReply(req, res, reply, deps.hold))
  }
}

async function route(req: IncomingMessage, deps: RouterDeps): Promise<Reply> {
  const method = req.method ?? "GET"
  const url = new URL(req.url ?? "/", "http://simulator.local")
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname

  if (path === "/") {
    await discardBody(req)
    return method === "GET" || method === "HEAD" ? deps.page() : json(405, { error: `${method} is not allowed here` })
  }
  if (path === "/simulator" || path.startsWith("/simulator/")) return deps.control(method, path, req)

  const darajaRoute = DARAJA_ROUTES[path]
  if (!darajaRoute) {
    await discardBody(req)
    return errors.resourceNotFound()
  }
  deps.countCall(darajaRoute.endpoint)
  const reply = await darajaReply(req, method, url, darajaRoute, deps)
  deps.log.info(`[daraja-simulator] ${method} ${path} -> ${replyStatus(reply)}`)
  return reply
}

async function darajaReply(req: IncomingMessage, method: string, url: URL, route: DarajaRoute, deps: RouterDeps): Promise<Reply> {
  const body: JsonBody = route.method === "POST" && method === "POST" ? await readJsonBody(req) : await discardThen(req)

  const latency = deps.latencyMs()
  if (latency > 0) await sleep(latency)

  if (method !== route.method) return errors.methodNotAllowed(method)
  if (route.endpoint === "oauth") return deps.oauth(url.searchParams, req.headers)
  if (!deps.isAuthorized(req.headers)) return errors.invalidAccessToken()
  return deps.post(route.endpoint, body)
}

async function discardThen(req: IncomingMessage): Promise<JsonBody> {
  await discardBody(req)
  return { ok: false, reason: "syntax" }
}

function replyStatus(reply: Reply): string {
  return "status" in reply ? String(reply.status) : reply.kind
}
