// How frames become WebSocket messages and back. A codec is {subprotocol, encode, decode}:
// `encode(frame)` gives a string (a text frame) or bytes (a binary frame); `decode(data)` takes
// what the socket delivered (a string or an ArrayBuffer) and gives a frame, or null when the
// data is not one. The JSON codec is built in; a binary codec (msgpack, media) is passed in by
// whoever has a maintained library for it, so nothing here hand-writes a binary format.

import { PROTOCOL_JSON } from "./policy.js";

/** sharecircle.v1.json: one JSON map per text frame (docs/protocol.md §1). */
export const jsonCodec = Object.freeze({
  subprotocol: PROTOCOL_JSON,
  encode: (frame) => JSON.stringify(frame),
  decode(data) {
    if (typeof data !== "string") return null; // the server never sends binary on this subprotocol
    try {
      const frame = JSON.parse(data);
      return frame && typeof frame === "object" && !Array.isArray(frame) ? frame : null;
    } catch {
      return null;
    }
  },
});
