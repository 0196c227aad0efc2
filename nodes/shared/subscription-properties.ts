import type { INodePropertyOptions } from 'n8n-workflow';

/** What a Graph subscription watches (Subscription operations and the Graph Trigger). */
export const WATCH_OPTIONS: INodePropertyOptions[] = [
	{ name: 'Calendar Events', value: 'events' },
	{ name: 'Contacts', value: 'contacts' },
];

export const CHANGE_TYPE_OPTIONS: INodePropertyOptions[] = [
	{ name: 'Created', value: 'created' },
	{ name: 'Updated', value: 'updated' },
	{ name: 'Deleted', value: 'deleted' },
];
