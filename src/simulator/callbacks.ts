/**
 * Delivering callbacks (STK results, reversal and transaction-status results) and recording every
 * attempt. A delivery is tried once: Safaricom's retry behaviour is undocumented and contradictory,
 * so the simulator never retries silently; duplicates happen only under the duplicateCallbacks fault.
 */
import { EventEmitter } from "node:events"
import http from "node:http"
import https from "node:https"
import type { SimulatorFaults } from "./faults"
import type { SimulatorLogger } from "./options"

/** "reversal_timeout" is the body POSTed to a Reversal's QueueTimeOutURL (reversalOutcome "queue_timeout"). */
export type CallbackKind = "stk" | "reversal" | "reversal_timeout" | "transaction_status"

export interface CallbackDelivery {
  /** Increasing number, in the order deliveries started. */
  id: number
  kind: CallbackKind
  /** CheckoutRequestID for STK results, ConversationID for Result callbacks. */
  reference: string
  url: string
  payload: unknown
  outcome: "delivered" | "failed" | "dropped"
  /** The receiver's HTTP status, or null if there was none. */
  httpStatus: number | null
  error: string | null
  /** 1, or 2 for the second copy under duplicateCallbacks. */
  copy: number
  startedAt: string
  finishedAt: string
}

/** How long a receiver may take to answer before the attempt counts as failed. */
const RECEIVER_TIMEOUT_MS = 15_000
/** Kept for inspection; older records are forgotten so a long demo does not grow without bound. */
const MAX_RECORDS = 1000

export class CallbackDispatcher {
  private readonly records: CallbackDelivery[] = []
  private readonly inFlight = new Set<AbortController>()
  private readonly events = new EventEmitter()
  private nextId = 1
  private counts = { delivered: 0, failed: 0, dropped: 0 }
  /** Bumped by clear(); attempts started before a reset are not recorded after it. */
  private generation = 0

  constructor(
    private readonly faults: () => SimulatorFaults,
    private readonly log: SimulatorLogger,
  ) {
    this.events.setMaxListeners(0)
  }

  /** Sends `payload` to `url` as Daraja would, honouring dropCallbacks / duplicateCallbacks. */
  async deliver(kind: CallbackKind, reference: string, url: string, payload: unknown): Promise<void> {
    const faults = this.faults()
    if (faults.dropCallbacks) return this.drop(kind, reference, url, payload, "dropCallbacks fault")
    const copies = faults.duplicateCallbacks ? [1, 2] : [1]
    await Promise.all(copies.map((copy) => this.attempt(kind, reference, url, payload, copy)))
  }

  /**
   * Records a callback that is never sent, as if it were lost on the way: `why` names the fault, for the log.
   * Counts as settled for waitFor, like any other dropped callback.
   */
  drop(kind: CallbackKind, reference: string, url: string, payload: unknown, why: string): void {
    const at = new Date().toISOString()
    this.record({ kind, reference, url, payload, outcome: "dropped", httpStatus: null, error: null, copy: 1, startedAt: at, finishedAt: at })
    this.log.info(`[daraja-simulator] dropped ${kind} callback for ${reference} (${why})`)
  }

  /** Recent deliveries, oldest first. */
  list(): CallbackDelivery[] {
    return this.records.map((r) => ({ ...r }))
  }

  totals(): { delivered: number; failed: number; dropped: number } {
    return { ...this.counts }
  }

  /**
   * Resolves once at least `n` callbacks have been dealt with: delivered, failed, or dropped by the
   * dropCallbacks or lost_result fault (a dropped callback is settled too: it will never arrive, and its
   * payload is in the record for a test that wants to replay it).
   */
  waitFor(n: number, timeoutMs: number): Promise<CallbackDelivery[]> {
    const settled = () => this.counts.delivered + this.counts.failed + this.counts.dropped
    if (settled() >= n) return Promise.resolve(this.list())
    return new Promise((resolve, reject) => {
      const onSettled = () => {
        if (settled() < n) return
        cleanup()
        resolve(this.list())
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${n} callbacks (${settled()} settled so far)`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        this.events.off("settled", onSettled)
      }
      this.events.on("settled", onSettled)
    })
  }

  /** Forgets records and counters (reset). In-flight deliveries still finish but are not counted. */
  clear(): void {
    this.records.length = 0
    this.counts = { delivered: 0, failed: 0, dropped: 0 }
    this.generation += 1
  }

  /** Aborts deliveries in flight (close), so a closed simulator leaves no sockets behind. */
  abortAll(): void {
    for (const controller of this.inFlight) controller.abort()
    this.inFlight.clear()
  }

  private async attempt(kind: CallbackKind, reference: string, url: string, payload: unknown, copy: number): Promise<void> {
    const generation = this.generation
    const startedAt = new Date().toISOString()
    const controller = new AbortController()
    this.inFlight.add(controller)
    let httpStatus: number | null = null
    let error: string | null = null
    try {
      httpStatus = await postJson(url, JSON.stringify(payload), controller.signal)
    } catch (e) {
      error = e instanceof Error ? e.message : String(e)
    } finally {
      this.inFlight.delete(controller)
    }
    if (generation !== this.generation) return
    const outcome = httpStatus !== null && httpStatus >= 200 && httpStatus < 300 ? "delivered" : "failed"
    this.record({ kind, reference, url, payload, outcome, httpStatus, error, copy, startedAt, finishedAt: new Date().toISOString() })
    const detail = error ?? `HTTP ${httpStatus}`
    if (outcome === "delivered") this.log.info(`[daraja-simulator] ${kind} callback for ${reference} -> ${url}: ${detail}`)
    else this.log.warn(`[daraja-simulator] ${kind} callback for ${reference} -> ${url} failed: ${detail}`)
  }

  private record(entry: Omit<CallbackDelivery, "id">): void {
    this.records.push({ id: this.nextId++, ...entry })
    if (this.records.length > MAX_RECORDS) this.records.shift()
    this.counts[entry.outcome] += 1
    this.events.emit("settled")
  }
}

/** POSTs JSON and resolves with the status once the response has been read to the end. */
function postJson(url: string, body: string, signal: AbortSignal): Promise<number> {
  const target = new URL(url)
  const transport = target.protocol === "https:" ? https : http
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      {
        method: "POST",
        // A fresh connection per callback, like Safaricom's gateway; no pooled socket outlives close().
        agent: false,
        signal,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume()
        res.on("end", () => resolve(res.statusCode ?? 0))
        res.on("error", reject)
      },
    )
    req.setTimeout(RECEIVER_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${RECEIVER_TIMEOUT_MS} ms`)))
    req.on("error", reject)
    req.end(body)
  })
}
