import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { DateTime } from 'luxon';

import { odataString, toContact } from '../../../../lib/ln/records';
import { forEachItem } from '../../helpers/execute';
import { lnContext } from '../../transport';

const show = { resource: ['contact'], operation: ['getManyForSync'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Changed Since',
		name: 'changedSince',
		type: 'string',
		default: '',
		placeholder: '2026-01-01T00:00:00Z',
		description:
			'Only contacts changed after this time (ISO). Needs a modification date in the LN API (API mapping contact.modifiedAt). The output is marked partial: Sync to Folder then creates and updates but removes nothing. Leave empty to read all contacts marked Synchronize, which lets Sync to Folder also remove the others.',
		displayOptions: { show },
	},
];

/** The contacts whose Synchronize flag is set, all pages, with business partner name and work address. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const { transport, mapping, company, concurrency } = await lnContext.call(this);
	return forEachItem(this, () => 'Contacts for synchronization', async (i) => {
		const f = mapping.contact;
		const s = mapping.services;
		const filters = [`${f.synchronize} eq ${odataString('Yes')}`];
		const changedSince = String(this.getNodeParameter('changedSince', i, '') ?? '').trim();
		if (changedSince) {
			if (!f.modifiedAt) {
				throw new Error('Changed Since needs a modification date field: set "contact.modifiedAt" in the API mapping');
			}
			const since = DateTime.fromISO(changedSince, { zone: 'UTC' });
			if (!since.isValid) throw new Error(`Changed Since "${changedSince}" is not an ISO date and time`);
			filters.push(`${f.modifiedAt} gt ${since.toUTC().toISO({ suppressMilliseconds: true })}`);
		}
		const select = Object.values(f).filter(Boolean);
		const url = transport.url(s.contactService, s.contactEntitySet, {
			$filter: filters.join(' and '),
			$select: select.join(','),
			$expand: `${s.contactBusinessPartnerNavigation}($select=${mapping.businessPartner.id},${mapping.businessPartner.name}),${s.contactWorkAddressNavigation}`,
			$orderby: f.id,
		});
		// Pages side by side, as many as the credential's Concurrent Requests: LN pages of a few dozen
		// contacts one after the other were most of a no-change run's wait for LN.
		const raws = await transport.getAllSideBySide<Record<string, unknown>>(url, (raw) => String(raw[f.id]), concurrency);
		const contacts = raws.map((raw) => toContact(raw, mapping, company));
		if (!changedSince) return contacts as unknown as Array<Record<string, never>>;
		// Only what changed: marked partial, so that Sync to Folder removes nothing for it (and an empty
		// read is not taken for "LN has no contacts").
		if (contacts.length === 0) return [{ company, partial: true, contacts: 0 }];
		return contacts.map((contact) => ({ ...contact, partial: true })) as unknown as Array<Record<string, never>>;
	});
}
