// Every word the page says comes from one catalog (catalog/en.js), looked up by key:
// t("people.title", {count: 3}). A value is a string with {name} placeholders, or an object of
// plural forms chosen by Intl.PluralRules for `params.count` ("=0" for an exact count first). Times and durations are formatted
// for the locale by Intl. Server errors are looked up by their stable `code`; the server's own
// sentence is the fallback for a code the catalog does not know yet.
// No DOM here except `translatePage`, which fills index.html's data-i18n texts.

import EN from "./catalog/en.js";
import ES from "./catalog/es.js";

const CATALOGS = { en: EN, es: ES };
/** The languages the page speaks, in the order the language menu lists them. */
export const LOCALES = Object.freeze(Object.keys(CATALOGS));
let locale = "en";
let catalog = EN;
let plurals = new Intl.PluralRules(locale);

/**
 * The language to use: the one chosen on the page (`stored`), else the first of the browser's
 * `languages` (navigator.languages, "es-MX" counts as "es") that we have, else English.
 */
export function pickLocale(stored, languages = []) {
  if (stored && CATALOGS[stored]) return stored;
  for (const tag of languages ?? []) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (CATALOGS[base]) return base;
  }
  return "en";
}

/** Switch language; false for a language the page does not have. */
export function setLocale(name) {
  if (!CATALOGS[name]) return false;
  locale = name;
  catalog = CATALOGS[name];
  plurals = new Intl.PluralRules(locale);
  return true;
}

export const currentLocale = () => locale;

export const has = (key) => Object.hasOwn(catalog, key);

/** The catalog's text for `key`, with {placeholders} filled from `params`. */
export function t(key, params = {}) {
  let entry = catalog[key];
  if (entry === undefined) return key; // a missing key shows itself (and the tests fail)
  if (typeof entry === "object") {
    const count = params.count ?? 0;
    entry = entry[`=${count}`] ?? entry[plurals.select(count)] ?? entry.other;
  }
  return entry.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? formatValue(params[name]) : whole));
}

function formatValue(value) {
  return typeof value === "number" ? new Intl.NumberFormat(locale).format(value) : String(value ?? "");
}

/** Words for a failed command: the catalog's sentence for its code, else the server's own. */
export function errorText(err) {
  const key = `error.${err?.code}`;
  if (err?.code && has(key)) return t(key, { seconds: Math.ceil((err.retryAfterMs ?? 0) / 1000) });
  return err?.frame?.message || t("error.unknown");
}

/** Local wall-clock time of a server timestamp in ms, like "02:15". */
export function timeOfDay(ms) {
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }).format(new Date(ms));
}

/** "2 minutes, 5 seconds" (in the locale's words), for labels and screen readers. */
export function duration(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  const units = [["day", Math.floor(total / 86400)], ["hour", Math.floor(total / 3600) % 24],
    ["minute", Math.floor(total / 60) % 60], ["second", total % 60]];
  const parts = units.filter(([, n]) => n > 0)
    .map(([unit, n]) => new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" }).format(n));
  if (!parts.length) parts.push(new Intl.NumberFormat(locale, { style: "unit", unit: "second", unitDisplay: "long" }).format(0));
  return new Intl.ListFormat(locale, { style: "long", type: "unit" }).format(parts);
}

/** "2:05" for 125 000 ms; never negative. */
export function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

/**
 * Fill the page's static texts: `data-i18n="key"` sets the text, `data-i18n-attr="attr:key;..."`
 * sets attributes (aria-label, placeholder). Called once before anything is shown.
 */
export function translatePage(root) {
  root.documentElement.lang = locale;
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of node.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      node.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}
