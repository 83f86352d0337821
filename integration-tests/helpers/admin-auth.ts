import type { AxiosInstance } from "axios"
import type { MedusaContainer } from "@medusajs/framework/types"
import { Modules } from "@medusajs/framework/utils"

/**
 * A bearer token for an admin user of the test app (created on first use, password login through
 * Medusa's own /auth/user/emailpass), for HTTP tests of /admin routes.
 */
export async function adminToken(api: AxiosInstance, container: MedusaContainer, email: string): Promise<string> {
  const password = "admin-password-123"
  const userModule = container.resolve(Modules.USER)
  const authModule = container.resolve(Modules.AUTH)
  const [existing] = await userModule.listUsers({ email })
  const user = existing ?? (await userModule.createUsers({ email }))
  const { authIdentity } = await authModule.register("emailpass", { body: { email, password } } as never)
  if (authIdentity) {
    await authModule.updateAuthIdentities({ id: authIdentity.id, app_metadata: { user_id: user.id } })
  }
  const { data } = await api.post("/auth/user/emailpass", { email, password })
  return data.token
}
