// The sharecircle protocol client: everything a program needs to speak docs/protocol.md, with
// no DOM and no words for people. The browser app, a staff console, a media socket and the
// tests all build on it.

export { Session, defaultUrl } from "./session.js";
export { Transport } from "./transport.js";
export { jsonCodec } from "./codec.js";
export { Emitter } from "./emitter.js";
export { ServerClock, StreamPosition } from "./stream.js";
export {
  CLIENT_ERRORS, ClientError, PROTOCOL_JSON, PROTOCOL_MSGPACK, RESUME_TERMINAL, ServerError, TERMINAL_KINDS,
  backoffDelay, closePolicy, request,
} from "./policy.js";
