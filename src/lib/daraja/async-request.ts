import { parseResponse } from "./parse"
import { asyncRequestAcceptedSchema } from "./schemas"

/** Reversal and Transaction Status only acknowledge; the outcome is POSTed later to ResultURL / QueueTimeOutURL. */
export type AsyncRequestAccepted = {
  originatorConversationId: string
  conversationId: string
  responseCode: string
  responseDescription: string
}

export function parseAsyncRequestAccepted(data: unknown, endpoint: string): AsyncRequestAccepted {
  const body = parseResponse(asyncRequestAcceptedSchema, data, endpoint)
  return {
    originatorConversationId: body.OriginatorConversationID,
    conversationId: body.ConversationID,
    responseCode: body.ResponseCode,
    responseDescription: body.ResponseDescription,
  }
}
