// The console in a real browser: Debian's Chromium driven by playwright-core, axe-core on every
// page, sign-in with a one-time link and against a real OpenID provider (oidc-provider, run
// here). Run by `cargo test` (tests/browser.rs) once per backend, with ASN_BIN (the binary),
// DATABASE_URL (a fresh database) and TEST_BACKEND set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import crypto from 'node:crypto';
import { chromium } from 'playwright-core';
import Provider from 'oidc-provider';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';


/** Runs the service's CLI; a failure says what it printed on stderr. */
function cli(args, options = {}) {
  try {
    return execFileSync(BIN, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  } catch (e) {
    throw new Error(`asn-eligibility ${args[0]} failed (${e.status}): ${e.stderr}`);
  }
}

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BIN = process.env.ASN_BIN;
const BACKEND = process.env.TEST_BACKEND || 'sqlite';
const DATABASE_URL = process.env.DATABASE_URL;
const SHOTS = process.env.SCREENSHOT_DIR;
assert.ok(BIN && DATABASE_URL, 'ASN_BIN and DATABASE_URL must be set (run through cargo test)');

const SITI = '198503302010011002'; // sanctioned (PP94_S3, in force 2024-03-25 .. 2025-03-25)
const BUDI = '199001012015032001'; // eligible
const UNKNOWN = '199912312020121001'; // well-formed, not in the registry
const BAD = '12345';
const AS_OF = '2025-01-10';
const LINK_SCOPES = 'eligibility:read registry:read cases:read cases:write';
let seedToken;
const dataDir = mkdtempSync(path.join(tmpdir(), 'asn-console-'));
const servers = [];
let browser, app, sso, oidcServer, accessibility = [];

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Starts the binary; resolves with its base URL and the sign-in link it printed (if any). */
function startServer(extraEnv, expectLink) {
  const env = { ...process.env, DATABASE_URL, ASN_DATA_DIR: dataDir, RUST_LOG: 'info', ...extraEnv };
  const child = spawn(BIN, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let out = '', err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}\n${err}`)), 30000);
    const ready = () => {
      const port = /"port":(\d+)/.exec(out)?.[1];
      const link = /(http:\/\/\S+\/console\/sign-in\/link\/\S+)/.exec(err)?.[1];
      if (port && (link || !expectLink)) {
        clearTimeout(timer);
        resolve({ base: `http://127.0.0.1:${port}`, link, child });
      }
    };
    child.stdout.on('data', (d) => { out += d; ready(); });
    child.stderr.on('data', (d) => { err += d; ready(); });
    child.on('exit', (code) => reject(new Error(`server exited ${code}:\n${out}\n${err}`)));
  });
}

