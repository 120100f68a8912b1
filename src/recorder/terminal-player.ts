/**
 * Plays an asciicast in the local terminal with its real timing: `--speed`, `--idle-limit`, space
 * pauses, `]` jumps to the next marker, `q` (or Ctrl-C) quits. It only writes recorded output; it
 * never executes anything from the recording, and it leaves the terminal as it found it.
 */
import { parseMarker } from './markers.js';
import type { Cast, CastEvent } from './asciicast-reader.js';

export interface TerminalPlayerOptions {
  speed?: number;
  /** Longest pause kept between two events, in seconds (longer gaps are cut to this). */
  idleLimit?: number;
  write(text: string): void;
  /** Shown on a status line when jumping (the marker's label). */
  onMarker?(label: string): void;
}

export type PlayOutcome = 'finished' | 'quit';

interface Scheduled {
  at: number;
  event: CastEvent;
}

/** Event times with gaps capped at `idleLimit` (what asciinema's idle_time_limit does). */
export function schedule(events: CastEvent[], idleLimit?: number): Scheduled[] {
  let previous = 0;
  let shifted = 0;
  return events.map((event) => {
    const gap = Math.max(0, event.time - previous);
    shifted += idleLimit !== undefined ? Math.min(gap, idleLimit) : gap;
    previous = Math.max(previous, event.time);
    return { at: shifted, event };
  });
}

export class TerminalPlayer {
  readonly #events: Scheduled[];
  readonly #speed: number;
  readonly #options: TerminalPlayerOptions;
  #index = 0;
  /** Position in the (idle-limited) timeline when the clock last stopped or jumped, seconds. */
  #position = 0;
  #clockStartedAt = 0;
  #paused = false;
  #timer?: NodeJS.Timeout;
  #done?: (outcome: PlayOutcome) => void;

  constructor(cast: Cast, options: TerminalPlayerOptions) {
    if (options.speed !== undefined && !(options.speed > 0)) throw new TypeError('speed must be a positive number');
    this.#events = schedule(cast.events, options.idleLimit);
    this.#speed = options.speed ?? 1;
    this.#options = options;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Total playing time at this speed, seconds. */
  get duration(): number {
    return (this.#events.at(-1)?.at ?? 0) / this.#speed;
  }

  play(): Promise<PlayOutcome> {
    return new Promise((resolve) => {
      this.#done = resolve;
      this.#clockStartedAt = Date.now();
      this.#tick();
    });
  }

  #now(): number {
    return this.#paused ? this.#position : this.#position + ((Date.now() - this.#clockStartedAt) / 1000) * this.#speed;
  }

  #emit(event: CastEvent): void {
    if (event.code === 'o') this.#options.write(event.data);
  }

  #tick(): void {
    clearTimeout(this.#timer);
    if (this.#paused || !this.#done) return;
    const now = this.#now();
    while (this.#index < this.#events.length && this.#events[this.#index]!.at <= now) this.#emit(this.#events[this.#index++]!.event);
    if (this.#index >= this.#events.length) return this.#finish('finished');
    const wait = ((this.#events[this.#index]!.at - now) / this.#speed) * 1000;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, Math.min(wait, 2 ** 31 - 1)));
  }

  togglePause(): void {
    if (!this.#done) return;
    if (this.#paused) {
      this.#paused = false;
      this.#clockStartedAt = Date.now();
      this.#tick();
    } else {
      this.#position = this.#now();
      this.#paused = true;
      clearTimeout(this.#timer);
    }
  }

  /** Plays everything up to the next marker at once and continues from there. False: no marker left. */
  nextMarker(): boolean {
    if (!this.#done) return false;
    const target = this.#events.findIndex((item, index) => index >= this.#index && item.event.code === 'm');
    if (target < 0) return false;
    while (this.#index <= target) this.#emit(this.#events[this.#index++]!.event);
    const marker = this.#events[target]!;
    this.#position = marker.at;
    this.#clockStartedAt = Date.now();
    const parsed = parseMarker(marker.event.data);
    this.#options.onMarker?.(parsed.kind === 'command' ? marker.event.data : marker.event.data);
    if (!this.#paused) this.#tick();
    return true;
  }

  quit(): void {
    this.#finish('quit');
  }

  #finish(outcome: PlayOutcome): void {
    clearTimeout(this.#timer);
    const done = this.#done;
    this.#done = undefined;
    done?.(outcome);
  }
}
