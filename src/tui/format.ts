/** Small text helpers for the console: durations, who asked, fitting text in a column. */

/** "5s", "3m", "2h 5m", "3d". */
export function shortDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h ${minutes % 60}m` : `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

export function age(since: string, now: number): string {
  return `${shortDuration(now - Date.parse(since))} ago`;
}

export function timeLeft(until: string, now: number): string {
  const left = Date.parse(until) - now;
  return left <= 0 ? 'expiring' : `${shortDuration(left)} left`;
}

/** "alice" or "alice via agent claude-1" — the one way a person and their agent are shown. */
export function who(user: string, actor?: string | null): string {
  return actor ? `${user} via agent ${actor}` : user;
}

/** Cuts text to `width` columns with an ellipsis (ASCII-width; good enough for commands). */
export function fit(text: string, width: number): string {
  if (width <= 0) return '';
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= width ? flat : `${flat.slice(0, Math.max(0, width - 1))}…`;
}

export function clock(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toTimeString().slice(0, 8);
}
