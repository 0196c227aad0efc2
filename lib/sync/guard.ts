import type { DateTime } from 'luxon';

import { normalizeEmail } from './canonical';
import type { LnActivity, LnAttendee } from './model';
import type { SyncUserIndex } from './sync-users';

/**
 * Who may change an LN activity from Exchange. An Exchange item names its activity in link
 * properties that the mailbox owner can write too, so a change read from Exchange reaches LN only
 * when LN itself confirms the link: the mailbox's sync user takes part in the activity (as its meeting
 * organizer or an invited attendee), and, for changes to the activity itself, the activity's reference
 * is the item's iCalUId.
 */
export interface Involvement {
	role: 'organizer' | 'attendee';
	line: LnAttendee;
}

/** The attendee line of the mailbox's sync user on the activity, if any. */
export function lineOf(activity: LnActivity, mailbox: string, users: SyncUserIndex): LnAttendee | undefined {
	const wanted = normalizeEmail(mailbox);
	return activity.attendees.find((a) => normalizeEmail(users.forAttendee(a)?.email ?? '') === wanted);
}

export function involvementOf(activity: LnActivity, mailbox: string, users: SyncUserIndex): Involvement | undefined {
	const line = lineOf(activity, mailbox, users);
	if (!line) return undefined;
	if (line.role === 'MeetingOrganizer') return { role: 'organizer', line };
	if (line.invite) return { role: 'attendee', line };
	return undefined;
}

export interface LinkGuard {
	/** The mailbox whose item asks for the change. */
	mailbox: string;
	/** The iCalUId of that item (an occurrence's own iCalUId for an occurrence). */
	iCalUId?: string;
	/**
	 * `activity`: the activity's own fields, status or attendee list (needs the reference to match);
	 * `ownLine`: only the flags or attendance of the mailbox user's own attendee line.
	 */
	scope: 'activity' | 'ownLine';
}

/**
 * Why a change asked for by an Exchange item must not reach this activity; undefined when it may.
 * With `now`, a past activity is refused too (past events are never changed).
 */
export function guardFailure(activity: LnActivity, guard: LinkGuard, users: SyncUserIndex, now?: DateTime): string | undefined {
	const label = `LN activity ${activity.id}`;
	if (now && activity.end && Date.parse(activity.end) < now.toMillis()) return `${label} is in the past: never changed`;
	if (!users.isSyncMailbox(guard.mailbox)) return `${guard.mailbox} is not an active sync user; ${label} is not changed from it`;
	if (!involvementOf(activity, guard.mailbox, users)) {
		return `${guard.mailbox} is neither the meeting organizer nor an invited attendee of ${label}; its Exchange item may not change it`;
	}
	if (guard.scope === 'ownLine') return undefined;
	if (!guard.iCalUId || String(activity.reference ?? '') !== guard.iCalUId) {
		return `${label} refers to ${activity.reference ? `Exchange item ${activity.reference}` : 'no Exchange item'}, not to the item ${guard.iCalUId ?? '(without iCalUId)'} in ${guard.mailbox}; not changed from it`;
	}
	return undefined;
}
