import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { odataString, toSyncUser } from '../../../../lib/ln/records';
import type { SyncUser } from '../../../../lib/sync/model';
import { SyncUserIndex } from '../../../../lib/sync/sync-users';
import { ledgerFor } from '../../../../lib/sync/report';
import { forEachItem } from '../../helpers/execute';
import { CREDENTIAL_NAME, lnContext } from '../../transport';

const show = { resource: ['syncUser'], operation: ['getMany'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Source',
		name: 'source',
		type: 'options',
		options: [
			{ name: 'LN (Custom API)', value: 'api', description: 'Read MS Exchange Synchronization Users through the custom LN API' },
			{ name: 'List in This Node', value: 'list', description: 'For tenants without the custom API' },
		],
		default: 'api',
		displayOptions: { show },
	},
	{
		displayName: 'Users',
		name: 'users',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Sync User',
		default: {},
		displayOptions: { show: { ...show, source: ['list'] } },
		options: [
			{
				name: 'user',
				displayName: 'User',
				values: [
					{ displayName: 'LN User', name: 'user', type: 'string', default: '' },
					{ displayName: 'E-Mail (Mailbox)', name: 'email', type: 'string', placeholder: 'name@email.com', default: '' },
					{ displayName: 'Employee', name: 'employee', type: 'string', default: '', description: 'The LN employee code of this user' },
				],
			},
		],
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		options: [
			{ name: 'One Item per Sync User', value: 'users' },
			{
				name: 'The Input Items, with the Sync Users Added',
				value: 'attach',
				description: 'Each input item gets the fields syncUsers and company; LN is read once',
			},
		],
		default: 'users',
		displayOptions: { show },
	},
	{
		displayName: 'Attach the Full List to Each Item',
		name: 'attachAll',
		type: 'boolean',
		default: false,
		description:
			'Whether each output item also carries all sync users (field syncUsers), so a per-user run knows who the others are',
		displayOptions: { show: { ...show, output: ['users'] } },
	},
];

/** One item per active sync user, from LN or from the list typed into the node. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const context = this.getNodeParameter('source', 0) === 'api' ? await lnContext.call(this) : undefined;
	// Every user item names the LN company, so later nodes can build link keys from it.
	const company = context?.company ?? String((await this.getCredentials(CREDENTIAL_NAME)).company ?? '').trim();
	const ledger = ledgerFor(this.getExecutionId());
	const read = async (i: number): Promise<SyncUser[]> => {
		let users: SyncUser[];
		if (context) {
			const { transport, mapping } = context;
			const f = mapping.syncUser;
			const url = transport.url(mapping.services.syncService, mapping.services.syncUserEntitySet, {
				$filter: `${f.active} eq ${odataString('Yes')}`,
				$select: [f.user, f.name, f.email, f.active, f.employee, f.employeeEmail].join(','),
				$orderby: f.user,
			});
			users = (await transport.getAll(url)).map((raw) => toSyncUser(raw, mapping));
		} else {
			const listed = (this.getNodeParameter('users.user', i, []) as IDataObject[]) ?? [];
			users = listed.map((u) => ({
				user: String(u.user ?? '').trim() || String(u.email ?? '').trim(),
				email: String(u.email ?? '').trim(),
				employee: String(u.employee ?? '').trim() || undefined,
				employeeEmail: String(u.email ?? '').trim(),
				active: true,
			}));
		}
		const index = new SyncUserIndex(users);
		for (const warning of index.warnings) ledger.warn(undefined, 'sync users', warning);
		return index.all().map((user) => ({ ...user, company }) as SyncUser);
	};
	if (this.getNodeParameter('output', 0, 'users') === 'attach') {
		// Read once; every input item (a notification, an LN message) gets the list.
		let users: SyncUser[] | undefined;
		return forEachItem(this, () => 'Sync users', async (i) => {
			users ??= await read(i);
			return { ...this.getInputData()[i].json, syncUsers: users as unknown as IDataObject[], company };
		});
	}
	return forEachItem(this, () => 'Sync users', async (i) => {
		const active = await read(i);
		const attachAll = this.getNodeParameter('attachAll', i, false) as boolean;
		return active.map((user) => ({
			...user,
			...(attachAll ? { syncUsers: active as unknown as IDataObject[] } : {}),
		})) as unknown as IDataObject[];
	});
}
