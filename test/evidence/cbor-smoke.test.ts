import { expect } from "chai";
import { toHex } from "../../src/bytes.ts";
import { encodeCanonical } from "../../src/evidence/cbor/encode.ts";

describe("smoke", () => {
  it("encodes 7.5 as a half float", () => {
    expect(toHex(encodeCanonical({ cfg: 7.5 }))).to.equal("a163636667f94780");
  });
});
