/**
 * STK prompts and their life cycle:
 *
 *   awaiting_customer --(approve / decline / timeout)--> processing --(callback delay)--> completed
 *   (table and default outcomes start in "processing")
 *
 * STK query answers "being processed" until "completed", and the callback is sent on completion, so
 * the query and the callback always agree from the moment the callback leaves.
 */
import { EventEmitter } from "node:events"
import { nairobiTimestamp, type Scheduler } from "./clock"
import type { IdFactory } from "./ids"
import { resultDescription, type OutcomePlan } from "./outcomes"

export type PromptState = "awaiting_customer" | "processing" | "completed"

export type TransactionType = "CustomerPayBillOnline" | "CustomerBuyGoodsOnline"

/** Who or what decided the result ("rule_limited": Daraja's ResultCode 17 duplicate rule, see duplicate-rules.ts). */
export type OutcomeSource = "table" | "default" | "product_assignment" | "rule_limited" | "customer" | "timeout"

export interface NewPrompt {
  merchantRequestId: string
  checkoutRequestId: string
  shortcode: string
  merchantName: string | null
  transactionType: TransactionType
  partyA: string
  partyB: string
  phoneNumber: string
  amount: number
  callbackUrl: string
  accountReference: string
  transactionDesc: string | null
}

export interface StkPrompt extends NewPrompt {
  state: PromptState
  /** Known once the prompt leaves "awaiting_customer"; reported by query and callback only when completed. */
  resultCode: number | null
  resultDesc: string | null
  outcomeSource: OutcomeSource | null
  /** Only for resultCode 0. */
  mpesaReceiptNumber: string | null
  /** Nairobi `YYYYMMDDHHmmss`, only for resultCode 0. */
  transactionDate: string | null
  createdAt: string
  /** When an unanswered prompt will time out (1037); null once answered or for decided prompts. */
  expiresAt: string | null
  decidedAt: string | null
  completedAt: string | null
}

/** Thrown by approve/decline/timeout; `status` is what the control API answers. */
export class PromptActionError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 409,
  ) {
    super(message)
    this.name = "PromptActionError"
  }
}

export interface PromptStoreDeps {
  scheduler: Scheduler
  ids: IdFactory
  /** Simulated callback delay, read at decision time so the fault override applies. */
  callbackDelayMs: () => number
  promptTimeoutMs: number
  /** Sends the callback; the returned promise settles when delivery has finished. */
  onCompleted: (prompt: StkPrompt) => Promise<void>
}

interface PromptRecord {
  prompt: StkPrompt
  cancelTimer: (() => void) | null
  /** Date.now() at creation, for the duplicate rules' window. */
  createdAtMs: number
}

export class PromptStore {
  private readonly records = new Map<string, PromptRecord>()
  /** Prompts per PhoneNumber in creation order, for the subscriber lock and the duplicate rule. */
  private readonly byPhone = new Map<string, PromptRecord[]>()
  private readonly events = new EventEmitter()

  constructor(private readonly deps: PromptStoreDeps) {
    // waitForPrompt helpers may subscribe many times in a busy test; that is not a leak.
    this.events.setMaxListeners(0)
  }

  /**
   * Creates a prompt. With `deferCompletion` a fixed outcome is decided but not scheduled: the
   * caller completes it with `completeNow` (the callbackBeforeResponse fault).
   */
  create(input: NewPrompt, plan: OutcomePlan, deferCompletion = false): StkPrompt {
    const createdAt = new Date()
    const record: PromptRecord = {
      prompt: {
        ...input,
        state: "awaiting_customer",
        resultCode: null,
        resultDesc: null,
        outcomeSource: null,
        mpesaReceiptNumber: null,
        transactionDate: null,
        createdAt: createdAt.toISOString(),
        expiresAt: null,
        decidedAt: null,
        completedAt: null,
      },
      cancelTimer: null,
      createdAtMs: createdAt.getTime(),
    }
    this.records.set(input.checkoutRequestId, record)
    const forPhone = this.byPhone.get(input.phoneNumber)
    if (forPhone) forPhone.push(record)
    else this.byPhone.set(input.phoneNumber, [record])
    if (plan.kind === "fixed") {
      this.decide(record, plan.resultCode, plan.source, !deferCompletion)
    } else {
      record.prompt.expiresAt = new Date(Date.now() + this.deps.scheduler.scale(this.deps.promptTimeoutMs)).toISOString()
      record.cancelTimer = this.deps.scheduler.after(this.deps.promptTimeoutMs, () => {
        if (record.prompt.state !== "awaiting_customer") return
        this.decide(record, 1037, "timeout", true)
        this.changed(record)
      })
    }
    this.changed(record)
    return { ...record.prompt }
  }

