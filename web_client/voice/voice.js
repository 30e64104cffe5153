// Voice for one person (issue 17): listening, sharing, the microphone and the speaker. No DOM:
// regions/voice.js draws `state` and calls the methods; `change` fires on every change.
//
// Sharing: getUserMedia → the sc-capture worklet (20 ms blocks) → WebCodecs AudioEncoder (Opus,
// mono, 24 kbit/s, 20 ms) → the media socket. Frames go out while sharing is on and, in
// push-to-talk mode, while the talk button is held; the server relays them only while the floor
// lets us be heard, and says so with `live` (the "you're live" marker follows the server, never
// our own guess). Listening: relayed frames → AudioDecoder → the sc-playback worklet (jitter
// buffer) → a volume gain → the speakers. A seq gap tells the worklet to conceal a lost frame.

import { Emitter } from "../protocol/emitter.js";
import { MediaSocket } from "./socket.js";

const RATE = 48_000;
const BITRATE = 24_000;
const HEARD_MS = 400; // someone counts as being heard for this long after their last frame
const RECONNECT_MS = 2000; // a media socket that dropped is opened again after this long
const FINAL_CLOSES = new Set([1000, 4500, 4501, 4502]); // left, removed, banned, refused
const WORKLET_URL = new URL("./worklet.js", import.meta.url).href;

/** Whether this browser can do voice at all (WebCodecs Opus and an AudioWorklet). */
export async function voiceSupported() {
  if (!globalThis.AudioEncoder || !globalThis.AudioDecoder || !globalThis.AudioWorkletNode) return false;
  try {
    const enc = await AudioEncoder.isConfigSupported({ codec: "opus", sampleRate: RATE, numberOfChannels: 1, bitrate: BITRATE });
    const dec = await AudioDecoder.isConfigSupported({ codec: "opus", sampleRate: RATE, numberOfChannels: 1 });
    return Boolean(enc.supported && dec.supported);
  } catch {
    return false;
  }
}

export class Voice extends Emitter {
  constructor() {
    super();
    this.state = {
      available: null, // null until checked; false: the browser cannot
      listen: false, share: false, mode: "open", // "open" mic or "ptt" (push to talk)
      talking: false, live: false, level: 0, heard: 0, volume: 0.8, speakers: [], error: null,
    };
    this.token = null;
    this.socket = null;
    this.ctx = null;
    this.stats = { sent: 0, received: 0, decoded: 0, lost: 0, played: 0, peak: 0 };
    this.heardAt = new Map(); // member id -> time of their last frame
    this.lastSeq = new Map();
    voiceSupported().then((ok) => this.set({ available: ok }));
  }

  set(patch) {
    this.state = { ...this.state, ...patch };
    this.emit("change", this.state);
  }

  /** The chat session we belong to (null when we leave): the media socket follows it. */
  attach(token) {
    if (token === this.token) return;
    this.token = token;
    this.closeSocket();
    if (!token) {
      this.stopMic();
      this.set({ listen: false, share: false, live: false, speakers: [] });
      return;
    }
    this.ensureSocket();
  }

  async setListen(on) {
    if (on) await this.audio();
    this.set({ listen: on });
    this.ensureSocket();
    this.socket?.control("listen", { on });
    if (!on) this.playback?.port.postMessage({ reset: true });
  }

  async setShare(on) {
    if (on) {
      try {
        await this.startMic();
      } catch {
        this.set({ share: false, error: "mic" });
        return;
      }
    } else {
      this.stopMic();
    }
    this.set({ share: on, error: null, live: on ? this.state.live : false });
    this.ensureSocket();
    this.socket?.control("speak", { on });
  }

  setMode(mode) {
    this.set({ mode, talking: false });
  }

  setTalking(on) {
    if (this.state.talking !== on) this.set({ talking: on });
  }

  setVolume(volume) {
    if (this.gain) this.gain.gain.value = volume;
    this.set({ volume });
  }

  // -- the socket ----------------------------------------------------------------------------------

  ensureSocket() {
    if (this.socket || !this.token || !(this.state.listen || this.state.share)) return;
    this.socket = new MediaSocket({
      token: this.token,
      listen: this.state.listen,
      onControl: (frame) => this.control(frame),
      onAudio: (audio) => this.hear(audio),
      onClose: (code) => {
        this.socket = null;
        this.set({ live: false });
        if (!FINAL_CLOSES.has(code)) setTimeout(() => this.ensureSocket(), RECONNECT_MS);
      },
    });
  }

