import { toIonApiConfig } from '../../lib/ln/ionapi';
import { LnTransport } from '../../lib/ln/transport';
import type { HttpRequester } from '../../lib/http/requester';
import { TokenCache } from '../../lib/http/token-cache';
import { LnEmulator } from '../emulators/ln/emulator';
import { n8nHttpRequest } from '../helpers/n8n-http';

// getAllSideBySide against the LN emulator (pages of 25, keyset next links, $count, $skip, $top).

const COMPANY = '100';
const keyOf = (raw: Record<string, unknown>) => String(raw.Contact);
const contactId = (n: number) => `C${String(n).padStart(4, '0')}`;

let emu: LnEmulator;

beforeAll(async () => {
	emu = new LnEmulator({ pageSize: 25 });
	await emu.start();
});
afterAll(async () => {
	await emu.stop();
});
beforeEach(() => {
	emu.seed({
		companies: {
			[COMPANY]: {
				contacts: Array.from({ length: 200 }, (_, i) => ({ Contact: contactId(i + 1), FirstName: 'F', LastName: `L${i + 1}`, Synchronize: i % 10 === 9 ? 'No' : 'Yes' })),
			},
		},
	});
});

interface Observed {
	urls: string[];
	maxInFlight: number;
}

/** The transport over n8n's request helper, with `around` given each request and its answer. */
function transport(observed: Observed, around: (url: string, body: Record<string, unknown>) => void = () => undefined, rewrite: (url: string) => string = (url) => url) {
	let inFlight = 0;
	const http: HttpRequester = async (options) => {
		const odata = !options.url.includes('/as/');
		if (odata) {
			observed.urls.push(options.url);
			inFlight++;
			observed.maxInFlight = Math.max(observed.maxInFlight, inFlight);
		}
		try {
			const response = await n8nHttpRequest({ ...options, url: odata ? rewrite(options.url) : options.url });
			if (odata && response.body && typeof response.body === 'object') around(options.url, response.body as Record<string, unknown>);
			return response;
		} finally {
			if (odata) inFlight--;
		}
	};
	const ion = toIonApiConfig(emu.ionapi() as unknown as Record<string, string>, { allowLoopbackHttp: true });
	return new LnTransport({ ion, company: COMPANY }, http, { tokenCache: new TokenCache(), retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 } });
}

const contactsUrl = (ln: LnTransport) => ln.url('tcapi.comContact', 'Contacts', { $filter: "Synchronize eq 'Yes'", $select: 'Contact,LastName', $orderby: 'Contact' });
const synchronized = () =>
	emu
		.list(COMPANY, 'contacts')
		.filter((c) => c.synchronize === 'Yes' || c.Synchronize === 'Yes')
		.map((c) => String(c.id ?? c.Contact))
		.sort();

describe('LN reads pages side by side', () => {
	it('reads what one page after the other reads, several pages at once, with one request more at most', async () => {
		const one: Observed = { urls: [], maxInFlight: 0 };
		const sideBySide: Observed = { urls: [], maxInFlight: 0 };
		const sequential = await transport(one).getAll<Record<string, unknown>>(contactsUrl(transport(one)));
		const ln = transport(sideBySide);
		const read = await ln.getAllSideBySide<Record<string, unknown>>(contactsUrl(ln), keyOf, 4);

		expect(read.map(keyOf)).toEqual(sequential.map(keyOf));
		expect(read.map(keyOf)).toEqual(synchronized());
		expect(read).toHaveLength(180);
		expect(one.urls).toHaveLength(8);
		expect(sideBySide.urls.length).toBeLessThanOrEqual(one.urls.length + 1);
		expect(sideBySide.maxInFlight).toBe(4);
		expect(sideBySide.urls.some((url) => url.includes('$skip='))).toBe(true);
	});

	it('a record removed and one added before the pages after the first are read: they read the records as they are now', async () => {
		const observed: Observed = { urls: [], maxInFlight: 0 };
		const ln = transport(observed, (url) => {
			if (!url.includes('$count=true')) return;
			emu.remove(COMPANY, 'contacts', contactId(71));
			emu.insert(COMPANY, 'contacts', { id: 'C0030A', firstName: 'New', lastName: 'Contact', synchronize: 'Yes' });
		});
		const read = (await ln.getAllSideBySide<Record<string, unknown>>(contactsUrl(ln), keyOf, 4)).map(keyOf);

		expect(read).toEqual(synchronized());
		expect(read).toContain('C0030A');
		expect(observed.urls.some((url) => url.includes('$skiptoken='))).toBe(false);
	});

	it('a record removed and one added between two of the pages: the rest is read by next links, missing nothing that was there throughout', async () => {
		const observed: Observed = { urls: [], maxInFlight: 0 };
		const before = synchronized();
		const removed = contactId(60);
		const ln = transport(observed, (url) => {
			if (!url.includes('$skip=24&')) return;
			emu.remove(COMPANY, 'contacts', removed);
			emu.insert(COMPANY, 'contacts', { id: 'C0001A', firstName: 'New', lastName: 'Contact', synchronize: 'Yes' });
		});
		const read = (await ln.getAllSideBySide<Record<string, unknown>>(contactsUrl(ln), keyOf, 1)).map(keyOf);

		expect(read).toEqual(before.filter((id) => id !== removed));
		expect(observed.urls.some((url) => url.includes('$skiptoken='))).toBe(true);
	});

	it('LN that gives no count, refuses $count, or ignores $skip: one page after the other, the same records', async () => {
		const noCount: Observed = { urls: [], maxInFlight: 0 };
		const withoutCount = transport(noCount, (_url, body) => {
			delete body['@odata.count'];
		});
		expect((await withoutCount.getAllSideBySide<Record<string, unknown>>(contactsUrl(withoutCount), keyOf, 4)).map(keyOf)).toEqual(synchronized());
		expect(noCount.urls.some((url) => url.includes('$skip='))).toBe(false);
		expect(noCount.maxInFlight).toBe(1);

		const countRefused: Observed = { urls: [], maxInFlight: 0 };
		const refusing = transport(countRefused, () => undefined, (url) => url.replace('$count=true', '$count=perhaps'));
		expect((await refusing.getAllSideBySide<Record<string, unknown>>(contactsUrl(refusing), keyOf, 4)).map(keyOf)).toEqual(synchronized());
		expect(countRefused.urls.some((url) => url.includes('$skip='))).toBe(false);

		const skipIgnored: Observed = { urls: [], maxInFlight: 0 };
		const ignoring = transport(skipIgnored, () => undefined, (url) => url.replace(/&\$skip=\d+/, ''));
		expect((await ignoring.getAllSideBySide<Record<string, unknown>>(contactsUrl(ignoring), keyOf, 4)).map(keyOf)).toEqual(synchronized());
		expect(skipIgnored.urls.some((url) => url.includes('$skiptoken='))).toBe(true);
	});

	it('refuses a URL that pages by itself', async () => {
		const ln = transport({ urls: [], maxInFlight: 0 });
		await expect(ln.getAllSideBySide(ln.url('tcapi.comContact', 'Contacts', { $top: 10 }), keyOf, 4)).rejects.toThrow(/already has \$top/);
	});
});
