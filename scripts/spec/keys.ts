/** The Ed25519 keys of the vectors: RFC 8032 §7.1 test seeds, so anyone can check the public keys. */
import { fromHex, toHex } from "../../src/bytes.ts";
import { type FileSigner, signerFromSeed } from "../../src/keys/fileSigner.ts";

export interface VectorKey {
  readonly name: string;
  readonly keyId: string;
  readonly source: string;
  readonly seed: string;
  readonly publicKey: string;
}

const KEYS = [
  {
    name: "key-1",
    keyId: "studio-key-2026",
    source: "RFC 8032 §7.1 TEST 1",
    seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
  },
  {
    name: "key-2",
    keyId: "studio-key-2027",
    source: "RFC 8032 §7.1 TEST 2",
    seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
  },
  {
    name: "key-3",
    keyId: "lab-key-1",
    source: "RFC 8032 §7.1 TEST 3",
    seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
  },
] as const;

export type KeyName = (typeof KEYS)[number]["name"];

export function signer(name: KeyName): FileSigner {
  const key = KEYS.find((k) => k.name === name);
  if (key === undefined) throw new Error(`no key ${name}`);
  return signerFromSeed(key.keyId, fromHex(key.seed) as Uint8Array);
}

export function keyVectors(): VectorKey[] {
  return KEYS.map((key) => ({ ...key, publicKey: toHex(signer(key.name).publicKey) }));
}
