/**
 * What the status page shows, from the run history, the push subscriptions and (when asked) the
 * report of a dry run: per sync user the last run, the last successful one and the last error; a
 * trend per day; subscriptions and their expiry; what waits for the administrator.
 */
import { mailboxOfResource } from '../graph/subscriptions';
import type { HistoryRow } from './history';

export const TREND_DAYS = 30;
/** A subscription that expires sooner than this is shown as expiring (the push workflow renews every 6 hours). */
const EXPIRING_MS = 12 * 3_600_000;
/** Conflicts listed on the page: the recent ones, newest first. */
const CONFLICT_DAYS = 7;
const CONFLICTS_SHOWN = 50;

export interface Line {
	ref: string;
	message: string;
	class?: string;
}

export interface UserStatus {
	mailbox: string;
	lnUser: string;
	lastRunAt: string;
	lastStatus: string;
	lastSuccessAt?: string;
	lastError?: { at: string; classes: string; message: string };
	written: number;
	conflicts: number;
	skipped: number;
	errors: number;
	durationMs: number;
}

export interface TrendDay {
	day: string;
	runs: number;
	written: number;
	errors: number;
	/** Longest run of the day. */
	durationMs: number;
}

export interface SubscriptionStatus {
	mailbox: string;
	resource: string;
	expiresAt: string;
	state: 'active' | 'expiring' | 'expired';
}

export interface Waiting {
	mailbox: string;
	at: string;
	kind: 'brake' | 'conflict';
	text: string;
}

export interface PlanLine {
	mailbox: string;
	ref: string;
	message: string;
}

export interface StatusModel {
	generatedAt: string;
	lastRun?: { at: string; status: string; users: number; written: number; errors: number; durationMs: number; workflow: string };
	users: UserStatus[];
	trend: TrendDay[];
	subscriptions: SubscriptionStatus[];
	waiting: Waiting[];
	/** Present when the page was asked for the next run's plan. */
	plan?: PlanLine[];
}

export interface SubscriptionLike {
	resource?: string | null;
	expirationDateTime?: string | null;
}

export interface PlanReport {
	kind?: string;
	mailbox?: string;
	planned?: Array<{ ref: string; message: string }>;
}

/** History rows as they come back from the Data Table (numbers and booleans may arrive as text). */
export type StoredRow = Partial<Record<keyof HistoryRow, unknown>> & { createdAt?: unknown };

function text(value: unknown): string {
	if (value instanceof Date) return value.toISOString();
	return value === null || value === undefined ? '' : String(value);
}

function number(value: unknown): number {
	const n = Number(value);
	return Number.isFinite(n) ? n : 0;
}

function flag(value: unknown): boolean {
	return value === true || value === 'true' || value === 1;
}

/** A JSON list kept in a text column; anything else reads as empty. */
function listOf(value: unknown): unknown[] {
	try {
		const parsed = JSON.parse(text(value) || '[]') as unknown;
		return Array.isArray(parsed) ? parsed : [];
	} catch {
		return [];
	}
}

function linesOf(value: unknown): Line[] {
	return listOf(value).filter((line): line is Line => typeof line === 'object' && line !== null && 'message' in line);
}

function failed(row: StoredRow): boolean {
	return number(row.errors) > 0 || row.status === 'braked';
}

function at(row: StoredRow): string {
	return text(row.startedAt) || text(row.createdAt);
}

