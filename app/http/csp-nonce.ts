/**
 * The request's CSP nonce for the scripts Remix and React write into a page
 * (app/entry.server.tsx provides it, app/root.tsx hands it to <Scripts> and
 * <ScrollRestoration>). Only the server renders with it: in the browser it is
 * undefined, and the attribute the server wrote stays as it was.
 */
import { createContext, useContext } from "react";

export const CspNonceContext = createContext<string | undefined>(undefined);

export const useCspNonce = () => useContext(CspNonceContext);

declare module "@remix-run/node" {
  interface AppLoadContext {
    /** Fresh per request (server/http-app.ts); in the Content-Security-Policy header and on every inline script. */
    cspNonce: string;
  }
}
