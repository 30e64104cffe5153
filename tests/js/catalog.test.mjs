// The catalog is complete: every key the code and index.html use exists, every family of keys
// built from protocol names (error codes, close endings, reactions, moderation actions...) is
// whole, plural forms are the locale's own (Intl.PluralRules), and placeholders agree.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import EN from "../../web_client/catalog/en.js";
import ES from "../../web_client/catalog/es.js";
import { t, errorText, duration, setLocale, pickLocale, LOCALES } from "../../web_client/i18n.js";
import { CLIENT_ERRORS, TERMINAL_KINDS } from "../../web_client/protocol/index.js";
import { REACTIONS } from "../../web_client/reducer.js";
import { NOTICE_KINDS } from "../../web_client/regions/notice.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLIENT = join(ROOT, "web_client");

function sources(dir = CLIENT) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "catalog" ? [] : sources(path);
    return name.endsWith(".js") ? [path] : [];
  });
}

const code = sources().map((path) => readFileSync(path, "utf8")).join("\n");
const html = readFileSync(join(CLIENT, "index.html"), "utf8");
const protocolDoc = readFileSync(join(ROOT, "docs/protocol.md"), "utf8");

function section(doc, marker) {
  const start = doc.indexOf(`<!-- ${marker}:start -->`);
  const end = doc.indexOf(`<!-- ${marker}:end -->`);
  return doc.slice(start, end);
}

const errorCodes = [...section(protocolDoc, "error-codes").matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);

