// The media connection's audio header (web_client/voice/socket.js, docs/protocol.md §9.3).

import { test } from "node:test";
import assert from "node:assert/strict";
import { audioFrame, readRelayed, mediaUrl } from "../../web_client/voice/socket.js";

test("a speaker frame is the ten-byte header, then the packet", () => {
  const out = audioFrame(0x01020304, 140, new Uint8Array([9, 8, 7]));
  assert.deepEqual([...out], [1, 0, 1, 2, 3, 4, 0, 0, 0, 140, 9, 8, 7]);
});

test("a relayed frame gives its speaker, seq, ts and packet", () => {
  const id = new TextEncoder().encode("m_8fK2");
  const bytes = new Uint8Array([2, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 5, id.length, ...id, 0, 255]);
  const heard = readRelayed(bytes.buffer);
  assert.equal(heard.source, "m_8fK2");
  assert.equal(heard.seq, 2 ** 32 - 1);
  assert.equal(heard.ts, 5);
  assert.deepEqual([...heard.packet], [0, 255]);
  assert.equal(readRelayed(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).buffer), null);
});

test("the media route sits next to the chat route", () => {
  assert.equal(mediaUrl({ protocol: "https:", host: "example.org" }), "wss://example.org/media");
  assert.equal(mediaUrl({ protocol: "http:", host: "127.0.0.1:8000" }), "ws://127.0.0.1:8000/media");
});
