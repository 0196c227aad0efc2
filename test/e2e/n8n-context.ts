/**
 * The end-to-end fixture shared by the test files of each n8n version: an installed n8n (cached in
 * .cache/), both emulators seeded with the workflow tests' scenario (test/workflows/scenario.ts),
 * and a fresh n8n user folder with the packed package, credentials and workflows — all through
 * scripts/n8n, the same code `npm start` runs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { startEmulators, type EmulatorEnv, type RunningEmulators } from '../emulators/cli';
import type { FaultRule } from '../emulators/common/faults';
import { scenario } from '../workflows/scenario';
import { ensureN8n, PROJECT_DIR, type N8nTarget } from '../../scripts/n8n/install';
import { freePort, N8nInstance, sleep, type Owner } from '../../scripts/n8n/instance';
import { tarballPath } from '../../scripts/n8n/package';
import { minuteJustGone, provision, PUSH_ID } from '../../scripts/n8n/provision';
import { runPullInN8n, type PullRun } from '../../scripts/n8n/sync';
import { writtenOf } from '../../lib/status/history';
import { startQueueBackends, workersOf, type N8nWorker, type QueueBackends } from '../../scripts/n8n/queue';

export const ARTIFACTS_DIR = path.join(PROJECT_DIR, 'artifacts');
export const E2E_OWNER: Owner = { email: 'e2e@example.com', password: 'E2e-Passw0rd', firstName: 'End', lastName: 'ToEnd' };

export interface N8nContext {
	target: N8nTarget;
	instance: N8nInstance;
	emulators: RunningEmulators;
	env: EmulatorEnv;
	/** The LN webhook secret of the imported Header Auth credential. */
	lnWebhookSecret: string;
	/** Seconds the n8n install took in this run (0 = reused from .cache/). */
	installSeconds: number;
	/** The minute past the hour the shipped schedules are due: the one just gone when the suite began, so no scheduled pull runs during it. */
	schedulesAt: number;
	/** Queue mode: Redis and Postgres, and the workers (started by the suite, stopped with n8n). */
	backends?: QueueBackends;
	workers: N8nWorker[];
}

const log = (line: string) => process.stdout.write(`[e2e] ${line}\n`);

