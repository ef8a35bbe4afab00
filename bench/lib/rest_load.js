#!/usr/bin/env node
// A closed-loop REST load generator for bench/lib/cpu_per_request.py: CONC keep-alive connections each
// POST the same body back to back for SECONDS, then one JSON line {ok, errors, elapsed_s, error_sample}.
// Its own CPU is measured from outside (it is the "load generator" row), so it does as little as it can.
'use strict';
const http = require('node:http');
const fs = require('node:fs');

const [url, bodyFile, concArg, secondsArg] = process.argv.slice(2);
const body = fs.readFileSync(bodyFile);
const conc = Number(concArg);
const until = Date.now() + Number(secondsArg) * 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
const target = new URL(url);
let ok = 0;
let errors = 0;
let errorSample = '';
let running = conc;
const started = process.hrtime.bigint();

function one() {
  if (Date.now() >= until) {
    if (--running === 0) finish();
    return;
  }
  const req = http.request(
    { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-length': body.length } },
    (res) => {
      res.on('data', () => undefined);
      res.on('end', () => {
        if (res.statusCode === 200) ok++;
        else if (errors++ === 0) errorSample = `HTTP ${res.statusCode}`;
        one();
      });
    },
  );
  req.on('error', (err) => {
    if (errors++ === 0) errorSample = err.message;
    setTimeout(one, 10);
  });
  req.end(body);
}

function finish() {
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ ok, errors, elapsed_s: elapsed, error_sample: errorSample }) + '\n');
  agent.destroy();
}

for (let i = 0; i < conc; i++) one();
