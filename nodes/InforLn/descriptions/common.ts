import type { INodeProperties } from 'n8n-workflow';

export const apiMappingProperty: INodeProperties = {
	displayName: 'API Mapping (JSON)',
	name: 'apiMapping',
	type: 'json',
	default: '{}',
	description:
		'Overrides of the default LN service, entity-set and field names, by group, e.g. {"services": {"syncService": "txcrm.calendar"}, "activity": {"subject": "Title"}}. See the README section "Preparing LN" for every name.',
};

export function dryRunProperty(resource: string, operations: string[]): INodeProperties {
	return {
		displayName: 'Dry Run',
		name: 'dryRun',
		type: 'boolean',
		default: false,
		description: 'Whether to output the request that would be sent instead of changing LN',
		displayOptions: { show: { resource: [resource], operation: operations } },
	};
}

export const syncUsersProperty = (resource: string, operations: string[]): INodeProperties => ({
	displayName: 'Sync Users (JSON)',
	name: 'syncUsers',
	type: 'json',
	default: '[]',
	description:
		'The sync users (output of Sync User → Get Many), used to match attendees to LN employees by e-mail; empty reads them from LN when needed',
	displayOptions: { show: { resource: [resource], operation: operations } },
});
