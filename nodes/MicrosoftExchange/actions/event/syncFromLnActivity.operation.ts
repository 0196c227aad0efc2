import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { DateTime } from 'luxon';

import { syncActivities } from '../../../../lib/graph/calendar';
import { checkedLnCompany } from '../../../../lib/ln/contract';
import type { ActivityPlanItem } from '../../../../lib/sync/event-plan';
import { CONFLICT_POLICIES, type ConflictPolicy, type LnActivity, type LnDeletedActivity, type SyncUser } from '../../../../lib/sync/model';
import { ledgerFor, type RunLedger } from '../../../../lib/sync/report';
import { mailboxesToCheckAgain } from '../../../../lib/sync/settle';
import { settledDigest, settledMarkOf, type SettledMark } from '../../../../lib/sync/settled';
import { involvedMailboxes, SyncUserIndex } from '../../../../lib/sync/sync-users';
import { isValidZone, syncWindow } from '../../../../lib/sync/time';
import { company, dryRun, horizon, mailbox, mailboxesAtATime, mailboxValue, show, syncUsers } from '../../descriptions/common';
import { errorClassOf, isEmptyItem, mailboxesAtATimeOf, mapLimit, output, parseJson, syncStateOf, toNodeError } from '../../helpers/execute';
import { graphTransport, linkKeyOf } from '../../../shared/graph-transport';

const operations = ['syncFromLnActivity'];
const where = show('event', operations);

export const description: INodeProperties[] = [
	{
		displayName: 'Mailboxes',
		name: 'target',
		type: 'options',
		options: [
			{ name: 'One Mailbox', value: 'mailbox', description: 'The calendar of one sync user (a pull run per user)' },
			{
				name: 'Every Sync User Involved',
				value: 'involved',
				description: 'The organizer and the attendees who are sync users (push of one LN activity); a deleted activity is looked for in every sync user\'s calendar',
			},
		],
		default: 'mailbox',
		displayOptions: where,
	},
	{
		...mailbox('event', operations, 'The sync user whose calendar this run writes; the plan decides by the organizer and the invited attendees'),
		displayOptions: { show: { resource: ['event'], operation: operations, target: ['mailbox'] } },
	},
	company('event', operations),
	syncUsers('event', operations),
	{
		displayName: 'Input Holds All Activities of the Mailbox',
		name: 'complete',
		type: 'boolean',
		default: false,
		description:
			'Whether the input is every LN activity of this mailbox (a pull run): linked events of activities not in it are then cancelled or deleted',
		displayOptions: where,
	},
	{
		displayName: 'Conflict Policy',
		name: 'conflictPolicy',
		type: 'options',
		options: [
			{ name: 'Origin Wins', value: 'originWins', description: 'The side the event came from wins' },
			{ name: 'LN Wins', value: 'lnWins' },
			{ name: 'Exchange Wins', value: 'exchangeWins' },
		],
		default: 'originWins',
		description: 'Who wins when an event changed in LN and in Exchange since the last sync',
		displayOptions: where,
	},
	horizon('event', operations),
	{
		displayName: 'Time Zone',
		name: 'timeZone',
		type: 'string',
		default: '',
		placeholder: 'Europe/Berlin',
		description: 'The zone events are written in (IANA or Windows name); empty uses the time zone of the workflow',
		displayOptions: where,
	},
	{
		displayName: 'Brake Share',
		name: 'brakeShare',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
		default: 0.2,
		description: "Cancellations on either side (Exchange events, and LN appointments whose event was deleted in Exchange) stop and are reported when one run would cancel more than this share of the mailbox's linked future events",
		displayOptions: where,
	},
	{
		displayName: 'Brake Minimum',
		name: 'brakeMinimum',
		type: 'number',
		default: 5,
		description: 'The brake applies only from this many cancellations on',
		displayOptions: where,
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		options: [
			{ name: 'Every Activity', value: 'all', description: 'One item per activity and mailbox, with the action taken and the reason' },
			{
				name: 'Changes Only',
				value: 'changes',
				description: 'Leaves out the activities with nothing for LN to do and no warning: unchanged, or skipped (the run report lists each skip with its reason). A run without changes outputs nothing.',
			},
		],
		default: 'all',
		displayOptions: where,
	},
	mailboxesAtATime('event', operations),
	dryRun('event', operations),
];

