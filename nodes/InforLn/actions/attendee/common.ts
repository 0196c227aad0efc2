import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

export function attendeeKeyProperties(operation: string): INodeProperties[] {
	const show = { resource: ['attendee'], operation: [operation] };
	return [
		{
			displayName: 'Activity',
			name: 'activityId',
			type: 'string',
			required: true,
			default: '={{ $json.activity }}',
			displayOptions: { show },
		},
		{
			displayName: 'Attendee Sequence',
			name: 'sequence',
			type: 'number',
			required: true,
			default: 0,
			description: 'The sequence number of the attendee within the activity',
			displayOptions: { show },
		},
		{
			displayName: 'ETag',
			name: 'etag',
			type: 'string',
			default: '={{ $json.etag ?? "" }}',
			description: 'The ETag read with the attendee; empty reads the attendee first',
			displayOptions: { show },
		},
	];
}

export function readAttendeeKey(context: IExecuteFunctions, i: number): { activity: string; sequence: number; etag?: string } {
	const activity = String(context.getNodeParameter('activityId', i) ?? '').trim();
	const sequence = Number(context.getNodeParameter('sequence', i));
	if (!activity) throw new Error('field Activity is empty');
	if (!Number.isInteger(sequence) || sequence < 0) throw new Error(`field Attendee Sequence "${String(sequence)}" is not a whole number`);
	const etag = String(context.getNodeParameter('etag', i, '') ?? '').trim() || undefined;
	return { activity, sequence, etag };
}
