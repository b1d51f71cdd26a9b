/**
 * Passwords of username/password logins: argon2id (OWASP's recommended
 * minimum: 19 MiB of memory, 2 iterations, 1 lane), a minimum length, and a
 * refusal of the ~50,000 most common passwords (zxcvbn-ts's list).
 */
import { randomBytes } from "node:crypto";
import { hash, verify, type Options } from "@node-rs/argon2";
import { dictionary } from "@zxcvbn-ts/language-common";

// 2 is Algorithm.Argon2id: the package exports it as a const enum, which isolated modules cannot read.
const ARGON2ID = 2 as Options["algorithm"];
export const ARGON2_OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 };
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 200;

const COMMON = new Set((dictionary["passwords-common"] as string[]).map((p) => p.toLowerCase()));

export const hashPassword = (password: string) => hash(password, ARGON2_OPTIONS);

/** False for a malformed hash too: a stored value we cannot read never lets anyone in. */
export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * A hash of nothing anyone knows, verified when the login does not exist, so
 * an unknown username costs the same argon2 work as a wrong password.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(32).toString("base64url"));
  return dummy;
}

/** Why a new password is refused, or null when it is acceptable. */
export function newPasswordProblem(password: string, context: { username?: string } = {}): string | null {
  if (password.length < PASSWORD_MIN) return `Use at least ${PASSWORD_MIN} characters.`;
  if (password.length > PASSWORD_MAX) return `Use at most ${PASSWORD_MAX} characters.`;
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return "That password is one of the most common passwords. Choose another.";
  if (context.username && lower.includes(context.username.toLowerCase())) return "The password must not contain the username.";
  return null;
}

/** A one-time initial password: 20 random characters, shown once to whoever creates the login. */
export function initialPassword(): string {
  return randomBytes(15).toString("base64url");
}
