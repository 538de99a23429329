import { expect } from "chai";
import fc from "fast-check";
import { fromBase64Url, toBase64Url } from "../../src/bytes.ts";
import { InvalidChainscriptError, validateChainscript } from "../../src/chainscript/chainscript.ts";
import { jcs } from "../../src/chainscript/jcs.ts";
import { threeStageRun } from "../helpers/run.ts";

describe("jcs (RFC 8785)", () => {
  it("serializes the §3.2.2 example: ES6 numbers, minimal string escapes, sorted keys", () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(jcs(input)).to.equal(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts keys by UTF-16 code units as in §3.2.3", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    // Compared as text: JSON.parse would move the integer-like key "1" to the front again.
    expect(jcs(input)).to.equal(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it("refuses values JSON cannot hold", () => {
    expect(() => jcs({ a: Number.NaN })).to.throw(/not a JSON number/);
    expect(() => jcs({ a: "\ud800" })).to.throw(/lone UTF-16 surrogate/);
    expect(() => jcs({ a: 1n })).to.throw(/bigint is not a JSON value/);
  });
});

describe("chainscript signature fields", () => {
  it("accept exactly the unpadded base64url spellings of 64 bytes", async () => {
    const { built } = await threeStageRun();
    const accepts = (signature: string) => {
      try {
        validateChainscript({ ...built.chainscript, chainSignature: signature });
        return true;
      } catch (error) {
        if (error instanceof InvalidChainscriptError) return false;
        throw error;
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (bytes) => accepts(toBase64Url(bytes))),
      { seed: 64, numRuns: 300 },
    );
    const alphabet = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/"];
    fc.assert(
      fc.property(fc.string({ minLength: 84, maxLength: 88, unit: fc.constantFrom(...alphabet) }), (text) => {
        expect(accepts(text)).to.equal(fromBase64Url(text)?.length === 64);
      }),
      { seed: 65, numRuns: 3000 },
    );
  });
});

describe("chainscript fields with one spelling", () => {
  const hashes = ["aa", "bb"].map((c) => c.repeat(32));
  const problems: [string, Record<string, unknown>, string][] = [
    ["an empty externalInputs", { externalInputs: [] }, "externalInputs"],
    ["unsorted externalInputs", { externalInputs: [hashes[1], hashes[0]] }, "externalInputs.1"],
    ["a repeated external input", { externalInputs: [hashes[0], hashes[0]] }, "externalInputs.1"],
    ["a lone surrogate in an id", { processId: "batch-\ud800" }, "processId"],
  ];
  for (const [what, change, field] of problems) {
    it(`rejects ${what} as ${field}`, async () => {
      const { built } = await threeStageRun();
      expect(() => validateChainscript({ ...built.chainscript, ...change }))
        .to.throw(InvalidChainscriptError)
        .with.property("field", field);
    });
  }

  it("accepts sorted, distinct externalInputs", async () => {
    const { built } = await threeStageRun();
    expect(validateChainscript({ ...built.chainscript, externalInputs: hashes }).externalInputs).to.deep.equal(hashes);
  });
});