  /** The customer's answer (virtual phone / control API), or a forced timeout (1037). */
  answer(checkoutRequestId: string, resultCode: number, source: "customer" | "timeout"): StkPrompt {
    const record = this.records.get(checkoutRequestId)
    if (!record) throw new PromptActionError(`No STK prompt with CheckoutRequestID ${checkoutRequestId}`, 404)
    if (record.prompt.state !== "awaiting_customer") {
      throw new PromptActionError(
        `STK prompt ${checkoutRequestId} is not waiting for the customer (state: ${record.prompt.state})`,
        409,
      )
    }
    record.cancelTimer?.()
    this.decide(record, resultCode, source, true)
    this.changed(record)
    return { ...record.prompt }
  }

  /** Completes a decided prompt at once and returns the callback delivery (callbackBeforeResponse). */
  completeNow(checkoutRequestId: string): Promise<void> {
    const record = this.records.get(checkoutRequestId)
    if (!record || record.prompt.state !== "processing") return Promise.resolve()
    record.cancelTimer?.()
    return this.complete(record)
  }

  get(checkoutRequestId: string): StkPrompt | undefined {
    const record = this.records.get(checkoutRequestId)
    return record ? { ...record.prompt } : undefined
  }

  list(): StkPrompt[] {
    return [...this.records.values()].map((r) => ({ ...r.prompt }))
  }

  /** The prompt on this phone still waiting for the customer's answer, if any (what locks the subscriber). */
  awaitingCustomer(phoneNumber: string): StkPrompt | undefined {
    const record = this.byPhone.get(phoneNumber)?.find((r) => r.prompt.state === "awaiting_customer")
    return record ? { ...record.prompt } : undefined
  }

  /**
   * The latest prompt to the same phone for the same amount and shortcode created less than
   * `simulatedWindowMs × timeScale` ago, whatever its state or result.
   */
  latestSimilar(
    match: { phoneNumber: string; amount: number; shortcode: string },
    simulatedWindowMs: number,
    now: number = Date.now(),
  ): StkPrompt | undefined {
    const windowMs = this.deps.scheduler.scale(simulatedWindowMs)
    const forPhone = this.byPhone.get(match.phoneNumber) ?? []
    for (let i = forPhone.length - 1; i >= 0; i--) {
      const record = forPhone[i]
      // Creation order: once one is too old, all earlier ones are too.
      if (now - record.createdAtMs >= windowMs) break
      if (record.prompt.amount === match.amount && record.prompt.shortcode === match.shortcode) return { ...record.prompt }
    }
    return undefined
  }

  /** Listens to every creation and state change; returns an unsubscribe function. */
  onChange(listener: (prompt: StkPrompt) => void): () => void {
    this.events.on("change", listener)
    return () => this.events.off("change", listener)
  }

  /** Forgets every prompt, and with them the subscriber locks and the duplicate-rule history. */
  clear(): void {
    for (const record of this.records.values()) record.cancelTimer?.()
    this.records.clear()
    this.byPhone.clear()
  }

  private decide(record: PromptRecord, resultCode: number, source: OutcomeSource, schedule: boolean): void {
    const p = record.prompt
    p.state = "processing"
    p.expiresAt = null
    p.resultCode = resultCode
    p.resultDesc = resultDescription(resultCode)
    p.outcomeSource = source
    p.decidedAt = new Date().toISOString()
    record.cancelTimer = schedule
      ? this.deps.scheduler.after(this.deps.callbackDelayMs(), () => {
          void this.complete(record)
        })
      : null
  }

  private complete(record: PromptRecord): Promise<void> {
    const p = record.prompt
    record.cancelTimer = null
    const now = new Date()
    p.state = "completed"
    p.completedAt = now.toISOString()
    if (p.resultCode === 0) {
      p.mpesaReceiptNumber = this.deps.ids.receiptNumber(now)
      p.transactionDate = nairobiTimestamp(now)
    }
    this.changed(record)
    return this.deps.onCompleted({ ...p })
  }

  private changed(record: PromptRecord): void {
    this.events.emit("change", { ...record.prompt })
  }
}
