/**
 * Whether a report is GitHub's: both headers present and well-formed (else
 * 400), the key it names known after at most one fetch of the list (else 401;
 * 503 while we cannot fetch the list at all), the signature good over the raw
 * body (else 401). Nothing in the body is read before this says yes.
 */
import type { PublicKeys } from "./public-keys.server.js";
import { decodeSignature, isKeyIdentifier, verifyReportSignature } from "./signature.server.js";

export const KEY_ID_HEADER = "Github-Public-Key-Identifier";
export const SIGNATURE_HEADER = "Github-Public-Key-Signature";

export type ReportVerdict = { ok: true } | { ok: false; status: 400 | 401 | 503; type: string; message: string };

export async function verifyReport(keys: PublicKeys, body: Uint8Array, headers: Headers): Promise<ReportVerdict> {
  const keyId = headers.get(KEY_ID_HEADER)?.trim();
  const signatureHeader = headers.get(SIGNATURE_HEADER);
  if (!keyId || !signatureHeader) {
    return { ok: false, status: 400, type: "missing_signature", message: `The ${KEY_ID_HEADER} and ${SIGNATURE_HEADER} headers are required.` };
  }
  if (!isKeyIdentifier(keyId)) return { ok: false, status: 400, type: "invalid_signature", message: `${KEY_ID_HEADER} is not a key identifier.` };
  const signature = decodeSignature(signatureHeader);
  if (!signature) return { ok: false, status: 400, type: "invalid_signature", message: `${SIGNATURE_HEADER} is not a base64 signature.` };

  const found = await keys.find(keyId);
  if (!found.ok) {
    return found.reason === "unavailable"
      ? { ok: false, status: 503, type: "keys_unavailable", message: "The signing keys could not be fetched; deliver the report again later." }
      : { ok: false, status: 401, type: "unknown_key", message: `${KEY_ID_HEADER} names no key of the secret scanning key list.` };
  }
  if (!verifyReportSignature(body, signature, found.key)) {
    return { ok: false, status: 401, type: "invalid_signature", message: `${SIGNATURE_HEADER} does not match the body.` };
  }
  return { ok: true };
}
