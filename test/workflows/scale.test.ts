import type { Environment } from '../harness/environment';
import { WebhookHost } from '../harness/webhook-host';
import type { RunResult } from '../harness/workflow-runner';
import { scheduledAt } from '../../scripts/n8n/provision';
import { SHARD_WEBHOOK_PATH } from '../../scripts/workflows/pull-sync';
import { endState, runPullExpectingFailures, scenarioEnvironment, shipped, withSettings } from './workflow-helpers';

// Several mailboxes at a time, in shards: the pull's parallel shape (issue 16, point 1).
const pull = shipped('pull-sync.json');

async function runPull(env: Environment, workflow = pull): Promise<RunResult> {
	const result = await env.runner.run(workflow, { startNode: 'Run now' });
	if (result.error) throw result.error;
	return result;
}

const report = (result: RunResult) => result.output('Run report').map((item) => item.json as Record<string, any>);
const throttling = (env: Environment) =>
	(env.graph.state() as { throttling: { mostMailboxesAtOnce: number; mostMailboxesAtOnceByKind: Record<string, number>; rejected: { concurrency: number } } }).throttling;
/** The calendar reads of the pull (the contacts step worked several mailboxes at a time before too). */
const calendarReadsAtOnce = (env: Environment) => throttling(env).mostMailboxesAtOnceByKind['calendarView/delta'];

describe('pull sync, several mailboxes at a time', () => {
	let env: Awaited<ReturnType<typeof scenarioEnvironment>>;
	afterEach(() => env.stop());

	it('works the mailboxes of a shard at once, within Exchange\'s 4 requests per mailbox', async () => {
		env = await scenarioEnvironment([pull]);
		env.graph.latencyMs = 15;
		const result = await runPull(env);
		expect(calendarReadsAtOnce(env)).toBe(3);
		expect(throttling(env).rejected.concurrency).toBe(0);
		expect(report(result).filter((r) => r.kind === 'user').map((r) => r.mailbox)).toEqual(['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com']);
	});

	it('works one mailbox at a time with "Mailboxes at a time" = 1, and ends in the same state', async () => {
		env = await scenarioEnvironment([pull]);
		await runPull(env);
		const parallel = endState(env);
		await env.stop();

		env = await scenarioEnvironment([pull]);
		env.graph.latencyMs = 15;
		await runPull(env, withSettings(pull, { mailboxesAtATime: 1 }));
		expect(throttling(env).mostMailboxesAtOnce).toBe(1);
		expect(calendarReadsAtOnce(env)).toBe(1);
		expect(endState(env)).toEqual(parallel);
	});

	it('runs one execution per shard, and shards of one user end in the same state as one shard', async () => {
		env = await scenarioEnvironment([pull]);
		await runPull(env);
		const oneShard = endState(env);
		await env.stop();

		env = await scenarioEnvironment([pull]);
		const shards: string[][] = [];
		env.runner.onRun = (run) => {
			const users = run.output('Shard start').map((item) => String(item.json.email));
			if (users.length > 0) shards.push(users);
		};
		const result = await runPull(env, withSettings(pull, { usersPerShard: 1 }));
		expect(shards.slice(0, 3)).toEqual([['ann@contoso.com'], ['bob@contoso.com'], ['cat@contoso.com']]);
		expect(endState(env)).toEqual(oneShard);
		expect(report(result).find((r) => r.kind === 'total')!.users).toBe(3);
	});

	it("leaves the calendar of a user whose LN read failed alone, and the others' are synchronized", async () => {
		env = await scenarioEnvironment([pull]);
		await runPull(env);
		const bobBefore = env.graph.events('bob@contoso.com').map((e) => `${e.subject}|${e.isCancelled ?? false}`).sort();
		// Bob's activities cannot be read (LN refuses), while LN cancels Ann's call.
		env.ln.faults.add({ kind: 'status', status: 403, times: 0, match: { method: 'GET', path: 'E002' } });
		const call = env.ln.list('100', 'activities').find((a) => a.subject === 'Call with Ann')!;
		env.ln.update('100', 'activities', { id: String(call.id) }, { status: 'Cancelled' });
		const result = await runPullExpectingFailures(env, pull);
		const bob = report(result).find((r) => r.mailbox === 'bob@contoso.com')!;
		expect(bob.status).toBe('errors');
		expect(bob.errors.map((e: { class: string }) => e.class)).toContain('permission');
		expect(bob.skipped.map((s: { message: string }) => s.message).join('\n')).toMatch(/not synchronized from LN this run: its LN activities were not read/);
		expect(env.graph.events('bob@contoso.com').map((e) => `${e.subject}|${e.isCancelled ?? false}`).sort()).toEqual(bobBefore);
		expect(report(result).find((r) => r.mailbox === 'ann@contoso.com')!.errors).toEqual([]);
		expect(env.graph.events('ann@contoso.com').some((e) => e.subject === 'Call with Ann')).toBe(false);
	});
});

