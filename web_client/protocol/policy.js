// When and whether to reconnect (docs/protocol.md §6), and the two kinds of failure a command
// can meet. Pure functions: the randomness is a parameter, so they are easy to check.
// No words for people here: failures carry a stable `code` that the app looks up in its catalog.

export const PROTOCOL_JSON = "sharecircle.v1.json";
export const PROTOCOL_MSGPACK = "sharecircle.v1.msgpack";
export const BASE_DELAY_MS = 500;
export const MAX_DELAY_MS = 30_000;

/**
 * A refusal from the server: `code` is stable (protocol.md §5); `message` is the server's own
 * sentence, which an app shows only when its catalog has nothing for `code`.
 */
export class ServerError extends Error {
  constructor(frame) {
    super(frame.message || frame.code);
    this.code = frame.code;
    this.retryAfterMs = frame.retry_after_ms ?? null;
    this.frame = frame;
  }
}

/**
 * A failure on our side of the wire. `code` is one of CLIENT_ERRORS; the message is the code
 * itself, because the words belong to the app's catalog.
 */
export class ClientError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

/** Every ClientError code: the app's catalog has a sentence for each (tests check it). */
export const CLIENT_ERRORS = ["already_joined", "offline", "timeout", "connection_lost", "network"];

/** Every terminal kind a session can end with (see closePolicy and RESUME_TERMINAL). */
export const TERMINAL_KINDS = ["removed", "banned", "session_invalid", "seat_lost", "room_gone", "lobby",
  "not_admitted", "lobby_lost", "client_error"];

/** Full jitter: a random delay between 0 and min(cap, base * 2^attempt). */
export function backoffDelay(attempt, random = Math.random) {
  return random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
}

/**
 * What to do after the socket closed with `code`: {terminal: kind} (never reconnect by
 * ourselves) or {delay: ms} before reconnecting and resuming.
 */
export function closePolicy(code, attempt, random = Math.random) {
  if (code === 4500) return { terminal: "removed" };
  if (code === 4501) return { terminal: "banned" };
  if (code === 4503) return { terminal: "not_admitted" };
  if (code >= 4500) return { terminal: "session_invalid" };
  if (code === 1003) return { terminal: "client_error" };
  if (code === 1012) return { delay: 1000 + random() * 4000 }; // a drain: spread the herd over 1-5 s
  if (code === 1013) return { delay: MAX_DELAY_MS + random() * MAX_DELAY_MS }; // node full: >= 30 s
  if (code === 1008 || code === 4029) return { delay: 10_000 + random() * 20_000 }; // flooding: pause
  return { delay: backoffDelay(attempt, random) };
}

/** Resume refusals that end the session, and the terminal kind each one means. */
export const RESUME_TERMINAL = {
  invalid_token: "session_invalid",
  bad_request: "session_invalid",
  removed: "removed",
  banned: "banned",
  name_taken: "seat_lost",
  room_not_found: "room_gone",
  lobby: "lobby",
};

/** Send one command on a transport and settle with its one reply (protocol.md §2.2): the ack,
 * or a `ServerError` for an error frame, or a `ClientError` when no reply comes in time or the
 * connection is lost first. The member session and the staff console both send this way. */
export function request(transport, type, fields, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new ClientError("timeout")), timeoutMs);
    transport.send({ ...fields, type }, {
      onReply: (frame) => {
        clearTimeout(timer);
        if (frame.type === "error") reject(new ServerError(frame));
        else resolve(frame);
      },
      onLost: () => {
        clearTimeout(timer);
        reject(new ClientError("connection_lost"));
      },
    });
  });
}
