/**
 * The control API under `/simulator/…`: what the virtual phone page, demos and tests written in
 * other languages use to drive the simulator. Plain JSON; errors are `{ error }` (this is our API,
 * not Daraja's). Unauthenticated by design: the simulator binds to 127.0.0.1 unless told otherwise.
 */
import type { IncomingMessage } from "node:http"
import { z } from "zod"
import { faultsUpdateSchema, type FaultsUpdate, type SimulatorFaults } from "./faults"
import { readText } from "./http-io"
import type { CallbackDelivery } from "./callbacks"
import { PromptActionError, type StkPrompt } from "./prompts"
import { json, type Reply } from "./replies"
import type { ReversalRecord } from "./reversal-log"
import type { SimulatorStats } from "./stats"
import { describeZodError } from "./validation"

/** The part of the simulator the control API drives (DarajaSimulator satisfies it). */
export interface SimulatorControls {
  /** PEM (SPKI) public key to encrypt SecurityCredential with; also served at GET /simulator/certificate. */
  readonly publicKeyPem: string
  /** Every STK prompt since start / reset, with its state. */
  prompts(): StkPrompt[]
  /** The customer enters their PIN: the prompt will succeed (callback after the callback delay). */
  approve(checkoutRequestId: string): StkPrompt
  /** The customer declines or fails: 1032 cancelled by default, or any non-zero result code. */
  decline(checkoutRequestId: string, resultCode?: number): StkPrompt
  /** The prompt goes unanswered: 1037. */
  timeout(checkoutRequestId: string): StkPrompt
  faults(): SimulatorFaults
  /** Changes some fault switches; the rest keep their values. Returns all of them. */
  setFaults(update: FaultsUpdate): SimulatorFaults
  /**
   * Clears prompts, faults, stats, tokens, callback records, the payment ledger and the reversal log,
   * cancels pending timers and aborts callbacks in flight.
   */
  reset(): void
  stats(): SimulatorStats
  /** Recent callback deliveries (STK and Result callbacks), oldest first. */
  callbacks(): CallbackDelivery[]
  /** Every Reversal request since start / reset, oldest first, with what became of it. */
  reversals(): ReversalRecord[]
}

const declineSchema = z
  .object({ resultCode: z.number().int().refine((code) => code !== 0, "use approve for resultCode 0").optional() })
  .strict()

const PROMPT_ACTION = /^\/simulator\/prompts\/([^/]+)\/(approve|decline|timeout)$/

export async function handleControl(method: string, path: string, req: IncomingMessage, sim: SimulatorControls): Promise<Reply> {
  const action = PROMPT_ACTION.exec(path)
  if (action) {
    if (method !== "POST") return notAllowed(method)
    const id = decodeURIComponent(action[1])
    const body = await readJson(req)
    if (!body.ok) return json(400, { error: body.error })
    try {
      switch (action[2]) {
        case "approve":
          return json(200, { prompt: sim.approve(id) })
        case "timeout":
          return json(200, { prompt: sim.timeout(id) })
        default: {
          const parsed = declineSchema.safeParse(body.value)
          if (!parsed.success) return json(400, { error: describeZodError(parsed.error) })
          return json(200, { prompt: sim.decline(id, parsed.data.resultCode) })
        }
      }
    } catch (e) {
      if (e instanceof PromptActionError) return json(e.status, { error: e.message })
      throw e
    }
  }

  switch (path) {
    case "/simulator/prompts":
      return method === "GET" ? json(200, { prompts: sim.prompts() }) : notAllowed(method)
    case "/simulator/stats":
      return method === "GET" ? json(200, sim.stats()) : notAllowed(method)
    case "/simulator/callbacks":
      return method === "GET" ? json(200, { callbacks: sim.callbacks() }) : notAllowed(method)
    case "/simulator/reversals":
      return method === "GET" ? json(200, { reversals: sim.reversals() }) : notAllowed(method)
    case "/simulator/certificate":
      return method === "GET"
        ? { kind: "text", status: 200, body: sim.publicKeyPem, contentType: "application/x-pem-file" }
        : notAllowed(method)
    case "/simulator/reset":
      if (method !== "POST") return notAllowed(method)
      sim.reset()
      return json(200, { ok: true })
    case "/simulator/faults": {
      if (method === "GET") return json(200, { faults: sim.faults() })
      if (method !== "POST") return notAllowed(method)
      const body = await readJson(req)
      if (!body.ok) return json(400, { error: body.error })
      const parsed = faultsUpdateSchema.safeParse(body.value)
      if (!parsed.success) return json(400, { error: describeZodError(parsed.error) })
      return json(200, { faults: sim.setFaults(parsed.data) })
    }
    default:
      return json(404, { error: `No control endpoint ${method} ${path}` })
  }
}

function notAllowed(method: string): Reply {
  return json(405, { error: `${method} is not allowed here` })
}

/** An empty body counts as `{}` so `curl -X POST …/approve` works without `-d`. */
async function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  const text = (await readText(req)).trim()
  if (text === "") return { ok: true, value: {} }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false, error: "body must be JSON" }
  }
}
