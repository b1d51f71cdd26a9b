// Loader/action types under Remix's v3_singleFetch future flag.
import "@remix-run/node";
declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}
