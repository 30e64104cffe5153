// The media connection (docs/protocol.md §9): a WebSocket of its own on /media, subprotocol
// sharecircle.v1.media. Control frames are JSON text (the browser carries no msgpack library;
// the server answers in the encoding of our `auth`); audio frames are binary with the fixed
// 10-byte header, read and written with a DataView. No DOM here.

export const SUBPROTOCOL = "sharecircle.v1.media";
const HEADER = 10;
const AUDIO_IN = 0x01;
const AUDIO_OUT = 0x02;

export function mediaUrl(location = globalThis.location) {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/media`;
}

/** One speaker frame: header (kind, flags, seq, ts) and the Opus packet. */
export function audioFrame(seq, ts, packet) {
  const out = new Uint8Array(HEADER + packet.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, AUDIO_IN);
  view.setUint8(1, 0);
  view.setUint32(2, seq >>> 0);
  view.setUint32(6, ts >>> 0);
  out.set(packet, HEADER);
  return out;
}

/** A relayed frame: {source, seq, ts, packet}, or null when `buffer` is not one. */
export function readRelayed(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length <= HEADER + 1 || bytes[0] !== AUDIO_OUT) return null;
  const view = new DataView(buffer);
  const size = bytes[HEADER];
  const start = HEADER + 1;
  const source = new TextDecoder().decode(bytes.subarray(start, start + size));
  return { source, seq: view.getUint32(2), ts: view.getUint32(6), packet: bytes.subarray(start + size) };
}

export class MediaSocket {
  /**
   * @param {object} o
   * @param {string} o.token  the chat session's token
   * @param {boolean} o.listen  hear the room from the start
   * @param {(frame: object) => void} o.onControl  control frames (ready, live, refused, error)
   * @param {(audio: object) => void} o.onAudio  relayed audio frames
   * @param {(code: number) => void} o.onClose
   */
  constructor({ token, listen, onControl, onAudio, onClose, url = mediaUrl(), WebSocketImpl = globalThis.WebSocket }) {
    this.ws = new WebSocketImpl(url, SUBPROTOCOL);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => this.control("auth", { token, listen });
    this.ws.onmessage = ({ data }) => {
      if (typeof data === "string") {
        try {
          onControl(JSON.parse(data));
        } catch {
          // not a frame: ignored
        }
        return;
      }
      const audio = readRelayed(data);
      if (audio) onAudio(audio);
    };
    this.ws.onclose = ({ code }) => onClose(code);
    this.seq = 0;
  }

  get open() {
    return this.ws.readyState === 1;
  }

  control(type, fields = {}) {
    if (this.open) this.ws.send(JSON.stringify({ type, ...fields }));
  }

  /** Send one encoded 20 ms packet; skipped while the socket is full (audio may be lost). */
  send(packet, ts) {
    if (!this.open || this.ws.bufferedAmount > 16_384) return;
    this.seq = (this.seq + 1) >>> 0;
    this.ws.send(audioFrame(this.seq, ts, packet));
  }

  close() {
    this.ws.onclose = null;
    this.ws.close(1000);
  }
}
