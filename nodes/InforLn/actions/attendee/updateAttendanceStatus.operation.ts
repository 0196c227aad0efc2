import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { ATTENDANCE_STATUSES, type AttendanceStatus } from '../../../../lib/ln/contract';
import { attendeeBody, attendeeKeyPath } from '../../../../lib/ln/records';
import { responseToStatus } from '../../../../lib/sync/canonical';
import { ledgerFor } from '../../../../lib/sync/report';
import { dryRunProperty } from '../../descriptions/common';
import { forEachItem } from '../../helpers/execute';
import { lnContext } from '../../transport';
import { attendeeKeyProperties, readAttendeeKey } from './common';

const show = { resource: ['attendee'], operation: ['updateAttendanceStatus'] };

export const description: INodeProperties[] = [
	...attendeeKeyProperties('updateAttendanceStatus'),
	{
		displayName: 'Attendance Status',
		name: 'status',
		type: 'string',
		default: '={{ $json.status }}',
		description:
			'Accepted, Tentative, Declined or None; the Exchange responses accepted, tentativelyAccepted, declined, none and notResponded are understood too',
		displayOptions: { show },
	},
	dryRunProperty('attendee', ['updateAttendanceStatus']),
];

export function toAttendanceStatus(value: unknown): AttendanceStatus {
	const text = String(value ?? '').trim();
	const direct = ATTENDANCE_STATUSES.find((s) => s.toLowerCase() === text.toLowerCase());
	if (direct) return direct;
	if (['accepted', 'tentativelyaccepted', 'declined', 'none', 'notresponded', 'organizer'].includes(text.toLowerCase())) {
		return responseToStatus(text === 'tentativelyaccepted' ? 'tentativelyAccepted' : text === 'notresponded' ? 'notResponded' : text);
	}
	throw new Error(`field Attendance Status "${text}" is not one of ${ATTENDANCE_STATUSES.join(', ')}`);
}

/** Writes an attendee's Exchange response back to the LN Attendance Status. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const { transport, mapping, company, concurrency } = await lnContext.call(this);
	const ledger = ledgerFor(this.getExecutionId());
	const items = this.getInputData();
	return forEachItem(
		this,
		(i) => `Attendee ${String(this.getNodeParameter('sequence', i, ''))} of activity ${String(this.getNodeParameter('activityId', i, ''))}`,
		async (i) => {
			const { activity, sequence, etag } = readAttendeeKey(this, i);
			const status = toAttendanceStatus(this.getNodeParameter('status', i));
			const body = attendeeBody({ status }, mapping);
			const mailbox = String(items[i].json.mailbox ?? '');
			const url = transport.url(mapping.services.syncService, attendeeKeyPath(mapping, activity, sequence));
			if (this.getNodeParameter('dryRun', i, false)) {
				ledger.plan(mailbox, `activity ${activity}`, `set attendance status of attendee ${sequence} to ${status}`);
				return { dryRun: true, company, activity, sequence, request: { method: 'PATCH', url, body } } as unknown as IDataObject;
			}
			const result = await transport.update(url, body, etag);
			ledger.count(mailbox, 'attendanceWritten');
			return { company, activity, sequence, status, action: 'updated', etag: result.etag } as unknown as IDataObject;
		},
		{ limit: concurrency, keyOf: (i) => String(this.getNodeParameter('activityId', i, '')).trim() },
	);
}
