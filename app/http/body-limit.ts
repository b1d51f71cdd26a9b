/**
 * Request bodies are counted as they are read, never trusted to their
 * Content-Length: a chunked upload has none. Past the limit nothing more is
 * read from the socket (the stream is paused, not drained), so memory and
 * bandwidth stay bounded whatever the client sends; the answer that follows
 * closes the connection (server/http-app.ts), which is what stops the sender.
 * Not destroyed: destroying the request destroys the socket, and the 413 would
 * never reach the client.
 */
import type { Readable } from "node:stream";

/** Every route's ceiling; some read less (the /v1 API 16 KB, the inbound-mail hook 256 KB, CSP reports 16 KB). */
export const MAX_BODY_BYTES = 1_000_000;

/** Bodies smaller than the 1 MB ceiling, by path prefix, enforced by the server glue. */
const SMALLER_LIMITS: [prefix: string, bytes: number][] = [["/csp-report", 16 * 1024]];

export function bodyLimitFor(path: string): number {
  return SMALLER_LIMITS.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`))?.[1] ?? MAX_BODY_BYTES;
}

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The request body is larger than ${limit} bytes.`);
    this.name = "BodyTooLargeError";
  }
}

/** "1 MB", "16 KB": the limit as a person reads it. */
export const describeBytes = (bytes: number) =>
  bytes >= 1_000_000 && bytes % 1_000_000 === 0 ? `${bytes / 1_000_000} MB` : bytes % 1024 === 0 ? `${bytes / 1024} KB` : `${bytes} bytes`;

/**
 * The body as a web stream for Remix's Request. Reading past `limit` bytes
 * errors the stream with BodyTooLargeError and calls `onTooLarge` (which
 * answers 413). Cancelling (a handler that read enough) stops reading too.
 */
export function countedBody(source: Readable, limit: number, onTooLarge: () => void): ReadableStream<Uint8Array> {
  let received = 0;
  let detach = () => {};
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const onData = (chunk: Buffer) => {
          received += chunk.byteLength;
          if (received > limit) {
            detach();
            controller.error(new BodyTooLargeError(limit));
            onTooLarge();
            return;
          }
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          // Backpressure: read from the socket only as fast as the handler consumes.
          if ((controller.desiredSize ?? 0) <= 0) source.pause();
        };
        const onEnd = () => {
          detach();
          controller.close();
        };
        const onError = (err: unknown) => {
          detach();
          controller.error(err);
        };
        // The client went away mid-body: an error, never a (truncated) end of the body.
        const onClose = () => onError(new Error("The client closed the connection before the request body ended."));
        detach = () => {
          source.off("data", onData);
          source.off("end", onEnd);
          source.off("error", onError);
          source.off("close", onClose);
          source.pause();
        };
        source.on("data", onData);
        source.once("end", onEnd);
        source.once("error", onError);
        source.once("close", onClose);
        source.pause(); // until the first pull
      },
      pull() {
        source.resume();
      },
      cancel() {
        detach();
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
}
