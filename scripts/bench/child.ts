/**
 * The benchmark's workflow process: forked by scripts/bench.ts (`--import tsx`), it runs ONE
 * workflow execution in-process with n8n-core (the test harness's WorkflowRunner) against the
 * emulators of the parent, and answers with the wall time, its peak RSS and the workflow's static
 * data (delta links etc., handed to the next run as n8n's database would).
 *
 * A process per run, so that the peak RSS of each run is its own and the emulators' memory is not in it.
 */
import { performance } from 'node:perf_hooks';

import type { IDataObject, ITaskData } from 'n8n-workflow';

import { WebhookHost } from '../../test/harness/webhook-host';
import { WorkflowRunner, type WorkflowJson } from '../../test/harness/workflow-runner';
import { peerWorkflows, PEER_START, PEER_WRITE_NODES } from './peer-workflow';
import { outlookCredentials, PeerCredentials, productCredentials, registryFor, type EmulatorAccess } from './runtime';

export interface ChildJob {
	kind: 'product' | 'peer';
	access: EmulatorAccess;
	/** Our built nodes (a copy of dist/ taken when the benchmark started). */
	distDir: string;
	/** Static data by workflow id from the previous run. */
	staticData: Record<string, IDataObject>;
	/** Product: the shipped workflow JSON and its start node. */
	workflow?: WorkflowJson & { id: string };
	startNode?: string;
	/** Product: the workflow posts its jobs to its own shard webhook (shardsOnWorkers), served here as n8n's main process would. */
	sideBySide?: boolean;
	/** Peer: the users it runs for (the sample), and the horizon. */
	peer?: { users: Array<{ user: string; email: string }>; horizonDays: number; sample: number };
}

export interface ChildResult {
	ok: boolean;
	wallMs: number;
	/** process.resourceUsage().maxRSS, in kilobytes. */
	maxRssKb: number;
	/** CPU time of the execution (user + system), in milliseconds. */
	cpuMs: number;
	staticData: Record<string, IDataObject>;
	/** Product: the total item of the run report; peer: counts of items per write node. */
	report?: IDataObject;
	/** Workflow executions (the run and its sub-workflow runs). */
	executions: number;
	/** The nodes during which the process reached its highest RSS (sampled every 100 ms), highest first. */
	memoryByNode: Array<{ node: string; peakRssMb: number; heapUsedMb: number }>;
	/** The nodes that took the most wall time, summed over their runs (a sub-workflow's node includes the nodes inside), and the items they output. */
	timeByNode: Array<{ node: string; ms: number; runs: number; itemsOut: number }>;
	/** Node errors seen in the run (first few messages) and their number. */
	errors: { count: number; samples: string[] };
	error?: string;
}

function collectErrors(run: Awaited<ReturnType<WorkflowRunner['run']>>): { count: number; samples: string[] } {
	const samples: string[] = [];
	let count = 0;
	for (const [name, tasks] of Object.entries(run.run.data.resultData.runData)) {
		for (const task of tasks) {
			if (task.error) {
				count++;
				if (samples.length < 5) samples.push(`${name}: ${task.error.message}`.slice(0, 240));
			}
			for (const output of task.data?.main ?? []) {
				for (const item of output ?? []) {
					const error = (item.json as IDataObject | undefined)?.error;
					if (error !== undefined) {
						count++;
						if (samples.length < 5) samples.push(`${name}: ${typeof error === 'string' ? error : JSON.stringify(error)}`.slice(0, 240));
					}
				}
			}
		}
	}
	return { count, samples };
}

function errorKinds(errors: Array<{ message?: string }>): Array<{ count: number; example: string }> {
	const kinds = new Map<string, { count: number; example: string }>();
	for (const error of errors) {
		const message = String(error.message ?? '');
		const shape = message.replace(/\d+/g, '#').replace(/[A-Za-z0-9_-]{20,}/g, '…').slice(0, 120);
		const kind = kinds.get(shape);
		if (kind) kind.count++;
		else kinds.set(shape, { count: 1, example: message.slice(0, 300) });
	}
	return [...kinds.values()];
}

