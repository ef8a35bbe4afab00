import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { modelServerConfigFromText } from '../../../src/config/model-server-config';
import { MessagePort } from 'node:worker_threads';
import { PostingLogSink } from '../../../src/request-logging/posting-log-sink';
import { RequestLogging } from '../../../src/request-logging/request-logging';
import { readTfRecords } from '../../../src/tfrecord/tfrecord-reader';

/** A front-end thread's sink: records cross a real MessageChannel, transferred when they own their memory. */

interface Posted {
  model: string;
  record: Uint8Array;
}

/** The sink as a front-end thread uses it: each record posted over `port` with its transfer list. */
const sinkOver = (port: MessagePort) => new PostingLogSink((model, record, transfer) => port.postMessage({ model, record } satisfies Posted, transfer));

test('records arrive intact; an own buffer is transferred, a pooled one is copied and left usable', async () => {
  const { port1, port2 } = new MessageChannel();
  const received: Posted[] = [];
  const done = new Promise<void>((resolve) =>
    port2.on('message', (m: Posted) => {
      received.push(m);
      if (received.length === 2) resolve();
    }),
  );
  const sink = sinkOver(port1);
  const own = new Uint8Array([1, 2, 3]);
  const pooled = Buffer.from('pooled'); // a slice of Node's shared allocation pool
  expect(pooled.byteLength).toBeLessThan(pooled.buffer.byteLength);
  sink.append('a', own);
  sink.append('b', pooled);
  await done;
  port1.close();
  expect(received.map((m) => [m.model, Buffer.from(m.record).toString('hex')])).toEqual([
    ['a', '010203'],
    ['b', Buffer.from('pooled').toString('hex')],
  ]);
  expect(own.byteLength).toBe(0); // transferred
  expect(pooled.toString()).toBe('pooled');
});

test('a front-end thread\'s records reach the main thread\'s files through RequestLogging\'s collectors', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-posting-'));
  const logging = new RequestLogging({ registry: new Registry(), savedModelTags: [], tensorContentOutputs: false });
  try {
    logging.update(
      modelServerConfigFromText(
        `model_config_list { config { name: "m" base_path: "/m" model_platform: "tensorflow"
           logging_config { log_collector_config { type: "file" filename_prefix: "${tmp}/m" } sampling_config { sampling_rate: 1 } } } }`,
      ),
    );
    const { port1, port2 } = new MessageChannel();
    // What the control plane does with each record a front-end thread posts (front-end-pool.ts).
    port2.on('message', (m: Posted) => logging.collectors.append(m.model, m.record));
    const sink = sinkOver(port1);
    sink.append('m', Buffer.from('one'));
    sink.append('m', new Uint8Array([2]));
    const file = await new Promise<string>((resolve) => {
      const poll = setInterval(() => {
        const f = fs.readdirSync(tmp).map((n) => path.join(tmp, n))[0];
        if (f && readTfRecords(fs.readFileSync(f)).length === 2) {
          clearInterval(poll);
          resolve(f);
        }
      }, 10);
    });
    port1.close();
    await logging.close();
    expect(readTfRecords(fs.readFileSync(file)).map((r) => Buffer.from(r).toString('hex'))).toEqual([Buffer.from('one').toString('hex'), '02']);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
