import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Browser, Page, chromium } from 'playwright-core';
import { PYTHON, REPO } from '../helpers/paths';
import { ServerProcess, startServer } from '../helpers/server-process';
import { noticeUnlessCi } from '../helpers/shared-testdata';

/**
 * The image classifier web demo (examples/image_classifier) as a person uses it: a real Chromium
 * opens the page, uploads JPEGs drawn by Pillow, classifies them with the JPEG decoded in the model
 * (serving_default) and in the browser (from_pixels), and the top-5 the page shows must be the
 * top-5 TensorFlow computes in Python for the same model and the same pixels.
 *
 * Needs Debian's Chromium (apt-get install chromium); without it one test prints a notice (fails under CI=true).
 */

const CHROMIUM = '/usr/bin/chromium';
const EXAMPLE = path.join(REPO, 'examples/image_classifier');
const MODELS = path.join(REPO, '.cache/examples/image_classifier/models');
const SCREENSHOT = path.join(REPO, 'test/artifacts/web-demo.png');

interface Row {
  label: string;
  score: string;
}

interface Reference {
  mode: string;
  image: string;
  top5: Array<{ label: string; score: number }>;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(cmd)} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/** TensorFlow's answer in Python (examples/image_classifier/reference_top5.py), for MODE:FILE inputs. */
async function reference(inputs: string[]): Promise<Reference[]> {
  const model = path.join(MODELS, 'image_classifier/1');
  return JSON.parse(await run(PYTHON, [path.join(EXAMPLE, 'reference_top5.py'), '--model', model, ...inputs])) as Reference[];
}

