/** One line describing the machine a benchmark ran on, for docs/benchmarks.md. */
import fs from 'node:fs';
import os from 'node:os';

export function machineDescription(): string {
  const cpus = os.cpus();
  let quota = '';
  try {
    const [max, period] = fs.readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(' ');
    if (max !== 'max') quota = `, cgroup CPU quota ${(Number(max) / Number(period)).toFixed(1)}`;
  } catch {
    // no cgroup v2 quota file: not limited, or cgroup v1
  }
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}${quota}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.versions.node}`;
}
