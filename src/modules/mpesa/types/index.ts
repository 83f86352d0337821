/**
 * The module's published types: what code outside `src/modules/mpesa`
 * (routes, workflows, the provider, the admin) may know of it. Browser code
 * imports these as types only.
 */
export * from "./rows"
export * from "./views"
export * from "./inputs"
export type { IMpesaModuleService } from "./service"
export type { SettingsView, PlainValueView, SecretValueView } from "../settings/settings-view"
export type { SettingsPatch, ValueSource } from "../settings/settings-fields"
export type { MpesaOptions, MpesaOptionsInput } from "../options"
