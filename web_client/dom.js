// Small DOM helpers: build elements, replace children, keep focus across re-renders, and keep a
// keyed list in step with an array. Everything a person typed goes through textContent, never
// innerHTML.

/**
 * Build an element: h("button", {type: "button", class: "quiet", onclick: fn}, "Label").
 * Attribute values are set with setAttribute (strings) or as properties (functions, booleans).
 * Children may be strings (become text nodes), nodes, arrays, or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      node.className = value;
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(key, "");
    } else {
      node.setAttribute(key, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace all children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** Set text only when it changed (keeps screen readers and selection calm). */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** Show or hide with the `hidden` attribute. */
export function show(node, visible) {
  node.hidden = !visible;
}

/** A stable, short element id from any string. */
export function domId(prefix, value) {
  return `${prefix}-${String(value).replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/**
 * Re-render `container` with `build()` without losing the keyboard focus: the element that had
 * focus is found again by its data-key (or id); if it is gone, `fallback` (or the container)
 * takes the focus, so it never drops silently to the page body.
 */
export function keepFocus(container, build, fallback = null) {
  const key = focusedKey(container);
  build();
  if (key !== null) refocus(container, key, fallback);
}

/** The element inside `container` that has the focus, by its data-key or id (or null). */
function focusedKey(container) {
  const active = document.activeElement;
  if (!active || !container.contains(active) || active === container) return null;
  return active.dataset.key || active.id || "";
}

function refocus(container, key, fallback) {
  const again = key
    ? container.querySelector(`[data-key="${CSS.escape(key)}"], #${CSS.escape(key)}`)
    : null;
  const target = again && !again.disabled ? again : fallback?.() ?? null;
  if (target) target.focus();
  else {
    if (!container.hasAttribute("tabindex")) container.setAttribute("tabindex", "-1");
    container.focus();
  }
}

/**
 * Keep `container`'s children in step with `items`: one node per item, found by `key(item)`.
 * A node is rebuilt with `render(item)` only when `same(old, item)` says it changed (otherwise
 * `patch(node, item)`, if given, updates it in place, so an open menu stays open); nodes of
 * items that are gone are removed. Focus inside a rebuilt or removed node is kept (keepFocus's
 * rule), so a keyboard user is never dropped on the page body.
 * Returns the Map key -> node, for callers that need to find one.
 */
export function keyedList(container, items, { key, render, same = (a, b) => a === b, patch = null }) {
  const nodes = container.keyed ?? (container.keyed = new Map()); // key -> {item, node}
  const focus = focusedKey(container);
  let lost = false;
  const wanted = new Set();
  let cursor = container.firstChild;
  for (const item of items) {
    const k = key(item);
    wanted.add(k);
    let entry = nodes.get(k);
    if (!entry || !same(entry.item, item)) {
      const node = render(item);
      if (entry) {
        lost ||= focus !== null && entry.node.contains(document.activeElement);
        if (cursor === entry.node) cursor = node;
        entry.node.replaceWith(node);
      }
      entry = { item, node };
      nodes.set(k, entry);
    } else if (entry.item !== item) {
      patch?.(entry.node, item);
      entry.item = item;
    }
    if (entry.node !== cursor) container.insertBefore(entry.node, cursor);
    else cursor = cursor.nextSibling;
  }
  for (const [k, entry] of nodes) {
    if (wanted.has(k)) continue;
    lost ||= focus !== null && entry.node.contains(document.activeElement);
    entry.node.remove();
    nodes.delete(k);
  }
  if (lost) refocus(container, focus, null);
  return new Map([...nodes].map(([k, e]) => [k, e.node]));
}

/** True when any of the picked slices differs between two states (views skip work otherwise). */
export function changed(previous, next, ...pick) {
  return !previous || pick.some((fn) => fn(previous) !== fn(next));
}
