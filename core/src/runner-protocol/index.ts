/**
 * `@databridge/core/runner-protocol`: the runner's API as its clients see it — request and response types, run and
 * stage statuses, run events, one SSE parser, one event stream that resumes with `Last-Event-ID`, one typed client.
 * Browser-safe: the dashboard bundle imports it, so nothing here may import a driver or a Node module (finding a
 * runner through `.databridge/runner.json` is `@databridge/core/runner-protocol/discovery`, Node only).
 */
export * from "./statuses.js";
export * from "./events.js";
export type * from "./api.js";
export { SseParser, type SseMessage } from "./sse-parser.js";
export { openEventStream, errorOfResponse, type EventStream, type EventStreamEnd, type EventStreamOptions, type EventStreamRequest, type EventStreamState } from "./event-stream.js";
export { RunnerClient, RunnerApiError, type RunnerEndpoint, type RunnerClientOptions, type RequestOptions } from "./client.js";
