import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** The ERC-7053 commit register, deployed only on the local Numbers Mainnet stand-in (chain 31338). */
export default buildModule("CommitRegister", (m) => {
  const commitRegister = m.contract("CommitRegister");
  return { commitRegister };
});
