import { toHex } from "viem";
import { registerSigningKey, registerTenant, revokeSigningKey, setAnchorSigner } from "../../anchor/registryClient.ts";
import { isAnchorSigner, readSigningKey, readTenant } from "../../anchor/registryReads.ts";
import { readPublicKey } from "../../keys/readPublicKey.ts";
import { type Command, flag, type ParsedArgs, requireString, strings } from "../args.ts";
import { EXIT } from "../errors.ts";
import { printResult } from "../output.ts";
import {
  addTwelveMonths,
  chainNow,
  connect,
  connectWriter,
  NETWORK_OPTIONS,
  NETWORK_USAGE,
  parseAddress,
  parseTime,
  positionals,
  timeField,
  transactionFields,
  WRITE_OPTIONS,
  WRITE_USAGE,
} from "../registry.ts";

export const tenantRegister: Command = {
  usage: `pop tenant register <tenantId> --admin <address> ${WRITE_USAGE}`,
  summary: "register a tenant with its first admin (POP_ADMIN_PRIVATE_KEY must be the registrar's key)",
  options: { ...WRITE_OPTIONS, admin: { type: "string" } },
  async run(args) {
    const [tenantId] = positionals(args, 1, tenantRegister.usage) as [string];
    const admin = parseAddress(requireString(args, "admin", tenantRegister.usage), "--admin");
    const { clients, registry, confirmations, account } = await connectWriter(args, tenantRegister.usage);
    const tx = await registerTenant(clients, { registry, confirmations, tenantId, admin });
    printResult({ tenantId, admin, registry, ...transactionFields(tx, account) }, flag(args, "json"));
    return EXIT.ok;
  },
};

export const tenantShow: Command = {
  usage: `pop tenant show <tenantId> [--signer <address>]... [--key-id <id>]... ${NETWORK_USAGE}`,
  summary: "a tenant's admin, pending admin and anchor count, and whether given signers and key ids are registered",
  options: {
    ...NETWORK_OPTIONS,
    signer: { type: "string", multiple: true },
    "key-id": { type: "string", multiple: true },
  },
  async run(args) {
    const [tenantId] = positionals(args, 1, tenantShow.usage) as [string];
    const signers = strings(args, "signer").map((s) => parseAddress(s, "--signer"));
    const keyIds = strings(args, "key-id");
    const { publicClient, registry } = await connect(args, tenantShow.usage);
    const [tenant, allowed, keys] = await Promise.all([
      readTenant(publicClient, { registry, tenantId }),
      Promise.all(signers.map((signer) => isAnchorSigner(publicClient, { registry, tenantId, signer }))),
      Promise.all(keyIds.map((keyId) => readSigningKey(publicClient, { registry, tenantId, keyId }))),
    ]);
    printResult(
      {
        ...tenant,
        anchorCount: Number(tenant.anchorCount),
        registry,
        ...(signers.length === 0 ? {} : { signers: Object.fromEntries(signers.map((s, i) => [s, allowed[i]])) }),
        ...(keyIds.length === 0
          ? {}
          : {
              keys: Object.fromEntries(
                keyIds.map((keyId, i) => {
                  const key = keys[i];
                  if (key === null || key === undefined) return [keyId, null];
                  return [
                    keyId,
                    {
                      publicKey: key.publicKey.slice(2),
                      validFrom: timeField(key.validFrom),
                      validUntil: timeField(key.validUntil),
                      revokedAt: timeField(key.revokedAt),
                      revocationRecordedAt: timeField(key.revocationRecordedAt),
                    },
                  ];
                }),
              ),
            }),
      },
      flag(args, "json"),
    );
    return EXIT.ok;
  },
};