describe('pull sync with its shards posted to the shard webhook (as on n8n\'s queue-mode workers)', () => {
	let env: Awaited<ReturnType<typeof scenarioEnvironment>>;
	afterEach(() => env.stop());

	it('posts every shard at once, gathers every user\'s report from the answers, and ends in the state of a pull in one process', async () => {
		env = await scenarioEnvironment([pull]);
		const userLines = (result: RunResult) => report(result).filter((r) => r.kind === 'user').map((r) => [r.mailbox, r.status]);
		const firstInOneProcess = await runPull(env);
		const linesInOneProcess = userLines(firstInOneProcess);
		const reportInOneProcess = report(firstInOneProcess);
		const inOneProcess = endState(env);
		await env.stop();

		const onWorkers = withSettings(pull, { shardsOnWorkers: true, usersPerShard: 2 });
		env = await scenarioEnvironment([onWorkers]);
		env.credentials.set('shardWebhookKey1', 'httpHeaderAuth', { name: 'X-Shard-Key', value: 'shard-key-of-this-test' });
		const host = new WebhookHost(env.runner, onWorkers);
		await host.start();
		try {
			const result = await runPull(env, onWorkers);
			const jobs = host.calls.filter((call) => call.path === `/webhook/${SHARD_WEBHOOK_PATH}`);
			// Two jobs per shard: its users' contact folders and their calendars, each in its own execution.
			expect(jobs.map((call) => call.status)).toEqual([200, 200, 200, 200]);
			const bodies = jobs.map((call) => call.emitted[0].json.body as { part: string; users: Array<{ email: string; syncUsers?: unknown[] }> });
			expect(bodies.map((body) => `${body.part} ${body.users.map((u) => u.email).join(',')}`).sort()).toEqual(
				['calendars ann@contoso.com,bob@contoso.com', 'calendars cat@contoso.com', 'contacts ann@contoso.com,bob@contoso.com', 'contacts cat@contoso.com'],
			);
			// The list of sync users goes with a job's first user only: a post grows with its users, not with users × sync users.
			expect(bodies.map((body) => body.users.map((u) => u.syncUsers?.length ?? 0)).sort()).toEqual([[3], [3], [3, 0], [3, 0]]);
			expect(result.output('Calendars of a shard')).toEqual([]);
			expect(result.output('Contacts → Exchange folders')).toEqual([]);
			const contactJobs = jobs.filter((call) => call.run?.output('Contacts → Exchange folders').length);
			expect(contactJobs).toHaveLength(2);
			expect(userLines(result)).toEqual(linesInOneProcess);
			// Each user's contact counts came back from its contacts job, as the pull in one process counted them.
			const contactsOf = (r: Record<string, any>) => [r.mailbox, r.counts.contactsCreated, r.counts.contactsUnchanged];
			expect(report(result).filter((r) => r.kind === 'user').map(contactsOf)).toEqual(reportInOneProcess.filter((r) => r.kind === 'user').map(contactsOf));
			expect(linesInOneProcess.map(([mailbox]) => mailbox)).toEqual(['ann@contoso.com', 'bob@contoso.com', 'cat@contoso.com']);
			expect(endState(env)).toEqual(inOneProcess);
			// Without the key, or with another, the webhook refuses the post and starts nothing.
			const post = (headers: Record<string, string>) =>
				fetch(`${host.url}webhook/${SHARD_WEBHOOK_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ users: [{ email: 'ann@contoso.com' }] }) });
			expect((await post({})).status).toBe(403);
			expect((await post({ 'X-Shard-Key': 'a-wrong-key' })).status).toBe(403);
			expect(host.calls.slice(-2).map((call) => call.emitted.length)).toEqual([0, 0]);
		} finally {
			await host.stop();
		}
	});

	it('reports every user of a shard whose post got no answer (the webhook is not registered: the pull is not active)', async () => {
		const onWorkers = withSettings(pull, { shardsOnWorkers: true, usersPerShard: 2 });
		env = await scenarioEnvironment([onWorkers]);
		env.credentials.set('shardWebhookKey1', 'httpHeaderAuth', { name: 'X-Shard-Key', value: 'shard-key-of-this-test' });
		// A server that answers as n8n does for a webhook of a workflow that is not active.
		const host = new WebhookHost(env.runner, { ...onWorkers, nodes: onWorkers.nodes.filter((node) => node.name !== 'Shard posted') });
		await host.start();
		try {
			const result = await runPullExpectingFailures(env, onWorkers);
			const users = report(result).filter((r) => r.kind === 'user');
			expect(users.map((r) => [r.mailbox, r.status])).toEqual([
				['ann@contoso.com', 'errors'],
				['bob@contoso.com', 'errors'],
				['cat@contoso.com', 'errors'],
			]);
			for (const user of users) expect(user.errors.map((e: { message: string }) => e.message)).toContain('no report came back for this user: its calendar run did not finish (see the execution of the pull)');
			// Why, outside any user: the answer to each job's post (two shards, a contacts and a calendars job each).
			const why = report(result).find((r) => r.kind === 'total')!.errors.filter((e: { message: string }) => /404 .*The requested webhook is not registered/.test(e.message));
			expect(why).toHaveLength(4);
		} finally {
			await host.stop();
		}
	});
});

describe('the shipped schedules, due at a chosen minute (tests and benchmarks keep n8n from starting a pull of its own meanwhile)', () => {
	it('sets the minute of the hourly schedules only', () => {
		const pull = scheduledAt(shipped('pull-sync.json'), 7);
		const push = scheduledAt(shipped('push-sync.json'), 7);
		const rules = (workflow: typeof pull) =>
			workflow.nodes.filter((n) => n.type === 'n8n-nodes-base.scheduleTrigger').map((n) => (n.parameters.rule as { interval: unknown[] }).interval);
		expect(rules(pull)).toEqual([[{ field: 'hours', hoursInterval: 1, triggerAtMinute: 7 }]]);
		expect(rules(push)).toEqual([[{ field: 'hours', hoursInterval: 6, triggerAtMinute: 7 }]]);
		expect(rules(shipped('pull-sync.json'))).toEqual([[{ field: 'hours', hoursInterval: 1 }]]);
		expect(pull.nodes.filter((n) => n.type !== 'n8n-nodes-base.scheduleTrigger')).toEqual(shipped('pull-sync.json').nodes.filter((n) => n.type !== 'n8n-nodes-base.scheduleTrigger'));
		const everyMinute = { nodes: [{ name: 'Often', type: 'n8n-nodes-base.scheduleTrigger', parameters: { rule: { interval: [{ field: 'minutes', minutesInterval: 1 }] } } }] };
		expect(scheduledAt(everyMinute, 7)).toEqual(everyMinute);
	});
});
