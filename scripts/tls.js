// A throw-away certificate for the local Graph emulator. The Graph client only sends its token to
// https hosts, so the emulator must speak TLS; processes that talk to it trust this certificate
// through NODE_EXTRA_CA_CERTS (read by Node at start-up, hence the wrapper below).
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const TLS_DIR = path.join(__dirname, '..', '.cache', 'tls');
// An EC P-256 key: every request through n8n's request helper opens a new TLS connection, and an
// ECDSA handshake costs the emulator a fraction of an RSA one (it is part of what the benchmark measures).
const KEY_PATH = path.join(TLS_DIR, 'key-ec.pem');
const CERT_PATH = path.join(TLS_DIR, 'cert-ec.pem');

function ensureTestCertificate() {
	if (!fs.existsSync(KEY_PATH) || !fs.existsSync(CERT_PATH)) {
		fs.mkdirSync(TLS_DIR, { recursive: true });
		execFileSync(
			'openssl',
			[
				'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-days', '3650',
				'-keyout', KEY_PATH, '-out', CERT_PATH,
				'-subj', '/CN=localhost',
				'-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
				'-addext', 'basicConstraints=critical,CA:TRUE',
			],
			{ stdio: 'ignore' },
		);
	}
	return { keyPath: KEY_PATH, certPath: CERT_PATH };
}

/** Environment for a child process that must trust the emulator certificate. */
function tlsEnvironment(base = process.env) {
	const { certPath } = ensureTestCertificate();
	return { ...base, NODE_EXTRA_CA_CERTS: certPath };
}

module.exports = { ensureTestCertificate, tlsEnvironment, TLS_DIR, KEY_PATH, CERT_PATH };

if (require.main === module) {
	// `node scripts/tls.js <command> [args…]`: run the command trusting the emulator certificate.
	const [command, ...args] = process.argv.slice(2);
	if (!command) {
		ensureTestCertificate();
		process.stdout.write(`${CERT_PATH}\n`);
		process.exit(0);
	}
	const child = spawn(command, args, { stdio: 'inherit', env: tlsEnvironment(), shell: false });
	const forward = (signal) => child.kill(signal);
	process.on('SIGINT', forward);
	process.on('SIGTERM', forward);
	child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
}
