/**
 * A local Daraja (M-Pesa Express) simulator: our sandbox, our integration-test double and the demo
 * store's payment backend. See README.md in this folder.
 */
export { startDarajaSimulator, type DarajaSimulator } from "./server"
export {
  DEFAULT_MERCHANTS,
  SANDBOX_PASSKEY,
  type DarajaSimulatorOptions,
  type DefaultOutcome,
  type MerchantConfig,
  type SimulatorLogger,
  type StrictRules,
} from "./options"
export { DUPLICATE_WINDOW_MS, RULE_LIMITED_RESULT_CODE } from "./duplicate-rules"
export { OUTCOME_TABLE, RESULT_DESCRIPTIONS, type OutcomeRule } from "./outcomes"
export {
  REJECTIONS,
  REVERSAL_OUTCOMES,
  type FaultsUpdate,
  type PushResponseMode,
  type RejectionKind,
  type ReversalOutcome,
  type SimulatorFaults,
} from "./faults"
export { PromptActionError, type PromptState, type StkPrompt } from "./prompts"
export type { CallbackDelivery, CallbackKind } from "./callbacks"
export type { SimulatorStats } from "./stats"
export type { StkCallbackBody } from "./stk-callback-body"
export type { QueueTimeoutBody, ResultCallbackBody } from "./result-callback"
export type { ReversalRecord, ReversalTransaction } from "./reversal-log"
export { stkPassword } from "./merchant-auth"
export { nairobiTimestamp } from "./clock"
