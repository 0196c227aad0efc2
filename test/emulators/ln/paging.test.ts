import type { LnEmulator } from './emulator';
import { call, expectLnError, manyActivities, startEmulator, values, type ODataClient, type Reply } from './test-helpers';

let emu: LnEmulator;
let odata: ODataClient;

beforeAll(async () => {
	({ emu, odata } = await startEmulator({}, manyActivities(60)));
});
afterAll(() => emu.stop());
beforeEach(async () => {
	emu.seed(manyActivities(60));
	await call(`${emu.url}/_control/page-size`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 25 }) });
});

const id = (n: number) => `ACT${String(n).padStart(6, '0')}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => id(from + i));

/** Follows nextLink to the end; returns the pages. */
async function allPages(first: string, headers: Record<string, string> = {}): Promise<Reply[]> {
	const pages: Reply[] = [];
	let next: string | undefined = first;
	while (next) {
		const page = await odata(next, { headers });
		expect(page.status).toBe(200);
		pages.push(page);
		next = page.body['@odata.nextLink'] as string | undefined;
		if (pages.length > 100) throw new Error('paging does not end');
	}
	return pages;
}

const idsOf = (pages: Reply[]) => pages.flatMap((p) => values(p).map((e) => e.Activity as string));

describe('server-driven paging', () => {
	it('pages of the default size; absolute nextLinks lead through all records without duplicates or gaps', async () => {
		const pages = await allPages('Activities');
		expect(pages.map((p) => values(p).length)).toEqual([25, 25, 10]);
		expect(idsOf(pages)).toEqual(range(1, 60));
		const link = pages[0].body['@odata.nextLink'] as string;
		expect(link.startsWith(`${emu.url}/ACME_TST/LN/lnapi/odata/txcom.exchangeSync/Activities?`)).toBe(true);
		expect(new URL(link).searchParams.get('$skiptoken')).toBeTruthy();
		expect(pages[2].body).not.toHaveProperty('@odata.nextLink');
	});

	it('nextLink repeats the other query options', async () => {
		const query = `$filter=${encodeURIComponent("Type eq 'Call'")}&$orderby=StartDate desc&$select=Subject,StartDate&$count=true`;
		const pages = await allPages(`Activities?${query}`, { prefer: 'odata.maxpagesize=8' });
		const link = new URL(pages[0].body['@odata.nextLink'] as string);
		expect(link.searchParams.get('$filter')).toBe("Type eq 'Call'");
		expect(link.searchParams.get('$orderby')).toBe('StartDate desc');
		expect(link.searchParams.get('$select')).toBe('Subject,StartDate');
		expect(link.searchParams.get('$count')).toBe('true');
		const expected = range(1, 60).filter((_, i) => i % 2 === 1).reverse();
		expect(idsOf(pages)).toEqual(expected);
		expect(pages.map((p) => values(p).length)).toEqual([8, 8, 8, 6]);
		for (const page of pages) {
			expect(page.body['@odata.count']).toBe(30);
			expect(Object.keys(values(page)[0])).toEqual(['@odata.etag', 'Activity', 'Subject', 'StartDate']);
		}
	});

	it('Prefer: odata.maxpagesize lowers the page size but never raises it', async () => {
		const small = await odata('Activities', { headers: { prefer: 'odata.maxpagesize=10' } });
		expect(values(small)).toHaveLength(10);
		expect(small.headers.get('preference-applied')).toBe('odata.maxpagesize=10');
		expect(idsOf(await allPages('Activities', { prefer: 'odata.maxpagesize=10' }))).toEqual(range(1, 60));
		const large = await odata('Activities', { headers: { prefer: 'odata.maxpagesize=100' } });
		expect(values(large)).toHaveLength(25);
	});

	it('POST /_control/page-size changes the server page size', async () => {
		const set = await call(`${emu.url}/_control/page-size`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 7 }) });
		expect(set.status).toBe(204);
		const pages = await allPages('Activities');
		expect(pages).toHaveLength(9);
		expect(idsOf(pages)).toEqual(range(1, 60));
		const bad = await call(`${emu.url}/_control/page-size`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 0 }) });
		expect(bad.status).toBe(400);
	});

	it('$top limits the total across pages; $skip applies once', async () => {
		const top = await allPages('Activities?$top=30');
		expect(top.map((p) => values(p).length)).toEqual([25, 5]);
		expect(idsOf(top)).toEqual(range(1, 30));
		const skipTop = await allPages('Activities?$skip=20&$top=35', { prefer: 'odata.maxpagesize=10' });
		expect(idsOf(skipTop)).toEqual(range(21, 55));
		const exact = await allPages('Activities?$top=25');
		expect(exact).toHaveLength(1);
	});

	it('records inserted or deleted between pages cause no duplicates or gaps in the rest', async () => {
		const first = await odata('Activities', { headers: { prefer: 'odata.maxpagesize=10' } });
		expect(values(first).map((e) => e.Activity)).toEqual(range(1, 10));
		// Another user deletes a record already read and inserts one that sorts before the cursor.
		emu.remove('100', 'activities', { id: id(3) });
		emu.insert('100', 'activities', { id: 'ACT000000', type: 'Task', subject: 'early' });
		const rest = await allPages(first.body['@odata.nextLink'] as string, { prefer: 'odata.maxpagesize=10' });
		expect(idsOf(rest)).toEqual(range(11, 60));
	});

	it('the rest of a filtered read sees records changed after its first page (the filtered list is not kept across a change)', async () => {
		const query = `Activities?$filter=${encodeURIComponent("Type eq 'Call'")}`;
		const first = await odata(query, { headers: { prefer: 'odata.maxpagesize=8' } });
		expect(values(first).map((e) => e.Activity)).toEqual(range(1, 16).filter((_, i) => i % 2 === 1));
		emu.update('100', 'activities', { id: id(59) }, { type: 'Call' });
		emu.update('100', 'activities', { id: id(58) }, { type: 'Task' });
		emu.remove('100', 'activities', { id: id(56) });
		const rest = await allPages(first.body['@odata.nextLink'] as string, { prefer: 'odata.maxpagesize=8' });
		expect(idsOf(rest)).toEqual([...range(17, 54).filter((_, i) => i % 2 === 1), id(59), id(60)]);
	});

	it('a tampered $skiptoken → 400', async () => {
		expectLnError(await odata('Activities?$skiptoken=garbage'), 400, /\$skiptoken/);
	});
});
