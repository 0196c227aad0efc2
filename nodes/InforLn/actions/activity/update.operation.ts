import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { DateTime } from 'luxon';

import { ACTIVITY_STATUSES, SHOW_TIME_AS } from '../../../../lib/ln/contract';
import { activityBody, activityKeyPath, attendeeBody, attendeeKeyPath, toActivity } from '../../../../lib/ln/records';
import { attendeeChanges, type ActivityUpdate } from '../../../../lib/sync/event-plan';
import type { SyncUser } from '../../../../lib/sync/model';
import { guardFailure } from '../../../../lib/sync/guard';
import { ledgerFor } from '../../../../lib/sync/report';
import { organizedBySyncUser, SyncUserIndex } from '../../../../lib/sync/sync-users';
import { dryRunProperty, syncUsersProperty } from '../../descriptions/common';
import { matchAttendees, syncUsersOrRead } from '../../helpers/attendees';
import { forEachItem, parseJsonParameter } from '../../helpers/execute';
import { lnContext } from '../../transport';

const show = { resource: ['activity'], operation: ['update'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Activity',
		name: 'activityId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'ACT000123',
		displayOptions: { show },
	},
	{
		displayName: 'Changes From Sync (JSON)',
		name: 'changes',
		type: 'json',
		default: '',
		description:
			'An update planned by Microsoft Exchange → Event → Sync From LN Activity (its "update" field): fields, attendees to add and to un-invite',
		displayOptions: { show },
	},
	{
		displayName: 'Update Fields',
		name: 'updateFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show },
		options: [
			{ displayName: 'All Day', name: 'allDay', type: 'boolean', default: false },
			{ displayName: 'End', name: 'end', type: 'dateTime', default: '' },
			{ displayName: 'Location', name: 'location', type: 'string', default: '' },
			{ displayName: 'Reference (iCalUId)', name: 'reference', type: 'string', default: '' },
			{ displayName: 'Reminder', name: 'reminder', type: 'boolean', default: false },
			{ displayName: 'Reminder Minutes', name: 'reminderMinutes', type: 'number', default: 15 },
			{
				displayName: 'Show Time As',
				name: 'showTimeAs',
				type: 'options',
				options: SHOW_TIME_AS.map((v) => ({ name: v, value: v })),
				default: 'Busy',
			},
			{ displayName: 'Start', name: 'start', type: 'dateTime', default: '' },
			{
				displayName: 'Status',
				name: 'status',
				type: 'options',
				options: ACTIVITY_STATUSES.map((v) => ({ name: v, value: v })),
				default: 'Planned',
			},
			{ displayName: 'Subject', name: 'subject', type: 'string', default: '' },
			{ displayName: 'Synchronize', name: 'synchronize', type: 'boolean', default: true },
			{ displayName: 'Text', name: 'text', type: 'string', typeOptions: { rows: 4 }, default: '' },
		],
	},
	{
		displayName: 'ETag',
		name: 'etag',
		type: 'string',
		default: '',
		description: 'The ETag read with the activity; empty reads the activity first',
		displayOptions: { show },
	},
	syncUsersProperty('activity', ['update']),
	dryRunProperty('activity', ['update']),
];