async function runJob(job: ChildJob): Promise<ChildResult> {
	let runner: WorkflowRunner;
	let workflow: WorkflowJson & { id: string };
	let startNode: string;
	let usedWorkflows: WorkflowJson[];
	let usedTypes: ReturnType<typeof registryFor>;
	if (job.kind === 'product') {
		workflow = job.workflow!;
		startNode = job.startNode!;
		usedWorkflows = [workflow];
		usedTypes = registryFor(usedWorkflows, job.distDir);
		const shardKey = { shardWebhookKey1: { type: 'httpHeaderAuth', data: { name: 'X-Shard-Key', value: `bench-${process.pid}` } } };
		const credentials = new PeerCredentials({ ...productCredentials(job.access), ...(job.sideBySide ? shardKey : {}) }, job.access.graph);
		runner = new WorkflowRunner({ nodeTypes: usedTypes, credentials, workflows: { [workflow.id]: workflow } });
	} else {
		const users = job.peer!.users;
		const { main, all } = peerWorkflows(
			users.map((u) => u.user),
			{ horizonDays: job.peer!.horizonDays, sample: job.peer!.sample },
		);
		workflow = main;
		startNode = PEER_START;
		usedWorkflows = Object.values(all);
		usedTypes = registryFor(usedWorkflows, job.distDir);
		const credentials = new PeerCredentials({ ...productCredentials(job.access), ...outlookCredentials(users) }, job.access.graph);
		runner = new WorkflowRunner({ nodeTypes: usedTypes, credentials, workflows: all });
	}
	for (const [id, data] of Object.entries(job.staticData)) runner.staticData.set(id, data);
	// n8n loads a versioned node's code on its first use and keeps it; this process is new for every
	// run, so the versions the workflow uses are loaded before the clock starts (the HTTP Request
	// node's alone took about a second), as they are in an n8n that ran the workflow before.
	for (const node of usedWorkflows.flatMap((w) => w.nodes)) usedTypes.getByNameAndVersion(node.type, node.typeVersion);

	// Which node runs when the memory peaks: n8n's node hooks tell the sampler which nodes are running.
	const running = new Map<string, number>();
	const memory = new Map<string, { rss: number; heapUsed: number }>();
	const sample = () => {
		const { rss, heapUsed } = process.memoryUsage();
		const names = running.size ? [...running.keys()] : ['(between nodes)'];
		for (const name of names) {
			const seen = memory.get(name);
			if (!seen || rss > seen.rss) memory.set(name, { rss, heapUsed });
		}
	};
	const sampler = setInterval(sample, 100);
	const time = new Map<string, { ms: number; runs: number; items: number }>();
	const additionalData = runner.additionalData.bind(runner);
	runner.additionalData = (executionId, hooks) => {
		const startedAt = new Map<string, number>();
		hooks.addHandler('nodeExecuteBefore', (name: string) => {
			running.set(name, (running.get(name) ?? 0) + 1);
			startedAt.set(name, performance.now());
			sample();
		});
		hooks.addHandler('nodeExecuteAfter', (name: string, taskData: ITaskData) => {
			const spent = time.get(name) ?? { ms: 0, runs: 0, items: 0 };
			spent.ms += performance.now() - (startedAt.get(name) ?? performance.now());
			spent.runs++;
			spent.items += (taskData?.data?.main ?? []).reduce((sum, output) => sum + (output?.length ?? 0), 0);
			time.set(name, spent);
			sample();
			const left = (running.get(name) ?? 1) - 1;
			if (left > 0) running.set(name, left);
			else running.delete(name);
		});
		return additionalData(executionId, hooks);
	};

	// Every execution (the main one and each sub-workflow run): its errors and, for the peer, what it wrote.
	const errors = { count: 0, samples: [] as string[] };
	const peerWrites: Record<string, number> = {};
	let executions = 0;
	const run = runner.run.bind(runner);
	runner.run = async (json, options) => {
		const result = await run(json, options);
		executions++;
		const found = collectErrors(result);
		errors.count += found.count;
		for (const sample of found.samples) if (errors.samples.length < 5) errors.samples.push(sample);
		if (job.kind === 'peer' && json.id !== workflow.id) {
			peerWrites.userRuns = (peerWrites.userRuns ?? 0) + 1;
			for (const name of PEER_WRITE_NODES) peerWrites[name] = (peerWrites[name] ?? 0) + result.output(name).length;
		}
		return result;
	};

	// The jobs' posts are answered in this process, each job in its own execution, as in an n8n without workers.
	const webhooks = job.sideBySide ? new WebhookHost(runner, workflow, { keepRuns: false }) : undefined;
	await webhooks?.start();
	const cpuBefore = process.cpuUsage();
	const started = performance.now();
	const result = await runner.run(workflow, { startNode });
	const wallMs = performance.now() - started;
	const cpu = process.cpuUsage(cpuBefore);
	await webhooks?.stop();
	clearInterval(sampler);
	const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
	const memoryByNode = [...memory.entries()]
		.sort((a, b) => b[1].rss - a[1].rss)
		.slice(0, 6)
		.map(([node, m]) => ({ node, peakRssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed) }));

	const staticData = Object.fromEntries(runner.staticData.entries());
	let report: IDataObject | undefined = peerWrites;
	if (job.kind === 'product') {
		// The total of the run report, without its lists (they grow with the tenant).
		const total = result.output('Run report').map((i) => i.json as IDataObject).find((r) => r.kind === 'total');
		report = total && {
			status: total.status,
			users: total.users,
			counts: total.counts,
			requests: total.requests,
			errors: Array.isArray(total.errors) ? total.errors.length : total.errors,
			// The kinds of error in the report: the first of each distinct message shape (ids and numbers blanked).
			errorKinds: Array.isArray(total.errors) ? errorKinds(total.errors as Array<{ message?: string }>) : [],
			skipped: Array.isArray(total.skipped) ? total.skipped.length : total.skipped,
			conflicts: Array.isArray(total.conflicts) ? total.conflicts.length : total.conflicts,
			durationMs: total.durationMs,
		};
	}
	return {
		ok: !result.error,
		wallMs,
		maxRssKb: process.resourceUsage().maxRSS,
		cpuMs: Math.round((cpu.user + cpu.system) / 1000),
		staticData,
		report,
		executions,
		memoryByNode,
		timeByNode: [...time.entries()]
			.sort((a, b) => b[1].ms - a[1].ms)
			.slice(0, 10)
			.map(([node, t]) => ({ node, ms: Math.round(t.ms), runs: t.runs, itemsOut: t.items })),
		errors,
		error: result.error ? String(result.error.stack ?? result.error.message) : undefined,
	};
}

