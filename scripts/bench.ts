/**
 * `npm run bench -- [--size s|m|l] [--users U --contacts C --activities A --events E] [--attendees N]
 *                   [--latency-ms L] [--peer-sample N|all] [--no-peer] [--seed N] [--concurrency K] [--compare]
 *                   [--queue [--workers N] [--worker-concurrency J] [--users-per-shard U]] [--side-by-side [--users-per-shard U]]`
 *
 * Runs the SHIPPED pull workflow (workflows/pull-sync.json, start node "Run now") on a generated
 * tenant, against the LN and Graph emulators with L ms added to every request, three times: the
 * first sync, a run with no changes, and a run after 1 % of the records changed on each side
 * (mutateTenant). Then the PEER (scripts/bench/peer-workflow.ts: the same job with n8n's stock
 * Microsoft Outlook node, one lookup and one write per item) on the same data, re-seeded, in the same
 * three steps. Each run is one execution in a child process (scripts/bench/child.ts), so its peak RSS
 * is its own; the emulators and their request logs live in this process.
 *
 * Prints, per run: wall time, Graph and LN requests by kind, writes, requests per item written, peak
 * RSS; then a comparison and the project's targets. The LAST line of stdout is one JSON object with
 * everything. Progress goes to stderr. Run under `node scripts/tls.js` (the npm script does).
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { RunningEmulators } from '../test/emulators/cli';
import { mutateTenant, type MutationReport } from '../test/emulators/generator';
import { labelOf } from '../test/emulators/graph/emulator';
import type { LoggedRequest } from '../test/emulators/common/request-log';
import type { ChildJob, ChildResult } from './bench/child';
import { measurePushLatency } from './bench/push-latency';
import { measureQueue } from './bench/queue';
import type { EmulatorAccess } from './bench/runtime';
import { startTenant, type TenantOptions } from './bench/tenant';
import { withSettings } from './workflows/builder';

const ROOT = path.join(__dirname, '..');
const WORKFLOW_FILE = path.join(ROOT, 'workflows', 'pull-sync.json');
const START_NODE = 'Run now';
const CHILD = path.join(__dirname, 'bench', 'child.ts');

/** The benchmark sizes (issue 9); they differ from the generator's own presets on purpose. */
export const BENCH_SIZES = {
	s: { users: 10, contacts: 200, activities: 100, events: 100, attendees: 3 },
	m: { users: 100, contacts: 1000, activities: 1000, events: 2000, attendees: 3 },
	l: { users: 500, contacts: 5000, activities: 5000, events: 10000, attendees: 3 },
} as const;
type SizeName = keyof typeof BENCH_SIZES;

/** The Settings node's horizon in the shipped workflow (read from the file below). */
const CHANGE_SHARE = 0.01;
/** Default peer sample: the peer is sequential (one lookup + one write per item), so all users of
 * size s alone take 5 minutes; its users are alike, so 2 of them scale linearly to the rest. */
const DEFAULT_PEER_SAMPLE = 2;

interface Options extends TenantOptions {
	size?: SizeName;
	peer: boolean;
	/** Measure push latency in a real n8n instead (scripts/bench/push-latency.ts). */
	pushLatency: boolean;
	/** Changes for --push-latency. */
	changes: number;
	/** Product only: a second no-change run before the change run (the settled state). */
	settled: boolean;
	/** Diagnostic: the emulators' HTTP keep-alive timeout (Node's default in them is 5,000 ms). */
	keepAliveMs?: number;
	/** Users the peer runs for; undefined = all. */
	peerSample?: number;
	/** V8 heap limit of the workflow process (--max-old-space-size); undefined = Node's default. */
	workflowHeapMb?: number;
	/** Mailboxes at a time (the Settings value) and LN requests at a time; undefined = the shipped values. */
	concurrency?: number;
	/** LN requests at a time, apart from `concurrency`; undefined = as `concurrency`, else the credential's. */
	lnRequests?: number;
	/** Also run the product one mailbox and one LN request at a time, on the same data, and compare. */
	compare: boolean;
	/** Real n8n queue mode (scripts/bench/queue.ts): `workers` workers with `workerConcurrency` job slots each. */
	queue: boolean;
	workers: number;
	workerConcurrency: number;
	usersPerShard?: number;
	/** One n8n, its pull posting two jobs per shard (contact folders, calendars) to its own webhook: they run side by side. */
	sideBySide: boolean;
}

class UsageError extends Error {}

const USAGE = `Usage: npm run bench -- [options]
  --size s|m|l         s: ${describe('s')}; m: ${describe('m')}; l: ${describe('l')} (default s)
  --users U --contacts C --activities A --events E   override the size
  --attendees N        attendees per LN activity, organizer included (default 3)
  --latency-ms L       added to every emulator request (default 20)
  --peer-sample N|all  run the peer for the first N users and scale its figures linearly
                       (default ${DEFAULT_PEER_SAMPLE})
  --no-peer            skip the peer
  --settled            the product makes a second no-change run before the change run
  --seed N             generator seed (default 1)
  --emulator-keepalive-ms N   diagnostic: the emulators' HTTP keep-alive timeout (theirs: 5000)
  --workflow-heap-mb N the workflow process's V8 heap limit (--max-old-space-size), as an n8n
                       host may set it; by default V8 sizes it from the machine's memory and lets
                       garbage pile up far beyond what is live
  --concurrency K      the product works K mailboxes at a time (Settings: mailboxesAtATime) with at
                       most K LN requests at once (default: the shipped settings)
  --ln-requests N      at most N LN requests at once (the credential's Concurrent Requests),
                       whatever --concurrency says
  --compare            first run the product one mailbox and one LN request at a time (the
                       sequential baseline) on the same data, then as asked, and print the speed-up
  --push-latency       instead: push latency in a real n8n 2.x (scripts/n8n), from a change in the
                       Graph emulator to the LN write, p50/p95 over --changes N (default 200)
  --queue              instead: the pull in real n8n 2.x queue mode (Redis, Postgres, a main and
                       --workers N workers, default 2, each taking --worker-concurrency J jobs,
                       default 5); shards of --users-per-shard U (default: users spread over all
                       job slots); with --compare first the sequential baseline (shards in the
                       pull's own process, one mailbox at a time) on the same data
  --side-by-side       the pull in one process posts two jobs per shard (contact folders, calendars;
                       shards of --users-per-shard U, default the shipped 100) to its own shard
                       webhook (Settings: shardsOnWorkers), and they run side by side`;

