/**
 * n8n 2.x in queue mode, as the README's "Scaling" section sets it up: Redis and Postgres from Debian,
 * an n8n main and two workers. The pull posts its shards to its shard webhook; n8n makes each post a
 * job, the workers take them; the run report still has every user, and the end state is the one a
 * pull in one process leaves.
 */
import { MAILBOX_TABLE } from '../../lib/graph/sync-state';
import { N8N_2 } from '../../scripts/n8n/install';
import { ALERT_ID, importPullWith, PULL_ID, PUSH_ID } from '../../scripts/n8n/provision';
import { runPullInN8n, subscribeSyncUsers } from '../../scripts/n8n/sync';
import type { RunningEmulators } from '../emulators/cli';
import { endState, scenarioEnvironment, shipped } from '../workflows/workflow-helpers';
import {
	dataTableRows,
	E2E_OWNER,
	executionsOf,
	expectSettlesFromCursors,
	freshTenant,
	leftForLease,
	linkedTo,
	pushSettled,
	updateDataTableRows,
	useN8n,
	userLines,
	waitFor,
} from './n8n-context';


/** Edits made while pulls run: LN moves a meeting's room (the pull carries it), Ann renames her meeting in Outlook (its notification comes during the pulls). */
const LN_EDIT = { id: 'ACT000002', location: 'Room 9' };
const RENAMED = { from: 'Customer workshop', to: 'Customer workshop (renamed in Outlook)' };
function editInLn(emulators: Pick<RunningEmulators, 'ln'>): void {
	emulators.ln.update('100', 'activities', { id: LN_EDIT.id }, { location: LN_EDIT.location });
}
function renameInOutlook(emulators: Pick<RunningEmulators, 'graph'>): void {
	const meeting = emulators.graph.events('ann@contoso.com').find((e) => e.subject === RENAMED.from)!;
	emulators.graph.updateEvent('ann@contoso.com', meeting.id!, { subject: RENAMED.to });
}

