import { createHash } from 'node:crypto';
import type { DateTime } from 'luxon';
import type { ActivityPlanItem, EventPlan } from './event-plan';
import type { LnActivity, LnDeletedActivity, SyncUser } from './model';
import { LIST_LIMIT } from './report';

/**
 * A settled calendar: the last complete plan of a mailbox's LN activities against its calendar wrote
 * nothing and left nothing for later. Its mark, kept with the mailbox's cursors, holds a digest of all
 * that plan was made from and the report lines it gave. While the calendar's delta shows no change
 * (Get Changes forgets the mark at any change or full read) and the digest is the same, the next run
 * gives those lines again without reading the calendar or planning. The digest holds the UTC day: what
 * time alone changes (an event passing into the past) is planned in full once a day.
 */
export interface SettledMark {
	digest: string;
	/** Activities whose event was unchanged. */
	unchanged: number;
	skipped: ReportLine[];
	warnings: ReportLine[];
}

export interface ReportLine {
	ref: string;
	message: string;
}

/** Raised when anything the planner reads or decides by changes meaning. */
const MARK_VERSION = 1;

export interface SettledInputs {
	mailbox: string;
	company: string;
	activities: Array<LnActivity | LnDeletedActivity>;
	syncUsers: SyncUser[];
	now: DateTime;
	options: { horizonDays: number; policy: string; timeZone: string; brakeShare: number; brakeMinimum: number };
	/** The key links are signed with: a new one makes every link be checked again. */
	linkKey: Buffer;
}

/** The digest of what a mailbox's plan is made from (LN's activities as read, without the time they were read). */
export function settledDigest(inputs: SettledInputs): string {
	const activities = inputs.activities
		.map((activity) => ({ ...activity, readAt: undefined }))
		.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
	const users = [...inputs.syncUsers].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
	const hash = createHash('sha256');
	hash.update(
		JSON.stringify({
			version: MARK_VERSION,
			mailbox: inputs.mailbox.toLowerCase(),
			company: inputs.company,
			day: inputs.now.toUTC().toISODate(),
			options: inputs.options,
			users,
			activities,
		}),
	);
	hash.update(createHash('sha256').update(inputs.linkKey).digest());
	return hash.digest('base64url');
}

/**
 * The mark a finished plan leaves, or none: only a plan with no write of any kind, nothing provisional,
 * no lookup left, no brake and no other calendar to check again or wait for settles a calendar.
 */
export function settledMarkOf(digest: string, plan: EventPlan, items: ActivityPlanItem[], others: { again: string[]; waitingFor: string[] }): SettledMark | undefined {
	if (plan.brake || plan.presenceNeeded.length > 0 || others.again.length > 0 || others.waitingFor.length > 0) return undefined;
	const mark: SettledMark = { digest, unchanged: 0, skipped: [], warnings: [] };
	for (const item of items) {
		const wrote = item.exchange.length > 0 || item.update !== undefined || item.flags.length > 0 || item.attendance.length > 0 || item.seriesLinks.length > 0;
		if (wrote || item.conflict || item.provisional || (item.action !== 'unchanged' && item.action !== 'skip')) return undefined;
		const ref = `activity ${item.activity}`;
		// No more lines than a report keeps: the mark stays small in the mailbox's row.
		if (item.action === 'unchanged') mark.unchanged++;
		else if (item.reason && mark.skipped.length < LIST_LIMIT) mark.skipped.push({ ref, message: item.reason });
		for (const message of item.warnings) if (mark.warnings.length < LIST_LIMIT) mark.warnings.push({ ref, message });
	}
	return mark;
}
