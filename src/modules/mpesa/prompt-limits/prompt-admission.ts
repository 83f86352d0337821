import { MedusaError } from "@medusajs/framework/utils"
import { promptLimitMessage } from "./messages"
import type { PromptLimiter } from "./prompt-limiter"
import { currentPromptRequest } from "./prompt-request"

/**
 * Counts the push about to be sent, atomically (row locks: of two
 * simultaneous pushes with one prompt left, one is refused), with the
 * client address of the store request it runs for. Over a limit it throws
 * the shopper's message and notes the refusal for the middleware's 429.
 */
export async function admitPrompt(
  limiter: PromptLimiter,
  push: { phone: string; paymentCollectionId: string | null },
  now: Date
): Promise<void> {
  const request = currentPromptRequest()
  const allowance = await limiter.consume(
    {
      phone: push.phone,
      paymentCollectionId: push.paymentCollectionId ?? request?.paymentCollectionId ?? "",
      clientIp: request?.clientAddress ?? null,
    },
    now
  )
  if (allowance.allowed) return
  if (request) request.refusal = { limit: allowance.limit, retryAfterSeconds: allowance.retryAfterSeconds }
  throw new MedusaError(MedusaError.Types.NOT_ALLOWED, promptLimitMessage(allowance.limit, allowance.retryAfterSeconds))
}
