/** How a person signs in, in words (pages show it; no server code here). */
import type { UserProvider } from "../../db/schema.js";

const LABEL: Record<UserProvider, string> = {
  google: "Google",
  github: "GitHub",
  linkedin: "LinkedIn (discontinued)",
  password: "Username and password",
};

export const signInMethodLabel = (provider: UserProvider) => LABEL[provider];
