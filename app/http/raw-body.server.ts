/**
 * A signed hook's body as the exact bytes received (a signature is over bytes,
 * not over re-encoded text), or null past `limit`, read without buffering more.
 */
export async function readRawBody(request: Request, limit: number): Promise<Buffer | null> {
  const declared = Number(request.headers.get("Content-Length") ?? 0);
  if (declared > limit) return null;
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // A chunked body without Content-Length: stop reading, do not buffer the rest.
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