async function api(base, token, method, route, body, headers = {}) {
  const res = await fetch(base + route, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: body && JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** axe-core on the page as it is now: no serious or critical violation. */
async function axe(page, label) {
  await page.evaluate(AXE); // through the debugger protocol: the page's CSP stays in force
  const result = await page.evaluate(() => axe.run(document, {
    runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
  }));
  const grave = result.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  accessibility.push({ label, passes: result.passes.length, violations: result.violations.map((v) => `${v.id} (${v.impact})`) });
  assert.deepEqual(grave.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`), [], `axe on ${label}`);
}

async function statusText(page) {
  await page.waitForFunction(() => /genuine|refused/.test(document.getElementById('verdict').className));
  return page.locator('[role=status]').innerText();
}

before(async () => {
  // The OpenID provider: a confidential client, PKCE required, scopes and agency as claims.
  const oidcPort = await freePort();
  const ssoPort = await freePort();
  const accounts = {
    dewi: { name: 'Dewi Lestari', asn_scopes: 'eligibility:read registry:read', agency: '3315' },
    tamu: { name: 'Tamu Tanpa Hak', asn_scopes: 'webhooks:unknown' },
  };
  const provider = new Provider(`http://127.0.0.1:${oidcPort}`, {
    clients: [{
      client_id: 'asn-console', client_secret: 'console-secret-for-tests-only',
      redirect_uris: [`http://127.0.0.1:${ssoPort}/console/sign-in/callback`],
      grant_types: ['authorization_code'], response_types: ['code'],
    }],
    claims: { openid: ['sub'], profile: ['name'], asn: ['asn_scopes', 'agency'] },
    scopes: ['openid', 'profile', 'asn'],
    pkce: { methods: ['S256'], required: () => true },
    cookies: { keys: ['browser-test-cookie-key'] },
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, ...(accounts[id] || { name: id }) }),
    }),
  });
  oidcServer = provider.listen(oidcPort);

  // Two instances on one database: the embedded default (one-time link), and one with SSO.
  app = await startServer({ ASN_BIND: '127.0.0.1:0', ASN_CONSOLE_LINK_SCOPES: LINK_SCOPES }, true);
  sso = await startServer({
    ASN_BIND: `127.0.0.1:${ssoPort}`,
    ASN_OIDC_ISSUER: `http://127.0.0.1:${oidcPort}`,
    ASN_OIDC_CLIENT_ID: 'asn-console',
    ASN_OIDC_CLIENT_SECRET: 'console-secret-for-tests-only',
    ASN_OIDC_REDIRECT_URL: `http://127.0.0.1:${ssoPort}/console/sign-in/callback`,
    ASN_OIDC_SCOPES: 'profile asn',
  }, false);

  const token = execFileSync(BIN, ['token', '--scope', 'sanctions:write bkn:push cases:write'], {
    env: { ...process.env, DATABASE_URL, ASN_DATA_DIR: dataDir },
  }).toString().trim();
  const profile = (nip, event, name) => ({
    event_id: event, nip, occurred_at: '2024-06-01T02:00:00Z', type: 'asn_upserted',
    data: { name, agency_code: '3315', employment_type: 'PNS', status: 'active' },
  });
  await api(app.base, token, 'POST', '/api/v1/bkn/updates', {
    events: [profile(SITI, 'bkn-1', 'Siti Rahayu'), profile(BUDI, 'bkn-2', 'Budi Santoso')],
  });
  await api(app.base, token, 'POST', '/api/v1/sanctions', {
    nip: SITI, type: 'PP94_S3',
    decision: { number: '800/123/BKPSDM/2024', date: '2024-03-01', received_date: '2024-03-04',
      issuer: 'PPK', issuer_agency: '3315', legal_basis: 'PP 94/2021 Pasal 8 ayat (3)' },
    violation: { category: 'neutrality', description: 'Menghadiri kampanye' },
  }, { 'idempotency-key': 'browser-sk-1' });

  seedToken = token;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  servers.forEach((s) => s.kill('SIGTERM'));
  oidcServer?.close();
  const report = accessibility.map((a) => `${a.label}: ${a.passes} rules passed; other findings: ${a.violations.join(', ') || 'none'}`);
  writeFileSync(path.join(SHOTS || dataDir, `axe-${BACKEND}.txt`), report.join('\n') + '\n');
});

test('without a session no console page shows data, and the sign-in page says how', async () => {
  const anon = await browser.newContext();
  const page = await anon.newPage();
  for (const route of ['/console/', '/console/history', `/console/asn/${SITI}`, '/console/checks/x', '/console/checks/x/results.csv', '/console/decisions/x']) {
    const res = await anon.request.get(app.base + route, { maxRedirects: 0 });
    assert.equal(res.status(), 303, route);
    assert.equal(res.headers().location, '/console/sign-in', route);
    assert.ok(!(await res.text()).includes(SITI), route);
  }
  await page.goto(app.base + '/console/');
  assert.equal(new URL(page.url()).pathname, '/console/sign-in');
  assert.match(await page.locator('main').innerText(), /console-link/);
  await axe(page, 'sign-in');
  await anon.close();
});

