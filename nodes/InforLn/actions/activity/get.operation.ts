import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { activityKeyPath, toActivity } from '../../../../lib/ln/records';
import { forEachItem } from '../../helpers/execute';
import { lnContext } from '../../transport';

const show = { resource: ['activity'], operation: ['get'] };

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
		displayName: 'When Not Found',
		name: 'notFound',
		type: 'options',
		options: [
			{ name: 'Fail', value: 'error' },
			{ name: 'Output a Deleted Marker', value: 'marker', description: 'Outputs {company, ID, deleted: true} so the deletion can be synchronized' },
		],
		default: 'marker',
		displayOptions: { show },
	},
];

/** One activity with its attendees. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const { transport, mapping, company, concurrency } = await lnContext.call(this);
	return forEachItem(
		this,
		(i) => `Activity ${String(this.getNodeParameter('activityId', i, ''))}`,
		async (i) => {
			const id = String(this.getNodeParameter('activityId', i) ?? '').trim();
			if (!id) throw new Error('field Activity is empty');
			const url = transport.url(mapping.services.syncService, activityKeyPath(mapping, id), {
				$expand: mapping.services.activityAttendeesNavigation,
			});
			const entity = await transport.getEntity(url);
			if (!entity) {
				if (this.getNodeParameter('notFound', i) === 'marker') return { company, id, deleted: true };
				throw new Error(`LN has no activity ${id} in company ${company}`);
			}
			return toActivity({ ...entity.data, '@odata.etag': entity.etag ?? entity.data['@odata.etag'] }, mapping, company, new Date().toISOString()) as unknown as Record<string, never>;
		},
		{ limit: concurrency, keyOf: (i) => String(this.getNodeParameter('activityId', i, '')).trim() },
	);
}
