// The two audio worklets of voice (loaded with audioWorklet.addModule from this origin only:
// the page's CSP, script-src 'self', allows nothing else).
//
// sc-capture: the microphone in 20 ms blocks (960 samples at 48 kHz) for the encoder, and the
//   block's level for the meter.
// sc-playback: decoded 20 ms frames out through a small jitter buffer. It starts playing once
//   `target` frames wait (3: 60 ms), grows the target by a frame after each underrun (up to
//   10: 200 ms) and shrinks it again after a long calm spell; a frame that never came is
//   concealed once by the last frame, fading out; then silence until frames come again. Every
//   ~50 ms it reports the level of what it played (0 when silent).

const FRAME = 960;
const MIN_TARGET = 3;
const MAX_TARGET = 10;
const CALM_FRAMES = 500; // ~10 s without an underrun before the target shrinks by one
const LEVEL_EVERY = 20; // render quanta (128 samples) between level reports: ~53 ms

const rms = (samples, from = 0, to = samples.length) => {
  let sum = 0;
  for (let i = from; i < to; i++) sum += samples[i] * samples[i];
  return to > from ? Math.sqrt(sum / (to - from)) : 0;
};

class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.block = new Float32Array(FRAME);
    this.filled = 0;
  }

  process(inputs) {
    const input = inputs[0]?.[0];
    if (!input) return true;
    let at = 0;
    while (at < input.length) {
      const take = Math.min(input.length - at, FRAME - this.filled);
      this.block.set(input.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === FRAME) {
        const samples = this.block;
        this.port.postMessage({ samples, level: rms(samples) }, [samples.buffer]);
        this.block = new Float32Array(FRAME);
        this.filled = 0;
      }
    }
    return true;
  }
}

class Playback extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frames = [];
    this.current = null;
    this.offset = 0;
    this.last = null;
    this.target = MIN_TARGET;
    this.playing = false;
    this.concealed = false;
    this.calm = 0;
    this.quanta = 0;
    this.levelSum = 0;
    this.levelCount = 0;
    this.port.onmessage = ({ data }) => this.receive(data);
  }

  receive(data) {
    if (data.samples) {
      this.frames.push(data.samples);
      // Too far behind: drop the oldest, so latency stays near the target.
      while (this.frames.length > this.target + 4) this.frames.shift();
    } else if (data.lost && this.last && this.playing) {
      this.frames.push(this.faded(this.last)); // conceal a frame that never came
    } else if (data.reset) {
      this.frames = [];
      this.current = null;
      this.playing = false;
    }
  }

  faded(frame) {
    const out = new Float32Array(frame.length);
    for (let i = 0; i < frame.length; i++) out[i] = frame[i] * (1 - i / frame.length);
    return out;
  }

  next() {
    if (!this.playing && this.frames.length >= this.target) {
      this.playing = true;
      this.concealed = false;
    }
    if (!this.playing) return null;
    if (this.frames.length) {
      this.calm += 1;
      if (this.calm > CALM_FRAMES && this.target > MIN_TARGET) {
        this.target -= 1;
        this.calm = 0;
      }
      this.concealed = false;
      this.last = this.frames.shift();
      return this.last;
    }
    if (!this.concealed && this.last) {
      this.concealed = true; // one concealed frame, then rebuffer
      return this.faded(this.last);
    }
    this.playing = false;
    this.calm = 0;
    this.target = Math.min(MAX_TARGET, this.target + 1);
    return null;
  }

  process(_inputs, outputs) {
    const out = outputs[0][0];
    let at = 0;
    while (at < out.length) {
      if (!this.current || this.offset >= this.current.length) {
        this.current = this.next();
        this.offset = 0;
        if (!this.current) {
          out.fill(0, at);
          break;
        }
      }
      const take = Math.min(out.length - at, this.current.length - this.offset);
      out.set(this.current.subarray(this.offset, this.offset + take), at);
      this.offset += take;
      at += take;
    }
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    this.levelSum += rms(out);
    this.levelCount += 1;
    if (++this.quanta >= LEVEL_EVERY) {
      this.port.postMessage({ level: this.levelSum / this.levelCount, buffered: this.frames.length, target: this.target });
      this.quanta = 0;
      this.levelSum = 0;
      this.levelCount = 0;
    }
    return true;
  }
}

registerProcessor("sc-capture", Capture);
registerProcessor("sc-playback", Playback);