test('a one-time link signs in once; a check of several NIPs answers each in order', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto(app.link);
  await axe(page, 'one-time link');
  await page.getByRole('button', { name: 'Masuk' }).click();
  await page.waitForURL(app.base + '/console/');
  assert.equal(await page.locator('h1').innerText(), 'Periksa kelayakan ASN');
  const cookie = (await ctx.cookies()).find((c) => c.name === 'asn_console');
  assert.ok(cookie.httpOnly && cookie.sameSite === 'Lax', JSON.stringify(cookie));
  await axe(page, 'check form');

  // The link is spent.
  const again = await browser.newContext();
  const second = await again.newPage();
  await second.goto(app.link);
  await second.getByRole('button', { name: 'Masuk' }).click();
  assert.match(await second.locator('main').innerText(), /sudah dipakai atau sudah kedaluwarsa/);
  assert.ok(!(await again.cookies()).some((c) => c.name === 'asn_console'));
  await again.close();

  // Two pasted NIPs (one malformed), two more from a CSV with the committee's references.
  await page.getByLabel(/^NIP/).fill(`${BUDI}\n${BAD}`);
  await page.getByLabel(/unggah CSV/).setInputFiles({
    name: 'peserta.csv', mimeType: 'text/csv',
    buffer: Buffer.from(`no_peserta;nip\nP-07;${SITI}\nP-08;${UNKNOWN}\n`),
  });
  await page.getByLabel('Keperluan').selectOption('jpt_selection');
  await page.getByLabel('Per tanggal').fill(AS_OF);
  await page.getByRole('button', { name: 'Periksa', exact: true }).click();
  await page.waitForURL(/\/console\/checks\/[0-9a-f-]+$/);
  const rows = page.locator('table.results tbody tr');
  assert.equal(await rows.count(), 4);
  const cells = async (i) => (await rows.nth(i).locator('td').allInnerTexts()).map((t) => t.trim());
  const [budi, bad, siti, unknown] = [await cells(0), await cells(1), await cells(2), await cells(3)];
  assert.equal(budi[1], BUDI);
  assert.match(budi[2], /Budi Santoso/);
  assert.match(budi[3], /Memenuhi syarat/);
  assert.match(bad[2], /Tidak diperiksa.*invalid_nip/s);
  assert.deepEqual(siti.slice(0, 2), ['P-07', SITI]);
  assert.match(siti[3], /Tidak memenuhi syarat/);
  assert.match(siti[4], /PP 94\/2021 Pasal 8 ayat \(3\)/);
  assert.match(siti[4], /800\/123\/BKPSDM\/2024/);
  assert.equal(siti[5], '25 Maret 2027');
  assert.match(unknown[2], /asn_not_found/);
  assert.equal(unknown[0], 'P-08');
  await axe(page, 'results');
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'console-results.png'), fullPage: true });

  // On a phone the page does not scroll sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `results overflow a phone screen by ${overflow}px`);
  await axe(page, 'results on a phone');
  await page.setViewportSize({ width: 1366, height: 768 });

  // CSV, in the same order, with the references.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Unduh CSV' }).click()]);
  const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
  assert.match(csv[0], /^reference,nip,name,agency,outcome,eligible_from,reason_codes/);
  assert.deepEqual(csv.slice(1).map((l) => l.split(',').slice(0, 2).join(',')),
    [`,${BUDI}`, `,${BAD}`, `P-07,${SITI}`, `P-08,${UNKNOWN}`]);
  assert.match(csv[3], /ineligible,2027-03-25,active_sanction; disciplinary_history/);

  // The certificate: the decision as stored, a QR code and the verify link beside it.
  await page.getByRole('link', { name: `Sertifikat ${SITI}` }).click();
  await page.waitForURL(/\/console\/decisions\//);
  const cert = await page.locator('article.certificate').innerText();
  for (const text of [SITI, 'Siti Rahayu', 'Seleksi JPT', '10 Januari 2025', 'Tidak memenuhi syarat', 'console-local (console)']) {
    assert.ok(cert.includes(text), `certificate shows ${text}`);
  }
  const link = await page.locator('a.verify-link').getAttribute('href');
  assert.ok(link.startsWith(app.base + '/verify#ey'), link);
  // The QR code, read from the pixels as a phone camera would (at print-like resolution),
  // carries the same link.
  const camera = await browser.newContext({ storageState: await ctx.storageState(), deviceScaleFactor: 3 });
  const printed = await camera.newPage();
  await printed.goto(page.url());
  const png = PNG.sync.read(await printed.locator('figure.qr').screenshot());
  const scanned = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  assert.equal(scanned?.data, link, 'the QR code carries the verify link');
  await camera.close();
  await axe(page, 'certificate');
  await page.emulateMedia({ media: 'print' });
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'console-certificate.png'), fullPage: true });
  assert.equal(await page.locator('header.top').isVisible(), false, 'no navigation on paper');
  await page.emulateMedia({ media: 'screen' });

  // Print all: one certificate per decision made (two of the four NIPs).
  await page.goBack();
  await page.getByRole('link', { name: 'Cetak semua sertifikat' }).click();
  assert.equal(await page.locator('article.certificate').count(), 2);
  await axe(page, 'print all');

  // Someone with no account opens the link: genuine, and what was decided.
  const anon = await browser.newContext();
  const verify = await anon.newPage();
  await verify.goto(link);
  assert.match(await statusText(verify), /^Asli/);
  const claims = await verify.locator('#claims').innerText();
  for (const text of [SITI, 'Seleksi JPT', AS_OF, 'Tidak memenuhi syarat', 'active_sanction, disciplinary_history']) {
    assert.ok(claims.includes(text), `verify page shows ${text}: ${claims}`);
  }
  await axe(verify, 'verify (genuine)');

  // Tampered: the outcome changed, the signature kept.
  const receipt = link.split('#')[1];
  const [h, p, s] = receipt.split('.');
  const body = JSON.parse(Buffer.from(p, 'base64url'));
  body.outcome = 'eligible';
  body.eligible = true;
  const tampered = `${h}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.${s}`;
  await verify.goto(app.base + '/verify#' + tampered);
  await verify.reload();
  assert.match(await statusText(verify), /Tidak sah:.*diubah/);
  assert.equal(await verify.locator('#result').isVisible(), false);
  await axe(verify, 'verify (refused)');

  // Signed by a key the service does not publish, pasted.
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const otherHeader = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'someone-else', typ: 'JWT' })).toString('base64url');
  const forgedPayload = Buffer.from(JSON.stringify(body)).toString('base64url');
  const sig = crypto.sign(null, Buffer.from(`${otherHeader}.${forgedPayload}`), privateKey).toString('base64url');
  await verify.goto(app.base + '/verify');
  await verify.getByLabel(/tempel tanda terima/i).fill(`${otherHeader}.${forgedPayload}.${sig}`);
  await verify.getByRole('button', { name: 'Periksa' }).click();
  assert.match(await statusText(verify), /kunci yang tidak dikenal/);
  // The genuine one pasted as its link works too.
  await verify.getByLabel(/tempel tanda terima/i).fill(link);
  await verify.getByRole('button', { name: 'Periksa' }).click();
  assert.match(await statusText(verify), /^Asli/);
  await anon.close();

  // The command line agrees.
  const cli = execFileSync(BIN, ['verify-receipt', receipt, '--jwks', app.base + '/.well-known/jwks.json']).toString();
  assert.equal(JSON.parse(cli).decision_id, body.decision_id);
  assert.throws(() => execFileSync(BIN, ['verify-receipt', tampered, '--jwks', app.base + '/.well-known/jwks.json'], { stdio: 'pipe' }));

  // History lists the check, its certificates linked; the person page reads in words.
  await page.getByRole('link', { name: 'Riwayat' }).click();
  assert.equal(await page.locator('ol.history > li').count(), 1);
  assert.ok(await page.locator(`ol.history a[href^="/console/decisions/"]`).count() === 2);
  await axe(page, 'history');
  await page.goto(app.base + `/console/asn/${SITI}`);
  const person = await page.locator('main').innerText();
  assert.match(person, /Siti Rahayu/);
  assert.match(person, /PP94_S3 — (Sedang berlaku|Selesai)/);
  assert.match(person, /Hukuman dicatat/);
  await axe(page, 'person');

  // English on the switch, remembered.
  await page.getByRole('link', { name: 'English' }).click();
  assert.match(await page.locator('main').innerText(), /Sanction recorded/);
  await page.goto(app.base + '/console/');
  assert.equal(await page.locator('h1').innerText(), 'Check ASN eligibility');
  await axe(page, 'check form (English)');
  await page.goto(app.base + '/console/?lang=id');

  // A form without this session's CSRF token is refused, and checks nothing.
  const forged = await page.request.post(app.base + '/console/checks', {
    multipart: { csrf: 'forged', nips: BUDI, purpose: 'promotion', as_of: AS_OF }, maxRedirects: 0,
  });
  assert.equal(forged.status(), 403);
  assert.match(await forged.text(), /Formulir ini kedaluwarsa/);
  const signOutForged = await page.request.post(app.base + '/console/sign-out', { form: { csrf: 'forged' }, maxRedirects: 0 });
  assert.equal(signOutForged.status(), 403);
  await page.goto(app.base + '/console/history');
  assert.equal(await page.locator('ol.history > li').count(), 1, 'the forged check made no decision');

  // Sign-out ends the session on the server.
  await page.getByRole('button', { name: 'Keluar' }).click();
  await page.waitForURL(app.base + '/console/sign-in');
  const stale = await page.request.get(app.base + '/console/history', { maxRedirects: 0, headers: { cookie: `asn_console=${cookie.value}` } });
  assert.equal(stale.status(), 303);
  await ctx.close();
});