/** Changes the synchronized fields, the status or the attendees of an activity, with If-Match. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const { transport, mapping, company, concurrency } = await lnContext.call(this);
	const ledger = ledgerFor(this.getExecutionId());
	const items = this.getInputData();
	return forEachItem(
		this,
		(i) => `Activity ${String(this.getNodeParameter('activityId', i, ''))}`,
		async (i) => {
			const id = String(this.getNodeParameter('activityId', i) ?? '').trim();
			if (!id) throw new Error('field Activity is empty');
			const planned = parseJsonParameter<ActivityUpdate>(this.getNodeParameter('changes', i, ''), 'Changes From Sync');
			const manual = this.getNodeParameter('updateFields', i, {}) as IDataObject;
			const fields: Record<string, unknown> = { ...(planned?.fields ?? {}), ...manual };
			for (const name of ['start', 'end'] as const) {
				if (typeof manual[name] === 'string' && manual[name]) fields[name] = new Date(String(manual[name])).toISOString().replace(/\.\d{3}Z$/, 'Z');
			}
			const mailbox = String(items[i].json.mailbox ?? '');
			const body = activityBody(fields, mapping);
			const s = mapping.services;
			const url = transport.url(s.syncService, activityKeyPath(mapping, id));
			let attendeeWork: Pick<ActivityUpdate, 'addAttendees' | 'uninviteAttendees' | 'reinviteAttendees' | 'changeRoles' | 'organizerIsSyncUser'> = planned ?? {};
			const addAttendees = () => attendeeWork.addAttendees ?? [];
			const uninvite = () => attendeeWork.uninviteAttendees ?? [];
			if (this.getNodeParameter('dryRun', i, false)) {
				ledger.plan(mailbox, `activity ${id}`, `update LN activity ${id}: ${Object.keys(fields).join(', ') || 'attendees'}`);
				return { dryRun: true, company, activity: id, request: { method: 'PATCH', url, body }, addAttendees: addAttendees(), uninviteAttendees: uninvite() } as unknown as IDataObject;
			}
			let etag = String(this.getNodeParameter('etag', i, '') || planned?.etag || '') || undefined;
			const syncUsers = () => parseJsonParameter<SyncUser[]>(this.getNodeParameter('syncUsers', i, '[]'), 'Sync Users') ?? [];
			if (planned?.guard) {
				// The change comes from an Exchange item: LN must confirm the item may change this activity.
				const entity = await transport.getEntity(transport.url(s.syncService, activityKeyPath(mapping, id), { $expand: s.activityAttendeesNavigation }));
				if (!entity) throw new Error(`LN has no activity ${id} in company ${company}`);
				const current = toActivity({ ...entity.data, '@odata.etag': entity.etag ?? entity.data['@odata.etag'] }, mapping, company);
				const users = new SyncUserIndex(await syncUsersOrRead(transport, mapping, syncUsers()));
				const refused = guardFailure(current, planned.guard, users, DateTime.utc());
				if (refused) throw new Error(`refused: ${refused}`);
				etag = current.etag ?? etag;
				if (planned.attendeesFromExchange) {
					attendeeWork = { ...attendeeChanges(current, planned.attendeesFromExchange), organizerIsSyncUser: organizedBySyncUser(current, users) };
					// An appointment from Exchange that LN could not mark Synchronize may be marked once it has an invitee.
					const invites = (attendeeWork.addAttendees?.length ?? 0) + (attendeeWork.reinviteAttendees?.length ?? 0);
					if (invites > 0 && !current.synchronize && current.attendees.some((a) => a.role === 'MeetingOrganizer')) Object.assign(body, activityBody({ synchronize: true }, mapping));
				}
			}
			let result: Record<string, unknown> | undefined;
			if (Object.keys(body).length > 0) {
				result = (await transport.update(url, body, etag)).data;
				if (fields.status === 'Cancelled') ledger.count(mailbox, 'lnActivitiesCancelled');
				else ledger.count(mailbox, 'lnActivitiesUpdated');
			}
			if (addAttendees().length > 0) {
				const warnings: string[] = [];
				const records = await matchAttendees(
					transport,
					mapping,
					addAttendees().map((a) => ({ ...a, status: a.status ?? 'None', invite: true })),
					await syncUsersOrRead(transport, mapping, syncUsers()),
					warnings,
					attendeeWork.organizerIsSyncUser ?? true,
				);
				for (const warning of warnings) ledger.warn(mailbox, `activity ${id}`, warning);
				const collection = transport.url(s.syncService, `${activityKeyPath(mapping, id)}/${s.activityAttendeesNavigation}`);
				for (const record of records) {
					await transport.create(collection, attendeeBody({ ...record }, mapping));
				}
			}
			for (const sequence of uninvite()) {
				await transport.update(transport.url(s.syncService, attendeeKeyPath(mapping, id, sequence)), attendeeBody({ invite: false }, mapping));
			}
			for (const sequence of attendeeWork.reinviteAttendees ?? []) {
				await transport.update(transport.url(s.syncService, attendeeKeyPath(mapping, id, sequence)), attendeeBody({ invite: true }, mapping));
			}
			for (const { sequence, role } of attendeeWork.changeRoles ?? []) {
				await transport.update(transport.url(s.syncService, attendeeKeyPath(mapping, id, sequence)), attendeeBody({ role }, mapping));
			}
			const activity = result ? toActivity({ ...result, [mapping.activity.id]: id }, mapping, company) : { company, id };
			// The link to store on the Exchange item now that LN has the change (Microsoft Exchange → Link).
			const link = planned?.link;
			return { ...activity, activity: id, action: 'updated', changed: Object.keys(fields), attendeesAdded: addAttendees().length, attendeesUninvited: uninvite().length, ...(link ? { link } : {}) } as unknown as IDataObject;
		},
		{ limit: concurrency, keyOf: (i) => String(this.getNodeParameter('activityId', i, '')).trim() },
	);
}
