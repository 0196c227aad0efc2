/**
 * The synchronization, end to end in a real n8n: the pull through `n8n execute`, then push in a
 * running n8n (Graph notifications and LN messages over real HTTP). Assertions follow
 * test/workflows/pull-sync.test.ts and push-sync.test.ts on the same scenario.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Event } from '@microsoft/microsoft-graph-types';

import { PACKAGE } from '../../scripts/n8n/package';
import { ALERT_ID, GRAPH_TRIGGER_PATH, LN_WEBHOOK_HEADER, LN_WEBHOOK_PATH, PULL_ID, PUSH_ID } from '../../scripts/n8n/provision';
import { formatReport, type ReportItem } from '../../scripts/n8n/report';
import { runPull, subscribeSyncUsers, type PullRun } from '../../scripts/n8n/sync';
import { accessDenied, E2E_OWNER, executionsOf, pushSettled, waitFor, type N8nContext } from './n8n-context';

type WithProps = Event & { singleValueExtendedProperties?: Array<{ id: string; value: string }> };
const lnKey = (event: WithProps) => event.singleValueExtendedProperties?.find((p) => p.id?.endsWith('Name LnKey'))?.value;
const SYNC_MAILBOXES = ['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com'];

export function describeSync(context: N8nContext): void {
	const ln = () => context.emulators.ln;
	const graph = () => context.emulators.graph;
	/** Requests that changed something, per system (the token endpoints aside). */
	const writes = () => ({
		graph: graph().log.all().filter((r) => r.method !== 'GET' && !r.path.endsWith('/token') && !r.path.endsWith('$batch')).map((r) => `${r.method} ${r.path}`),
		ln: ln().log.all().filter((r) => r.method !== 'GET' && !r.path.includes('token')).map((r) => `${r.method} ${r.path}`),
	});

	describe('the package in n8n', () => {
		it('is installed as n8n installs community packages: nothing beside it (its libraries are bundled), n8n-workflow from n8n itself', () => {
			const dir = context.instance.packageDir;
			const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
			expect(manifest.name).toBe(PACKAGE.name);
			expect(manifest.dependencies).toBeUndefined();
			expect(manifest.overrides).toBeUndefined();
			expect(manifest.peerDependencies).toBeUndefined();
			expect(manifest.devDependencies).toBeUndefined();
			expect(fs.existsSync(path.join(dir, 'dist', 'vendor', 'microsoft-graph-client.js'))).toBe(true);
			expect(fs.existsSync(path.join(dir, 'node_modules'))).toBe(false);
			// n8n puts its own module paths on NODE_PATH before it loads packages; resolve as the node file would.
			const n8nDist = path.join(context.instance.install.dir, 'node_modules', 'n8n', 'dist', 'load-nodes-and-credentials.js');
			const script = [
				"const Module = require('node:module');",
				`process.env.NODE_PATH = Module._nodeModulePaths(${JSON.stringify(path.dirname(n8nDist))}).join(':');`,
				'Module._initPaths();',
				`const req = Module.createRequire(${JSON.stringify(path.join(dir, 'dist', 'nodes', 'InforLn', 'InforLn.node.js'))});`,
				"process.stdout.write(req.resolve('n8n-workflow'));",
			].join('\n');
			const resolved = execFileSync(context.instance.install.nodeBin, ['-e', script], { encoding: 'utf8' });
			expect(resolved.startsWith(path.join(context.instance.install.dir, 'node_modules', 'n8n-workflow') + path.sep)).toBe(true);
		});
	});

	describe('pull sync with n8n execute, n8n running', () => {
		let first: PullRun;
		const report = () => first.report as Array<ReportItem & Record<string, any>>;

		beforeAll(async () => {
			// As a user: activate both workflows, start n8n, then run the pull (see scripts/start.ts: n8n 2.x
			// runs the pull's per-user sub-executions only from the version a running n8n has published).
			await context.instance.activateWorkflow(PULL_ID);
			await context.instance.activateWorkflow(PUSH_ID);
			// n8n 2.x runs an error workflow only from its published version (1.x runs it as it is).
			if (context.instance.major >= 2) await context.instance.activateWorkflow(ALERT_ID);
			await context.instance.start();
			await context.instance.ensureOwner(E2E_OWNER);
			await context.instance.login(E2E_OWNER);
			first = await runPull(context.instance);
			process.stdout.write(`[e2e] n8n ${context.target.n8n} pull (${(first.ms / 1000).toFixed(1)} s):\n${formatReport(report())}\n`);
		}, 600_000);

		it('reports one item per sync user and a total, without errors', () => {
			expect(report().map((r) => `${r.kind}:${r.mailbox}`)).toEqual(['user:ann@contoso.com', 'user:bob@contoso.com', 'user:cat@contoso.com', 'total:*']);
			const total = report()[3];
			expect(total.errors).toEqual([]);
			expect(total.counts).toMatchObject({ contactsCreated: 15, eventsCreated: 4, lnAppointmentsCreated: 4 });
			expect(total.requests?.ln).toBeGreaterThan(0);
			expect(total.requests?.graph).toBeGreaterThan(0);
		});

		it("writes the LN contacts marked Synchronize into each sync user's folder, and nothing else", () => {
			for (const mailbox of SYNC_MAILBOXES) {
				expect(graph().contacts(mailbox, 'LN Contacts').map((c) => c.displayName).sort()).toEqual(['Uma Fabrikam', 'Vera Fabrikam', 'Walt Fabrikam', 'Xena Fabrikam', 'Yuri Fabrikam']);
			}
			expect(graph().contacts('bob@contoso.com').map((c) => c.displayName)).toContain("Bob's own contact");
			expect(graph().contacts('zoe@contoso.com')).toEqual([]);
		});

		it("creates the meeting Ann organizes in her mailbox, with invitations, linked both ways, and sets the attendee flags", () => {
			const meeting = (graph().events('ann@contoso.com') as WithProps[]).find((e) => e.subject === 'Quarterly review')!;
			expect(meeting.isOrganizer).toBe(true);
			expect(meeting.attendees?.map((a) => a.emailAddress?.address).sort()).toEqual(['bob@contoso.com', 'xena@fabrikam.com']);
			expect(lnKey(meeting)).toBe('ln:100:activity:ACT000001');
			expect(graph().events('bob@contoso.com').find((e) => e.subject === 'Quarterly review')?.iCalUId).toBe(meeting.iCalUId);
			expect(ln().get('100', 'activities', { id: 'ACT000001' })?.reference).toBe(meeting.iCalUId);
			const flags = ln().list('100', 'attendees').filter((a) => a.activity === 'ACT000001').map((a) => [a.sequence, a.sentToSynchronizer, a.synchronized]);
			expect(flags).toEqual([
				[1, 'Yes', 'Yes'],
				[2, 'Yes', 'Yes'],
				[3, 'Yes', 'Yes'],
			]);
		});

		it('writes direct copies when the organizer is no sync user, and leaves past events, tasks and unmarked activities alone', () => {
			for (const mailbox of ['bob@contoso.com', 'cat@contoso.com']) {
				const copy = (graph().events(mailbox) as WithProps[]).find((e) => e.subject === 'Zoe briefs the team')!;
				expect(copy.attendees ?? []).toEqual([]);
				expect(lnKey(copy)).toBe('ln:100:activity:ACT000002');
			}
			expect(graph().events('zoe@contoso.com')).toEqual([]);
			const subjects = SYNC_MAILBOXES.flatMap((m) => graph().events(m).map((e) => e.subject));
			for (const subject of ['Last week', 'Prepare slides', 'Not marked Synchronize']) expect(subjects).not.toContain(subject);
		});

		it('creates one LN appointment per Exchange meeting with its attendees, skips private events, and follows each occurrence of a series', () => {
			const created = ln().list('100', 'activities').filter((a) => a.subject === 'Customer workshop');
			expect(created).toHaveLength(1);
			const attendees = ln().list('100', 'attendees').filter((a) => a.activity === created[0].id).map((a) => `${a.role}:${a.type}:${a.code ?? ''}:${a.email}`);
			expect(attendees).toEqual(['MeetingOrganizer:Employee:E001:ann@contoso.com', 'Required:Employee:E002:bob@contoso.com', 'Optional:Other::walter@elsewhere.org']);
			expect(lnKey((graph().events('ann@contoso.com') as WithProps[]).find((e) => e.subject === 'Customer workshop')!)).toBe(`ln:100:activity:${created[0].id}`);
			expect(ln().list('100', 'activities').some((a) => a.subject === 'Dentist')).toBe(false);
			expect(ln().list('100', 'activities').filter((a) => a.subject === 'Weekly sync')).toHaveLength(3);
		});

		it('writes nothing on a second run with no changes', async () => {
			graph().log.clear();
			ln().log.clear();
			const second = await runPull(context.instance);
			expect(writes()).toEqual({ graph: [], ln: [] });
			const total = second.report.find((r) => r.kind === 'total') as ReportItem;
			expect(total.errors).toEqual([]);
			expect(total.counts).toMatchObject({ contactsCreated: 0, eventsCreated: 0, eventsUpdated: 0, lnAppointmentsCreated: 0, flagsSet: 0 });
			expect(second.failed).toBeUndefined();
		}, 600_000);

		it('ends the execution in error, after its report, when a user failed; a clean pull ends green', async () => {
			expect(first.failed).toBeUndefined();
			graph().faults.add(accessDenied('cat@contoso.com'));
			try {
				const failed = await runPull(context.instance);
				expect(failed.execution.error).toMatch(/^1 of 3 sync users failed: cat@contoso.com \(permission/);
				expect(failed.failed).toBe(failed.execution.error);
				const cat = failed.report.find((r) => r.mailbox === 'cat@contoso.com') as ReportItem & Record<string, any>;
				expect(cat.status).toBe('errors');
				expect(failed.report.map((r) => r.mailbox)).toEqual(['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com', '*']);
			} finally {
				graph().faults.clear();
			}
		}, 600_000);
	});

	describe('push sync', () => {
		const triggerUrl = () => `${context.instance.url}/webhook/${GRAPH_TRIGGER_PATH}`;
		const lnWebhookUrl = () => `${context.instance.url}/webhook/${LN_WEBHOOK_PATH}`;
		const annEvent = (subject: string) => (graph().events('ann@contoso.com') as WithProps[]).find((e) => e.subject === subject);
		const postLn = (body: unknown, headers: Record<string, string>) =>
			fetch(lnWebhookUrl(), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

		it("subscribes the sync users' calendars with the push workflow's maintenance path", async () => {
			const kept = await subscribeSyncUsers(context.instance);
			expect(kept.map((k) => `${k.mailbox}:${k.action}`).sort()).toEqual(SYNC_MAILBOXES.map((m) => `${m}:created`));
			const subscriptions = (graph().state() as { subscriptions?: Array<{ notificationUrl: string }> }).subscriptions;
			if (subscriptions) expect(subscriptions.every((s) => s.notificationUrl === triggerUrl())).toBe(true);
		}, 300_000);

		it('takes a change made in Exchange to LN through the Graph notification', async () => {
			const workshop = ln().list('100', 'activities').find((a) => a.subject === 'Customer workshop')!;
			const before = graph().notificationDeliveries().length;
			graph().updateEvent('ann@contoso.com', annEvent('Customer workshop')!.id!, { location: { displayName: 'Room 42' } });
			await graph().flushNotifications();
			const deliveries = graph().notificationDeliveries().slice(before);
			expect(deliveries.length).toBeGreaterThan(0);
			expect(deliveries.every((d) => d.url === triggerUrl() && d.status >= 200 && d.status < 300)).toBe(true);
			await waitFor('the LN activity to get the new location', () => ln().get('100', 'activities', { id: String(workshop.id) })?.location === 'Room 42', { instance: context.instance });
			const executions = await waitFor('a finished push execution', async () => {
				const list = await executionsOf(context.instance, PUSH_ID);
				return list.some((e) => e.status === 'success') ? list : undefined;
			});
			expect(executions?.filter((e) => e.status === 'error')).toEqual([]);
		});

		it('takes an LN message (with the header secret) to Exchange', async () => {
			// The pushes of the last test's writes first: a mailbox one of them holds would be left to the next pull (lease suite).
			await pushSettled(context);
			ln().update('100', 'activities', { id: 'ACT000001' }, { subject: 'Quarterly review (moved to Q3)' });
			const response = await postLn({ company: '100', activityId: 'ACT000001', changeType: 'updated' }, { [LN_WEBHOOK_HEADER]: context.lnWebhookSecret });
			expect(response.status).toBe(202);
			await waitFor("Ann's meeting to get the new subject", () => annEvent('Quarterly review (moved to Q3)'), { instance: context.instance });
			await waitFor("Bob's copy to get the new subject", () => graph().events('bob@contoso.com').some((e) => e.subject === 'Quarterly review (moved to Q3)'));
		});

		/** Waits until the push workflow runs nothing (the echoes of our own writes included); returns the count of its executions. */
		async function settled(): Promise<number> {
			let last = -1;
			return await waitFor('the push workflow to settle', async () => {
				await graph().flushNotifications();
				const list = await executionsOf(context.instance, PUSH_ID);
				const running = list.some((e) => e.status === 'running' || e.status === 'new' || e.status === 'waiting');
				const stable = !running && list.length === last;
				last = list.length;
				if (!stable) await new Promise((resolve) => setTimeout(resolve, 1000));
				return stable ? { count: list.length } : undefined;
			}).then((result) => result.count);
		}

		it('refuses an LN message without the secret or with a wrong one, and runs nothing', async () => {
			const before = await settled();
			const message = { company: '100', activityId: 'ACT000004', changeType: 'updated' };
			expect([401, 403]).toContain((await postLn(message, {})).status);
			expect([401, 403]).toContain((await postLn(message, { [LN_WEBHOOK_HEADER]: 'guess' })).status);
			expect(await settled()).toBe(before);
		});
	});
}
