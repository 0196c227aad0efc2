import { createHash, createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';

/** Certificate sign-in to Microsoft Entra ID: the app registration holds the certificate, n8n its key. */
export interface CertificateSignIn {
	/** PEM private key (PKCS#8 or PKCS#1), unencrypted. */
	privateKey: string;
	/** PEM certificate whose public key is uploaded to the app registration. */
	certificate: string;
}

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Entra accepts assertions up to 10 minutes; a short life limits a leaked one. */
const ASSERTION_LIFETIME_SECONDS = 5 * 60;

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

export interface ParsedCertificateSignIn {
	key: KeyObject;
	/** Base64url SHA-1 and SHA-256 digests of the DER certificate (`x5t`, `x5t#S256`). */
	x5t: string;
	x5tS256: string;
	notAfter: Date;
}

/**
 * Reads and checks the pair: a PEM certificate, a PEM private key, and that the key is the
 * certificate's. Errors name the field, never the key.
 */
export function parseCertificateSignIn(pair: CertificateSignIn, now = new Date()): ParsedCertificateSignIn {
	let certificate: X509Certificate;
	try {
		certificate = new X509Certificate(pair.certificate.trim());
	} catch {
		throw new Error('Certificate is not a PEM certificate (it starts with -----BEGIN CERTIFICATE-----)');
	}
	let key: KeyObject;
	try {
		key = createPrivateKey(pair.privateKey.trim());
	} catch {
		throw new Error('Private Key is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)');
	}
	if (key.asymmetricKeyType !== 'rsa') throw new Error(`Private Key is an ${String(key.asymmetricKeyType).toUpperCase()} key; Microsoft Entra ID signs in with RSA certificates`);
	if (!certificate.checkPrivateKey(key)) throw new Error('Private Key does not belong to the Certificate');
	const notAfter = new Date(certificate.validTo);
	if (notAfter.getTime() < now.getTime()) throw new Error(`Certificate expired on ${notAfter.toISOString()}: make a new one and upload it to the app registration`);
	return {
		key,
		x5t: base64url(createHash('sha1').update(certificate.raw).digest()),
		x5tS256: base64url(createHash('sha256').update(certificate.raw).digest()),
		notAfter,
	};
}

/** The signed client assertion (RS256 JWT) for one token request to `tokenUrl`. */
export function clientAssertion(options: { clientId: string; tokenUrl: string; signIn: ParsedCertificateSignIn; nowMs?: number; jti?: string }): string {
	const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
	const header = { alg: 'RS256', typ: 'JWT', x5t: options.signIn.x5t, 'x5t#S256': options.signIn.x5tS256 };
	const payload = {
		aud: options.tokenUrl,
		iss: options.clientId,
		sub: options.clientId,
		jti: options.jti ?? randomUUID(),
		nbf: now,
		iat: now,
		exp: now + ASSERTION_LIFETIME_SECONDS,
	};
	const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
	const signature = sign('sha256', Buffer.from(signingInput), options.signIn.key);
	return `${signingInput}.${base64url(signature)}`;
}
