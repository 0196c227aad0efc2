import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

import { ENV_KEYS, parseArgs, startEmulators, UsageError } from './cli';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(__dirname, 'cli.ts');

/** The CLI as one node process (tsx as a loader: no npx/tsx wrapper between us and the signal). */
function spawnCli(args: string[]): ChildProcess {
	return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
	return new Promise((resolve) => {
		if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
		else child.once('exit', (code, signal) => resolve({ code, signal }));
	});
}

/** Collects `KEY=value` lines from stdout until every key has been printed. */
function readEnv(child: ChildProcess, timeoutMs = 25_000): Promise<{ env: Record<string, string>; lines: string[] }> {
	return new Promise((resolve, reject) => {
		let buffer = '';
		let stderr = '';
		const lines: string[] = [];
		const env: Record<string, string> = {};
		const timer = setTimeout(() => reject(new Error(`CLI printed no endpoints within ${timeoutMs} ms; stdout: ${buffer} ${lines.join('\n')}; stderr: ${stderr}`)), timeoutMs);
		child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
		child.stdout!.on('data', (chunk: Buffer) => {
			buffer += chunk.toString('utf8');
			let newline: number;
			while ((newline = buffer.indexOf('\n')) >= 0) {
				const line = buffer.slice(0, newline);
				buffer = buffer.slice(newline + 1);
				lines.push(line);
				const eq = line.indexOf('=');
				if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
			}
			if (ENV_KEYS.every((k) => k in env)) {
				clearTimeout(timer);
				resolve({ env, lines });
			}
		});
		child.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`CLI exited (${code}) before printing its endpoints; stderr: ${stderr}`));
		});
	});
}

async function lnToken(env: Record<string, string>): Promise<string> {
	const ionapi = JSON.parse(env.LN_IONAPI) as { ci: string; cs: string; saak: string; sask: string };
	const res = await fetch(env.LN_TOKEN_URL, {
		method: 'POST',
		headers: {
			'content-type': 'application/x-www-form-urlencoded',
			authorization: `Basic ${Buffer.from(`${ionapi.ci}:${ionapi.cs}`).toString('base64')}`,
		},
		body: new URLSearchParams({ grant_type: 'password', username: ionapi.saak, password: ionapi.sask }),
	});
	expect(res.status).toBe(200);
	return ((await res.json()) as { access_token: string }).access_token;
}

async function graphToken(env: Record<string, string>): Promise<string> {
	const res = await fetch(`${env.GRAPH_LOGIN_URL}/${env.GRAPH_TENANT_ID}/oauth2/v2.0/token`, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			client_id: env.GRAPH_CLIENT_ID,
			client_secret: env.GRAPH_CLIENT_SECRET,
			scope: 'https://graph.microsoft.com/.default',
			grant_type: 'client_credentials',
		}),
	});
	expect(res.status).toBe(200);
	return ((await res.json()) as { access_token: string }).access_token;
}