test('signing in with the OpenID provider gives the scopes and agency of its claims', async () => {
  const signIn = async (login) => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(sso.base + '/console/sign-in');
    await axe(page, 'sign-in (SSO)');
    await page.getByRole('link', { name: 'Masuk dengan SSO' }).click();
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('any');
    await page.locator('button[type=submit]').click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(new RegExp('^' + sso.base + '/console/'));
    return { ctx, page };
  };
  const { ctx, page } = await signIn('dewi');
  assert.equal(await page.locator('h1').innerText(), 'Periksa kelayakan ASN');
  assert.equal(await page.locator('.signout .who').innerText(), 'Dewi Lestari');
  // registry:read came from the claim: the person page opens.
  await page.goto(sso.base + `/console/asn/${BUDI}`);
  assert.match(await page.locator('h1').innerText(), /Budi Santoso/);
  // A session started here is good on the other instance too (one database, no sticky sessions).
  const cookie = (await ctx.cookies()).find((c) => c.name === 'asn_console');
  const elsewhere = await fetch(app.base + '/console/history', { headers: { cookie: `asn_console=${cookie.value}` }, redirect: 'manual' });
  assert.equal(elsewhere.status, 200);
  await ctx.close();

  // No scope of this service in the claims: signed in, but nothing to see.
  const guest = await signIn('tamu');
  assert.match(await guest.page.locator('main').innerText(), /tidak memiliki hak 'eligibility:read'/);
  await axe(guest.page, 'forbidden');
  await guest.ctx.close();
});