// BENCH_TRACE_FETCH: every failed fetch (method, URL, error and its cause) on stderr, for looking into lost requests.
if (process.env.BENCH_TRACE_FETCH) {
	const original = globalThis.fetch;
	globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
		const started = Date.now();
		try {
			return await original(input, init);
		} catch (error) {
			const cause = (error as { cause?: { code?: string; message?: string } }).cause;
			const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
			process.stderr.write(`[fetch failed after ${Date.now() - started} ms] ${init?.method ?? 'GET'} ${url.slice(0, 120)}: ${(error as Error).message}; cause: ${cause?.code ?? ''} ${cause?.message ?? String(cause ?? '')}\n`);
			throw error;
		}
	};
}

// Without the parent (killed or ended) there is nobody to answer.
process.once('disconnect', () => process.exit(1));

process.once('message', (job: ChildJob) => {
	runJob(job)
		.catch(
			(error): ChildResult => ({
				ok: false,
				wallMs: 0,
				maxRssKb: process.resourceUsage().maxRSS,
				cpuMs: 0,
				staticData: job.staticData,
				executions: 0,
				memoryByNode: [],
				timeByNode: [],
				errors: { count: 1, samples: [String(error?.message ?? error)] },
				error: String(error?.stack ?? error),
			}),
		)
		.then((result) => process.send!(result, () => process.exit(0)));
});
