import { IONAPI_REQUIRED_KEYS, IonApiFileError, parseIonApiText, toIonApiConfig, type IonApiFile } from '../../lib/ln/ionapi';

const SECRET = 'Sup3rS3cretClientValue_9f8e7d';
const SASK = 'ServiceAccountSecretKey_0a1b2c';

/** A backend-service `.ionapi` file as ION API's "Download Credentials" writes it. */
const FILE: IonApiFile = {
	ti: 'ACME_TST',
	cn: 'LN Exchange Sync',
	dt: '12',
	ci: 'ACME_TST~k3Jx9Q_client',
	cs: SECRET,
	iu: 'https://mingle-ionapi.eu1.inforcloudsuite.com',
	pu: 'https://mingle-sso.eu1.inforcloudsuite.com:443/ACME_TST/as/',
	oa: 'authorization.oauth2',
	ot: 'token.oauth2',
	or: 'revoke_token.oauth2',
	ev: 'U1447141010',
	v: '1.1',
	saak: 'ACME_TST#ServiceAccountAccessKey_xyz',
	sask: SASK,
};

function errorOf(fn: () => unknown): Error {
	try {
		fn();
	} catch (error) {
		return error as Error;
	}
	throw new Error('expected an error');
}

/** No message may echo a value of the file: it holds secrets. */
function expectNoSecrets(message: string, file: Partial<IonApiFile> = FILE): void {
	for (const key of ['cs', 'sask', 'saak', 'ci'] as const) {
		const value = file[key];
		if (typeof value === 'string' && value.trim() !== '') expect(message).not.toContain(value.trim());
	}
}

describe('parsing the .ionapi text', () => {
	it('reads the JSON object of a downloaded file, surrounding whitespace included', () => {
		expect(parseIonApiText(`\n  ${JSON.stringify(FILE, null, 2)}\n\n`)).toEqual(FILE);
	});

	it('refuses empty text', () => {
		for (const text of ['', '   \n', undefined as unknown as string]) {
			const error = errorOf(() => parseIonApiText(text));
			expect(error).toBeInstanceOf(IonApiFileError);
			expect(error.message).toBe('The .ionapi text is empty: paste the whole content of the file downloaded from ION API');
		}
	});

	it('refuses malformed JSON without echoing any of it', () => {
		const broken = JSON.stringify(FILE).slice(0, -1);
		const error = errorOf(() => parseIonApiText(broken));
		expect(error).toBeInstanceOf(IonApiFileError);
		expect(error.message).toBe('The .ionapi text is not valid JSON: paste the whole content of the file downloaded from ION API, including the braces');
		expectNoSecrets(error.message);
		const unquoted = `{ti: ACME, cs: ${SECRET}}`;
		expectNoSecrets(errorOf(() => parseIonApiText(unquoted)).message);
	});

	it.each([['[1,2]'], ['"text"'], ['42'], ['null']])('refuses JSON that is not an object: %s', (text) => {
		expect(() => parseIonApiText(text)).toThrow(new IonApiFileError('The .ionapi text must be a JSON object with the keys ti, ci, cs, iu, pu and ot'));
	});
});