test('the cases dashboard shows the overdue list and the follow-up chart; a step is taken from the case page', async () => {
  // A case recommended two months ago: overdue.
  const created = await api(app.base, seedToken, 'POST', '/api/v1/cases', {
    nip: BUDI, source: 'sbt', source_reference: 'SBT-2026-000777', reported_on: '2026-09-28',
    election: { kind: 'pilkada', year: 2026 }, conduct: 'campaign_attendance', stage: 'calon',
  });
  for (const [stepName, on] of [['verification_started', '2026-09-29'], ['recommended', '2026-10-01']]) {
    await api(app.base, seedToken, 'POST', `/api/v1/cases/${created.id}/steps`, { step: stepName, on });
  }
  // Another sign-in link, from the command line.
  const printed = cli(['console-link'], {
    env: { ...process.env, DATABASE_URL, ASN_DATA_DIR: dataDir, ASN_CONSOLE_LINK_SCOPES: LINK_SCOPES },
  });
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  await page.goto(app.base + new URL(printed).pathname);
  await page.getByRole('button', { name: 'Masuk' }).click();
  await page.waitForURL(app.base + '/console/');
  await page.getByRole('link', { name: 'Kasus', exact: true }).click();
  assert.equal(await page.locator('h1').innerText(), 'Kasus netralitas');
  const overdue = await page.getByRole('region', { name: 'Kasus yang melewati tenggat' }).innerText();
  assert.match(overdue, new RegExp(BUDI));
  assert.match(overdue, /SBT-2026-000777/);
  assert.equal(await page.locator('figure.chart svg[role=img] title').count(), 1);
  await axe(page, 'cases dashboard');
  if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'console-cases.png'), fullPage: true });
  await page.getByRole('link', { name: 'SBT-2026-000777' }).click();
  assert.match(await page.locator('main').innerText(), /terlambat/);
  await axe(page, 'case');
  await page.getByLabel('Langkah').selectOption('escalated');
  await page.getByRole('button', { name: 'Catat' }).click();
  await page.waitForURL(new RegExp(`/console/cases/${created.id}$`));
  assert.match(await page.locator('dl.facts').innerText(), /Ditegur \(eskalasi\)/);
  await page.goto(app.base + `/console/asn/${BUDI}`);
  assert.match(await page.locator('main').innerText(), /Kasus netralitas[\s\S]*SBT-2026-000777/);
  await ctx.close();
});
