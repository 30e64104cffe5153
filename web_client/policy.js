// When and whether to reconnect (docs/protocol.md §6), and the two kinds of failure a command
// can meet. Pure functions: the randomness is a parameter, so they are easy to check.

export const PROTOCOL_JSON = "sharecircle.v1.json";
export const BASE_DELAY_MS = 500;
export const MAX_DELAY_MS = 30_000;

/** A refusal from the server: `code` is stable (protocol.md §5), `message` is for people. */
export class ServerError extends Error {
  constructor(frame) {
    super(frame.message || frame.code);
    this.code = frame.code;
    this.retryAfterMs = frame.retry_after_ms ?? null;
    this.frame = frame;
  }
}

/** A failure on our side of the wire (offline, timeout, connection lost). */
export class ClientError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

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
