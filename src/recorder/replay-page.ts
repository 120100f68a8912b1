/**
 * The browser replay page: asciinema-player (served by the gateway itself) with the command
 * markers on its timeline, and beside it the session facts and the commands with their decisions;
 * clicking a command seeks there. Pure HTML building: every value is escaped, the page carries no
 * inline script (the CSP forbids it), and it never includes a token.
 */
import { parseMarker } from './markers.js';

export interface ReplayFacts {
  id: string;
  user: string;
  actor: string | null;
  connection: string;
  mode: string;
  state: string;
  startedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  endReason: string | null;
  recordingSha256: string | null;
}

export interface ReplayCommand {
  command: string;
  decision: string | null;
  rule: string | null;
  approvers: string[];
  exitCode: number | null;
  /** Seconds into the recording (its marker), when found. */
  at: number | null;
}

export const ASSET_PATHS = {
  playerJs: '/replay/assets/asciinema-player.min.js',
  playerCss: '/replay/assets/asciinema-player.css',
  pageJs: '/replay/assets/replay.js',
  pageCss: '/replay/assets/replay.css',
};

export const PAGE_CSP = [
  "default-src 'none'",
  // The player compiles its terminal emulator from WebAssembly.
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Gives each command the time of its marker (`$ COMMAND…`), in order. */
export function placeCommands<T extends { command: string }>(commands: T[], markers: { time: number; label: string }[]): (T & { at: number | null })[] {
  const used = new Set<number>();
  return commands.map((command) => {
    const index = markers.findIndex((marker, i) => {
      if (used.has(i)) return false;
      const parsed = parseMarker(marker.label);
      return parsed.kind === 'command' && parsed.command === command.command;
    });
    // Markers in another format (e.g. "⏸ held for approval 3f2a: COMMAND …") still place it.
    if (index < 0) {
      const loose = markers.findIndex((marker, i) => !used.has(i) && marker.label.includes(command.command));
      if (loose < 0) return { ...command, at: null };
      used.add(loose);
      return { ...command, at: markers[loose]!.time };
    }
    used.add(index);
    return { ...command, at: markers[index]!.time };
  });
}

/** m:ss.t — tenths matter: commands of a short session are often under a second apart. */
function clock(seconds: number): string {
  const tenths = Math.floor(seconds * 10);
  const whole = Math.floor(tenths / 10);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}.${tenths % 10}`;
}

function badge(decision: string | null, approvers: string[]): string {
  const label = (decision === 'allow' || decision === 'review') && approvers.length > 0 ? 'approved' : (decision ?? 'pending');
  return `<span class="decision decision-${escapeHtml(label)}">${escapeHtml(label)}</span>`;
}

export function renderReplayPage(input: { facts: ReplayFacts; commands: ReplayCommand[]; markers: { time: number; label: string }[]; castUrl: string }): string {
  const { facts } = input;
  const who = facts.actor ? `${facts.user} via agent ${facts.actor}` : facts.user;
  const rows: [string, string | null][] = [
    ['session', facts.id],
    ['user', who],
    ['connection', facts.connection],
    ['mode', facts.mode],
    ['state', facts.state],
    ['started', facts.startedAt],
    ['ended', facts.endedAt],
    ['exit code', facts.exitCode === null ? null : String(facts.exitCode)],
    ['end reason', facts.endReason],
    ['recording SHA-256', facts.recordingSha256],
  ];
  const factsHtml = rows
    .filter(([, value]) => value !== null && value !== '')
    .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value!)}</dd>`)
    .join('');
  const commandsHtml =
    input.commands.length === 0
      ? '<p class="empty">no commands recorded</p>'
      : `<ol class="commands">${input.commands
          .map((command) => {
            const detail = [
              command.rule ? `rule: ${command.rule}` : '',
              command.approvers.length ? `approved by ${command.approvers.join(', ')}` : '',
              command.exitCode !== null ? `exit ${command.exitCode}` : '',
            ]
              .filter(Boolean)
              .map((text) => `<span>${escapeHtml(text)}</span>`)
              .join(' ');
            const text = `<code>${escapeHtml(command.command)}</code>`;
            const head = command.at === null ? `<span class="time">–</span> ${text}` : `<a href="#" class="seek" data-seek="${command.at}"><span class="time">${clock(command.at)}</span> ${text}</a>`;
            return `<li>${head} ${badge(command.decision, command.approvers)}<div class="detail">${detail}</div></li>`;
          })
          .join('')}</ol>`;
  const data = JSON.stringify({ castUrl: input.castUrl, markers: input.markers.map((marker) => [marker.time, marker.label]) }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">
<title>replay ${escapeHtml(facts.user)}@${escapeHtml(facts.connection)} · hoop-shell</title>
<link rel="stylesheet" href="${ASSET_PATHS.playerCss}"><link rel="stylesheet" href="${ASSET_PATHS.pageCss}">
</head><body>
<header><h1>${escapeHtml(who)}@${escapeHtml(facts.connection)}</h1><span class="sub">session ${escapeHtml(facts.id)}</span></header>
<main><section id="player"></section>
<aside><h2>Session</h2><dl class="facts">${factsHtml}</dl><h2>Commands</h2>${commandsHtml}</aside></main>
<script type="application/json" id="hoop-replay-data">${data}</script>
<script src="${ASSET_PATHS.playerJs}"></script><script src="${ASSET_PATHS.pageJs}"></script>
</body></html>`;
}

/** Shown when the browser has no grant yet: a form that posts a token (kept out of the URL). */
export function renderSignInPage(sessionId: string, problem?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>sign in · hoop-shell replay</title>
<link rel="stylesheet" href="${ASSET_PATHS.pageCss}"></head><body class="signin">
<h1>Replay of session ${escapeHtml(sessionId)}</h1>
${problem ? `<p class="problem">${escapeHtml(problem)}</p>` : ''}
<p>Paste a hoop-shell token (for example <code>echo $HOOP_TOKEN</code>). It is exchanged once for a
15-minute replay grant in a cookie for this session only; the token itself is not stored.</p>
<form method="post" action="/replay/${escapeHtml(sessionId)}"><input type="password" name="token" autocomplete="off" required>
<button type="submit">Open replay</button></form></body></html>`;
}

