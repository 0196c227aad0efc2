/**
 * The run report. Every operation of our nodes records what it did in the ledger of the
 * current execution; the report operation turns the ledger (and per-user reports returned by
 * sub-executions) into one item per sync user and a total. Ledgers live in this process only for
 * the length of an execution: an execution runs in one process, even in queue mode.
 */

import type { LeasedStateStore } from '../graph/sync-state';

export type ErrorClass = 'authentication' | 'permission' | 'transient' | 'data' | 'configuration' | 'other';

export const COUNTERS = [
	'contactsCreated',
	'contactsUpdated',
	'contactsRemoved',
	'contactsUnchanged',
	'eventsCreated',
	'eventsUpdated',
	'eventsCancelled',
	'eventsDeleted',
	'eventsLinked',
	'eventsUnchanged',
	'lnAppointmentsCreated',
	'lnActivitiesUpdated',
	'lnActivitiesCancelled',
	'flagsSet',
	'attendanceWritten',
	'conflicts',
] as const;
export type Counter = (typeof COUNTERS)[number];

export interface ReportEntry {
	ref: string;
	message: string;
}

export interface ReportError extends ReportEntry {
	class: ErrorClass;
}

export interface RequestCounts {
	ln: number;
	graph: number;
	byKind: Record<string, number>;
}

export interface MailboxReport {
	mailbox: string;
	user?: string;
	counts: Record<Counter, number>;
	conflicts: ReportEntry[];
	skipped: ReportEntry[];
	warnings: ReportEntry[];
	errors: ReportError[];
	/** In a dry run: the changes that would have been made. */
	planned: ReportEntry[];
	requests: RequestCounts;
	/** Sync users whose calendars this work changed under them: a pull checks them once more. */
	recheck?: string[];
	/** Organizers whose runs this mailbox waits for: it is checked again once one of them ran without failing. */
	waitingFor?: string[];
}

export interface RunReport extends MailboxReport {
	kind: 'user' | 'total';
	status: 'ok' | 'warnings' | 'errors' | 'braked';
	dryRun: boolean;
	durationMs: number;
	startedAt: string;
	users?: number;
	brake?: string[];
	/** On the total, when anything failed: who and which kinds of error, in one line (the execution's error message). */
	failures?: string;
}

/** Details kept per list; counts stay exact beyond it. */
export const LIST_LIMIT = 200;

/** One mailbox's calendar for one LN company: the key of its quiet read and of its settled mark. */
export const calendarKey = (company: string, mailbox: string) => `${company}|${mailbox.toLowerCase()}`;

function emptyCounts(): Record<Counter, number> {
	return Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
}

export function emptyMailboxReport(mailbox: string): MailboxReport {
	return { mailbox, counts: emptyCounts(), conflicts: [], skipped: [], warnings: [], errors: [], planned: [], requests: { ln: 0, graph: 0, byKind: {} } };
}

export class RunLedger {
	readonly startedAt = Date.now();
	private readonly mailboxes = new Map<string, MailboxReport>();
	dryRun = false;
	readonly brakes: string[] = [];
	touchedAt = Date.now();
	/** Set when this execution holds the leases of its mailboxes and loaded their state from the Data Table. */
	leasedState?: LeasedStateStore;
	/** The calendars whose changes this execution read and found none (settled.ts). */
	private readonly quietCalendars = new Set<string>();

	/** `''` collects what belongs to no single mailbox (e.g. reading LN contacts once for all). */
	for(mailbox: string | undefined): MailboxReport {
		const key = (mailbox ?? '').toLowerCase();
		let report = this.mailboxes.get(key);
		if (!report) {
			report = emptyMailboxReport(key);
			this.mailboxes.set(key, report);
		}
		this.touchedAt = Date.now();
		return report;
	}

	count(mailbox: string | undefined, counter: Counter, by = 1): void {
		this.for(mailbox).counts[counter] += by;
	}

	skip(mailbox: string | undefined, ref: string, message: string): void {
		pushLimited(this.for(mailbox).skipped, { ref, message });
	}

	warn(mailbox: string | undefined, ref: string, message: string): void {
		pushLimited(this.for(mailbox).warnings, { ref, message });
	}

