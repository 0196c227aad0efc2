import type { Event } from '@microsoft/microsoft-graph-types';

import { factsOf, type ActivityPlanItem, type EventPlan, type ExchangeWrite } from './event-plan';
import { organizerOf } from './canonical';
import { flagWrite, type FlagUpdate } from './flags';
import type { LnActivity } from './model';
import type { SyncUserIndex } from './sync-users';

/** What became of one planned Exchange write. */
export interface WriteOutcome {
	write: ExchangeWrite;
	ok: boolean;
	status: number;
	event?: Event;
	error?: string;
}

export interface Settlement {
	plan: EventPlan;
	/** The LN activities the plan was made from, by id (their attendee lines carry the current flags). */
	activities: Map<string, LnActivity>;
	/** Outcomes of each item's writes, in the order of `item.exchange`; none for a dry run. */
	outcomes: Map<ActivityPlanItem, WriteOutcome[]>;
	/** `activity|sequence` of sync-user attendees whose copy of a meeting created in this run is in their calendar. */
	copiesFound: Set<string>;
	dryRun: boolean;
}

/**
 * Plan + outcomes → what LN gets: a failed write makes its item fail and claim nothing in LN; a
 * created event gives LN its reference; every attendee line decided by the plan gets the flags its
 * facts call for (flags.ts), only where they differ from what LN has. Pure.
 */
export function settleActivityPlan(settlement: Settlement): ActivityPlanItem[] {
	return settlement.plan.items.map((planned) => {
		const item: ActivityPlanItem = { ...planned, exchange: [...planned.exchange], lines: [...planned.lines], attendance: [...planned.attendance], seriesLinks: [...planned.seriesLinks], warnings: [...planned.warnings] };
		const outcomes = settlement.outcomes.get(planned) ?? [];
		const failed = outcomes.find((o) => !o.ok);
		if (failed) {
			item.action = 'fail';
			item.reason = `Exchange refused ${failed.write.op} for activity ${item.activity} in ${item.mailbox}: ${failed.error}`;
			item.flags = [];
			item.attendance = [];
			item.seriesLinks = [];
			item.update = undefined;
			return item;
		}
		const created = outcomes.find((o) => o.write.op === 'create')?.event;
		if (created) {
			item.eventId = created.id ?? undefined;
			item.iCalUId = created.iCalUId ?? undefined;
			if (item.update?.referenceFromCreatedEvent) {
				item.update = { ...item.update, fields: { ...item.update.fields, reference: created.iCalUId }, referenceFromCreatedEvent: false };
			}
		}
		item.flags = flagsOf(item, settlement);
		return item;
	});
}

function flagsOf(item: ActivityPlanItem, settlement: Settlement): FlagUpdate[] {
	const activity = settlement.activities.get(item.activity);
	if (!activity) return [];
	const bySequence = new Map<number, FlagUpdate | undefined>();
	for (const decision of item.lines) {
		const line = activity.attendees.find((a) => a.sequence === decision.sequence);
		if (!line) continue;
		const facts = factsOf(decision, (sequence) => settlement.copiesFound.has(`${item.activity}|${sequence}`));
		bySequence.set(decision.sequence, flagWrite(activity, line, facts));
	}
	return [...bySequence.values()].filter((flag): flag is FlagUpdate => flag !== undefined);
}

/**
 * The other sync users whose own runs decide something this run just changed under them (a meeting
 * created, changed or cancelled, LN's reference moved): a pull checks them once more after every
 * user's first run, so one pull settles all. Every invited sync user counts, also one whose line this
 * run decided: mailboxes run side by side, so that user's own run may have decided the same line from
 * the calendar as it was before. `waitingFor`: the organizers whose runs this mailbox waits for (the
 * meeting is not in its calendar yet); it is checked again once one of them has run without failing.
 */
export function mailboxesToCheckAgain(items: ActivityPlanItem[], activities: Map<string, LnActivity>, users: SyncUserIndex, mailbox: string): { again: string[]; waitingFor: string[] } {
	const again = new Set<string>();
	const waitingFor = new Set<string>();
	const self = mailbox.toLowerCase();
	for (const item of items) {
		const activity = activities.get(item.activity);
		if (!activity || item.action === 'fail') continue;
		const touchedMeeting = item.exchange.some((w) => w.op !== 'patch' || Object.keys(w.body).some((k) => k !== 'singleValueExtendedProperties'));
		const movedReference = item.update?.fields.reference !== undefined || item.update?.referenceFromCreatedEvent === true;
		// Invited attendees go by the organizer line's Sent to Synchronizer: when this run changes it, they look again.
		const organizerLine = organizerOf(activity);
		const organizerSentChanged = organizerLine !== undefined && item.lines.some((l) => l.sequence === organizerLine.sequence && l.inScope !== organizerLine.sentToSynchronizer);
		if (touchedMeeting || movedReference || organizerSentChanged) {
			for (const line of activity.attendees) {
				const user = users.forAttendee(line);
				if (!user || user.email.toLowerCase() === self) continue;
				again.add(user.email.toLowerCase());
			}
		}
		if (item.reason?.startsWith('waiting for')) {
			const organizerLine = organizerOf(activity);
			const organizer = organizerLine ? users.forAttendee(organizerLine)?.email.toLowerCase() : undefined;
			if (organizer && organizer !== self) waitingFor.add(organizer);
			else again.add(self);
		}
	}
	return { again: [...again].sort(), waitingFor: [...waitingFor].sort() };
}
