// Small DOM helpers. Everything a person typed goes through textContent, never innerHTML.

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

/** "2:05" for 125 000 ms; never negative. */
export function clockText(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return `${minutes}:${seconds}`;
}

/** "2 minutes 5 seconds", for screen readers and labels. */
export function durationWords(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  const parts = [];
  if (minutes) parts.push(`${minutes} minute${minutes === 1 ? "" : "s"}`);
  if (seconds || !minutes) parts.push(`${seconds} second${seconds === 1 ? "" : "s"}`);
  return parts.join(" ");
}

/** Local wall-clock time of a server timestamp in ms, like "02:15". */
export function timeOfDay(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
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
  const active = document.activeElement;
  const inside = active && container.contains(active) && active !== container;
  const key = inside ? active.dataset.key || active.id : null;
  build();
  if (!inside) return;
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
