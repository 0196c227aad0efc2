/**
 * The run history: each run's report lines as rows of one flat table (an n8n Data Table), so they
 * outlive n8n's pruning of executions. One row per sync user and one for the run's total. Only what
 * the run report shows is kept — counts, reasons, error classes and messages (secrets redacted),
 * durations, request counts — never a credential, a token or a record's body.
 */
import { redact } from '../http/redact';
import { COUNTERS, type Counter, type ReportEntry, type ReportError, type RunReport } from '../sync/report';

/** The Data Table the shipped workflows keep the history in (made on first use). */
export const HISTORY_TABLE = 'LN Exchange Sync history';

export type ColumnType = 'string' | 'number' | 'boolean' | 'date';

/** Columns of the history table, in the order they are made. */
export const HISTORY_COLUMNS: ReadonlyArray<{ name: keyof HistoryRow; type: ColumnType }> = [
	{ name: 'startedAt', type: 'date' },
	{ name: 'execution', type: 'string' },
	{ name: 'workflow', type: 'string' },
	{ name: 'kind', type: 'string' },
	{ name: 'mailbox', type: 'string' },
	{ name: 'lnUser', type: 'string' },
	{ name: 'status', type: 'string' },
	{ name: 'dryRun', type: 'boolean' },
	{ name: 'everyUser', type: 'boolean' },
	{ name: 'durationMs', type: 'number' },
	{ name: 'written', type: 'number' },
	{ name: 'conflicts', type: 'number' },
	{ name: 'skipped', type: 'number' },
	{ name: 'errors', type: 'number' },
	{ name: 'requestsLn', type: 'number' },
	{ name: 'requestsGraph', type: 'number' },
	{ name: 'errorClasses', type: 'string' },
	{ name: 'counts', type: 'string' },
	{ name: 'errorLines', type: 'string' },
	{ name: 'conflictLines', type: 'string' },
	{ name: 'skippedLines', type: 'string' },
	{ name: 'brake', type: 'string' },
];

export interface HistoryRow {
	startedAt: string;
	execution: string;
	workflow: string;
	kind: 'user' | 'total';
	mailbox: string;
	lnUser: string;
	status: RunReport['status'];
	dryRun: boolean;
	/** The run synchronized every sync user (a pull): a user with no row in it had nothing to report. */
	everyUser: boolean;
	durationMs: number;
	/** Items written in either system (created, updated, cancelled, deleted, linked, flags, responses). */
	written: number;
	conflicts: number;
	skipped: number;
	errors: number;
	requestsLn: number;
	requestsGraph: number;
	/** Comma-separated error classes, for a filter in the Data Table view. */
	errorClasses: string;
	/** JSON: the counters that are not zero. */
	counts: string;
	/** JSON lists of report lines, the first LINES_KEPT of each. */
	errorLines: string;
	conflictLines: string;
	skippedLines: string;
	brake: string;
}

/** Report lines kept per row and list; the counts stay exact. */
export const LINES_KEPT = 20;
const MESSAGE_LENGTH = 400;

const NOT_WRITES: ReadonlySet<Counter> = new Set(['contactsUnchanged', 'eventsUnchanged', 'conflicts']);

export function writtenOf(counts: Partial<Record<Counter, number>>): number {
	return COUNTERS.filter((c) => !NOT_WRITES.has(c)).reduce((sum, c) => sum + Number(counts[c] ?? 0), 0);
}

export interface HistoryContext {
	execution: string;
	workflow: string;
	everyUser: boolean;
}

/**
 * A pull keeps its total and the lines of users with something to report (a write, a conflict, a
 * warning, an error, a brake stop; their skipped items then too): at thousands of mailboxes
 * and a pull an hour, a row per quiet user would fill n8n's Data Table limit in days; a quiet user
 * of a run that covered every sync user is read from that run's total. A push keeps its lines only
 * when it did something.
 */
export function worthKeeping(report: Partial<RunReport>, everyUser: boolean): boolean {
	// The total of a pull stands for its quiet users; a push that did nothing (our own echo) is noise.
	if (report.kind === 'total' && everyUser) return true;
	// Skipped items alone do not count: a private event is skipped again every run.
	const lists = [report.errors, report.warnings, report.conflicts, report.brake, report.planned];
	return (report.status ?? 'ok') !== 'ok' || writtenOf(report.counts ?? {}) > 0 || Number(report.counts?.conflicts ?? 0) > 0 || lists.some((list) => (list?.length ?? 0) > 0);
}

/** The history row of one report line; throws, naming the field, for anything else. */
export function historyRow(report: Partial<RunReport>, context: HistoryContext): HistoryRow {
	if ((report.kind !== 'user' && report.kind !== 'total') || !report.counts || typeof report.mailbox !== 'string') {
		throw new Error('not a run report line: field kind must be "user" or "total", with the fields mailbox and counts');
	}
	const startedAt = Date.parse(String(report.startedAt));
	if (Number.isNaN(startedAt)) throw new Error(`run report of ${report.mailbox || 'the total'}: field startedAt is not a date (${String(report.startedAt)})`);
	// The transports redact the secrets they know; a Basic or Bearer credential is removed once more.
	const clean = (text: string) => redact(String(text), []).slice(0, MESSAGE_LENGTH);
	const lines = <T extends ReportEntry>(list: T[] | undefined, extra: (line: T) => Record<string, string> = () => ({})) =>
		JSON.stringify((list ?? []).slice(0, LINES_KEPT).map((line) => ({ ref: clean(line.ref), message: clean(line.message), ...extra(line) })));
	const counts = Object.fromEntries(Object.entries(report.counts).filter(([, n]) => Number(n) > 0));
	const errors = (report.errors ?? []) as ReportError[];
	return {
		startedAt: new Date(startedAt).toISOString(),
		execution: context.execution,
		workflow: context.workflow,
		kind: report.kind,
		mailbox: report.mailbox,
		lnUser: report.user ?? '',
		status: report.status ?? 'ok',
		dryRun: Boolean(report.dryRun),
		everyUser: context.everyUser,
		durationMs: Math.round(Number(report.durationMs ?? 0)),
		written: writtenOf(report.counts),
		conflicts: Number(report.counts.conflicts ?? 0),
		skipped: report.skipped?.length ?? 0,
		errors: errors.length,
		requestsLn: Number(report.requests?.ln ?? 0),
		requestsGraph: Number(report.requests?.graph ?? 0),
		errorClasses: [...new Set(errors.map((e) => e.class))].sort().join(', '),
		counts: JSON.stringify(counts),
		errorLines: lines(errors, (line) => ({ class: line.class })),
		conflictLines: lines(report.conflicts),
		skippedLines: lines(report.skipped),
		brake: JSON.stringify((report.brake ?? []).slice(0, LINES_KEPT).map(clean)),
	};
}
