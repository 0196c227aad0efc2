/**
 * n8n behind a corporate proxy (issue 17, point 1): with HTTP_PROXY / HTTPS_PROXY set for n8n, every
 * request of a pull — LN, Entra ID tokens, Graph — reaches the emulators through a real forward proxy
 * (Debian's tinyproxy); with NO_PROXY covering the emulators' host, none does. The proxy connects out
 * from an address of its own (127.0.0.3), so the emulators' request logs tell which requests it carried.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { freePort } from '../../scripts/n8n/instance';
import { PULL_ID } from '../../scripts/n8n/provision';
import { runPull } from '../../scripts/n8n/sync';
import type { LoggedRequest } from '../emulators/common/request-log';
import { E2E_OWNER, freshTenant, type N8nContext } from './n8n-context';

const TINYPROXY = '/usr/bin/tinyproxy';
const PROXY_SOURCE = '127.0.0.3';

class Tinyproxy {
	private process?: ChildProcess;
	readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyproxy-'));
	readonly logFile = path.join(this.dir, 'tinyproxy.log');
	port = 0;

	async start(): Promise<void> {
		if (!fs.existsSync(TINYPROXY)) throw new Error(`${TINYPROXY} is missing: apt-get install tinyproxy (.ci/run installs it)`);
		this.port = await freePort();
		const config = path.join(this.dir, 'tinyproxy.conf');
		fs.writeFileSync(
			config,
			[
				`Port ${this.port}`,
				'Listen 127.0.0.1',
				// Outgoing connections from an address of their own: the emulators see who carried a request.
				`Bind ${PROXY_SOURCE}`,
				'Timeout 120',
				'MaxClients 200',
				'Allow 127.0.0.1',
				`LogFile "${this.logFile}"`,
				'LogLevel Connect',
				'DisableViaHeader Yes',
			].join('\n') + '\n',
		);
		this.process = spawn(TINYPROXY, ['-d', '-c', config], { stdio: 'ignore' });
		for (let i = 0; i < 100; i++) {
			if (await new Promise<boolean>((resolve) => net.connect(this.port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); resolve(true); }).once('error', () => resolve(false)))) return;
			await new Promise((resolve) => setTimeout(resolve, 100));
		}
		throw new Error(`tinyproxy did not listen on 127.0.0.1:${this.port}`);
	}

	/** What the proxy carried, per line of its log: `CONNECT host:port` tunnels and plain `GET http://…` requests. */
	carried(): string[] {
		if (!fs.existsSync(this.logFile)) return [];
		return fs
			.readFileSync(this.logFile, 'utf8')
			.split('\n')
			.flatMap((line) => {
				const match = /Request \(file descriptor \d+\): (\S+ \S+)/.exec(line);
				return match ? [match[1]] : [];
			});
	}

	stop(): void {
		this.process?.kill();
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}

export function describeProxy(context: N8nContext): void {
	describe('behind a forward proxy (tinyproxy)', () => {
		const proxy = new Tinyproxy();
		beforeAll(async () => {
			await proxy.start();
			// As the sync tests leave it (they may be filtered out): the pull published by a running n8n.
			if (!context.instance.running) {
				await context.instance.activateWorkflow(PULL_ID);
				await context.instance.start();
			}
			// Then n8n stopped while the pulls run with `n8n execute`: its hourly schedule would otherwise
			// start a pull of its own (without the proxy) now and then in the middle of this test (seen in CI).
			await context.instance.stop();
		}, 300_000);
		afterAll(async () => {
			proxy.stop();
			// As the next suites expect it: n8n running, the owner signed in.
			await context.instance.start();
			await context.instance.ensureOwner(E2E_OWNER);
			await context.instance.login(E2E_OWNER);
		}, 300_000);

		const outerRequests = (): Array<LoggedRequest & { system: string }> => [
			...context.emulators.graph.log.all().filter((r) => r.batchSeq === undefined).map((r) => ({ ...r, system: 'graph' })),
			...context.emulators.ln.log.all().map((r) => ({ ...r, system: 'ln' })),
		];

		it('sends every request of a pull through the proxy n8n is told about, and none past NO_PROXY', async () => {
			freshTenant(context.emulators);
			const through = `http://127.0.0.1:${proxy.port}`;
			const proxied = await runPull(context.instance, { HTTP_PROXY: through, HTTPS_PROXY: through });
			expect(proxied.failed).toBeUndefined();
			const requests = outerRequests();
			expect(requests.filter((r) => r.system === 'graph').length).toBeGreaterThan(5);
			expect(requests.filter((r) => r.system === 'ln').length).toBeGreaterThan(5);
			expect(requests.filter((r) => r.from !== PROXY_SOURCE).map((r) => `${r.system} ${r.method} ${r.path} from ${r.from}`)).toEqual([]);
			// LN is plain HTTP: the proxy logs each request; Graph and Entra ID are tunnelled (CONNECT).
			const carried = proxy.carried();
			const lnOrigin = new URL(context.emulators.ln.url).host;
			expect(carried.filter((line) => line.includes(`//${lnOrigin}/`)).length).toBe(requests.filter((r) => r.system === 'ln').length);
			expect(carried.filter((line) => line === `CONNECT ${new URL(context.emulators.graph.url).host}`).length).toBeGreaterThan(0);

			// The same pull with NO_PROXY naming the emulators' host goes direct.
			context.emulators.ln.log.clear();
			context.emulators.graph.log.clear();
			const before = carried.length;
			const direct = await runPull(context.instance, { HTTP_PROXY: through, HTTPS_PROXY: through, NO_PROXY: '127.0.0.1' });
			expect(direct.failed).toBeUndefined();
			expect(outerRequests().length).toBeGreaterThan(0);
			expect(outerRequests().filter((r) => r.from === PROXY_SOURCE)).toEqual([]);
			expect(proxy.carried().length).toBe(before);
		});
	});
}