describe('the ION API configuration', () => {
	it('takes tenant, client, gateway, token URL and service-account keys from a valid file', () => {
		expect(toIonApiConfig(parseIonApiText(JSON.stringify(FILE)))).toEqual({
			tenant: 'ACME_TST',
			applicationName: 'LN Exchange Sync',
			clientId: 'ACME_TST~k3Jx9Q_client',
			clientSecret: SECRET,
			gatewayUrl: 'https://mingle-ionapi.eu1.inforcloudsuite.com',
			tokenUrl: 'https://mingle-sso.eu1.inforcloudsuite.com:443/ACME_TST/as/token.oauth2',
			serviceAccountAccessKey: 'ACME_TST#ServiceAccountAccessKey_xyz',
			serviceAccountSecretKey: SASK,
		});
	});

	it('accepts a file without service-account keys (client-credentials grant)', () => {
		const { saak: _saak, sask: _sask, cn: _cn, ...clientOnly } = FILE;
		const config = toIonApiConfig(clientOnly);
		expect(config.serviceAccountAccessKey).toBeUndefined();
		expect(config.serviceAccountSecretKey).toBeUndefined();
		expect(config.applicationName).toBeUndefined();
		expect(toIonApiConfig({ ...FILE, saak: '', sask: '  ' }).serviceAccountAccessKey).toBeUndefined();
	});

	it('joins pu and ot with exactly one slash, and takes an absolute ot as it is', () => {
		const url = (pu: string, ot: string) => toIonApiConfig({ ...FILE, pu, ot }).tokenUrl;
		expect(url('https://sso.example/T/as', 'token.oauth2')).toBe('https://sso.example/T/as/token.oauth2');
		expect(url('https://sso.example/T/as//', '/token.oauth2')).toBe('https://sso.example/T/as/token.oauth2');
		expect(url('https://sso.example/T/as/', 'https://other.example/token')).toBe('https://other.example/token');
	});

	it('trims the gateway URL, tenant and client id', () => {
		const config = toIonApiConfig({ ...FILE, iu: ' https://mingle-ionapi.example/// ', ti: ' ACME_TST ', ci: ' id ' });
		expect(config.gatewayUrl).toBe('https://mingle-ionapi.example');
		expect(config.tenant).toBe('ACME_TST');
		expect(config.clientId).toBe('id');
	});

	const meaning: Record<string, string> = {
		ti: 'tenant',
		ci: 'client id',
		cs: 'client secret',
		iu: 'ION API gateway URL',
		pu: 'authorization server URL',
		ot: 'token path',
	};

	it.each([...IONAPI_REQUIRED_KEYS])('names the missing key %s, and echoes no secret', (key) => {
		const file: Partial<IonApiFile> = { ...FILE };
		delete file[key];
		const error = errorOf(() => toIonApiConfig(file));
		expect(error).toBeInstanceOf(IonApiFileError);
		expect(error.message).toBe(`The .ionapi data is missing the key "${key}" (${meaning[key]})`);
		expectNoSecrets(error.message);
	});

	it.each([[''], ['   '], [42], [null]])('reads a required key with the value %p as missing', (value) => {
		expect(() => toIonApiConfig({ ...FILE, cs: value as string })).toThrow('The .ionapi data is missing the key "cs" (client secret)');
	});

	it('wants both service-account keys or neither, naming the missing one', () => {
		const noSecret = errorOf(() => toIonApiConfig({ ...FILE, sask: undefined }));
		expect(noSecret.message).toBe('The .ionapi data is missing the key "sask" (service account secret key); a service account needs both saak and sask');
		expectNoSecrets(noSecret.message);
		const noAccess = errorOf(() => toIonApiConfig({ ...FILE, saak: '' }));
		expect(noAccess.message).toBe('The .ionapi data is missing the key "saak" (service account access key); a service account needs both saak and sask');
		expectNoSecrets(noAccess.message);
	});

	it('refuses URLs that are not https URLs, naming the key but not the value', () => {
		const notUrl = errorOf(() => toIonApiConfig({ ...FILE, iu: `not a url ${SECRET}` }));
		expect(notUrl).toBeInstanceOf(IonApiFileError);
		expect(notUrl.message).toBe('The .ionapi key "iu" (ION API gateway URL) is not a URL');
		expectNoSecrets(notUrl.message);
		expect(() => toIonApiConfig({ ...FILE, pu: 'ftp://sso.example/as/' })).toThrow('The .ionapi key "pu" (authorization server URL) must be an https URL');
		expect(() => toIonApiConfig({ ...FILE, pu: 'mingle-sso.example/as/' })).toThrow('The .ionapi key "pu" (authorization server URL) is not a URL');
	});

	it('sends keys over plain http nowhere, and to this machine only when the credential allows it', () => {
		expect(() => toIonApiConfig({ ...FILE, iu: 'http://ion.example/' })).toThrow('The .ionapi key "iu" (ION API gateway URL) must be an https URL');
		expect(() => toIonApiConfig({ ...FILE, iu: 'http://ion.example/' }, { allowLoopbackHttp: true })).toThrow('must be an https URL');
		expect(() => toIonApiConfig({ ...FILE, pu: 'http://127.0.0.1:8080/T/as/' })).toThrow(
			'The .ionapi key "pu" (authorization server URL) must be an https URL (plain http on this machine only with "Allow Plain HTTP to This Machine")',
		);
		const local = toIonApiConfig({ ...FILE, iu: 'http://127.0.0.1:8080', pu: 'http://localhost:8080/T/as/' }, { allowLoopbackHttp: true });
		expect(local.gatewayUrl).toBe('http://127.0.0.1:8080');
		expect(local.tokenUrl).toBe('http://localhost:8080/T/as/token.oauth2');
		// The token URL joined from `ot` is checked too: an absolute ot cannot send the keys elsewhere in clear.
		expect(() => toIonApiConfig({ ...FILE, ot: 'http://sso.example/token' })).toThrow('The .ionapi key "ot"');
	});
});
