/** How a person signs in, in words (pages show it; no server code here). */
import type { UserProvider } from "../../db/schema.js";

/** The identity providers by name (LinkedIn sign-in is discontinued; old accounts still name it). */
const PROVIDER_NAME = { google: "Google", github: "GitHub", linkedin: "LinkedIn" } as const satisfies Record<Exclude<UserProvider, "password">, string>;

export const providerName = (provider: keyof typeof PROVIDER_NAME) => PROVIDER_NAME[provider];

const LABEL: Record<UserProvider, string> = {
  ...PROVIDER_NAME,
  linkedin: `${PROVIDER_NAME.linkedin} (discontinued)`,
  password: "Username and password",
};

export const signInMethodLabel = (provider: UserProvider) => LABEL[provider];
