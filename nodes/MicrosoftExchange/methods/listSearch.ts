import type { ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';

import { graphTransport } from '../../shared/graph-transport';

/** Users with a mailbox, for the Mailbox pickers (the app needs User.Read.All). */
export async function searchMailboxes(this: ILoadOptionsFunctions, filter?: string, paginationToken?: string): Promise<INodeListSearchResult> {
	const graph = await graphTransport.call(this, false);
	const query = new URLSearchParams({ $select: 'displayName,mail,userPrincipalName', $top: '50' });
	if (filter) query.set('$filter', `startswith(displayName,'${filter.replace(/'/g, "''")}') or startswith(mail,'${filter.replace(/'/g, "''")}')`);
	const page = await graph.get<{ value?: Array<{ displayName?: string; mail?: string; userPrincipalName?: string }>; '@odata.nextLink'?: string }>(
		typeof paginationToken === 'string' && paginationToken ? paginationToken : `/users?${query.toString()}`,
	);
	return {
		results: (page.value ?? [])
			.filter((user) => user.mail)
			.map((user) => ({ name: `${user.displayName ?? user.mail} (${user.mail})`, value: user.mail!.toLowerCase() })),
		paginationToken: page['@odata.nextLink'],
	};
}