	error(mailbox: string | undefined, ref: string, errorClass: ErrorClass, message: string): void {
		pushLimited(this.for(mailbox).errors, { ref, message, class: errorClass });
	}

	conflict(mailbox: string | undefined, ref: string, message: string): void {
		this.count(mailbox, 'conflicts');
		pushLimited(this.for(mailbox).conflicts, { ref, message });
	}

	calendarQuiet(company: string, mailbox: string): void {
		this.quietCalendars.add(calendarKey(company, mailbox));
	}

	isCalendarQuiet(company: string, mailbox: string): boolean {
		return this.quietCalendars.has(calendarKey(company, mailbox));
	}

	/** Asks the pull to check these sync users once more, after every user's first run. */
	checkAgain(mailbox: string | undefined, others: string[]): void {
		if (others.length === 0) return;
		const report = this.for(mailbox);
		report.recheck = [...new Set([...(report.recheck ?? []), ...others])].sort();
	}

	waitFor(mailbox: string | undefined, organizers: string[]): void {
		if (organizers.length === 0) return;
		const report = this.for(mailbox);
		report.waitingFor = [...new Set([...(report.waitingFor ?? []), ...organizers])].sort();
	}

	plan(mailbox: string | undefined, ref: string, message: string): void {
		this.dryRun = true;
		pushLimited(this.for(mailbox).planned, { ref, message });
	}

	request(service: 'ln' | 'graph', kind: string, mailbox?: string): void {
		const report = this.for(mailbox);
		report.requests[service]++;
		const label = `${service === 'ln' ? 'LN' : 'Graph'} ${kind}`;
		report.requests.byKind[label] = (report.requests.byKind[label] ?? 0) + 1;
	}

	all(): MailboxReport[] {
		return [...this.mailboxes.values()];
	}
}

function pushLimited<T>(list: T[], entry: T): void {
	if (list.length < LIST_LIMIT) list.push(entry);
}

const ledgers = new Map<string, RunLedger>();
const LEDGER_TTL_MS = 6 * 60 * 60 * 1000;

/** The ledger of an execution (created on first use). */
export function ledgerFor(executionId: string): RunLedger {
	const now = Date.now();
	for (const [id, ledger] of ledgers) if (now - ledger.touchedAt > LEDGER_TTL_MS) ledgers.delete(id);
	let ledger = ledgers.get(executionId);
	if (!ledger) {
		ledger = new RunLedger();
		ledgers.set(executionId, ledger);
	}
	return ledger;
}

export function dropLedger(executionId: string): void {
	ledgers.delete(executionId);
}

/** Adds one mailbox report into another (same mailbox, or into a total). */
export function mergeInto(target: MailboxReport, source: MailboxReport): void {
	for (const counter of COUNTERS) target.counts[counter] += source.counts[counter] ?? 0;
	for (const list of ['conflicts', 'skipped', 'warnings', 'planned'] as const) {
		for (const entry of source[list] ?? []) pushLimited(target[list], entry);
	}
	for (const entry of source.errors ?? []) pushLimited(target.errors, entry);
	if (source.recheck?.length) target.recheck = [...new Set([...(target.recheck ?? []), ...source.recheck])].sort();
	if (source.waitingFor?.length) target.waitingFor = [...new Set([...(target.waitingFor ?? []), ...source.waitingFor])].sort();
	target.requests.ln += source.requests?.ln ?? 0;
	target.requests.graph += source.requests?.graph ?? 0;
	for (const [kind, value] of Object.entries(source.requests?.byKind ?? {})) {
		target.requests.byKind[kind] = (target.requests.byKind[kind] ?? 0) + value;
	}
}

function statusOf(report: MailboxReport, braked: boolean): RunReport['status'] {
	if (braked) return 'braked';
	if (report.errors.length > 0) return 'errors';
	if (report.warnings.length > 0) return 'warnings';
	return 'ok';
}

/**
 * Per-user reports and a total from this execution's ledger plus reports that arrived as input
 * (from per-user sub-executions). Work that belongs to no mailbox counts in the total only.
 */
