/** The module's container key: resolve it as `container.resolve(MPESA_MODULE)`, never by a literal. */
export const MPESA_MODULE = "mpesa"
