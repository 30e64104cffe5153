// One state for the whole page, changed only by dispatching actions through a pure reducer
// (the Elm architecture: state, update, view). Subscribers get (previous, next, action) and
// decide for themselves whether their slice changed. An action dispatched while subscribers
// run (an effect adding a note) waits until they have all seen the current change, so every
// subscriber sees every change once and in order.

export function createStore(reduce, initial) {
  let state = initial;
  const subscribers = new Set();
  const pending = [];
  let running = false;

  function apply(action) {
    const previous = state;
    state = reduce(state, action);
    // Subscribers hear every action, also one that changed nothing: effects still follow an
    // event like round.paused, whose meeting.state comes separately. Views skip unchanged slices.
    for (const fn of [...subscribers]) fn(previous, state, action);
  }

  return {
    getState: () => state,
    dispatch(action) {
      pending.push(action);
      if (running) return;
      running = true;
      try {
        while (pending.length) apply(pending.shift());
      } finally {
        running = false;
      }
    },
    /** `fn(previous, next, action)` after every change; returns the function that stops it. */
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}
