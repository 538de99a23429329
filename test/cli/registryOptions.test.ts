import { expect } from "chai";
import { addTwelveMonths, adminAccountFromEnv, parseAddress, parseTime } from "../../src/cli/registry.ts";

const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

describe("registry command options", () => {
  describe("parseTime", () => {
    it("reads unix seconds and ISO 8601 dates and times, UTC unless an offset is given", () => {
      expect(parseTime("1767225600", "at")).to.equal(1_767_225_600n);
      expect(parseTime("2026-01-01", "at")).to.equal(1_767_225_600n);
      expect(parseTime("2026-01-01T00:00:00Z", "at")).to.equal(1_767_225_600n);
      expect(parseTime("2026-01-01T00:00", "at")).to.equal(1_767_225_600n);
      expect(parseTime("2026-01-01T01:00:00+01:00", "at")).to.equal(1_767_225_600n);
      expect(parseTime("2026-01-01T00:00:00.999Z", "at")).to.equal(1_767_225_600n);
      expect(parseTime("2025-12-31T19:00:00-0500", "at")).to.equal(1_767_225_600n);
      expect(parseTime("2028-02-29", "at")).to.equal(1_835_395_200n);
    });

    for (const value of [
      "yesterday",
      "1.5",
      "-1",
      "Jan 1 2026",
      "2026-13-01",
      "2026-02-30",
      "2026-01-01T24:00:00Z",
      "2026-01-01T10:00+25:00",
      "1969-12-31",
      "18446744073709551616",
    ]) {
      it(`rejects "${value}", naming the option`, () => {
        expect(() => parseTime(value, "valid-from")).to.throw(/^--valid-from must be unix seconds or an ISO 8601 time/);
      });
    }
  });

  it("adds twelve calendar months", () => {
    expect(addTwelveMonths(parseTime("2026-03-15T12:00:00Z", "at"))).to.equal(parseTime("2027-03-15T12:00:00Z", "at"));
    expect(addTwelveMonths(2n ** 63n)).to.equal(2n ** 64n - 1n);
  });

  describe("parseAddress", () => {
    it("checksums a lower-case address and rejects a wrong checksum", () => {
      expect(parseAddress("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", "--admin")).to.equal(
        "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
      );
      expect(() => parseAddress("0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "--admin")).to.throw(/wrong checksum/);
      expect(() => parseAddress("0x1234", "--admin")).to.throw(/--admin must be an address/);
    });
  });

  describe("adminAccountFromEnv", () => {
    it("takes the key with or without 0x", () => {
      const address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
      expect(adminAccountFromEnv({ POP_ADMIN_PRIVATE_KEY: KEY }).address).to.equal(address);
      expect(adminAccountFromEnv({ POP_ADMIN_PRIVATE_KEY: KEY.slice(2) }).address).to.equal(address);
    });

    it("names the variable and never repeats its value", () => {
      expect(() => adminAccountFromEnv({})).to.throw(/^POP_ADMIN_PRIVATE_KEY is not set/);
      const invalid = `0x${"0".repeat(64)}`;
      try {
        adminAccountFromEnv({ POP_ADMIN_PRIVATE_KEY: invalid });
        expect.fail("a zero key must be refused");
      } catch (error) {
        expect((error as Error).message)
          .to.include("POP_ADMIN_PRIVATE_KEY")
          .and.not.include("0".repeat(64));
        expect((error as Error).cause).to.equal(undefined);
      }
    });
  });
});
