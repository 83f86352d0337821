import { defineMiddlewares } from "@medusajs/framework/http"
import { mpesaPromptLimit } from "./store/mpesa/prompt-limit-middleware"

export default defineMiddlewares({
  routes: [
    {
      // Medusa's core route that creates a payment session; for our provider it sends the STK Push.
      matcher: "/store/payment-collections/:id/payment-sessions",
      methods: ["POST"],
      middlewares: [mpesaPromptLimit],
    },
  ],
})
