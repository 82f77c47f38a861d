// Moved to runner-protocol/events.ts; this file goes once the extension imports @databridge/core/runner-protocol.
export * from "./runner-protocol/events.js";
