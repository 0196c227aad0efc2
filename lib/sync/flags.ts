import type { LnActivity, LnAttendee } from './model';

/**
 * The attendee flags of Infor's synchronizer, decided in this one place:
 * - **Sent to Synchronizer** = Yes when the synchronizer takes the event for this attendee: the
 *   meeting organizer of a meeting it keeps, an invited attendee of such a meeting, or an invited
 *   sync user who gets the event in their own calendar;
 * - **Synchronized** = Yes exactly when, besides, the event exists for the attendee in Exchange: for a
 *   sync user, in their own calendar; for anyone else, on the organizer's meeting's attendee list.
 * An attendee the synchronizer no longer takes (un-invited, activity cancelled) gets No and No.
 */
export interface AttendeeFacts {
	/** The synchronizer takes the event for this attendee. */
	inScope: boolean;
	/** The event exists for the attendee in Exchange. */
	exists: boolean;
}

export interface FlagValues {
	sentToSynchronizer: boolean;
	synchronized: boolean;
}

export function attendeeFlags(facts: AttendeeFacts): FlagValues {
	return { sentToSynchronizer: facts.inScope, synchronized: facts.inScope && facts.exists };
}

export interface FlagUpdate {
	activity: string;
	sequence: number;
	/** The attendee's ETag as read with the activity: the write needs no read of its own first. */
	etag?: string;
	sentToSynchronizer?: boolean;
	synchronized?: boolean;
}

/** The write that gives an attendee line the flags its facts call for, or nothing when it has them. */
export function flagWrite(activity: LnActivity, attendee: LnAttendee, facts: AttendeeFacts): FlagUpdate | undefined {
	const want = attendeeFlags(facts);
	if (attendee.sentToSynchronizer === want.sentToSynchronizer && attendee.synchronized === want.synchronized) return undefined;
	return { activity: activity.id, sequence: attendee.sequence, etag: attendee.etag, ...want };
}