/** A Graph fault: every request for this mailbox answers 403 ErrorAccessDenied (the app may not access it). */
export function accessDenied(mailbox: string): FaultRule {
	return { kind: 'status', status: 403, times: 0, match: { path: `/users/${mailbox}/` }, body: { error: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' } } };
}

export interface ExecutionSummary {
	id: string;
	status?: string;
	mode?: string;
	workflowId?: string;
}

/** A workflow's executions, newest first (n8n's internal REST API, as the editor lists them; after login()). */
export async function executionsOf(instance: N8nInstance, workflowId: string): Promise<ExecutionSummary[]> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const data = await instance.rest<{ results?: ExecutionSummary[] } | ExecutionSummary[]>('GET', `/executions?filter=${filter}&limit=100`);
	return Array.isArray(data) ? data : (data.results ?? []);
}

/**
 * Registers beforeAll/afterAll that set the fixture up and tear it down; returns an object that is
 * filled in by beforeAll (read it inside tests only).
 */
/** The REST route of an n8n Data Table, by its name (n8n 2.x REST API, as the editor uses it). */
async function dataTableRoute(instance: N8nInstance, name: string): Promise<string> {
	type Table = { id: string; name: string; projectId: string };
	const tables = await instance.rest<{ data?: Table[] } | Table[]>('GET', '/data-tables-global?take=50');
	const table = (Array.isArray(tables) ? tables : (tables.data ?? [])).find((t) => t.name === name);
	if (!table) throw new Error(`no Data Table named ${name}`);
	return `/projects/${table.projectId}/data-tables/${table.id}`;
}

export async function dataTableRows(instance: N8nInstance, name: string): Promise<Array<Record<string, unknown>>> {
	const rows = await instance.rest<{ data: Array<Record<string, unknown>> }>('GET', `${await dataTableRoute(instance, name)}/rows?take=1000`);
	return rows.data;
}

/** Sets columns of the rows whose `column` equals `value`, as an administrator would in the editor. */
export async function updateDataTableRows(instance: N8nInstance, name: string, where: { column: string; value: string }, data: Record<string, unknown>): Promise<void> {
	const filter = { type: 'and', filters: [{ columnName: where.column, condition: 'eq', value: where.value }] };
	await instance.rest('PATCH', `${await dataTableRoute(instance, name)}/rows`, { filter, data });
}

/** `queue`: n8n in queue mode (Redis, Postgres, `workers` workers made here; the suite starts them after n8n). */
export function useN8n(target: N8nTarget, options: { queue?: { workers: number; concurrency: number } } = {}): N8nContext {
	const context = { target, workers: [] as N8nWorker[] } as N8nContext;
	beforeAll(async () => {
		const started = Date.now();
		const install = await ensureN8n(target, log);
		context.installSeconds = install.installSeconds;
		log(`n8n ${target.n8n}: ${install.installSeconds ? `installed in ${Math.round(install.installSeconds)} s` : 'install reused from .cache/'}`);

		const emulators = await startEmulators({ lnPort: 0, graphPort: 0 });
		const data = scenario();
		emulators.ln.seed(data.lnSeed);
		emulators.graph.seed(data.graphSeed);
		// The seeds replace the generated tenant: read the endpoints and secrets again.
		context.emulators = emulators;
		context.env = {
			...emulators.env,
			LN_IONAPI: JSON.stringify(emulators.ln.ionapi()),
			GRAPH_TENANT_ID: emulators.graph.tenantId,
			GRAPH_CLIENT_ID: emulators.graph.app.clientId,
			GRAPH_CLIENT_SECRET: emulators.graph.app.clientSecret,
		};

		const [port, broker, cliBroker] = [await freePort(), await freePort(), await freePort()];
		let env: Record<string, string> | undefined;
		if (options.queue) {
			context.backends = await startQueueBackends(path.join(install.dir, 'instances', 'e2e-queue-backends'), log);
			env = context.backends.n8nEnv;
			log(`Redis on ${context.backends.ports.redis}, Postgres on ${context.backends.ports.postgres}`);
		}
		context.instance = new N8nInstance({ install, name: options.queue ? 'e2e-queue' : 'e2e', port, brokerPorts: [broker, cliBroker], fresh: true, env });
		if (options.queue) context.workers = await workersOf(context.instance, options.queue.workers, options.queue.concurrency);
		context.schedulesAt = minuteJustGone();
		context.lnWebhookSecret = await provision(context.instance, { tarball: tarballPath(), env: context.env, log, schedulesAt: context.schedulesAt });
		log(`n8n ${target.n8n} provisioned in ${Math.round((Date.now() - started) / 1000)} s`);
	}, 30 * 60_000);

	afterAll(async () => {
		const { instance, emulators } = context;
		for (const worker of context.workers) {
			await worker.stop();
			if (fs.existsSync(worker.logFile)) {
				fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
				fs.copyFileSync(worker.logFile, path.join(ARTIFACTS_DIR, `n8n-${target.n8n}-queue-${worker.name}.log`));
			}
		}
		if (instance) {
			const output = instance.output;
			await instance.stop();
			if (output) {
				fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
				fs.writeFileSync(path.join(ARTIFACTS_DIR, `n8n-${target.n8n}${options.queue ? '-queue' : ''}.log`), output);
			}
		}
		await context.backends?.stop();
		await emulators?.stop();
	}, 60_000);
	return context;
}

/** The scenario tenant afresh in both emulators, their request logs empty (subscriptions and delta states go with it, as after a restore). */
export function freshTenant(emulators: RunningEmulators): void {
	const data = scenario();
	emulators.ln.seed(data.lnSeed);
	emulators.graph.seed(data.graphSeed);
	emulators.ln.log.clear();
	emulators.graph.log.clear();
}

/** Polls until `check` returns a truthy value; fails with `what` (and n8n's output tail) after the timeout. */
type Falsy = undefined | null | false | 0 | '';

export async function waitFor<T>(what: string, check: () => T | Falsy | Promise<T | Falsy>, options: { timeoutMs?: number; instance?: N8nInstance } = {}): Promise<T> {
	const deadline = Date.now() + (options.timeoutMs ?? 60_000);
	let last: unknown;
	for (;;) {
		try {
			const value = await check();
			if (value) return value as T;
		} catch (error) {
			last = error;
		}
		if (Date.now() > deadline) {
			const output = options.instance?.output;
			throw new Error(`Timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}${output ? `\nn8n output:\n${output.slice(-4000)}` : ''}`);
		}
		await sleep(250);
	}
}

/** Waits until the push workflow (our own writes come back to it as notifications) runs nothing, three looks in a row. */
export async function pushSettled(context: N8nContext): Promise<void> {
	let quiet = 0;
	await waitFor('the push workflow to settle', async () => {
		await context.emulators.graph.flushNotifications();
		const running = (await executionsOf(context.instance, PUSH_ID)).some((e) => ['running', 'new', 'waiting'].includes(String(e.status)));
		quiet = running ? 0 : quiet + 1;
		return quiet >= 3;
	}, { instance: context.instance, timeoutMs: 180_000 });
}

type ReportLine = { ref: string; message: string };
type UserLine = { mailbox: string; status: string; errors?: ReportLine[]; warnings?: ReportLine[]; counts: Record<string, number> };
/** The report lines of a pull's sync users. */
export const userLines = (run: PullRun) => run.report.filter((line) => line.kind === 'user') as UserLine[];
/** The mailboxes a pull left because another execution held their lease. */
export const leftForLease = (run: PullRun) => userLines(run).filter((user) => (user.warnings ?? []).some((w) => w.ref === 'lease')).map((user) => user.mailbox);
/** The mailboxes whose calendar a pull read in full (a lost cursor). */
export const fullReads = (run: PullRun) => userLines(run).filter((user) => (user.warnings ?? []).some((w) => /read the whole window/.test(w.message))).map((user) => user.mailbox);
/** Whether an Exchange event carries the link to LN activity `activityId` of company 100. */
export const linkedTo = (event: unknown, activityId: string) =>
	Boolean((event as { singleValueExtendedProperties?: Array<{ value: string }> }).singleValueExtendedProperties?.some((p) => p.value === `ln:100:activity:${activityId}`));

/** After runs that left work behind (leases held, pushes skipped): the next pull reads no calendar in full, and the one after writes nothing. Returns that last pull. */
export async function expectSettlesFromCursors(context: N8nContext): Promise<PullRun> {
	const next = await runPullInN8n(context.instance);
	expect(fullReads(next)).toEqual([]);
	await pushSettled(context);
	const settled = await runPullInN8n(context.instance);
	expect(fullReads(settled)).toEqual([]);
	expect(userLines(settled).map((user) => [user.mailbox, writtenOf(user.counts)])).toEqual(userLines(settled).map((user) => [user.mailbox, 0]));
	return settled;
}
