export { pgliteConnectorFactory, pgliteDataDir } from "./pglite-connector.js";
