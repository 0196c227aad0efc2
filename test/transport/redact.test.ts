import { redact } from '../../lib/http/redact';

// Azure client secrets look like this one: `~` and `.` are common, and form encoding turns `~` into %7E.
const SECRET = 'Xy8Q~abc.DEF_ghi-Jkl~mno+p/q"r';

describe('redact', () => {
	it.each([
		['as it is', SECRET],
		['URL-encoded', encodeURIComponent(SECRET)],
		['form-encoded', new URLSearchParams({ client_secret: SECRET }).toString()],
		['form-encoded, lower-case hex', new URLSearchParams({ client_secret: SECRET }).toString().replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())],
		['JSON-escaped', JSON.stringify({ secret: SECRET })],
		['base64', Buffer.from(SECRET).toString('base64')],
		['in a Basic header', `Authorization: Basic ${Buffer.from(`client-id:${SECRET}`).toString('base64')}`],
		['in a Bearer header', 'Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi.abc-def_ghi'],
	])('removes the secret %s', (_form, text) => {
		const cleaned = redact(`request failed: ${text} (end)`, [SECRET]);
		expect(cleaned).toMatch(/^request failed: .*\*\*\*.* \(end\)$/);
		for (const piece of ['Xy8Q', 'abc.DEF', 'ghi-Jkl', 'Xy8Q%7E', 'eHk4U', 'eyJ0eXAi']) expect(cleaned).not.toContain(piece);
	});

	it('leaves other text alone, and ignores secrets too short to mean anything', () => {
		expect(redact('nothing to hide here', [SECRET, 'ab', undefined])).toBe('nothing to hide here');
		expect(redact('a Basic idea', [])).toBe('a Basic idea');
	});
});