function describe(size: SizeName): string {
	const s = BENCH_SIZES[size];
	return `${s.users} users, ${s.contacts} contacts, ${s.activities} activities, ${s.events} events`;
}

export function parseArgs(argv: string[]): Options & { help?: boolean } {
	const raw: Record<string, string | boolean> = {};
	for (let i = 0; i < argv.length; i++) {
		let flag = argv[i];
		let value: string | undefined;
		const eq = flag.indexOf('=');
		if (flag.startsWith('--') && eq > 0) {
			value = flag.slice(eq + 1);
			flag = flag.slice(0, eq);
		}
		if (flag === '--help' || flag === '-h') {
			raw.help = true;
			continue;
		}
		if (flag === '--no-peer' || flag === '--settled' || flag === '--push-latency' || flag === '--compare' || flag === '--queue' || flag === '--side-by-side') {
			raw[flag.slice(2)] = true;
			continue;
		}
		const known = ['--size', '--users', '--contacts', '--activities', '--events', '--attendees', '--latency-ms', '--seed', '--peer-sample', '--changes', '--emulator-keepalive-ms', '--workflow-heap-mb', '--concurrency', '--ln-requests', '--workers', '--worker-concurrency', '--users-per-shard'];
		if (!known.includes(flag)) throw new UsageError(`Unknown option "${flag}"`);
		const v = value ?? argv[++i];
		if (v === undefined) throw new UsageError(`${flag} needs a value`);
		raw[flag.slice(2)] = v;
	}
	const whole = (name: string, fallback: number): number => {
		const v = raw[name];
		if (v === undefined) return fallback;
		const n = Number(v);
		if (typeof v !== 'string' || v.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${name} needs a whole number ≥ 0, not "${v}"`);
		return n;
	};
	const size = (raw.size ?? 's') as string;
	if (!(size in BENCH_SIZES)) throw new UsageError(`--size must be s, m or l, not "${size}"`);
	const preset = BENCH_SIZES[size as SizeName];
	const options: Options & { help?: boolean } = {
		size: size as SizeName,
		users: whole('users', preset.users),
		contacts: whole('contacts', preset.contacts),
		activities: whole('activities', preset.activities),
		events: whole('events', preset.events),
		attendees: whole('attendees', preset.attendees),
		latencyMs: whole('latency-ms', 20),
		seed: whole('seed', 1),
		peer: raw['no-peer'] !== true,
		settled: raw.settled === true,
		pushLatency: raw['push-latency'] === true,
		changes: whole('changes', 200),
		keepAliveMs: raw['emulator-keepalive-ms'] === undefined ? undefined : whole('emulator-keepalive-ms', 5000),
		workflowHeapMb: raw['workflow-heap-mb'] === undefined ? undefined : whole('workflow-heap-mb', 0),
		concurrency: raw.concurrency === undefined ? undefined : whole('concurrency', 8),
		lnRequests: raw['ln-requests'] === undefined ? undefined : whole('ln-requests', 8),
		compare: raw.compare === true,
		queue: raw.queue === true,
		workers: whole('workers', 2),
		workerConcurrency: whole('worker-concurrency', 5),
		usersPerShard: raw['users-per-shard'] === undefined ? undefined : whole('users-per-shard', 1),
		sideBySide: raw['side-by-side'] === true,
		help: raw.help === true,
	};
	if (['users', 'contacts', 'activities', 'events', 'attendees'].some((k) => raw[k] !== undefined)) options.size = undefined;
	const sample = raw['peer-sample'];
	if (sample === 'all') options.peerSample = undefined;
	else if (sample !== undefined) {
		options.peerSample = whole('peer-sample', 0);
		if (options.peerSample < 1) throw new UsageError('--peer-sample needs 1 or more (or "all")');
	} else options.peerSample = options.users <= DEFAULT_PEER_SAMPLE ? undefined : DEFAULT_PEER_SAMPLE;
	if (options.users < 1) throw new UsageError('--users needs 1 or more');
	if (options.workflowHeapMb !== undefined && options.workflowHeapMb < 64) throw new UsageError('--workflow-heap-mb needs 64 or more');
	if (options.concurrency !== undefined && (options.concurrency < 1 || options.concurrency > 64)) throw new UsageError('--concurrency needs 1 to 64');
	if (options.lnRequests !== undefined && (options.lnRequests < 1 || options.lnRequests > 64)) throw new UsageError('--ln-requests needs 1 to 64');
	if (options.workers < 1 || options.workerConcurrency < 1) throw new UsageError('--workers and --worker-concurrency need 1 or more');
	if (options.usersPerShard !== undefined && options.usersPerShard < 1) throw new UsageError('--users-per-shard needs 1 or more');
	return options;
}

// ---- measuring ----------------------------------------------------------------------------------

type Phase = 'first' | 'noChange' | 'noChangeAgain' | 'change';
/** The three runs of every series. */
const PHASES: Phase[] = ['first', 'noChange', 'change'];
const PHASE_TITLE: Record<Phase, string> = { first: 'first sync', noChange: 'no-change run', noChangeAgain: 'second no-change run', change: '1 % change run' };

interface SideFigures {
	/** HTTP requests (a $batch counts once; its inner requests are in `batchedRequests`). */
	requests: number;
	byKind: Record<string, number>;
	/** Requests inside $batch requests (Graph). */
	batchedRequests: number;
	/** Successful writes (POST/PATCH/DELETE of items, batched or not; not tokens, not the $batch envelope). */
	writes: number;
	writesByKind: Record<string, number>;
	/** Answers ≥ 400 (including 429). */
	failed: number;
	/** Requests per item written (null without writes). */
	requestsPerItemWritten: number | null;
}

interface RunFigures {
	phase: Phase;
	wallMs: number;
	peakRssMb: number;
	/** CPU time during the run: the workflow process, and this process (the two emulators). */
	cpuMs: { workflow: number; emulators: number };
	graph: SideFigures & { mailboxes: number; perMailbox: { max: number; mean: number } };
	ln: SideFigures & { readPages: number };
	writes: number;
	/** Graph + LN requests per item written in both systems. */
	requestsPerItemWritten: number | null;
	executions: number;
	/** Graph answers 429 for the per-mailbox concurrency limit during the run (must stay 0). */
	mailboxConcurrency429: number;
	memoryByNode: ChildResult['memoryByNode'];
	timeByNode: ChildResult['timeByNode'];
	errors: { count: number; samples: string[] };
	report?: Record<string, unknown>;
	mutation?: MutationReport['counts'];
}

function round(n: number, digits = 2): number {
	const f = 10 ** digits;
	return Math.round(n * f) / f;
}

function isWrite(entry: LoggedRequest, label: string): boolean {
	if (entry.method === 'GET' || entry.method === 'HEAD') return false;
	if (label === 'token' || label === '$batch' || label === 'revoke') return false;
	return entry.status >= 200 && entry.status < 300;
}

function side(entries: LoggedRequest[], counts: { total: number; byKind: Record<string, number> }, labelFor: (e: LoggedRequest) => string): SideFigures {
	const writesByKind: Record<string, number> = {};
	let writes = 0;
	let batched = 0;
	let failed = 0;
	for (const entry of entries) {
		const label = labelFor(entry);
		if (entry.batchSeq !== undefined) batched++;
		else if (entry.status >= 400 || entry.status === 0) failed++;
		if (isWrite(entry, label)) {
			writes++;
			const kind = `${entry.method} ${label}`;
			writesByKind[kind] = (writesByKind[kind] ?? 0) + 1;
		}
	}
	return {
		requests: counts.total,
		byKind: sortKinds(counts.byKind),
		batchedRequests: batched,
		writes,
		writesByKind: sortKinds(writesByKind),
		failed,
		requestsPerItemWritten: writes > 0 ? round(counts.total / writes, 3) : null,
	};
}

function sortKinds(kinds: Record<string, number>): Record<string, number> {
	return Object.fromEntries(Object.entries(kinds).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

function lnLabel(entry: LoggedRequest, emulators: RunningEmulators): string {
	// The LN emulator's own kinds ("GET Activities", "POST token"); strip the method.
	const counts = (emulators.ln as unknown as { kindOf(e: LoggedRequest): string }).kindOf(entry);
	return counts.replace(/^\S+ /, '');
}

function measure(phase: Phase, emulators: RunningEmulators, child: ChildResult, emulatorCpuMs: number, mailboxConcurrency429: number, mutation?: MutationReport): RunFigures {
	const graphEntries = emulators.graph.log.all();
	const lnEntries = emulators.ln.log.all();
	const graphCounts = emulators.graph.log.counts();
	const lnCounts = emulators.ln.log.counts();
	const graph = side(graphEntries, graphCounts, (e) => labelOf(e.path));
	const ln = side(lnEntries, lnCounts, (e) => lnLabel(e, emulators));
	const perMailbox = Object.values(graphCounts.byMailbox);
	const readPages = lnEntries.filter((e) => e.method === 'GET' && !/token/.test(lnLabel(e, emulators))).length;
	const writes = graph.writes + ln.writes;
	return {
		phase,
		wallMs: Math.round(child.wallMs),
		peakRssMb: round(child.maxRssKb / 1024, 1),
		cpuMs: { workflow: child.cpuMs, emulators: emulatorCpuMs },
		graph: {
			...graph,
			mailboxes: perMailbox.length,
			perMailbox: { max: perMailbox.length ? Math.max(...perMailbox) : 0, mean: perMailbox.length ? round(perMailbox.reduce((a, b) => a + b, 0) / perMailbox.length) : 0 },
		},
		ln: { ...ln, readPages },
		writes,
		requestsPerItemWritten: writes > 0 ? round((graph.requests + ln.requests) / writes, 3) : null,
		executions: child.executions,
		mailboxConcurrency429,
		memoryByNode: child.memoryByNode,
		timeByNode: child.timeByNode,
		errors: child.errors,
		report: child.report as Record<string, unknown> | undefined,
		mutation: mutation?.counts,
	};
}

/** LN pages a run cannot do without, at the emulator's page size, as it reads them (for the no-change target). */
function lnPagesNeeded(emulators: RunningEmulators, company: string, horizonDays: number, contactReads = 1): { syncUsers: number; contactsAll: number; contactsChangedSince: number; activities: number; total: number; totalWithChangedSince: number } {
	const ln = emulators.ln;
	const size = ln.pageSize;
	const pages = (n: number) => Math.max(1, Math.ceil(n / size));
	// Contacts are read several pages at a time: after the first, each page repeats the last record of the
	// one before (the check that nothing moved between two reads), so it brings size - 1 new ones.
	const pagesSideBySide = (n: number) => (n <= size ? 1 : 1 + Math.ceil((n - size) / (size - 1)));
	const syncUsers = ln.list(company, 'syncUsers').filter((u) => u.active === 'Yes');
	const contacts = ln.list(company, 'contacts').filter((c) => c.synchronize === 'Yes');
	const now = Date.now();
	const end = now + horizonDays * 86_400_000;
	const attendees = ln.list(company, 'attendees');
	const byActivity = new Map<string, Array<Record<string, unknown>>>();
	for (const a of attendees) {
		const list = byActivity.get(String(a.activity)) ?? [];
		list.push(a);
		byActivity.set(String(a.activity), list);
	}
	const activities = ln.list(company, 'activities').filter((a) => {
		if (a.type !== 'Appointment' && a.type !== 'Call') return false;
		if (!(Date.parse(String(a.end)) >= now)) return false;
		return Date.parse(String(a.start)) <= end || (a.reference ?? '') !== '';
	});
	let activityPages = 0;
	for (const user of syncUsers) {
		const mine = activities.filter((a) => (byActivity.get(String(a.id)) ?? []).some((t) => t.type === 'Employee' && t.code === user.employee)).length;
		activityPages += pages(mine);
	}
	// Jobs side by side: each contact folders job reads the LN contacts for its shard.
	const result = { syncUsers: pages(syncUsers.length), contactsAll: contactReads * pagesSideBySide(contacts.length), contactsChangedSince: contactReads, activities: activityPages };
	return { ...result, total: result.syncUsers + result.contactsAll + result.activities, totalWithChangedSince: result.syncUsers + contactReads + result.activities };
}

// ---- running ------------------------------------------------------------------------------------

function runChild(job: ChildJob, heapMb: number | undefined): Promise<ChildResult> {
	return new Promise((resolve, reject) => {
		const child = fork(CHILD, [], {
			execArgv: [
				'--import',
				'tsx',
				...(heapMb === undefined ? [] : [`--max-old-space-size=${heapMb}`]),
				// BENCH_CHILD_NODE_OPTIONS: extra node options for the workflow process (e.g. --cpu-prof).
				...(process.env.BENCH_CHILD_NODE_OPTIONS ?? '').split(' ').filter(Boolean),
			],
			env: { ...process.env },
			stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
		});
		let result: ChildResult | undefined;
		child.once('message', (message) => {
			result = message as ChildResult;
		});
		child.once('error', reject);
		child.once('exit', (code, signal) => {
			if (result) resolve(result);
			else reject(new Error(`The workflow process ended without a result (exit ${code ?? signal})`));
		});
		child.send(job);
	});
}

/** BENCH_DUMP_DIR: each run's request logs as JSON lines (for looking into a figure). */
function dumpLogs(kind: string, phase: Phase, emulators: RunningEmulators): void {
	const dir = process.env.BENCH_DUMP_DIR;
	if (!dir) return;
	fs.mkdirSync(dir, { recursive: true });
	for (const [name, log] of [['graph', emulators.graph.log], ['ln', emulators.ln.log]] as const) {
		const lines = log.all().map((e) => JSON.stringify(e));
		fs.writeFileSync(path.join(dir, `${kind}-${phase}-${name}.jsonl`), `${lines.join('\n')}\n`);
	}
}

function progress(text: string): void {
	process.stderr.write(`# ${text}\n`);
}

interface SeriesResult {
	runs: RunFigures[];
	lnPagesNeeded?: ReturnType<typeof lnPagesNeeded>;
}

async function runSeries(kind: 'product' | 'peer', emulators: RunningEmulators, options: Options, access: EmulatorAccess, horizonDays: number, distDir: string, workflow: ChildJob['workflow']): Promise<SeriesResult> {
	const company = emulators.env.LN_COMPANY;
	const syncUsers = emulators.ln
		.list(company, 'syncUsers')
		.filter((u) => u.active === 'Yes')
		.map((u) => ({ user: String(u.user), email: String(u.email) }));
	let staticData: ChildJob['staticData'] = {};
	const runs: RunFigures[] = [];
	const sideBySide = kind === 'product' && settingOf(workflow!, 'shardsOnWorkers')?.value === true;
	const usersPerShard = Number(settingOf(workflow!, 'usersPerShard')?.value) || 100;
	let needed: SeriesResult['lnPagesNeeded'];
	const phases: Phase[] = kind === 'product' && options.settled ? ['first', 'noChange', 'noChangeAgain', 'change'] : PHASES;
	for (const phase of phases) {
		let mutation: MutationReport | undefined;
		if (phase === 'change') {
			mutation = mutateTenant(emulators.ln, emulators.graph, { share: CHANGE_SHARE, seed: options.seed, company, now: new Date().toISOString(), horizonDays: emulators.tenant.summary.horizonDays });
		}
		if (phase === 'noChange' && kind === 'product') needed = lnPagesNeeded(emulators, company, horizonDays, sideBySide ? Math.ceil(syncUsers.length / usersPerShard) : 1);
		emulators.graph.log.clear();
		emulators.ln.log.clear();
		progress(`${kind}: ${PHASE_TITLE[phase]}…`);
		const job: ChildJob =
			kind === 'product'
				? { kind, access, distDir, staticData, workflow, startNode: START_NODE, sideBySide }
				: { kind, access, distDir, staticData, peer: { users: syncUsers, horizonDays, sample: options.peerSample ?? syncUsers.length } };
		const cpuBefore = process.cpuUsage();
		const rejectedBefore = concurrency429(emulators);
		const result = await runChild(job, options.workflowHeapMb);
		const cpu = process.cpuUsage(cpuBefore);
		if (!result.ok) progress(`${kind} ${phase}: the execution failed: ${result.error?.split('\n')[0]}`);
		staticData = result.staticData;
		const figures = measure(phase, emulators, result, Math.round((cpu.user + cpu.system) / 1000), concurrency429(emulators) - rejectedBefore, mutation);
		dumpLogs(kind, phase, emulators);
		runs.push(figures);
		const lines: string[] = [];
		printRuns(`${kind} (as measured):`, [figures], lines);
		process.stderr.write(`${lines.join('\n').replace(/^\n/, '')}\n`);
	}
	emulators.graph.log.clear();
	emulators.ln.log.clear();
	return { runs, lnPagesNeeded: needed };
}

function concurrency429(emulators: RunningEmulators): number {
	return (emulators.graph.state() as { throttling: { rejected: { concurrency: number } } }).throttling.rejected.concurrency;
}

type ShippedWorkflow = NonNullable<ChildJob['workflow']>;

/** An assignment of the workflow's Settings node (the shipped values), if it has one by that name. */
function settingOf(workflow: ShippedWorkflow, name: string): { name: string; value: unknown } | undefined {
	const settings = workflow.nodes.find((n) => n.name === 'Settings')?.parameters as { assignments?: { assignments: Array<{ name: string; value: unknown }> } } | undefined;
	return settings?.assignments?.assignments.find((a) => a.name === name);
}

/** The shipped workflow with "Mailboxes at a time" set. */
function withMailboxesAtATime(workflow: ShippedWorkflow, value: number): ShippedWorkflow {
	const copy = JSON.parse(JSON.stringify(workflow)) as ShippedWorkflow;
	const setting = settingOf(copy, 'mailboxesAtATime');
	if (!setting) throw new Error('The shipped pull workflow has no mailboxesAtATime setting');
	setting.value = value;
	return copy;
}

/** Peer figures for all users from a sample: everything that grows with users, times users/sample. */
function scaleRun(run: RunFigures, factor: number): RunFigures {
	const scaleKinds = (kinds: Record<string, number>) => Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, Math.round(v * factor)]));
	const total = (kinds: Record<string, number>) => Object.values(kinds).reduce((a, b) => a + b, 0);
	// Totals are the sums of the scaled kinds, so that they still add up.
	const scaleSide = <T extends SideFigures>(s: T): T => {
		const byKind = scaleKinds(s.byKind);
		const writesByKind = scaleKinds(s.writesByKind);
		const requests = total(byKind);
		const writes = total(writesByKind);
		return {
			...s,
			requests,
			byKind,
			batchedRequests: Math.round(s.batchedRequests * factor),
			writes,
			writesByKind,
			failed: Math.round(s.failed * factor),
			requestsPerItemWritten: writes > 0 ? round(requests / writes, 3) : null,
		};
	};
	const graph = scaleSide(run.graph);
	const ln = { ...scaleSide(run.ln), readPages: Math.round(run.ln.readPages * factor) };
	return {
		...run,
		wallMs: Math.round(run.wallMs * factor),
		cpuMs: { workflow: Math.round(run.cpuMs.workflow * factor), emulators: Math.round(run.cpuMs.emulators * factor) },
		graph: { ...graph, mailboxes: Math.round(run.graph.mailboxes * factor) },
		ln,
		writes: graph.writes + ln.writes,
		requestsPerItemWritten: graph.writes + ln.writes > 0 ? round((graph.requests + ln.requests) / (graph.writes + ln.writes), 3) : null,
	};
}

