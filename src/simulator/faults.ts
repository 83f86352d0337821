/**
 * Fault switches: the ways real Daraja misbehaves, each reproducible on demand. A switch stays on
 * until it is changed or `reset()` is called, so a test states the fault once and then drives the code.
 */
import { z } from "zod"
import { darajaError, type Reply } from "./replies"

/** Errors Daraja returns instead of accepting a push or answering a query. */
export const REJECTIONS = {
  subscriber_locked: {
    errorCode: "500.001.1001",
    errorMessage: "Unable to lock subscriber, a transaction is already in process for the current subscriber",
  },
  spike_arrest: { errorCode: "500.003.02", errorMessage: "Error Occurred: Spike Arrest Violation" },
  system_busy: { errorCode: "500.003.02", errorMessage: "System is busy. Please try again in few minutes." },
  quota: { errorCode: "500.003.03", errorMessage: "Quota Violation" },
  internal_error: { errorCode: "500.003.1001", errorMessage: "Internal Server Error" },
} as const

export type RejectionKind = keyof typeof REJECTIONS

export const REJECTION_KINDS = Object.keys(REJECTIONS) as RejectionKind[]

/** All 500.x codes are sent with HTTP 500, as Safaricom's error table lists them. */
export function rejectionReply(kind: RejectionKind): Reply {
  const r = REJECTIONS[kind]
  return darajaError(500, r.errorCode, r.errorMessage)
}

export type PushResponseMode = "normal" | "hang" | "reset" | "html502"

/**
 * What becomes of a valid Reversal request (see reversal.ts and the README):
 * - normal: decided as today (success, R000001, R000002 or 2001) and POSTed to ResultURL;
 * - fail: not processed; ResultURL gets ResultCode 1 "The balance is insufficient for the transaction.";
 * - queue_timeout: never reaches M-Pesa, so not processed; QueueTimeOutURL gets a timeout body, ResultURL nothing;
 * - lost_result: processed as normal, but the Result is never POSTed (recorded as dropped).
 */
export const REVERSAL_OUTCOMES = ["normal", "fail", "queue_timeout", "lost_result"] as const

export type ReversalOutcome = (typeof REVERSAL_OUTCOMES)[number]

export interface SimulatorFaults {
  /** Replaces the `callbackDelayMs` option (still multiplied by timeScale); null = use the option. */
  callbackDelayMs: number | null
  /** Callbacks are never sent (recorded as dropped); STK query still answers with the result. */
  dropCallbacks: boolean
  /** Every callback is sent twice, concurrently, as Safaricom has been seen to do in production. */
  duplicateCallbacks: boolean
  /**
   * For prompts whose outcome is known at push time (table phones, defaultOutcome "success",
   * product-assignment failures): the callback is delivered, and its delivery awaited, before the
   * push's HTTP response is written. Manual prompts are unaffected; nobody has answered them yet.
   */
  callbackBeforeResponse: boolean
  /** Push is refused with this Daraja error; no prompt is created. */
  rejectPush: RejectionKind | null
  /** STK query is refused with this Daraja error. */
  rejectQuery: RejectionKind | null
  /**
   * Tokens expire early: a token stays good for one Daraja call, the next call presenting it gets
   * 404.001.03 and the token is dead. Turning the switch on also spends every token already issued,
   * so the next call with a cached token fails. A client that refreshes once on 404.001.03 always heals.
   */
  expireTokens: boolean
  /** What the push's HTTP answer looks like after the prompt has been accepted. */
  pushResponse: PushResponseMode
  /** Replaces the `latencyMs` option; null = use the option. Not scaled by timeScale. */
  latencyMs: number | null
  /** What becomes of Reversal requests; see REVERSAL_OUTCOMES. */
  reversalOutcome: ReversalOutcome
}

export const NO_FAULTS: Readonly<SimulatorFaults> = Object.freeze({
  callbackDelayMs: null,
  dropCallbacks: false,
  duplicateCallbacks: false,
  callbackBeforeResponse: false,
  rejectPush: null,
  rejectQuery: null,
  expireTokens: false,
  pushResponse: "normal",
  latencyMs: null,
  reversalOutcome: "normal",
})

const rejection = z.enum(REJECTION_KINDS as [RejectionKind, ...RejectionKind[]]).nullable()

/** Validates a partial update; `.strict()` so a misspelt switch fails loudly instead of doing nothing. */
export const faultsUpdateSchema = z
  .object({
    callbackDelayMs: z.number().min(0).nullable(),
    dropCallbacks: z.boolean(),
    duplicateCallbacks: z.boolean(),
    callbackBeforeResponse: z.boolean(),
    rejectPush: rejection,
    rejectQuery: rejection,
    expireTokens: z.boolean(),
    pushResponse: z.enum(["normal", "hang", "reset", "html502"]),
    latencyMs: z.number().min(0).nullable(),
    reversalOutcome: z.enum(REVERSAL_OUTCOMES),
  })
  .partial()
  .strict()

export type FaultsUpdate = z.infer<typeof faultsUpdateSchema>
