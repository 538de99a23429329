import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import {
  deviceClassOf,
  parseNvidiaSmi,
  parseRocmSmi,
  probeHardware,
  type ToolRunnerOptions,
  toolRunner,
} from "../../src/jobs/hardware.ts";

/** rocm-smi 6's JSON for one card, as `--showproductname --showuse --showmeminfo vram --json` prints it. */
const ROCM_JSON = JSON.stringify({
  card0: {
    "Card Series": "AMD Instinct MI300X",
    "Card Vendor": "Advanced Micro Devices, Inc. [AMD/ATI]",
    "GPU use (%)": "91",
    "VRAM Total Memory (B)": String(192 * 1024 ** 3),
    "VRAM Total Used Memory (B)": String(150 * 1024 ** 3),
  },
});

describe("hardware probe (nvidia-smi, rocm-smi, else the CPU)", () => {
  let bin: string;
  /** A PATH holding only the stand-ins written into `bin` (and /bin for the shell they run in). */
  const probe = (options: ToolRunnerOptions = {}) =>
    probeHardware(toolRunner({ env: { PATH: `${bin}:/bin:/usr/bin` }, ...options }));
  /** A stand-in tool: a shell script printing `stdout` (or doing `script`). */
  async function standIn(name: string, script: string) {
    const path = join(bin, name);
    await writeFile(path, `#!/bin/sh\n${script}\n`);
    await chmod(path, 0o755);
  }

  beforeEach(async () => {
    bin = await mkdtemp(join(tmpdir(), "pop-smi-"));
  });
  afterEach(() => rm(bin, { recursive: true, force: true }));

  it("reads the model, utilisation and memory of every GPU nvidia-smi lists, asking it for exactly those fields", async () => {
    await standIn(
      "nvidia-smi",
      `[ "$*" = "--query-gpu=name,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits" ] || exit 9
cat <<'CSV'
NVIDIA H100 80GB HBM3, 87, 40536, 81559
NVIDIA H100 80GB HBM3, 93, 61002, 81559
CSV`,
    );
    const hardware = await probe();
    expect(hardware.accelerator).to.deep.equal({
      source: "nvidia-smi",
      name: "NVIDIA H100 80GB HBM3",
      deviceClass: "H100",
      count: 2,
      memoryTotalMb: 163118,
    });
    expect(await hardware.read()).to.deep.equal({ utilisation: 90, memoryUsedMb: 101538 });
  });

  it("takes rocm-smi when there is no nvidia-smi", async () => {
    await standIn("rocm-smi", `cat <<'JSON'\n${ROCM_JSON}\nJSON`);
    const hardware = await probe();
    expect(hardware.accelerator).to.deep.include({ source: "rocm-smi", deviceClass: "MI300X", count: 1 });
    expect(hardware.accelerator.memoryTotalMb).to.equal(192 * 1024);
    expect(await hardware.read()).to.deep.equal({ utilisation: 91, memoryUsedMb: 150 * 1024 });
  });

  it("passes over an nvidia-smi that fails, hangs or answers nonsense, to the next source", async () => {
    await standIn("rocm-smi", `cat <<'JSON'\n${ROCM_JSON}\nJSON`);
    for (const script of [
      'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." ; exit 9',
      "echo 'NVIDIA H100, [N/A], 1, 2'",
      "echo 'NVIDIA H100, 250, 1, 2'",
      "echo '<html>'",
      "exec sleep 30",
    ]) {
      await standIn("nvidia-smi", script);
      const hardware = await probe({ timeoutMs: 300 });
      expect(hardware.accelerator.source, script).to.equal("rocm-smi");
    }
  });

  it("refuses a tool's output past the size limit", async () => {
    await standIn(
      "nvidia-smi",
      "i=0; while [ $i -lt 3000 ]; do echo 'NVIDIA A100 80GB PCIe, 50, 1, 81920'; i=$((i+1)); done",
    );
    expect((await probe({ maxBytes: 64 * 1024 })).accelerator.source).to.equal("cpu");
    expect((await probe({ maxBytes: 1024 * 1024 })).accelerator).to.deep.include({ deviceClass: "A100", count: 3000 });
  });

  it("falls back to the CPU's model, with no readings, when neither tool is there", async () => {
    const hardware = await probe();
    expect(hardware.accelerator).to.deep.equal({
      source: "cpu",
      name: cpus()[0]?.model.trim(),
      deviceClass: "CPU",
      count: cpus().length,
    });
    expect(await hardware.read()).to.equal(undefined);
  });

  it("says no reading when the tool stops answering during the job", async () => {
    await standIn("nvidia-smi", `echo 'NVIDIA GeForce RTX 4090, 70, 1000, 24564'; rm -- "$0"`);
    const hardware = await probe();
    expect(hardware.accelerator.deviceClass).to.equal("RTX-4090");
    expect(await hardware.read()).to.equal(undefined);
  });

  it("maps known models to the catalog's device classes and keeps other names", () => {
    expect(deviceClassOf("NVIDIA A100-SXM4-80GB")).to.equal("A100");
    expect(deviceClassOf("NVIDIA H200")).to.equal("H200");
    expect(deviceClassOf("AMD Instinct MI300X")).to.equal("MI300X");
    expect(deviceClassOf("Tesla T4")).to.equal("Tesla T4");
  });

  it("parses strictly: a wrong field count, an empty name or an output with no device is no reading", () => {
    expect(parseNvidiaSmi("NVIDIA H100, 1, 2\n")).to.equal(undefined);
    expect(parseNvidiaSmi(", 1, 2, 3\n")).to.equal(undefined);
    expect(parseNvidiaSmi("\n")).to.equal(undefined);
    expect(parseRocmSmi("{}")).to.equal(undefined);
    expect(parseRocmSmi('{"card0": {"Card Series": "MI300X"}}')).to.equal(undefined);
    expect(parseRocmSmi("not json")).to.equal(undefined);
  });
});