// ---- output -------------------------------------------------------------------------------------

function fmt(n: number | null | undefined, digits = 0): string {
	if (n === null || n === undefined) return '–';
	return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function kinds(byKind: Record<string, number>, limit = 8): string {
	const entries = Object.entries(byKind);
	const shown = entries.slice(0, limit).map(([k, v]) => `${k} ${fmt(v)}`);
	if (entries.length > limit) shown.push(`… ${entries.length - limit} more`);
	return shown.join(', ') || 'none';
}

function printRuns(title: string, runs: RunFigures[], out: string[]): void {
	out.push(`\n${title}`);
	for (const run of runs) {
		out.push(`  ${PHASE_TITLE[run.phase]}${run.mutation ? ` (changed: ${run.mutation.lnActivities} LN activities, ${run.mutation.lnContacts} LN contacts, ${run.mutation.graphUpdated} Exchange events, ${run.mutation.graphCreated} new Exchange events)` : ''}`);
		out.push(`    wall time ${fmt(run.wallMs / 1000, 1)} s · peak RSS ${fmt(run.peakRssMb, 0)} MB · CPU ${fmt(run.cpuMs.workflow / 1000, 1)} s workflow, ${fmt(run.cpuMs.emulators / 1000, 1)} s emulators · ${fmt(run.writes)} writes · ${fmt(run.requestsPerItemWritten, 3)} requests per item written`);
		out.push(`    Graph: ${fmt(run.graph.requests)} requests (${fmt(run.graph.batchedRequests)} more inside $batch) · ${fmt(run.graph.writes)} items written · ${fmt(run.graph.requestsPerItemWritten, 3)} requests per Exchange item written · per mailbox max ${fmt(run.graph.perMailbox.max)}, mean ${fmt(run.graph.perMailbox.mean, 1)}${run.graph.failed ? ` · ${fmt(run.graph.failed)} failed` : ''}`);
		out.push(`      by kind: ${kinds(run.graph.byKind)}`);
		out.push(`      writes: ${kinds(run.graph.writesByKind)}`);
		out.push(`    LN: ${fmt(run.ln.requests)} requests (${fmt(run.ln.readPages)} pages read) · ${fmt(run.ln.writes)} items written · ${fmt(run.ln.requestsPerItemWritten, 3)} requests per LN item written${run.ln.failed ? ` · ${fmt(run.ln.failed)} failed` : ''}`);
		out.push(`      by kind: ${kinds(run.ln.byKind)}`);
		if (run.timeByNode?.length) out.push(`    time by node: ${run.timeByNode.slice(0, 6).map((t) => `${t.node} ${fmt(t.ms / 1000, 1)} s${t.runs > 1 ? ` (${t.runs} runs)` : ''}`).join(', ')}`);
		if (run.memoryByNode?.length) out.push(`    memory peaks while: ${run.memoryByNode.slice(0, 3).map((m) => `${m.node} ${fmt(m.peakRssMb)} MB (heap ${fmt(m.heapUsedMb)})`).join(', ')}`);
		const reported = run.report as { errors?: number; errorKinds?: Array<{ count: number; example: string }> } | undefined;
		if (reported?.errors) {
			out.push(`    errors in the run report: ${reported.errors}${reported.errors >= 200 ? ' (the report keeps at most 200)' : ''}`);
			for (const kind of reported.errorKinds ?? []) out.push(`      ${kind.count} × ${kind.example.slice(0, 200)}`);
		} else if (run.errors.count) out.push(`    errors in the executions: ${run.errors.count} (${run.errors.samples.slice(0, 2).join(' | ').slice(0, 400)})`);
	}
}

interface Target {
	target: string;
	met: boolean | null;
	figures: string;
}

function runOf(runs: RunFigures[], phase: Phase): RunFigures {
	const run = runs.find((r) => r.phase === phase);
	if (!run) throw new Error(`No ${phase} run`);
	return run;
}

function targets(product: SeriesResult, peer: { runs: RunFigures[] } | undefined, options: Options): Target[] {
	const first = runOf(product.runs, 'first');
	const quiet = runOf(product.runs, 'noChange');
	const change = runOf(product.runs, 'change');
	const again = product.runs.find((r) => r.phase === 'noChangeAgain');
	const list: Target[] = [];
	const at = `(measured at ${options.users} users, ${options.latencyMs} ms)`;
	list.push({
		target: 'first sync ≤ 0.1 Graph requests per Exchange item written',
		met: first.graph.requestsPerItemWritten !== null ? first.graph.requestsPerItemWritten <= 0.1 : null,
		figures: `${fmt(first.graph.requests)} requests / ${fmt(first.graph.writes)} items = ${fmt(first.graph.requestsPerItemWritten, 3)} ${at}`,
	});
	if (peer) {
		const p = peer.runs[0];
		const requestRatio = p.graph.requests / Math.max(1, first.graph.requests);
		const wallRatio = p.wallMs / Math.max(1, first.wallMs);
		list.push({ target: 'first sync ≥ 10× fewer Graph requests than the peer', met: requestRatio >= 10, figures: `peer ${fmt(p.graph.requests)} vs ${fmt(first.graph.requests)} = ${fmt(requestRatio, 1)}× ${at}` });
		list.push({ target: 'first sync ≥ 5× less wall time than the peer', met: wallRatio >= 5, figures: `peer ${fmt(p.wallMs / 1000, 1)} s vs ${fmt(first.wallMs / 1000, 1)} s = ${fmt(wallRatio, 1)}× ${at}` });
	}
	list.push({
		target: 'no-change run ≤ 3 Graph requests per mailbox',
		met: quiet.graph.perMailbox.max <= 3,
		figures: `max ${fmt(quiet.graph.perMailbox.max)}, mean ${fmt(quiet.graph.perMailbox.mean, 2)} per mailbox; ${fmt(quiet.graph.requests)} Graph requests in all`,
	});
	if (again) {
		list.push({
			target: 'second no-change run ≤ 3 Graph requests per mailbox, zero writes',
			met: again.graph.perMailbox.max <= 3 && again.writes === 0,
			figures: `max ${fmt(again.graph.perMailbox.max)}, mean ${fmt(again.graph.perMailbox.mean, 2)} per mailbox; ${fmt(again.writes)} writes`,
		});
	}
	const needed = product.lnPagesNeeded;
	if (needed) {
		list.push({
			target: 'no-change run reads only the LN pages needed',
			met: quiet.ln.readPages <= needed.total,
			figures: `${fmt(quiet.ln.readPages)} LN GETs; needed: ${fmt(needed.total)} (sync users ${needed.syncUsers}, all sync contacts ${needed.contactsAll}, activities per user ${needed.activities}); with a changed-since read of contacts ${fmt(needed.totalWithChangedSince)}`,
		});
	}
	list.push({ target: 'no-change run makes zero writes', met: quiet.writes === 0, figures: `${fmt(quiet.graph.writes)} Graph + ${fmt(quiet.ln.writes)} LN writes` });
	if (change.mutation) {
		const changed = change.mutation.lnActivities + change.mutation.lnContacts + change.mutation.graphUpdated + change.mutation.graphCreated;
		const extraGraph = change.graph.requests - quiet.graph.requests;
		const extraLn = change.ln.requests - quiet.ln.requests;
		list.push({
			target: '1 % change run: requests proportional to the changes',
			met: null,
			figures: `${fmt(changed)} records changed; ${fmt(change.graph.requests)} Graph (+${fmt(extraGraph)} over the no-change run) and ${fmt(change.ln.requests)} LN (+${fmt(extraLn)}) requests; ${fmt(change.writes)} writes; ${fmt((extraGraph + extraLn) / Math.max(1, changed), 2)} extra requests per changed record`,
		});
	}
	const peak = Math.max(...product.runs.map((r) => r.peakRssMb));
	list.push({ target: 'peak RSS < 512 MB (at size l)', met: options.size === 'l' ? peak < 512 : null, figures: `${fmt(peak)} MB at ${options.users} users${options.workflowHeapMb === undefined ? '' : `, heap limit ${options.workflowHeapMb} MB`}` });
	// Issue 16's efficiency target: the first sync keeps the machine busy rather than waiting on round trips.
	const cores = os.cpus().length;
	const cpuSeconds = (first.cpuMs.workflow + first.cpuMs.emulators) / 1000;
	const wallSeconds = first.wallMs / 1000;
	list.push({
		target: "first sync near the machine's limit: wall time ≤ 1.3 × CPU of the workflow and emulators ÷ cores",
		met: wallSeconds <= (1.3 * cpuSeconds) / cores,
		figures: `${fmt(wallSeconds, 1)} s against 1.3 × ${fmt(cpuSeconds, 1)} s ÷ ${cores} = ${fmt((1.3 * cpuSeconds) / cores, 1)} s (wall ÷ (CPU ÷ cores) = ${fmt(wallSeconds / (cpuSeconds / cores), 2)})`,
	});
	list.push({ target: 'push latency p95 < 2 s', met: null, figures: 'not measured by this command (see docs/performance.md)' });
	return list;
}

async function main(): Promise<void> {
	let options: ReturnType<typeof parseArgs>;
	try {
		options = parseArgs(process.argv.slice(2));
	} catch (error) {
		process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
		process.exit(2);
	}
	if (options.help) {
		process.stdout.write(`${USAGE}\n`);
		return;
	}
	process.env.N8N_USER_FOLDER ??= path.join(ROOT, '.cache', 'n8n-bench');
	process.env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS ??= 'false';
	if (!fs.existsSync(path.join(ROOT, 'dist', 'nodes'))) throw new Error('No dist/: run `npm run build` first');
	// The shipped workflow as it is now, for all runs; its horizon is the peer's too.
	const workflow = JSON.parse(fs.readFileSync(WORKFLOW_FILE, 'utf8')) as NonNullable<ChildJob['workflow']>;
	const horizonDays = Number(settingOf(workflow, 'horizonDays')?.value ?? 365);

	const loadAtStart = os.loadavg().map((n) => round(n, 2));
	if (options.pushLatency) {
		const result = await measurePushLatency({ ...options, log: progress });
		const lines = [
			`Push latency — n8n ${result.n8n}, ${options.users} sync users, ${options.latencyMs} ms added per request; ${os.cpus().length} CPUs`,
			`  ${result.measured} of ${result.changes} changes reached LN (${result.lost} lost): p50 ${result.ms.p50} ms, p95 ${result.ms.p95} ms (min ${result.ms.min}, mean ${result.ms.mean}, max ${result.ms.max})`,
			`  [${result.ms.p95 < 2000 && result.lost === 0 ? 'met' : 'MISSED'}] push latency p95 < 2 s`,
			JSON.stringify({ bench: 'push-latency', size: options.size ?? null, tenant: { users: options.users, contacts: options.contacts, activities: options.activities, events: options.events }, machine: { cpus: os.cpus().length, node: process.version }, ...result }),
		];
		process.stdout.write(`${lines.join('\n')}\n`);
		return;
	}
	if (options.queue) {
		const result = await measureQueue({ ...options, mailboxesAtATime: options.concurrency, log: progress });
		const first = (mode: string) => result.runs.find((r) => r.mode === mode && r.phase === 'first');
		const lines = [`Queue mode — n8n ${result.n8n}, a main and ${result.workers} workers (${result.workerConcurrency} jobs each), ${result.usersPerShard} users per shard; ${options.users} sync users, ${options.latencyMs} ms added per request; ${os.cpus().length} CPUs`];
		for (const run of result.runs) {
			lines.push(`  ${run.mode.padEnd(8)} ${run.phase.padEnd(8)} ${(run.wallMs / 1000).toFixed(1).padStart(7)} s  written ${String(run.written).padStart(6)}  Graph ${String(run.graphRequests).padStart(6)}  LN ${String(run.lnRequests).padStart(6)}  429 ${run.mailboxConcurrency429}  CPU ${run.processes.map((p) => `${p.name} ${(p.cpuMs / 1000).toFixed(1)} s/${p.peakRssMb} MB`).join(', ')}; emulators ${(run.emulatorCpuMs / 1000).toFixed(1)} s; jobs ${Object.entries(run.executionsByWorker).map(([w, n]) => `${w} ${n}`).join(', ')}`);
		}
		const baseline = first('baseline');
		const queued = first('queue');
		const speedUp = baseline && queued ? round(baseline.wallMs / queued.wallMs, 2) : null;
		if (speedUp !== null) lines.push(`  first sync: ${speedUp}× the sequential baseline`);
		lines.push(JSON.stringify({ bench: 'queue', mode: 'queue', size: options.size ?? null, tenant: { users: options.users, contacts: options.contacts, activities: options.activities, events: options.events }, machine: { cpus: os.cpus().length, node: process.version }, concurrency: options.concurrency ?? null, speedUp, ...result }));
		process.stdout.write(`${lines.join('\n')}\n`);
		return;
	}
	progress(`generating the tenant: ${options.users} users, ${options.contacts} contacts, ${options.activities} activities (${options.attendees} attendees), ${options.events} events; ${options.latencyMs} ms per request${options.workflowHeapMb === undefined ? '' : `; workflow heap limit ${options.workflowHeapMb} MB`}`);
	const emulators = await startTenant(options);
	if (options.keepAliveMs !== undefined) {
		for (const emulator of [emulators.ln, emulators.graph]) {
			const server = (emulator as unknown as { server?: { keepAliveTimeout: number } }).server;
			if (server) server.keepAliveTimeout = options.keepAliveMs;
		}
	}
	const access: EmulatorAccess = {
		ln: { ionapi: JSON.parse(emulators.env.LN_IONAPI), company: emulators.env.LN_COMPANY },
		graph: {
			url: emulators.graph.url,
			loginUrl: emulators.graph.loginUrl,
			tenantId: emulators.graph.tenantId,
			clientId: emulators.graph.app.clientId,
			clientSecret: emulators.graph.app.clientSecret,
		},
	};
	// The nodes as built now, for all runs (dist/ may be rebuilt meanwhile by someone else).
	const distDir = path.join(ROOT, '.cache', 'bench', `dist-${process.pid}`);
	fs.rmSync(distDir, { recursive: true, force: true });
	fs.cpSync(path.join(ROOT, 'dist'), distDir, { recursive: true });
	let product: SeriesResult;
	let baseline: SeriesResult | undefined;
	let peer: { sampleUsers: number; users: number; scale: number; scaled: boolean; measured: RunFigures[]; runs: RunFigures[] } | undefined;
	const concurrency = options.concurrency ?? Number(settingOf(workflow, 'mailboxesAtATime')?.value ?? 8);
	const lnRequests = options.lnRequests ?? options.concurrency;
	try {
		if (options.compare) {
			progress('baseline: one mailbox and one LN request at a time');
			baseline = await runSeries('product', emulators, options, { ...access, ln: { ...access.ln, maxConcurrentRequests: 1 } }, horizonDays, distDir, withMailboxesAtATime(workflow, 1));
			emulators.ln.seed(emulators.tenant.ln);
			emulators.graph.seed(emulators.tenant.graph);
		}
		const productAccess = lnRequests === undefined ? access : { ...access, ln: { ...access.ln, maxConcurrentRequests: lnRequests } };
		const asked = withMailboxesAtATime(workflow, concurrency);
		product = await runSeries('product', emulators, options, productAccess, horizonDays, distDir, options.sideBySide ? withSettings(asked, { shardsOnWorkers: true, ...(options.usersPerShard ? { usersPerShard: options.usersPerShard } : {}) }) : asked);
		if (options.peer) {
			// The same data again: a fresh copy of the generated tenant.
			emulators.ln.seed(emulators.tenant.ln);
			emulators.graph.seed(emulators.tenant.graph);
			const measured = (await runSeries('peer', emulators, options, access, horizonDays, distDir, workflow)).runs;
			const users = emulators.ln.list(emulators.env.LN_COMPANY, 'syncUsers').filter((u) => u.active === 'Yes').length;
			const userRuns = Number((measured[0].report as { userRuns?: number } | undefined)?.userRuns ?? users);
			const scale = users / Math.max(1, userRuns);
			peer = { sampleUsers: userRuns, users, scale: round(scale, 4), scaled: scale !== 1, measured, runs: scale === 1 ? measured : measured.map((r) => scaleRun(r, scale)) };
		}
	} finally {
		await emulators.stop();
		fs.rmSync(distDir, { recursive: true, force: true });
	}

	const summary = emulators.tenant.summary;
	const out: string[] = [];
	out.push(`Pull-sync benchmark — ${options.size ? `size ${options.size}: ` : ''}${summary.users.sync} sync users, ${summary.contacts.total} LN contacts (${summary.contacts.synchronizable} to synchronize), ${summary.activities.total} LN activities (${summary.activities.attendees} attendees), ${summary.events.total} Exchange events; ${options.latencyMs} ms added per request; ${os.cpus().length} CPUs, Node ${process.version}; load average ${loadAtStart.join('/')} at the start, ${os.loadavg().map((n) => n.toFixed(2)).join('/')} at the end`);
	if (baseline) printRuns('BASELINE — workflows/pull-sync.json, one mailbox and one LN request at a time', baseline.runs, out);
	printRuns(`PRODUCT — workflows/pull-sync.json, ${concurrency} mailboxes at a time${options.sideBySide ? ', contact folders and calendars side by side (shardsOnWorkers in one process)' : ''}`, product.runs, out);
	const speedUp = baseline
		? Object.fromEntries(product.runs.map((run) => [run.phase, round(runOf(baseline!.runs, run.phase).wallMs / Math.max(1, run.wallMs), 2)]))
		: null;
	if (speedUp) {
		out.push('\nSPEED-UP over the sequential baseline (wall time)');
		for (const [phase, factor] of Object.entries(speedUp)) out.push(`  ${PHASE_TITLE[phase as Phase]}: ${fmt(factor, 2)}×`);
	}
	if (peer) {
		printRuns(
			peer.scaled
				? `PEER — stock Microsoft Outlook node, one lookup + one write per item — run for ${peer.sampleUsers} of ${peer.users} users, figures SCALED ×${fmt(peer.scale, 2)} (peak RSS as measured)`
				: 'PEER — stock Microsoft Outlook node, one lookup + one write per item',
			peer.runs,
			out,
		);
		out.push('\nPEER ÷ PRODUCT');
		for (const phase of PHASES) {
			const a = runOf(product.runs, phase);
			const b = runOf(peer.runs, phase);
			out.push(`  ${PHASE_TITLE[phase]}: Graph requests ${fmt(b.graph.requests / Math.max(1, a.graph.requests), 1)}× · LN requests ${fmt(b.ln.requests / Math.max(1, a.ln.requests), 1)}× · wall time ${fmt(b.wallMs / Math.max(1, a.wallMs), 1)}×`);
		}
	}
	const goals = targets(product, peer, options);
	if (speedUp) goals.push({ target: 'first sync ≥ 3× faster than the sequential baseline', met: speedUp.first >= 3, figures: `${fmt(speedUp.first, 2)}× (${fmt(runOf(baseline!.runs, 'first').wallMs / 1000, 1)} s → ${fmt(runOf(product.runs, 'first').wallMs / 1000, 1)} s)` });
	const throttled = product.runs.reduce((sum, run) => sum + run.mailboxConcurrency429, 0);
	goals.push({ target: 'Graph per-mailbox concurrency never exceeded (429 MailboxConcurrency: 0)', met: throttled === 0, figures: `${fmt(throttled)} in ${product.runs.length} runs` });
	out.push('\nTARGETS');
	for (const t of goals) out.push(`  [${t.met === null ? ' ? ' : t.met ? 'met' : 'MISSED'}] ${t.target}: ${t.figures}`);
	const json = {
		bench: 'pull-sync',
		size: options.size ?? null,
		tenant: { users: options.users, contacts: options.contacts, activities: options.activities, attendeesPerActivity: options.attendees, events: options.events, seed: options.seed, summary: { syncUsers: summary.users.sync, synchronizableContacts: summary.contacts.synchronizable, attendees: summary.activities.attendees, events: summary.events.total } },
		latencyMs: options.latencyMs,
		mode: options.sideBySide ? 'sideBySide' : 'single',
		workers: 1,
		concurrency: { mailboxesAtATime: concurrency, lnRequests: lnRequests ?? null },
		baseline: baseline ? { runs: baseline.runs } : null,
		speedUp,
		workflowHeapMb: options.workflowHeapMb ?? null,
		emulators: { keepAliveMs: options.keepAliveMs ?? null, peakRssMb: round(process.resourceUsage().maxRSS / 1024, 1) },
		// Other processes on the machine slow the runs down: the 1/5/15-minute load averages.
		machine: { cpus: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}`, loadAverage: { atStart: loadAtStart, atEnd: os.loadavg().map((n) => round(n, 2)) } },
		product: { runs: product.runs, lnPagesNeeded: product.lnPagesNeeded },
		peer: peer ?? null,
		ratios: peer
			? Object.fromEntries(
					PHASES.map((phase) => {
						const a = runOf(product.runs, phase);
						const b = runOf(peer!.runs, phase);
						return [
							phase,
							{
								graphRequests: round(b.graph.requests / Math.max(1, a.graph.requests), 2),
								lnRequests: round(b.ln.requests / Math.max(1, a.ln.requests), 2),
								wallTime: round(b.wallMs / Math.max(1, a.wallMs), 2),
							},
						];
					}),
				)
			: null,
		targets: goals,
	};
	out.push(JSON.stringify(json));
	process.stdout.write(`${out.join('\n')}\n`);
}

if (require.main === module) {
	main().catch((error) => {
		process.stderr.write(`${String(error?.stack ?? error)}\n`);
		process.exit(1);
	});
}
