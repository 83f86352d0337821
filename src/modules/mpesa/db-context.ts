import type { Context, DAL } from "@medusajs/framework/types"
import type { SqlEntityManager } from "@medusajs/framework/mikro-orm/postgresql"
import type { Knex } from "./types"

/**
 * The knex the module's stores run on for one call, taken from Medusa's
 * shared context: the transaction the call runs in (`@InjectTransactionManager`,
 * or a caller's — a workflow step passing its `transactionManager`), else the
 * manager `@InjectManager` forked for it. So a module write made inside a
 * caller's transaction commits or rolls back with it.
 */
export function dbFor(context: Context, repository: DAL.RepositoryService): () => Knex {
  const manager = (context.transactionManager ?? context.manager ?? repository.getFreshManager()) as SqlEntityManager
  const knex = manager.getTransactionContext<Knex.Transaction>() ?? manager.getKnex()
  return () => knex
}
