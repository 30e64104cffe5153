// Where a session is in its room's stream: repeats dropped, holes and unannounced epochs noticed.

import { test } from "node:test";
import assert from "node:assert/strict";
import { StreamPosition, ServerClock } from "../../web_client/protocol/index.js";

function feed(position, frames) {
  return frames.map((frame) => {
    const verdict = position.check(frame);
    if (verdict === "new") position.accept(frame);
    return verdict;
  });
}

const ev = (seq, epoch = "e1", event = "chat.message") => ({ seq, epoch, event });

test("repeats are duplicates, a skipped seq is a gap, an unannounced epoch is noticed", () => {
  const p = new StreamPosition();
  p.reset("e1");
  assert.deepEqual(feed(p, [ev(5), ev(6), ev(6), ev(4), ev(8), ev(7, "e2")]), ["new", "new", "duplicate", "duplicate", "gap", "epoch"]);
});

test("after room.reset the new epoch may start a few events later (moderation, hidden)", () => {
  const p = new StreamPosition();
  p.reset("e1");
  const verdicts = feed(p, [ev(3), ev(4, "e1", "room.reset"), ev(5, "e1", "moderation"), ev(6, "e2"), ev(7, "e2")]);
  assert.deepEqual(verdicts, ["new", "new", "new", "new", "new"]);
  assert.deepEqual(feed(p, [ev(8, "e3")]), ["epoch"], "once the new epoch began, another change is news again");
});

test("the server clock takes the largest offset seen", () => {
  let local = 1000;
  const clock = new ServerClock(3, () => local);
  clock.note(6000);
  clock.note(5500);
  assert.equal(clock.offset(), 5000);
  local = 2000;
  assert.equal(clock.now(), 7000);
});

test("a folded members.changed stands for seq_from..seq: no gap, and what it covers is seen", () => {
  const p = new StreamPosition();
  p.reset("e1");
  const folded = { seq: 9, seq_from: 6, epoch: "e1", event: "members.changed" };
  assert.deepEqual(feed(p, [ev(5), folded, ev(10), ev(8)]), ["new", "new", "new", "duplicate"]);
  const late = new StreamPosition();
  late.reset("e1");
  assert.deepEqual(feed(late, [ev(5), { ...folded, seq_from: 7 }]), ["new", "gap"], "a hole before it is a gap");
});