  closeSocket() {
    this.socket?.close();
    this.socket = null;
  }

  control(frame) {
    if (frame.type === "ready" && this.state.share) this.socket?.control("speak", { on: true });
    if (frame.type === "live") this.set({ live: Boolean(frame.live) });
    if (frame.type === "error") this.set({ error: frame.code });
  }

  // -- listening -----------------------------------------------------------------------------------

  async audio() {
    if (this.ctx) {
      await this.ctx.resume();
      return this.ctx;
    }
    this.ctx = new AudioContext({ sampleRate: RATE });
    await this.ctx.audioWorklet.addModule(WORKLET_URL);
    this.playback = new AudioWorkletNode(this.ctx, "sc-playback", { outputChannelCount: [1] });
    this.gain = new GainNode(this.ctx, { gain: this.state.volume });
    this.playback.connect(this.gain).connect(this.ctx.destination);
    this.playback.port.onmessage = ({ data }) => {
      this.stats.played = data.level;
      this.stats.peak = Math.max(this.stats.peak, data.level);
      this.set({ heard: data.level, speakers: this.speakers() });
    };
    this.decoder = new AudioDecoder({
      output: (data) => this.decoded(data),
      error: () => this.set({ error: "decode" }),
    });
    this.decoder.configure({ codec: "opus", sampleRate: RATE, numberOfChannels: 1 });
    await this.ctx.resume();
    return this.ctx;
  }

  hear({ source, seq, ts, packet }) {
    this.stats.received += 1;
    this.heardAt.set(source, performance.now());
    const before = this.lastSeq.get(source);
    const gap = before === undefined ? 0 : (seq - before - 1) >>> 0;
    if (gap > 0 && gap <= 3) {
      this.stats.lost += gap;
      for (let i = 0; i < gap; i++) this.playback?.port.postMessage({ lost: true });
    }
    this.lastSeq.set(source, seq);
    if (!this.state.listen || this.decoder?.state !== "configured") return;
    this.decoder.decode(new EncodedAudioChunk({ type: "key", timestamp: ts * 1000, data: packet }));
  }

  decoded(data) {
    const samples = new Float32Array(data.numberOfFrames);
    data.copyTo(samples, { planeIndex: 0, format: "f32-planar" });
    data.close();
    this.stats.decoded += 1;
    this.playback.port.postMessage({ samples }, [samples.buffer]);
  }

  speakers() {
    const now = performance.now();
    return [...this.heardAt].filter(([, at]) => now - at < HEARD_MS).map(([id]) => id);
  }

  // -- sharing -------------------------------------------------------------------------------------

  async startMic() {
    if (this.stream) return;
    const ctx = await this.audio();
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    this.source = ctx.createMediaStreamSource(this.stream);
    this.capture = new AudioWorkletNode(ctx, "sc-capture", { numberOfOutputs: 0 });
    this.source.connect(this.capture);
    this.started = performance.now();
    this.encoder = new AudioEncoder({
      output: (chunk) => this.encoded(chunk),
      error: () => this.set({ error: "encode" }),
    });
    this.encoder.configure({
      codec: "opus", sampleRate: RATE, numberOfChannels: 1, bitrate: BITRATE, opus: { frameDuration: 20_000 },
    });
    this.capture.port.onmessage = ({ data }) => this.captured(data);
  }

  captured({ samples, level }) {
    this.set({ level });
    // Only while the server says we are heard: frames it would drop are not sent at all.
    const sending = this.state.share && this.state.live && (this.state.mode === "open" || this.state.talking);
    if (!sending || this.encoder?.state !== "configured") return;
    const timestamp = Math.round((performance.now() - this.started) * 1000);
    const data = new AudioData({ format: "f32-planar", sampleRate: RATE, numberOfFrames: samples.length, numberOfChannels: 1, timestamp, data: samples });
    this.encoder.encode(data);
    data.close();
  }

  encoded(chunk) {
    const packet = new Uint8Array(chunk.byteLength);
    chunk.copyTo(packet);
    this.stats.sent += 1;
    this.socket?.send(packet, Math.round(chunk.timestamp / 1000));
  }

  stopMic() {
    this.capture?.port.close();
    this.capture?.disconnect();
    this.source?.disconnect();
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    if (this.encoder && this.encoder.state !== "closed") this.encoder.close();
    this.stream = this.source = this.capture = this.encoder = null;
    this.set({ level: 0, talking: false });
  }
}