export function renderProblemPage(status: number, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${status} · hoop-shell replay</title><link rel="stylesheet" href="${ASSET_PATHS.pageCss}"></head>
<body class="signin"><h1>${status}</h1><p class="problem">${escapeHtml(message)}</p></body></html>`;
}

export const PAGE_SCRIPT = `'use strict';
(function () {
  var data = JSON.parse(document.getElementById('hoop-replay-data').textContent);
  var player = AsciinemaPlayer.create(data.castUrl, document.getElementById('player'), { markers: data.markers, fit: 'width', preload: true });
  window.hoopReplay = { player: player, markers: data.markers };
  document.querySelectorAll('a.seek').forEach(function (link) {
    link.addEventListener('click', function (event) {
      event.preventDefault();
      document.querySelectorAll('a.seek.current').forEach(function (other) { other.classList.remove('current'); });
      link.classList.add('current');
      Promise.resolve(player.seek(Number(link.getAttribute('data-seek'))));
    });
  });
})();
`;

export const PAGE_STYLE = `
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: #f6f7f9; color: #1d232b; }
header { padding: 10px 16px; background: #1d232b; color: #fff; display: flex; gap: 12px; align-items: baseline; }
header h1 { font-size: 16px; margin: 0; } header .sub { opacity: .7; font-size: 12px; }
main { display: flex; gap: 16px; padding: 16px; align-items: flex-start; }
#player { flex: 1 1 auto; min-width: 0; }
aside { flex: 0 0 340px; background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 8px 12px; max-height: 90vh; overflow: auto; }
aside h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: #5a6472; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0; font-size: 12px; }
dl.facts dt { color: #5a6472; } dl.facts dd { margin: 0; word-break: break-all; }
ol.commands { list-style: none; padding: 0; margin: 0; }
ol.commands li { padding: 6px 0; border-top: 1px solid #eef0f3; }
ol.commands a { color: inherit; text-decoration: none; } ol.commands a:hover code, ol.commands a.current code { text-decoration: underline; }
.time { color: #5a6472; font-variant-numeric: tabular-nums; margin-right: 4px; }
.detail { font-size: 12px; color: #5a6472; } .detail span { margin-right: 8px; }
.decision { font-size: 11px; padding: 1px 6px; border-radius: 8px; background: #e6f4ea; color: #1e6b34; }
.decision-deny { background: #fde7e9; color: #a31515; } .decision-approved, .decision-review { background: #fff4ce; color: #7a5b00; }
body.signin { padding: 24px; max-width: 640px; } .problem { color: #a31515; }
input[type=password] { width: 100%; padding: 6px; margin: 8px 0; }
`;
