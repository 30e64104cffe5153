// From a protocol session to store actions: each thing the session reports becomes one action,
// stamped with the server's time as the session estimates it (the page's one clock). No DOM.
// Returns the function that unbinds, so a view of a second session can come and go.

export function bindSession(session, store) {
  const dispatch = (action) => store.dispatch({ ...action, now: session.serverNow() });
  const offs = [
    session.on("state", ({ state, retryInMs }) => dispatch({ type: "conn", state, retryInMs })),
    session.on("snapshot", ({ ack, reason }) => {
      dispatch({ type: "hello", hello: session.hello });
      dispatch({ type: "snapshot", ack, reason });
    }),
    session.on("resumed", ({ ack }) => dispatch({ type: "resumed", ack })),
    session.on("event", ({ frame, replayed }) => dispatch({ type: "event", frame, replayed })),
    session.on("conversation", ({ frame }) => dispatch({ type: "conversation", frame })),
    session.on("lobby", ({ ack }) => dispatch({ type: "lobby", ack })),
    session.on("terminal", ({ kind, code }) => dispatch({ type: "terminal", kind, code })),
  ];
  return () => offs.forEach((off) => off());
}
