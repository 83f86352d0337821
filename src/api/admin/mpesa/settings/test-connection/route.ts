import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MPESA_MODULE, type IMpesaModuleService } from "../../../../../modules/mpesa"

/**
 * POST /admin/mpesa/settings/test-connection — asks Daraja for an OAuth token
 * with the effective (saved) credentials. Never sends an STK Push. Answers 200
 * with `ok: false` and Daraja's error in plain words when it fails.
 */
export async function POST(req: AuthenticatedMedusaRequest, res: MedusaResponse): Promise<void> {
  const mpesa = req.scope.resolve<IMpesaModuleService>(MPESA_MODULE)
  res.json({ connection: await mpesa.testConnection() })
}