describe('npm run emulators (cli.ts)', () => {
	let child: ChildProcess | undefined;

	afterEach(async () => {
		if (child && child.exitCode === null && child.signalCode === null) {
			child.kill('SIGKILL');
			await exitOf(child);
		}
		child = undefined;
	});

	it('prints the endpoints and credentials, serves both emulators, and stops with exit 0 on SIGINT', async () => {
		child = spawnCli(['--ln-port', '0', '--graph-port', '0', '--seed', '3']);
		const { env, lines } = await readEnv(child);
		expect(lines.slice(0, 4).map((l) => l.split('=')[0])).toEqual(['LN_ION_API_URL', 'LN_TOKEN_URL', 'GRAPH_BASE_URL', 'GRAPH_LOGIN_URL']);
		expect(lines.map((l) => l.split('=')[0])).toEqual([...ENV_KEYS]);
		expect(env.LN_ION_API_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		expect(env.LN_TOKEN_URL).toBe(`${env.LN_ION_API_URL}/ACME_TST/as/token.oauth2`);
		expect(env.GRAPH_BASE_URL).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
		expect(env.GRAPH_LOGIN_URL).toBe(env.GRAPH_BASE_URL);
		expect(env.LN_COMPANY).toBe('100');
		expect(JSON.parse(env.LN_IONAPI)).toMatchObject({ ti: 'ACME_TST', iu: env.LN_ION_API_URL });

		// LN: token, then a first page of contacts.
		const token = await lnToken(env);
		const contacts = await fetch(`${env.LN_ION_API_URL}/ACME_TST/LN/lnapi/odata/tcapi.comContact/Contacts?$orderby=Contact`, {
			headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'x-infor-lncompany': env.LN_COMPANY },
		});
		expect(contacts.status).toBe(200);
		const page = (await contacts.json()) as { value: Array<{ Contact: string }>; '@odata.nextLink'?: string };
		expect(page.value).toHaveLength(25);
		expect(page.value[0].Contact).toBe('C00001');
		expect(page['@odata.nextLink']).toEqual(expect.any(String));

		// Graph: token, then the users of the demo tenant (5 sync users + the inactive LN user's mailbox).
		const bearer = await graphToken(env);
		const users = await fetch(`${env.GRAPH_BASE_URL}/v1.0/users`, { headers: { authorization: `Bearer ${bearer}` } });
		expect(users.status).toBe(200);
		const mails = ((await users.json()) as { value: Array<{ mail: string }> }).value.map((u) => u.mail);
		expect(mails).toHaveLength(6);
		expect(mails).toContain('u001@contoso.com');

		child.kill('SIGINT');
		expect(await exitOf(child)).toEqual({ code: 0, signal: null });
	});

	it('stops with exit 0 on SIGTERM too', async () => {
		child = spawnCli(['--ln-port', '0', '--graph-port', '0', '--users', '2', '--contacts', '3', '--activities', '2', '--events', '2']);
		await readEnv(child);
		child.kill('SIGTERM');
		expect(await exitOf(child)).toEqual({ code: 0, signal: null });
	});

	it('refuses an unknown option with exit code 2', async () => {
		child = spawnCli(['--size', 'xl']);
		let stderr = '';
		child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
		expect(await exitOf(child)).toEqual({ code: 2, signal: null });
		expect(stderr).toMatch(/--size must be one of s, m, l/);
	});
});

describe('parseArgs', () => {
	it('reads ports, size, counts, seed and latency', () => {
		expect(parseArgs(['--ln-port', '0', '--graph-port=9443', '--size', 'm', '--users', '7', '--seed', '42', '--latency-ms', '20'])).toEqual({
			lnPort: 0,
			graphPort: 9443,
			size: 'm',
			users: 7,
			seed: 42,
			latencyMs: 20,
		});
	});

	it('refuses bad values', () => {
		expect(() => parseArgs(['--users', 'many'])).toThrow(UsageError);
		expect(() => parseArgs(['--ln-port'])).toThrow(/needs a value/);
		expect(() => parseArgs(['--bogus'])).toThrow(/Unknown option/);
	});
});

describe('startEmulators', () => {
	it('starts, seeds and stops both emulators for other tools', async () => {
		const running = await startEmulators({ lnPort: 0, graphPort: 0, users: 3, contacts: 10, activities: 5, events: 6, latencyMs: 1, now: '2026-03-01T10:00:00Z' });
		try {
			expect(running.env.LN_ION_API_URL).toBe(running.ln.url);
			expect(running.env.GRAPH_BASE_URL).toBe(running.graph.url);
			expect(running.ln.latencyMs).toBe(1);
			expect(running.ln.list('100', 'contacts')).toHaveLength(10);
			expect(running.tenant.summary.events.total).toBe(6);
		} finally {
			await running.stop();
			await running.stop();
		}
	});
});
