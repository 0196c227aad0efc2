import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { DateTime } from 'luxon';

import { odataString, toActivity } from '../../../../lib/ln/records';
import { syncWindow } from '../../../../lib/sync/time';
import { forEachItem } from '../../helpers/execute';
import { lnContext } from '../../transport';

const show = { resource: ['activity'], operation: ['getManyForSync'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Employee of the Sync User',
		name: 'employee',
		type: 'string',
		default: '',
		placeholder: 'E001',
		description:
			"Only activities this employee attends or organizes (the sync user's employee); empty reads them for all users",
		displayOptions: { show },
	},
	{
		displayName: 'Horizon (Days)',
		name: 'horizonDays',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 1825 },
		default: 365,
		description: 'The window runs from now to now + this many days; past events are never read',
		displayOptions: { show },
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		options: [
			{ name: 'One Item per Activity', value: 'activities' },
			{
				name: 'One Item per Input Item',
				value: 'perInput',
				description:
					"The employee and a list of their activities in 'activities' (none is an empty list): far fewer items when each user has many",
			},
		],
		default: 'activities',
		description: 'How the activities come out; Sync from LN Activity of the Microsoft Exchange node takes either',
		displayOptions: { show },
	},
	{
		displayName: 'Empty Item for No Activities',
		name: 'emptyItemWhenNone',
		type: 'boolean',
		default: false,
		description:
			"Whether an input item whose employee has no activities gives one empty item, so the next node still works that user's calendar (its linked events are checked)",
		displayOptions: { show: { ...show, output: ['activities'] } },
	},
];

/**
 * Activities of type Appointment or Call that end in the window, with their attendees. Linked
 * activities (with an Exchange reference) are read beyond the horizon and whatever their Synchronize
 * flag or status, so that a cancellation or an un-synchronization reaches Exchange.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const { transport, mapping, company, concurrency } = await lnContext.call(this);
	return forEachItem(this, () => 'Activities for synchronization', async (i) => {
		const f = mapping.activity;
		const a = mapping.attendee;
		const s = mapping.services;
		const window = syncWindow(DateTime.utc(), Number(this.getNodeParameter('horizonDays', i, 365)));
		const iso = (d: DateTime) => d.toUTC().set({ millisecond: 0 }).toISO({ suppressMilliseconds: true });
		const filters = [
			`(${f.type} eq ${odataString('Appointment')} or ${f.type} eq ${odataString('Call')})`,
			`${f.end} ge ${iso(window.start)}`,
			// A record without a start is read too, so the run report can name it.
			`(${f.start} le ${iso(window.end)} or ${f.start} eq null or ${f.reference} ne ${odataString('')})`,
		];
		const employee = String(this.getNodeParameter('employee', i, '') ?? '').trim();
		if (employee) {
			filters.push(`${s.activityAttendeesNavigation}/any(x: x/${a.code} eq ${odataString(employee)} and x/${a.type} eq ${odataString('Employee')})`);
		}
		const readAt = DateTime.utc().toISO();
		const url = transport.url(s.syncService, s.activityEntitySet, {
			$filter: filters.join(' and '),
			$expand: s.activityAttendeesNavigation,
			$orderby: `${f.start},${f.id}`,
		});
		const activities = (await transport.getAll(url)).map((raw) => toActivity(raw, mapping, company, readAt ?? undefined)) as unknown as IDataObject[];
		if (this.getNodeParameter('output', i, 'activities') === 'perInput') return { employee, activities };
		if (activities.length === 0 && this.getNodeParameter('emptyItemWhenNone', i, false)) return [{}];
		return activities;
	}, { limit: concurrency, keyOf: (i) => String(i) });
}