/**
 * What "Changes Only" leaves out: unchanged or skipped, nothing for LN to write, no warning or conflict
 * (the run report lists a skip with its reason all the same).
 */
function isQuiet(item: ActivityPlanItem): boolean {
	return (item.action === 'unchanged' || item.action === 'skip') && !item.update && item.flags.length === 0 && item.attendance.length === 0 && item.warnings.length === 0 && !item.conflict;
}
/**
 * LN activities → Exchange events for a mailbox: create, update only what changed, cancel or
 * delete; Exchange-side changes and responses come back as LN updates, flags and statuses.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const ledger = ledgerFor(this.getExecutionId());
	const graph = await graphTransport.call(this);
	// Items are grouped by mailbox, company and completeness, each read from the item itself, so one
	// node can serve several paths (a pull per user, a pushed event, a pushed LN activity).
	const groups = new Map<string, number[]>();
	for (const index of items.map((_, i) => i)) {
		const lnCompany = String(this.getNodeParameter('company', index, '')).trim();
		const complete = this.getNodeParameter('complete', index, false) ? 'all' : 'some';
		let mailboxes: string[];
		if (this.getNodeParameter('target', index, 'mailbox') === 'involved') {
			if (Array.isArray(items[index].json.activities)) {
				throw new NodeOperationError(this.getNode(), `Item ${index} holds a list of activities; Mailboxes "Every Sync User Involved" takes one activity per item`, {
					itemIndex: index,
					description: 'Set Output of the Infor LN node that reads them to "One Item per Activity", or Mailboxes to "One Mailbox"',
				});
			}
			mailboxes = involvedIn(items[index].json, parseJson<SyncUser[]>(this.getNodeParameter('syncUsers', index, '[]'), 'Sync Users') ?? []);
		} else {
			mailboxes = [mailboxValue(this.getNodeParameter('mailbox', index))];
		}
		for (const mailbox of mailboxes) {
			const key = `${mailbox}|${lnCompany}|${complete}`;
			const group = groups.get(key);
			if (group) group.push(index);
			else groups.set(key, [index]);
		}
	}
	const out: INodeExecutionData[] = [];
	const changesOnly = this.getNodeParameter('output', 0, 'all') === 'changes';
	type Run =
		| { kind: 'done'; items: Array<{ item: ActivityPlanItem; inputs: number[] }>; isDryRun: boolean; mailbox: string }
		| { kind: 'settled'; mark: SettledMark; mailbox: string }
		| { kind: 'failed'; error: Error; indexes: number[]; mailbox: string };
	const atATime = mailboxesAtATimeOf(this, this.getNodeParameter('mailboxesAtATime', 0, undefined), 'Sync from LN activities');
	const runs = await mapLimit([...groups.entries()], atATime, async ([key, indexes]): Promise<Run> => {
		const [mailbox, lnCompany, completeness] = key.split('|');
		const first = indexes[0];
		try {
			if (!mailbox) throw new Error('field Mailbox is empty');
			checkedLnCompany(lnCompany);
			const users = parseJson<SyncUser[]>(this.getNodeParameter('syncUsers', first, '[]'), 'Sync Users') ?? [];
			const policy = this.getNodeParameter('conflictPolicy', first, 'originWins') as ConflictPolicy;
			if (!CONFLICT_POLICIES.includes(policy)) throw new Error(`Conflict Policy "${policy}" is not one of ${CONFLICT_POLICIES.join(', ')}`);
			const horizonDays = Number(this.getNodeParameter('horizonDays', first, 365));
			syncWindow(DateTime.utc(), horizonDays);
			const timeZone = String(this.getNodeParameter('timeZone', first, '') || this.getTimezone() || 'UTC');
			if (!isValidZone(timeZone)) throw new Error(`Time Zone "${timeZone}" is not a known IANA or Windows zone`);
			const activities: Array<LnActivity | LnDeletedActivity> = [];
			const inputOf = new Map<string, number>();
			let readAt: string | undefined;
			for (const index of indexes) {
				const json = items[index].json;
				// A read that failed upstream leaves this mailbox's list incomplete: nothing is cancelled on its account.
				if (completeness === 'all' && typeof json.error === 'string' && json.id === undefined) throw new UpstreamFailure(json.error);
				for (const entry of activitiesIn(json, index)) {
					if (isEmptyItem(entry) || entry.id === undefined) continue;
					const activity = entry as unknown as LnActivity | LnDeletedActivity;
					if (String(activity.company) !== lnCompany) continue;
					activities.push(activity);
					inputOf.set(activity.id, index);
					readAt ??= (activity as LnActivity).readAt;
				}
			}
			const index = new SyncUserIndex(users);
			for (const warning of index.warnings) ledger.warn(mailbox, 'sync users', warning);
			if (!index.isSyncMailbox(mailbox)) throw new Error(`${mailbox} is not an active sync user: only sync users' mailboxes are synchronized`);
			const isDryRun = this.getNodeParameter('dryRun', first, false) as boolean;
			const state = syncStateOf(this);
			const now = DateTime.utc();
			const brakeShare = Number(this.getNodeParameter('brakeShare', first, 0.2));
			const brakeMinimum = Number(this.getNodeParameter('brakeMinimum', first, 5));
			const linkKey = linkKeyOf(graph);
			// A calendar settled before, whose changes this execution read and found none, and whose plan
			// would be made from the same: the same lines as then, nothing read or planned (settled.ts).
			const settles = changesOnly && completeness === 'all' && !isDryRun;
			const digest = settles
				? settledDigest({ mailbox, company: lnCompany, activities, syncUsers: users, now, options: { horizonDays, policy, timeZone, brakeShare, brakeMinimum }, linkKey })
				: undefined;
			const mark = digest && ledger.isCalendarQuiet(lnCompany, mailbox) ? state.settled(mailbox, lnCompany) : undefined;
			if (mark && mark.digest === digest) return { kind: 'settled', mark, mailbox };
			const result = await syncActivities(graph, {
				onWritten: (eventId, changeKey) => state.noteEcho(mailbox, eventId, changeKey),
				mailbox,
				company: lnCompany,
				activities,
				complete: completeness === 'all',
				syncUsers: index,
				dryRun: isDryRun,
				options: {
					now,
					horizonDays,
					policy,
					timeZone,
					brakeShare,
					brakeMinimum,
					readAt: readAt ? DateTime.fromISO(readAt, { zone: 'UTC' }) : undefined,
					linkKey,
				},
			});
			const activitiesById = new Map(activities.filter((a): a is LnActivity => !(a as LnDeletedActivity).deleted).map((a) => [a.id, a]));
			if (!isDryRun) {
				const others = mailboxesToCheckAgain(result.items, activitiesById, index, mailbox);
				ledger.checkAgain(mailbox, others.again);
				ledger.waitFor(mailbox, others.waitingFor);
				if (digest) state.setSettled(mailbox, lnCompany, settledMarkOf(digest, result.plan, result.items, others));
			}
			if (result.plan.brake) {
				ledger.brakes.push(`${mailbox}: ${result.plan.brake.removals} of ${result.plan.brake.linked} linked future events would be cancelled; nothing cancelled — check LN and Exchange, then raise the brake share for one run to confirm`);
			}
			return {
				kind: 'done',
				items: result.items.map((item) => ({ item, inputs: inputOf.has(item.activity) ? [inputOf.get(item.activity)!] : indexes })),
				isDryRun,
				mailbox,
			};
		} catch (error) {
			return { kind: 'failed', error: error as Error, indexes, mailbox };
		}
	});
	for (const run of runs) {
		if (run.kind === 'settled') {
			ledger.count(run.mailbox, 'eventsUnchanged', run.mark.unchanged);
			for (const line of run.mark.skipped) ledger.skip(run.mailbox, line.ref, line.message);
			for (const line of run.mark.warnings) ledger.warn(run.mailbox, line.ref, line.message);
			continue;
		}
		if (run.kind === 'failed' && run.error instanceof UpstreamFailure) {
			// The failure is already reported where it happened; here only that the calendar waited.
			ledger.skip(run.mailbox, 'calendar', `not synchronized from LN this run: ${run.error.message}`);
			out.push(output({ mailbox: run.mailbox, action: 'skip', reason: run.error.message }, run.indexes));
			continue;
		}
		if (run.kind === 'failed') {
			const nodeError = toNodeError(this, run.error, run.indexes[0], `Events of ${run.mailbox}`);
			ledger.error(run.mailbox, 'calendar', errorClassOf(run.error), nodeError.message);
			if (!this.continueOnFail()) throw nodeError;
			out.push(output({ mailbox: run.mailbox, action: 'failed', error: nodeError.message }, run.indexes));
			continue;
		}
		for (const { item, inputs } of run.items) {
			record(ledger, item, run.isDryRun);
			if (changesOnly && isQuiet(item)) continue;
			out.push(output(toJson(item, run.isDryRun), inputs));
		}
	}
	return out;
}

/** An input item is one activity, or (the Infor LN node's "One Item per Input Item") a list of them in `activities`. */
function activitiesIn(json: IDataObject, index: number): IDataObject[] {
	if (!Array.isArray(json.activities)) return [json];
	return json.activities.map((entry, position) => {
		if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
			throw new Error(`item ${index}: entry ${position} of field activities is not an LN activity (an object)`);
		}
		return entry as IDataObject;
	});
}

