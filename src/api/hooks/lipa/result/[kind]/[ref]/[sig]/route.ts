import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { Modules } from "@medusajs/framework/utils"
import { verifyResultPath } from "../../../../../../../modules/mpesa"
import { MPESA_CALLBACK_RECEIVED } from "../../../../../../../modules/mpesa"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../../../../modules/mpesa"
import { callbackSourceIp, isAllowedSource } from "../../../../stk/[ref]/[sig]/callback-guard"

/**
 * Daraja's asynchronous answers to our Reversal and Transaction Status
 * requests: POST {callbackBaseUrl}/hooks/lipa/result/{kind}/{request}/{signature},
 * one URL per request and kind (ResultURL / QueueTimeOutURL; see
 * modules/mpesa/callbacks/result-url.ts). Same order of work as the STK
 * callback: signature (constant time), optional source IP, persist the raw
 * body bound to that request, acknowledge, then process asynchronously.
 */
export const AUTHENTICATE = false

export async function POST(req: MedusaRequest, res: MedusaResponse): Promise<void> {
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  const config = mpesa.getConfig()
  const logger = req.scope.resolve("logger")

  const target = verifyResultPath(config.callbackSecret, req.params.kind, req.params.ref, req.params.sig)
  if (!target) {
    res.status(404).json({ message: "Not Found" })
    return
  }
  const sourceIp = callbackSourceIp(req)
  if (!isAllowedSource(sourceIp, config.allowedCallbackIps)) {
    logger.warn(`M-Pesa: result from ${sourceIp ?? "unknown address"} rejected: not in allowedCallbackIps`)
    res.status(403).json({ ResultCode: 1, ResultDesc: "Rejected" })
    return
  }
  const { id, valid } = await mpesa.recordResult({ payload: req.body ?? null, sourceIp, requestId: target.requestId, kind: target.kind })
  if (!valid) {
    res.status(400).json({ ResultCode: 1, ResultDesc: "Rejected: not a Daraja result" })
    return
  }
  res.status(200).json({ ResultCode: 0, ResultDesc: "Accepted" })
  // null: acknowledged but not stored (the URL already holds maxCallbacksPerUrl results: a replay).
  if (!id) return

  // Persisted already: if this emit is lost, the reconcile job's callback sweep applies it.
  try {
    await req.scope.resolve(Modules.EVENT_BUS).emit({ name: MPESA_CALLBACK_RECEIVED, data: { id } })
  } catch (e) {
    logger.warn(`M-Pesa: could not queue result ${id}: ${(e as Error).message}`)
  }
}