describe(`n8n ${N8N_2.n8n} on Node ${N8N_2.node} in queue mode: a main and two workers`, () => {
	// One job at a time per worker: three shards land on both.
	const context = useN8n(N8N_2, { queue: { workers: 2, concurrency: 1 } });
	let inOneProcess: unknown;
	let editedInOneProcess: unknown;

	beforeAll(async () => {
		// The same tenant synchronized by the shipped pull in one process (the workflow tests' harness),
		// then the same edits and two more pulls.
		const single = await scenarioEnvironment([shipped('pull-sync.json')]);
		try {
			const pull = async () => {
				const run = await single.runner.run(shipped('pull-sync.json'), { startNode: 'Run now' });
				if (run.error) throw run.error;
			};
			await pull();
			inOneProcess = endState(single);
			editInLn(single);
			renameInOutlook(single);
			await pull();
			await pull();
			editedInOneProcess = endState(single);
		} finally {
			await single.stop();
		}
		await importPullWith(context.instance, { shardsOnWorkers: true, usersPerShard: 1, leaseMinutes: 1 }, context.schedulesAt);
		await context.instance.activateWorkflow(PULL_ID);
		await context.instance.activateWorkflow(PUSH_ID);
		await context.instance.activateWorkflow(ALERT_ID);
		await context.instance.start();
		await Promise.all(context.workers.map((worker) => worker.start()));
		await context.instance.ensureOwner(E2E_OWNER);
		await context.instance.login(E2E_OWNER);
	}, 900_000);

	it('spreads the shards of a pull over both workers; the report has every user and the end state is that of a pull in one process', async () => {
		const run = await runPullInN8n(context.instance);
		const ran = context.workers.map((worker) => `${worker.name}: executions ${worker.executions().join(', ') || 'none'}`);
		process.stdout.write(`[e2e] queue mode, pull in ${(run.ms / 1000).toFixed(1)} s; ${ran.join('; ')}\n`);
		expect(userLines(run).map((user) => [user.mailbox, user.errors ?? []])).toEqual([
			['ann@contoso.com', []],
			['bob@contoso.com', []],
			['cat@contoso.com', []],
		]);
		for (const worker of context.workers) expect(worker.executions().length).toBeGreaterThan(0);
		expect(endState(context.emulators as never)).toEqual(inOneProcess);
	}, 600_000);

	it('ends in the same state when a worker is killed in the middle of its shard, once the next pull comes', async () => {
		freshTenant(context.emulators);
		const [victim] = context.workers;
		const before = victim.executions().length;
		const pull = runPullInN8n(context.instance).catch((error: Error) => error);
		const deadline = Date.now() + 120_000;
		while (victim.executions().length === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
		victim.kill();
		const interrupted = await pull;
		process.stdout.write(`[e2e] queue mode, a worker killed: ${interrupted instanceof Error ? interrupted.message.slice(0, 300) : userLines(interrupted).map((u) => `${u.mailbox} ${u.status}`).join(', ')}\n`);
		await victim.start();
		// The killed shard's leases end by themselves (leaseMinutes = 1 here).
		await new Promise((resolve) => setTimeout(resolve, 61_000));
		const next = await runPullInN8n(context.instance);
		expect(userLines(next).flatMap((user) => user.errors ?? [])).toEqual([]);
		expect(endState(context.emulators as never)).toEqual(inOneProcess);
	}, 900_000);

	it('runs two pulls at once with push notifications arriving during them and a mailbox held: no duplicate, every lease released, no cursor lost, the end state of the same edits in one process', async () => {
		const { graph } = context.emulators;
		const kept = await subscribeSyncUsers(context.instance);
		expect(kept.map((k) => k.action)).toEqual(kept.map(() => 'created'));
		editInLn(context.emulators);
		// Ann's mailbox is held, as by a run that outlasts the interval: both pulls and her push must leave it.
		const ann = { column: 'mailbox', value: 'ann@contoso.com' };
		await updateDataTableRows(context.instance, MAILBOX_TABLE, ann, { leaseUntil: Date.now() + 10 * 60_000, leaseHolder: 'e2e' });
		const started = context.workers.map((worker) => worker.executions().length);
		const pulls = Promise.all([runPullInN8n(context.instance), runPullInN8n(context.instance)]);
		// Ann renames her meeting once shards are running: its notification reaches the push workflow (a job in queue mode) during the pulls.
		await waitFor('a shard job to start', () => context.workers.some((worker, i) => worker.executions().length > started[i]), { instance: context.instance, timeoutMs: 120_000 });
		const pushesBefore = (await executionsOf(context.instance, PUSH_ID)).length;
		renameInOutlook(context.emulators);
		await graph.flushNotifications();
		const [first, second] = await pulls;
		const pushes = (await executionsOf(context.instance, PUSH_ID)).length - pushesBefore;
		process.stdout.write(
			`[e2e] queue mode, two pulls at once, ${pushes} push executions: left for a lease by the first ${leftForLease(first).join(', ') || 'none'}, by the second ${leftForLease(second).join(', ') || 'none'}\n`,
		);
		expect(pushes).toBeGreaterThan(0);
		for (const run of [first, second]) {
			expect(userLines(run).flatMap((user) => user.errors ?? [])).toEqual([]);
			expect(leftForLease(run)).toContain('ann@contoso.com');
		}
		for (const user of userLines(first)) {
			const events = graph.events(user.mailbox);
			expect(events.length).toBe(new Set(events.map((e) => e.iCalUId)).size);
		}
		await pushSettled(context);
		expect((await dataTableRows(context.instance, MAILBOX_TABLE)).filter((row) => row.leaseUntil !== 0 || row.leaseHolder !== '').map((row) => row.mailbox)).toEqual(['ann@contoso.com']);
		expect(context.emulators.ln.list('100', 'activities').filter((a) => a.subject === RENAMED.to)).toHaveLength(0);
		// The holder is done: its lease released (with the state it read, here the one the table kept).
		await updateDataTableRows(context.instance, MAILBOX_TABLE, ann, { leaseUntil: 0, leaseHolder: '' });
		// Whatever a lease left waits in the cursors: the next pull brings it without reading a calendar in full, and the one after has nothing to do.
		const settled = await expectSettlesFromCursors(context);
		expect(endState(context.emulators as never)).toEqual(editedInOneProcess);
		// endState has no rooms: LN's new room is on every copy of its meeting, and the rename reached LN.
		const copies = userLines(settled).flatMap((user) => graph.events(user.mailbox)).filter((e) => linkedTo(e, LN_EDIT.id));
		expect(copies.length).toBeGreaterThan(0);
		expect(copies.map((e) => e.location?.displayName)).toEqual(copies.map(() => LN_EDIT.location));
		expect(context.emulators.ln.list('100', 'activities').filter((a) => a.subject === RENAMED.to)).toHaveLength(1);
	}, 900_000);

});
