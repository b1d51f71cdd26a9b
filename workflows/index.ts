// Every workflow the worker runs. Workflows import activity *types* only.
export { blockAccount, unblockAccount } from "./block-account.js";
export { emailTransfer } from "./email-transfer.js";
export { recharge } from "./recharge.js";
export { deleteAccount } from "./delete-account.js";
export { eraseMailingContact, listMailing, syncSubscription } from "./mailing.js";
export { leakedKey } from "./leaked-key.js";
