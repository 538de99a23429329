/**
 * Hardhat's development accounts and the role each plays in `npm start`. Their
 * keys are public (every Hardhat and Anvil install prints them): anything they
 * hold on a real chain is taken within seconds, so they are for local chains only.
 * Tests use them too: they are funded on every simulated chain.
 */
import type { Hex } from "viem";
import { type PrivateKeyAccount, privateKeyToAccount } from "viem/accounts";

/** Hardhat's well-known development keys, accounts 0–4 of its mnemonic (public test keys). */
export const DEV_KEYS: readonly Hex[] = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e97e87b0d1d7d1b9b6a79ec1c5",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
];

const account = (index: number) => privateKeyToAccount(DEV_KEYS[index] as Hex);

/** The demo's accounts by role: registrar (also the deployer), tenant admin, anchor signer, relayer. */
export const demoAccounts = {
  registrar: account(0),
  admin: account(1),
  signer: account(2),
  relayer: account(3),
} satisfies Record<string, PrivateKeyAccount>;

/** What each role does, in the words `npm start` prints (README's roles table, shortened). */
export const DEMO_ROLES: readonly {
  readonly role: keyof typeof demoAccounts;
  readonly label: string;
  readonly does: string;
}[] = [
  { role: "registrar", label: "registrar", does: "deployed the contracts, registered the tenant" },
  { role: "admin", label: "tenant admin", does: "allowed the anchor signer, registered the Ed25519 key" },
  { role: "signer", label: "anchor signer", does: "signs the EIP-712 anchor" },
  { role: "relayer", label: "relayer", does: "sends the anchor transaction and pays its gas" },
];

/** The lines `npm start` prints about its accounts: which is which, and that their keys are public. */
export function describeAccounts(): string[] {
  return [
    "Accounts (Hardhat's public development keys: for local chains only, never for real funds):",
    ...DEMO_ROLES.map(
      ({ role, label, does }, index) =>
        `  ${`${label}`.padEnd(14)}${demoAccounts[role].address}  (account #${index}: ${does})`,
    ),
  ];
}