async function setSigner(args: ParsedArgs, usage: string, allowed: boolean): Promise<number> {
  const [tenantId, given] = positionals(args, 2, usage) as [string, string];
  const signer = parseAddress(given, "The signer");
  const { clients, registry, confirmations, account } = await connectWriter(args, usage);
  const tx = await setAnchorSigner(clients, { registry, confirmations, tenantId, signer, allowed });
  printResult({ tenantId, signer, allowed, registry, ...transactionFields(tx, account) }, flag(args, "json"));
  return EXIT.ok;
}

export const signerAdd: Command = {
  usage: `pop signer add <tenantId> <address> ${WRITE_USAGE}`,
  summary: "allow an account to authorise the tenant's anchors (POP_ADMIN_PRIVATE_KEY: the tenant admin's key)",
  options: WRITE_OPTIONS,
  run: (args) => setSigner(args, signerAdd.usage, true),
};

export const signerRemove: Command = {
  usage: `pop signer remove <tenantId> <address> ${WRITE_USAGE}`,
  summary: "stop an account from authorising the tenant's anchors (POP_ADMIN_PRIVATE_KEY: the tenant admin's key)",
  options: WRITE_OPTIONS,
  run: (args) => setSigner(args, signerRemove.usage, false),
};

export const keyRegister: Command = {
  usage: `pop key register <tenantId> --key <keyfile> [--valid-from <iso|unix>] [--valid-until <iso|unix>] ${WRITE_USAGE}`,
  summary:
    "register a key file's Ed25519 public key for the tenant (no passphrase needed; default valid from now for 12 months)",
  options: {
    ...WRITE_OPTIONS,
    key: { type: "string" },
    "valid-from": { type: "string" },
    "valid-until": { type: "string" },
  },
  async run(args) {
    const [tenantId] = positionals(args, 1, keyRegister.usage) as [string];
    const { keyId, publicKey } = await readPublicKey(requireString(args, "key", keyRegister.usage));
    const from = args.values["valid-from"];
    const until = args.values["valid-until"];
    const givenFrom = typeof from === "string" ? parseTime(from, "valid-from") : undefined;
    const givenUntil = typeof until === "string" ? parseTime(until, "valid-until") : undefined;
    const connection = await connectWriter(args, keyRegister.usage);
    const { clients, registry, confirmations, account } = connection;
    const validFrom = givenFrom ?? (await chainNow(connection));
    const validUntil = givenUntil ?? addTwelveMonths(validFrom);
    const tx = await registerSigningKey(clients, {
      registry,
      confirmations,
      tenantId,
      keyId,
      publicKey: toHex(publicKey),
      validFrom,
      validUntil,
    });
    printResult(
      {
        tenantId,
        keyId,
        publicKey: toHex(publicKey).slice(2),
        validFrom: timeField(validFrom),
        validUntil: timeField(validUntil),
        registry,
        ...transactionFields(tx, account),
      },
      flag(args, "json"),
    );
    return EXIT.ok;
  },
};

export const keyRevoke: Command = {
  usage: `pop key revoke <tenantId> <keyId> [--at <iso|unix>] ${WRITE_USAGE}`,
  summary:
    "revoke a compromised key, effective --at (default now; may be back-dated to the compromise; before the key's validFrom voids it entirely, so a key registered for the future can be revoked before it starts)",
  options: { ...WRITE_OPTIONS, at: { type: "string" } },
  async run(args) {
    const [tenantId, keyId] = positionals(args, 2, keyRevoke.usage) as [string, string];
    const at = args.values.at;
    const givenAt = typeof at === "string" ? parseTime(at, "at") : undefined;
    const connection = await connectWriter(args, keyRevoke.usage);
    const { clients, registry, confirmations, account } = connection;
    // The latest block's time, not this machine's clock: a revocation later than the chain's now reverts.
    const revokedAt = givenAt ?? (await chainNow(connection));
    const tx = await revokeSigningKey(clients, { registry, confirmations, tenantId, keyId, revokedAt });
    printResult(
      { tenantId, keyId, revokedAt: timeField(revokedAt), registry, ...transactionFields(tx, account) },
      flag(args, "json"),
    );
    return EXIT.ok;
  },
};
