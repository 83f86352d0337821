import { defineMiddlewares, validateAndTransformBody } from "@medusajs/framework/http"
import {
  AdminAddMpesaReceipt,
  AdminAttachMpesaPayment,
  AdminCheckMpesaRefund,
  AdminCloseMpesaRefund,
  AdminRecordOutsideRefund,
  AdminReverseMpesaPayment,
  AdminSaveMpesaSettings,
} from "./admin/mpesa/validators"
import { mpesaCancelGuard } from "./admin/orders/mpesa-cancel-guard"
import { mpesaPromptLimit } from "./store/mpesa/prompt-limit-middleware"

export default defineMiddlewares({
  routes: [
    {
      // Medusa's core route that creates a payment session; for our provider it sends the STK Push.
      matcher: "/store/payment-collections/:id/payment-sessions",
      methods: ["POST"],
      middlewares: [mpesaPromptLimit],
    },
    {
      // Medusa's order cancel: refused up front when M-Pesa cannot return the money (Medusa would swallow the failure).
      matcher: "/admin/orders/:id/cancel",
      methods: ["POST"],
      middlewares: [mpesaCancelGuard],
    },
    {
      // Settings -> M-Pesa (admin; authenticated by Medusa like all of /admin).
      matcher: "/admin/mpesa/settings",
      methods: ["POST"],
      middlewares: [validateAndTransformBody(AdminSaveMpesaSettings)],
    },
    {
      matcher: "/admin/mpesa/transactions/:id/reverse",
      methods: ["POST"],
      middlewares: [validateAndTransformBody(AdminReverseMpesaPayment)],
    },
    {
      matcher: "/admin/mpesa/transactions/:id/attach",
      methods: ["POST"],
      middlewares: [validateAndTransformBody(AdminAttachMpesaPayment)],
    },
    {
      matcher: "/admin/mpesa/transactions/:id/refund-outside",
      methods: ["POST"],
      middlewares: [validateAndTransformBody(AdminRecordOutsideRefund)],
    },
    {
      matcher: "/admin/mpesa/transactions/:id/receipt",
      methods: ["POST"],
      middlewares: [validateAndTransformBody(AdminAddMpesaReceipt)],
    },
    {
      matcher: "/admin/mpesa/refunds/:id/check",
      methods: ["POST"],
      middlewares: [validateAndTransformBody(AdminCheckMpesaRefund)],
    },
    {
      matcher: "/admin/mpesa/refunds/:id/close",
      methods: ["POST"],
      middlewares: [validateAndTransformBody(AdminCloseMpesaRefund)],
    },
  ],
})
