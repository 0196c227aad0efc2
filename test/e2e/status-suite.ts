/**
 * The administrator's view in a real n8n 2.x, after the sync suite: two pulls run inside n8n (one in
 * which cat@contoso.com failed, then a clean one), the history Data Table, the status page behind its
 * login, the page in Chromium checked against the emulators, and the plan of the next run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { chromium, type Browser } from 'playwright-core';

import { HISTORY_TABLE } from '../../lib/status/history';
import { ALERT_ID, importPullWith, LN_WEBHOOK_HEADER, LN_WEBHOOK_PATH, PULL_ID, PUSH_ID, STATUS_PAGE_PATH, statusLogin, WORKFLOW_FILES } from '../../scripts/n8n/provision';
import { runPull, runPullInN8n, type PullRun } from '../../scripts/n8n/sync';
import { CHROMIUM, CHROMIUM_ARGS } from './editor';
import { accessDenied, ARTIFACTS_DIR, dataTableRows, E2E_OWNER, executionsOf, waitFor, type N8nContext } from './n8n-context';

export function describeStatus(context: N8nContext): void {
	const pageUrl = () => `${context.instance.url}/webhook/${STATUS_PAGE_PATH}`;
	const basic = () => {
		const login = statusLogin(context.instance);
		return `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}`;
	};

	const historyRows = () => dataTableRows(context.instance, HISTORY_TABLE);

	describe('the administrator\'s view', () => {
		let browser: Browser | undefined;
		const ourPulls: string[] = [];
		/** A pull's execution id, as its history rows carry it. */
		const executionOf = (run: PullRun) => String(run.execution.output('History rows')[0]?.execution ?? '');
		beforeAll(async () => {
			// Two pulls inside n8n, as the schedule runs them: cat@contoso.com may not be read in the first.
			const graph = context.emulators.graph;
			graph.faults.add(accessDenied('cat@contoso.com'));
			try {
				const failed = await runPullInN8n(context.instance);
				ourPulls.push(executionOf(failed));
				expect(failed.failed).toMatch(/cat@contoso.com \(permission/);
			} finally {
				graph.faults.clear();
			}
			const clean = await runPullInN8n(context.instance);
			expect(clean.failed).toBeUndefined();
			ourPulls.push(executionOf(clean));
		}, 600_000);
		afterAll(async () => {
			await browser?.close();
		});

		it('keeps every pull in the history Data Table, made on first use: the failure with its class, nothing secret', async () => {
			const rows = await historyRows();
			// The totals of this suite's two pulls (the shipped hourly schedule may add one of its own).
			const pullTotals = rows.filter((r) => r.kind === 'total' && r.everyUser === true && ourPulls.includes(String(r.execution)));
			expect(pullTotals.length).toBe(2);
			const failed = rows.find((r) => r.mailbox === 'cat@contoso.com' && r.status === 'errors');
			expect(failed).toMatchObject({ errorClasses: 'permission', everyUser: true, dryRun: false });
			expect(String(failed?.errorLines)).toContain('Access is denied');
			// A user's line is kept when it has something to report; a quiet user (skipped items alone) is covered by the total.
			const quiet = rows.filter((r) => r.kind === 'user' && Number(r.written) === 0 && Number(r.conflicts) === 0 && r.status === 'ok');
			expect(quiet).toEqual([]);
			const keptOfCleanPull = rows.filter((r) => r.kind === 'user' && r.execution === pullTotals[1].execution).map((r) => r.mailbox);
			expect(keptOfCleanPull).toContain('cat@contoso.com');
			expect(keptOfCleanPull).not.toContain('ann@contoso.com');
			const text = JSON.stringify(rows);
			const env = context.emulators.env;
			for (const secret of [env.GRAPH_CLIENT_SECRET, context.lnWebhookSecret, statusLogin(context.instance).password]) expect(text).not.toContain(secret);
		});

		it('answers 401 without the login, or with a wrong one, and shows no data', async () => {
			const wrong: Record<string, string> = { authorization: `Basic ${Buffer.from('ln-admin:guess').toString('base64')}` };
			for (const headers of [{}, wrong]) {
				const response = await fetch(pageUrl(), { headers });
				const body = await response.text();
				expect(response.status).toBe(401);
				expect(body).not.toContain('contoso.com');
			}
		});

		it('shows each sync user, the failure, the trend and the push subscriptions in Chromium, as the emulators have them', async () => {
			browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
			const login = statusLogin(context.instance);
			const page = await browser.newPage({ httpCredentials: { username: login.user, password: login.password }, viewport: { width: 1280, height: 900 } });
			const response = await page.goto(pageUrl());
			expect(response?.status()).toBe(200);
			expect(response?.headers()['content-type']).toMatch(/^text\/html/);
			const userRows = await page.locator('table:has(caption:text-matches("Each sync user")) tbody tr').evaluateAll((trs) =>
				trs.map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => ((cell as { textContent: string | null }).textContent ?? '').trim())),
			);
			expect(userRows.map((cells) => cells[0])).toEqual(['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com']);
			const cat = userRows[2];
			expect(cat[5]).toMatch(/permission: .*403 ErrorAccessDenied/);
			expect(userRows[0][4]).toMatch(/UTC$/);
			// The subscriptions the Graph emulator holds, with their expiry.
			const subscriptions = (context.emulators.graph.state() as { subscriptions?: Array<{ resource: string; expirationDateTime: string }> }).subscriptions ?? [];
			const shown = await page.locator('table:has(caption:text-matches("Graph subscriptions")) tbody tr').evaluateAll((trs) => trs.map((tr) => (tr.querySelector('td')?.textContent ?? '').trim()));
			expect(shown.sort()).toEqual(subscriptions.map((s) => s.resource).sort());
			expect(subscriptions.length).toBeGreaterThan(0);
			// Today's bar: the runs kept today, as the Data Table has them.
			const today = new Date().toISOString().slice(0, 10);
			const runsToday = (await historyRows()).filter((r) => r.kind === 'total' && !r.dryRun && String(r.startedAt).slice(0, 10) === today).length;
			expect(await page.locator(`svg[aria-labelledby="runs-per-day"] rect title:text-is("${today}: ${runsToday} run${runsToday === 1 ? '' : 's'}")`).count()).toBe(1);
			fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
			await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'status-page.png'), fullPage: true });
			await page.setViewportSize({ width: 390, height: 844 });
			await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'status-page-phone.png'), fullPage: true });
			// On a phone the page itself does not scroll sideways (wide tables scroll in their box).
			const widths = await page.locator('html').evaluate((html) => ({ content: html.scrollWidth, viewport: html.clientWidth }));
			expect(widths.content).toBeLessThanOrEqual(widths.viewport + 1);
			await page.close();
		}, 120_000);

		it('shows the plan of the next run when asked, writes nothing, and the next pull does what it planned', async () => {
			const ln = context.emulators.ln;
			const graph = context.emulators.graph;
			ln.update('100', 'activities', { id: 'ACT000002' }, { subject: 'Zoe briefs the team (agenda)' });
			graph.log.clear();
			ln.log.clear();
			const response = await fetch(`${pageUrl()}?plan=1`, { headers: { authorization: basic() } });
			const html = await response.text();
			expect(response.status).toBe(200);
			expect(html).toContain('What the next run would change');
			expect(html).toMatch(/<th scope="row">bob@contoso.com<\/th><td>activity ACT000002<\/td><td>patch Exchange event \(changed in LN: subject\)/);
			const writes = [...graph.log.all(), ...ln.log.all()].filter((r) => r.method !== 'GET' && !r.path.includes('token') && !r.path.endsWith('$batch'));
			expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([]);
			const rowsAfterPlan = await historyRows();
			expect(rowsAfterPlan.some((r) => r.dryRun === true)).toBe(false);
			await runPull(context.instance);
			expect(graph.events('bob@contoso.com').some((e) => e.subject === 'Zoe briefs the team (agenda)')).toBe(true);
		}, 600_000);

		it('ends a push in which a user failed in error, and the alert workflow mails the administrators', async () => {
			const graph = context.emulators.graph;
			const pushesBefore = Math.max(0, ...(await executionsOf(context.instance, PUSH_ID)).map((e) => Number(e.id)));
			context.emulators.ln.update('100', 'activities', { id: 'ACT000002' }, { location: 'Room 7' });
			graph.faults.add(accessDenied('cat@contoso.com'));
			try {
				const response = await fetch(`${context.instance.url}/webhook/${LN_WEBHOOK_PATH}`, {
					method: 'POST',
					headers: { 'content-type': 'application/json', [LN_WEBHOOK_HEADER]: context.lnWebhookSecret },
					body: JSON.stringify({ company: '100', activityId: 'ACT000002', changeType: 'updated' }),
				});
				expect(response.status).toBe(202);
				const failedPush = await waitFor('a push execution that failed', async () => (await executionsOf(context.instance, PUSH_ID)).find((e) => e.status === 'error' && Number(e.id) > pushesBefore), { instance: context.instance });
				const alert = await waitFor(`the alert workflow's execution (push ${failedPush.id} failed)`, async () => (await executionsOf(context.instance, ALERT_ID)).find((e) => e.status !== 'running' && e.status !== 'new'), { instance: context.instance });
				expect(alert.status).toBe('success');
				const mail = await waitFor('the alert mail', () => graph.mails().find((m) => m.subject.startsWith('LN ⇄ Exchange: push sync failed')), { instance: context.instance, timeoutMs: 30_000 });
				expect(mail).toMatchObject({ from: 'ln-sync@contoso.com', to: ['ln-admin@contoso.com'] });
				expect(mail.subject).toMatch(/sync users? failed: cat@contoso.com \(permission/);
				expect(mail.content).toMatch(/See it in n8n: http:\/\/\S+\/workflow\/\w+\/executions\/\d+/);
				// Bob's copy went through; the failure is in the history too.
				expect(graph.events('bob@contoso.com').find((e) => e.subject === 'Zoe briefs the team (agenda)')?.location?.displayName).toBe('Room 7');
				await waitFor('the failed push in the history', async () => (await historyRows()).find((r) => r.mailbox === 'cat@contoso.com' && r.everyUser === false && r.errorClasses === 'permission'));
			} finally {
				graph.faults.clear();
			}
		}, 180_000);

		it('ends a scheduled pull in which a user failed in error, and the alert workflow mails the administrators', async () => {
			const { instance, emulators } = context;
			// The shipped pull, due every minute instead of every hour: n8n's scheduler starts it (mode trigger).
			const shipped = JSON.parse(fs.readFileSync(WORKFLOW_FILES.pull, 'utf8')) as { nodes: Array<{ name: string; parameters: unknown }> };
			const everyMinute = { ...shipped, nodes: shipped.nodes.map((n) => (n.name === 'Every hour' ? { ...n, parameters: { rule: { interval: [{ field: 'minutes', minutesInterval: 1 }] } } } : n)) };
			const file = path.join(instance.userFolder, 'pull-sync-every-minute.json');
			fs.writeFileSync(file, JSON.stringify(everyMinute));
			const restart = async (importPull: () => Promise<void>) => {
				await instance.stop();
				await importPull();
				await instance.activateWorkflow(PULL_ID);
				await instance.start();
				await instance.login(E2E_OWNER);
			};
			emulators.graph.faults.add(accessDenied('cat@contoso.com'));
			try {
				await restart(() => instance.importWorkflows([file]));
				const mail = await waitFor('the alert mail of a scheduled pull', () => emulators.graph.mails().find((m) => m.subject.startsWith('LN ⇄ Exchange: pull sync failed') && m.content.includes('mode trigger')), { instance, timeoutMs: 240_000 });
				expect(mail.subject).toMatch(/1 of 3 sync users failed: cat@contoso.com \(permission/);
				expect(mail.content).toContain('node "Fail the execution"');
				expect(mail.content).toMatch(/See it in n8n: http:\/\/\S+\/workflow\/lnExchangePull01\/executions\/\d+/);
			} finally {
				emulators.graph.faults.clear();
				// The shipped pull again, due when the suite's schedules are (not in the middle of a later test).
				await restart(() => importPullWith(instance, {}, context.schedulesAt));
				fs.rmSync(file, { force: true });
			}
		}, 600_000);
	});
}
