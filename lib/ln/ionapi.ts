/**
 * The `.ionapi` file that ION API's "Download Credentials" produces: a JSON object with the tenant,
 * the client and the endpoints, and, for backend-service apps, the service-account keys.
 */
export interface IonApiFile {
	ti: string;
	cn?: string;
	ci: string;
	cs: string;
	iu: string;
	pu: string;
	oa?: string;
	ot: string;
	or?: string;
	saak?: string;
	sask?: string;
	[key: string]: unknown;
}

export interface IonApiConfig {
	tenant: string;
	applicationName?: string;
	clientId: string;
	clientSecret: string;
	/** ION API gateway base URL (`iu`). */
	gatewayUrl: string;
	/** `pu` + `ot`. */
	tokenUrl: string;
	/** Service-account keys; absent → client-credentials grant. */
	serviceAccountAccessKey?: string;
	serviceAccountSecretKey?: string;
}

export const IONAPI_REQUIRED_KEYS = ['ti', 'ci', 'cs', 'iu', 'pu', 'ot'] as const;

const KEY_MEANING: Record<string, string> = {
	ti: 'tenant',
	ci: 'client id',
	cs: 'client secret',
	iu: 'ION API gateway URL',
	pu: 'authorization server URL',
	ot: 'token path',
	saak: 'service account access key',
	sask: 'service account secret key',
};

export class IonApiFileError extends Error {}

/**
 * Parses the text of an `.ionapi` file. Errors name the missing or malformed key and never echo
 * a value, because the file holds secrets.
 */
export function parseIonApiText(text: string): IonApiFile {
	const trimmed = (text ?? '').trim();
	if (trimmed === '') {
		throw new IonApiFileError('The .ionapi text is empty: paste the whole content of the file downloaded from ION API');
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(trimmed);
	} catch {
		throw new IonApiFileError(
			'The .ionapi text is not valid JSON: paste the whole content of the file downloaded from ION API, including the braces',
		);
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw new IonApiFileError('The .ionapi text must be a JSON object with the keys ti, ci, cs, iu, pu and ot');
	}
	return parsed as IonApiFile;
}

export interface IonApiOptions {
	/** Accept plain http:// URLs on this machine (127.0.0.1, ::1, localhost): test servers only. */
	allowLoopbackHttp?: boolean;
}

/** Validates an `.ionapi` object (parsed or assembled from single fields) into a usable configuration. */
export function toIonApiConfig(file: Partial<IonApiFile>, options: IonApiOptions = {}): IonApiConfig {
	for (const key of IONAPI_REQUIRED_KEYS) {
		const value = file[key];
		if (typeof value !== 'string' || value.trim() === '') {
			throw new IonApiFileError(`The .ionapi data is missing the key "${key}" (${KEY_MEANING[key]})`);
		}
	}
	const hasAccessKey = typeof file.saak === 'string' && file.saak.trim() !== '';
	const hasSecretKey = typeof file.sask === 'string' && file.sask.trim() !== '';
	if (hasAccessKey !== hasSecretKey) {
		const missing = hasAccessKey ? 'sask' : 'saak';
		throw new IonApiFileError(
			`The .ionapi data is missing the key "${missing}" (${KEY_MEANING[missing]}); a service account needs both saak and sask`,
		);
	}
	const gatewayUrl = checkUrl(file.iu!, 'iu', options);
	const authorizationUrl = checkUrl(file.pu!, 'pu', options);
	const tokenUrl = checkUrl(joinUrl(authorizationUrl, file.ot!.trim()), 'ot', options);
	return {
		tenant: file.ti!.trim(),
		applicationName: typeof file.cn === 'string' ? file.cn : undefined,
		clientId: file.ci!.trim(),
		clientSecret: file.cs!,
		gatewayUrl: gatewayUrl.replace(/\/+$/, ''),
		tokenUrl,
		serviceAccountAccessKey: hasAccessKey ? file.saak : undefined,
		serviceAccountSecretKey: hasSecretKey ? file.sask : undefined,
	};
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The keys and tokens travel to these URLs: https only (plain http on this machine when allowed, for test servers). */
function checkUrl(value: string, key: string, options: IonApiOptions): string {
	const trimmed = value.trim();
	let url: URL;
	try {
		url = new URL(trimmed);
	} catch {
		throw new IonApiFileError(`The .ionapi key "${key}" (${KEY_MEANING[key]}) is not a URL`);
	}
	if (url.protocol === 'https:') return trimmed;
	if (url.protocol === 'http:' && options.allowLoopbackHttp && LOOPBACK_HOSTS.has(url.hostname)) return trimmed;
	throw new IonApiFileError(
		`The .ionapi key "${key}" (${KEY_MEANING[key]}) must be an https URL${url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) ? ' (plain http on this machine only with "Allow Plain HTTP to This Machine")' : ''}`,
	);
}

/** `pu` normally ends with a slash and `ot` has none; tolerate either. */
function joinUrl(base: string, path: string): string {
	if (/^https?:\/\//i.test(path)) return path;
	return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
