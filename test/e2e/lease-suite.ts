/**
 * The mailbox Data Table in a real n8n 2.x, after the administrator's view (whose pulls ran inside
 * n8n, where Data Tables are): one row per sync user with its lease and state; two pulls at once
 * never sync a mailbox side by side, lose no cursor, and make nothing twice; a pushed change of a
 * mailbox another execution holds is left to the next pull.
 */
import { MAILBOX_TABLE } from '../../lib/graph/sync-state';
import { LN_WEBHOOK_HEADER, LN_WEBHOOK_PATH, PUSH_ID } from '../../scripts/n8n/provision';
import { runPullInN8n } from '../../scripts/n8n/sync';
import {
	dataTableRows,
	executionsOf,
	expectSettlesFromCursors,
	fullReads,
	leftForLease,
	linkedTo,
	pushSettled as pushSettledIn,
	updateDataTableRows,
	userLines,
	waitFor,
	type N8nContext,
} from './n8n-context';


export function describeMailboxState(context: N8nContext): void {
	describe('one execution per mailbox at a time (the mailbox Data Table)', () => {
		const rows = () => dataTableRows(context.instance, MAILBOX_TABLE);

		const pushSettled = () => pushSettledIn(context);

		it('keeps one row per sync user, its lease released, with the cursor and the notes of the last run', async () => {
			const run = await runPullInN8n(context.instance);
			await pushSettled();
			const mailboxes = userLines(run).map((user) => user.mailbox).sort();
			const table = await rows();
			expect(table.map((row) => row.mailbox).sort()).toEqual(mailboxes);
			for (const row of table) {
				expect(row).toMatchObject({ leaseUntil: 0, leaseHolder: '' });
				const state = JSON.parse(String(row.state)) as { cursors: Record<string, { deltaLink: string }>; echoes: Record<string, string> };
				expect(state.cursors['100'].deltaLink).toMatch(/deltatoken/);
			}
		}, 600_000);

		it('runs two pulls at once: no mailbox is synced by two executions side by side, nothing is made twice, no cursor is lost', async () => {
			context.emulators.ln.update('100', 'activities', { id: 'ACT000002' }, { location: 'Room 9' });
			const [first, second] = await Promise.all([runPullInN8n(context.instance), runPullInN8n(context.instance)]);
			// A mailbox another execution held (the other pull, or a push of our own writes' notifications) was left, with a warning.
			process.stdout.write(`[e2e] two pulls at once: left by the first ${leftForLease(first).join(', ') || 'none'}; by the second ${leftForLease(second).join(', ') || 'none'}\n`);
			const graph = context.emulators.graph;
			for (const user of userLines(first)) {
				const events = graph.events(user.mailbox);
				expect(events.length).toBe(new Set(events.map((e) => e.iCalUId)).size);
			}
			await pushSettled();
			expect((await rows()).filter((row) => row.leaseUntil !== 0 || row.leaseHolder !== '')).toEqual([]);
			// The next pulls start from the cursors all of them left: no full read; the second has nothing left to do.
			const settled = await expectSettlesFromCursors(context);
			const copies = userLines(settled).flatMap((user) => graph.events(user.mailbox)).filter((e) => linkedTo(e, 'ACT000002'));
			expect(copies.length).toBeGreaterThan(0);
			expect(copies.map((e) => e.location?.displayName)).toEqual(copies.map(() => 'Room 9'));
			// Every calendar is settled: the rows keep the marks, and the next pull plans none of them again.
			const marked = (await rows()).filter((row) => (JSON.parse(String(row.state)) as { settled?: Record<string, unknown> }).settled?.['100']);
			expect(marked.map((row) => row.mailbox).sort()).toEqual(userLines(settled).map((user) => user.mailbox).sort());
			graph.log.clear();
			await runPullInN8n(context.instance);
			expect(graph.log.all().filter((r) => r.method === 'GET' && r.path.endsWith('/events')).map((r) => r.mailbox)).toEqual([]);
		}, 900_000);

		it('leaves a pushed change of a mailbox another execution holds, with a warning, and the next pull brings it', async () => {
			const { graph, ln } = context.emulators;
			// Ann's meeting that came from Exchange (the sync suite's push test moves it too).
			const linked = graph.events('ann@contoso.com').find((e) => e.subject === 'Customer workshop')!;
			const activity = String(ln.list('100', 'activities').find((a) => a.subject === 'Customer workshop')!.id);
			const ann = { column: 'mailbox', value: 'ann@contoso.com' };
			await updateDataTableRows(context.instance, MAILBOX_TABLE, ann, { leaseUntil: Date.now() + 10 * 60_000, leaseHolder: 'e2e' });
			const pushesBefore = (await executionsOf(context.instance, PUSH_ID)).map((e) => e.id);
			graph.updateEvent('ann@contoso.com', linked.id!, { location: { displayName: 'Room 77 (pushed)' } });
			await graph.flushNotifications();
			const push = await waitFor('the push execution of the change', async () => {
				const done = (await executionsOf(context.instance, PUSH_ID)).filter((e) => !pushesBefore.includes(e.id) && e.status !== 'running' && e.status !== 'new');
				return done.length ? done : undefined;
			}, { instance: context.instance });
			const report = (await context.instance.finishedExecution(push[0].id))!.output('Push report');
			expect(JSON.stringify(report)).toMatch(/another execution is syncing this mailbox/);
			expect(ln.get('100', 'activities', { id: activity })?.location).not.toBe('Room 77 (pushed)');
			// The holder is gone (its lease released): the next pull reads the change from the cursor the rows keep.
			await updateDataTableRows(context.instance, MAILBOX_TABLE, ann, { leaseUntil: 0, leaseHolder: '' });
			const next = await runPullInN8n(context.instance);
			expect(ln.get('100', 'activities', { id: activity })?.location).toBe('Room 77 (pushed)');
			expect(fullReads(next)).toEqual([]);
		}, 600_000);

		it('leaves an LN message for a mailbox another execution holds, with a warning, and the next pull brings it', async () => {
			const { graph, ln } = context.emulators;
			const ann = { column: 'mailbox', value: 'ann@contoso.com' };
			const meeting = () => graph.events('ann@contoso.com').find((e) => linkedTo(e, 'ACT000001'));
			ln.update('100', 'activities', { id: 'ACT000001' }, { subject: 'Quarterly review (held)' });
			await updateDataTableRows(context.instance, MAILBOX_TABLE, ann, { leaseUntil: Date.now() + 10 * 60_000, leaseHolder: 'e2e' });
			const pushesBefore = (await executionsOf(context.instance, PUSH_ID)).map((e) => e.id);
			const response = await fetch(`${context.instance.url}/webhook/${LN_WEBHOOK_PATH}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', [LN_WEBHOOK_HEADER]: context.lnWebhookSecret },
				body: JSON.stringify({ company: '100', activityId: 'ACT000001', changeType: 'updated' }),
			});
			expect(response.status).toBe(202);
			const push = await waitFor('the push execution of the LN message', async () => {
				const done = (await executionsOf(context.instance, PUSH_ID)).filter((e) => !pushesBefore.includes(e.id) && e.status !== 'running' && e.status !== 'new');
				return done.length ? done : undefined;
			}, { instance: context.instance });
			const reports = await Promise.all(push.map(async (e) => JSON.stringify((await context.instance.finishedExecution(e.id))!.output('Push report'))));
			expect(reports.join('\n')).toMatch(/ann@contoso\.com.*another execution is syncing this mailbox/);
			expect(meeting()?.subject).not.toBe('Quarterly review (held)');
			await updateDataTableRows(context.instance, MAILBOX_TABLE, ann, { leaseUntil: 0, leaseHolder: '' });
			await runPullInN8n(context.instance);
			expect(meeting()?.subject).toBe('Quarterly review (held)');
			await pushSettled();
		}, 600_000);
	});
}