/** Starts the demo's web back end (compiled dist/server.js) on a free port; resolves with its URL. */
function startWeb(modelTarget: string): Promise<{ child: ChildProcess; url: string; logs: () => string }> {
  const child = spawn(process.execPath, [path.join(EXAMPLE, 'dist/server.js'), '--port=0', `--model_server=${modelTarget}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the web back end did not start:\n${out}`)), 20000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Image classifier demo at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], logs: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the web back end exited with ${code}:\n${out}`));
    });
  });
}

/** The page's rows match TensorFlow's: same labels in the same order, scores as shown (4 decimals). */
function expectSameTop5(shown: Row[], expected: Reference['top5']): void {
  const want = expected.map(({ label, score }, i) => {
    // Allows for a last-bit difference that lands exactly on a rounding boundary of the 4th decimal.
    const near = shown[i] && Math.abs(Number(shown[i].score) - score) <= 0.00005 + 1e-7;
    return { label, score: near ? shown[i].score : score.toFixed(4) };
  });
  expect(shown).toEqual(want);
  for (const row of shown) expect(row.score).toMatch(/^[01]\.\d{4}$/);
}

if (!fs.existsSync(CHROMIUM)) {
  describe('image classifier web demo', () => {
    test('needs Chromium', () => {
      noticeUnlessCi(`${CHROMIUM} not found (apt-get install chromium); the web demo test did not run`);
    });
  });
} else {
  describe('image classifier web demo', () => {
    let tmp: string;
    let model: ServerProcess | undefined;
    let web: { child: ChildProcess; url: string; logs: () => string } | undefined;
    let browser: Browser | undefined;
    let page: Page;
    let expected: Record<string, Reference['top5']>;
    const pageErrors: string[] = [];
    const square = () => path.join(tmp, 'square.jpg');
    const wide = () => path.join(tmp, 'wide.jpg');

    beforeAll(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-web-demo-'));
      const draw = path.join(EXAMPLE, 'make_sample_image.py');
      await Promise.all([
        run(PYTHON, [path.join(EXAMPLE, 'export_model.py'), '--out', MODELS]),
        run(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', path.join(EXAMPLE, 'tsconfig.json')]),
        // 224x224: the browser's canvas needs no resize, so its pixels are exactly Pillow's decoding.
        run(PYTHON, [draw, square(), '--size', '224x224', '--variant', '0']),
        // 400x300 with 4:2:0 chroma: the model's graph decodes and resizes it.
        run(PYTHON, [draw, wide(), '--size', '400x300', '--variant', '1']),
      ]);
      const [refs, server, b] = await Promise.all([
        reference([`jpeg:${wide()}`, `pixels:${square()}`, `jpeg:${square()}`]),
        startServer([`--model_name=image_classifier`, `--model_base_path=${path.join(MODELS, 'image_classifier')}`]),
        chromium.launch({
          executablePath: CHROMIUM,
          // Playwright gives every launch a fresh temporary profile (user-data dir) and deletes it on close.
          args: [
            '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
            '--disable-background-networking', '--disable-component-update', '--disable-sync',
          ],
        }),
      ]);
      model = server;
      browser = b;
      expected = { 'jpeg:wide': refs[0].top5, 'pixels:square': refs[1].top5, 'jpeg:square': refs[2].top5 };
      web = await startWeb(model.target);
      page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
      page.on('pageerror', (err) => pageErrors.push(err.message));
    }, 90000);

    afterAll(async () => {
      await browser?.close();
      if (web && web.child.exitCode === null) {
        const exited = new Promise((res) => web!.child.once('exit', res));
        web.child.kill('SIGTERM');
        await exited;
      }
      await model?.stop();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** Chooses the mode and the file, presses Classify and returns the rows the page then shows. */
    async function classify(file: string, mode: 'jpeg' | 'pixels'): Promise<{ rows: Row[]; meta: string }> {
      const before = Number(await page.getAttribute('#results', 'data-request'));
      await page.check(`input[name="mode"][value="${mode}"]`);
      await page.setInputFiles('#file', file);
      await page.click('#submit');
      await page.waitForSelector(`#results[data-request="${before + 1}"]`, { state: 'attached', timeout: 20000 });
      if ((await page.getAttribute('#results', 'data-state')) !== 'done') {
        throw new Error(`the page shows an error: ${await page.textContent('#error')}\nback end log:\n${web?.logs()}`);
      }
      const labels = await page.locator('#top5 li .label').allTextContents();
      const scores = await page.locator('#top5 li .score').allTextContents();
      return { rows: labels.map((label, i) => ({ label, score: scores[i] })), meta: (await page.textContent('#result-meta')) ?? '' };
    }

    test('the page opens with decoding in the model selected and the model available', async () => {
      await page.goto(web!.url);
      expect(await page.isChecked('input[name="mode"][value="jpeg"]')).toBe(true);
      expect(await page.isChecked('input[name="mode"][value="pixels"]')).toBe(false);
      expect(await page.isDisabled('#submit')).toBe(true);
      await page.waitForFunction('document.getElementById("model-status").textContent.includes("version 1 AVAILABLE")', undefined, {
        timeout: 10000,
      });
    });

    test('decoding in the model: a 400x300 JPEG gets the top-5 TensorFlow computes in Python', async () => {
      const { rows, meta } = await classify(wide(), 'jpeg');
      expect(meta).toContain('signature serving_default');
      expect(meta).toContain('image_classifier version 1');
      expectSameTop5(rows, expected['jpeg:wide']);
    });

    test('decoding in the browser: a 224x224 JPEG gets the top-5 TensorFlow computes in Python', async () => {
      const { rows, meta } = await classify(square(), 'pixels');
      expect(meta).toContain('signature from_pixels');
      expectSameTop5(rows, expected['pixels:square']);
    });

    test('decoding in the browser with a resize: the canvas pixels sent get the top-5 TensorFlow computes for them', async () => {
      const { rows } = await classify(wide(), 'pixels');
      // The 224x224 pixels the page drew on its canvas (and sent), read back as RGB.
      const b64 = await page.evaluate(`(() => {
        const c = document.getElementById('pixels');
        const d = c.getContext('2d').getImageData(0, 0, 224, 224).data;
        let s = '';
        for (let i = 0; i < d.length; i += 4) s += String.fromCharCode(d[i], d[i + 1], d[i + 2]);
        return btoa(s);
      })()`);
      const rgb = path.join(tmp, 'wide-canvas.rgb');
      fs.writeFileSync(rgb, Buffer.from(b64 as string, 'base64'));
      const [ref] = await reference([`rgb:${rgb}`]);
      expectSameTop5(rows, ref.top5);
    });

    test('decoding in the model: the same 224x224 JPEG gets the same top-5 as decoding in the browser', async () => {
      const { rows, meta } = await classify(square(), 'jpeg');
      expect(meta).toContain('signature serving_default');
      expectSameTop5(rows, expected['jpeg:square']);
      // decode_jpeg with the accurate IDCT decodes as Chromium and Pillow do: both ways agree.
      expect(rows).toEqual(expected['pixels:square'].map(({ label, score }) => ({ label, score: score.toFixed(4) })));
      fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    });

    test('a file that is not a JPEG shows the model server’s error on the page', async () => {
      const bogus = path.join(tmp, 'not-a-photo.jpg');
      fs.writeFileSync(bogus, 'this is text, not a JPEG\n');
      await page.check('input[name="mode"][value="jpeg"]');
      await page.setInputFiles('#file', bogus);
      await page.click('#submit');
      await page.waitForSelector('#results[data-state="error"]', { timeout: 20000 });
      expect(await page.textContent('#error')).toMatch(/^INVALID_ARGUMENT: .*(JPEG|image)/);
      expect(await page.locator('#top5 li').count()).toBe(0);
      expect(pageErrors).toEqual([]);
    });
  });
}