export function buildReports(
	ledger: RunLedger,
	incoming: Array<Partial<RunReport>>,
	users: Array<{ mailbox: string; user?: string }>,
	options: { includeTotal: boolean; now?: number },
): RunReport[] {
	const now = options.now ?? Date.now();
	const byMailbox = new Map<string, MailboxReport>();
	let dryRun = ledger.dryRun;
	const brakes = [...ledger.brakes];
	let startedAt = ledger.startedAt;
	/** Per-user reports from sub-executions keep their own timing. */
	const timing = new Map<string, { startedAt: number; durationMs: number }>();
	const take = (report: MailboxReport) => {
		const key = report.mailbox.toLowerCase();
		const target = byMailbox.get(key) ?? emptyMailboxReport(key);
		mergeInto(target, report);
		if (report.user) target.user = report.user;
		byMailbox.set(key, target);
	};
	for (const user of users) {
		const key = user.mailbox.toLowerCase();
		const target = byMailbox.get(key) ?? emptyMailboxReport(key);
		target.user = user.user;
		byMailbox.set(key, target);
	}
	for (const report of ledger.all()) take(report);
	for (const report of incoming) {
		if (report.kind === 'total' || !report.counts || report.mailbox === undefined) continue;
		take(report as MailboxReport);
		dryRun ||= Boolean(report.dryRun);
		if (report.brake) brakes.push(...report.brake);
		if (report.startedAt) {
			const reportStart = Date.parse(report.startedAt);
			startedAt = Math.min(startedAt, reportStart);
			const key = report.mailbox.toLowerCase();
			const known = timing.get(key);
			const end = Math.max(reportStart + Number(report.durationMs ?? 0), known ? known.startedAt + known.durationMs : 0);
			const start = Math.min(reportStart, known?.startedAt ?? reportStart);
			timing.set(key, { startedAt: start, durationMs: end - start });
		}
	}
	const shared = byMailbox.get('') ?? emptyMailboxReport('');
	byMailbox.delete('');
	const perUser: RunReport[] = [...byMailbox.values()]
		.sort((a, b) => a.mailbox.localeCompare(b.mailbox))
		.map((report) => {
			const braked = brakes.some((b) => b.startsWith(`${report.mailbox}:`));
			return {
				...report,
				kind: 'user' as const,
				status: statusOf(report, braked),
				dryRun,
				durationMs: timing.get(report.mailbox)?.durationMs ?? now - ledger.startedAt,
				startedAt: new Date(timing.get(report.mailbox)?.startedAt ?? ledger.startedAt).toISOString(),
				brake: brakes.filter((b) => b.startsWith(`${report.mailbox}:`)),
			};
		});
	if (!options.includeTotal) return perUser;
	const total = emptyMailboxReport('');
	mergeInto(total, shared);
	for (const report of perUser) mergeInto(total, report);
	const totalReport: RunReport = {
		...total,
		mailbox: '*',
		kind: 'total',
		status: statusOf(total, brakes.length > 0),
		dryRun,
		durationMs: now - startedAt,
		startedAt: new Date(startedAt).toISOString(),
		users: perUser.length,
		brake: brakes,
	};
	const failures = failureSummary(perUser, shared);
	if (failures) totalReport.failures = failures;
	return [...perUser, totalReport];
}

/**
 * "2 of 100 sync users failed: bob@… (permission); cat@… (transient ×2, data)", plus errors that
 * belong to no user; undefined when nothing failed.
 */
export function failureSummary(perUser: MailboxReport[], shared: MailboxReport): string | undefined {
	const classes = (report: MailboxReport) => {
		const counts = new Map<string, number>();
		for (const error of report.errors) counts.set(error.class, (counts.get(error.class) ?? 0) + 1);
		return [...counts.entries()].map(([name, n]) => (n > 1 ? `${name} ×${n}` : name)).join(', ');
	};
	const failed = perUser.filter((report) => report.errors.length > 0);
	const parts: string[] = [];
	if (failed.length > 0) {
		parts.push(`${failed.length} of ${perUser.length} sync user${perUser.length === 1 ? '' : 's'} failed: ${failed.map((r) => `${r.mailbox} (${classes(r)})`).join('; ')}`);
	}
	if (shared.errors.length > 0) parts.push(`${shared.errors.length} error${shared.errors.length === 1 ? '' : 's'} outside any user (${classes(shared)}): ${shared.errors[0].message}`);
	return parts.length > 0 ? parts.join('. ') : undefined;
}