/** Keys in code: the first argument of t(), say() and note(), including both arms of a ternary there. */
function codeKeys() {
  const keys = [];
  for (const line of code.split("\n")) {
    if (!/\b(?:t|say|note)\(/.test(line)) continue;
    for (const m of line.matchAll(/(?:\b(?:t|say|note)\(\s*|\?\s*|:\s*)"([a-z_]+(?:\.[a-z_]+)+)"/g)) keys.push(m[1]);
  }
  return keys;
}

const staticKeys = () => [
  ...codeKeys(),
  ...[...html.matchAll(/data-i18n="([^"]+)"/g)].map((m) => m[1]),
  ...[...html.matchAll(/data-i18n-attr="([^"]+)"/g)].flatMap((m) => m[1].split(";").map((pair) => pair.split(":")[1].trim())),
];

test("every key used in the code and in index.html is in the catalog", () => {
  const keys = staticKeys();
  assert.ok(keys.length > 150, `found only ${keys.length} keys; is the scan broken?`);
  const missing = [...new Set(keys)].filter((key) => !(key in EN));
  assert.deepEqual(missing, []);
});

test("every family of keys built from protocol names is whole", () => {
  const family = {
    error: [...errorCodes, ...CLIENT_ERRORS, "unknown"],
    notice: Object.keys(NOTICE_KINDS).flatMap((kind) => [`${kind}.title`, `${kind}.text`]),
    reaction: REACTIONS,
    conn: ["connecting", "waiting", "connected", "reconnecting", "offline", "closed"],
    "composer.blocked": ["gone", "reconnecting", "observer", "not_seated", "muted", "room_paused", "listen_only",
      "listening_room", "turn.queued", "turn.raise", "round.queued", "round.raise", "slow",
      "part_holds", "part_quiet", "part_reader", "part_turn", "content_note"],
    "controls.why": ["reconnecting", "room_paused", "listen_only", "muted", "listening_room", "part_holds"],
    "bar.why": ["no_floor", "reconnecting"],
    "part.kind": ["open_talk", "reading", "share_round", "announcements", "closing"],
    "part.posting": ["nobody", "facilitator", "floor", "in_turn", "everyone"],
    alert: ["floor", "warning"],
    lang: LOCALES,
    "log.action": ["mute", "unmute", "listen_only.assign", "remove", "ban", "message.remove", "lock.set", "slow.set",
      "facilitator.add", "facilitator.handover", "lobby.set", "lobby.admit", "lobby.deny", "room.pause",
      "room.unpause", "room.reset", "mode.set", "queue.move", "queue.remove"],
    mode: ["open", "listen_only", "round"],
  };
  assert.ok(errorCodes.length >= 30, "docs/protocol.md's error table was not found");
  const missing = Object.entries(family).flatMap(([prefix, names]) => names.map((n) => `${prefix}.${n}`)).filter((k) => !(k in EN));
  assert.deepEqual(missing, []);
  for (const kind of TERMINAL_KINDS) assert.ok(kind in NOTICE_KINDS, `no notice for the terminal kind ${kind}`);
});

test("plural forms are the locale's categories, and every form has the same placeholders", () => {
  const categories = new Set(new Intl.PluralRules("en").resolvedOptions().pluralCategories);
  const holes = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).filter((n) => n !== "count").sort().join();
  for (const [key, value] of Object.entries(EN)) {
    if (typeof value === "string") continue;
    const forms = Object.keys(value);
    assert.ok(forms.includes("other"), `${key} has no "other" form`);
    for (const form of forms) assert.ok(categories.has(form) || /^=\d+$/.test(form), `${key}: "${form}" is not an English plural form`);
    const shapes = new Set(Object.entries(value).filter(([f]) => !f.startsWith("=")).map(([, text]) => holes(text)));
    assert.equal(shapes.size, 1, `${key}: its forms disagree on placeholders`);
  }
  assert.equal(t("people.observers", { count: 0 }), EN["people.observers"]["=0"]);
  assert.equal(t("people.observers", { count: 1 }), "1 person is listening as observers.");
  assert.equal(t("people.observers", { count: 1200 }), "1,200 people are listening as observers.");
});

test("errors are looked up by code, falling back to the server's own words", () => {
  assert.equal(errorText({ code: "not_your_turn", frame: { message: "server words" } }), EN["error.not_your_turn"]);
  assert.equal(errorText({ code: "a_new_code", frame: { message: "server words" } }), "server words");
  assert.equal(errorText({ code: "slow_mode", retryAfterMs: 2100 }), "Slow mode is on: you can post again in 3 s.");
  assert.equal(errorText(null), EN["error.unknown"]);
});

test("durations are put in the locale's words", () => {
  assert.equal(duration(125_000), "2 minutes, 5 seconds");
  assert.equal(duration(3_600_000), "1 hour");
  assert.equal(duration(0), "0 seconds");
});

test("no catalog entry is empty, and a missing key shows itself", () => {
  for (const [key, value] of Object.entries(EN)) {
    for (const text of typeof value === "string" ? [value] : Object.values(value)) assert.ok(text.trim(), key);
  }
  assert.equal(t("no.such.key"), "no.such.key");
});

test("English and Spanish have the same keys, the same placeholders, and each locale's own plural forms", () => {
  assert.deepEqual(Object.keys(ES).filter((k) => !(k in EN)), [], "keys only in es");
  assert.deepEqual(Object.keys(EN).filter((k) => !(k in ES)), [], "keys only in en");
  const holes = (v) => [...new Set((typeof v === "string" ? [v] : Object.values(v)).flatMap((text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1])))].sort().join();
  for (const key of Object.keys(EN)) assert.equal(holes(ES[key]), holes(EN[key]), `${key}: placeholders differ`);
  for (const [name, catalog] of [["en", EN], ["es", ES]]) {
    const categories = new Set(new Intl.PluralRules(name).resolvedOptions().pluralCategories);
    for (const [key, value] of Object.entries(catalog)) {
      if (typeof value === "string") continue;
      assert.ok(value.other, `${name} ${key}: no "other" form`);
      for (const form of Object.keys(value)) assert.ok(categories.has(form) || /^=\d+$/.test(form), `${name} ${key}: "${form}" is not a plural form of ${name}`);
    }
    for (const [key, value] of Object.entries(catalog)) {
      for (const text of typeof value === "string" ? [value] : Object.values(value)) assert.ok(text.trim(), `${name} ${key} is empty`);
    }
  }
});

test("the language comes from the page's choice, else the browser's list, else English", () => {
  assert.deepEqual(LOCALES, ["en", "es"]);
  assert.equal(pickLocale(null, ["es-MX", "en"]), "es");
  assert.equal(pickLocale(null, ["fr-FR", "es"]), "es");
  assert.equal(pickLocale(null, ["fr-FR"]), "en");
  assert.equal(pickLocale("en", ["es"]), "en", "a choice made on the page wins");
  assert.equal(pickLocale("xx", undefined), "en");
});

test("the Spanish catalog speaks through t(), plurals and errors included", () => {
  try {
    assert.equal(setLocale("es"), true);
    assert.equal(t("people.observers", { count: 1 }), "1 persona escucha como observador.");
    assert.equal(t("people.observers", { count: 3 }), "3 personas escuchan como observadores.");
    assert.equal(errorText({ code: "not_your_turn", frame: { message: "Someone else holds the floor" } }), ES["error.not_your_turn"]);
    assert.equal(duration(60_000), "1 minuto");
    assert.equal(setLocale("xx"), false);
  } finally {
    setLocale("en");
  }
});
