/**
 * `npm run bench -- --queue --workers N`: the shipped pull in real n8n queue mode (Redis, Postgres,
 * a main and N workers, scripts/n8n/queue.ts) on the generated tenant: first sync, no change, 1 %
 * changed; with --compare first the same runs with the shards in the pull's own process, one mailbox
 * at a time (the sequential baseline), on the same data. Per run: wall time, requests, the CPU and
 * peak RSS of each n8n process (from /proc) and of this process (the emulators).
 */
import * as fs from 'node:fs';

import { mutateTenant } from '../../test/emulators/generator';
import type { RunningEmulators } from '../../test/emulators/cli';
import { ensureN8n, N8N_2 } from '../n8n/install';
import { freePort, N8nInstance } from '../n8n/instance';
import { buildAndPack } from '../n8n/package';
import { ALERT_ID, importPullWith, minuteJustGone, provision, PULL_ID } from '../n8n/provision';
import { startQueueBackends, workersOf, type N8nWorker, type QueueBackends } from '../n8n/queue';
import { runPullInN8n } from '../n8n/sync';
import { startTenant, type TenantOptions } from './tenant';

export interface QueueBenchOptions extends TenantOptions {
	workers: number;
	/** Jobs at a time per worker (`n8n worker --concurrency`). */
	workerConcurrency: number;
	/** Users per shard (one job each); default: the users spread evenly over the workers' job slots. */
	usersPerShard?: number;
	/** Mailboxes at a time within a shard; default: the shipped setting. */
	mailboxesAtATime?: number;
	compare: boolean;
	log: (line: string) => void;
}

export interface ProcessFigures {
	name: string;
	cpuMs: number;
	peakRssMb: number;
}

