// One bcrypt compare after another on one core for a few seconds: the single-hash rate sign-in is compared with.
import bcrypt from 'bcrypt';

const [cost, seconds] = process.argv.slice(2).map(Number);
const hash = bcrypt.hashSync('correct horse battery', cost);
bcrypt.compareSync('correct horse battery', hash); // warm-up
let n = 0;
const cpu = process.cpuUsage();
const started = performance.now();
while (performance.now() - started < seconds * 1000) {
  bcrypt.compareSync('correct horse battery', hash);
  n++;
}
const { user, system } = process.cpuUsage(cpu);
// CPU per compare as well as the rate: on a shared machine the rate also says how much of the core this process got.
process.stdout.write(
  JSON.stringify({ rate: n / ((performance.now() - started) / 1000), hashes: n, cpuMsPerHash: (user + system) / 1000 / n }) + '\n',
);
