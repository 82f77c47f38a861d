/** The DataBridge language server lives here (see issue: the language server). */
export const LANGUAGE_ID = "databridge-etl";