/** The input held a failed read instead of the mailbox's activities. */
class UpstreamFailure extends Error {
	constructor(upstream: string) {
		super(`its LN activities were not read (${upstream})`);
		this.name = 'UpstreamFailure';
	}
}

/** The sync users an activity concerns: its organizer and attendees; for a deleted one, everyone. */
function involvedIn(json: IDataObject, users: SyncUser[]): string[] {
	return isEmptyItem(json) ? [] : involvedMailboxes(json as unknown as LnActivity | LnDeletedActivity, new SyncUserIndex(users));
}

function toJson(item: ActivityPlanItem, isDryRun: boolean): IDataObject {
	const withMailbox = <T extends object>(list: T[]) => list.map((entry) => ({ ...entry, mailbox: item.mailbox }));
	return {
		company: item.company,
		activity: item.activity,
		mailbox: item.mailbox,
		action: item.action,
		reason: item.reason,
		mode: item.mode,
		eventId: item.eventId,
		iCalUId: item.iCalUId,
		conflict: item.conflict,
		warnings: item.warnings,
		flags: withMailbox(item.flags),
		attendance: withMailbox(item.attendance),
		update: item.update ? { ...item.update, mailbox: item.mailbox } : undefined,
		...(isDryRun ? { dryRun: true, planned: item.exchange } : {}),
	} as unknown as IDataObject;
}

