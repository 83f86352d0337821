/**
 * Reading requests and writing Replies with node's `http`; nothing Daraja-specific lives here.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Reply } from "./replies"

const MAX_BODY_BYTES = 1024 * 1024

export type JsonBody =
  | { ok: true; value: unknown }
  /** Not JSON, not declared as JSON, or too large; Daraja answers all three the same way. */
  | { ok: false; reason: "content_type" | "syntax" | "too_large" }

export async function readJsonBody(req: IncomingMessage): Promise<JsonBody> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer)
    size += buf.length
    if (size > MAX_BODY_BYTES) return { ok: false, reason: "too_large" }
    chunks.push(buf)
  }
  // Daraja's FAQ: a request without `Content-Type: application/json` fails validation.
  const contentType = String(req.headers["content-type"] ?? "").toLowerCase()
  if (!contentType.startsWith("application/json")) return { ok: false, reason: "content_type" }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown }
  } catch {
    return { ok: false, reason: "syntax" }
  }
}

/** Drains and discards a body so keep-alive connections stay usable. */
export async function discardBody(req: IncomingMessage): Promise<void> {
  for await (const _chunk of req) {
    // nothing to keep
  }
}

/** Writes a Reply. `onHang` receives responses that must stay open so `close()` can end them. */
export function writeReply(req: IncomingMessage, res: ServerResponse, reply: Reply, onHang: (res: ServerResponse) => void): void {
  switch (reply.kind) {
    case "hang":
      onHang(res)
      return
    case "reset":
      req.socket.destroy()
      return
    case "json":
      send(res, reply.status, "application/json", JSON.stringify(reply.body))
      return
    case "html":
      send(res, reply.status, "text/html; charset=utf-8", reply.body)
      return
    case "text":
      send(res, reply.status, reply.contentType, reply.body)
      return
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.writableEnded || res.destroyed) return
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body), "cache-control": "no-store" })
  res.end(body)
}

/** The raw body as text, for the control API, which is lenient about Content-Type. */
export async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer)
    size += buf.length
    if (size > MAX_BODY_BYTES) throw new Error("request body too large")
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString("utf8")
}
