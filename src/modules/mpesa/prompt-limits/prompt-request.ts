import { AsyncLocalStorage } from "async_hooks"
import type { PromptLimitName } from "./options"

/**
 * What the store request that may send a prompt knows and the push needs: a
 * prompt is counted only where it is about to reach Daraja (push-initiation),
 * deep inside Medusa's workflow, which is handed neither the request nor its
 * client address. The prompt-limit middleware runs the rest of the request
 * inside `withPromptRequest`; the module reads it back with
 * `currentPromptRequest`. AsyncLocalStorage follows the request through every
 * await of the (synchronous, in-process) payment-session workflow.
 */
export type PromptRequest = {
  /** The address the client limit counts (client-address.ts), or null. */
  clientAddress: string | null
  /** The payment collection from the URL (the provider's own lookup may fail). */
  paymentCollectionId: string
  /** Set when the push itself was refused by a limit, so the middleware can answer 429. */
  refusal: { limit: PromptLimitName; retryAfterSeconds: number } | null
}

// One store per process, even if this file is loaded twice (e.g. once through
// the plugin's module and once through its routes).
const KEY = Symbol.for("medusa-payment-mpesa-express.prompt-request")
type Holder = { [KEY]?: AsyncLocalStorage<PromptRequest> }
const holder = globalThis as Holder
const storage: AsyncLocalStorage<PromptRequest> = (holder[KEY] ??= new AsyncLocalStorage<PromptRequest>())

export function withPromptRequest<T>(request: PromptRequest, fn: () => T): T {
  return storage.run(request, fn)
}

/** The store request this code runs for, or undefined (a push not started from the store API). */
export function currentPromptRequest(): PromptRequest | undefined {
  return storage.getStore()
}
