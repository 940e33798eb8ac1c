// Beeps with WebAudio (no sound files): a high short tone when a scan is booked, two
// mid tones when it is queued, a low buzz when something is wrong.
let audio = null;

const TONES = {
  ok: [[1046, 0.12]],
  queued: [[660, 0.08], [660, 0.08]],
  error: [[196, 0.25], [147, 0.35]],
};

export function beep(tone) {
  document.body.dataset.lastBeep = tone; // what the last sound was, for the tests
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
    let at = audio.currentTime;
    for (const [frequency, seconds] of TONES[tone] || TONES.error) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = tone === "error" ? "square" : "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.25, at);
      gain.gain.exponentialRampToValueAtTime(0.001, at + seconds);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + seconds);
      at += seconds + 0.05;
    }
  } catch {
    // No audio device (or not allowed yet): the words on screen still say it.
  }
}
