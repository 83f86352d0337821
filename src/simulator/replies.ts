/**
 * What a handler answers, as data. Handlers return a Reply and `router.ts` writes it, so handlers
 * stay testable and the misbehaving answers (hang, reset, HTML 502) are ordinary values.
 */
import { randomBytes } from "node:crypto"

export type Reply =
  | { kind: "json"; status: number; body: unknown }
  | { kind: "html"; status: number; body: string }
  | { kind: "text"; status: number; body: string; contentType: string }
  /** Never answer: the socket stays open until the client gives up or the simulator closes. */
  | { kind: "hang" }
  /** Destroy the socket without a response (the client sees ECONNRESET / "socket hang up"). */
  | { kind: "reset" }

/** Daraja's error body. */
export interface DarajaErrorBody {
  requestId: string
  errorCode: string
  errorMessage: string
}

export function json(status: number, body: unknown): Reply {
  return { kind: "json", status, body }
}

function requestId(): string {
  const h = randomBytes(16).toString("hex")
  return `${h.slice(0, 4)}-${h.slice(4, 8)}-${h.slice(8, 12)}-${h.slice(12, 24)}${Date.now() % 10_000_000}`
}

export function darajaError(status: number, errorCode: string, errorMessage: string): Reply {
  const body: DarajaErrorBody = { requestId: requestId(), errorCode, errorMessage }
  return json(status, body)
}

/** Daraja names the offending field: "Bad Request - Invalid PhoneNumber". */
export function invalidField(field: string): Reply {
  return darajaError(400, "400.002.02", `Bad Request - Invalid ${field}`)
}

export const errors = {
  resourceNotFound: () => darajaError(404, "404.001.01", "Resource not found"),
  methodNotAllowed: (method: string) => darajaError(405, "405.001", `Method Not Allowed (${method} Method Not Allowed)`),
  invalidAccessToken: () => darajaError(404, "404.001.03", "Invalid Access Token"),
  invalidGrantType: () => darajaError(400, "400.008.02", "Invalid grant type passed"),
  invalidAuthentication: () => darajaError(400, "400.008.01", "Invalid Authentication passed"),
  merchantDoesNotExist: () => darajaError(500, "500.001.1001", "Merchant does not exist"),
  wrongCredentials: () => darajaError(500, "500.001.1001", "Wrong credentials"),
  transactionBeingProcessed: () => darajaError(500, "500.001.1001", "The transaction is being processed"),
}

export const BAD_GATEWAY_HTML =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
