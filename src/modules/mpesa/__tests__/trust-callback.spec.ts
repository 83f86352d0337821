import { moduleIntegrationTestRunner } from "@medusajs/test-utils"
import path from "path"
import type MpesaModuleService from "../service"
import { successCallbackBody } from "../../../../integration-tests/helpers/stk-callback"
import { freePortSync, MIGRATIONS, moduleOptions, quietLogger, useStrictSimulator, recordingEventBus } from "./helpers"

jest.setTimeout(60_000)

const SIM_PORT = freePortSync()
const simulator = useStrictSimulator(SIM_PORT)

moduleIntegrationTestRunner<MpesaModuleService>({
  moduleName: "mpesa",
  resolve: path.join(__dirname, ".."),
  pathToMigrations: MIGRATIONS,
  moduleOptions: moduleOptions(SIM_PORT, { confirmWithQuery: false }),
  injectedDependencies: { event_bus: recordingEventBus(), logger: quietLogger },
  testSuite: ({ service }) => {
    it("trusts the push's own signed callback alone when confirmWithQuery is off", async () => {
      const view = await service.initiateStkPush({
        sessionId: "payses_trust",
        paymentCollectionId: null,
        amount: 1250,
        currencyCode: "kes",
        phone: "0722000161",
      })
      const { id } = await service.recordCallback({
        payload: successCallbackBody({ checkoutRequestId: view.checkout_request_id!, amount: 1250, receipt: "RCPT000002", phone: 254722000161 }),
        sourceIp: null,
        transactionId: view.transaction_id,
      })
      expect(await service.processCallback(id)).toMatchObject({ status: "applied", captured: true })
      expect(simulator().stats().calls.stkQuery).toBe(0)
    })
  },
})
