// Admin translations for the plugin's extensions (Medusa's i18n hook point).
export default {}
