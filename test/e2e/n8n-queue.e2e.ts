/**
 * n8n 2.x in queue mode, as the README's "Scaling" section sets it up: Redis and Postgres from Debian,
 * an n8n main and two workers. The pull posts its shards to its shard webhook; n8n makes each post a
 * job, the workers take them; the run report still has every user, and the end state is the one a
 * pull in one process leaves.
 */
import { N8N_2 } from '../../scripts/n8n/install';
import { ALERT_ID, importPullWith, PULL_ID } from '../../scripts/n8n/provision';
import { runPullInN8n, type PullRun } from '../../scripts/n8n/sync';
import { endState, scenarioEnvironment, shipped } from '../workflows/workflow-helpers';
import { E2E_OWNER, freshTenant, useN8n } from './n8n-context';

const users = (run: PullRun) => run.report.filter((line) => line.kind === 'user') as Array<{ mailbox: string; status: string; errors?: unknown[] }>;

describe(`n8n ${N8N_2.n8n} on Node ${N8N_2.node} in queue mode: a main and two workers`, () => {
	// One job at a time per worker: three shards land on both.
	const context = useN8n(N8N_2, { queue: { workers: 2, concurrency: 1 } });
	let inOneProcess: unknown;

	beforeAll(async () => {
		// The same tenant synchronized by the shipped pull in one process (the workflow tests' harness).
		const single = await scenarioEnvironment([shipped('pull-sync.json')]);
		try {
			const run = await single.runner.run(shipped('pull-sync.json'), { startNode: 'Run now' });
			if (run.error) throw run.error;
			inOneProcess = endState(single);
		} finally {
			await single.stop();
		}
		await importPullWith(context.instance, { shardsOnWorkers: true, usersPerShard: 1, leaseMinutes: 1 });
		await context.instance.activateWorkflow(PULL_ID);
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
		expect(users(run).map((user) => [user.mailbox, user.errors ?? []])).toEqual([
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
		process.stdout.write(`[e2e] queue mode, a worker killed: ${interrupted instanceof Error ? interrupted.message.slice(0, 300) : users(interrupted).map((u) => `${u.mailbox} ${u.status}`).join(', ')}\n`);
		await victim.start();
		// The killed shard's leases end by themselves (leaseMinutes = 1 here).
		await new Promise((resolve) => setTimeout(resolve, 61_000));
		const next = await runPullInN8n(context.instance);
		expect(users(next).flatMap((user) => user.errors ?? [])).toEqual([]);
		expect(endState(context.emulators as never)).toEqual(inOneProcess);
	}, 900_000);
});