function record(ledger: RunLedger, item: ActivityPlanItem, isDryRun: boolean): void {
	const { mailbox } = item;
	const ref = `activity ${item.activity}`;
	for (const warning of item.warnings) ledger.warn(mailbox, ref, warning);
	if (item.conflict) ledger.conflict(mailbox, ref, `changed on both sides; ${item.conflict.winner === 'ln' ? 'LN' : 'Exchange'} wins (${item.conflict.policy})`);
	if (item.action === 'fail') {
		ledger.error(mailbox, ref, 'data', item.reason ?? 'failed');
		return;
	}
	if (item.action === 'skip') {
		if (item.reason) ledger.skip(mailbox, ref, item.reason);
		return;
	}
	if (isDryRun) {
		for (const write of item.exchange) ledger.plan(mailbox, ref, `${write.op} Exchange event${item.reason ? ` (${item.reason})` : ''}`);
		if (item.update) ledger.plan(mailbox, ref, `update LN activity: ${Object.keys(item.update.fields).join(', ') || 'attendees'}`);
		return;
	}
	for (const write of item.exchange) {
		if (write.op === 'create') ledger.count(mailbox, 'eventsCreated');
		else if (write.op === 'cancel') ledger.count(mailbox, 'eventsCancelled');
		else if (write.op === 'delete') ledger.count(mailbox, 'eventsDeleted');
		else if (item.action === 'link') ledger.count(mailbox, 'eventsLinked');
		else ledger.count(mailbox, 'eventsUpdated');
	}
	if (item.action === 'unchanged' && item.exchange.length === 0) ledger.count(mailbox, 'eventsUnchanged');
}
