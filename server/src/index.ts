export { main } from "./cli.js";
export type { CommandIO } from "./output/io.js";
