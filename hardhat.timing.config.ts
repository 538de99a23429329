import base from "./hardhat.config.ts";
export default { ...base, test: { ...base.test, mocha: { reporter: "/tmp/timing/reporter.cjs" } } };