export function buildStatus(input: {
	rows: StoredRow[];
	/** The sync users now (from LN): each gets a line, also one that had nothing to report for 30 days. */
	syncUsers?: Array<{ mailbox: string; lnUser?: string }>;
	subscriptions?: SubscriptionLike[];
	plan?: PlanReport[];
	now: Date;
}): StatusModel {
	const now = input.now.getTime();
	// Dry runs change nothing: they show up only as the plan.
	const rows = input.rows.filter((row) => !flag(row.dryRun) && !Number.isNaN(Date.parse(at(row)))).sort((a, b) => Date.parse(at(b)) - Date.parse(at(a)));
	const userRows = new Map<string, StoredRow[]>();
	for (const row of rows) {
		const mailbox = text(row.mailbox).toLowerCase();
		if (row.kind !== 'user' || !mailbox) continue;
		userRows.set(mailbox, [...(userRows.get(mailbox) ?? []), row]);
	}
	// Runs that covered every sync user (pulls): a user without a row in one had nothing to report.
	const pulls = rows.filter((row) => row.kind === 'total' && flag(row.everyUser));
	const lnUsers = new Map((input.syncUsers ?? []).map((u) => [u.mailbox.toLowerCase(), u.lnUser ?? '']));
	const mailboxes = [...new Set([...lnUsers.keys(), ...userRows.keys()])].sort();
	const users = mailboxes.map((mailbox): UserStatus => {
		const own = userRows.get(mailbox) ?? [];
		const failedIn = new Set(own.filter((row) => failed(row)).map((row) => text(row.execution)));
		const quietPull = pulls.find((pull) => !own.some((row) => row.execution === pull.execution));
		const latestRow = own[0];
		const quietIsNewer = quietPull && (!latestRow || Date.parse(at(quietPull)) > Date.parse(at(latestRow)));
		const success = [...own.filter((row) => !failed(row)).map(at), ...pulls.filter((pull) => !failedIn.has(text(pull.execution))).map(at)].sort().pop();
		const error = own.find((row) => number(row.errors) > 0);
		const firstError = error ? linesOf(error.errorLines)[0] : undefined;
		const last = quietIsNewer || !latestRow ? undefined : latestRow;
		return {
			mailbox,
			lnUser: lnUsers.get(mailbox) || text(latestRow?.lnUser),
			lastRunAt: last ? at(last) : quietPull ? at(quietPull) : '',
			lastStatus: last ? text(last.status) : quietPull ? 'ok' : 'none',
			...(success ? { lastSuccessAt: success } : {}),
			...(error ? { lastError: { at: at(error), classes: text(error.errorClasses), message: firstError ? `${firstError.ref}: ${firstError.message}` : '' } } : {}),
			written: number(last?.written),
			conflicts: number(last?.conflicts),
			skipped: number(last?.skipped),
			errors: number(last?.errors),
			durationMs: number(last?.durationMs),
		};
	});
	const total = rows.find((row) => row.kind === 'total');
	const trend = trendOf(rows, input.now);
	const subscriptions = (input.subscriptions ?? [])
		.map((s) => {
			const expires = Date.parse(text(s.expirationDateTime));
			const state: SubscriptionStatus['state'] = Number.isNaN(expires) || expires <= now ? 'expired' : expires - now < EXPIRING_MS ? 'expiring' : 'active';
			return { mailbox: mailboxOfResource(s.resource) ?? '', resource: text(s.resource), expiresAt: text(s.expirationDateTime), state };
		})
		.sort((a, b) => a.mailbox.localeCompare(b.mailbox) || a.resource.localeCompare(b.resource));
	const waiting: Waiting[] = [];
	// A brake stop waits until a run of that user goes through: only the user's latest run counts.
	for (const [mailbox, [row]] of userRows) {
		if (row.status !== 'braked') continue;
		for (const stop of listOf(row.brake)) if (typeof stop === 'string') waiting.push({ mailbox, at: at(row), kind: 'brake', text: stop });
	}
	const conflictSince = now - CONFLICT_DAYS * 86_400_000;
	const conflicts = rows
		.filter((row) => row.kind === 'user' && Date.parse(at(row)) >= conflictSince)
		.flatMap((row) => linesOf(row.conflictLines).map((line) => ({ mailbox: text(row.mailbox).toLowerCase(), at: at(row), kind: 'conflict' as const, text: `${line.ref}: ${line.message}` })));
	waiting.push(...conflicts.slice(0, CONFLICTS_SHOWN));
	const plan = input.plan
		?.filter((report) => report.kind === 'user')
		.flatMap((report) => (report.planned ?? []).map((line) => ({ mailbox: text(report.mailbox), ref: line.ref, message: line.message })));
	return {
		generatedAt: input.now.toISOString(),
		...(total
			? {
					lastRun: {
						at: at(total),
						status: text(total.status),
						users: rows.filter((row) => row.kind === 'user' && row.execution === total.execution).length,
						written: number(total.written),
						errors: number(total.errors),
						durationMs: number(total.durationMs),
						workflow: text(total.workflow),
					},
				}
			: {}),
		users,
		trend,
		subscriptions,
		waiting,
		...(plan ? { plan } : {}),
	};
}

/** One entry per UTC day of the last TREND_DAYS days, oldest first, from the runs' totals. */
function trendOf(rows: StoredRow[], now: Date): TrendDay[] {
	const days: TrendDay[] = [];
	const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
	for (let i = TREND_DAYS - 1; i >= 0; i--) {
		days.push({ day: new Date(today - i * 86_400_000).toISOString().slice(0, 10), runs: 0, written: 0, errors: 0, durationMs: 0 });
	}
	const byDay = new Map(days.map((d) => [d.day, d]));
	for (const row of rows) {
		if (row.kind !== 'total') continue;
		const day = byDay.get(new Date(Date.parse(at(row))).toISOString().slice(0, 10));
		if (!day) continue;
		day.runs += 1;
		day.written += number(row.written);
		day.errors += number(row.errors);
		day.durationMs = Math.max(day.durationMs, number(row.durationMs));
	}
	return days;
}
