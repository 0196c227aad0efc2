import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { attendeeBody, attendeeKeyPath } from '../../../../lib/ln/records';
import { LnApiError } from '../../../../lib/ln/transport';
import { ledgerFor } from '../../../../lib/sync/report';
import { dryRunProperty } from '../../descriptions/common';
import { forEachItem } from '../../helpers/execute';
import { lnContext } from '../../transport';
import { attendeeKeyProperties, readAttendeeKey } from './common';
import { outcomeOf } from '../../../shared/errors';

const show = { resource: ['attendee'], operation: ['updateSyncFlags'] };

const flagOptions = [
	{ name: 'Leave Unchanged', value: 'unchanged' },
	{ name: 'Yes', value: 'yes' },
	{ name: 'No', value: 'no' },
];

export const description: INodeProperties[] = [
	...attendeeKeyProperties('updateSyncFlags'),
	{
		displayName: 'Sent to Synchronizer',
		name: 'sentToSynchronizer',
		type: 'options',
		options: flagOptions,
		default: 'unchanged',
		displayOptions: { show },
	},
	{
		displayName: 'Synchronized',
		name: 'synchronized',
		type: 'options',
		options: flagOptions,
		default: 'unchanged',
		displayOptions: { show },
	},
	dryRunProperty('attendee', ['updateSyncFlags']),
];

function flag(value: unknown): boolean | undefined {
	if (value === true || value === 'yes' || value === 'Yes') return true;
	if (value === false || value === 'no' || value === 'No') return false;
	return undefined;
}

/** Sets Sent to Synchronizer and/or Synchronized of one attendee. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const { transport, mapping, company, concurrency } = await lnContext.call(this);
	const ledger = ledgerFor(this.getExecutionId());
	const items = this.getInputData();
	return forEachItem(
		this,
		(i) => `Attendee ${String(this.getNodeParameter('sequence', i, ''))} of activity ${String(this.getNodeParameter('activityId', i, ''))}`,
		async (i) => {
			const { activity, sequence, etag } = readAttendeeKey(this, i);
			const fields = {
				sentToSynchronizer: flag(this.getNodeParameter('sentToSynchronizer', i)),
				synchronized: flag(this.getNodeParameter('synchronized', i)),
			};
			const body = attendeeBody(fields, mapping);
			const mailbox = String(items[i].json.mailbox ?? '');
			if (Object.keys(body).length === 0) return { company, activity, sequence, action: 'unchanged' };
			const url = transport.url(mapping.services.syncService, attendeeKeyPath(mapping, activity, sequence));
			if (this.getNodeParameter('dryRun', i, false)) {
				ledger.plan(mailbox, `activity ${activity}`, `set flags of attendee ${sequence}: ${JSON.stringify(body)}`);
				return { dryRun: true, company, activity, sequence, request: { method: 'PATCH', url, body } } as unknown as IDataObject;
			}
			// Flags decided from the line as read: a line another writer changed since is decided again, not overwritten.
			const written = await outcomeOf(transport.update(url, body, etag, { decidedOnRead: Boolean(etag) }));
			if (!written.ok) {
				const { error } = written;
				if (!(etag && error instanceof LnApiError && error.status === 412)) throw error;
				ledger.checkAgain(mailbox || undefined, mailbox ? [mailbox] : []);
				ledger.skip(mailbox || undefined, `activity ${activity}`, `flags of attendee ${sequence} not set: the line changed in LN since it was read; decided again`);
				return { company, activity, sequence, action: 'stale' };
			}
			ledger.count(mailbox, 'flagsSet');
			return { company, activity, sequence, action: 'updated', ...fields, etag: written.value.etag } as unknown as IDataObject;
		},
		{ limit: concurrency, keyOf: (i) => String(this.getNodeParameter('activityId', i, '')).trim() },
	);
}
