import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The anchor registry. Parameters (ignition/parameters/<network>.json):
 * - baseUri: ERC-1155 metadata template pointing at the audit API, with `{id}`;
 * - registrar: the account that registers tenants (default: the deployer).
 */
export default buildModule("ProcessAnchorRegistry", (m) => {
  const baseUri = m.getParameter("baseUri", "http://127.0.0.1:42069/metadata/{id}.json");
  const registrar = m.getParameter("registrar", m.getAccount(0));
  const registry = m.contract("ProcessAnchorRegistry", [baseUri, registrar]);
  return { registry };
});
