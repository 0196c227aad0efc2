/** Microsoft Graph national clouds: Graph root and Entra ID login host. */
export const GRAPH_CLOUDS = {
	global: { label: 'Global', graphBaseUrl: 'https://graph.microsoft.com', loginUrl: 'https://login.microsoftonline.com' },
	usGov: { label: 'US Government (GCC High)', graphBaseUrl: 'https://graph.microsoft.us', loginUrl: 'https://login.microsoftonline.us' },
	usGovDod: { label: 'US Government DoD', graphBaseUrl: 'https://dod-graph.microsoft.us', loginUrl: 'https://login.microsoftonline.us' },
	china: { label: 'China (21Vianet)', graphBaseUrl: 'https://microsoftgraph.chinacloudapi.cn', loginUrl: 'https://login.chinacloudapi.cn' },
} as const;

/** The credential's choice of cloud: each of the table, then Custom (endpoints given by hand). */
export const GRAPH_CLOUD_OPTIONS: Array<{ name: string; value: GraphCloud }> = [
	...Object.entries(GRAPH_CLOUDS).map(([value, cloud]) => ({ name: cloud.label, value: value as GraphCloud })),
	{ name: 'Custom', value: 'custom' },
];

export type GraphCloud = keyof typeof GRAPH_CLOUDS | 'custom';

/** Hosts the Graph client knows by itself; any other host must be declared as a custom host. */
export const KNOWN_GRAPH_HOSTS = new Set([
	'graph.microsoft.com',
	'graph.microsoft.us',
	'dod-graph.microsoft.us',
	'graph.microsoft.de',
	'microsoftgraph.chinacloudapi.cn',
	'canary.graph.microsoft.com',
]);

export interface GraphEndpoints {
	/** Graph root without version, e.g. https://graph.microsoft.com */
	graphBaseUrl: string;
	/** Entra ID authority host, e.g. https://login.microsoftonline.com */
	loginUrl: string;
}

/** Resolves the endpoints of a cloud; a custom cloud must give https URLs for both. */
export function resolveEndpoints(cloud: GraphCloud, custom: Partial<GraphEndpoints> = {}): GraphEndpoints {
	if (cloud !== 'custom') {
		const known = GRAPH_CLOUDS[cloud];
		if (!known) throw new Error(`Unknown Microsoft cloud "${String(cloud)}"`);
		return { graphBaseUrl: known.graphBaseUrl, loginUrl: known.loginUrl };
	}
	const graphBaseUrl = normalizeRoot(custom.graphBaseUrl, 'Graph Base URL');
	const loginUrl = normalizeRoot(custom.loginUrl, 'Login URL');
	return { graphBaseUrl, loginUrl };
}

function normalizeRoot(value: string | undefined, label: string): string {
	const text = String(value ?? '').trim();
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		throw new Error(`The ${label} "${text}" is not a URL`);
	}
	if (url.protocol !== 'https:') {
		// The Graph client sends its token only over https.
		throw new Error(`The ${label} must start with https:// (got "${text}")`);
	}
	// A trailing /v1.0 is tolerated: the client adds the version itself.
	return `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/v1\.0$|\/beta$/, '')}`;
}
