/**
 * Removes secrets from a text (an error body or message could echo them): the secret as it is, in the
 * forms it travels in (URL-encoded with either hex case, form-encoded, JSON-escaped, base64), and any
 * Basic or Bearer credential.
 */
export function redact(text: string, secrets: Array<string | undefined>): string {
	let result = text.replace(/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{8,}/g, '$1 ***');
	for (const secret of secrets) {
		if (!secret || secret.length < 4) continue;
		const encoded = [encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)];
		const forms = new Set([
			secret,
			...encoded,
			...encoded.map((form) => form.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())),
			JSON.stringify(secret).slice(1, -1),
			Buffer.from(secret, 'utf8').toString('base64'),
		]);
		// Longest first, so that no shorter form leaves part of a longer one behind.
		for (const form of [...forms].sort((a, b) => b.length - a.length)) result = result.split(form).join('***');
	}
	return result;
}
