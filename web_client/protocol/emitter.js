// A small event emitter whose listeners can be removed: `on` returns the function that removes
// the listener again, so a view, a console or a test can come and go without leaking handlers.

export class Emitter {
  constructor() {
    this.listeners = new Map(); // type -> Set of functions
  }

  /** Call `fn(detail)` on every `type`; returns the function that stops it. */
  on(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
    return () => this.off(type, fn);
  }

  off(type, fn) {
    this.listeners.get(type)?.delete(fn);
  }

  emit(type, detail) {
    for (const fn of [...(this.listeners.get(type) ?? [])]) fn(detail);
  }
}
