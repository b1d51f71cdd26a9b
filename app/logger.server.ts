/**
 * JSON logs through pino. Callers log ids and codes only: never an email, a
 * name, a token or a key. The redact list is a safety net, not the policy.
 */
import pino from "pino";

export type Logger = pino.Logger;

export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ["email", "*.email", "token", "*.token", "password", "*.password", "authorization", "*.authorization", "cookie", "*.cookie"],
      censor: "[redacted]",
    },
  });
}