export interface QueueRunFigures {
	mode: 'queue' | 'baseline';
	phase: 'first' | 'noChange' | 'change';
	wallMs: number;
	users: number;
	usersWithErrors: number;
	written: number;
	graphRequests: number;
	lnRequests: number;
	mailboxConcurrency429: number;
	/** n8n main and each worker. */
	processes: ProcessFigures[];
	/** This process: the emulators (and the benchmark's own bookkeeping). */
	emulatorCpuMs: number;
	/** Which worker ran how many executions in this run. */
	executionsByWorker: Record<string, number>;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU of a process so far (Linux /proc), in ms. */
function cpuMsOf(pid: number | undefined): number {
	if (!pid) return 0;
	try {
		const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
		// utime and stime are fields 14 and 15 of the line, 12 and 13 after the command.
		return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
	} catch {
		return 0;
	}
}

/** The peak resident set of a process so far (VmHWM), in MB. */
function peakRssMbOf(pid: number | undefined): number {
	if (!pid) return 0;
	try {
		const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
		return line ? Math.round(Number(line.split(/\s+/)[1]) / 1024) : 0;
	} catch {
		return 0;
	}
}

const concurrency429 = (emulators: RunningEmulators) => (emulators.graph.state() as { throttling: { rejected: { concurrency: number } } }).throttling.rejected.concurrency;

export async function measureQueue(options: QueueBenchOptions): Promise<{ n8n: string; workers: number; workerConcurrency: number; usersPerShard: number; mailboxesAtATime?: number; runs: QueueRunFigures[] }> {
	const { log } = options;
	log('packing the package (dist/ as built)');
	const tarball = await buildAndPack({ build: false });
	const emulators = await startTenant(options);
	const install = await ensureN8n(N8N_2, log);
	let backends: QueueBackends | undefined;
	let instance: N8nInstance | undefined;
	let workers: N8nWorker[] = [];
	const usersPerShard = options.usersPerShard ?? Math.max(1, Math.ceil(options.users / (options.workers * options.workerConcurrency)));
	try {
		backends = await startQueueBackends(`${install.dir}/instances/bench-queue-backends`, log);
		instance = new N8nInstance({ install, name: 'bench-queue', port: await freePort(), brokerPorts: [await freePort(), await freePort()], fresh: true, env: backends.n8nEnv });
		// No scheduled pull of n8n's own among the measured ones.
		const schedulesAt = minuteJustGone();
		await provision(instance, { tarball, env: emulators.env, log, schedulesAt });
		await instance.activateWorkflow(ALERT_ID);
		const owner = { email: 'bench@example.com', password: 'Bench-Passw0rd', firstName: 'Bench', lastName: 'Queue' };

		const runs: QueueRunFigures[] = [];
		const series = async (mode: QueueRunFigures['mode']) => {
			const settings: Record<string, unknown> = mode === 'queue' ? { shardsOnWorkers: true, usersPerShard } : { shardsOnWorkers: false, mailboxesAtATime: 1 };
			if (mode === 'queue' && options.mailboxesAtATime !== undefined) settings.mailboxesAtATime = options.mailboxesAtATime;
			// n8n registers the shard webhook of the version published when it starts: import, publish, (re)start.
			await instance!.stop();
			await importPullWith(instance!, settings, schedulesAt);
			await instance!.activateWorkflow(PULL_ID);
			await instance!.start();
			await instance!.ensureOwner(owner);
			await instance!.login(owner);
			if (!workers.length) {
				workers = await workersOf(instance!, options.workers, options.workerConcurrency);
				for (const worker of workers) await worker.start();
			}
			for (const phase of ['first', 'noChange', 'change'] as const) {
				if (phase === 'change') {
					mutateTenant(emulators.ln, emulators.graph, { share: 0.01, seed: options.seed, company: emulators.env.LN_COMPANY, now: new Date().toISOString(), horizonDays: emulators.tenant.summary.horizonDays });
				}
				emulators.graph.log.clear();
				emulators.ln.log.clear();
				log(`${mode}: ${phase}…`);
				const cpuBefore = [instance!.pid, ...workers.map((w) => w.pid)].map(cpuMsOf);
				const executionsBefore = workers.map((w) => w.executions().length);
				const ownCpu = process.cpuUsage();
				const rejected = concurrency429(emulators);
				const run = await runPullInN8n(instance!);
				const ownAfter = process.cpuUsage(ownCpu);
				const cpuAfter = [instance!.pid, ...workers.map((w) => w.pid)].map(cpuMsOf);
				const users = run.report.filter((line) => line.kind === 'user') as Array<{ errors?: unknown[]; counts: Record<string, number> }>;
				const total = run.report.find((line) => line.kind === 'total') as { counts: Record<string, number> } | undefined;
				const figures: QueueRunFigures = {
					mode,
					phase,
					wallMs: run.ms,
					users: users.length,
					usersWithErrors: users.filter((u) => (u.errors ?? []).length > 0).length,
					written: Object.entries(total?.counts ?? {}).filter(([name]) => !/Unchanged|conflicts/.test(name)).reduce((sum, [, n]) => sum + Number(n), 0),
					graphRequests: emulators.graph.log.counts().total,
					lnRequests: emulators.ln.log.counts().total,
					mailboxConcurrency429: concurrency429(emulators) - rejected,
					processes: [
						{ name: 'main', cpuMs: Math.round(cpuAfter[0] - cpuBefore[0]), peakRssMb: peakRssMbOf(instance!.pid) },
						...workers.map((w, i) => ({ name: w.name, cpuMs: Math.round(cpuAfter[i + 1] - cpuBefore[i + 1]), peakRssMb: peakRssMbOf(w.pid) })),
					],
					emulatorCpuMs: Math.round((ownAfter.user + ownAfter.system) / 1000),
					executionsByWorker: Object.fromEntries(workers.map((w, i) => [w.name, w.executions().length - executionsBefore[i]])),
				};
				log(`${mode} ${phase}: ${(figures.wallMs / 1000).toFixed(1)} s, ${figures.written} written, ${figures.graphRequests} Graph / ${figures.lnRequests} LN requests, CPU ${figures.processes.map((p) => `${p.name} ${(p.cpuMs / 1000).toFixed(1)} s`).join(', ')}, emulators ${(figures.emulatorCpuMs / 1000).toFixed(1)} s`);
				runs.push(figures);
			}
		};
		if (options.compare) {
			await series('baseline');
			emulators.ln.seed(emulators.tenant.ln);
			emulators.graph.seed(emulators.tenant.graph);
		}
		await series('queue');
		return { n8n: instance.version, workers: options.workers, workerConcurrency: options.workerConcurrency, usersPerShard, mailboxesAtATime: options.mailboxesAtATime, runs };
	} finally {
		for (const worker of workers) await worker.stop().catch(() => {});
		await instance?.stop().catch(() => {});
		await backends?.stop().catch(() => {});
		await emulators.stop();
	}
}
