// Drives the image classifier web page (examples/image_classifier) in Debian's headless Chromium, as a
// person would: opens URL, waits for the model status, uploads a JPEG with "decoding in the model", and
// prints the top-5 rows the page shows as JSON. The caller compares them with TensorFlow's answer.
//   node test/docker/web_demo_check.js URL IMAGE.jpg SCREENSHOT.png
const { chromium } = require('playwright-core');

async function main() {
  const [url, image, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction('document.getElementById("model-status").textContent.includes("version 1 AVAILABLE")', undefined, { timeout: 30000 });
    await page.check('input[name="mode"][value="jpeg"]');
    await page.setInputFiles('#file', image);
    await page.click('#submit');
    await page.waitForSelector('#results[data-request="1"]', { state: 'attached', timeout: 30000 });
    if ((await page.getAttribute('#results', 'data-state')) !== 'done') throw new Error(`the page shows an error: ${await page.textContent('#error')}`);
    const labels = await page.locator('#top5 li .label').allTextContents();
    const scores = await page.locator('#top5 li .score').allTextContents();
    await page.screenshot({ path: screenshot, fullPage: true });
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    console.log(JSON.stringify(labels.map((label, i) => ({ label, score: Number(scores[i]) }))));
  } finally {
    await browser.close();
  }
}
main().catch((e) => { console.error(e.message); process.exit(1); });
