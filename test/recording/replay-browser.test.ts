import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway as GatewayClient } from '../../src/client/gateway.js';
import { castMarkers, readCast } from '../../src/recorder/asciicast-reader.js';
import { commandMarker } from '../../src/recorder/markers.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from './helpers.js';

let test: TestGateway;
let sessionId: string;
let browserDir: string;
let context: BrowserContext;

declare global {
  interface Window {
    hoopReplay: { player: { getDuration(): number | undefined; getCurrentTime(): number | undefined } };
  }
}

beforeAll(async () => {
  test = await startGateway({ roles: { auditor: ['audit'] } }, (gateway) => {
    gateway.sessionHooks.authorizeRun = async (session, run) => {
      if (run.text.includes('delete')) {
        session.mark(commandMarker(run.text, 'held 3f2a'));
        await new Promise((resolve) => setTimeout(resolve, 300));
        session.mark(commandMarker(run.text, 'approved by bob'));
        return { action: 'allow', rule: 'deleting needs on-call', approver: 'bob', approvalId: '3f2a' };
      }
      if (run.text.includes('rm ')) return { action: 'deny', rule: 'no rm', reason: 'rm is not allowed' };
      return { action: 'allow' };
    };
  });
  const client = new GatewayClient({ url: test.url, token: await test.token('alice', ['dev']) });
  const session = await client.openSession({ connection: 'shell' });
  for (const command of ['echo first', 'sleep 0.4; echo second', 'rm -rf /nothing', 'echo delete pod web-1', 'sleep 0.4; echo last']) {
    await session.run(command).result;
  }
  await session.close();
  sessionId = session.id;
  await waitFor(() => test.gateway.store.getSession(sessionId)?.state === 'ended', 5000, 'session end');
  browserDir = mkdtempSync(path.join(tmpdir(), 'hoop-chromium-'));
  context = await chromium.launchPersistentContext(browserDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (browserDir) rmSync(browserDir, { recursive: true, force: true });
  await test?.stop();
});

describe('browser replay /replay/<id>', () => {
  it('exchanges the token for a grant cookie, loads the player with every marker, and seeks on a click', async () => {
    const cast = readCast(path.join(test.dataDir, 'recordings', `${sessionId}.cast`));
    const markers = castMarkers(cast);
    expect(markers.map((marker) => marker.label)).toEqual([
      '$ echo first',
      '$ sleep 0.4; echo second',
      '$ rm -rf /nothing [denied: rm is not allowed]',
      '$ echo delete pod web-1 [held 3f2a]',
      '$ echo delete pod web-1 [approved by bob]',
      '$ echo delete pod web-1',
      '$ sleep 0.4; echo last',
    ]);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    const response = await page.goto(`${test.url}/replay/${sessionId}?token=${await test.token('alice', ['dev'])}`);
    expect(response!.status()).toBe(200);
    expect(page.url()).toBe(`${test.url}/replay/${sessionId}`);
    expect(requests.every((url) => url.startsWith(test.url))).toBe(true);

    const cookies = await context.cookies(test.url + `/replay/${sessionId}`);
    expect(cookies).toEqual([expect.objectContaining({ name: 'hoop_replay', httpOnly: true, sameSite: 'Strict', path: `/replay/${sessionId}` })]);
    // The grant is for this page only: the API does not take it as a token.
    expect((await fetch(`${test.url}/v1/whoami`, { headers: { authorization: `Bearer ${cookies[0]!.value}` } })).status).toBe(401);

    const duration = await waitFor(() => page.evaluate(() => window.hoopReplay?.player.getDuration()), 15_000, 'player duration');
    expect(duration).toBeCloseTo(cast.duration, 2);
    await waitFor(async () => (await page.locator('.ap-marker-container').count()) === markers.length, 10_000, 'markers on the timeline');

    await expect(page.locator('aside dl.facts').innerText()).resolves.toMatch(/user\s+alice[\s\S]*connection\s+shell/);
    const items = page.locator('ol.commands li');
    expect(await items.count()).toBe(5);
    await expect(items.nth(2).innerText()).resolves.toMatch(/rm -rf \/nothing[\s\S]*deny[\s\S]*rule: no rm[\s\S]*exit 77/);
    await expect(items.nth(3).innerText()).resolves.toMatch(/echo delete pod web-1[\s\S]*approved[\s\S]*approved by bob/);

    const last = markers.at(-1)!.time;
    await items.nth(4).locator('a.seek').click();
    const at = await waitFor(async () => {
      const time = await page.evaluate(() => window.hoopReplay.player.getCurrentTime());
      return typeof time === 'number' && Math.abs(time - last) < 0.25 ? time : undefined;
    }, 10_000, 'seek to the last command');
    expect(at).toBeCloseTo(last, 0);
    const first = markers[0]!.time;
    await items.nth(0).locator('a.seek').click();
    await waitFor(async () => {
      const time = await page.evaluate(() => window.hoopReplay.player.getCurrentTime());
      return typeof time === 'number' && Math.abs(time - first) < 0.25;
    }, 10_000, 'seek back to the first command');
    if (process.env.HOOP_SCREENSHOT) await page.screenshot({ path: process.env.HOOP_SCREENSHOT });
    expect(problems, problems.join(" | ")).toEqual([]);
    await page.close();
  });

  it('another user gets 403 and no cookie; no grant gets the sign-in form; auditors get in', async () => {
    const page = await context.newPage();
    await context.clearCookies();
    const forbidden = await page.goto(`${test.url}/replay/${sessionId}?token=${await test.token('mallory', ['dev'])}`);
    expect(forbidden!.status()).toBe(403);
    expect(await page.locator('body').innerText()).toContain('mallory may not replay session');
    expect(await context.cookies()).toEqual([]);
    const cast = await page.goto(`${test.url}/replay/${sessionId}/cast`);
    expect(cast!.status()).toBe(401);
    const bad = await page.goto(`${test.url}/replay/${sessionId}?token=not-a-token`);
    expect(bad!.status()).toBe(401);
    const traversal = await page.goto(`${test.url}/replay/..%2F..%2Fhoop.db?token=${await test.token('carol', ['audit'])}`);
    expect(traversal!.status()).toBe(404);

    const crossSite = await fetch(`${test.url}/replay/${sessionId}`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${await test.token('alice', ['dev'])}`,
      redirect: 'manual',
    });
    expect(crossSite.status).toBe(403);
    const crossSiteBrowser = await fetch(`${test.url}/replay/${sessionId}`, {
      method: 'POST',
      headers: { origin: 'null', 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${await test.token('alice', ['dev'])}`,
      redirect: 'manual',
    });
    expect(crossSiteBrowser.status).toBe(403);
    expect(crossSite.headers.get('set-cookie')).toBeNull();

    const signIn = await page.goto(`${test.url}/replay/${sessionId}`);
    expect(signIn!.status()).toBe(401);
    await page.fill('input[name=token]', await test.token('carol', ['audit']));
    await Promise.all([page.waitForURL(`${test.url}/replay/${sessionId}`), page.click('button[type=submit]')]);
    await waitFor(() => page.evaluate(() => window.hoopReplay?.player.getDuration()), 15_000, 'player for the auditor');
    await page.close();
  });
});
